"""Each user's Vercel side as the world plays it: the Vercel token the server holds for
them (its encrypted OAuth-token store), the Vercel team it last resolved for them
(`profiles.vercel_team_id`). Vercel's userinfo answers a user's own profile fields, so
the callback's profile update changes only that team.

A user's `vercel_linked` (users.yaml) is the "a Vercel token is stored" fact that
/api/auth/user reads; connecting and disconnecting keep it true to this store. The
user's own `account_vercel_team_id` is the Vercel team their account sits in, so it is the
first team Vercel lists for them.
"""

from __future__ import annotations

import uuid

from mockplex.ids import IdGenerator
from mockplex.world.records import User


class VercelAccounts:
    def __init__(self, users: dict[str, User]) -> None:
        self._users = users
        self.tokens: dict[str, str] = {}  # user id -> the stored Vercel token
        self.team_ids: dict[str, str] = {}  # user id -> profiles.vercel_team_id

    def store_token(self, user_id: str, token: str) -> None:
        self.tokens[user_id] = token
        self._users[user_id].vercel_linked = True

    def delete_token(self, user_id: str) -> None:
        self.tokens.pop(user_id, None)
        self._users[user_id].vercel_linked = False

    def first_team(self, user_id: str) -> str | None:
        """The first team Vercel's teams list shows the user."""
        return self._users[user_id].account_vercel_team_id

    @staticmethod
    def vercel_user_id(user_id: str) -> str:
        """userinfo's `sub`: the user's id at Vercel."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"vercel-user:{user_id}").hex[:24]

    @staticmethod
    def mint_access_token(ids: IdGenerator) -> str:
        return ids.short("vca_", 24)
