"""Workspaces (the web app's projects): every user has a default one for imported repos."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from mockplex.clock import DEFAULT_EPOCH
from mockplex.world.records import Workspace


class Workspaces:
    def __init__(self, user_ids: Iterable[str]) -> None:
        self._by_id: dict[str, Workspace] = {}
        for user_id in user_ids:
            self.add(self.default_for(user_id))

    @staticmethod
    def default_for(user_id: str) -> Workspace:
        workspace_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"default-workspace:{user_id}"))
        return Workspace(workspace_id, user_id, "Imported repositories", None, True, DEFAULT_EPOCH, DEFAULT_EPOCH)

    def get(self, workspace_id: str | None) -> Workspace | None:
        return self._by_id.get(workspace_id)

    def owned(self, user_id: str, workspace_id: str) -> Workspace | None:
        workspace = self._by_id.get(workspace_id)
        return workspace if workspace is not None and workspace.user_id == user_id else None

    def of_user(self, user_id: str) -> list[Workspace]:
        """The default first, then oldest first."""
        return sorted((w for w in self._by_id.values() if w.user_id == user_id),
                      key=lambda w: (not w.is_default, w.created_at))

    def name_taken(self, user_id: str, name: str) -> bool:
        return any(w.user_id == user_id and w.name.lower() == name.lower() for w in self._by_id.values())

    def add(self, workspace: Workspace) -> None:
        self._by_id[workspace.id] = workspace

    def delete(self, workspace_id: str) -> None:
        del self._by_id[workspace_id]
