"""/api/observability/* run views (internal spec §2.5) over the world's runs, chats and job
runs: the AI calls, their events and tool calls.

Every v1 run is an ai_calls row of type `agent` and every chat one of type `chat`, so a run
started through v1 shows up here and moves the stats. Rows pass the server's user-facing
error pass (observability_sanitize) exactly where its routes apply it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers import observability_rows as rows
from mockplex.handlers.observability_sanitize import (
    sanitize_event, sanitize_payload, sanitize_tool_entry,
)
from mockplex.ids import pg_uuid
from mockplex.responses import EmptyResponse, flat_error, json_response


CALL_SORTS = ("started_at", "model", "type", "duration_ms", "status")
CALL_STATUSES = ("pending", "streaming", "success", "failed", "cancelled")
CALL_TYPES = ("chat", "pr_review", "cron_refactor", "cron", "agent", "push_review", "issue_triage", "ci_failure",
              "mention", "pr_comment", "issue_comment", "labeled", "tag_push")


SLACK_MODES = ("mapped_profile", "legacy_email", "installer_fallback", "unmapped")
LIVE = ("pending", "streaming")
SEARCH_DROPPED = re.compile(r"[^A-Za-z0-9\s\-_./#@:]")
FETCH_CALLS_FAILED = "Failed to fetch calls"


class DatabaseError(Exception):
    """What Postgres raises for a value its column cannot read (22P02, 22007)."""


def timestamp_param(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DatabaseError(raw) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def uuid_param(raw: str) -> str:
    canonical = pg_uuid(raw)
    if canonical is None:
        raise DatabaseError(raw)
    return canonical


def stored_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def user_jobs(call: Call, user_id: str) -> list[Any]:
    """The user's job runs newest first (created_at, then id, both descending)."""
    jobs = [job for job in call.world.flows.job_runs.values() if job.user_id == user_id]
    for job in jobs:
        job.advance(call.now)
    return sorted(jobs, key=lambda job: (format_timestamp(job.created_at), job.id), reverse=True)


def user_calls(call: Call, user_id: str) -> list[dict[str, Any]]:
    world = call.world
    runs = [run for run in world.runs.values() if run.user_id == user_id]
    for run in runs:
        world.advance_run(run)
    job_calls = [rows.job_call(job) for job in user_jobs(call, user_id)]
    return ([rows.run_call(run) for run in runs] + [rows.ai_call_row(item) for item in world.chat_calls.of_user(user_id)]
            + [item for item in job_calls if item])


def _surface(item: dict[str, Any], surface: str | None) -> bool:
    source = item["metadata"].get("source") if isinstance(item["metadata"], dict) else None
    if surface == "live":
        return item["status"] in LIVE
    if surface == "cli":
        return item["job_run_id"] is None and (item["runtime_command_id"] is not None or source == "cli")
    if surface == "cloud":
        return (item["job_run_id"] is None and item["runtime_command_id"] is None and source != "cli"
                and item["status"] not in LIVE)
    if surface == "automation":
        return item["job_run_id"] is not None
    return True


def _equal_filters(call: Call) -> dict[str, Any]:
    """Column filters the route applies; values a typed column cannot read raise DatabaseError."""
    wanted: dict[str, Any] = {}
    if call.query("type") in CALL_TYPES:
        wanted["type"] = call.query("type")
    if call.query("model"):
        wanted["model"] = call.query("model")
    if call.query("status") in CALL_STATUSES:
        wanted["status"] = call.query("status")
    if call.query("repo_id"):
        wanted["repo_id"] = uuid_param(call.query("repo_id"))
    if call.query("conversation_id"):
        wanted["conversation_id"] = call.query("conversation_id")
    return wanted


def _metadata_filters(call: Call) -> dict[str, str]:
    wanted = {key: call.query(key) for key in ("sandbox_record_id", "agent_id") if call.query(key)}
    if call.query("slack_attribution_mode") in SLACK_MODES:
        wanted["slack_attribution_mode"] = call.query("slack_attribution_mode")
    return wanted


def _search(call: Call, user_id: str):
    """The `q` box: a case-insensitive substring of model, conversation, PR number or repo name."""
    raw = call.query("q")
    needle = SEARCH_DROPPED.sub("", raw).strip().lower() if raw else ""
    if len(needle) < 2:
        return None
    repos = [repo.id for repo in call.world.repos.values()
             if repo.user_id == user_id and needle in repo.full_name.lower()][:50]

    def matches(item: dict[str, Any]) -> bool:
        pr_number = item["metadata"].get("pr_number") if isinstance(item["metadata"], dict) else None
        texts = (item["model"], item["conversation_id"], None if pr_number is None else str(pr_number))
        return any(text and needle in text.lower() for text in texts) or item["repo_id"] in repos
    return matches


def _filtered_calls(call: Call, user_id: str) -> list[dict[str, Any]]:
    equal, metadata = _equal_filters(call), _metadata_filters(call)
    start = timestamp_param(call.query("from")) if call.query("from") else None
    end = timestamp_param(call.query("to")) if call.query("to") else None
    search = _search(call, user_id)
    return [item for item in user_calls(call, user_id)
            if _surface(item, call.query("surface"))
            and all(item[key] == value for key, value in equal.items())
            and all(str(item["metadata"].get(key)) == value for key, value in metadata.items())
            and (start is None or stored_time(item["started_at"]) >= start) and (end is None or stored_time(item["started_at"]) <= end)
            and (search is None or search(item))]


def _postgres_order(items: list[dict[str, Any]], column: str, ascending: bool) -> list[dict[str, Any]]:
    """ORDER BY column: NULLs last ascending, first descending."""
    present = sorted((item for item in items if item[column] is not None), key=lambda item: item[column],
                     reverse=not ascending)
    missing = [item for item in items if item[column] is None]
    return present + missing if ascending else missing + present


def _stale(item: dict[str, Any], now: datetime) -> bool:
    if item["status"] not in LIVE:
        return False
    metadata = item["metadata"] if isinstance(item["metadata"], dict) else {}
    threshold = timedelta(minutes=2) if metadata.get("prepared") is True else (
        timedelta(minutes=5) if item["type"] == "chat" else timedelta(hours=6))
    return now - stored_time(item["started_at"]) >= threshold


def _with_sandbox_context(call: Call, user_id: str, item: dict[str, Any]) -> dict[str, Any]:
    record_id = item["metadata"].get("sandbox_record_id") if isinstance(item["metadata"], dict) else None
    if not isinstance(record_id, str) or not record_id.strip():
        return item
    sandbox = call.world.sandboxes.get(record_id.strip())
    context = None
    if sandbox is not None and sandbox.user_id == user_id:
        context = {"sandbox_record_id": sandbox.id, "sandbox_id": sandbox.sandbox_id,
                   "compute_billing_source": "platform", "billing_project_id": None, "billing_team_id": None,
                   "preview_url": (sandbox.preview_url or "").strip() or None}
    return {**item, "sandbox_context": context}


async def list_calls(call: Call) -> web.Response:
    user_id = call.require_user()
    page, limit = rows.page_and_limit(call, 50)
    sort = call.query("sort") if call.query("sort") in CALL_SORTS else "started_at"
    live_only = call.query("live_only") == "true"
    try:
        calls = _filtered_calls(call, user_id)
    except DatabaseError:
        raise flat_error(500, FETCH_CALLS_FAILED) from None
    if live_only:
        calls = [item for item in calls if item["type"] in ("chat", "agent") and item["status"] in LIVE
                 and not _stale(item, call.now)]
    calls = _postgres_order(calls, sort, call.query("order") == "asc")
    total = len(calls)
    if live_only:
        calls = rows.js_slice(calls, page, limit)
    elif page is not None and limit is not None:
        # A NaN page or limit reaches PostgREST as an unreadable range, which it ignores.
        calls = calls[(page - 1) * limit: page * limit]
    shown = [sanitize_payload(_with_sandbox_context(call, user_id, item), "CALL", item["id"]) for item in calls]
    return json_response({"calls": shown, "total": total, "page": page, "limit": limit})


async def call_events(call: Call) -> web.Response:
    user_id = call.require_user()
    call_id = call.query("ai_call_id")
    if not call_id:
        raise flat_error(400, "Missing ai_call_id")
    if pg_uuid(call_id) is None:
        raise EmptyResponse(500)  # the owner lookup throws on Postgres' 22P02, uncaught
    run = next((run for run in call.world.runs.values()
                if run.ai_call_id == pg_uuid(call_id) and run.user_id == user_id), None)
    known = run is not None or any(item["id"] == pg_uuid(call_id) for item in user_calls(call, user_id))
    if not known:
        raise flat_error(404, "Call not found")
    events = []
    if run is not None:
        call.world.advance_run(run)
        events = [{
            "id": event.id, "ai_call_id": run.ai_call_id, "user_id": run.user_id, "conversation_id": None,
            "repo_id": run.repo_id, "event_type": event.type, "tool_name": event.tool_name,
            "message": event.message, "payload": event.payload, "created_at": format_timestamp(event.created_at),
        } for event in sorted(run.events, key=lambda event: event.created_at)]
    return json_response({"events": [sanitize_event(event) for event in events]})


async def tool_calls(call: Call) -> web.Response:
    user_id = call.require_user()
    calls = [item for item in _postgres_order(user_calls(call, user_id), "started_at", False)
             if (item["tool_calls_count"] or 0) > 0][:50]
    entries = []
    for item in calls:
        tools = item["tool_calls"] if isinstance(item["tool_calls"], list) else []
        for index, tool in enumerate(tools):
            entries.append({
                "id": f"{item['id']}-{index}", "name": tool.get("name"),
                "input_preview": tool.get("input_preview") or None, "output_preview": tool.get("output_preview") or None,
                "input": _first_present(tool, "input", "input_preview"),
                "output": _first_present(tool, "output", "output_preview"),
                "model": item["model"], "type": item["type"], "started_at": item["started_at"],
            })
    return json_response([sanitize_tool_entry(entry) for entry in entries])


def _first_present(tool: dict[str, Any], *keys: str) -> Any:
    return next((tool[key] for key in keys if tool.get(key) is not None), None)


def iso_param(call: Call, name: str) -> datetime | None:
    """`new Date(value)`; an unreadable value is dropped, not an error."""
    try:
        return timestamp_param(call.query(name)) if call.query(name) else None
    except DatabaseError:
        return None
