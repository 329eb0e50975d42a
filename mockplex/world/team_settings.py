"""What a team's managers configure for everyone in it: shared provider keys
(`team_provider_keys`, the values in the vault), the model allowlist (`teams.model_allowlist`)
and which GitHub App installations are attached (`github_installations.product_team_id`).

A member working in the team's scope reaches models through their own keys and the
team's; the allowlist, when set, is the only models the scope may use (empty: none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mockplex.world.user_settings import ProviderKey


@dataclass(frozen=True)
class AllowlistState:
    """loadTeamAllowlistState: None is unrestricted; a tuple is the only models allowed."""
    models: tuple[str, ...] | None

    def permits(self, model_id: str) -> bool:
        return self.models is None or model_id in self.models


UNRESTRICTED = AllowlistState(None)


class TeamSettings:
    def __init__(self) -> None:
        self._keys: dict[str, dict[str, ProviderKey]] = {}
        self._allowlists: dict[str, list[str] | None] = {}
        self._attached: dict[int, str] = {}  # installation id -> team id, in attach order

    # -- provider keys ----------------------------------------------------------------

    def put_key(self, team_id: str, provider: str, value: str, now: datetime) -> None:
        """store_team_provider_key: a replaced key keeps its row's creation time."""
        stored = self._keys.setdefault(team_id.lower(), {})
        previous = stored.get(provider)
        stored[provider] = ProviderKey(provider, value, previous.created_at if previous else now, now)

    def delete_key(self, team_id: str, provider: str) -> None:
        self._keys.get(team_id.lower(), {}).pop(provider, None)

    def listed_keys(self, team_id: str) -> list[ProviderKey]:
        return sorted(self._keys.get(team_id.lower(), {}).values(), key=lambda key: key.provider)

    def key_providers(self, team_id: str) -> set[str]:
        return set(self._keys.get(team_id.lower(), {}))

    # -- model allowlist --------------------------------------------------------------

    def allowlist(self, team_id: str) -> list[str] | None:
        stored = self._allowlists.get(team_id.lower())
        return None if stored is None else list(stored)

    def set_allowlist(self, team_id: str, models: list[str] | None) -> None:
        self._allowlists[team_id.lower()] = None if models is None else list(models)

    def allowlist_state(self, team_id: str) -> AllowlistState:
        stored = self._allowlists.get(team_id.lower())
        return UNRESTRICTED if stored is None else AllowlistState(tuple(stored))

    # -- attached installations -------------------------------------------------------

    def team_of(self, installation_id: int) -> str | None:
        return self._attached.get(installation_id)

    def attach(self, installation_id: int, team_id: str) -> None:
        self._attached[installation_id] = team_id.lower()

    def detach(self, installation_id: int) -> None:
        self._attached.pop(installation_id, None)

    def attached_to(self, team_id: str) -> list[int]:
        return [installation for installation, team in self._attached.items() if team == team_id.lower()]

