"""The team audit trail (`team_audit_events`): what was done in a team, by whom.

Payloads are stored the way the server sanitises them: a key that looks like a secret
keeps its name and loses its value, and nesting deeper than six levels is cut short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockplex.world.teams import Teams

REDACTED = "[redacted]"
MAX_PAYLOAD_DEPTH = 6
UNSAFE_KEY = re.compile(r"(api[_-]?key|authorization|credential|password|provider[_-]?key|prompt|secret|token)",
                        re.IGNORECASE)


@dataclass
class TeamAuditEvent:
    id: str
    team_id: str
    actor_user_id: str | None
    actor_member_id: str | None
    action: str
    target_type: str
    target_id: str | None
    payload: dict[str, Any]
    created_at: datetime
    decision_code: str | None = None
    correlations: dict[str, str | None] = field(default_factory=dict)  # repo_id, job_run_id, request_id, ...


def sanitize_payload(payload: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    return {key: REDACTED if UNSAFE_KEY.search(key) else _sanitize_value(value, depth)
            for key, value in payload.items()}


def _sanitize_value(value: Any, depth: int) -> Any:
    if depth > MAX_PAYLOAD_DEPTH:
        return "[truncated]"
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, list):
        return [_sanitize_value(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return sanitize_payload(value, depth + 1)
    return str(value)


class TeamAudit:
    def __init__(self, teams: Teams) -> None:
        self._teams = teams
        self.events: list[TeamAuditEvent] = []

    def record(self, event_id: str, now: datetime, team_id: str, actor_user_id: str | None, action: str,
               target_type: str, target_id: str | None = None, payload: dict[str, Any] | None = None,
               decision_code: str | None = None, correlations: dict[str, str | None] | None = None) -> TeamAuditEvent:
        member = self._teams.member(team_id, actor_user_id) if actor_user_id else None
        event = TeamAuditEvent(event_id, team_id, actor_user_id, member.id if member else None, action,
                               target_type, target_id, sanitize_payload(payload or {}), now, decision_code,
                               dict(correlations or {}))
        self.events.append(event)
        return event

    def of_team(self, team_id: str) -> list[TeamAuditEvent]:
        """Newest first, as the audit list orders them."""
        return sorted((event for event in self.events if event.team_id == team_id.lower()),
                      key=lambda event: event.created_at, reverse=True)
