"""Browser sessions: the cookie the web app carries, in either backend's flavour.

better-auth keeps the session token in `better-auth.session_token` (`__Secure-`
prefixed over HTTPS); Supabase keeps it in `sb-<project-ref>-auth-token`, sometimes
split into `.0`, `.1`… chunks. The world holds the sessions; `mockplex sessions create`
mints more into a state file a running server picks up.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Mapping

from mockplex.clock import format_timestamp
from mockplex.world.fixtures import Entry
from mockplex.world.state_files import StateFile

SESSION_BACKENDS = ("better-auth", "supabase")
BETTER_AUTH_COOKIES = ("better-auth.session_token", "__Secure-better-auth.session_token")
SUPABASE_PROJECT_REF = "mockplex"
STATE_FILE = "sessions.yaml"


@dataclass
class Session:
    token: str
    user_id: str | None  # None: an auth user with no Mogplex profile
    expires_at: datetime | None = None
    description: str | None = None

    def live_at(self, moment: datetime) -> bool:
        return self.expires_at is None or self.expires_at > moment


def cookie_name(backend: str) -> str:
    return BETTER_AUTH_COOKIES[0] if backend == "better-auth" else f"sb-{SUPABASE_PROJECT_REF}-auth-token"


def session_token(cookies: Mapping[str, str], backend: str) -> str | None:
    """The session token a request carries for this backend, or None."""
    if backend == "better-auth":
        return next((cookies[name] for name in BETTER_AUTH_COOKIES if cookies.get(name)), None)
    base = cookie_name(backend)
    if cookies.get(base):
        return cookies[base]
    chunks, index = [], 0
    while cookies.get(f"{base}.{index}"):
        chunks.append(cookies[f"{base}.{index}"])
        index += 1
    return "".join(chunks) or None


def read_session(entry: Entry) -> Session:
    return Session(token=entry.get("token", str), user_id=entry.get("user", str, None),
                   expires_at=entry.get("expires_at", datetime, None),
                   description=entry.get("description", str, None))


def minted_sessions(state_dir: Path | None) -> StateFile[Session]:
    return StateFile(state_dir / STATE_FILE if state_dir else None, "sessions", read_session)


class SessionStore:
    def __init__(self, backend: str, sessions: list[Session], state_dir: Path | None) -> None:
        self.backend = backend
        self._sessions = {session.token: session for session in sessions}
        self._state = minted_sessions(state_dir)
        self._reload()

    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    def resolve(self, cookies: Mapping[str, str], now: datetime) -> Session | None:
        token = session_token(cookies, self.backend)
        if token is None:
            return None
        session = self._sessions.get(token)
        if session is None and self._reload():
            session = self._sessions.get(token)
        return session if session is not None and session.live_at(now) else None

    def sign_out(self, cookies: Mapping[str, str]) -> None:
        """Sign-out deletes the session the cookie names: the cookie stops working at once."""
        token = session_token(cookies, self.backend)
        if token is not None:
            self._sessions.pop(token, None)

    def present_cookies(self, cookies: Mapping[str, str]) -> list[str]:
        """The names of this backend's session cookies the request carries (chunks included)."""
        base = cookie_name(self.backend)
        return [name for name in cookies if name == base or name.startswith(base + ".")]

    def _reload(self) -> bool:
        records = self._state.changed_records()
        for session in records or []:
            self._sessions[session.token] = session
        return bool(records)


def mint_session(state_dir: Path, user_id: str, created_at: datetime, days: int) -> Session:
    session = Session(token=f"mpx_session_{secrets.token_urlsafe(24)}", user_id=user_id,
                      expires_at=created_at + timedelta(days=days))
    minted_sessions(state_dir).append({"token": session.token, "user": user_id,
                                       "expires_at": format_timestamp(session.expires_at)})
    return session
