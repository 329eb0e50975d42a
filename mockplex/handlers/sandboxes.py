"""Sandboxes (spec §6): list, create-or-reuse through the launcher rules, logs."""

from __future__ import annotations

from aiohttp import web

from mockplex.call import Call
from mockplex.ids import pg_uuid
from mockplex.render import v1
from mockplex.responses import ApiError, bad_request, internal, not_found, ok
from mockplex.validation import Page, trimmed_string
from mockplex.world.launcher import LaunchRefused, plan_launch, reuse_or_boot

SANDBOXES_PAGE = Page(100, 200)


def launcher_error(status: int, message: str) -> ApiError:
    """The launcher's status passes through; the code only says whether it was a 5xx."""
    return ApiError(status, "SERVICE_UNAVAILABLE" if status >= 500 else "BAD_REQUEST", message)


async def list_sandboxes(call: Call) -> web.Response:
    repo_id = call.trimmed_query("repo_id")
    if repo_id is not None:
        repo_id = pg_uuid(repo_id)
        if repo_id is None:
            raise internal("Failed to list sandboxes")
    sandboxes = call.world.list_sandboxes(
        call.user_id, repo_id, call.trimmed_query("status"), SANDBOXES_PAGE.size(call.query("limit")))
    return ok({"sandboxes": [v1.sandbox(sandbox) for sandbox in sandboxes]})


async def create_sandbox(call: Call) -> web.Response:
    body = await call.body()
    repo_id = trimmed_string(body.get("repoId")) if isinstance(body, dict) else None
    if repo_id is None:
        raise bad_request("repoId is required")
    try:
        plan = plan_launch(call.world, call.user_id, repo_id, body)
        sandbox, _ = reuse_or_boot(call.world, call.user_id, plan, call.now)
    except LaunchRefused as refused:
        raise launcher_error(refused.status, refused.message) from None
    if sandbox.status == "error":  # the launch stream ended in an error event
        raise launcher_error(502, sandbox.error)
    return ok({"sandbox": v1.sandbox(sandbox)}, status=202)


async def sandbox_logs(call: Call) -> web.Response:
    sandbox_id = pg_uuid(call.params["sandboxId"])
    if sandbox_id is None:
        raise internal("Failed to load sandbox logs")
    sandbox = call.world.owned_sandbox(call.user_id, sandbox_id)
    if sandbox is None:
        raise not_found("Sandbox not found")
    events = sorted(sandbox.lifecycle_events, key=lambda event: event.created_at)[:200]
    return ok({"sandbox": v1.sandbox_with_logs(sandbox),
               "lifecycle_events": [v1.sandbox_event(event) for event in events]})
