"""The `memories` table and the scope rules the server's memory client reads it with: four
lanes, a jsonb metadata bag carrying the scope (repo, workspace session, conversation,
team), newest first. The world plays no embedding gateway, so a search is the client's
lexical (ILIKE) pass alone, as the server runs it without a gateway key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mockplex.clock import format_timestamp
from mockplex.world.conversations import Conversations
from mockplex.world.jsonb import jsonb

LANES = ("session", "semantic", "episodic", "procedural")
SESSION_VACUUM_AGE = timedelta(days=30)
# scope key → the metadata key a filter reads it from
FILTERED_KEYS = (("repoId", "repo_id"), ("workspaceSessionId", "workspace_session_id"),
                 ("conversationId", "conversation_id"), ("productTeamId", "product_team_id"))
SCOPE_KEYS = ("repoId", "workspaceSessionId", "conversationId", "resourceScope", "productTeamId", "sandboxId",
              "source", "agent")
LANE_SCOPE_KEYS = {"session": ("repoId", "workspaceSessionId", "conversationId", "resourceScope", "productTeamId")}
DEFAULT_LANE_SCOPE_KEYS = ("repoId", "resourceScope", "productTeamId")


@dataclass
class Memory:
    id: str
    user_id: str
    lane: str
    content: str
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    def render(self) -> dict[str, Any]:
        return {"id": self.id, "lane": self.lane, "content": self.content, "metadata": self.metadata,
                "created_at": format_timestamp(self.created_at), "updated_at": format_timestamp(self.updated_at)}


class Memories:
    def __init__(self) -> None:
        self._rows: list[Memory] = []

    def add(self, memory: Memory) -> Memory:
        memory.metadata = jsonb(memory.metadata)
        self._rows.append(memory)
        return memory

    def newest_first(self, user_id: str, lane: str | None, scope: dict[str, Any] | None) -> list[Memory]:
        rows = [memory for memory in reversed(self._rows)
                if memory.user_id == user_id and (lane is None or memory.lane == lane) and matches(memory, scope)]
        return sorted(rows, key=lambda memory: memory.created_at, reverse=True)

    def owned(self, user_id: str, memory_id: str) -> Memory | None:
        return next((memory for memory in self._rows if memory.id == memory_id and memory.user_id == user_id), None)

    def forget(self, memory: Memory) -> None:
        self._rows.remove(memory)

    def vacuum(self, user_id: str, now: datetime) -> None:
        cutoff = now - SESSION_VACUUM_AGE
        self._rows = [memory for memory in self._rows
                      if not (memory.user_id == user_id and memory.lane == "session" and memory.created_at < cutoff)]


class MemoryState:
    """What the web app remembers for its users: saved chat threads and memories."""

    def __init__(self) -> None:
        self.conversations = Conversations()
        self.memories = Memories()


def compact(scope: dict[str, Any] | None) -> dict[str, Any] | None:
    """compactMemoryScope: trimmed non-empty strings only; resourceScope personal or team."""
    if not scope:
        return None
    kept: dict[str, Any] = {}
    for key in SCOPE_KEYS:
        value = scope.get(key)
        if key == "resourceScope":
            if value in ("personal", "team"):
                kept[key] = value
        elif isinstance(value, str) and value.strip():
            kept[key] = value.strip()
    return kept or None


def for_lane(lane: str, scope: dict[str, Any] | None) -> dict[str, Any] | None:
    """getMemoryScopeForLane: a session reads its workspace session and conversation too."""
    normalized = compact(scope)
    if normalized is None:
        return None
    keys = LANE_SCOPE_KEYS.get(lane, DEFAULT_LANE_SCOPE_KEYS)
    return compact({key: normalized.get(key) for key in keys})


def matches(memory: Memory, scope: dict[str, Any] | None) -> bool:
    normalized = compact(scope)
    if normalized is None:
        return True
    for scope_key, metadata_key in FILTERED_KEYS:
        if scope_key in normalized and memory.metadata.get(metadata_key) != normalized[scope_key]:
            return False
    return not (normalized.get("resourceScope") == "personal" and memory.metadata.get("product_team_id") is not None)


def lane_metadata(lane: str, metadata: dict[str, Any] | None, scope: dict[str, Any] | None) -> dict[str, Any]:
    """buildLaneScopedMetadata: the caller's metadata, then the scope's keys on top."""
    normalized = compact(scope) or {}
    merged = dict(metadata or {})
    written = [("repoId", "repo_id"), ("resourceScope", "resource_scope"), ("productTeamId", "product_team_id")]
    if lane in ("session", "episodic"):
        written.append(("workspaceSessionId", "workspace_session_id"))
    if lane == "session":
        written.append(("conversationId", "conversation_id"))
    written += [("sandboxId", "sandbox_id"), ("source", "source"), ("agent", "agent")]
    for scope_key, metadata_key in written:
        if scope_key in normalized:
            merged[metadata_key] = normalized[scope_key]
    return merged
