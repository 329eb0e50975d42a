"""What the web's job-run actions do to a job run: cancel it, (re)start it, and enqueue a
retry of a failed one, as the server's job-run cancel, start and retry services do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mockplex.clock import format_timestamp
from mockplex.world.automations import JobRun

CANCEL_REASON = "USER_REQUESTED"
RUNTIME_MISSING = "Trigger.dev runtime is not configured"
LATEST_UNAVAILABLE = "The flow does not have an owned published version to run"


class RuntimeMissing(Exception):
    """Trigger.dev is not configured: starting the job run throws."""


def cancel(world: Any, job: JobRun, now: datetime) -> int:
    """Finalize a pending or running job run as cancelled; how many AI calls were asked to stop."""
    stamp = format_timestamp(now)
    calls_asked = 1 if job.status == "running" and job.ai_call_id else 0
    job.cancel_requested_at = job.cancel_requested_at or now
    world.waiting_work.cancel_waits_of(job.id, stamp)
    for node_run in job.node_runs:
        if node_run["status"] == "running":
            node_run.update(status="cancelled", completed_at=stamp, error=CANCEL_REASON)
    job.status, job.error, job.cancelled_at, job.cancel_reason = "cancelled", None, now, CANCEL_REASON
    job.completed_at = job.completed_at or now
    world.changes.publish("job_runs", "UPDATE", job.user_id)
    return calls_asked


def start(world: Any, job: JobRun, source: str, now: datetime) -> None:
    """Claim a pending job run and hand it to Trigger.dev; a failed hand-off leaves it pending."""
    if world.outside.trigger_runtime == "missing":
        _dispatch_event(world, job, "start_failed", RUNTIME_MISSING, source, now)
        raise RuntimeMissing(RUNTIME_MISSING)
    job.status, job.started_at, job.start_source = "running", now, source
    job.runtime_run_id = world.ids.short("run_", 20)
    job.ai_call_id = job.ai_call_id or world.ids.uuid()
    _dispatch_event(world, job, "started", None, source, now)
    world.changes.publish("job_runs", "UPDATE", job.user_id)


def _dispatch_event(world: Any, job: JobRun, outcome: str, reason: str | None, source: str, now: datetime) -> None:
    job.dispatch_events.append({"id": world.ids.uuid(), "event_kind": "start", "outcome": outcome, "reason": reason,
                                "metadata": {"source": source}, "created_at": format_timestamp(now)})


def retry_source_type(world: Any, job: JobRun, attribution: dict[str, Any]) -> str:
    if attribution["source_type"]:
        return attribution["source_type"]
    source_type = job.metadata.get("source_type")
    return source_type if isinstance(source_type, str) else "manual_retry"


def latest_published_version(world: Any, job: JobRun, source_type: str) -> str | None:
    """The flow's published version, when it still starts on the same event and installation."""
    automation = world.flows.automations.get(job.flow_id)
    version = automation.published_version if automation else None
    if version is None:
        return None
    start_node = next((node for node in version.graph["nodes"] if node["type"] == "start"), None)
    installation = job.metadata.get("installation_id")
    expected = installation if isinstance(installation, int) else automation.installation_id
    if start_node is None or start_node["data"].get("event") != source_type or expected != automation.installation_id:
        return None
    return version.id


def enqueue_retry(world: Any, job: JobRun, source_type: str, version_id: str | None, mode: str,
                  fallback: bool, now: datetime) -> JobRun:
    automation = world.flows.automations[job.flow_id]
    repo_id = job.metadata.get("repo_id") if isinstance(job.metadata.get("repo_id"), str) else None
    installation = job.metadata.get("installation_id")
    metadata = {key: value for key, value in job.metadata.items() if key != "retry_latest_published_unavailable"}
    if fallback:
        metadata["retry_latest_published_unavailable"] = True
    metadata.update({
        "source_type": source_type, "repo_id": repo_id,
        "installation_id": installation if isinstance(installation, int) else automation.installation_id,
        "flow_id": job.flow_id, "flow_version_id": version_id, "retry_version_mode": mode,
        "retry_original_flow_version_id": job.flow_version_id, "retry_selected_flow_version_id": version_id,
    })
    retry = JobRun(id=world.ids.uuid(), user_id=job.user_id, flow_id=job.flow_id, flow_version_id=version_id,
                   repo_id=job.repo_id, repo_full_name=job.repo_full_name, status="pending", created_at=now,
                   started_at=None, completed_at=None, metadata=metadata, source_type=source_type,
                   model=job.model, retry_of_job_run_id=job.id)
    retry.dispatch_events.append({"id": world.ids.uuid(), "event_kind": "enqueue", "outcome": "queued",
                                  "reason": None, "metadata": {"source": "manual_retry"},
                                  "created_at": format_timestamp(now)})
    world.flows.job_runs[retry.id] = retry
    world.changes.publish("job_runs", "INSERT", job.user_id)
    return retry
