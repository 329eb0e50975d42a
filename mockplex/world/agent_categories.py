"""The categories users define for their agents (the agent_categories table): a slug
unique per user, next to the built-in ones every user has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AgentCategory:
    id: str
    user_id: str
    slug: str
    label: str
    created_at: datetime


class AgentCategories:
    def __init__(self) -> None:
        self._rows: list[AgentCategory] = []

    def of_user(self, user_id: str) -> list[AgentCategory]:
        return [row for row in self._rows if row.user_id == user_id]

    def has_slug(self, user_id: str, slug: str) -> bool:
        return any(row.slug == slug for row in self.of_user(user_id))

    def owned(self, user_id: str, category_id: str) -> AgentCategory | None:
        return next((row for row in self.of_user(user_id) if row.id == category_id), None)

    def add(self, row: AgentCategory) -> None:
        self._rows.append(row)

    def remove(self, row: AgentCategory) -> None:
        self._rows.remove(row)
