"""The linked Vercel project's env vars, per repo (the latent `env_vars: working` mode)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class EnvVarEntry:
    id: str
    key: str
    value: str
    target: list[str]
    type: str
    updated_at: datetime


class EnvVars:
    def __init__(self) -> None:
        self._by_repo: dict[str, list[EnvVarEntry]] = {}

    def of(self, repo_id: str) -> list[EnvVarEntry]:
        return list(self._by_repo.get(repo_id, []))

    def named(self, repo_id: str, key: str) -> list[EnvVarEntry]:
        """A key may have several entries, one per target set."""
        return [entry for entry in self._by_repo.get(repo_id, []) if entry.key == key]

    def add(self, repo_id: str, entry: EnvVarEntry) -> None:
        self._by_repo.setdefault(repo_id, []).append(entry)

    def remove(self, repo_id: str, entry_id: str) -> None:
        """Delete one entry by its id (the web app's way), if it is there."""
        self._by_repo[repo_id] = [entry for entry in self._by_repo.get(repo_id, []) if entry.id != entry_id]

    def delete(self, repo_id: str, key: str) -> int:
        """Delete every entry of the key; how many there were."""
        entries = self._by_repo.get(repo_id, [])
        remaining = [entry for entry in entries if entry.key != key]
        self._by_repo[repo_id] = remaining
        return len(entries) - len(remaining)
