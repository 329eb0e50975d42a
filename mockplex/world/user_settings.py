"""Per-user settings the web app stores beside the user row: provider keys and model switches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ProviderKey:
    provider: str
    value: str  # never leaves the world
    created_at: datetime
    updated_at: datetime


class ProviderKeys:
    def __init__(self) -> None:
        self._by_user: dict[str, dict[str, ProviderKey]] = {}

    def put(self, user_id: str, provider: str, value: str, now: datetime) -> None:
        """Store or replace a key; a replaced key keeps its creation time and its place."""
        stored = self._by_user.setdefault(user_id, {})
        previous = stored.get(provider)
        stored[provider] = ProviderKey(provider, value, previous.created_at if previous else now, now)

    def delete(self, user_id: str, provider: str) -> None:
        self._by_user.get(user_id, {}).pop(provider, None)

    def get(self, user_id: str, provider: str) -> ProviderKey | None:
        return self._by_user.get(user_id, {}).get(provider)

    def listed(self, user_id: str) -> list[ProviderKey]:
        return list(self._by_user.get(user_id, {}).values())


class ModelPreferences:
    """A user's explicit switch for a model; without one the catalog's default applies."""

    def __init__(self) -> None:
        self._enabled: dict[tuple[str, str], bool] = {}

    def set(self, user_id: str, model_id: str, enabled: bool) -> None:
        self._enabled[(user_id, model_id)] = enabled

    def of(self, user_id: str, model_id: str) -> bool | None:
        return self._enabled.get((user_id, model_id))
