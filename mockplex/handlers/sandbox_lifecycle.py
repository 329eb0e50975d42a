"""/api/sandbox/{id}/stop|pause|resume|restart|health|reconcile|extend|presence: a
sandbox's lifecycle from the web app, on the records v1's /sandboxes reads.

No sandbox in the world is persistent (the server's default without
ENABLE_PERSISTENT_SANDBOXES), so resume refuses every paused record and restart takes the
server's legacy path: retire the record, then launch again as POST /api/sandbox does.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.json_failure import parse_failure_message
from mockplex.handlers.sandbox_web import launch, owned_sandbox, record, sandbox_caller
from mockplex.jsvalues import js_number
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response
from mockplex.world import sandbox_lifecycle as lifecycle
from mockplex.world.records import Sandbox
from mockplex.world.sandbox_lifecycle import AUTO_PAUSE_GRACE_MS, ProviderFailed, is_pending

RESTART_HEADERS = {"Cache-Control": "no-cache", "Connection": "keep-alive"}
NOT_PERSISTENT = "Sandbox is not persistent — use the legacy snapshot-restore launch path instead."
PAUSING = "Sandbox is pausing. Wait for pause to finish, or stop the sandbox to recover."


def _sandbox_answer(sandbox: Sandbox) -> web.Response:
    return json_response({"sandbox": record(sandbox)})


async def stop_sandbox(call: Call) -> web.Response:
    sandbox = owned_sandbox(call, sandbox_caller(call, needs_bash=True), "Sandbox not found")
    lifecycle.stop(call.world, sandbox)
    return _sandbox_answer(sandbox)


async def pause_sandbox(call: Call) -> web.Response:
    sandbox = owned_sandbox(call, sandbox_caller(call, needs_bash=True), "Sandbox not found")
    if sandbox.status != "running":
        raise flat_error(400, "Sandbox is not running")
    if is_pending(sandbox):
        raise flat_error(409, "Sandbox is still booting")
    try:
        lifecycle.pause(call.world, sandbox)
    except ProviderFailed as failed:
        raise flat_error(500, str(failed)) from None
    return _sandbox_answer(sandbox)


async def resume_sandbox(call: Call) -> web.Response:
    sandbox = owned_sandbox(call, sandbox_caller(call, needs_bash=True), "Sandbox not found")
    if sandbox.status == "pausing":
        raise flat_error(409, PAUSING)
    if sandbox.status != "paused":
        raise flat_error(400, "Sandbox is not paused")
    raise flat_error(400, NOT_PERSISTENT)


async def restart_sandbox(call: Call) -> web.StreamResponse:
    owned_sandbox(call, sandbox_caller(call, needs_bash=False), "Sandbox not found")
    user_id = sandbox_caller(call, needs_bash=True)
    sandbox = owned_sandbox(call, user_id, "Sandbox not found")
    lifecycle.retire_for_restart(call.world, sandbox, call.now)
    # The relaunch is a fetch of POST /api/sandbox that forwards the caller's cookie and
    # bearer but not the team header, and keeps only three of its answer's headers.
    body = {"repoId": sandbox.repo_id, "baseBranch": sandbox.base_branch,
            "workingBranch": sandbox.working_branch, "createBranch": False}
    try:
        answer = await launch(call, user_id, body, None)
    except JsonError as refused:
        return json_response(refused.body, refused.status, RESTART_HEADERS)
    answer.headers.update({name: value for name, value in RESTART_HEADERS.items() if name not in answer.headers})
    return answer


async def sandbox_health(call: Call) -> web.Response:
    sandbox = owned_sandbox(call, sandbox_caller(call, needs_bash=False), "Not found")
    lifecycle.reconcile(call.world, sandbox, call.now)
    rendered = record(sandbox)
    return json_response({"sandbox": rendered, "health": {"status": rendered["runtime_summary"]["health_status"]}})


async def reconcile_sandbox(call: Call) -> web.Response:
    sandbox = owned_sandbox(call, sandbox_caller(call, needs_bash=True), "Not found")
    if call.world.outside.trigger_runtime == "missing":
        lifecycle.reconcile(call.world, sandbox, call.now)
        return json_response({"queued": False, "reason": "trigger_not_configured", "sandbox": record(sandbox)})
    key = f"sandbox-readiness:{call.params['id']}:{sandbox.sandbox_id or 'pending'}:manual"
    run_id = call.world.sandbox_presence.reconcile_run(call.world, key)
    lifecycle.reconcile(call.world, sandbox, call.now)  # the queued task settles it at once
    return json_response({"queued": True, "runtimeProvider": "trigger", "runtimeRunId": run_id})


async def extend_sandbox(call: Call) -> web.Response:
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)  # the route reads `minutes` off whatever parsed
    minutes = js_number(body.get("minutes")) if isinstance(body, dict) and "minutes" in body else float("nan")
    if not (1 <= minutes <= 300):  # NaN and the infinities fail here too
        raise flat_error(400, "minutes must be between 1 and 300")
    sandbox = owned_sandbox(call, sandbox_caller(call, needs_bash=True), "Not found")
    running = False
    if not is_pending(sandbox):
        try:
            running = lifecycle.vm_running(call.world, sandbox)
        except ProviderFailed as failed:
            raise flat_error(500, str(failed)) from None
    if sandbox.status != "running":
        raise flat_error(400, "Sandbox is not running")
    if is_pending(sandbox):
        raise flat_error(409, "Sandbox is not ready")
    if not running:
        raise EmptyResponse(500)  # extending a stopped VM throws, uncaught
    sandbox.last_active_at = call.now
    return json_response({"ok": True, "extendedByMs": minutes * 60 * 1000})


async def sandbox_presence(call: Call) -> web.Response:
    user_id = sandbox_caller(call, needs_bash=False)
    sandbox = owned_sandbox(call, user_id, "Sandbox not found")
    raw = await call.request.read()
    body = jsonio.parse_body(raw)
    if body is jsonio.NOT_JSON:
        raise flat_error(400, parse_failure_message(raw))
    event, tab, session, seq, reason = _presence_payload(body if isinstance(body, dict) else {})
    key = (sandbox.id, user_id, tab, session)
    presence = call.world.sandbox_presence
    if event == "attach":
        presence.attach(call.world, sandbox, key, seq, call.now)
        return json_response({"attached": True})
    release = presence.release(call.world, sandbox, key, seq, reason, call.now)
    if not release.should_queue:
        return json_response({"released": False, "queued": False})
    if call.world.outside.trigger_runtime == "missing":
        raise EmptyResponse(500)  # queueing the auto-pause check throws, uncaught
    presence.queue_auto_pause(call.world, sandbox, release.session, call.now)
    return json_response({"released": release.released, "queued": True, "gracePeriodMs": AUTO_PAUSE_GRACE_MS})


def _presence_payload(payload: dict[str, Any]) -> tuple[str, str, str, int, str | None]:
    event = payload.get("event")
    if event not in ("attach", "release"):
        raise flat_error(400, "event must be attach or release")
    tab, session = _presence_id(payload.get("tabId"), "tabId"), _presence_id(payload.get("sessionId"), "sessionId")
    seq = payload.get("eventSeq")
    if seq is None:
        seq = 0
    elif isinstance(seq, bool) or not isinstance(seq, (int, float)) or not float(seq).is_integer() or seq < 0:
        raise flat_error(400, "eventSeq must be a non-negative integer")
    reason = payload.get("reason")
    reason = reason.strip()[:64] or None if isinstance(reason, str) else None
    return event, tab, session, int(seq), reason


def _presence_id(value: Any, label: str) -> str:
    if not isinstance(value, str):
        raise flat_error(400, f"{label} is required")
    trimmed = value.strip()
    if not 0 < len(trimmed) <= 128:
        raise flat_error(400, f"{label} must be between 1 and 128 characters")
    return trimmed
