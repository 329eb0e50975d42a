"""Files the CLI writes and a running server re-reads: minted tokens and sessions, and
revocations of any of them (the world's own included), all by SHA-256 only.

Each is a YAML list under one key, validated with file and line like a fixture, written
atomically (temp file, fsync, rename), and reloaded by the server when it changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Generic, TypeVar

import yaml

from mockplex.atomic_file import write_atomically
from mockplex.clock import format_timestamp
from mockplex.world.fixtures import Entry, open_fixture

Record = TypeVar("Record")
REVOKED_FILE = "revoked.yaml"


class StateFile(Generic[Record]):
    def __init__(self, path: Path | None, key: str, build: Callable[[Entry], Record],
                 stored: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        self.path = path
        self.key = key
        self._build = build
        self._stored = stored or (lambda raw: raw)
        self._version: tuple[int, int, int] | None = None

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
            status = self.path.stat()
        except OSError:
            return None
        # Every write is a rename, so a new inode tells a change even within one mtime tick.
        version = (status.st_mtime_ns, status.st_ino, status.st_size)
        if version == self._version:
            return None
        self._version = version
        return self.read()

    def append(self, raw: dict[str, Any]) -> None:
        """Add one record; records already there are rewritten in their stored form."""
        self.read()  # refuse to extend a file that is already broken
        existing = []
        if self.path.exists():
            with self.path.open("rb") as handle:
                existing = list((yaml.safe_load(handle) or {}).get(self.key) or [])
        records = [self._stored(dict(item)) for item in existing] + [raw]
        write_atomically(self.path, yaml.safe_dump({self.key: records}, sort_keys=False))


@dataclass(frozen=True)
class Revocation:
    kind: str  # "token" or "session"
    sha256: str
    revoked_at: datetime


def _revocation(entry: Entry) -> Revocation:
    return Revocation(kind=entry.choice("kind", ("token", "session")), sha256=entry.get("sha256", str),
                      revoked_at=entry.get("revoked_at", datetime))


def revocation_file(state_dir: Path | None) -> StateFile[Revocation]:
    return StateFile(state_dir / REVOKED_FILE if state_dir else None, "revoked", _revocation)


def record_revocation(state_dir: Path, kind: str, sha256: str, at: datetime) -> None:
    revocation_file(state_dir).append({"kind": kind, "sha256": sha256, "revoked_at": format_timestamp(at)})


class Revocations:
    """The revocations of one kind a state folder holds, re-read when the file changes."""

    def __init__(self, state_dir: Path | None, kind: str) -> None:
        self.kind = kind
        self._file = revocation_file(state_dir)
        self._at: dict[str, datetime] = {}

    def changed(self) -> bool:
        records = self._file.changed_records()
        if records is None:
            return False
        self._at = {record.sha256: record.revoked_at for record in records if record.kind == self.kind}
        return True

    def at(self, sha256: str) -> datetime | None:
        return self._at.get(sha256)
