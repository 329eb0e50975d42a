"""GET /api/observability/stats: the dashboard's totals over a window, computed as the
server's observability_stats_snapshot function computes them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers import observability_rows as rows
from mockplex.responses import json_response
from mockplex.handlers.observability import iso_param, stored_time, user_calls, user_jobs


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
    jobs = user_jobs(call, user_id)
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
    outcomes = [event["outcome"] for job in user_jobs(call, user_id) for event in rows.dispatch_events(job)
                if start <= stored_time(event["created_at"]) and (end is None or stored_time(event["created_at"]) <= end)]
    return {"suppressed_in_range": outcomes.count("suppressed"), "deferred_in_range": outcomes.count("deferred"),
            "start_failed_in_range": outcomes.count("start_failed")}


async def stats(call: Call) -> web.Response:
    user_id = call.require_user()
    now = call.now
    from_param, to_param = iso_param(call, "from"), iso_param(call, "to")
    start = from_param or now - timedelta(days=1)
    end = to_param or now
    every_call = user_calls(call, user_id)
    calls = [item for item in every_call if (from_param is None or stored_time(item["started_at"]) >= from_param)
             and (to_param is None or stored_time(item["started_at"]) <= to_param)]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = [item for item in every_call if stored_time(item["started_at"]) >= midnight]
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
