"""Sign-ins under way and the sessions the auth library opened.

A social sign-in leaves a pending state (better-auth's verification row) that its
callback consumes once; a session opened by the library keeps the details better-auth
shows for it (its id, when it was made, from where).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mockplex.clock import DEFAULT_EPOCH

STATE_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(days=7)  # better-auth's default session.expiresIn
_GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


@dataclass
class PendingSignIn:
    provider: str
    callback_url: str
    error_url: str | None
    new_user_url: str | None
    expires_at: datetime


@dataclass
class SessionDetails:
    id: str
    token: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    ip_address: str
    user_agent: str


@dataclass
class OAuthFlows:
    pending: dict[str, PendingSignIn] = field(default_factory=dict)
    sessions: dict[str, SessionDetails] = field(default_factory=dict)  # by the cookie's SHA-256
    joined: dict[str, datetime] = field(default_factory=dict)  # users the library signed up

    def start(self, state: str, pending: PendingSignIn) -> None:
        self.pending[state] = pending

    def take(self, state: str) -> PendingSignIn | None:
        """The state's sign-in, consumed: a callback replayed finds nothing."""
        return self.pending.pop(state, None)

    def opened(self, cookie_sha256: str, details: SessionDetails) -> None:
        self.sessions[cookie_sha256] = details

    def joined_at(self, user_id: str) -> datetime:
        """When the auth user was made: a fixture user is as old as the world."""
        return self.joined.get(user_id, DEFAULT_EPOCH)


@dataclass(frozen=True)
class GithubAccount:
    """The GitHub user an OAuth code stands for, as GitHub's /user answers it."""
    login: str
    id: int
    email: str
    name: str
    avatar_url: str


def github_account(code: str, users) -> GithubAccount | None:
    """The world plays GitHub: a code is the login of the account that authorized (a world
    user's github_username is that user's account); anything that is no login is a code
    GitHub refuses."""
    if not _GITHUB_LOGIN.match(code):
        return None
    owner = next((user for user in users.values() if (user.github_username or "").lower() == code.lower()), None)
    login = owner.github_username if owner else code
    number = int(hashlib.sha256(login.lower().encode()).hexdigest()[:8], 16) % 90_000_000 + 10_000_000
    return GithubAccount(login=login, id=number, email=owner.email if owner else f"{login.lower()}@users.noreply.github.com",
                         name=owner.name if owner else login,
                         avatar_url=f"https://avatars.githubusercontent.com/u/{number}?v=4")
