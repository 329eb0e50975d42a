"""The AI calls /api/chat made, kept in the shape observability lists them in."""

from __future__ import annotations

from typing import Any


class ChatCalls:
    def __init__(self) -> None:
        self._calls: list[dict[str, Any]] = []

    def record(self, call: dict[str, Any]) -> None:
        self._calls.append(call)

    def stored(self) -> list[dict[str, Any]]:
        """The rows themselves, for a route that moves a call along (a harness run)."""
        return self._calls

    def of_user(self, user_id: str) -> list[dict[str, Any]]:
        return [dict(call) for call in self._calls if call["user_id"] == user_id]
