"""Row-change notices for /api/realtime/events: (table, op, user id), fanned out to every
open stream. Only what the real stream reveals travels: no row ids."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    table: str
    op: str  # INSERT, UPDATE or DELETE
    user_id: str | None


class ChangeFeed:
    def __init__(self) -> None:
        self._listeners: set[asyncio.Queue[Change]] = set()

    def subscribe(self) -> asyncio.Queue[Change]:
        queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=1000)
        self._listeners.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change]) -> None:
        self._listeners.discard(queue)

    def publish(self, table: str, op: str, user_id: str | None) -> None:
        change = Change(table, op, user_id)
        for queue in self._listeners:
            if not queue.full():  # a stalled reader loses notices, never blocks the world
                queue.put_nowait(change)
