"""Rows the observability routes read: ai_calls, job_runs and dispatch events, column for column.

The server selects `*` from ai_calls, so a row's keys follow the table's column order
(migrations appended columns over time); the job row follows the service's explicit select.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from mockplex.clock import format_timestamp
from mockplex.world.automations import JobRun
from mockplex.world.records import Run

AI_CALL_COLUMNS = (
    "id", "user_id", "type", "model", "input_tokens", "output_tokens", "total_tokens", "duration_ms", "started_at",
    "completed_at", "status", "error", "conversation_id", "job_run_id", "repo_id", "tool_calls_count", "tool_calls",
    "metadata", "runtime_command_id", "cancel_requested_at", "control_state", "limit_claim_id", "cost_usd",
    "cache_read_input_tokens", "cache_creation_input_tokens", "reasoning_tokens", "gateway_generation_id",
    "cost_source", "gateway_generation_ids",
)
HARNESS_MODELS = {"codex": "openai/gpt-5.1-codex", "claude-code": "anthropic/claude-sonnet-4.5"}
FINISHED_TOKENS = (14_200, 1_860)  # input, output of a finished simulated run
PRICE_PER_TOKEN = (1.25e-06, 1e-05)
JOB_CALL_STATUS = {"pending": "pending", "running": "streaming"}
STALE_PENDING_JOB = timedelta(minutes=2)
# The runtime records a control event when a job concludes; the mock derives it from the job.
CONTROL_OUTCOMES = {"success": ("completed", "AUTOMATION_COMPLETED"), "failed": ("failed", "AUTOMATION_FAILED")}
_CONTROL_NAMESPACE = uuid.UUID("6f0d3c52-2b8e-4f41-9a77-1c5e0b9d4a31")


def _ts(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment else None


def ai_call_row(values: dict[str, Any]) -> dict[str, Any]:
    """A stored ai_calls row; the calls list adds `sandbox_context` only where metadata names a sandbox."""
    return {column: values.get(column) for column in AI_CALL_COLUMNS}


def run_call(run: Run) -> dict[str, Any]:
    finished = run.status in ("success", "failed")
    input_tokens, output_tokens = FINISHED_TOKENS if finished else (0, 0)
    completed = run.updated_at if run.terminal else None
    tools = [event for event in run.events if event.type == "tool_finished"]
    return ai_call_row({
        "id": run.ai_call_id, "user_id": run.user_id, "type": "agent",
        "model": HARNESS_MODELS.get(run.harness, run.harness), "input_tokens": input_tokens,
        "output_tokens": output_tokens, "total_tokens": input_tokens + output_tokens,
        "duration_ms": int((completed - run.created_at).total_seconds() * 1000) if completed else None,
        "started_at": format_timestamp(run.created_at), "completed_at": _ts(completed), "status": run.status,
        "error": run.error, "repo_id": run.repo_id, "tool_calls_count": len(tools),
        "tool_calls": [{"name": event.tool_name, "duration_ms": event.payload.get("duration_ms")} for event in tools],
        "metadata": {"sandbox_record_id": run.sandbox_record_id} if run.sandbox_record_id else {},
        "cancel_requested_at": next(
            (format_timestamp(e.created_at) for e in run.events if e.type == "cancel_requested"), None),
        "control_state": "cancelled" if run.status == "cancelled" else "active",
        "cost_usd": round(input_tokens * PRICE_PER_TOKEN[0] + output_tokens * PRICE_PER_TOKEN[1], 6)
        if finished else None,
        "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0, "reasoning_tokens": 0,
        "cost_source": "trigger" if finished else None,
    })


def job_call(job: JobRun) -> dict[str, Any] | None:
    """The ai_calls row of a job run's agent step."""
    if job.ai_call_id is None or job.started_at is None:
        return None
    tokens = (job.input_tokens or 0) + (job.output_tokens or 0)
    return ai_call_row({
        "id": job.ai_call_id, "user_id": job.user_id, "type": "agent", "model": job.model,
        "input_tokens": job.input_tokens, "output_tokens": job.output_tokens, "total_tokens": tokens,
        "duration_ms": job.duration_ms, "started_at": _ts(job.started_at), "completed_at": _ts(job.completed_at),
        "status": JOB_CALL_STATUS.get(job.status, job.status), "error": job.error, "job_run_id": job.id,
        "repo_id": job.repo_id, "tool_calls_count": 7 if tokens else 0, "tool_calls": [], "metadata": {},
        "control_state": "cancelled" if job.status == "cancelled" else "active", "cost_usd": job.cost_usd,
    })


def dispatch_events(job: JobRun) -> list[dict[str, Any]]:
    """The job's dispatch timeline, oldest first, with the concluding control event."""
    events = [dict(event) for event in job.dispatch_events]
    outcome, reason = CONTROL_OUTCOMES.get(job.status, (None, None))
    if outcome and job.completed_at:
        events.append({"id": str(uuid.uuid5(_CONTROL_NAMESPACE, job.id)), "event_kind": "control",
                       "outcome": outcome, "reason": reason,
                       "metadata": {"model_failure_message": job.error} if job.error else {},
                       "created_at": format_timestamp(job.completed_at)})
    return sorted(events, key=lambda event: event["created_at"])


def job_row(job: JobRun, attribution: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The service's observability job: the selected columns, then what it derives from them."""
    pending = job.status == "pending"
    return {
        "id": job.id, "assignment_id": None, "trigger_id": None, "flow_id": job.flow_id,
        "flow_version_id": job.flow_version_id, "runtime_provider": "trigger" if job.runtime_run_id else None,
        "runtime_run_id": job.runtime_run_id, "workflow_run_id": None, "retry_of_job_run_id": job.retry_of_job_run_id,
        "status": job.status, "created_at": format_timestamp(job.created_at), "started_at": _ts(job.started_at),
        "completed_at": _ts(job.completed_at), "input_tokens": job.input_tokens, "output_tokens": job.output_tokens,
        "cost_usd": job.cost_usd, "duration_ms": job.duration_ms, "error": job.error,
        "start_attempts": 1 if job.started_at else 0, "last_start_attempt_at": _ts(job.started_at),
        "last_start_error": None, "last_start_source": job.start_source or _start_source(job),
        **job.cancel_columns(), "metadata": dict(job.metadata), "source_kind": job.source_kind,
        "source_type": job.metadata.get("source_type") if isinstance(job.metadata.get("source_type"), str)
        and job.metadata["source_type"] else attribution["source_type"] or "unknown",
        "repo": {"id": job.repo_id, "full_name": job.repo_full_name}, "agent": attribution["agent"],
        "latest_ai_call": None, "latest_dispatch_event": None,
        "repairable": pending and now - (job.started_at or job.created_at) >= STALE_PENDING_JOB,
        "requeueable": job.status == "failed", "cancelable": job.status in ("pending", "running"),
    }


def _start_source(job: JobRun) -> str | None:
    if job.started_at is None:
        return None
    return "api" if job.metadata.get("dispatch_source") == "mcp" else "webhook"


def flow_attribution(world: Any, job_or_event: dict[str, Any] | JobRun) -> dict[str, Any]:
    """The flow version's start event and primary agent (its start node's first agent target)."""
    flow_id = job_or_event.flow_id if isinstance(job_or_event, JobRun) else job_or_event.get("flow_id")
    version_id = job_or_event.flow_version_id if isinstance(job_or_event, JobRun) else job_or_event.get(
        "flow_version_id")
    automation = world.flows.automations.get(flow_id)
    versions = {version.id: version for version in automation.versions} if automation else {}
    version = versions.get(version_id) or versions.get(automation.published_version_id if automation else None)
    if version is None:
        return {"source_type": None, "agent": {"id": None, "name": None, "slug": None}, "model": None}
    nodes = {node["id"]: node for node in version.graph.get("nodes", [])}
    start = next((node for node in nodes.values() if node["type"] == "start"), None)
    targets = [nodes.get(edge["target"]) for edge in version.graph.get("edges", [])
               if start and edge["source"] == start["id"]]
    first = next((node for node in targets if node and node["type"] == "agent"), None) or next(
        (node for node in nodes.values() if node["type"] == "agent"), None)
    agent = world.agents.get(first["data"].get("agentId")) if first and first["data"].get("agentId") else None
    return {"source_type": start["data"].get("event") if start else None,
            "agent": {"id": agent.id if agent else None, "name": agent.name if agent else None,
                      "slug": agent.slug if agent else None}, "model": agent.model if agent else None}


_JS_INT = re.compile(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|[0-9]+)")


def js_parse_int(raw: str, *, hex_prefix: bool = True) -> int | None:
    """`Number.parseInt`: leading digits win, None for NaN; without a radix `0x` reads hex."""
    match = _JS_INT.match(raw)
    if match is None:
        return None
    sign, digits = match.groups()
    if digits[:2].lower() == "0x":
        value = int(digits, 16) if hex_prefix else 0
    else:
        value = int(digits)
    return -value if sign == "-" else value


def page_and_limit(call: Any, default_limit: int, *, hex_prefix: bool = True) -> tuple[int | None, int | None]:
    """`Math.max(1, parseInt(page))` and `Math.min(100, Math.max(1, parseInt(limit)))`; NaN stays None."""
    page = js_parse_int(call.query("page") or "1", hex_prefix=hex_prefix)
    limit = js_parse_int(call.query("limit") or str(default_limit), hex_prefix=hex_prefix)
    return (None if page is None else max(1, page)), (None if limit is None else min(100, max(1, limit)))


def js_slice(items: list[Any], page: int | None, limit: int | None) -> list[Any]:
    """`slice((page - 1) * limit, page * limit)`: a NaN bound slices nothing."""
    if page is None or limit is None:
        return []
    return items[(page - 1) * limit: page * limit]


def js_round(value: float) -> int:
    """`Math.round`: halves go up."""
    return int((value + 0.5) // 1)
