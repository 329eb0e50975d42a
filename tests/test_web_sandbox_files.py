"""A sandbox's files, tree, terminal and exec cancel (/api/sandbox/{id}/…), as the server's
code answers: one file system under files, tree and exec."""

from __future__ import annotations

import pytest
from conftest import OTHER_USER, READ_ONLY, RUNNING_SANDBOX, RW, body_of

from mockplex import state
from mockplex.recording.redaction import Redactor

PAUSED_SANDBOX = "6f2a4b8c-3d5e-4f70-9bac-1d2e3f4a5b6c"  # at the repo root
OTHER_USERS_SANDBOX = "8b4c6dae-5f70-4192-bdce-3f4a5b6c7d8e"
STRANGERS_TEAM = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
BASE = f"/api/sandbox/{RUNNING_SANDBOX}"
TREE = ["package.json", "src/", "src/index.ts", "tests/", "tests/index.test.ts"]  # under the root directory


def denied(capability: str) -> dict:
    return {"error": f"Your team role does not allow this sandbox operation ({capability})."}


async def answer(api, method: str, path: str, body=None, **kwargs):
    response = await api.internal(method, path, json_body=body, **kwargs)
    return response.status, (body_of(response) if response.raw_body else None)


def sandbox_of(api, sandbox_id: str):
    return api.client.server.app[state.WORLD].sandboxes[sandbox_id]


# -- every route: the shared loader's outcomes --------------------------------------------------

ROUTES = [("GET", "/files?path=package.json", None, None), ("PUT", "/files", {"path": "a", "content": ""}, "write_file"),
          ("POST", "/files", {}, "bash"), ("GET", "/tree", None, None),
          ("POST", "/tree", {"kind": "file", "path": "a"}, "write_file"), ("DELETE", "/tree", {"path": "a"}, "write_file"),
          ("PATCH", "/tree", {"moves": [{"fromPath": "a", "toPath": "b"}]}, "write_file"),
          ("POST", "/exec/cancel", {"cmdId": "cmd_x"}, "bash"), ("POST", "/terminal/session", {"action": "kill"}, "bash")]


@pytest.mark.parametrize(("method", "suffix", "body", "capability"), ROUTES)
async def test_loader_outcomes(api, method, suffix, body, capability):
    for sandbox in (OTHER_USERS_SANDBOX, "not-a-uuid"):
        assert await answer(api, method, f"/api/sandbox/{sandbox}{suffix}", body) == (404, {"error": "Not found"})
    assert (await api.internal(method, BASE + suffix, json_body=body, session=None)).status == 307
    other = await answer(api, method, BASE + suffix, body, session=None, token=OTHER_USER)
    assert other == (404, {"error": "Not found"})
    foreign = await answer(api, method, BASE + suffix, body, headers={"x-mogplex-team-id": STRANGERS_TEAM})
    if capability is not None:
        assert foreign == (403, denied(f"tools.{capability}"))
    else:
        assert foreign[0] == 200  # a read needs no capability
    sandbox_of(api, RUNNING_SANDBOX).sandbox_id = "pending"
    assert await answer(api, method, BASE + suffix, body) == (409, {"error": "Sandbox is not ready"})


@pytest.mark.parametrize(("method", "suffix", "body"), [(m, s, b) for m, s, b, _ in ROUTES])
async def test_provider_failures(world_api, method, suffix, body):
    failing = await world_api(sandbox_vms="failing")
    status, payload = await answer(failing, method, BASE + suffix, body)
    assert (status, payload) == (500, {"error": "Vercel Sandbox API request failed: 503 Service Unavailable"})


# -- /files ---------------------------------------------------------------------------------------

async def test_files_read_write_list_and_exec_share_one_disk(api):
    assert await answer(api, "GET", BASE + "/files?path=src/index.ts", token=RW, session=None) == (200, {
        "path": "src/index.ts", "content": 'export const greeting = "hello from the sandbox";\n'})
    put = await answer(api, "PUT", BASE + "/files", {"path": "notes/todo.md", "content": "ship it\n"})
    assert put == (200, {"ok": True})
    assert await answer(api, "GET", BASE + "/files?path=./notes/todo.md") == (
        200, {"path": "./notes/todo.md", "content": "ship it\n"})
    assert await answer(api, "POST", BASE + "/files", {}) == (200, {"path": ".", "entries": [
        {"name": "notes", "isDir": True, "size": 4096}, {"name": "src", "isDir": True, "size": 4096},
        {"name": "tests", "isDir": True, "size": 4096}, {"name": "package.json", "isDir": False, "size": 107}]})
    ran = await answer(api, "POST", BASE + "/exec", {"command": "cat notes/todo.md"})
    assert ran == (200, {"exitCode": 0, "stdout": "ship it\n", "stderr": "", "cwd": "apps/web"})
    assert "notes/todo.md" in body_of(await api.internal("GET", BASE + "/tree"))["paths"]


@pytest.mark.parametrize(("method", "suffix", "body", "status", "payload"), [
    ("GET", "/files", None, 400, {"error": "path required"}),
    ("GET", "/files?path=", None, 400, {"error": "path required"}),
    ("GET", "/files?path=missing.txt", None, 404, {"error": "File not found"}),
    ("GET", "/files?path=src", None, 404, {"error": "File not found"}),
    ("PUT", "/files", {"path": "a.txt"}, 400, {"error": "path and content required"}),
    ("PUT", "/files", {"path": "", "content": "x"}, 400, {"error": "path and content required"}),
    ("PUT", "/files", {"path": 5, "content": "x"}, 500, {"error": "path.startsWith is not a function"}),
    ("PUT", "/files", {"path": "a.txt", "content": 5}, 500, {
        "error": "The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an "
                 "Array-like Object. Received type number (5)"}),
    ("PUT", "/files", {"path": "a.txt", "content": None}, 500, {
        "error": "The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an "
                 "Array-like Object. Received null"}),
    ("PUT", "/files", "null", 500, None),
    ("POST", "/files", "{oops", 500, None),
    ("POST", "/files", {"path": "nowhere"}, 200, {"path": "nowhere", "entries": []}),
    ("POST", "/files", {"path": "package.json"}, 200, {"path": "package.json", "entries": []}),
    ("POST", "/files", {"path": None}, 200, {"path": None, "entries": [
        {"name": "src", "isDir": True, "size": 4096}, {"name": "tests", "isDir": True, "size": 4096},
        {"name": "package.json", "isDir": False, "size": 107}]}),
])
async def test_files_edges(api, method, suffix, body, status, payload):
    assert await answer(api, method, BASE + suffix, body) == (status, payload)


async def test_files_write_bytes_and_a_read_only_pat(api):
    put = await answer(api, "PUT", BASE + "/files", {"path": "/tmp/raw.txt", "content": [104, 105, 266]},
                       session=None, token=READ_ONLY)
    assert put == (200, {"ok": True})
    assert await answer(api, "GET", BASE + "/files?path=/tmp/raw.txt") == (
        200, {"path": "/tmp/raw.txt", "content": "hi\n"})


async def test_files_of_a_stopped_sandbox_are_gone(api):
    assert (await api.internal("POST", BASE + "/stop")).status == 200
    for method, suffix, body in [("GET", "/files?path=package.json", None), ("POST", "/files", {}), ("GET", "/tree", None),
                                 ("POST", "/exec", {"command": "ls"})]:
        assert await answer(api, method, BASE + suffix, body) == (500, {"error": "Status code 410 is not ok"})
    # validation still comes first where the route checks before touching the VM
    assert await answer(api, "POST", BASE + "/tree", {"kind": "x"}) == (
        400, {"error": "kind must be 'file' or 'directory'"})


# -- /tree ----------------------------------------------------------------------------------------

async def test_tree_lists_prunes_and_sorts(api):
    response = await api.internal("GET", f"/api/sandbox/{PAUSED_SANDBOX}/tree")
    assert response.headers["cache-control"] == "no-store"
    assert body_of(response) == {"paths": [".gitignore", "package.json", "README.md", "src/", "src/index.ts",
                                           "tests/", "tests/index.test.ts"]}


async def test_tree_create_move_delete(api):
    assert await answer(api, "POST", BASE + "/tree", {"kind": "directory", "path": "./docs"}) == (
        201, {"ok": True, "path": "docs/"})
    assert await answer(api, "POST", BASE + "/tree", {"kind": "file", "path": "docs/guide.md"}) == (
        201, {"ok": True, "path": "docs/guide.md"})
    moved = await answer(api, "PATCH", BASE + "/tree", {"moves": [
        {"fromPath": "docs/", "toPath": "handbook"}, {"fromPath": "src/index.ts", "toPath": "src/index.ts"}]})
    assert moved == (200, {"ok": True, "moves": [{"fromPath": "docs/", "toPath": "handbook/"},
                                                 {"fromPath": "src/index.ts", "toPath": "src/index.ts"}]})
    listing = await answer(api, "POST", BASE + "/exec", {"command": "ls handbook"})
    assert listing[1]["stdout"] == "guide.md\n"
    assert await answer(api, "DELETE", BASE + "/tree", {"path": "handbook/"}) == (
        200, {"ok": True, "path": "handbook/"})
    assert body_of(await api.internal("GET", BASE + "/tree"))["paths"] == TREE


@pytest.mark.parametrize(("method", "body", "status", "payload"), [
    ("POST", "null", 400, {"error": "kind must be 'file' or 'directory'"}),
    ("POST", None, 500, {"error": "Unexpected end of JSON input"}),
    ("POST", {"kind": "file"}, 400, {"error": "path required"}),
    ("POST", {"kind": "file", "path": "  "}, 400, {"error": "path required"}),
    ("POST", {"kind": "file", "path": "../etc/passwd"}, 400, {"error": "path must stay within the repo root"}),
    ("POST", {"kind": "file", "path": "/etc/passwd"}, 400, {"error": "path must stay within the repo root"}),
    ("POST", {"kind": "file", "path": "src"}, 409, {"error": "Destination already exists"}),
    ("POST", {"kind": "file", "path": "package.json/x"}, 500, {
        "error": "mkdir: cannot create directory 'apps/web/package.json': File exists\n"}),
    ("POST", "{oops", 500, {"error": "Unexpected token 'o', \"{oops\" is not valid JSON"}),
    ("PATCH", {"moves": []}, 400, {"error": "moves required"}),
    ("PATCH", {"moves": [{"fromPath": "src/", "toPath": "src/lib"}]}, 400,
     {"error": "Cannot move a directory into itself"}),
    ("PATCH", {"moves": [{"fromPath": "gone.ts", "toPath": "b.ts"}]}, 404, {"error": "Path not found"}),
    ("PATCH", {"moves": [{"fromPath": "src", "toPath": "tests"}]}, 409, {"error": "Destination already exists"}),
    ("DELETE", {"path": "gone.ts"}, 404, {"error": "Path not found"}),
    ("DELETE", {"path": "src"}, 500, {"error": "rm: cannot remove 'apps/web/src': Is a directory\n"}),
    ("DELETE", "", 500, {"error": "Unexpected end of JSON input"}),
])
async def test_tree_refusals(api, method, body, status, payload):
    assert await answer(api, method, BASE + "/tree", body) == (status, payload)


# -- /exec/cancel ---------------------------------------------------------------------------------

async def test_exec_cancel_signals_what_exec_started(api):
    started = await api.internal("POST", BASE + "/exec", json_body={"command": "echo hi"},
                                 headers={"Accept": "text/event-stream"})
    command_id = started.headers["X-Exec-Cmd-Id"]
    assert await answer(api, "POST", BASE + "/exec/cancel", {"cmdId": f" {command_id} "}) == (200, {"ok": True})
    world = api.client.server.app[state.WORLD]
    vm = world.sandbox_machines.of(sandbox_of(api, RUNNING_SANDBOX), None)
    assert vm.commands[command_id].signal == "SIGINT"
    assert await answer(api, "POST", BASE + "/exec/cancel", {"cmdId": "cmd_unknown"}) == (
        500, {"error": "Status code 404 is not ok"})


@pytest.mark.parametrize("body", [None, "null", "{oops", {"cmdId": "  "}, {"cmdId": 7}])
async def test_exec_cancel_needs_a_command_id_before_the_sandbox(api, body):
    assert await answer(api, "POST", "/api/sandbox/not-a-uuid/exec/cancel", body) == (
        400, {"error": "cmdId required"})


# -- /terminal ------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_terminal_connect_is_off_by_default_for_any_sandbox(api, method):
    for sandbox in (RUNNING_SANDBOX, "not-a-uuid"):
        assert await answer(api, method, f"/api/sandbox/{sandbox}/terminal/connect", {}) == (
            200, {"available": False, "reason": "pty_disabled"})
    denied_answer = await answer(api, method, BASE + "/terminal/connect", {},
                                 headers={"x-mogplex-team-id": STRANGERS_TEAM})
    assert denied_answer == (403, denied("tools.bash"))


@pytest.mark.parametrize(("body", "status", "payload"), [
    ("{oops", 400, {"error": "Invalid JSON body"}), ("null", 500, None)])
async def test_terminal_connect_body_is_read_before_the_caller(api, body, status, payload):
    assert await answer(api, "POST", BASE + "/terminal/connect", body, session=None, token=OTHER_USER) == (
        status, payload)


async def test_terminal_connect_hands_out_the_cached_bridge(world_api):
    api = await world_api(terminal_pty="ready")
    first = await answer(api, "POST", BASE + "/terminal/connect", {"terminalSessionKey": " pane 2 ", "cwd": "src"})
    status, payload = first
    token = payload["token"]
    assert status == 200 and len(token) == 43
    assert payload == {"available": True, "terminalSessionKey": "pane 2",
                       "wsUrl": f"wss://sbx-8d2kq7wz1m4p-4020.preview.mockplex.dev/session?token={token}"
                                "&session=pane+2&cwd=src",
                       "token": token, "expiresAt": payload["expiresAt"], "tmuxAvailable": True}
    again = await answer(api, "GET", BASE + "/terminal/connect")
    assert again[1]["token"] == token and again[1]["expiresAt"] == payload["expiresAt"]
    assert again[1]["wsUrl"].endswith("&session=default&cwd=apps%2Fweb")
    assert await answer(api, "GET", f"/api/sandbox/{OTHER_USERS_SANDBOX}/terminal/connect") == (
        404, {"error": "Not found"})
    assert (await answer(api, "GET", f"/api/sandbox/{PAUSED_SANDBOX}/terminal/connect"))[1] == {
        "available": False, "reason": "bridge_not_ready"}


async def test_terminal_token_is_redacted_when_recorded(world_api):
    api = await world_api(terminal_pty="ready")
    response = await api.internal("GET", BASE + "/terminal/connect")
    raw = response.raw_body
    token = body_of(response)["token"]
    assert token.encode() not in Redactor().body(raw, "application/json")


@pytest.mark.parametrize(("setting", "payload"), [
    ("ready_without_tmux", None),
    ("tools_failed", {"available": False, "reason": "tmux_unavailable",
                      "detail": "Error: Unable to find a match: tmux"}),
    ("bridge_failed", {"available": False, "reason": "bridge_install_failed",
                       "detail": "terminal bridge failed to become ready: empty response"}),
    ("ready", {"available": False, "reason": "tmux_unavailable", "detail": "Status code 410 is not ok"}),
])
async def test_terminal_connect_outcomes(world_api, setting, payload):
    api = await world_api(terminal_pty=setting, **({"sandbox_vms": "stopped"} if setting == "ready" else {}))
    status, body = await answer(api, "GET", BASE + "/terminal/connect")
    assert status == 200
    assert body == payload if payload is not None else body["tmuxAvailable"] is False


@pytest.mark.parametrize(("body", "status", "payload"), [
    ({"action": "kill"}, 200, {"ok": True, "terminalSessionKey": "default"}),
    ({"action": " kill ", "terminalSessionKey": "x" * 200}, 200, {"ok": True, "terminalSessionKey": "x" * 128}),
    ({"action": "restart"}, 400, {"error": "Unsupported action"}),
    ("{oops", 400, {"error": "Unsupported action"}),
    ("null", 500, None),
])
async def test_terminal_session(api, body, status, payload):
    assert await answer(api, "POST", BASE + "/terminal/session", body) == (status, payload)


async def test_wrong_methods_are_empty_405s(api):
    for method, suffix in [("DELETE", "/files"), ("PUT", "/tree"), ("GET", "/exec/cancel"),
                           ("GET", "/terminal/session"), ("PUT", "/terminal/connect")]:
        response = await api.internal(method, BASE + suffix)
        assert (response.status, response.raw_body) == (405, b"")
