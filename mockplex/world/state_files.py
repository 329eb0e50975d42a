"""Files the CLI writes and a running server re-reads: minted tokens and sessions.

Each is a YAML list under one key, validated with file and line like a fixture, written
atomically (temp file, fsync, rename), and reloaded by the server when it changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Generic, TypeVar

import yaml

from mockplex.atomic_file import write_atomically
from mockplex.world.fixtures import Entry, open_fixture

Record = TypeVar("Record")


class StateFile(Generic[Record]):
    def __init__(self, path: Path | None, key: str, build: Callable[[Entry], Record]) -> None:
        self.path = path
        self.key = key
        self._build = build
        self._mtime: float | None = None

    def read(self) -> list[Record]:
        top = open_fixture(self.path) if self.path else None
        if top is None:
            return []
        records = []
        for entry in top.entries(self.key, self.key):
            records.append(self._build(entry))
            entry.finish()
        top.finish()
        return records

    def changed_records(self) -> list[Record] | None:
        """The file's records when it changed since the last look, else None."""
        if self.path is None:
            return None
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            return None
        if mtime == self._mtime:
            return None
        self._mtime = mtime
        return self.read()

    def append(self, raw: dict[str, Any]) -> None:
        self.read()  # refuse to extend a file that is already broken
        existing = []
        if self.path.exists():
            with self.path.open("rb") as handle:
                existing = list((yaml.safe_load(handle) or {}).get(self.key) or [])
        existing.append(raw)
        write_atomically(self.path, yaml.safe_dump({self.key: existing}, sort_keys=False))
