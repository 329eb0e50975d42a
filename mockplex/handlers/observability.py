"""/api/observability/* read views (internal spec §2.5) over the world's runs, chats and job runs.

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
from mockplex.handlers import observability_failures as failures
from mockplex.handlers import observability_rows as rows
from mockplex.handlers.observability_sanitize import (
    incident_id, sanitize_event, sanitize_payload, sanitize_tool_entry,
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


def _timestamp(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DatabaseError(raw) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _uuid(raw: str) -> str:
    canonical = pg_uuid(raw)
    if canonical is None:
        raise DatabaseError(raw)
    return canonical


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# -- ai calls ----------------------------------------------------------------------------------

def _user_calls(call: Call, user_id: str) -> list[dict[str, Any]]:
    world = call.world
    runs = [run for run in world.runs.values() if run.user_id == user_id]
    for run in runs:
        world.advance_run(run)
    job_calls = [rows.job_call(job) for job in _jobs(call, user_id)]
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
        wanted["repo_id"] = _uuid(call.query("repo_id"))
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
    start = _timestamp(call.query("from")) if call.query("from") else None
    end = _timestamp(call.query("to")) if call.query("to") else None
    search = _search(call, user_id)
    return [item for item in _user_calls(call, user_id)
            if _surface(item, call.query("surface"))
            and all(item[key] == value for key, value in equal.items())
            and all(str(item["metadata"].get(key)) == value for key, value in metadata.items())
            and (start is None or _at(item["started_at"]) >= start) and (end is None or _at(item["started_at"]) <= end)
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
    return now - _at(item["started_at"]) >= threshold


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
    known = run is not None or any(item["id"] == pg_uuid(call_id) for item in _user_calls(call, user_id))
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
    calls = [item for item in _postgres_order(_user_calls(call, user_id), "started_at", False)
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


# -- stats -------------------------------------------------------------------------------------

def _iso_param(call: Call, name: str) -> datetime | None:
    """`new Date(value)`; an unreadable value is dropped, not an error."""
    try:
        return _timestamp(call.query(name)) if call.query(name) else None
    except DatabaseError:
        return None


def _observed_tokens(item: dict[str, Any]) -> int:
    parts = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens")
    if any(item.get(part) is not None for part in parts):
        return sum(item.get(part) or 0 for part in parts)
    return item["total_tokens"] or 0


def _call_aggregates(calls: list[dict[str, Any]]) -> dict[str, Any]:
    models: dict[str, dict[str, Any]] = {}
    types: dict[str, dict[str, Any]] = {}
    for item in calls:
        # jsonb orders an object's keys by length, then bytes
        model = models.setdefault(item["model"], {"count": 0, "model": item["model"], "tokens": 0})
        model["count"] += 1
        model["tokens"] += _observed_tokens(item)
        types.setdefault(item["type"], {"type": item["type"], "count": 0})["count"] += 1
    durations = [item["duration_ms"] for item in calls if item["duration_ms"] is not None]
    return {"by_model": sorted(models.values(), key=lambda group: -group["count"]),
            "by_type": sorted(types.values(), key=lambda group: -group["count"]),
            "avg_duration_ms": sum(durations) / len(durations) if durations else None}


def _sandbox_time_ms(call: Call, user_id: str, start: datetime, end: datetime) -> int:
    total = 0.0
    for sandbox in call.world.sandboxes.values():
        if sandbox.user_id != user_id:
            continue
        finish = call.now if sandbox.status == "running" else sandbox.last_active_at or sandbox.created_at
        total += max(0.0, (min(finish, end) - max(sandbox.created_at, start)).total_seconds() * 1000)
    return int(total)


def _cost(calls: list[dict[str, Any]]) -> float:
    return rows.js_round(sum(float(item["cost_usd"]) for item in calls if item["cost_usd"] is not None) * 100) / 100


def _job_stats(call: Call, user_id: str, start: datetime, end: datetime) -> dict[str, Any]:
    jobs = _jobs(call, user_id)
    now = call.now

    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= moment <= end
    pending = [job for job in jobs if job.status == "pending"]
    concluded = [job for job in jobs if job.status in ("success", "failed")
                 and within(job.completed_at or job.started_at or job.created_at)]
    succeeded = sum(1 for job in concluded if job.status == "success")
    ages = [(now - (job.started_at or job.created_at)).total_seconds() * 1000 for job in pending]
    return {
        "job_runs_total": len(jobs), "job_runs_running": sum(1 for job in jobs if job.status == "running"),
        "job_runs_pending": len(pending),
        "job_runs_stale_pending": sum(1 for job in pending if now - (job.started_at or job.created_at)
                                      >= rows.STALE_PENDING_JOB),
        "job_runs_failed_in_range": sum(1 for job in jobs if job.status == "failed"
                                        and within(job.started_at or job.created_at)),
        "job_runs_repaired_in_range": 0, "job_runs_concluded_in_range": len(concluded),
        "job_runs_success_rate_in_range": rows.js_round(succeeded / len(concluded) * 1000) / 10 if concluded else None,
        "oldest_pending_age_ms": int(max(ages)) if ages else 0,
    }


def _dispatch_counts(call: Call, user_id: str, start: datetime, end: datetime | None) -> dict[str, int]:
    outcomes = [event["outcome"] for job in _jobs(call, user_id) for event in rows.dispatch_events(job)
                if start <= _at(event["created_at"]) and (end is None or _at(event["created_at"]) <= end)]
    return {"suppressed_in_range": outcomes.count("suppressed"), "deferred_in_range": outcomes.count("deferred"),
            "start_failed_in_range": outcomes.count("start_failed")}


async def stats(call: Call) -> web.Response:
    user_id = call.require_user()
    now = call.now
    from_param, to_param = _iso_param(call, "from"), _iso_param(call, "to")
    start = from_param or now - timedelta(days=1)
    end = to_param or now
    every_call = _user_calls(call, user_id)
    calls = [item for item in every_call if (from_param is None or _at(item["started_at"]) >= from_param)
             and (to_param is None or _at(item["started_at"]) <= to_param)]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = [item for item in every_call if _at(item["started_at"]) >= midnight]
    aggregates = _call_aggregates(calls)
    jobs = _job_stats(call, user_id, start, end)
    sandboxes = [sandbox for sandbox in call.world.sandboxes.values() if sandbox.user_id == user_id]
    summary = {
        "total_calls": len(calls), "total_tokens": sum(_observed_tokens(item) for item in calls),
        "total_cost": _cost(calls), "cost_today": _cost(today), "reconciliation_pending": 0,
        "avg_duration_ms": rows.js_round(aggregates["avg_duration_ms"] or 0),
        "success_rate": rows.js_round(sum(1 for item in calls if item["status"] == "success") / len(calls) * 1000)
        / 10 if calls else 0,
        "calls_today": len(today), "tokens_today": sum(_observed_tokens(item) for item in today),
        "sandbox_time_ms": _sandbox_time_ms(call, user_id, start, end),
        "sandbox_active": sum(1 for sandbox in sandboxes if sandbox.status == "running"),
        "sandbox_total": len(sandboxes),
        **{key: value for key, value in jobs.items() if key != "oldest_pending_age_ms"},
        **_dispatch_counts(call, user_id, start, to_param),
        "limit_allowed_in_range": 0, "limit_denied_in_range": 0,
        "oldest_pending_age_ms": jobs["oldest_pending_age_ms"],
    }
    return json_response({"summary": summary, "by_model": aggregates["by_model"], "by_type": aggregates["by_type"],
                          "limits_by_route": []})


# -- job runs, automation events and failures ---------------------------------------------------

def _jobs(call: Call, user_id: str) -> list[Any]:
    """The user's job runs newest first (created_at, then id, both descending)."""
    jobs = [job for job in call.world.flows.job_runs.values() if job.user_id == user_id]
    for job in jobs:
        job.advance(call.now)
    return sorted(jobs, key=lambda job: (format_timestamp(job.created_at), job.id), reverse=True)


def _job_row(call: Call, job: Any) -> dict[str, Any]:
    return rows.job_row(job, rows.flow_attribution(call.world, job), call.now)


def _job_sort_key(sort: str):
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    keys = {
        "status": lambda job: job["status"], "duration_ms": lambda job: job["duration_ms"] or 0,
        "start_attempts": lambda job: job["start_attempts"],
        "started_at": lambda job: _at(job["started_at"] or job["created_at"]),
        "completed_at": lambda job: _at(job["completed_at"]) or epoch,
    }
    return keys.get(sort, lambda job: _at(job["created_at"]))


def _loaded_jobs(call: Call, user_id: str) -> list[Any]:
    """The service's SQL filters: status, and created_at within from/to; unreadable values throw."""
    start = _timestamp(call.query("from")) if call.query("from") else None
    end = _timestamp(call.query("to")) if call.query("to") else None
    return [job for job in _jobs(call, user_id) if (not call.query("status") or job.status == call.query("status"))
            and (start is None or job.created_at >= start) and (end is None or job.created_at <= end)]


def _job_matches(call: Call, job: dict[str, Any], agent_ids: list[str]) -> bool:
    wanted = {"source_kind": call.query("source_kind"), "source_type": call.query("source_type")}
    if any(value and job[key] != value for key, value in wanted.items()):
        return False
    if call.query("repo_id") and job["repo"]["id"] != call.query("repo_id"):
        return False
    if call.query("agent_id") and call.query("agent_id") not in agent_ids:
        return False
    if call.query("only_repairable") == "true" and not job["repairable"]:
        return False
    return not (call.query("only_retried") == "true" and not job["retry_of_job_run_id"])


def _agent_ids(call: Call, job: Any) -> list[str]:
    automation = call.world.flows.automations.get(job.flow_id)
    versions = {version.id: version for version in automation.versions} if automation else {}
    version = versions.get(job.flow_version_id) or versions.get(automation.published_version_id if automation else None)
    nodes = version.graph.get("nodes", []) if version else []
    return [node["data"]["agentId"] for node in nodes if node["type"] == "agent" and node["data"].get("agentId")]


async def list_jobs(call: Call) -> web.Response:
    user_id = call.require_user()
    page, limit = rows.page_and_limit(call, 50)
    try:
        loaded = _loaded_jobs(call, user_id)
    except DatabaseError:
        raise EmptyResponse(500) from None  # the service throws; the route does not catch it
    jobs = [(job, _job_row(call, job)) for job in loaded]
    jobs = [(job, row) for job, row in jobs if _job_matches(call, row, _agent_ids(call, job))]
    jobs.sort(key=lambda pair: _job_sort_key(call.query("sort") or "created_at")(pair[1]),
              reverse=call.query("order") != "asc")
    shown = rows.js_slice(jobs, page, limit)
    for job, row in shown:
        ai_call = rows.job_call(job)
        row["latest_ai_call"] = {key: ai_call[key] for key in (
            "id", "job_run_id", "status", "model", "total_tokens", "tool_calls_count", "started_at")} if ai_call else None
        events = rows.dispatch_events(job)
        row["latest_dispatch_event"] = events[-1] if events else None
    return json_response({"jobs": [sanitize_payload(row, "JOB", row["id"]) for _, row in shown], "total": len(jobs),
                          "page": page, "limit": limit})


async def job_detail(call: Call) -> web.Response:
    user_id = call.require_user()
    job_id = call.params["id"]
    if pg_uuid(job_id) is None:
        return json_response({"error": "Failed to load job run detail. Contact support with incident "
                                       f"{incident_id('JOB', job_id)}."}, 500)
    job = next((job for job in _jobs(call, user_id) if job.id == pg_uuid(job_id)), None)
    if job is None:
        raise flat_error(404, "Job run not found")
    row = _job_row(call, job)
    ai_call = rows.job_call(job)
    events = rows.dispatch_events(job)
    row["latest_ai_call"] = {key: ai_call[key] for key in (
        "id", "status", "model", "total_tokens", "tool_calls_count", "started_at")} if ai_call else None
    row["latest_dispatch_event"] = events[-1] if events else None
    row.update({"dispatch_events": events, "ai_calls": [{**ai_call, "events": []}] if ai_call else [],
                "review_findings": []})
    return json_response({"run": sanitize_payload(row, "JOB", job_id)})


def _dispatch_row(call: Call, job: Any, event: dict[str, Any]) -> dict[str, Any]:
    automation = call.world.flows.automations.get(job.flow_id)
    attribution = rows.flow_attribution(call.world, job)
    return {
        "id": event["id"], "user_id": job.user_id, "job_run_id": job.id, "assignment_id": None, "trigger_id": None,
        "repo_id": job.repo_id, "installation_id": automation.installation_id if automation else None,
        "source_kind": "flow", "source_type": job.source_type, "event_kind": event["event_kind"],
        "outcome": event["outcome"], "reason": event["reason"], "metadata": event["metadata"],
        "created_at": event["created_at"], "flow_id": job.flow_id, "flow_version_id": job.flow_version_id,
        "repo": {"id": job.repo_id, "full_name": job.repo_full_name}, "agent": attribution["agent"],
    }


def _dispatch_rows(call: Call, user_id: str) -> list[dict[str, Any]]:
    events = [_dispatch_row(call, job, event) for job in _jobs(call, user_id) for event in rows.dispatch_events(job)]
    return sorted(events, key=lambda event: (event["created_at"], event["id"]), reverse=True)


async def automation_events(call: Call) -> web.Response:
    user_id = call.require_user()
    page, limit = rows.page_and_limit(call, 50, hex_prefix=False)
    try:
        wanted = {key: call.query(key) for key in ("outcome", "reason", "source_type") if call.query(key)}
        if call.query("repo_id"):
            wanted["repo_id"] = _uuid(call.query("repo_id"))
        start = _timestamp(call.query("from")) if call.query("from") else None
        end = _timestamp(call.query("to")) if call.query("to") else None
    except DatabaseError:
        raise EmptyResponse(500) from None  # the loader throws; the route does not catch it
    events = [event for event in _dispatch_rows(call, user_id)
              if all(event[key] == value for key, value in wanted.items())
              and (start is None or _at(event["created_at"]) >= start)
              and (end is None or _at(event["created_at"]) <= end)]
    in_memory = bool(call.query("source_kind") or call.query("agent_id"))
    if call.query("source_kind"):
        events = [event for event in events if event["source_kind"] == call.query("source_kind")]
    if call.query("agent_id"):
        events = [event for event in events if call.query("agent_id") in _agent_ids(
            call, call.world.flows.job_runs[event["job_run_id"]])]
    if in_memory:
        shown = rows.js_slice(events, page, limit)
    elif page is None or limit is None:
        shown = events  # an unreadable range reaches PostgREST, which ignores it
    else:
        shown = events[(page - 1) * limit: page * limit]
    return json_response({"events": shown, "total": len(events), "page": page, "limit": limit})


async def automation_failures(call: Call) -> web.Response:
    user_id = call.require_user()
    page, limit = rows.page_and_limit(call, 25, hex_prefix=False)
    bounds = []
    for name in ("from", "to"):
        try:
            bounds.append(_timestamp(call.query(name)) if call.query(name) else None)
        except DatabaseError:
            message = f'invalid input syntax for type timestamp with time zone: "{call.query(name)}"'
            raise flat_error(500, message) from None
    start, end = bounds
    control = [event for event in _dispatch_rows(call, user_id)
               if event["event_kind"] == "control" and event["outcome"] in ("completed", "failed")
               and (start is None or _at(event["created_at"]) >= start)
               and (end is None or _at(event["created_at"]) <= end)]
    models = {job.id: rows.flow_attribution(call.world, job)["model"] for job in _jobs(call, user_id)}
    records = [failures.record(event, models.get(event["job_run_id"])) for event in control]
    wanted = {name: call.query(name) for name in ("failure_class", "source_type", "provider", "model")}
    failed = [item for item in records if item["outcome"] == "failed"]
    shown = [item for item in failed if failures.matches(item, wanted)]
    return json_response({
        "summary": failures.summary([item for item in records if failures.matches(item, wanted)]),
        "breakdowns": failures.breakdowns(shown), "filter_options": failures.filter_options(failed),
        "records": rows.js_slice(shown, page, limit), "total": len(shown), "page": page, "limit": limit,
    })
