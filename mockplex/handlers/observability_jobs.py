"""The job views of observability: job runs (list and detail), automation dispatch events
and automation failures."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers import observability_failures as failures
from mockplex.handlers import observability_rows as rows
from mockplex.handlers.observability_sanitize import (
    incident_id, sanitize_payload,
)
from mockplex.ids import pg_uuid
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.handlers.observability import DatabaseError, stored_time, timestamp_param, user_jobs, uuid_param


def _job_row(call: Call, job: Any) -> dict[str, Any]:
    return rows.job_row(job, rows.flow_attribution(call.world, job), call.now)


def _job_sort_key(sort: str):
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    keys = {
        "status": lambda job: job["status"], "duration_ms": lambda job: job["duration_ms"] or 0,
        "start_attempts": lambda job: job["start_attempts"],
        "started_at": lambda job: stored_time(job["started_at"] or job["created_at"]),
        "completed_at": lambda job: stored_time(job["completed_at"]) or epoch,
    }
    return keys.get(sort, lambda job: stored_time(job["created_at"]))


def _loaded_jobs(call: Call, user_id: str) -> list[Any]:
    """The service's SQL filters: status, and created_at within from/to; unreadable values throw."""
    start = timestamp_param(call.query("from")) if call.query("from") else None
    end = timestamp_param(call.query("to")) if call.query("to") else None
    return [job for job in user_jobs(call, user_id) if (not call.query("status") or job.status == call.query("status"))
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
    job = next((job for job in user_jobs(call, user_id) if job.id == pg_uuid(job_id)), None)
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
    events = [_dispatch_row(call, job, event) for job in user_jobs(call, user_id) for event in rows.dispatch_events(job)]
    return sorted(events, key=lambda event: (event["created_at"], event["id"]), reverse=True)


async def automation_events(call: Call) -> web.Response:
    user_id = call.require_user()
    page, limit = rows.page_and_limit(call, 50, hex_prefix=False)
    try:
        wanted = {key: call.query(key) for key in ("outcome", "reason", "source_type") if call.query(key)}
        if call.query("repo_id"):
            wanted["repo_id"] = uuid_param(call.query("repo_id"))
        start = timestamp_param(call.query("from")) if call.query("from") else None
        end = timestamp_param(call.query("to")) if call.query("to") else None
    except DatabaseError:
        raise EmptyResponse(500) from None  # the loader throws; the route does not catch it
    events = [event for event in _dispatch_rows(call, user_id)
              if all(event[key] == value for key, value in wanted.items())
              and (start is None or stored_time(event["created_at"]) >= start)
              and (end is None or stored_time(event["created_at"]) <= end)]
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
            bounds.append(timestamp_param(call.query(name)) if call.query(name) else None)
        except DatabaseError:
            message = f'invalid input syntax for type timestamp with time zone: "{call.query(name)}"'
            raise flat_error(500, message) from None
    start, end = bounds
    control = [event for event in _dispatch_rows(call, user_id)
               if event["event_kind"] == "control" and event["outcome"] in ("completed", "failed")
               and (start is None or stored_time(event["created_at"]) >= start)
               and (end is None or stored_time(event["created_at"]) <= end)]
    models = {job.id: rows.flow_attribution(call.world, job)["model"] for job in user_jobs(call, user_id)}
    records = [failures.record(event, models.get(event["job_run_id"])) for event in control]
    wanted = {name: call.query(name) for name in ("failure_class", "source_type", "provider", "model")}
    failed = [item for item in records if item["outcome"] == "failed"]
    shown = [item for item in failed if failures.matches(item, wanted)]
    return json_response({
        "summary": failures.summary([item for item in records if failures.matches(item, wanted)]),
        "breakdowns": failures.breakdowns(shown), "filter_options": failures.filter_options(failed),
        "records": rows.js_slice(shown, page, limit), "total": len(shown), "page": page, "limit": limit,
    })
