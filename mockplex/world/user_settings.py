"""Per-user settings the web app stores beside the user row: provider keys and model switches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# What the provider answers the verify route's check: an HTTP status, or None when the
# request never gets an answer. by_prefix judges the stored key by its usual prefix.
PROVIDER_ANSWERS = {"accepted": 200, "bad_request": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404,
                    "rate_limited": 429, "server_error": 500, "unreachable": None}
PROVIDER_KEY_CHECKS = ("by_prefix", *PROVIDER_ANSWERS)
KEY_PREFIXES = {"anthropic": "sk-ant-", "openai": "sk-"}


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
        return sorted(self._by_user.get(user_id, {}).values(), key=lambda key: key.provider)

    def providers(self, user_id: str) -> set[str]:
        return set(self._by_user.get(user_id, {}))


def provider_answer(check: str, provider: str, key: str) -> int | None:
    """The status the provider's endpoint answers for this key under the world's setting."""
    if check == "by_prefix":
        return 200 if key.startswith(KEY_PREFIXES.get(provider, "")) else 401
    return PROVIDER_ANSWERS[check]


class ModelPreferences:
    """A user's explicit switch for a model; without one the catalog's default applies."""

    def __init__(self) -> None:
        self._enabled: dict[tuple[str, str], bool] = {}

    def set(self, user_id: str, model_id: str, enabled: bool) -> None:
        self._enabled[(user_id, model_id)] = enabled

    def of(self, user_id: str, model_id: str) -> bool | None:
        return self._enabled.get((user_id, model_id))
