"""The reusable-behaviour family, exact against the server's handlers: /api/mcp-servers,
/api/skills, /api/rules, /api/commands, /api/connections and a connection's test."""

from __future__ import annotations

import re
import shutil

import pytest

from conftest import OTHER_USER, REPO_ROOT, RW, WEB_REPO, body_of

FIXTURE_CONNECTION = "github"
NOW = "2026-05-17T10:00:00+00:00"


async def _api_with(make_api, tmp_path, setting: str, value: str):
    """The default world with one world.yaml setting changed."""
    world = tmp_path / f"{setting}-{value}"
    shutil.copytree(REPO_ROOT / "fixtures", world)
    config = world / "world.yaml"
    text = config.read_text()
    config.write_text(re.sub(rf"(?m)^{setting}: .*$", f"{setting}: {value}", text))
    return await make_api(fixtures_dir=world)


async def _connection_id(api, name: str = FIXTURE_CONNECTION) -> str:
    listed = body_of(await api.internal("GET", "/api/connections"))["connections"]
    return next(row["id"] for row in listed if row["name"] == name)


# -- auth and framework answers -------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("GET", "/api/skills"), ("POST", "/api/rules"), ("DELETE", "/api/commands?id=x"),
    ("GET", "/api/connections"), ("POST", "/api/connections/x/test"),
])
async def test_session_only_routes_send_a_pat_to_login(api, method, path):
    response = await api.internal(method, path, session=None, token=RW)
    assert response.status == 307 and "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_mcp_servers_take_a_pat_and_refuse_no_caller(api, method):
    assert (await api.internal("GET", "/api/mcp-servers", session=None, token=RW)).status == 200
    refused = await api.internal(method, "/api/mcp-servers", session=None, token="mog_nope", json_body={})
    assert (refused.status, body_of(refused)) == (401, {"error": "Unauthorized"})


@pytest.mark.parametrize("method, path", [
    ("PUT", "/api/mcp-servers"), ("PATCH", "/api/skills"), ("PUT", "/api/commands"), ("PUT", "/api/connections"),
    ("GET", "/api/connections/x/test"),
])
async def test_unexported_methods_are_empty_405s(api, method, path):
    response = await api.internal(method, path)
    assert (response.status, response.raw_body) == (405, b"")


# -- /api/mcp-servers -------------------------------------------------------------------------------

async def test_mcp_server_create_answers_the_web_record(api):
    created = await api.internal("POST", "/api/mcp-servers", json_body={
        "name": " fs ", "transport": "stdio", "command": " npx ", "args": ["-y"], "envPlain": {" A ": "1"},
        "envSecrets": {"TOKEN": "t"}, "headerPlain": {"X": "dropped"}, "extra": {"timeout_ms": 5}})
    server = body_of(created)["server"]
    assert created.status == 201
    assert server == {"id": server["id"], "name": "fs", "enabled": True, "transport": "stdio", "command": "npx",
                      "args": ["-y"], "envPlain": {"A": "1"}, "envSecretNames": ["TOKEN"], "url": None,
                      "headerPlain": {}, "headerSecretNames": [], "extra": {"timeout_ms": 5},
                      "createdAt": NOW, "updatedAt": NOW}
    listed = body_of(await api.internal("GET", "/api/mcp-servers"))["servers"]
    assert listed[0]["name"] == "fs"


@pytest.mark.parametrize("body, code, message", [
    ([], "INVALID_MCP_SERVER", "request body must be an object"),
    ({"name": "a", "enabled": "yes"}, "INVALID_MCP_SERVER", "enabled must be a boolean"),
    ({"name": "a", "transport": "http", "args": "x"}, "INVALID_MCP_SERVER", "args must be an array"),
    ({"name": "a", "transport": "http", "args": [1]}, "INVALID_MCP_SERVER", "args[0] must be a string"),
    ({"name": "a", "transport": "http", "envPlain": {" ": "x"}}, "INVALID_MCP_SERVER", "envPlain contains an empty key"),
    ({"name": "a", "transport": "http", "envSecrets": {"K": " "}}, "INVALID_MCP_SERVER",
     "envSecrets.K must be a non-empty string"),
    ({"name": "a", "transport": "http", "extra": {"url": "x"}}, "INVALID_EXTRA", "extra.url is reserved for http servers"),
    ({"name": "a", "transport": "http", "headerPlain": {"K": "1"}, "headerSecrets": {"K": "2"}},
     "INVALID_DUPLICATE_KEY", "headers cannot contain the same key in both plain and secret maps"),
    ({"name": "a", "transport": "http", "command": "x"}, "INVALID_TRANSPORT_FIELDS",
     "http servers cannot include command"),
])
async def test_mcp_server_validation_in_the_servers_order(api, body, code, message):
    response = await api.internal("POST", "/api/mcp-servers", json_body=body)
    assert (response.status, body_of(response)) == (400, {"error": message, "code": code})


async def test_mcp_server_malformed_json_is_a_caught_500(api):
    response = await api.internal("POST", "/api/mcp-servers", json_body=b"")
    assert (response.status, body_of(response)) == (500, {"error": "Unexpected end of JSON input"})
    response = await api.internal("POST", "/api/mcp-servers", json_body=b"nope")
    assert body_of(response) == {"error": "Unexpected token 'n', \"nope\" is not valid JSON"}


async def test_another_users_servers_and_names_are_theirs(api):
    mine = body_of(await api.internal("GET", "/api/mcp-servers", session=None, token=OTHER_USER))["servers"]
    assert [server["name"] for server in mine] == ["datadog"]
    created = await api.internal("POST", "/api/mcp-servers", session=None, token=OTHER_USER,
                                 json_body={"name": "linear", "transport": "http", "url": "https://x.example.dev"})
    assert created.status == 201


# -- /api/skills, /api/rules, /api/commands --------------------------------------------------------

async def test_skill_create_list_update_delete(api):
    created = body_of(await api.internal("POST", "/api/skills", json_body={"name": "Deploy", "content": "c"}))
    assert created == {"id": created["id"], "user_id": "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10", "name": "Deploy",
                       "description": None, "type": "runbook", "content": "c", "model": "minimax/minimax-m2.7",
                       "is_public": False, "tags": [], "usage_count": 0, "created_at": NOW, "updated_at": NOW,
                       "scope": "global"}
    listed = body_of(await api.internal("GET", "/api/skills?q=de_l*"))
    assert listed == [{key: created[key] for key in created if key not in ("user_id", "type", "model")}]
    updated = body_of(await api.internal("PUT", "/api/skills", json_body={"id": created["id"], "tags": ["a"]}))
    assert updated["tags"] == ["a"] and list(updated) == list(created)
    assert body_of(await api.internal("DELETE", f"/api/skills?id={created['id']}")) == {"ok": True}
    assert body_of(await api.internal("GET", "/api/skills")) == []


@pytest.mark.parametrize("method, path, body, message", [
    ("POST", "/api/skills", {"name": "x"},
     'null value in column "content" of relation "skills" violates not-null constraint'),
    ("POST", "/api/skills", {"name": "x", "content": "c", "type": "other"},
     'new row for relation "skills" violates check constraint "skills_type_check"'),
    ("POST", "/api/skills", {"name": "x", "content": "c", "is_public": "maybe"},
     'invalid input syntax for type boolean: "maybe"'),
    ("POST", "/api/commands", {"name": "x", "template": "t", "color": "red"},
     "postgrest-shim: unknown column custom_commands.color"),
    ("POST", "/api/rules", {"content": "c"},
     'null value in column "name" of relation "agent_rules" violates not-null constraint'),
    ("PUT", "/api/skills", {"content": "x"}, "JSON object requested, multiple (or no) rows returned"),
    ("PUT", "/api/skills", {"id": "4d1f3c2b-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "content": "x"},
     "JSON object requested, multiple (or no) rows returned"),
    ("PUT", "/api/rules", {"id": "nope", "name": "x"}, 'invalid input syntax for type uuid: "nope"'),
    ("PUT", "/api/rules", {"id": "nope"}, 'syntax error at or near "where"'),
    ("DELETE", "/api/skills?id=nope", None, 'invalid input syntax for type uuid: "nope"'),
])
async def test_database_errors_are_echoed_as_500s(api, method, path, body, message):
    response = await api.internal(method, path, json_body=body)
    assert (response.status, body_of(response)) == (500, {"error": message})


async def test_supabase_backend_words_its_errors_its_own_way(make_api, tmp_path):
    api = await _api_with(make_api, tmp_path, "session_backend", "supabase")
    cookie = {"Cookie": "sb-mockplex-auth-token=mpx_session_dana_dev_0001"}
    response = await api.internal("PUT", "/api/skills", session=None, headers=cookie, json_body={"content": "x"})
    assert (response.status, body_of(response)) == (500, {"error": 'invalid input syntax for type uuid: "undefined"'})


@pytest.mark.parametrize("method, path", [("POST", "/api/skills"), ("PUT", "/api/rules"), ("POST", "/api/commands")])
async def test_unguarded_json_is_an_empty_500(api, method, path):
    response = await api.internal(method, path, json_body=b"{")
    assert (response.status, response.raw_body) == (500, b"")


async def test_rules_table_comes_from_the_body_on_writes_and_the_query_on_reads(api):
    skill = body_of(await api.internal("POST", "/api/rules?table=agent_rules",
                                       json_body={"table": "agent_skills", "name": "S"}))
    assert skill == {"id": skill["id"], "user_id": skill["user_id"], "name": "S", "content": "", "type": "skills",
                     "created_at": NOW}
    assert body_of(await api.internal("GET", "/api/rules?table=agent_skills")) == [skill]
    assert body_of(await api.internal("GET", "/api/rules")) == []
    gone = await api.internal("DELETE", f"/api/rules?id={skill['id']}")
    assert body_of(gone) == {"ok": True}
    assert body_of(await api.internal("GET", "/api/rules?table=agent_skills")) == [skill]


async def test_another_users_rows_are_invisible_and_untouched(api):
    command = body_of(await api.internal("POST", "/api/commands", json_body={"name": "ship", "template": "t"}))
    robin = {"session": "mpx_session_robin_dev_0001"}
    assert body_of(await api.internal("GET", "/api/commands", **robin)) == []
    assert body_of(await api.internal("DELETE", f"/api/commands?id={command['id']}", **robin)) == {"ok": True}
    assert body_of(await api.internal("GET", "/api/commands")) == [command]


# -- /api/connections -------------------------------------------------------------------------------

async def test_connections_list_in_the_servers_columns(api):
    github = body_of(await api.internal("GET", "/api/connections"))["connections"][0]
    assert github == {
        "id": github["id"], "user_id": "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10", "name": "github",
        "type": "mcp_server", "base_url": None, "auth_type": "bearer", "auth_header": "Authorization",
        "mcp_transport": "http", "mcp_url": "https://api.githubcopilot.example.dev/mcp/", "description": None,
        "is_enabled": True, "health_status": "unknown", "scope": "global", "repo_id": None,
        "oauth_client_id": None, "oauth_authorize_url": None, "oauth_token_url": None, "oauth_scopes": None,
        "oauth_authorized_at": None, "oauth_token_expires_at": None, "source_preset": None,
        "last_tested_at": None, "last_test_error": None, "last_test_http_status": None,
        "last_test_tool_count": None, "created_at": "2026-02-20T12:00:00+00:00",
        "updated_at": "2026-02-20T12:00:00+00:00"}


async def test_custom_rest_connection_is_created_with_table_defaults(api):
    created = await api.internal("POST", "/api/connections", json_body={
        "type": "rest_api", "name": " Status ", "base_url": "https://Status.Example.dev", "auth_type": "basic",
        "credentials": "dXNlcg==", "scope": "project", "repo_id": WEB_REPO})
    row = body_of(created)["connection"]
    assert created.status == 201
    assert {key: row[key] for key in ("name", "type", "base_url", "auth_type", "auth_header", "mcp_transport",
                                      "scope", "repo_id", "health_status")} == {
        "name": "Status", "type": "rest_api", "base_url": "https://status.example.dev/", "auth_type": "basic",
        "auth_header": "Authorization", "mcp_transport": None, "scope": "project", "repo_id": WEB_REPO,
        "health_status": "unknown"}


@pytest.mark.parametrize("body, status, answer", [
    (None, 400, {"error": "Connection payload is required", "code": "INVALID_CONNECTION"}),
    ({"source_preset": "supabase", "scope": "project"}, 400,
     {"error": "repo_id is required for project-scoped connections", "code": "INVALID_CONNECTION"}),
    ({"source_preset": "supabase"}, 400, {"error": "Supabase requires a credential", "code": "INVALID_CONNECTION"}),
    ({"source_preset": "zapier"}, 400,
     {"error": "Zapier requires the full MCP server URL", "code": "INVALID_CONNECTION"}),
    ({"name": "x"}, 400, {"error": "Connection type must be rest_api or mcp_server", "code": "INVALID_CONNECTION"}),
    ({"type": "mcp_server", "name": "x", "auth_type": "digest"}, 400,
     {"error": "Unsupported auth type", "code": "INVALID_CONNECTION"}),
    ({"type": "mcp_server", "name": "x", "mcp_url": "ftp://x.dev"}, 400,
     {"error": "mcp_url must use http or https", "code": "INVALID_CONNECTION"}),
    ({"type": "mcp_server", "name": "x", "mcp_url": "http://10.0.0.4/mcp"}, 400,
     {"error": "mcp_url must target a public host", "code": "INVALID_CONNECTION"}),
    ({"type": "rest_api", "name": "x", "base_url": "nope"}, 400,
     {"error": "base_url must be a valid URL", "code": "INVALID_CONNECTION"}),
    ({"type": "mcp_server", "name": "x", "mcp_url": "https://m.dev", "auth_type": "bearer"}, 400,
     {"error": "Credential is required for authenticated MCP connections", "code": "INVALID_CONNECTION"}),
    ({"type": "mcp_server", "name": "x", "mcp_url": "https://m.dev", "auth_type": "oauth", "credentials": "s"}, 400,
     {"error": "oauth_client_id is required", "code": "INVALID_CONNECTION"}),
    ({"source_preset": "notion", "scope": "project", "repo_id": "not-a-uuid"}, 404,
     {"error": "Repo not found", "code": "REPO_NOT_FOUND"}),
])
async def test_connection_create_refusals(api, body, status, answer):
    response = await api.internal("POST", "/api/connections", json_body="null" if body is None else body)
    assert (response.status, body_of(response)) == (status, answer)


async def test_a_preset_connects_once_and_the_mcp_cap_holds(api):
    first = body_of(await api.internal("POST", "/api/connections", json_body={"source_preset": "notion"}))
    again = await api.internal("POST", "/api/connections", json_body={"source_preset": "notion"})
    assert (again.status, body_of(again)) == (409, {"error": "Notion is already connected from this preset",
                                                    "code": "PRESET_ALREADY_CONNECTED",
                                                    "connection": first["connection"]})
    for index in range(2):
        await api.internal("POST", "/api/connections", json_body={
            "type": "mcp_server", "name": f"m{index}", "mcp_url": "https://m.example.dev"})
    capped = await api.internal("POST", "/api/connections", json_body={
        "type": "mcp_server", "name": "sixth", "mcp_url": "https://m.example.dev"})
    assert (capped.status, body_of(capped)) == (400, {"error": "Maximum 5 MCP connections allowed"})
    rest = await api.internal("POST", "/api/connections", json_body={
        "type": "rest_api", "name": "api", "base_url": "https://api.example.dev"})
    assert rest.status == 201


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_patch_and_delete_check_id_then_ownership(api, method):
    theirs = await api.internal(method, "/api/connections", json_body={"id": "x", "is_enabled": True})
    assert (theirs.status, body_of(theirs)) == (403, {"error": "Forbidden"})
    mine = await _connection_id(api)
    robin = await api.internal(method, "/api/connections", session="mpx_session_robin_dev_0001",
                               json_body={"id": mine, "is_enabled": True})
    assert (robin.status, body_of(robin)) == (403, {"error": "Forbidden"})
    for body, answer in (({}, {"error": "id required"}),
                         (None, {"error": "Cannot destructure property 'id' of '(intermediate value)' as it is null."})):
        response = await api.internal(method, "/api/connections", json_body="null" if body is None else body)
        assert body_of(response) == answer


async def test_patch_checks_the_flag_after_ownership_then_toggles_the_cli_export(api):
    github = await _connection_id(api)
    bad = await api.internal("PATCH", "/api/connections", json_body={"id": github, "is_enabled": "no"})
    assert (bad.status, body_of(bad)) == (400, {"error": "is_enabled must be a boolean"})
    done = await api.internal("PATCH", "/api/connections", json_body={"id": github, "is_enabled": False})
    assert body_of(done) == {"ok": True}
    cli = body_of(await api.internal("GET", "/api/mcp-servers?format=cli"))
    assert "github" not in [server["name"] for server in cli]


async def test_connection_create_fails_without_encryption(make_api, tmp_path):
    api = await _api_with(make_api, tmp_path, "connections_encryption", "missing")
    refused = await api.internal("POST", "/api/connections", json_body={"source_preset": "linear",
                                                                        "credentials": "lin_api_x"})
    unavailable = {"error": "Connections are temporarily unavailable. Please try again in a minute.",
                   "code": "CONNECTIONS_UNAVAILABLE"}
    assert (refused.status, body_of(refused)) == (503, unavailable)
    tested = await api.internal("POST", f"/api/connections/{await _connection_id(api)}/test")
    assert (tested.status, body_of(tested)) == (503, unavailable)


# -- POST /api/connections/{id}/test ----------------------------------------------------------------

async def test_testing_a_connection_records_the_result(api):
    github = await _connection_id(api)
    tested = await api.internal("POST", f"/api/connections/{github}/test")
    assert body_of(tested) == {"healthy": True, "status": "healthy", "summary": "12 tools detected",
                               "toolCount": 12, "testedAt": "2026-05-17T10:00:00.000Z"}
    row = body_of(await api.internal("GET", "/api/connections"))["connections"][0]
    assert (row["health_status"], row["last_tested_at"], row["last_test_tool_count"]) == ("healthy", NOW, 12)


async def test_an_unauthorized_oauth_connection_fails_its_test(api):
    notion = body_of(await api.internal("POST", "/api/connections", json_body={"source_preset": "notion"}))
    tested = await api.internal("POST", f"/api/connections/{notion['connection']['id']}/test")
    message = "OAuth authorization required — connect this preset first"
    assert body_of(tested) == {"healthy": False, "status": "auth_failed", "summary": message, "error": message,
                               "testedAt": "2026-05-17T10:00:00.000Z"}


@pytest.mark.parametrize("connection_id", ["nope", "4d1f3c2b-1a2b-4c3d-8e9f-0a1b2c3d4e5f"])
async def test_an_unknown_connection_is_not_found(api, connection_id):
    response = await api.internal("POST", f"/api/connections/{connection_id}/test")
    assert (response.status, body_of(response)) == (404, {"error": "Connection not found"})


async def test_another_users_connection_is_not_found(api):
    github = await _connection_id(api)
    response = await api.internal("POST", f"/api/connections/{github}/test", session="mpx_session_robin_dev_0001")
    assert (response.status, body_of(response)) == (404, {"error": "Connection not found"})


@pytest.mark.parametrize("probe, rest_answer, mcp_answer", [
    ("auth_failed", {"status": "auth_failed", "summary": "HTTP 401", "error": "HTTP 401", "httpStatus": 401},
     {"status": "auth_failed", "summary": "MCP HTTP Transport Error: POSTing to endpoint (HTTP 401): Unauthorized"}),
    ("unreachable", {"status": "unreachable", "summary": "fetch failed", "error": "fetch failed"},
     {"status": "unreachable", "summary": "fetch failed"}),
])
async def test_probe_outcomes_are_a_world_setting(make_api, tmp_path, probe, rest_answer, mcp_answer):
    api = await _api_with(make_api, tmp_path, "connection_probe", probe)
    rest = body_of(await api.internal("POST", "/api/connections", json_body={
        "type": "rest_api", "name": "api", "base_url": "https://api.example.dev"}))["connection"]
    tested = body_of(await api.internal("POST", f"/api/connections/{rest['id']}/test"))
    assert tested == {"healthy": False, **rest_answer, "testedAt": "2026-05-17T10:00:00.000Z"}
    mcp = body_of(await api.internal("POST", f"/api/connections/{await _connection_id(api)}/test"))
    assert {key: mcp[key] for key in ("status", "summary")} == mcp_answer
