"""Work waiting on a person: flow waits (flow_waits), the control chat's tool approvals
(control_approvals) and job runs' review findings (review_findings), as their rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mockplex.clock import format_timestamp
from mockplex.world.fixtures import Entry, open_fixture

APPROVAL_WAIT_KINDS = ("tool_approval", "manual_approval")
URGENCIES = ("low", "normal", "high")
CONTROL_STATUSES = ("pending", "approved", "denied", "expired", "cancelled")
FINDING_STATUSES = ("open", "issue_creating", "issue_created", "dismissed")
SEVERITIES = ("critical", "warning", "suggestion")
FIRST_ISSUE_NUMBER = 431


def _ts(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment else None


def _flow_wait(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.get("id", str), "user_id": entry.get("user", str), "job_run_id": entry.get("job_run", str),
        "node_id": entry.get("node", str), "wait_kind": entry.get("kind", str),
        "wait_config": entry.get("config", dict, {}), "status": entry.choice(
            "status", ("waiting", "resumed", "expired", "cancelled"), "waiting"),
        "created_at": _ts(entry.get("created_at", datetime)), "expires_at": _ts(entry.get("expires_at", datetime, None)),
        "resumed_at": None, "resume_payload": None,
    }


def _control_approval(entry: Entry) -> dict[str, Any]:
    """A control_approvals row, in the table's column order (the routes select `*`)."""
    return {
        "id": entry.get("id", str), "user_id": entry.get("user", str), "run_id": entry.get("run", str, None),
        "ai_call_id": entry.get("ai_call", str, None), "tool_name": entry.get("tool_name", str),
        "tool_call_id": entry.get("tool_call_id", str), "tool_input": entry.get("tool_input", dict, {}),
        "summary": entry.get("summary", str), "urgency": entry.choice("urgency", URGENCIES, "normal"),
        "status": entry.choice("status", CONTROL_STATUSES, "pending"), "resolution_source": None,
        "expires_at": _ts(entry.get("expires_at", datetime, None)), "resolved_at": None, "resolved_by": None,
        "resolution_note": None, "created_at": _ts(entry.get("created_at", datetime)),
    }


def _review_finding(entry: Entry) -> dict[str, Any]:
    created = _ts(entry.get("created_at", datetime))
    return {
        "id": entry.get("id", str), "user_id": entry.get("user", str), "job_run_id": entry.get("job_run", str),
        "repo_id": entry.get("repo", str, None), "pr_number": entry.get("pr_number", int, None),
        "severity": entry.choice("severity", SEVERITIES), "title": entry.get("title", str),
        "body": entry.get("body", str), "path": entry.get("path", str, None), "line": entry.get("line", int, None),
        "status": entry.choice("status", FINDING_STATUSES, "open"), "issue_number": None, "issue_url": None,
        "created_at": created, "updated_at": created,
    }


@dataclass
class WaitingWork:
    flow_waits: list[dict[str, Any]] = field(default_factory=list)
    control_approvals: list[dict[str, Any]] = field(default_factory=list)
    review_findings: list[dict[str, Any]] = field(default_factory=list)
    issues_opened: list[dict[str, Any]] = field(default_factory=list)  # what the world's GitHub was asked to open

    def pending_flow_approvals(self, user_id: str, now: str) -> list[dict[str, Any]]:
        """Waiting approval waits whose window has not lapsed, oldest first."""
        return sorted((wait for wait in self.flow_waits if wait["user_id"] == user_id
                       and wait["wait_kind"] in APPROVAL_WAIT_KINDS and wait["status"] == "waiting"
                       and (wait["expires_at"] is None or wait["expires_at"] > now)),
                      key=lambda wait: wait["created_at"])

    def owned_flow_approval(self, user_id: str, wait_id: str) -> dict[str, Any] | None:
        return next((wait for wait in self.flow_waits if wait["id"] == wait_id and wait["user_id"] == user_id
                     and wait["wait_kind"] in APPROVAL_WAIT_KINDS), None)

    def cancel_waits_of(self, job_run_id: str, cancelled_at: str) -> None:
        for wait in self.flow_waits:
            if wait["job_run_id"] == job_run_id and wait["status"] == "waiting":
                wait.update(status="cancelled", resumed_at=None,
                            resume_payload={"cancelled": True, "cancelled_at": cancelled_at})

    def active_wait_count(self, job_run_id: str) -> int:
        return sum(1 for wait in self.flow_waits if wait["job_run_id"] == job_run_id and wait["status"] == "waiting")

    def pending_control_approvals(self, user_id: str, run_id: str | None) -> list[dict[str, Any]]:
        pending = [dict(row) for row in self.control_approvals if row["user_id"] == user_id
                   and row["status"] == "pending" and (not run_id or row["run_id"] == run_id)]
        return sorted(pending, key=lambda row: row["created_at"], reverse=True)[:50]

    def owned_finding(self, user_id: str, job_run_id: str, finding_id: str) -> dict[str, Any] | None:
        return next((row for row in self.review_findings if row["id"] == finding_id
                     and row["job_run_id"] == job_run_id and row["user_id"] == user_id), None)

    def open_issue(self, repo_id: str, issue: dict[str, Any]) -> int:
        """GitHub numbers a repo's issues in sequence, after the pulls already there."""
        number = FIRST_ISSUE_NUMBER + sum(1 for opened in self.issues_opened if opened["repo_id"] == repo_id)
        self.issues_opened.append({"repo_id": repo_id, "number": number, **issue})
        return number


def read_waiting_work(path: Path) -> WaitingWork:
    """fixtures/approvals.yaml; a world without it has nothing waiting."""
    work = WaitingWork()
    top = open_fixture(path)
    if top is None:
        return work
    sections = (("flow_waits", work.flow_waits, _flow_wait), ("control_approvals", work.control_approvals,
                _control_approval), ("review_findings", work.review_findings, _review_finding))
    for key, target, build in sections:
        for entry in top.entries(key, key):
            target.append(build(entry))
            entry.finish()
    top.finish()
    return work
