"""Saved workflow templates (the flow_templates table): a flow's graph kept for reuse by
its user, or by a team (then without bindings a teammate could not use)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from mockplex.clock import format_timestamp
from mockplex.world.owner_scope import OwnerScope

TEMPLATE_PAGE_SIZE = 25
# Start events whose template must be given a repository when it is used.
REPOSITORY_BOUND_EVENTS = ("schedule", "webhook", "slack_mention")
SUMMARY_FIELDS = ("id", "owner_type", "owner_user_id", "product_team_id", "created_by_user_id", "name",
                  "description", "source_flow_id", "trigger_event", "reconnect", "requires_repository",
                  "created_at", "updated_at")


def template_graph(graph: dict[str, Any], for_team: bool) -> dict[str, Any]:
    """The graph without its installation, repositories and Slack channel; a team's without agents."""
    graph = copy.deepcopy(graph)
    for node in graph["nodes"]:
        data = node["data"]
        if node["type"] == "start":
            for key in ("installationIds", "repos"):
                data["filter"].pop(key, None)
            for key in ("slackTeamId", "slackChannelId", "slackChannelName"):
                data.pop(key, None)
        if node["type"] == "agent" and for_team:
            data["agentId"] = None
    return graph


def reconnects(graph: dict[str, Any]) -> list[str]:
    """What a user must reconnect before the template runs, in the order the graph names it."""
    found: list[str] = []
    for node in graph["nodes"]:
        needs = []
        if node["type"] == "agent" and not node["data"].get("agentId"):
            needs.append("agent")
        if node["type"] == "start":
            needs.append({"webhook": "webhook", "slack_mention": "slack"}.get(node["data"].get("event"), ""))
        found += [need for need in needs if need and need not in found]
    return found


class FlowTemplates:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def page(self, scope: OwnerScope, cursor: int) -> dict[str, Any]:
        visible = sorted((row for row in self.rows.values() if self._visible(scope, row)),
                         key=lambda row: (row["updated_at"], row["id"]), reverse=True)
        window = visible[cursor:cursor + TEMPLATE_PAGE_SIZE + 1]
        return {"templates": [{key: row[key] for key in SUMMARY_FIELDS} for row in window[:TEMPLATE_PAGE_SIZE]],
                "next_cursor": str(cursor + TEMPLATE_PAGE_SIZE) if len(window) > TEMPLATE_PAGE_SIZE else None}

    def add(self, row_id: str, scope: OwnerScope, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
        stamp = format_timestamp(now)
        row = {"id": row_id, **scope.ownership_columns(), "created_by_user_id": scope.user_id, **fields,
               "created_at": stamp, "updated_at": stamp, "user_id": scope.user_id}
        self.rows[row_id] = row
        return {key: row[key] for key in SUMMARY_FIELDS}

    def delete(self, scope: OwnerScope, template_id: str) -> bool:
        row = self.rows.get(template_id)
        if row is None or not self._visible(scope, row):
            return False
        del self.rows[template_id]
        return True

    @staticmethod
    def _visible(scope: OwnerScope, row: dict[str, Any]) -> bool:
        if scope.team_id is not None:
            return row["owner_type"] == "team" and row["product_team_id"] == scope.team_id
        return row["owner_type"] == "user" and row["owner_user_id"] == scope.user_id
