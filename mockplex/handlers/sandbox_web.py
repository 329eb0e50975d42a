"""/api/sandbox (internal spec §2.5): the web app's sandbox routes.

POST answers JSON when an existing VM is reused and streams the launch as SSE when a
new one boots. Records use the web shape: status and preview URL live in
`runtime_summary`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.streams import SSE_HEADERS, data_frame, open_stream, send_frames
from mockplex.ids import pg_uuid
from mockplex.world.launcher import LaunchRefused, plan_launch, reuse_or_boot
from mockplex.responses import JsonError, flat_error, json_response
from mockplex.validation import (
    trimmed_string,
)
from mockplex.world.records import Sandbox

CLI_STATUSES = ("creating", "installing", "running", "paused")
HEALTH = {"running": "running", "creating": "starting", "installing": "starting", "pausing": "pausing",
          "paused": "paused", "stopped": "stopped", "error": "error"}
BOOT_LIMIT = {"Too many active sandboxes": ("concurrent_sandboxes", 3, 0, 15),
              "Sandbox boot rate limit exceeded": ("sandbox_boots_per_hour", 120, 3600, 60),
              "Daily sandbox boot quota exceeded": ("sandbox_boots_per_day", 10_000, 86400, 3600)}


def record(sandbox: Sandbox) -> dict[str, Any]:
    created, active = format_timestamp(sandbox.created_at), format_timestamp(sandbox.last_active_at)
    return {
        "id": sandbox.id, "user_id": sandbox.user_id, "repo_id": sandbox.repo_id, "sandbox_id": sandbox.sandbox_id,
        "base_branch": sandbox.base_branch, "working_branch": sandbox.working_branch, "snapshot_id": None,
        "stop_reason": "manual" if sandbox.status == "stopped" else "idle_timeout" if sandbox.status == "paused"
        else None,
        "install_log": sandbox.install_log, "dev_log": sandbox.dev_log, "runtime": "node22", "terminal_cwd": None,
        "root_directory": sandbox.root_directory, "created_at": created, "last_active_at": active,
        "billing_summary": {"source": "platform", "label": "Mogplex billing", "project_id": None, "team_id": None,
                            "team_label": "Personal"},
        "runtime_summary": {"sandbox_id": sandbox.sandbox_id, "status": sandbox.status,
                            "health_status": HEALTH.get(sandbox.status, "not_available"),
                            "preview_url": sandbox.preview_url, "last_health_check_at": active,
                            "last_preview_http_status": 200 if sandbox.status == "running" else None,
                            "boot_attempts": 1, "last_boot_started_at": created, "last_boot_completed_at": active,
                            "effective_timeout_ms": 2_700_000},
        "error_summary": {"current_error": sandbox.error, "last_preview_error": None,
                          "last_boot_error": sandbox.error, "display_error": sandbox.error,
                          "has_errors": sandbox.error is not None},
    }


async def list_sandboxes(call: Call) -> web.Response:
    user_id = call.require_user()
    sandboxes = sorted((s for s in call.world.sandboxes.values() if s.user_id == user_id),
                       key=lambda s: s.created_at, reverse=True)
    if call.query("format") != "cli":
        return json_response({"sandboxes": [record(sandbox) for sandbox in sandboxes]})
    repos = call.world.repos
    return json_response([{
        "id": s.id, "sandboxId": s.sandbox_id if s.sandbox_id != "pending" else None,
        "repo": repos[s.repo_id].full_name, "workspace": s.root_directory, "branch": s.working_branch,
        "status": s.status, "createdAt": format_timestamp(s.created_at), "url": s.preview_url,
    } for s in sandboxes if s.status in CLI_STATUSES])


async def get_sandbox(call: Call) -> web.Response:
    user_id = call.require_user()
    sandbox_id = pg_uuid(call.params["id"])
    sandbox = call.world.owned_sandbox(user_id, sandbox_id) if sandbox_id else None
    if sandbox is None:
        raise flat_error(404, "Not found")
    return json_response({"sandbox": record(sandbox)})


def _boot_refusal(message: str) -> JsonError:
    name, value, window, retry = BOOT_LIMIT[message]
    return JsonError(429, {"error": message, "code": "sandbox_boot_rate_limited", "retryAfterSeconds": retry,
                           "limit": {"name": name, "value": value, "windowSeconds": window}},
                     {"Retry-After": str(retry)})


async def create_sandbox(call: Call) -> web.StreamResponse:
    user_id = call.require_user()
    body = await call.body()
    body = body if isinstance(body, dict) else {}
    repo_id = trimmed_string(body.get("repoId"))
    if repo_id is None:
        raise flat_error(400, "repoId required")
    try:
        plan = plan_launch(call.world, user_id, repo_id, body)
        sandbox, booted = reuse_or_boot(call.world, user_id, plan, call.now)
    except LaunchRefused as refused:
        raise _web_refusal(refused) from None
    if not booted:
        return json_response({"sandbox": record(sandbox)})
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


def _owned_record(call: Call) -> Sandbox:
    user_id = call.require_user()
    sandbox_id = pg_uuid(call.params["id"])
    sandbox = call.world.owned_sandbox(user_id, sandbox_id) if sandbox_id else None
    if sandbox is None:
        raise flat_error(404, "Sandbox not found")
    return sandbox


async def delete_sandbox(call: Call) -> web.Response:
    sandbox = _owned_record(call)
    sandbox.status, sandbox.last_active_at = "stopped", call.now
    return json_response({"ok": True, "sandboxId": sandbox.sandbox_id})


SANDBOX_ROOT = "/vercel/sandbox"


def run_command(command: str, cwd: str) -> tuple[int, str, str]:
    """A tiny shell: enough for clients that probe a sandbox with echo, pwd, ls, true, false."""
    program, _, rest = command.strip().partition(" ")
    outputs = {"echo": (0, rest + "\n", ""), "pwd": (0, cwd + "\n", ""), "true": (0, "", ""), "false": (1, "", ""),
               "ls": (0, "README.md\npackage.json\nsrc\ntests\n", "")}
    return outputs.get(program, (127, "", f"sh: {program}: command not found\n"))


async def exec_command(call: Call) -> web.StreamResponse:
    sandbox = _owned_record(call)
    body = await call.body()
    command = body.get("command") if isinstance(body, dict) else None
    if not isinstance(command, str) or not command.strip():
        raise flat_error(400, "command required")
    cwd = SANDBOX_ROOT + (f"/{sandbox.root_directory}" if sandbox.root_directory else "")
    exit_code, stdout, stderr = run_command(command, cwd)
    sandbox.last_active_at = call.now
    if "text/event-stream" not in call.request.headers.get("Accept", ""):
        return json_response({"exitCode": exit_code, "stdout": stdout, "stderr": stderr, "cwd": cwd})
    frames = [{"type": "run", "cmdId": call.world.ids.short("cmd_", 16)}]
    frames += [{"type": "log", "stream": name, "data": text} for name, text in (("stdout", stdout), ("stderr", stderr))
               if text]
    response = await open_stream(call.request, SSE_HEADERS)
    await send_frames(response, [data_frame(frame) for frame in frames + [
        {"type": "done", "exitCode": exit_code, "cwd": cwd}]])
    await response.write_eof()
    return response
