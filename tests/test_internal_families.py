"""Projects, reusable behaviour, routing, runtime streams and system plumbing on the
internal surface, and the one world behind every surface."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from conftest import OTHER_USER, RW, WEB_REPO, body_of

DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
START = {"repoId": WEB_REPO, "prompt": "Fix the flaky test", "createBranch": True}


def sse_data(raw: bytes) -> list:
    frames = [frame for frame in raw.decode().split("\n\n") if frame]
    return [frame[len("data: "):] for frame in frames]


# -- projects -----------------------------------------------------------------------------

async def test_installations_newest_first_with_their_repos(api):
    installations = body_of(await api.internal("GET", "/api/github/installations"))
    assert [item["installation_id"] for item in installations] == [51077, 48213]
    user_install, org_install = installations
    assert list(org_install) == ["id", "installation_id", "account_login", "account_type", "target_type",
                                 "repositories", "repository_count", "synced_repo_count", "scope_label",
                                 "manage_url"]
    assert org_install["scope_label"] == "Org" and org_install["repository_count"] == 4
    assert org_install["manage_url"] == "https://github.com/organizations/harborlight/settings/installations/48213"
    assert user_install["manage_url"] == "https://github.com/settings/installations/51077"
    assert [repo["full_name"] for repo in user_install["repositories"]] == ["dana-okafor/dotfiles",
                                                                             "dana-okafor/notes-app"]


async def test_owners_personal_first(api):
    owners = body_of(await api.internal("GET", "/api/github/owners"))
    assert owners == [
        {"login": "dana-okafor", "kind": "personal", "github_installation_id": 51077, "scope_label": "Personal",
         "source": "oauth+installation"},
        {"login": "harborlight", "kind": "org", "github_installation_id": 48213, "scope_label": "Org",
         "source": "installation"}]
    assert body_of(await api.internal("GET", "/api/github/owners", session="mpx_session_robin_dev_0001")) == []


# -- reusable: /api/mcp-servers ---------------------------------------------------------------

async def test_mcp_servers_web_format_hides_secret_values(api):
    servers = body_of(await api.internal("GET", "/api/mcp-servers", session=None, token=RW))["servers"]
    assert [server["name"] for server in servers] == ["postgres-readonly", "sentry", "linear"]
    linear = servers[2]
    assert (linear["envPlain"], linear["envSecretNames"]) == ({}, ["LINEAR_API_KEY"])
    assert "lin_api" not in json.dumps(servers)


async def test_mcp_servers_cli_format_matches_v1(api):
    cli = body_of(await api.internal("GET", "/api/mcp-servers?format=cli", session=None, token=RW))
    v1 = body_of(await api.get("/mcp/servers"))["data"]["servers"]
    assert cli == v1


async def test_a_server_added_internally_shows_on_v1(api):
    created = await api.internal("POST", "/api/mcp-servers", session=None, token=RW, json_body={
        "name": "notion", "transport": "http", "url": "https://mcp.notion.example.dev",
        "headerSecrets": {"Authorization": "Bearer ntn_dev"}})
    assert created.status == 201
    server = body_of(created)["server"]
    assert server["headerSecretNames"] == ["Authorization"] and server["headerPlain"] == {}
    v1 = body_of(await api.get("/mcp/servers"))["data"]["servers"]
    assert v1[3] == {"name": "notion", "enabled": True,
                     "config": {"url": "https://mcp.notion.example.dev",
                                "http_headers": {"Authorization": "Bearer ntn_dev"}}}


@pytest.mark.parametrize("body, status, code, message", [
    ({"transport": "stdio", "command": "x"}, 400, "INVALID_MCP_SERVER", "name is required"),
    ({"name": "a__b", "transport": "stdio", "command": "x"}, 400, "INVALID_NAME", 'name must not contain "__"'),
    ({"name": "a", "transport": "sse"}, 400, "INVALID_TRANSPORT", "transport must be stdio or http"),
    ({"name": "a", "transport": "stdio", "command": "x", "url": "u"}, 400, "INVALID_TRANSPORT_FIELDS",
     "stdio servers cannot include url"),
    ({"name": "a", "transport": "http", "url": "u", "command": "x"}, 400, "INVALID_TRANSPORT_FIELDS",
     "http servers cannot include command"),
    ({"name": "a", "transport": "stdio"}, 400, "INVALID_MCP_SERVER", "command is required for stdio servers"),
    ({"name": "a", "transport": "http"}, 400, "INVALID_MCP_SERVER", "url is required for http servers"),
    ({"name": "linear", "transport": "http", "url": "u"}, 409, "DUPLICATE_NAME",
     "A server with that name already exists"),
])
async def test_mcp_server_validation_rows(api, body, status, code, message):
    response = await api.internal("POST", "/api/mcp-servers", json_body=body)
    assert (response.status, body_of(response)) == (status, {"error": message, "code": code})


async def test_mcp_servers_need_a_caller(api):
    response = await api.internal("GET", "/api/mcp-servers?format=cli", session=None, token="mog_nope")
    assert (response.status, body_of(response)) == (401, {"error": "Unauthorized"})


# -- routing: /api/flows ------------------------------------------------------------------------

async def test_flows_are_the_same_automations_v1_serves(api):
    created = await api.internal("POST", "/api/flows", json_body={"installation_id": 48213, "name": "PR review graph"})
    assert created.status == 201
    flow = body_of(created)
    assert (flow["name"], flow["status"], flow["source_kind"], flow["published_version"]) == (
        "PR review graph", "inactive", "github", None)
    assert body_of(await api.get(f"/automations/{flow['id']}"))["data"]["automation"]["name"] == "PR review graph"
    listed = body_of(await api.internal("GET", "/api/flows"))
    triage = next(item for item in listed if item["name"] == "PR triage")
    assert (triage["last_run_status"], triage["running_count"]) == ("success", 0)
    assert body_of(await api.internal("GET", f"/api/flows/{flow['id']}"))["id"] == flow["id"]


@pytest.mark.parametrize("body, status, answer", [
    ({"name": "x"}, 400, {"error": "installation_id is required"}),
    ({"installation_id": 48213, "template_id": "nope"}, 400, {"error": "Unknown workflow template"}),
    ({"installation_id": 60934}, 404, {"error": "Installation not found", "code": "FLOW_INSTALLATION_NOT_FOUND"}),
])
async def test_flow_create_rows(api, body, status, answer):
    response = await api.internal("POST", "/api/flows", json_body=body)
    assert (response.status, body_of(response)) == (status, answer)


async def test_flow_not_found(api):
    response = await api.internal("GET", "/api/flows/d4f5b6c7-3e40-4192-9d5f-6a7b8c9daeb4")
    assert (response.status, body_of(response)) == (404, {"error": "Flow not found"})


# -- runtime -------------------------------------------------------------------------------------

async def test_a_v1_run_appears_in_observability_and_moves_the_stats(make_api):
    api = await make_api("step:2")
    before = body_of(await api.internal("GET", "/api/observability/stats"))["summary"]
    run = body_of(await api.start_run(START))["data"]
    calls = body_of(await api.internal("GET", "/api/observability/calls"))
    assert calls["total"] == before["total_calls"] + 1
    mine = next(item for item in calls["calls"] if item["id"] == run["aiCallId"])
    assert (mine["type"], mine["repo_id"], mine["model"]) == ("agent", WEB_REPO, "openai/gpt-5.1-codex")
    for _ in range(15):
        await api.get(f"/runs/{run['runId']}")
    after = body_of(await api.internal("GET", "/api/observability/stats"))
    assert after["summary"]["total_calls"] == before["total_calls"] + 1
    assert after["summary"]["total_tokens"] > before["total_tokens"]
    assert "cost_today_estimate" not in after["summary"]
    events = body_of(await api.internal("GET", f"/api/observability/call-events?ai_call_id={run['aiCallId']}"))
    assert events["events"][0]["event_type"] == "started" and events["events"][-1]["event_type"] == "finished"


async def test_call_events_rows(api):
    missing = await api.internal("GET", "/api/observability/call-events")
    assert (missing.status, body_of(missing)) == (400, {"error": "Missing ai_call_id"})
    malformed = await api.internal("GET", "/api/observability/call-events?ai_call_id=nope")
    assert (malformed.status, malformed.raw_body) == (500, b"")
    unknown = await api.internal("GET", "/api/observability/call-events?ai_call_id=00000000-0000-4000-8000-000000000000")
    assert (unknown.status, body_of(unknown)) == (404, {"error": "Call not found"})


async def test_observability_redirects_a_pat(api):
    assert (await api.internal("GET", "/api/observability/stats", session=None, token=RW)).status == 307


async def test_chat_streams_the_ai_sdk_framing_and_logs_a_call(api):
    response = await api.internal("POST", "/api/chat", json_body={
        "id": "c1", "trigger": "submit-message",
        "messages": [{"id": "m1", "role": "user", "parts": [{"type": "text", "text": "hello there"}]}]})
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/event-stream"
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert response.headers["x-accel-buffering"] == "no"
    frames = sse_data(response.raw_body)
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(frame) for frame in frames[:-1]]
    assert chunks[0]["type"] == "start" and chunks[-1]["type"] == "finish"
    call_id = chunks[0]["messageMetadata"]["ai_call_id"]
    for chunk, following in zip(chunks[1:-1:2], chunks[2:-1:2], strict=True):
        assert chunk["type"] != "message-metadata"
        assert following == {"type": "message-metadata", "messageMetadata": {"ai_call_id": call_id}}
    text = "".join(chunk["delta"] for chunk in chunks if chunk["type"] == "text-delta")
    assert text == "mockplex heard: hello there"
    calls = body_of(await api.internal("GET", "/api/observability/calls?type=chat"))["calls"]
    assert [item["id"] for item in calls] == [call_id]


async def test_chat_needs_a_session(api):
    assert (await api.internal("POST", "/api/chat", session=None, token=RW, json_body={})).status == 307


async def test_sandbox_boot_streams_then_reuse_is_json(api):
    body = {"repoId": "1c7d5e3f-8b2a-4f4c-8d6e-9a3b7c2f4d81", "workingBranch": "agent/stream"}
    booted = await api.internal("POST", "/api/sandbox", session=None, token=RW, json_body=body)
    assert booted.headers["Content-Type"] == "text/event-stream"
    events = [json.loads(frame) for frame in sse_data(booted.raw_body)]
    kinds = [event["type"] for event in events]
    assert kinds[:3] == ["status", "sandbox_created", "status"] and kinds[-3:] == ["preview_url", "status", "ready"]
    assert "[DONE]" not in booted.raw_body.decode()
    record = events[-1]["sandbox"]
    assert "status" not in record and record["runtime_summary"]["status"] == "running"
    reused = await api.internal("POST", "/api/sandbox", session=None, token=RW, json_body=body)
    assert reused.headers["Content-Type"] == "application/json"
    assert body_of(reused)["sandbox"]["id"] == record["id"]
    listed = body_of(await api.get("/sandboxes"))["data"]["sandboxes"]
    assert record["id"] in [sandbox["id"] for sandbox in listed]


async def test_sandbox_boot_failure_streams_an_error(api):
    response = await api.internal("POST", "/api/sandbox", json_body={
        "repoId": "2d8e6f4a-9c3b-4a5d-9e7f-ab4c8d3a5e92", "workingBranch": "agent/x"})
    events = [json.loads(frame) for frame in sse_data(response.raw_body)]
    assert events[-1] == {"type": "error", "message": "Install step exited with code 1: ERR_PNPM_OUTDATED_LOCKFILE",
                          "phase": "install"}


async def test_sandbox_limits_use_the_rate_limit_shape(api):
    for branch in ("agent/a", "agent/b"):
        await api.internal("POST", "/api/sandbox", json_body={"repoId": WEB_REPO, "workingBranch": branch})
    refused = await api.internal("POST", "/api/sandbox", json_body={"repoId": WEB_REPO, "workingBranch": "agent/c"})
    assert refused.status == 429 and refused.headers["Retry-After"] == "15"
    assert body_of(refused) == {"error": "Too many active sandboxes", "code": "sandbox_boot_rate_limited",
                                "retryAfterSeconds": 15,
                                "limit": {"name": "concurrent_sandboxes", "value": 3, "windowSeconds": 0}}


async def test_delegated_internal_calls_reach_sandbox_routes_only(make_api):
    api = await make_api(internal_secret="internal-dev-secret")
    headers = {"Authorization": "Bearer internal-dev-secret", "X-Delegated-User-Id": DANA}
    listed = await api.call("GET", "/api/sandbox?format=cli", None, headers=headers)
    assert listed.status == 200 and [item["status"] for item in body_of(listed)] == ["running", "paused"]
    elsewhere = await api.call("GET", "/api/settings", None, headers=headers)
    assert elsewhere.status == 307


async def test_sandbox_get(api):
    found = await api.internal("GET", "/api/sandbox/5e1f3a7b-2c4d-4e6f-8a9b-0c1d2e3f4a5b")
    assert body_of(found)["sandbox"]["runtime_summary"]["preview_url"].startswith("https://sbx-8d2kq7wz1m4p")
    missing = await api.internal("GET", "/api/sandbox/8b4c6dae-5f70-4192-bdce-3f4a5b6c7d8e")
    assert (missing.status, body_of(missing)) == (404, {"error": "Not found"})


async def test_realtime_events_announce_the_users_changes(api):
    headers = {"Cookie": "better-auth.session_token=mpx_session_dana_dev_0001"}
    async with api.client.get("/api/realtime/events?tables=ai_calls,job_runs", headers=headers) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache, no-transform"
        assert await response.content.readuntil(b"\n\n") == b": connected\n\n"
        await api.post("/sandboxes", {"repoId": WEB_REPO, "workingBranch": "agent/rt"})  # not a watched table
        await api.start_run({"repoId": "6bc2ad8e-d07f-4e91-b2b3-ef80c17e92d6", "prompt": "p"}, token=OTHER_USER)
        await api.start_run(START)
        assert await response.content.readuntil(b"\n\n") == b'data: {"table":"ai_calls","op":"INSERT"}\n\n'
    for query, message in (("", "Missing tables parameter"), ("?tables=,", "No valid tables specified"),
                           ("?tables=ai_calls,Bad-Name", "Invalid table name: Bad-Name")):
        response = await api.internal("GET", f"/api/realtime/events{query}")
        assert (response.status, body_of(response)) == (400, {"error": message})


# -- system plumbing --------------------------------------------------------------------------------

async def test_machine_paths(make_api):
    unset = await make_api()
    response = await unset.call("GET", "/api/cron/sync-models", RW)
    assert (response.status, body_of(response)) == (503, {"error": "CRON_SECRET_NOT_CONFIGURED"})
    api = await make_api(cron_secret="cron-dev")
    for token in (None, RW, "wrong"):
        response = await api.call("POST", "/api/jobs/process", token, json_body={})
        assert (response.status, body_of(response)) == (401, {"error": "Unauthorized"})
    missing = await api.call("POST", "/api/jobs/process", "cron-dev", json_body={})
    assert (missing.status, body_of(missing)) == (400, {"error": "Missing jobId"})
    malformed = await api.call("POST", "/api/jobs/process", "cron-dev", json_body={"jobId": "nope"})
    assert (malformed.status, body_of(malformed)) == (
        500, {"error": 'Failed to load job run: invalid input syntax for type uuid: "nope"'})
    unknown = await api.call("POST", "/api/jobs/process", "cron-dev",
                             json_body={"jobId": "00000000-0000-4000-8000-000000000000"})
    assert (unknown.status, body_of(unknown)) == (404, {"error": "JOB_NOT_FOUND"})


async def test_github_webhook_signatures(make_api):
    unsigned_world = await make_api()
    skipped = await unsigned_world.call("POST", "/api/webhooks/github", None, data=b"{}")
    assert body_of(skipped) == {"ok": True, "skipped": True}
    api = await make_api(github_webhook_secret="whsec-dev")
    payload = b'{"action":"opened"}'
    bad = await api.call("POST", "/api/webhooks/github", None, data=payload,
                         headers={"x-hub-signature-256": "sha256=00", "x-github-event": "pull_request"})
    assert (bad.status, body_of(bad)) == (401, {"error": "Invalid signature"})
    signature = "sha256=" + hmac.new(b"whsec-dev", payload, hashlib.sha256).hexdigest()
    good = await api.call("POST", "/api/webhooks/github", None, data=payload,
                          headers={"x-hub-signature-256": signature, "x-github-event": "ping"})
    assert (good.status, body_of(good)) == (200, {"ok": True, "skipped": True, "flow_waits": None,
                                                  "sync": {"handled": False, "matchedUsers": 0}})


async def test_other_plumbing_refusals(api):
    cases = [("/api/webhooks/stripe", {}, 400, "Missing signature"),
             ("/api/webhooks/slack", {}, 401, "Invalid signature"),
             ("/api/webhooks/flows/a1c2e3f4-0b1d-4e6f-8a2c-3d4e5f6a7b81", {}, 400,
              "Missing or invalid x-mogplex-delivery"),
             ("/api/webhooks/flows/a1c2e3f4-0b1d-4e6f-8a2c-3d4e5f6a7b81", {"x-mogplex-delivery": "d1"}, 404,
              "Webhook is not configured")]
    for path, headers, status, message in cases:
        response = await api.call("POST", path, None, data=b"{}", headers=headers)
        assert (response.status, body_of(response)) == (status, {"error": message}), path
    migrate = await api.internal("POST", "/api/migrate")
    assert (migrate.status, body_of(migrate)) == (404, {"error": "Not found"})
    assert (await api.internal("POST", "/api/migrate", session=None)).status == 307
    e2e = await api.internal("GET", "/api/test/e2e/flows")
    assert (e2e.status, body_of(e2e)) == (404, {"error": "Not found"})


async def test_internal_errors_never_use_the_v1_envelope(api):
    for path in ("/api/settings", "/api/mcp-servers"):
        response = await api.internal("GET", path, session=None, token="mog_nope")
        assert "ok" not in body_of(response)


# -- the docs' Working Requests sequence ---------------------------------------------------------------

async def test_working_requests_sequence_with_the_credentials_each_needs(api):
    session = {"session": "mpx_session_dana_dev_0001"}
    user = await api.internal("GET", "/api/auth/user", session=None, token=RW)
    assert body_of(user)["user"]["github_state"] == "app_installed_with_synced_repos"
    assert (await api.internal("GET", "/api/settings", session=None, token=RW)).status == 200
    patched = await api.internal("PATCH", "/api/settings", session=None, token=RW, json_body={"theme": "light"})
    assert body_of(patched) == {"ok": True}
    assert (await api.internal("GET", "/api/github/installations", session=None, token=RW)).status == 307
    assert (await api.internal("GET", "/api/github/installations", **session)).status == 200
    cli = await api.internal("GET", "/api/mcp-servers?format=cli", session=None, token=RW)
    assert isinstance(body_of(cli), list)
    assert (await api.internal("POST", "/api/flows", session=None, token=RW,
                               json_body={"installation_id": 48213})).status == 307
    flow = await api.internal("POST", "/api/flows", json_body={"installation_id": 48213, "name": "PR review graph"},
                              **session)
    assert flow.status == 201
    assert (await api.internal("GET", "/api/observability/stats", session=None, token=RW)).status == 307
    assert "summary" in body_of(await api.internal("GET", "/api/observability/stats", **session))


# -- projects: /api/repos and /api/workspaces ----------------------------------------------------

async def test_repo_settings_changed_internally_show_through_v1(api):
    listed = body_of(await api.internal("GET", "/api/repos"))
    assert [repo["full_name"] for repo in listed][0] == "dana-okafor/dotfiles"
    web = next(repo for repo in listed if repo["full_name"] == "harborlight/web")
    assert (web["github_access_state"], web["github_coverage_label"], web["workspace"]["is_default"]) == (
        "app_covered", "Trigger-ready", True)
    patched = await api.internal("PATCH", "/api/repos", json_body={"id": web["id"], "default_branch": "develop",
                                                                    "root_directory": "apps/site", "is_favorite": True})
    assert body_of(patched)["default_branch"] == "develop"
    v1 = body_of(await api.get(f"/repos?id={web['id']}"))["data"]["repos"][0]
    assert (v1["default_branch"], v1["root_directory"]) == ("develop", "apps/site")
    assert body_of(await api.internal("GET", "/api/repos"))[0]["full_name"] == "harborlight/web"  # favourite first
    await api.internal("PATCH", "/api/repos", json_body={"id": web["id"], "is_hidden": True})
    assert "harborlight/web" not in [r["full_name"] for r in body_of(await api.get("/repos"))["data"]["repos"]]
    hidden = body_of(await api.internal("GET", "/api/repos?show_hidden=true"))
    assert "harborlight/web" in [repo["full_name"] for repo in hidden]


@pytest.mark.parametrize("method, body, status, message", [
    ("PATCH", {"default_branch": "x"}, 400, "Missing id"),
    ("PATCH", {"id": WEB_REPO}, 400, "No repo updates provided"),
    ("PATCH", {"id": "6bc2ad8e-d07f-4e91-b2b3-ef80c17e92d6", "is_favorite": True}, 500,
     "JSON object requested, multiple (or no) rows returned"),
    ("POST", {"full_name": "harborlight/new", "workspace_id": "7f000000-0000-4000-8000-000000000000"}, 404,
     "Workspace not found"),
])
async def test_repo_rows(api, method, body, status, message):
    response = await api.internal(method, "/api/repos", json_body=body)
    assert (response.status, body_of(response)) == (status, {"error": message})


async def test_workspaces_lifecycle(api):
    default = body_of(await api.internal("GET", "/api/workspaces"))
    assert [(w["name"], w["is_default"], w["repo_count"]) for w in default] == [("Imported Repos", True, 6)]
    created = body_of(await api.internal("POST", "/api/workspaces", json_body={"name": "Client work"}))
    assert created["repo_count"] == 0
    duplicate = await api.internal("POST", "/api/workspaces", json_body={"name": "client work"})
    assert (duplicate.status, body_of(duplicate)) == (409, {"error": "A project with that name already exists"})
    repo = body_of(await api.internal("POST", "/api/repos", json_body={
        "github_id": 991, "full_name": "harborlight/docs", "owner": "harborlight", "name": "docs",
        "workspace_id": created["id"]}))
    assert repo["github_installation_id"] is None and repo["workspace"]["name"] == "Client work"
    busy = await api.internal("DELETE", f"/api/workspaces/{created['id']}")
    assert (busy.status, body_of(busy)) == (409, {"error": "Delete or move the repos in this project first"})
    await api.internal("DELETE", f"/api/repos?id={repo['id']}")
    assert body_of(await api.internal("DELETE", f"/api/workspaces/{created['id']}")) == {"ok": True}
    protected = await api.internal("DELETE", f"/api/workspaces/{default[0]['id']}")
    assert body_of(protected) == {"error": "The default imported project cannot be deleted"}
    assert (await api.internal("GET", f"/api/workspaces/{default[0]['id']}")).status == 405
