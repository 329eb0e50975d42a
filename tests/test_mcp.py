"""The MCP endpoint (v1 spec §10): transport rules, every method, tool and error code."""

from __future__ import annotations

import json

import pytest
from conftest import (
    OAUTH,
    OTHER_USER,
    READ_ONLY,
    RUNNING_SANDBOX,
    RW,
    SUCCESS_RUN,
    V1,
    WEB_REPO,
    Api,
    body_of,
)

MCP = V1 + "/mcp"
TOOL_NAMES = [
    "mogplex_list_repos", "mogplex_list_env_vars", "mogplex_set_env_var", "mogplex_delete_env_var",
    "mogplex_list_agents", "mogplex_list_models", "mogplex_list_sandboxes", "mogplex_create_sandbox",
    "mogplex_get_sandbox_logs", "mogplex_list_automations", "mogplex_get_automation", "mogplex_create_automation",
    "mogplex_update_automation", "mogplex_publish_automation", "mogplex_set_automation_model",
    "mogplex_trigger_automation", "mogplex_list_automation_runs", "mogplex_get_automation_run_logs",
    "mogplex_start_agent_run", "mogplex_get_run", "mogplex_get_run_events", "mogplex_cancel_run",
]
TRIAGE = "a1c2e3f4-0b1d-4e6f-8a2c-3d4e5f6a7b81"
AUDIT = "b2d3f4a5-1c2e-4f70-9b3d-4e5f6a7b8c92"
TRIAGE_RUN = "e5a6c7d8-4f51-42a3-8e60-7b8c9daebfc5"
UNAUTHORIZED_DATA = {"code": "UNAUTHORIZED", "suggestion": "Sign in with OAuth or configure a Mogplex API token."}


async def rpc(api: Api, payload, token: str | None = RW, headers: dict | None = None):
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await api.call("POST", MCP, token, data=data, headers={"Content-Type": "application/json", **(headers or {})})


async def call_tool(api: Api, name: str, arguments=None, token: str = RW, message_id=1):
    params = {"name": name} if arguments is None else {"name": name, "arguments": arguments}
    response = await rpc(api, {"jsonrpc": "2.0", "id": message_id, "method": "tools/call", "params": params}, token)
    assert response.status == 200
    return body_of(response)


async def tool_result(api: Api, name: str, arguments=None, token: str = RW):
    return (await call_tool(api, name, arguments, token))["result"]


# -- transport ------------------------------------------------------------------------

async def test_initialize_and_its_headers(api):
    response = await rpc(api, {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"anything": 1}})
    assert response.status == 200
    assert body_of(response) == {"jsonrpc": "2.0", "id": 0, "result": {
        "protocolVersion": "2025-11-25", "capabilities": {"tools": {"listChanged": False}},
        "serverInfo": {"name": "mogplex", "version": "0.1.0"},
        "instructions": "Use Mogplex tools to discover repos, agents, and models; manage env vars on a repo's "
                        "linked Vercel project; build, publish, trigger, and inspect automations; create "
                        "sandboxes and read their logs; or start and control one-off repo-bound agent runs."}}
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Mcp-Protocol-Version"] == "2025-11-25"
    assert "Vary" not in response.headers and "Mcp-Session-Id" not in response.headers


async def test_replies_are_json_whatever_accept_says(api):
    response = await rpc(api, {"jsonrpc": "2.0", "id": "p", "method": "ping"}, headers={"Accept": "text/event-stream"})
    assert response.headers["Content-Type"] == "application/json"
    assert body_of(response) == {"jsonrpc": "2.0", "id": "p", "result": {}}


async def test_notifications_are_202_with_no_body(api):
    response = await rpc(api, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert (response.status, response.raw_body) == (202, b"")
    assert response.headers["Cache-Control"] == "no-store" and "Content-Type" not in response.headers
    assert response.headers["Mcp-Protocol-Version"] == "2025-11-25"


async def test_unknown_methods_and_a_notification_sent_with_an_id(api):
    for method in ("notifications/initialized", "resources/list", "prompts/list"):
        body = body_of(await rpc(api, {"jsonrpc": "2.0", "id": 9, "method": method}))
        assert body == {"jsonrpc": "2.0", "id": 9, "error": {"code": -32601, "message": f"Method not found: {method}"}}


@pytest.mark.parametrize("message, echoed", [
    (5, None), ("text", None), (None, None),
    ({"jsonrpc": "1.0", "id": 3, "method": "ping"}, 3),
    ({"jsonrpc": "2.0", "id": "a", "method": 7}, "a"),
    ({"jsonrpc": "2.0", "id": True, "method": 7}, None),
    ({"jsonrpc": "2.0", "id": {"x": 1}}, None),
    ({"method": "ping"}, None),
])
async def test_invalid_requests_are_200_with_32600(api, message, echoed):
    response = await rpc(api, message)
    assert response.status == 200
    assert body_of(response) == {"jsonrpc": "2.0", "id": echoed, "error": {"code": -32600, "message": "Invalid Request"}}


async def test_batches(api):
    empty = await rpc(api, [])
    assert body_of(empty) == {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}}
    mixed = await rpc(api, [{"jsonrpc": "2.0", "id": 1, "method": "ping"},
                            {"jsonrpc": "2.0", "method": "notifications/initialized"},
                            {"jsonrpc": "2.0", "id": 2, "method": "nope"}, 4])
    assert body_of(mixed) == [
        {"jsonrpc": "2.0", "id": 1, "result": {}},
        {"jsonrpc": "2.0", "id": 2, "error": {"code": -32601, "message": "Method not found: nope"}},
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}}]
    only_notifications = await rpc(api, [{"jsonrpc": "2.0", "method": "a"}, {"jsonrpc": "2.0", "method": "b"}])
    assert (only_notifications.status, only_notifications.raw_body) == (202, b"")


async def test_parse_errors_come_before_auth(api):
    for body in (b"{nope", b""):
        response = await rpc(api, body, token=None)
        assert response.status == 400
        assert body_of(response) == {"jsonrpc": "2.0", "id": None,
                                     "error": {"code": -32700, "message": "Parse error: invalid JSON"}}


async def test_auth_comes_before_dispatch_even_for_notifications(api):
    for token, payload, echoed in ((None, {"jsonrpc": "2.0", "id": "abc", "method": "ping"}, "abc"),
                                   ("mog_nope", {"jsonrpc": "2.0", "method": "notifications/initialized"}, None),
                                   ("oauth-unknown", [{"jsonrpc": "2.0", "id": 1, "method": "ping"}], None),
                                   ("mog_nope", {"jsonrpc": "2.0", "id": [1], "method": "ping"}, None)):
        response = await rpc(api, payload, token=token)
        assert response.status == 401
        assert body_of(response) == {"jsonrpc": "2.0", "id": echoed, "error": {
            "code": -32001, "message": "Unauthorized", "data": UNAUTHORIZED_DATA}}
        assert response.headers["WWW-Authenticate"] == (
            f'Bearer resource_metadata="{api.origin}/.well-known/oauth-protected-resource/api/v1/mogplex/mcp"')


async def test_the_mcp_endpoint_is_public_at_the_edge(api):
    response = await rpc(api, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, token=None)
    assert response.status == 401  # JSON, not the 307 REST routes get


async def test_oauth_bearers_work(api):
    assert body_of(await rpc(api, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, token=OAUTH))["result"] == {}


async def test_a_pat_over_budget_gets_the_jsonrpc_429(api):
    for _ in range(60):
        await rpc(api, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, token=READ_ONLY)
    response = await rpc(api, {"jsonrpc": "2.0", "id": 61, "method": "ping"}, token=READ_ONLY)
    assert response.status == 429 and response.headers["Retry-After"] == "60"
    assert body_of(response) == {"jsonrpc": "2.0", "id": 61, "error": {
        "code": -32002, "message": "Rate limit exceeded",
        "data": {"code": "RATE_LIMITED", "suggestion": "Retry after the rate-limit window resets."}}}


async def test_each_tool_call_costs_one_more_unit_for_its_rest_hop(api):
    for _ in range(30):
        result = await tool_result(api, "mogplex_list_models", token=READ_ONLY)
        assert result["isError"] is False
    response = await rpc(api, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, token=READ_ONLY)
    assert response.status == 429


async def test_a_rest_hop_429_surfaces_as_a_tool_error(api):
    for _ in range(59):
        await rpc(api, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, token=READ_ONLY)
    result = await tool_result(api, "mogplex_list_models", token=READ_ONLY)
    assert result["isError"] is True
    assert result["structuredContent"]["error"]["code"] == "RATE_LIMITED"
    assert result["structuredContent"]["error"]["status"] == 429


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_get_and_head_are_405_with_allow(api, method):
    response = await api.call(method, MCP, token=None)
    assert (response.status, response.raw_body) == (405, b"")
    assert response.headers["Allow"] == "POST, OPTIONS" and response.headers["Cache-Control"] == "no-store"
    assert "Mcp-Protocol-Version" not in response.headers


async def test_other_methods_are_the_frameworks_405(api):
    for method in ("PUT", "DELETE", "PATCH"):
        response = await api.call(method, MCP, token=None)
        assert (response.status, response.raw_body) == (405, b"") and "Allow" not in response.headers


async def test_options_preflight(api):
    plain = await api.call("OPTIONS", MCP, token=None)
    assert plain.status == 204
    assert {key: plain.headers[key] for key in ("Cache-Control", "Vary", "Allow", "Access-Control-Allow-Headers",
                                                "Access-Control-Allow-Methods", "Access-Control-Max-Age")} == {
        "Cache-Control": "no-store", "Vary": "Origin", "Allow": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "authorization, content-type, mcp-protocol-version, mcp-session-id",
        "Access-Control-Allow-Methods": "POST, OPTIONS", "Access-Control-Max-Age": "86400"}
    assert "Access-Control-Allow-Origin" not in plain.headers
    same = await api.call("OPTIONS", MCP, token=None, headers={"Origin": api.origin})
    assert same.headers["Access-Control-Allow-Origin"] == api.origin
    foreign = await api.call("OPTIONS", MCP, token=None, headers={"Origin": "https://evil.example"})
    assert (foreign.status, foreign.raw_body) == (403, b"")
    assert foreign.headers["Vary"] == "Origin" and foreign.headers["Cache-Control"] == "no-store"


async def test_origin_rule_on_post(make_api):
    api = await make_api(mcp_allowed_origins=("https://app.example.dev",))
    foreign = await rpc(api, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers={"Origin": "https://evil.example"})
    assert foreign.status == 403
    assert body_of(foreign) == {"jsonrpc": "2.0", "error": {"code": -32003, "message": "Forbidden origin",
                                                            "data": {"code": "FORBIDDEN_ORIGIN"}}}
    assert "Access-Control-Allow-Origin" not in foreign.headers
    for origin in (api.origin, "https://app.example.dev"):
        allowed = await rpc(api, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers={"Origin": origin})
        assert allowed.status == 200
        assert allowed.headers["Access-Control-Allow-Origin"] == origin and allowed.headers["Vary"] == "Origin"


# -- tools/list ---------------------------------------------------------------------------

async def test_tools_list_has_the_22_tools_in_order(api):
    tools = body_of(await rpc(api, {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"cursor": "x"}}))
    tools = tools["result"]["tools"]
    assert [tool["name"] for tool in tools] == TOOL_NAMES
    by_name = {tool["name"]: tool for tool in tools}
    for tool in tools:
        assert list(tool) == ["name", "title", "description", "inputSchema", "annotations"]
        assert tool["annotations"]["openWorldHint"] is False
        for prop in tool["inputSchema"].get("properties", {}).values():
            assert prop["description"]
    assert by_name["mogplex_list_agents"]["inputSchema"] == {"type": "object", "additionalProperties": False}
    assert by_name["mogplex_list_repos"]["inputSchema"]["properties"]["limit"] == {
        "type": "integer", "minimum": 1, "maximum": 200, "description": "Maximum number of items to return."}
    assert "required" not in by_name["mogplex_list_repos"]["inputSchema"]
    assert list(by_name["mogplex_get_run"]["inputSchema"]) == ["type", "properties", "required", "additionalProperties"]
    assert by_name["mogplex_start_agent_run"]["inputSchema"]["required"] == ["repoId", "prompt"]
    assert by_name["mogplex_list_repos"]["annotations"] == {"readOnlyHint": True, "openWorldHint": False}
    assert by_name["mogplex_cancel_run"]["annotations"] == {
        "readOnlyHint": False, "destructiveHint": True, "idempotentHint": True, "openWorldHint": False}
    assert by_name["mogplex_create_automation"]["annotations"]["idempotentHint"] is False
    assert by_name["mogplex_list_env_vars"]["title"] == "List Mogplex Env Vars"
    assert "outputSchema" not in by_name["mogplex_get_run"]


# -- tools/call: arguments ------------------------------------------------------------------

@pytest.mark.parametrize("params, message", [
    (None, "tools/call requires params.name"),
    ({"arguments": {}}, "tools/call requires params.name"),
    ({"name": 5}, "tools/call requires params.name"),
    ({"name": "mogplex_get_run", "arguments": [1]}, "tools/call params.arguments must be an object"),
    ({"name": "mogplex_get_run", "arguments": "x"}, "tools/call params.arguments must be an object"),
    ({"name": "mogplex_rerun_pr_review", "arguments": {}}, "Unknown tool: mogplex_rerun_pr_review"),
    ({"name": "mogplex_get_run", "arguments": None}, "runId: Required"),
    ({"name": "mogplex_get_run"}, "runId: Required"),
    ({"name": "mogplex_get_run", "arguments": {"runId": "  "}}, "runId: String must contain at least 1 character(s)"),
    ({"name": "mogplex_list_repos", "arguments": {"foo": 1, "bar": 2}},
     "arguments: Unrecognized key(s) in object: 'foo', 'bar'"),
    ({"name": "mogplex_list_repos", "arguments": {"limit": 201}}, "limit: Number must be less than or equal to 200"),
    ({"name": "mogplex_list_repos", "arguments": {"limit": 0}}, "limit: Number must be greater than or equal to 1"),
    ({"name": "mogplex_list_repos", "arguments": {"limit": 2.5}}, "limit: Expected integer, received float"),
    ({"name": "mogplex_list_repos", "arguments": {"limit": "5"}}, "limit: Expected number, received string"),
    ({"name": "mogplex_start_agent_run", "arguments": {"repoId": WEB_REPO, "prompt": "p", "rootDirectory": ""}},
     "rootDirectory: String must contain at least 1 character(s)"),
    ({"name": "mogplex_start_agent_run", "arguments": {"repoId": WEB_REPO, "prompt": "p", "harness": "gpt"}},
     "harness: Invalid enum value. Expected 'codex' | 'claude-code', received 'gpt'"),
    ({"name": "mogplex_start_agent_run", "arguments": {"repoId": WEB_REPO, "prompt": "p", "createBranch": "yes"}},
     "createBranch: Expected boolean, received string"),
    ({"name": "mogplex_start_agent_run", "arguments": {"repoId": WEB_REPO, "prompt": "p",
                                                        "idempotencyKey": "k" * 201}},
     "idempotencyKey: String must contain at most 200 character(s)"),
    ({"name": "mogplex_set_env_var", "arguments": {"repoId": WEB_REPO, "key": "1X", "value": "v"}},
     "key: key must contain only letters, digits, and underscores and not start with a digit"),
    ({"name": "mogplex_trigger_automation", "arguments": {"automationId": TRIAGE, "repoId": WEB_REPO, "input": []}},
     "input: Expected object, received array"),
    ({"name": "mogplex_create_automation", "arguments": {"installationId": 48213,
                                                          "graph": {"nodes": [{"id": "a"}], "edges": []}}},
     "graph.nodes.0.type: Required; graph.nodes.0.position: Required; graph.nodes.0.data: Required"),
    ({"name": "mogplex_set_automation_model", "arguments": {"automationId": TRIAGE, "nodeId": "agent-1"}},
     "modelId: Required"),
], ids=lambda value: str(value)[:60])
async def test_argument_errors_are_32602_with_the_field_named(api, params, message):
    payload = {"jsonrpc": "2.0", "id": "v", "method": "tools/call"}
    if params is not None:
        payload["params"] = params
    body = body_of(await rpc(api, payload))
    assert body == {"jsonrpc": "2.0", "id": "v", "error": {"code": -32602, "message": message}}


# -- tools/call: results --------------------------------------------------------------------

async def rest_data(api: Api, method: str, path: str, body=None, headers=None):
    response = await api.call(method, V1 + path, json_body=body, headers=headers)
    return body_of(response)["data"]


async def test_read_tools_return_the_rest_data_and_their_sentence(api):
    cases = [
        ("mogplex_list_repos", {"query": "harbor", "limit": 2}, "/repos?q=harbor&limit=2", "Found 2 Mogplex repos."),
        ("mogplex_list_agents", {}, "/agents", "Found 43 Mogplex agents."),
        ("mogplex_list_models", None, "/models", "Found 6 enabled Mogplex models."),
        ("mogplex_list_sandboxes", {"repoId": WEB_REPO, "status": "running"},
         f"/sandboxes?repo_id={WEB_REPO}&status=running", "Found 1 Mogplex sandboxes."),
        ("mogplex_get_sandbox_logs", {"sandboxId": RUNNING_SANDBOX}, f"/sandboxes/{RUNNING_SANDBOX}/logs",
         f"Loaded sandbox logs and 3 lifecycle events for {RUNNING_SANDBOX}."),
        ("mogplex_list_automations", {"limit": 1}, "/automations?limit=1",
         "Found 1 Mogplex automation summaries. More are available with nextCursor."),
        ("mogplex_list_automations", {}, "/automations", "Found 3 Mogplex automation summaries."),
        ("mogplex_get_automation", {"automationId": TRIAGE}, f"/automations/{TRIAGE}",
         "Mogplex automation PR triage is active."),
        ("mogplex_list_automation_runs", {"automationId": TRIAGE, "limit": 5}, f"/automations/{TRIAGE}/runs?limit=5",
         f"Found 2 runs for automation {TRIAGE}."),
        ("mogplex_get_automation_run_logs", {"automationId": TRIAGE, "runId": TRIAGE_RUN},
         f"/automations/{TRIAGE}/runs/{TRIAGE_RUN}", f"Loaded logs for automation run {TRIAGE_RUN}. Status: success."),
        ("mogplex_get_run", {"runId": SUCCESS_RUN}, f"/runs/{SUCCESS_RUN}",
         f"Mogplex run {SUCCESS_RUN} is success on branch mogplex/external/3f9a0c1e-77b2d410."),
        ("mogplex_get_run_events", {"runId": SUCCESS_RUN, "limit": 2}, f"/runs/{SUCCESS_RUN}/events?limit=2",
         f"Found 2 events for Mogplex run {SUCCESS_RUN}. Latest: Run status changed to streaming."),
    ]
    for name, arguments, path, text in cases:
        result = await tool_result(api, name, arguments)
        assert result == {"content": [{"type": "text", "text": text}],
                          "structuredContent": await rest_data(api, "GET", path), "isError": False}, name


async def test_write_tools_act_on_the_same_world(make_api):
    api = await make_api("step:1")
    started = await tool_result(api, "mogplex_start_agent_run", {
        "repoId": f"  {WEB_REPO} ", "prompt": " Add a test ", "harness": "claude-code", "idempotencyKey": "m-1"})
    run = started["structuredContent"]["run"]
    assert run["replayed"] is False and run["harness"] == "claude-code"
    assert started["content"][0]["text"] == f"Started Mogplex run {run['runId']} on branch main. Status: pending."
    replay = await tool_result(api, "mogplex_start_agent_run", {"repoId": WEB_REPO, "prompt": "Add a test",
                                                                "harness": "claude-code", "idempotencyKey": "m-1"})
    assert replay["structuredContent"]["run"]["replayed"] is True
    assert (await rest_data(api, "GET", f"/runs/{run['runId']}"))["run"]["runId"] == run["runId"]
    cancelled = await tool_result(api, "mogplex_cancel_run", {"runId": run["runId"]})
    assert cancelled["content"][0]["text"] == f"Cancellation requested for Mogplex run {run['runId']}. Status: cancelled."
    again = await tool_result(api, "mogplex_cancel_run", {"runId": run["runId"]})
    assert again["content"][0]["text"] == cancelled["content"][0]["text"]
    assert again["structuredContent"]["alreadyTerminal"] is True
    sandbox = await tool_result(api, "mogplex_create_sandbox", {"repoId": WEB_REPO, "workingBranch": "agent/m",
                                                                "rootDirectory": None})
    record = sandbox["structuredContent"]["sandbox"]
    assert sandbox["content"][0]["text"] == f"Mogplex sandbox {record['id']} is running on branch agent/m."


async def test_runs_started_without_a_key_are_not_idempotent(api):
    first = await tool_result(api, "mogplex_start_agent_run", {"repoId": WEB_REPO, "prompt": "p"})
    second = await tool_result(api, "mogplex_start_agent_run", {"repoId": WEB_REPO, "prompt": "p"})
    assert first["structuredContent"]["run"]["runId"] != second["structuredContent"]["run"]["runId"]


async def test_automation_tools(api):
    created = await tool_result(api, "mogplex_create_automation", {"installationId": 48213, "name": "From MCP"})
    automation = created["structuredContent"]["automation"]
    assert created["content"][0]["text"] == f"Created Mogplex automation {automation['id']} (From MCP). Status: inactive."
    updated = await tool_result(api, "mogplex_update_automation", {"automationId": automation["id"], "notes": None})
    assert updated["content"][0]["text"] == f"Updated draft for Mogplex automation {automation['id']}."
    model = await tool_result(api, "mogplex_set_automation_model", {
        "automationId": automation["id"], "nodeId": "agent-1", "modelId": "openai/gpt-5-mini", "publish": True})
    assert model["content"][0]["text"] == (
        f"Updated model for node agent-1 in automation {automation['id']} and published it.")
    published = await tool_result(api, "mogplex_publish_automation", {"automationId": automation["id"]})
    assert published["content"][0]["text"] == f"Published and activated Mogplex automation {automation['id']}."
    assert published["structuredContent"]["automation"]["publishedVersion"]["versionNumber"] == 2
    triggered = await tool_result(api, "mogplex_trigger_automation", {
        "automationId": automation["id"], "repoId": WEB_REPO, "input": {"why": "test"}, "idempotencyKey": "t-1"})
    job = triggered["structuredContent"]["run"]
    assert triggered["content"][0]["text"] == (
        f"Automation {automation['id']} trigger outcome: queued. Job run: {job['jobRunId']}.")
    model_only = await tool_result(api, "mogplex_set_automation_model", {
        "automationId": automation["id"], "nodeId": "agent-1", "modelId": None})
    assert model_only["content"][0]["text"] == f"Updated model for node agent-1 in automation {automation['id']}."


async def test_a_suppressed_trigger_with_no_job_run_says_none(make_api, tmp_path):
    api = await make_api()
    results = [await tool_result(api, "mogplex_trigger_automation", {"automationId": TRIAGE, "repoId": WEB_REPO})
               for _ in range(26)]
    assert results[-1]["content"][0]["text"] == (
        f"Automation {TRIAGE} trigger outcome: suppressed. Job run: none.")
    assert results[-1]["structuredContent"]["run"]["reason"] == "REPO_PENDING_LIMIT"


@pytest.mark.parametrize("name, arguments, token, code, status, message, suggestion", [
    ("mogplex_cancel_run", {"runId": SUCCESS_RUN}, READ_ONLY, "FORBIDDEN", 403,
     "Missing required scope: write. Issue a new token with the 'write' scope at /settings/api-keys.",
     "Retry later or inspect Mogplex API logs for this request."),
    ("mogplex_get_run", {"runId": SUCCESS_RUN}, OTHER_USER, "NOT_FOUND", 404, "Run not found",
     "List repos or runs again and pass an id owned by this token."),
    ("mogplex_list_env_vars", {"repoId": WEB_REPO}, RW, "SERVICE_UNAVAILABLE", 501,
     "Vercel project environment variables require an API-capable Vercel integration and are not available.",
     "Retry later or inspect Mogplex API logs for this request."),
    ("mogplex_create_sandbox", {"repoId": WEB_REPO, "workingBranch": "bad branch"}, RW, "BAD_REQUEST", 400,
     "Invalid working branch", "Check the tool arguments and retry."),
    ("mogplex_trigger_automation", {"automationId": AUDIT, "repoId": WEB_REPO}, RW, "CONFLICT", 409,
     "Publish the automation before triggering it", "Refresh the run state; it may no longer be active."),
    ("mogplex_get_run", {"runId": "not-a-uuid"}, RW, "INTERNAL_ERROR", 500, "Failed to load run",
     "Retry later or inspect Mogplex API logs for this request."),
    ("mogplex_get_sandbox_logs", {"sandboxId": "."}, RW, "HTTP_ERROR", 404, "Mogplex API request failed with HTTP 404",
     "Retry later or inspect Mogplex API logs for this request."),
], ids=lambda value: value if isinstance(value, str) and value.startswith("mogplex") else None)
async def test_rest_failures_become_tool_errors(api, name, arguments, token, code, status, message, suggestion):
    result = await tool_result(api, name, arguments, token)
    assert result == {"content": [{"type": "text", "text": f"{message}. {suggestion}"}],
                      "structuredContent": {"error": {"code": code, "status": status, "message": message,
                                                      "suggestion": suggestion}},
                      "isError": True}


async def test_idempotency_conflicts_through_the_tool(api):
    await tool_result(api, "mogplex_start_agent_run", {"repoId": WEB_REPO, "prompt": "a", "idempotencyKey": "same"})
    result = await tool_result(api, "mogplex_start_agent_run", {"repoId": WEB_REPO, "prompt": "b",
                                                                "idempotencyKey": "same"})
    assert result["structuredContent"]["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert result["content"][0]["text"].endswith("Retry with a new idempotency key or reuse the original request.")


async def test_env_var_tools_in_a_working_world(working_env_api):
    api = working_env_api
    created = await tool_result(api, "mogplex_set_env_var", {"repoId": WEB_REPO, "key": "API_URL", "value": "x"})
    assert created["content"][0]["text"] == "Created env var API_URL on the linked Vercel project."
    updated = await tool_result(api, "mogplex_set_env_var", {"repoId": WEB_REPO, "key": "API_URL", "value": "y",
                                                             "target": ["preview"], "type": "plain"})
    assert updated["content"][0]["text"] == "Updated 1 API_URL env var entry on the linked Vercel project."
    listed = await tool_result(api, "mogplex_list_env_vars", {"repoId": WEB_REPO})
    assert listed["content"][0]["text"] == "Found 1 env vars on the linked Vercel project. Values are not returned."
    deleted = await tool_result(api, "mogplex_delete_env_var", {"repoId": WEB_REPO, "key": "API_URL"})
    assert deleted["content"][0]["text"] == "Deleted 1 API_URL env var entry from the linked Vercel project."
