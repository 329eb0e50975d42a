"""Automations (Flows), their published versions and their job runs (v1 spec §8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mockplex.clock import format_timestamp

JOB_RUN_SECONDS = 45
ACTIVE_JOB_STATUSES = ("pending", "running")
REPO_PENDING_LIMIT = 25
INSTALLATION_PENDING_LIMIT = 100


@dataclass
class FlowVersion:
    id: str
    version_number: int
    graph: dict[str, Any]
    created_at: datetime


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
    signing_secret: str | None = None  # the secret /webhook-secret handed out; fixtures hold none
    source_kind: str | None = None  # the column publish writes; None: never published, so github

    @property
    def published_version(self) -> FlowVersion | None:
        return next((v for v in self.versions if v.id == self.published_version_id), None)


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
    cancel_requested_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    retry_of_job_run_id: str | None = None
    start_source: str | None = None  # the last start's source, once a web action restarted it

    def advance(self, now: datetime) -> None:
        """A started job run finishes JOB_RUN_SECONDS after it started."""
        if self.status == "running" and self.started_at and now >= self.started_at + timedelta(seconds=JOB_RUN_SECONDS):
            self.status = "success"
            self.completed_at = self.started_at + timedelta(seconds=JOB_RUN_SECONDS)
            self.input_tokens, self.output_tokens, self.cost_usd = 18_420, 2_315, 0.0902
            for node_run in self.node_runs:
                node_run.update(status="success", completed_at=format_timestamp(self.completed_at))

    @property
    def source_kind(self) -> str:
        return "manual_retry" if self.retry_of_job_run_id else "flow"

    def cancel_columns(self) -> dict[str, Any]:
        return {"cancel_requested_at": _maybe_ts(self.cancel_requested_at), "cancelled_at": _maybe_ts(self.cancelled_at),
                "cancel_reason": self.cancel_reason, "cancel_error": None}

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.completed_at:
            return int((self.completed_at - self.started_at).total_seconds() * 1000)
        return None


def _maybe_ts(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment else None


@dataclass(frozen=True)
class Starter:
    """A starter template the web create offers: what it names the flow and how it wires it."""
    name: str
    description: str | None
    event: str
    start_filter: dict[str, Any] = field(default_factory=dict)
    agent_data: dict[str, Any] = field(default_factory=dict)


STARTERS = {
    "blank": Starter("Blank workflow", "A simple trigger, agent, and completion path.", "mention"),
    "pr-review": Starter("Pull request review", "Review every newly opened pull request.", "pr_opened"),
    "dependabot-autopilot": Starter(
        "Dependabot autopilot", "Review, repair, and merge safe Dependabot updates.", "pr_opened",
        {"scope": "all", "authorFilter": "dependabot_only"},
        {"autofix": True, "autofixSandbox": True, "autoMerge": True}),
    "issue-triage": Starter("Issue triage", "Analyze each new issue and recommend next steps.", "issue_opened"),
}
# No template_id: the same wiring as "blank", but the flow keeps the generic name.
UNNAMED_STARTER = Starter("Untitled flow", None, "mention")


class FlowError(Exception):
    """An automation-layer failure; `kind` is not_found, conflict or bad_request (§9), `code`
    the web routes' FlowServiceError code, `details` the graph rules broken."""

    def __init__(self, kind: str, message: str, code: str | None = None, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code
        self.details = details


AGENTS_UNAVAILABLE = "One or more agents are not available to this user."
# The start operator's trigger events (the server coerces any other to mention).
START_EVENTS = ("mention", "pr_opened", "issue_opened", "pr_comment", "issue_comment", "push", "ci_failure", "labeled",
                "tag_push", "schedule", "webhook", "slack_mention")
