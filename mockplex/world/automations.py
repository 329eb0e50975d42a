"""Automations (Flows), their published versions and their job runs (v1 spec §8)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mockplex.clock import format_timestamp

JOB_RUN_SECONDS = 45
ACTIVE_JOB_STATUSES = ("pending", "running")
REPO_PENDING_LIMIT = 25
INSTALLATION_PENDING_LIMIT = 100
IDLE_RUN_SUMMARY = {"lastRunId": None, "lastRunStatus": None, "runningCount": 0, "pendingCount": 0, "failed24h": 0}


def _ts(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment else None


@dataclass
class FlowVersion:
    id: str
    version_number: int
    graph: dict[str, Any]
    created_at: datetime

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "versionNumber": self.version_number, "graph": copy.deepcopy(self.graph),
                "createdAt": format_timestamp(self.created_at)}


@dataclass
class Automation:
    id: str
    user_id: str
    installation_id: int
    name: str
    description: str | None
    notes: str | None
    status: str
    draft_graph: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    versions: list[FlowVersion] = field(default_factory=list)
    published_version_id: str | None = None
    webhook_secret: bool = False

    @property
    def published_version(self) -> FlowVersion | None:
        return next((v for v in self.versions if v.id == self.published_version_id), None)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "installationId": self.installation_id, "name": self.name,
                "description": self.description, "status": self.status,
                "publishedVersionId": self.published_version_id,
                "createdAt": format_timestamp(self.created_at), "updatedAt": format_timestamp(self.updated_at)}

    def to_api(self) -> dict[str, Any]:
        published = self.published_version
        return {"id": self.id, "installationId": self.installation_id, "name": self.name,
                "description": self.description, "notes": self.notes, "status": self.status,
                "draftGraph": copy.deepcopy(self.draft_graph),
                "publishedVersion": published.to_api() if published else None,
                "createdAt": format_timestamp(self.created_at), "updatedAt": format_timestamp(self.updated_at),
                "runSummary": dict(IDLE_RUN_SUMMARY)}


@dataclass
class JobRun:
    id: str
    user_id: str
    flow_id: str
    flow_version_id: str | None
    repo_id: str
    repo_full_name: str
    status: str
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    metadata: dict[str, Any]
    source_type: str
    runtime_run_id: str | None = None
    idempotency_key: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    error: str | None = None
    cost_usd: float | None = None
    model: str | None = None
    ai_call_id: str | None = None
    dispatch_events: list[dict[str, Any]] = field(default_factory=list)
    node_runs: list[dict[str, Any]] = field(default_factory=list)

    def advance(self, now: datetime) -> None:
        """A started job run finishes JOB_RUN_SECONDS after it started."""
        if self.status == "running" and self.started_at and now >= self.started_at + timedelta(seconds=JOB_RUN_SECONDS):
            self.status = "success"
            self.completed_at = self.started_at + timedelta(seconds=JOB_RUN_SECONDS)
            self.input_tokens, self.output_tokens, self.cost_usd = 18_420, 2_315, 0.0902
            for node_run in self.node_runs:
                node_run.update(status="success", completed_at=format_timestamp(self.completed_at))

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.completed_at:
            return int((self.completed_at - self.started_at).total_seconds() * 1000)
        return None

    def latest_ai_call(self) -> dict[str, Any] | None:
        if self.ai_call_id is None:
            return None
        tokens = (self.input_tokens or 0) + (self.output_tokens or 0)
        return {"id": self.ai_call_id, "status": "success" if self.status == "success" else self.status,
                "model": self.model, "total_tokens": tokens, "tool_calls_count": 7 if tokens else 0,
                "started_at": _ts(self.started_at)}

    def to_api(self, *, detail: bool = False) -> dict[str, Any]:
        record = {
            "id": self.id, "assignment_id": None, "trigger_id": None, "flow_id": self.flow_id,
            "flow_version_id": self.flow_version_id, "runtime_provider": "trigger" if self.runtime_run_id else None,
            "runtime_run_id": self.runtime_run_id, "workflow_run_id": None, "retry_of_job_run_id": None,
            "status": self.status, "created_at": format_timestamp(self.created_at),
            "started_at": _ts(self.started_at), "completed_at": _ts(self.completed_at),
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
            "duration_ms": self.duration_ms, "error": self.error, "start_attempts": 1 if self.started_at else 0,
            "last_start_attempt_at": _ts(self.started_at), "last_start_error": None,
            "last_start_source": "mcp" if self.started_at else None, "cancel_requested_at": None,
            "cancelled_at": None, "cancel_reason": None, "cancel_error": None,
            "metadata": copy.deepcopy(self.metadata), "source_kind": "flow", "source_type": self.source_type,
            "repo": {"id": self.repo_id, "full_name": self.repo_full_name},
            "agent": {"id": None, "name": None, "slug": None}, "cost_usd": self.cost_usd,
            "latest_ai_call": self.latest_ai_call() if detail else None,
            "repairable": False, "requeueable": self.status == "failed",
            "cancelable": self.status in ACTIVE_JOB_STATUSES, "active_wait_count": 0,
            "latest_dispatch_event": copy.deepcopy(self.dispatch_events[-1]) if self.dispatch_events else None,
            "node_runs": copy.deepcopy(self.node_runs),
        }
        if detail:
            call = self.latest_ai_call()
            record.update({
                "dispatch_events": copy.deepcopy(self.dispatch_events),
                "ai_calls": [{**call, "completed_at": _ts(self.completed_at), "events": []}] if call else [],
                "review_findings": [], "waits": [],
            })
        return record


class FlowError(Exception):
    """An automation-layer failure; `kind` is not_found, conflict or bad_request (§9)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


AGENTS_UNAVAILABLE = "One or more agents are not available to this user."
START_EVENTS = ("mention", "pull_request", "push", "issue", "schedule", "webhook", "slack", "manual")
