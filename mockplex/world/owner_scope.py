"""Who a project or repo belongs to: the caller personally, or the team their
`x-mogplex-team-id` names (the server's resource owner scope)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OwnerScope:
    user_id: str
    team_id: str | None = None

    def owns(self, record: Any) -> bool:
        """A record with `user_id` and `product_team_id`, as the owner filter reads it."""
        if self.team_id is not None:
            return record.product_team_id == self.team_id
        return record.product_team_id is None and record.user_id == self.user_id

    def ownership_columns(self) -> dict[str, Any]:
        team = self.team_id is not None
        return {"owner_type": "team" if team else "user", "owner_user_id": None if team else self.user_id,
                "product_team_id": self.team_id}
