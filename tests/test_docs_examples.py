"""The docs' own curl examples, sent as written (with this world's ids), answered as the
spec says the server answers them."""

from __future__ import annotations

import json

from conftest import RW, V1, WEB_REPO, body_of


async def test_quickstart_sequence(make_api):
    api = await make_api("step:2")
    repos = await api.get("/repos?q=harbor&limit=20")
    assert [repo["full_name"] for repo in body_of(repos)["data"]["repos"]] == [
        "harborlight/api", "harborlight/design-system", "harborlight/web"]
    started = await api.post("/runs", {
        "repoId": WEB_REPO, "prompt": "Inspect the failing test suite and propose the smallest fix.",
        "harness": "codex", "baseBranch": "main", "createBranch": True, "rootDirectory": "apps/web",
    }, headers={"Idempotency-Key": "6c1e0f4e-8d1c-4f57-a5a8-8f3b9a3c2e10"})
    assert started.status == 202
    run_id = body_of(started)["data"]["runId"]
    assert body_of(await api.get(f"/runs/{run_id}"))["data"]["run"]["status"] == "pending"
    events = body_of(await api.get(f"/runs/{run_id}/events?limit=100"))["data"]["events"]
    assert events[0]["type"] == "started"
    cancelled = body_of(await api.post(f"/runs/{run_id}/cancel"))["data"]
    assert cancelled["alreadyTerminal"] is False
    sandboxes = await api.get(f"/sandboxes?repo_id={WEB_REPO}&status=running")
    assert [s["working_branch"] for s in body_of(sandboxes)["data"]["sandboxes"]][-1] == "agent/docs-refresh"


async def test_authentication_page_minimal_run_start(api):
    response = await api.post("/runs", {"repoId": WEB_REPO, "prompt": "Fix the tests"},
                              headers={"Idempotency-Key": "k-auth-doc"})
    assert response.status == 202
    assert body_of(response)["data"]["branch"] == {"base": "main", "working": "main", "createBranch": False}


async def test_mcp_servers_example(api):
    assert body_of(await api.get("/mcp/servers"))["ok"] is True


async def test_mcp_initialize_example_including_the_www_host(api):
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize"}).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    direct = await api.call("POST", V1 + "/mcp", RW, data=payload, headers=headers)
    assert body_of(direct)["result"]["protocolVersion"] == "2025-11-25"
    via_www = await api.call("POST", V1 + "/mcp", RW, data=payload, headers={**headers, "Host": "www.mogplex.test"})
    assert via_www.status == 308
    assert via_www.headers["Location"] == "http://mogplex.test/api/v1/mogplex/mcp"


async def test_mcp_list_automations_example(api):
    payload = json.dumps({"jsonrpc": "2.0", "id": 42, "method": "tools/call",
                          "params": {"name": "mogplex_list_automations", "arguments": {"limit": 20}}}).encode()
    response = await api.call("POST", V1 + "/mcp", RW, data=payload,
                              headers={"Content-Type": "application/json",
                                       "Accept": "application/json, text/event-stream"})
    result = body_of(response)["result"]
    assert result["isError"] is False
    assert result["content"] == [{"type": "text", "text": "Found 3 Mogplex automation summaries."}]
