"""/api/sandbox (internal spec §2.5): the web app's sandbox routes.

POST answers JSON when an existing VM is reused and streams the launch as SSE when a
new one boots. Records use the web shape: status and preview URL live in
`runtime_summary`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.streams import SSE_HEADERS, data_frame, open_stream, send_frames
from mockplex.ids import is_strict_uuid, pg_uuid
from mockplex.jsvalues import js_string, js_truthy
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response
from mockplex.world.launcher import LaunchRefused, plan_launch, reuse_or_boot
from mockplex.world.records import Sandbox
from mockplex.world.sandbox_lifecycle import ProviderFailed
from mockplex.world.sandbox_machines import Command, machine
from mockplex.world.sandbox_shell import (
    absolute_dir, cd_failure, cd_target, change_directory, needs_a_terminal, run_command,
)

CLI_STATUSES = ("creating", "installing", "running", "paused")
HEALTH = {"running": "running", "creating": "starting", "installing": "starting", "pausing": "pausing",
          "paused": "paused", "stopped": "stopped", "error": "error"}
BOOT_LIMIT = {"Too many active sandboxes": ("concurrent_sandboxes", 3, 0, 15),
              "Sandbox boot rate limit exceeded": ("sandbox_boots_per_hour", 120, 3600, 60),
              "Daily sandbox boot quota exceeded": ("sandbox_boots_per_day", 10_000, 86400, 3600)}
DEFAULT_TIMEOUT_MS = 5 * 60 * 60 * 1000  # no workspace in the world sets its own sandbox timeout
CAPABILITY_DENIED = "Your team role does not allow this sandbox operation ({})."
IMMEDIATE = {"x-mogplex-exec-mode": "immediate"}
EXEC_STREAM_HEADERS = {**SSE_HEADERS, "Cache-Control": "no-cache, no-transform"}


def record(sandbox: Sandbox, *, health_checked: bool = True, with_error: bool = True,
           timeout_ms: int | None = None) -> dict[str, Any]:
    """The client record; what a route's SELECT leaves out reads as null (or is absent)."""
    created, active = format_timestamp(sandbox.created_at), format_timestamp(sandbox.last_active_at)
    error = sandbox.error if with_error else None
    runtime = {"sandbox_id": sandbox.sandbox_id, "status": sandbox.status,
               "health_status": HEALTH.get(sandbox.status, "not_available"),
               "preview_url": sandbox.preview_url, "last_health_check_at": active if health_checked else None,
               "last_preview_http_status": 200 if sandbox.status == "running" else None,
               "boot_attempts": 1, "last_boot_started_at": created, "last_boot_completed_at": active}
    if timeout_ms is not None:
        runtime["effective_timeout_ms"] = timeout_ms
    runtime["persistent"] = False
    return {
        "id": sandbox.id, "user_id": sandbox.user_id, "repo_id": sandbox.repo_id, "sandbox_id": sandbox.sandbox_id,
        "base_branch": sandbox.base_branch, "working_branch": sandbox.working_branch, "snapshot_id": sandbox.snapshot_id,
        "stop_reason": _stop_reason(sandbox),
        "install_log": sandbox.install_log, "dev_log": sandbox.dev_log, "runtime": "node22",
        "terminal_cwd": sandbox.root_directory, "root_directory": sandbox.root_directory,
        "created_at": created, "last_active_at": active,
        "billing_summary": {"source": "platform", "label": "Mogplex billing", "project_id": None, "team_id": None,
                            "team_label": "Personal"},
        "runtime_summary": runtime,
        "error_summary": {"current_error": error, "last_preview_error": None,
                          "last_boot_error": sandbox.error, "display_error": error or sandbox.error,
                          "has_errors": sandbox.error is not None},
    }


def _stop_reason(sandbox: Sandbox) -> str | None:
    if sandbox.stop_reason is not None:
        return sandbox.stop_reason or None
    return {"stopped": "manual", "paused": "idle_timeout"}.get(sandbox.status)


def team_header(call: Call) -> str | None:
    """x-mogplex-team-id when it is a well-formed uuid; anything else is personal scope."""
    raw = call.request.headers.get("x-mogplex-team-id", "").strip()
    return raw.lower() if is_strict_uuid(raw) else None


def sandbox_caller(call: Call, needs_bash: bool) -> str:
    return capable_caller(call, "tools.bash" if needs_bash else None)


def capable_caller(call: Call, capability: str | None) -> str:
    """The sandbox credentials step: 401 without a caller; where the route needs a
    capability, a team scope the caller holds no role in grants nothing."""
    user_id = call.require_user()
    team = team_header(call)
    if capability is not None and team is not None and not call.world.teams.can(user_id, team, capability):
        raise flat_error(403, CAPABILITY_DENIED.format(capability))
    return user_id


def owned_sandbox(call: Call, user_id: str, not_found: str) -> Sandbox:
    sandbox_id = pg_uuid(call.params["id"])
    sandbox = call.world.owned_sandbox(user_id, sandbox_id) if sandbox_id else None
    if sandbox is None:  # a malformed id fails in Postgres, and the route reads that as no row
        raise flat_error(404, not_found)
    return sandbox


def is_pending(sandbox: Sandbox) -> bool:
    return sandbox.sandbox_id in (None, "pending")


async def list_sandboxes(call: Call) -> web.Response:
    user_id = call.require_user()
    team = team_header(call)
    if team is not None and not call.world.teams.is_member(user_id, team):
        raise flat_error(403, "Forbidden")
    sandboxes = sorted((s for s in call.world.sandboxes.values()
                        if s.user_id == user_id and s.product_team_id == team),
                       key=lambda s: s.created_at, reverse=True)
    if call.query("format") != "cli":
        return json_response({"sandboxes": [record(sandbox, health_checked=False, timeout_ms=DEFAULT_TIMEOUT_MS)
                                            for sandbox in sandboxes]})
    return json_response([_cli_record(call, sandbox) for sandbox in sandboxes if sandbox.status in CLI_STATUSES])


def _cli_record(call: Call, sandbox: Sandbox) -> dict[str, Any]:
    repo = call.world.repos.get(sandbox.repo_id)
    workspace = call.world.workspaces.get(repo.workspace_id) if repo is not None else None
    return {"id": sandbox.id, "sandboxId": None if is_pending(sandbox) else sandbox.sandbox_id,
            "repo": repo.full_name if repo is not None else None,
            "workspace": workspace.name if workspace is not None else None, "branch": sandbox.working_branch or None,
            "status": sandbox.status, "createdAt": format_timestamp(sandbox.created_at), "url": sandbox.preview_url}


async def get_sandbox(call: Call) -> web.Response:
    sandbox = owned_sandbox(call, sandbox_caller(call, needs_bash=False), "Not found")
    if not is_pending(sandbox) and sandbox.status != "running":
        # The detail route probes the VM: anything but a running VM (a persistent pause
        # aside, and no sandbox here is persistent) is recorded as gone.
        if sandbox.status != "stopped":
            sandbox.status, sandbox.stop_reason = "stopped", "vm_gone"
            call.world.changes.publish("sandboxes", "UPDATE", sandbox.user_id)
    return json_response({"sandbox": record(sandbox)})


def _boot_refusal(message: str) -> JsonError:
    name, value, window, retry = BOOT_LIMIT[message]
    return JsonError(429, {"error": message, "code": "sandbox_boot_rate_limited", "retryAfterSeconds": retry,
                           "limit": {"name": name, "value": value, "windowSeconds": window}},
                     {"Retry-After": str(retry)})


async def create_sandbox(call: Call) -> web.StreamResponse:
    user_id = sandbox_caller(call, needs_bash=True)
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)  # the route reads `repoId` off whatever parsed
    return await launch(call, user_id, body if isinstance(body, dict) else {}, team_header(call))


async def launch(call: Call, user_id: str, body: dict[str, Any], team: str | None) -> web.StreamResponse:
    """The launcher's answer: the reused record as JSON, or a new VM's boot as SSE."""
    repo_id = body.get("repoId")
    if not js_truthy(repo_id):
        raise flat_error(400, "repoId required")
    try:
        plan = plan_launch(call.world, user_id, repo_id if isinstance(repo_id, str) else "", body)
        sandbox, booted = reuse_or_boot(call.world, user_id, plan, call.now)
    except LaunchRefused as refused:
        raise _web_refusal(refused) from None
    if not booted:
        return json_response({"sandbox": record(sandbox, health_checked=False, with_error=False)})
    sandbox.product_team_id = team
    response = await open_stream(call.request, SSE_HEADERS)
    await send_frames(response, [data_frame(event) for event in launch_events(sandbox)])
    await response.write_eof()
    return response


def _web_refusal(refused: LaunchRefused) -> JsonError:
    if refused.status == 429:
        return _boot_refusal(refused.message)
    if refused.status == 503:
        return JsonError(503, {"error": refused.message, "code": "SANDBOX_SERVICE_UNAVAILABLE"})
    return flat_error(refused.status, refused.message)


def launch_events(sandbox: Sandbox) -> list[dict[str, Any]]:
    final = record(sandbox)

    def at(status: str) -> dict[str, Any]:
        return {**final, "runtime_summary": {**final["runtime_summary"], "status": status,
                                             "health_status": HEALTH[status]}}

    events: list[dict[str, Any]] = [
        {"type": "status", "status": "creating", "sandbox": at("creating")},
        {"type": "sandbox_created", "sandboxId": sandbox.sandbox_id, "recordId": sandbox.id, "sandbox": at("creating")},
        {"type": "status", "status": "installing", "sandbox": at("installing")},
    ]
    events += [{"type": "log", "phase": "install", "data": line + "\n"}
               for line in (sandbox.install_log or "").splitlines()]
    if sandbox.status == "error":
        return events + [{"type": "status", "status": "error", "sandbox": final},
                         {"type": "error", "message": sandbox.error, "phase": "install"}]
    events += [{"type": "log", "phase": "dev", "data": line + "\n"} for line in (sandbox.dev_log or "").splitlines()]
    return events + [{"type": "preview_url", "url": sandbox.preview_url, "sandbox": at("running")},
                     {"type": "status", "status": "running", "sandbox": final}, {"type": "ready", "sandbox": final}]


async def delete_sandbox(call: Call) -> web.Response:
    sandbox = owned_sandbox(call, sandbox_caller(call, needs_bash=True), "Sandbox not found")
    del call.world.sandboxes[sandbox.id]  # the VM is deleted, then its row
    call.world.changes.publish("sandboxes", "DELETE", sandbox.user_id)
    return json_response({"ok": True, "sandboxId": call.params["id"]})


async def exec_command(call: Call) -> web.StreamResponse:
    user_id = sandbox_caller(call, needs_bash=True)
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)
    fields = body if isinstance(body, dict) else {}
    if not js_truthy(fields.get("command")):
        raise flat_error(400, "command required")
    sandbox = owned_sandbox(call, user_id, "Not found")
    if is_pending(sandbox):
        raise flat_error(409, "Sandbox is not ready")
    command = js_string(fields["command"]).strip()
    cwd = fields.get("cwd")
    command_cwd = cwd if isinstance(cwd, str) and cwd.strip() else sandbox.root_directory
    reported_cwd = command_cwd or "."
    try:
        vm = machine(call.world, sandbox)
    except ProviderFailed as failed:
        raise flat_error(500, str(failed)) from None
    landed = change_directory(command, absolute_dir(command_cwd))
    if landed is not None:
        failure = cd_failure(cd_target(command), landed, vm.disk)
        if failure is not None:
            return json_response({"exitCode": 1, "stdout": "", "stderr": failure, "cwd": reported_cwd},
                                 headers=IMMEDIATE)
        sandbox.last_active_at = call.now
        return json_response({"exitCode": 0, "stdout": "", "stderr": "", "cwd": landed}, headers=IMMEDIATE)
    hint = needs_a_terminal(command)
    if hint is not None:
        return json_response({"exitCode": 1, "stdout": "", "stderr": hint, "cwd": reported_cwd}, headers=IMMEDIATE)
    args = fields.get("args") if isinstance(fields.get("args"), list) else []
    exit_code, stdout, stderr = run_command(" ".join([command, *map(js_string, args)]), absolute_dir(command_cwd),
                                            vm.disk)
    sandbox.last_active_at = call.now
    if "text/event-stream" not in call.request.headers.get("Accept", ""):
        return json_response({"exitCode": exit_code, "stdout": stdout, "stderr": stderr, "cwd": reported_cwd},
                             headers=IMMEDIATE)
    command_id = call.world.ids.short("cmd_", 16)
    vm.commands[command_id] = Command(command, exit_code)
    frames = [{"type": "run", "cmdId": command_id}]
    frames += [{"type": "log", "stream": name, "data": text} for name, text in (("stdout", stdout), ("stderr", stderr))
               if text]
    response = await open_stream(call.request, {**EXEC_STREAM_HEADERS, "X-Exec-Cmd-Id": command_id})
    await send_frames(response, [data_frame(frame) for frame in frames + [
        {"type": "done", "exitCode": exit_code, "cwd": reported_cwd}]])
    await response.write_eof()
    return response
