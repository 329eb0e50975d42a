"""Workspaces (the web app's projects): every owner has a default one for imported repos."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from mockplex.clock import DEFAULT_EPOCH
from mockplex.world.owner_scope import OwnerScope
from mockplex.world.records import Workspace

DEFAULT_NAME = "Imported Repos"
DEFAULT_DESCRIPTION = "Auto-created to organize synced GitHub repos."
DEFAULT_IDLE_TIMEOUT_MS = 30 * 60 * 1000


class Workspaces:
    def __init__(self, user_ids: Iterable[str]) -> None:
        self._by_id: dict[str, Workspace] = {}
        for user_id in user_ids:
            self.add(self.default_for(user_id))

    @staticmethod
    def default_for(user_id: str, team_id: str | None = None, now: datetime = DEFAULT_EPOCH) -> Workspace:
        owner = f"team:{team_id}" if team_id else user_id
        workspace_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"default-workspace:{owner}"))
        return Workspace(workspace_id, user_id, DEFAULT_NAME, DEFAULT_DESCRIPTION, True, now, now,
                         product_team_id=team_id, sandbox_idle_timeout_ms=DEFAULT_IDLE_TIMEOUT_MS)

    def ensure_default(self, scope: OwnerScope, now: datetime) -> Workspace:
        """The owner's default workspace, created on first need as the server does."""
        existing = next((w for w in self.of_scope(scope) if w.is_default), None)
        if existing is not None:
            return existing
        workspace = self.default_for(scope.user_id, scope.team_id, now)
        self.add(workspace)
        return workspace

    def get(self, workspace_id: str | None) -> Workspace | None:
        return self._by_id.get(workspace_id)

    def owned(self, scope: OwnerScope, workspace_id: str) -> Workspace | None:
        workspace = self._by_id.get(workspace_id)
        return workspace if workspace is not None and scope.owns(workspace) else None

    def of_scope(self, scope: OwnerScope) -> list[Workspace]:
        """The default first, then oldest first."""
        return sorted((w for w in self._by_id.values() if scope.owns(w)),
                      key=lambda w: (not w.is_default, w.created_at))

    def name_taken(self, scope: OwnerScope, name: str, other_than: str | None = None) -> bool:
        """The unique index on (owner, lower(name))."""
        return any(w.name.lower() == name.lower() and w.id != other_than for w in self.of_scope(scope))

    def add(self, workspace: Workspace) -> None:
        self._by_id[workspace.id] = workspace

    def delete(self, workspace_id: str) -> None:
        del self._by_id[workspace_id]
