"""Repo snapshots at the sandbox provider, and the snapshot builds the server has let start
(its `limit_events` for `snapshot_build`, which its rate limits count)."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SNAPSHOT_LIFETIME = timedelta(days=7)
BUILD_LIMITS = (  # (window, most builds allowed in it, the refusal's message and limit name)
    (timedelta(hours=1), 3, "Snapshot build rate limit exceeded", "snapshot_builds_per_hour"),
    (timedelta(days=1), 10, "Daily snapshot build quota exceeded", "snapshot_builds_per_day"),
)
BUILD_COOLDOWN = timedelta(minutes=15)
BUILD_LOCK_STALE = timedelta(minutes=15)
# The platform's Vercel project, where Mogplex-billed snapshots live.
PLATFORM_PROJECT_ID = "prj_mpxPlatformSandboxes7Q2"
LOCKFILES = ("pnpm-lock.yaml", "yarn.lock", "bun.lockb", "bun.lock", "package-lock.json")


@dataclass
class ProviderSnapshot:
    id: str
    size_bytes: int
    created_at: datetime
    status: str = "created"

    @property
    def expires_at(self) -> datetime:
        return self.created_at + SNAPSHOT_LIFETIME


@dataclass
class Snapshots:
    at_provider: dict[str, ProviderSnapshot] = field(default_factory=dict)
    builds: list[tuple[str, datetime]] = field(default_factory=list)  # (user id, when it was allowed)

    def take(self, snapshot_id: str, full_name: str, now: datetime) -> ProviderSnapshot:
        """The provider snapshots the build's sandbox; its size is the repo's own."""
        size = 180_000_000 + zlib.crc32(full_name.encode()) % 240_000_000
        snapshot = ProviderSnapshot(snapshot_id, size, now)
        self.at_provider[snapshot_id] = snapshot
        return snapshot

    def builds_since(self, user_id: str, since: datetime) -> list[datetime]:
        return sorted(at for who, at in self.builds if who == user_id and at > since)


def commit_sha(full_name: str, branch: str) -> str:
    """The head commit GitHub has for a branch: the same branch, the same commit."""
    return hashlib.sha1(f"{full_name}@{branch}".encode()).hexdigest()


def lockfile_hash(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if text is not None else None
