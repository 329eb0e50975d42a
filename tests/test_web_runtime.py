"""The runtime family of the web app's routes (sandboxes, chat, realtime), as the server's code answers."""

from __future__ import annotations

import json

import pytest
from conftest import API_REPO, OTHER_USER, READ_ONLY, RUNNING_SANDBOX, RW, body_of


PAUSED_SANDBOX = "6f2a4b8c-3d5e-4f70-9bac-1d2e3f4a5b6c"
OTHER_USERS_SANDBOX = "8b4c6dae-5f70-4192-bdce-3f4a5b6c7d8e"
DANAS_TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"
STRANGERS_TEAM = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
BASH_DENIED = {"error": "Your team role does not allow this sandbox operation (tools.bash)."}


def sse_json(raw: bytes) -> list:
    return [json.loads(frame[len("data: "):]) for frame in raw.decode().split("\n\n") if frame]


# -- GET /api/sandbox ---------------------------------------------------------------------------

async def test_list_cli_names_the_workspace_and_full_records_carry_the_lifetime(api):
    cli = body_of(await api.internal("GET", "/api/sandbox?format=cli"))
    assert cli[0] == {"id": RUNNING_SANDBOX, "sandboxId": "sbx_8d2kq7wz1m4p", "repo": "harborlight/web",
                      "workspace": "Imported Repos", "branch": "agent/docs-refresh", "status": "running",
                      "createdAt": "2026-05-16T14:02:11.4+00:00",
                      "url": "https://sbx-8d2kq7wz1m4p.preview.mockplex.dev"}
    full = body_of(await api.internal("GET", "/api/sandbox", session=None, token=READ_ONLY))["sandboxes"][0]
    assert list(full["runtime_summary"].items())[4:] == [
        ("last_health_check_at", None), ("last_preview_http_status", 200), ("boot_attempts", 1),
        ("last_boot_started_at", "2026-05-16T14:02:11.4+00:00"),
        ("last_boot_completed_at", "2026-05-16T15:47:52.083+00:00"),
        ("effective_timeout_ms", 18_000_000), ("persistent", False)]
    assert full["terminal_cwd"] == "apps/web"


@pytest.mark.parametrize(("team", "status", "body"), [
    (STRANGERS_TEAM, 403, {"error": "Forbidden"}),
    (DANAS_TEAM, 200, {"sandboxes": []}),  # the team scope holds none of Dana's personal sandboxes
    ("not-a-uuid", 200, None),
])
async def test_list_team_scope(api, team, status, body):
    response = await api.internal("GET", "/api/sandbox", headers={"x-mogplex-team-id": team})
    assert response.status == status
    assert body is None or body_of(response) == body


# -- GET|DELETE /api/sandbox/{id} -----------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("sandbox", [OTHER_USERS_SANDBOX, "not-a-uuid", "00000000-0000-4000-8000-000000000000"])
async def test_detail_not_found(api, method, sandbox):
    response = await api.internal(method, f"/api/sandbox/{sandbox}")
    message = "Not found" if method == "GET" else "Sandbox not found"
    assert (response.status, body_of(response)) == (404, {"error": message})


async def test_detail_records_a_vm_that_is_not_running_as_gone(api):
    paused = body_of(await api.internal("GET", f"/api/sandbox/{PAUSED_SANDBOX}", headers={
        "x-mogplex-team-id": STRANGERS_TEAM}))["sandbox"]
    assert (paused["stop_reason"], paused["runtime_summary"]["status"], paused["runtime_summary"]["health_status"]) \
        == ("vm_gone", "stopped", "stopped")
    running = body_of(await api.internal("GET", f"/api/sandbox/{RUNNING_SANDBOX}", token=RW, session=None))
    assert running["sandbox"]["runtime_summary"]["status"] == "running"


async def test_delete_removes_the_row_and_echoes_the_path_id(api):
    path_id = RUNNING_SANDBOX.upper()
    response = await api.internal("DELETE", f"/api/sandbox/{path_id}", session=None, token=RW)
    assert (response.status, body_of(response)) == (200, {"ok": True, "sandboxId": path_id})
    assert (await api.internal("GET", f"/api/sandbox/{RUNNING_SANDBOX}")).status == 404
    listed = body_of(await api.get("/sandboxes"))["data"]["sandboxes"]
    assert RUNNING_SANDBOX not in [sandbox["id"] for sandbox in listed]


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", f"/api/sandbox/{RUNNING_SANDBOX}"), ("POST", f"/api/sandbox/{RUNNING_SANDBOX}/exec"),
    ("POST", "/api/sandbox")])
async def test_bash_routes_refuse_a_team_the_caller_has_no_role_in(api, method, path):
    response = await api.internal(method, path, json_body={}, headers={"x-mogplex-team-id": STRANGERS_TEAM})
    assert (response.status, body_of(response)) == (403, BASH_DENIED)


async def test_detail_wrong_method_and_auth(api):
    put = await api.internal("PUT", f"/api/sandbox/{RUNNING_SANDBOX}")
    assert (put.status, put.raw_body) == (405, b"")
    assert (await api.internal("GET", f"/api/sandbox/{RUNNING_SANDBOX}", session=None)).status == 307
    other = await api.internal("GET", f"/api/sandbox/{RUNNING_SANDBOX}", session=None, token=OTHER_USER)
    assert (other.status, body_of(other)) == (404, {"error": "Not found"})


# -- POST /api/sandbox ----------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "status", "answer"), [
    ({}, 400, {"error": "repoId required"}),
    ({"repoId": ""}, 400, {"error": "repoId required"}),
    ({"repoId": 0}, 400, {"error": "repoId required"}),
    ({"repoId": "   "}, 404, {"error": "Repo not found"}),  # truthy, so it reaches the lookup
    ({"repoId": {}}, 404, {"error": "Repo not found"}),
    ([], 400, {"error": "repoId required"}),
])
async def test_create_validation(api, body, status, answer):
    response = await api.internal("POST", "/api/sandbox", json_body=body)
    assert (response.status, body_of(response)) == (status, answer)


@pytest.mark.parametrize("raw", ["null", "{not json"])
async def test_create_unreadable_body_is_an_empty_500(api, raw):
    response = await api.internal("POST", "/api/sandbox", json_body=raw)
    assert (response.status, response.raw_body) == (500, b"")


async def test_create_reuse_record_lacks_the_unselected_columns(api):
    body = {"repoId": API_REPO, "workingBranch": "agent/reuse"}
    booted = sse_json((await api.internal("POST", "/api/sandbox", json_body=body)).raw_body)
    reused = body_of(await api.internal("POST", "/api/sandbox", json_body=body))["sandbox"]
    assert reused["id"] == booted[-1]["sandbox"]["id"]
    assert reused["runtime_summary"]["last_health_check_at"] is None
    assert "effective_timeout_ms" not in reused["runtime_summary"]


# -- POST /api/sandbox/{id}/exec ------------------------------------------------------------------

@pytest.mark.parametrize(("sandbox", "body", "status", "answer"), [
    # the command is checked before the sandbox is looked up
    ("not-a-uuid", {}, 400, {"error": "command required"}),
    (OTHER_USERS_SANDBOX, {"command": ""}, 400, {"error": "command required"}),
    (OTHER_USERS_SANDBOX, {"command": "ls"}, 404, {"error": "Not found"}),
    ("not-a-uuid", {"command": "ls"}, 404, {"error": "Not found"}),
    (RUNNING_SANDBOX, [], 400, {"error": "command required"}),
])
async def test_exec_check_order(api, sandbox, body, status, answer):
    response = await api.internal("POST", f"/api/sandbox/{sandbox}/exec", json_body=body)
    assert (response.status, body_of(response)) == (status, answer)


@pytest.mark.parametrize(("body", "answer"), [
    ({"command": "   "}, {"exitCode": 127, "stdout": "", "stderr": "sh: : command not found\n", "cwd": "apps/web"}),
    ({"command": "pwd"}, {"exitCode": 0, "stdout": "/vercel/sandbox/apps/web\n", "stderr": "", "cwd": "apps/web"}),
    ({"command": "pwd", "cwd": "src"}, {"exitCode": 0, "stdout": "/vercel/sandbox/src\n", "stderr": "", "cwd": "src"}),
    ({"command": "cd .."}, {"exitCode": 0, "stdout": "", "stderr": "", "cwd": "/vercel/sandbox/apps"}),
    ({"command": "psql"}, {"exitCode": 1, "stdout": "", "cwd": "apps/web",
                           "stderr": "`psql` opens an interactive prompt and needs a PTY.\n"
                                     "Pass a one-shot command with `-c` / `-e` / `--eval` instead."}),
    ({"command": "python3"}, {"exitCode": 1, "stdout": "", "cwd": "apps/web",
                              "stderr": "`python3` started with no arguments drops into a REPL and hangs without a "
                                        'TTY.\nTry: python3 -c "..."  or pass a script file.'}),
    ({"command": True}, {"exitCode": 0, "stdout": "", "stderr": "", "cwd": "apps/web"}),
])
async def test_exec_immediate_answers(api, body, answer):
    response = await api.internal("POST", f"/api/sandbox/{RUNNING_SANDBOX}/exec", json_body=body)
    assert (response.status, body_of(response)) == (200, answer)
    assert response.headers["x-mogplex-exec-mode"] == "immediate"


async def test_exec_at_the_repo_root_reports_dot_and_streams_on_request(api):
    response = await api.internal("POST", f"/api/sandbox/{PAUSED_SANDBOX}/exec", json_body={"command": "echo hi"},
                                  headers={"Accept": "text/event-stream"}, session=None, token=RW)
    assert response.headers["Cache-Control"] == "no-cache, no-transform"
    frames = sse_json(response.raw_body)
    assert frames[0] == {"type": "run", "cmdId": response.headers["X-Exec-Cmd-Id"]}
    assert frames[1:] == [{"type": "log", "stream": "stdout", "data": "hi\n"},
                          {"type": "done", "exitCode": 0, "cwd": "."}]
    assert "x-mogplex-exec-mode" not in response.headers


@pytest.mark.parametrize("raw", ["null", "{not json"])
async def test_exec_unreadable_body_is_an_empty_500(api, raw):
    response = await api.internal("POST", f"/api/sandbox/{RUNNING_SANDBOX}/exec", json_body=raw)
    assert (response.status, response.raw_body) == (500, b"")


# -- POST /api/chat -------------------------------------------------------------------------------

async def test_chat_fails_to_start_as_a_world_setting(world_api):
    api = await world_api(chat_model="fails_to_start")
    response = await api.internal("POST", "/api/chat", json_body={"messages": []})
    assert (response.status, body_of(response)) == (500, {"error": "Failed to start chat run"})
    calls = body_of(await api.internal("GET", "/api/observability/calls?type=chat"))["calls"]
    assert [call["status"] for call in calls] == ["failed"]


async def test_chat_fails_mid_stream_as_a_world_setting(world_api):
    api = await world_api(chat_model="fails_mid_stream")
    response = await api.internal("POST", "/api/chat", json_body={"messages": []})
    chunks = [json.loads(frame[len("data: "):]) for frame in response.raw_body.decode().split("\n\n")[:-2]]
    assert [chunk["type"] for chunk in chunks if chunk["type"] != "message-metadata"] == [
        "start", "start-step", "error", "finish-step", "finish"]
    assert response.raw_body.endswith(b"data: [DONE]\n\n")


@pytest.mark.parametrize("raw", ["null", "{not json"])
async def test_chat_unreadable_body_is_an_empty_500(api, raw):
    response = await api.internal("POST", "/api/chat", json_body=raw)
    assert (response.status, response.raw_body) == (500, b"")


async def test_chat_in_a_team_the_caller_is_not_in_grants_no_model(api):
    """No membership check up front: the model resolver finds no capabilities for a non-member."""
    response = await api.internal("POST", "/api/chat", json_body={"messages": []},
                                  headers={"x-mogplex-team-id": STRANGERS_TEAM})
    assert (response.status, body_of(response)) == (500, {"error": "This model is not enabled for your team role."})


# -- GET /api/realtime/events ---------------------------------------------------------------------

@pytest.mark.parametrize(("query", "message"), [
    ("?tables=ai_calls, job_runs", "Invalid table name:  job_runs"),
    ("?tables=,,", "No valid tables specified"),
    ("?tables=", "Missing tables parameter"),
])
async def test_realtime_table_names_are_not_trimmed(api, query, message):
    response = await api.internal("GET", f"/api/realtime/events{query}")
    assert (response.status, body_of(response)) == (400, {"error": message})


async def test_realtime_under_test_mode_is_204_before_any_check(make_api):
    api = await make_api(test_mode=True)
    response = await api.internal("GET", "/api/realtime/events")
    assert (response.status, response.raw_body) == (204, b"")
