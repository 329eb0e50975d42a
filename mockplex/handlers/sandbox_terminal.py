"""A sandbox's terminal: cancelling a streamed exec command, the PTY bridge's connect
handshake (`OutsideServices.terminal_pty` says whether the server has the bridge on and
how its install goes), and killing a terminal's tmux session."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.sandbox_files import in_the_vm, loaded_sandbox
from mockplex.handlers.sandbox_web import capable_caller, is_pending, owned_sandbox
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.world.records import Sandbox
from mockplex.world.sandbox_lifecycle import ProviderFailed
from mockplex.world.sandbox_machines import PROVIDER_NO_COMMAND, hydrate, machine

BASH = "tools.bash"
BRIDGE_PORT = 4020
TOKEN_TTL_MS = 60 * 60 * 1000
SESSION_KEY_LIMIT = 128
# What the in-VM tool installer logs when tmux cannot be installed (the detail is its last error line).
TMUX_INSTALL_ERROR = "Error: Unable to find a match: tmux"
BRIDGE_NOT_READY = "terminal bridge failed to become ready: empty response"


async def cancel_exec(call: Call) -> web.Response:
    """SIGINT to a command exec started (its `X-Exec-Cmd-Id`); the caller is checked before the body."""
    capable_caller(call, BASH)
    body = await call.body()
    command_id = body.get("cmdId") if isinstance(body, dict) else None
    command_id = command_id.strip() if isinstance(command_id, str) else ""
    if not command_id:
        raise flat_error(400, "cmdId required")
    sandbox = loaded_sandbox(call, BASH)
    with in_the_vm():
        command = machine(call.world, sandbox).commands.get(command_id)
        if command is None:  # the SDK's getCommand
            raise ProviderFailed(PROVIDER_NO_COMMAND)
    command.signal = "SIGINT"
    return json_response({"ok": True})


def _bridge_ready(call: Call, sandbox: Sandbox) -> bool:
    """A handle on a running VM; `Sandbox.get` failing is the provider's 500."""
    if is_pending(sandbox):
        return False
    with in_the_vm():
        hydrate(call.world, sandbox)
    return sandbox.status == "running"


async def connect_terminal(call: Call) -> web.Response:
    session_key, cwd = await _connect_request(call)
    user_id = capable_caller(call, BASH)
    setting = call.world.outside.terminal_pty
    if setting == "disabled":
        return json_response({"available": False, "reason": "pty_disabled"})
    sandbox = owned_sandbox(call, user_id, "Not found")
    if not _bridge_ready(call, sandbox):
        return json_response({"available": False, "reason": "bridge_not_ready"})
    try:
        vm = machine(call.world, sandbox)
    except ProviderFailed as failed:  # the tool installer's command fails first
        return _unavailable("tmux_unavailable", str(failed))
    if setting == "tools_failed":
        return _unavailable("tmux_unavailable", TMUX_INSTALL_ERROR)
    if setting == "bridge_failed":
        return _unavailable("bridge_install_failed", BRIDGE_NOT_READY)
    bridge = call.world.sandbox_machines.bridge(vm, call.world.ids, call.now)
    return json_response({
        "available": True, "terminalSessionKey": session_key,
        "wsUrl": bridge_url(sandbox.sandbox_id, bridge.token, session_key, cwd or sandbox.root_directory),
        "token": bridge.token, "expiresAt": _epoch_ms(bridge.installed_at) + TOKEN_TTL_MS,
        "tmuxAvailable": setting != "ready_without_tmux",
    })


async def _connect_request(call: Call) -> tuple[str, str | None]:
    """GET takes the defaults; POST reads `terminalSessionKey` and `cwd` (bad JSON: 400,
    a JSON null: the framework's empty 500, as the route reads fields off it)."""
    if call.request.method != "POST":
        return "default", None
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise flat_error(400, "Invalid JSON body")
    if body is None:
        raise EmptyResponse(500)
    fields = body if isinstance(body, dict) else {}
    cwd = fields.get("cwd")
    return session_key(fields.get("terminalSessionKey")), cwd.strip() if isinstance(cwd, str) and cwd.strip() else None


def session_key(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        return "default"
    return value.strip()[:SESSION_KEY_LIMIT]


def bridge_url(sandbox_name: str, token: str, key: str, cwd: str | None) -> str:
    """The bridge's port on the VM's own domain, as a WebSocket URL."""
    host = f"{sandbox_name.replace('_', '-')}-{BRIDGE_PORT}.preview.mockplex.dev"
    query = {"token": token, "session": key, **({"cwd": cwd} if cwd else {})}
    return f"wss://{host}/session?{urlencode(query, safe='*').replace('~', '%7E')}"


def _unavailable(reason: str, detail: str) -> web.Response:
    return json_response({"available": False, "reason": reason, "detail": detail})


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def control_session(call: Call) -> web.Response:
    body = await call.body()
    if body is None:
        raise EmptyResponse(500)  # the route reads `action` off whatever parsed
    action = body.get("action") if isinstance(body, dict) else None
    if not isinstance(action, str) or action.strip() != "kill":
        raise flat_error(400, "Unsupported action")
    sandbox = loaded_sandbox(call, BASH)
    with in_the_vm():
        machine(call.world, sandbox)
    return json_response({"ok": True, "terminalSessionKey": session_key(body.get("terminalSessionKey"))})
