"""What a repo adds to or takes from its owner's reusable resources: the override tables
(`repo_connection_overrides`, `repo_rule_overrides`, `repo_skill_overrides`,
`repo_model_overrides`) and the GitHub Actions secrets the world plays GitHub for.

Override rows cascade with what they point at, so a row whose connection, rule or skill
is gone is never seen again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from mockplex.clock import parse_timestamp
from mockplex.world.connections import Connection

Row = dict[str, Any]
MAX_MCP_CONNECTIONS = 5
CONNECTION_OVERRIDES = "repo_connection_overrides"
RULE_OVERRIDES = "repo_rule_overrides"
SKILL_OVERRIDES = "repo_skill_overrides"
MODEL_OVERRIDES = "repo_model_overrides"


@dataclass
class ActionsSecret:
    name: str
    created_at: datetime
    updated_at: datetime


class RepoAttachments:
    def __init__(self) -> None:
        self._rows: dict[str, list[Row]] = {}
        self._secrets: dict[str, dict[str, ActionsSecret]] = {}

    def rows(self, table: str, repo_id: str, alive: Callable[[Row], bool] = lambda row: True) -> list[Row]:
        """A repo's rows in insertion order; `alive` says whether what a row points at still exists."""
        kept = [row for row in self._rows.get(table, []) if row["repo_id"] != repo_id or alive(row)]
        self._rows[table] = kept
        return [row for row in kept if row["repo_id"] == repo_id]

    def insert(self, table: str, row: Row) -> None:
        self._rows.setdefault(table, []).append(row)

    def find(self, table: str, repo_id: str, **match: Any) -> Row | None:
        return next((row for row in self._rows.get(table, []) if row["repo_id"] == repo_id
                     and all(row[column] == value for column, value in match.items())), None)

    def delete(self, table: str, repo_id: str, **match: Any) -> None:
        self._rows[table] = [row for row in self._rows.get(table, []) if not (
            row["repo_id"] == repo_id and all(row[column] == value for column, value in match.items()))]

    # -- GitHub Actions secrets (names and times only: a value goes to GitHub sealed) --------

    def secrets(self, repo_id: str) -> list[ActionsSecret]:
        return sorted(self._secrets.get(repo_id, {}).values(), key=lambda secret: secret.name)

    def put_secret(self, repo_id: str, name: str, now: datetime) -> None:
        stored = self._secrets.setdefault(repo_id, {})
        previous = stored.get(name)
        stored[name] = ActionsSecret(name, previous.created_at if previous else now, now)

    def delete_secret(self, repo_id: str, name: str) -> None:
        """GitHub reads a secret's name case-insensitively."""
        stored = self._secrets.get(repo_id, {})
        for stored_name in [key for key in stored if key.upper() == name.upper()]:
            del stored[stored_name]


def resolved_connections(global_connections: list[Connection], project_connections: list[Connection],
                         excluded: set[str]) -> list[Connection]:
    """What a repo's runs get: enabled global connections it does not exclude and its own
    enabled ones; MCP servers capped, the repo's own first, then the oldest."""
    chosen = [c for c in global_connections if c.row["is_enabled"] and c.row["id"] not in excluded]
    chosen += [c for c in project_connections if c.row["is_enabled"]]
    mcp = [c for c in chosen if c.row["type"] == "mcp_server"]
    if len(mcp) <= MAX_MCP_CONNECTIONS:
        return chosen
    mcp.sort(key=lambda c: (c.row["scope"] != "project", parse_timestamp(c.row["created_at"])))
    return [c for c in chosen if c.row["type"] == "rest_api"] + mcp[:MAX_MCP_CONNECTIONS]
