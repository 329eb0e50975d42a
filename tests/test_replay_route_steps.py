"""The steps a route declares (the run-start budget, the MCP gate) run before its mode
answers, so a replayed call meets them as it would on the real server."""

from __future__ import annotations

import json

from conftest import RW, V1, WEB_REPO, Api, bearer, make_settings
from test_replay import record, replayer

from mockplex.app import build_app

START = {"repoId": WEB_REPO, "prompt": "Add a changelog entry"}
BUDGET_PER_MINUTE = 10


async def start_runs(client, count: int) -> list[tuple[int, dict, str | None]]:
    seen = []
    for number in range(count):
        response = await client.post(f"{V1}/runs", json=START,
                                     headers={**bearer(RW), "Idempotency-Key": f"budget-{number}"})
        seen.append((response.status, json.loads(await response.read()), response.headers.get("Retry-After")))
    return seen


async def test_replay_spends_the_run_start_budget_like_the_server(aiohttp_server, aiohttp_client, tmp_path):
    unlimited = build_app(make_settings(tmp_path / "up", "frozen", rate_limits=False))
    path, recorded = await record(aiohttp_server, aiohttp_client, tmp_path, unlimited,
                                  lambda client: start_runs(client, BUDGET_PER_MINUTE + 1))
    assert [status for status, _, _ in recorded] == [202] * (BUDGET_PER_MINUTE + 1)

    api = await replayer(aiohttp_client, tmp_path, path)
    replayed = await start_runs(api.client, BUDGET_PER_MINUTE + 1)

    assert [status for status, _, _ in replayed[:BUDGET_PER_MINUTE]] == [202] * BUDGET_PER_MINUTE
    assert replayed[-1] == (429, {"ok": False, "error": {
        "code": "RATE_LIMITED", "message": "External Mogplex run rate limit exceeded"}}, "60")


async def test_a_replayed_run_start_with_a_non_uuid_repo_fails_closed(aiohttp_server, aiohttp_client, tmp_path):
    upstream = build_app(make_settings(tmp_path / "up", "frozen"))
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, upstream, lambda client: start_runs(client, 1))
    api = await replayer(aiohttp_client, tmp_path, path)

    response = await api.post("/runs", {**START, "repoId": "not-a-uuid"}, headers={"Idempotency-Key": "cast"})

    assert response.status == 503
    assert response.headers["Retry-After"] == "60"
    assert json.loads(response.raw_body) == {"ok": False, "error": {
        "code": "SERVICE_UNAVAILABLE", "message": "External Mogplex run rate limit unavailable"}}


async def list_tools(client):
    response = await client.post(f"{V1}/mcp", headers=bearer(RW),
                                 json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    return response.status


async def replayed_mcp(aiohttp_server, aiohttp_client, tmp_path) -> Api:
    upstream = build_app(make_settings(tmp_path / "up", "frozen"))
    path, status = await record(aiohttp_server, aiohttp_client, tmp_path, upstream, list_tools)
    assert status == 200
    return await replayer(aiohttp_client, tmp_path, path)


async def test_a_replayed_mcp_call_from_a_foreign_origin_is_refused_locally(aiohttp_server, aiohttp_client,
                                                                           tmp_path):
    api = await replayed_mcp(aiohttp_server, aiohttp_client, tmp_path)

    response = await api.call("POST", f"{V1}/mcp", RW, json_body={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                              headers={"Origin": "https://attacker.example"})

    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert json.loads(response.raw_body) == {"jsonrpc": "2.0", "error": {
        "code": -32003, "message": "Forbidden origin", "data": {"code": "FORBIDDEN_ORIGIN"}}}


async def test_a_replayed_mcp_call_without_a_token_gets_the_servers_401(aiohttp_server, aiohttp_client, tmp_path):
    api = await replayed_mcp(aiohttp_server, aiohttp_client, tmp_path)

    response = await api.call("POST", f"{V1}/mcp", None, json_body={"jsonrpc": "2.0", "id": 7, "method": "tools/list"})

    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer resource_metadata="')
    assert json.loads(response.raw_body) == {"jsonrpc": "2.0", "id": 7, "error": {
        "code": -32001, "message": "Unauthorized", "data": {
            "code": "UNAUTHORIZED", "suggestion": "Sign in with OAuth or configure a Mogplex API token."}}}


async def test_a_replayed_mcp_call_that_is_not_json_gets_the_parse_error(aiohttp_server, aiohttp_client, tmp_path):
    api = await replayed_mcp(aiohttp_server, aiohttp_client, tmp_path)

    response = await api.call("POST", f"{V1}/mcp", RW, json_body=b"{not json",
                              headers={"Content-Type": "application/json"})

    assert response.status == 400
    assert json.loads(response.raw_body) == {"jsonrpc": "2.0", "id": None, "error": {
        "code": -32700, "message": "Parse error: invalid JSON"}}
