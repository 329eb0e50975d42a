"""The `sandbox_launch_presets` table: named launch choices, unique per (user, repo, name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockplex.clock import format_timestamp

MAX_PER_REPO = 25


@dataclass
class LaunchPreset:
    id: str
    user_id: str
    repo_id: str
    name: str
    root_directory: str | None
    base_branch: str
    working_branch: str
    create_branch: bool
    created_at: datetime
    updated_at: datetime

    def row(self) -> dict[str, Any]:
        """`select *`, in the table's column order."""
        return {"id": self.id, "user_id": self.user_id, "repo_id": self.repo_id, "name": self.name,
                "root_directory": self.root_directory, "base_branch": self.base_branch,
                "working_branch": self.working_branch, "create_branch": self.create_branch,
                "created_at": format_timestamp(self.created_at), "updated_at": format_timestamp(self.updated_at)}


class LaunchPresets:
    def __init__(self) -> None:
        self._rows: list[LaunchPreset] = []

    def of(self, user_id: str, repo_id: str) -> list[LaunchPreset]:
        """Newest first (a tie keeps the later insert first)."""
        mine = [row for row in reversed(self._rows) if row.user_id == user_id and row.repo_id == repo_id]
        return sorted(mine, key=lambda row: row.created_at, reverse=True)

    def upsert(self, preset: LaunchPreset) -> LaunchPreset:
        """ON CONFLICT (user_id, repo_id, name): the existing row keeps its id and created_at."""
        existing = next((row for row in self.of(preset.user_id, preset.repo_id) if row.name == preset.name), None)
        if existing is None:
            self._rows.append(preset)
            return preset
        existing.root_directory, existing.base_branch = preset.root_directory, preset.base_branch
        existing.working_branch, existing.create_branch = preset.working_branch, preset.create_branch
        existing.updated_at = preset.updated_at
        return existing

    def delete(self, user_id: str, repo_id: str, preset_id: str) -> bool:
        for row in self._rows:
            if (row.user_id, row.repo_id, row.id) == (user_id, repo_id, preset_id):
                self._rows.remove(row)
                return True
        return False
