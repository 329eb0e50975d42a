"""Sandboxes (spec §6): list, create-or-reuse through the launcher rules, logs."""

from __future__ import annotations

from aiohttp import web

from mockplex.call import Call
from mockplex.ids import is_strict_uuid, pg_uuid
from mockplex.responses import ApiError, bad_request, internal, not_found, ok
from mockplex.validation import (
    Invalid,
    is_valid_branch,
    normalize_root_directory,
    parse_limit,
    trimmed_string,
)
from mockplex.world.world import SANDBOX_SERVICE_DOWN


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
        call.user_id, repo_id, call.trimmed_query("status"), parse_limit(call.query("limit"), 100, 200))
    return ok({"sandboxes": [sandbox.to_api() for sandbox in sandboxes]})


async def create_sandbox(call: Call) -> web.Response:
    body = await call.body()
    repo_id = trimmed_string(body.get("repoId")) if isinstance(body, dict) else None
    if repo_id is None:
        raise bad_request("repoId is required")
    world = call.world
    repo = world.owned_repo(call.user_id, repo_id) if is_strict_uuid(repo_id) else None
    if repo is None:
        raise launcher_error(404, "Repo not found")
    if not world.users[call.user_id].github_connected:
        raise launcher_error(400, "Connect GitHub account first")
    base = trimmed_string(body.get("baseBranch")) or repo.default_branch or "main"
    if not is_valid_branch(base):
        raise launcher_error(400, "Invalid base branch")
    create_branch = body.get("createBranch") is True
    working = trimmed_string(body.get("workingBranch")) or (None if create_branch else base)
    if working is None or not is_valid_branch(working):
        raise launcher_error(400, "Invalid working branch")
    if create_branch and working == base:
        raise launcher_error(400, "New branch name must differ from the default branch")
    try:
        root = (normalize_root_directory(body["rootDirectory"]) if "rootDirectory" in body
                else repo.root_directory)
    except Invalid:
        raise launcher_error(400, "Invalid root directory") from None
    if world.sandbox_service == "unavailable":
        raise launcher_error(503, SANDBOX_SERVICE_DOWN)
    sandbox = world.launchable_sandbox(call.user_id, repo.id, working, root, call.now)
    if sandbox is None:
        refusal = world.sandbox_boot_refusal(call.user_id, call.now)
        if refusal is not None:
            raise launcher_error(429, refusal)
        sandbox = world.boot_sandbox(call.user_id, repo, base, working, root, call.now)
        if sandbox.status == "error":  # the launch stream ended in an error event
            raise launcher_error(502, sandbox.error)
    return ok({"sandbox": sandbox.to_api()}, status=202)


async def sandbox_logs(call: Call) -> web.Response:
    sandbox_id = pg_uuid(call.params["sandboxId"])
    if sandbox_id is None:
        raise internal("Failed to load sandbox logs")
    sandbox = call.world.owned_sandbox(call.user_id, sandbox_id)
    if sandbox is None:
        raise not_found("Sandbox not found")
    events = sorted(sandbox.lifecycle_events, key=lambda event: event.created_at)[:200]
    return ok({"sandbox": sandbox.to_api_with_logs(),
               "lifecycle_events": [event.to_api() for event in events]})
