"""/api/observability/* (internal spec §2.5): the world's runs seen as AI calls and stats.

Every v1 run is an AI call of type `agent`; every chat is one of type `chat`; so a run
started through v1 shows up here and moves the stats.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.render import v1
from mockplex.responses import flat_error, json_response
from mockplex.validation import parse_limit
from mockplex.world.records import Run

HARNESS_MODELS = {"codex": "openai/gpt-5.1-codex", "claude-code": "anthropic/claude-sonnet-4.5"}
FINISHED_TOKENS = (14_200, 1_860)  # input, output of a finished simulated run
PRICE_PER_TOKEN = (1.25e-06, 1e-05)
SORTS = ("started_at", "model", "type", "duration_ms", "status")


def _ts(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment else None


def ai_call(run: Run) -> dict[str, Any]:
    finished = run.status in ("success", "failed")
    input_tokens, output_tokens = FINISHED_TOKENS if finished else (0, 0)
    cost = round(input_tokens * PRICE_PER_TOKEN[0] + output_tokens * PRICE_PER_TOKEN[1], 6) if finished else None
    completed = run.updated_at if run.terminal else None
    tools = [event for event in run.events if event.type == "tool_finished"]
    return {
        "id": run.ai_call_id, "user_id": run.user_id, "type": "agent",
        "model": HARNESS_MODELS.get(run.harness, run.harness), "input_tokens": input_tokens,
        "output_tokens": output_tokens, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0,
        "reasoning_tokens": 0, "gateway_generation_id": None, "cost_source": "trigger" if finished else None,
        "total_tokens": input_tokens + output_tokens, "cost_usd": cost,
        "duration_ms": int((completed - run.created_at).total_seconds() * 1000) if completed else None,
        "started_at": format_timestamp(run.created_at), "completed_at": _ts(completed), "status": run.status,
        "error": run.error, "conversation_id": None, "job_run_id": None, "repo_id": run.repo_id,
        "limit_claim_id": None, "cancel_requested_at": next(
            (format_timestamp(e.created_at) for e in run.events if e.type == "cancel_requested"), None),
        "control_state": "cancelled" if run.status == "cancelled" else "active",
        "runtime_command_id": None, "tool_calls_count": len(tools),
        "tool_calls": [{"name": event.tool_name, "duration_ms": event.payload.get("duration_ms")} for event in tools],
        "metadata": {},
        "sandbox_context": {"sandbox_record_id": run.sandbox_record_id, "sandbox_id": run.sandbox_id,
                            "compute_billing_source": "platform", "billing_project_id": None,
                            "billing_team_id": None, "preview_url": None} if run.sandbox_record_id else None,
    }


def _user_calls(call: Call, user_id: str) -> list[dict[str, Any]]:
    world = call.world
    runs = [run for run in world.runs.values() if run.user_id == user_id]
    for run in runs:
        world.advance_run(run)
    return [ai_call(run) for run in runs] + world.chat_calls.of_user(user_id)


async def list_calls(call: Call) -> web.Response:
    user_id = call.require_user()
    calls = _user_calls(call, user_id)
    for field in ("status", "repo_id", "model", "type"):
        wanted = call.query(field)
        if wanted:
            calls = [item for item in calls if item[field] == wanted]
    sort = call.query("sort") if call.query("sort") in SORTS else "started_at"
    calls.sort(key=lambda item: (item[sort] is None, item[sort] or 0), reverse=call.query("order") != "asc")
    limit = parse_limit(call.query("limit"), 50, 100)
    page = parse_limit(call.query("page"), 1, 1_000_000)
    return json_response({"calls": calls[(page - 1) * limit: page * limit], "total": len(calls),
                          "page": page, "limit": limit})


async def call_events(call: Call) -> web.Response:
    user_id = call.require_user()
    call_id = call.query("ai_call_id")
    if not call_id:
        raise flat_error(400, "Missing ai_call_id")
    run = next((run for run in call.world.runs.values() if run.ai_call_id == call_id and run.user_id == user_id), None)
    if run is None:
        raise flat_error(404, "Call not found")
    call.world.advance_run(run)
    return json_response({"events": [{
        "id": event.id, "ai_call_id": run.ai_call_id, "user_id": run.user_id, "conversation_id": None,
        "repo_id": run.repo_id, "event_type": event.type, "tool_name": event.tool_name, "message": event.message,
        "payload": event.payload, "created_at": format_timestamp(event.created_at),
    } for event in sorted(run.events, key=lambda event: event.created_at)]})


def _window(call: Call) -> tuple[datetime, datetime]:
    def parsed(name: str) -> datetime | None:
        try:
            return datetime.fromisoformat(call.query(name).replace("Z", "+00:00")) if call.query(name) else None
        except ValueError:
            return None
    return parsed("from") or call.now - timedelta(days=1), parsed("to") or call.now


def _grouped(calls: list[dict[str, Any]], key: str, with_tokens: bool) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for item in calls:
        group = groups.setdefault(item[key], {key: item[key], "count": 0, **({"tokens": 0} if with_tokens else {})})
        group["count"] += 1
        if with_tokens:
            group["tokens"] += item["total_tokens"]
    return sorted(groups.values(), key=lambda group: -group["count"])


async def stats(call: Call) -> web.Response:
    user_id = call.require_user()
    world = call.world
    calls = _user_calls(call, user_id)
    start, end = _window(call)
    midnight = call.now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = [item for item in calls if datetime.fromisoformat(item["started_at"]) >= midnight]
    durations = [item["duration_ms"] for item in calls if item["duration_ms"] is not None]
    jobs = [job for job in world.flows.job_runs.values() if job.user_id == user_id]
    concluded = [job for job in jobs if job.status in ("success", "failed") and job.completed_at
                 and start <= job.completed_at <= end]
    sandboxes = [sandbox for sandbox in world.sandboxes.values() if sandbox.user_id == user_id]
    pending = [job for job in jobs if job.status == "pending"]
    summary = {
        "total_calls": len(calls), "total_tokens": sum(item["total_tokens"] for item in calls),
        "total_cost": round(sum(item["cost_usd"] or 0 for item in calls), 2),
        "cost_today": round(sum(item["cost_usd"] or 0 for item in today), 2), "reconciliation_pending": 0,
        "avg_duration_ms": round(sum(durations) / len(durations)) if durations else 0,
        "success_rate": round(100 * sum(1 for item in calls if item["status"] == "success") / len(calls), 1)
        if calls else 0,
        "calls_today": len(today), "tokens_today": sum(item["total_tokens"] for item in today),
        "sandbox_time_ms": sum(_overlap_ms(s.created_at, s.last_active_at, start, end) for s in sandboxes),
        "sandbox_active": sum(1 for sandbox in sandboxes if sandbox.status == "running"),
        "sandbox_total": len(sandboxes), "job_runs_total": len(jobs),
        "job_runs_running": sum(1 for job in jobs if job.status == "running"), "job_runs_pending": len(pending),
        "job_runs_stale_pending": 0,
        "job_runs_failed_in_range": sum(1 for job in jobs if job.status == "failed" and job.started_at
                                        and start <= job.started_at <= end),
        "job_runs_repaired_in_range": 0, "job_runs_concluded_in_range": len(concluded),
        "job_runs_success_rate_in_range": round(100 * sum(1 for job in concluded if job.status == "success")
                                                / len(concluded), 1) if concluded else None,
        "suppressed_in_range": 0, "deferred_in_range": 0, "start_failed_in_range": 0,
        "limit_allowed_in_range": 0, "limit_denied_in_range": 0,
        "oldest_pending_age_ms": int((call.now - min(job.created_at for job in pending)).total_seconds() * 1000)
        if pending else 0,
    }
    return json_response({"summary": summary, "by_model": _grouped(calls, "model", True),
                          "by_type": _grouped(calls, "type", False), "limits_by_route": []})


def _overlap_ms(begin: datetime, finish: datetime, start: datetime, end: datetime) -> int:
    overlap = (min(finish, end) - max(begin, start)).total_seconds()
    return int(overlap * 1000) if overlap > 0 else 0


# -- job runs, automation events and failures ---------------------------------------------------

JOB_SORTS = ("created_at", "started_at", "completed_at", "status", "duration_ms", "start_attempts")


def _jobs(call: Call, user_id: str) -> list[Any]:
    world = call.world
    jobs = [job for job in world.flows.job_runs.values() if job.user_id == user_id]
    for job in jobs:
        job.advance(call.now)
    return jobs


def _paged(call: Call, items: list[Any], default_limit: int) -> tuple[list[Any], dict[str, int]]:
    limit = parse_limit(call.query("limit"), default_limit, 100)
    page = parse_limit(call.query("page"), 1, 1_000_000)
    return items[(page - 1) * limit: page * limit], {"total": len(items), "page": page, "limit": limit}


def observability_job(job: Any) -> dict[str, Any]:
    record = v1.job_run(job)
    record.pop("node_runs")
    record.pop("active_wait_count")
    record["latest_ai_call"] = v1.latest_ai_call(job)
    return record


async def list_jobs(call: Call) -> web.Response:
    user_id = call.require_user()
    jobs = [observability_job(job) for job in _jobs(call, user_id)]
    for field in ("status", "source_kind", "source_type"):
        if call.query(field):
            jobs = [job for job in jobs if job[field] == call.query(field)]
    if call.query("repo_id"):
        jobs = [job for job in jobs if job["repo"]["id"] == call.query("repo_id")]
    sort = call.query("sort") if call.query("sort") in JOB_SORTS else "created_at"
    jobs.sort(key=lambda job: (job[sort] is None, job[sort] or 0), reverse=call.query("order") != "asc")
    page, counts = _paged(call, jobs, 50)
    return json_response({"jobs": page, **counts})


async def job_detail(call: Call) -> web.Response:
    user_id = call.require_user()
    job = next((job for job in _jobs(call, user_id) if job.id == call.params["id"]), None)
    if job is None:
        raise flat_error(404, "Job run not found")
    detail = v1.job_run(job, detail=True)
    detail.pop("waits")
    return json_response({"run": detail})


async def automation_events(call: Call) -> web.Response:
    user_id = call.require_user()
    world = call.world
    events = []
    for job in _jobs(call, user_id):
        automation = world.flows.automations.get(job.flow_id)
        for event in job.dispatch_events:
            events.append({
                "id": event["id"], "job_run_id": job.id, "assignment_id": None, "trigger_id": None,
                "flow_id": job.flow_id, "flow_version_id": job.flow_version_id, "repo_id": job.repo_id,
                "installation_id": automation.installation_id if automation else None, "source_kind": "flow",
                "source_type": job.source_type, "event_kind": event["event_kind"], "outcome": event["outcome"],
                "reason": event["reason"], "metadata": event["metadata"], "created_at": event["created_at"],
                "repo": {"id": job.repo_id, "full_name": job.repo_full_name},
                "agent": {"id": None, "name": None, "slug": None},
            })
    for field in ("outcome", "reason", "repo_id", "source_kind", "source_type"):
        if call.query(field):
            events = [event for event in events if event[field] == call.query(field)]
    events.sort(key=lambda event: event["created_at"], reverse=True)
    page, counts = _paged(call, events, 50)
    return json_response({"events": page, **counts})


async def automation_failures(call: Call) -> web.Response:
    user_id = call.require_user()
    failed = sorted((job for job in _jobs(call, user_id) if job.status == "failed"),
                    key=lambda job: job.created_at, reverse=True)
    records = [{
        "id": job.id, "jobRunId": job.id, "createdAt": format_timestamp(job.created_at), "sourceKind": "flow",
        "sourceType": job.source_type, "reason": "job_failed", "reasonLabel": "Job failed", "outcome": "failed",
        "repo": {"id": job.repo_id, "fullName": job.repo_full_name},
        "agent": {"id": None, "name": None, "slug": None, "model": job.model, "provider": None},
        "diagnostics": {"failureClass": "unknown", "failureLabel": "Unknown", "failureMessage": job.error,
                        "failureStatusCode": None, "executionPhase": "agent", "effectiveTimeoutMs": None,
                        "timeoutBucket": "unknown", "timeoutBucketLabel": "Unknown", "retryAttempted": False,
                        "retryCount": 0, "attempts": 1},
        "metadata": job.metadata,
    } for job in failed]
    classes = [{"key": "unknown", "label": "Unknown", "count": len(records)}] if records else []
    page, counts = _paged(call, records, 25)
    return json_response({
        "summary": {"failedTotal": len(records), "successfulRecoveries": 0, "retriedFailures": 0,
                    "timeoutFailures": 0, "authenticationFailures": 0, "configurationFailures": 0,
                    "providerFailures": 0, "dependencyFailures": 0},
        "breakdowns": {"byFailureClass": classes, "bySourceType": [], "byProvider": [], "byModel": [],
                       "byTimeoutBucket": []},
        "filter_options": {"failureClasses": [{"value": "unknown", "label": "Unknown"}], "sourceTypes": [],
                           "providers": [], "models": []},
        "records": page, **counts,
    })


async def tool_calls(call: Call) -> web.Response:
    user_id = call.require_user()
    calls = sorted((item for item in _user_calls(call, user_id) if item["tool_calls"]),
                   key=lambda item: item["started_at"], reverse=True)[:50]
    return json_response([{
        "id": f"{item['id']}-{index}", "name": tool["name"], "input_preview": None, "output_preview": None,
        "input": None, "output": None, "model": item["model"], "type": item["type"], "started_at": item["started_at"],
    } for item in calls for index, tool in enumerate(item["tool_calls"])])
