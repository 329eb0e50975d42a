"""Agent runs (spec §7): start with idempotency and budgets, read, events, cancel."""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.ids import is_strict_uuid, pg_uuid
from mockplex.render import v1
from mockplex.responses import ApiError, EmptyResponse, bad_request, internal, not_found, ok
from mockplex.sanitize import sanitize_event_payload
from mockplex.validation import Invalid, is_valid_branch, Page, normalize_root_directory, trimmed_string
from mockplex.world.records import Run

MAX_PROMPT = 100_000
HARNESSES = ("codex", "claude-code")
EVENTS_PAGE = Page(100, 200)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalize_run_request(body: dict[str, Any], repo_id: str, repo_default_branch: str | None,
                          repo_root: str | None, idempotency_key: str) -> dict[str, Any]:
    """The normalized request the server hashes; raises ApiError on the first bad field."""
    prompt = trimmed_string(body.get("prompt"))
    if prompt is None:
        raise bad_request("Prompt is required")
    if len(prompt) > MAX_PROMPT:
        raise bad_request("Prompt is too long")
    harness = trimmed_string(body.get("harness")) or "codex"
    if harness not in HARNESSES:
        raise bad_request("Invalid harness")
    base = trimmed_string(body.get("baseBranch")) or repo_default_branch or "main"
    if not is_valid_branch(base):
        raise bad_request("Invalid base branch")
    create_branch = body.get("createBranch") is True
    try:
        root = normalize_root_directory(body["rootDirectory"]) if "rootDirectory" in body else repo_root
    except Invalid:
        raise bad_request("Invalid root directory") from None
    request = {
        "baseBranch": base, "conversationId": trimmed_string(body.get("conversationId")),
        "createBranch": create_branch, "harness": harness, "mode": trimmed_string(body.get("mode")),
        "prompt": prompt, "repoId": repo_id, "rootDirectory": root,
        "workspaceSessionId": trimmed_string(body.get("workspaceSessionId")),
    }
    working = trimmed_string(body.get("workingBranch"))
    if working is None:
        working = generated_branch(idempotency_key, request) if create_branch else base
    if not is_valid_branch(working):
        raise bad_request("Invalid working branch")
    if create_branch and working == base:
        raise bad_request("Working branch must differ from base branch when createBranch is true")
    return {**request, "workingBranch": working}


def generated_branch(idempotency_key: str, request_without_branch: dict[str, Any]) -> str:
    digest = _sha256(jsonio.canonical(request_without_branch))
    return f"mogplex/external/{_sha256(idempotency_key)[:8]}-{digest[:8]}"


async def start_run(call: Call) -> web.Response:
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise bad_request("Invalid JSON body")
    if body is None:
        raise EmptyResponse(500)  # the handler dereferences the body before checking it
    fields = body if isinstance(body, dict) else {}
    repo_id = trimmed_string(fields.get("repoId"))
    if repo_id is None:
        raise bad_request("repoId is required")
    repo = call.world.owned_repo(call.user_id, repo_id) if is_strict_uuid(repo_id) else None
    if repo is None:
        raise not_found("Repo not found")
    key = call.idempotency_key
    request = normalize_run_request(fields, repo_id, repo.default_branch, repo.root_directory, key)
    request_hash = _sha256(jsonio.canonical(request))
    existing = call.world.run_for_key(call.user_id, key)
    if existing is not None:
        if existing.request_hash != request_hash:
            raise ApiError(409, "IDEMPOTENCY_CONFLICT", "Idempotency key already used for a different request")
        return ok({**v1.run(existing), "replayed": True}, status=202)
    run = call.world.start_run(call.user_id, repo, request, key, request_hash, call.now)
    if run.status == "failed":
        raise internal("Failed to start run")
    return ok({**v1.run(run), "replayed": False}, status=202)


def _owned_run(call: Call, failure: str) -> Run:
    run_id = pg_uuid(call.params["runId"])
    if run_id is None:
        raise internal(failure)
    run = call.world.owned_run(call.user_id, run_id)
    if run is None:
        raise not_found("Run not found")
    return run


async def get_run(call: Call) -> web.Response:
    return ok({"run": v1.run(_owned_run(call, "Failed to load run"))})


async def run_events(call: Call) -> web.Response:
    run = _owned_run(call, "Failed to list events")
    limit = EVENTS_PAGE.size(call.query("limit"))
    events = sorted(run.events, key=lambda event: event.created_at)[:limit]
    return ok({"run": v1.run(run), "events": [{
        "id": event.id, "type": event.type, "toolName": event.tool_name, "message": event.message,
        "payload": sanitize_event_payload(event.payload), "createdAt": format_timestamp(event.created_at),
    } for event in events]})


async def cancel_run(call: Call) -> web.Response:
    run = _owned_run(call, "Failed to cancel run")
    cancelled = call.world.cancel_run(run, call.now)
    return ok({"run": v1.run(run), "status": run.status, "alreadyTerminal": not cancelled})

