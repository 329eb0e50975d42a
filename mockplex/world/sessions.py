"""Browser sessions: the cookie the web app carries, in either backend's flavour.

better-auth keeps the session token in `better-auth.session_token` (`__Secure-`
prefixed over HTTPS); Supabase keeps it in `sb-<project-ref>-auth-token`, sometimes
split into `.0`, `.1`… chunks. The world holds the sessions; `mockplex sessions create`
mints more into a state file a running server picks up, holding each cookie's SHA-256
only (a file from before, holding cookies in clear, still loads, and is rewritten as
hashes by the next `sessions create` or `revoke`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Mapping

from mockplex.clock import format_timestamp
from mockplex.world.fixtures import Entry
from mockplex.world.state_files import Revocations, StateFile, record_revocation
from mockplex.world.tokens import sha256_hex

SESSION_BACKENDS = ("better-auth", "supabase")
BETTER_AUTH_COOKIES = ("better-auth.session_token", "__Secure-better-auth.session_token")
SUPABASE_PROJECT_REF = "mockplex"
STATE_FILE = "sessions.yaml"
SHOWN_PREFIX = 16  # as much of a minted cookie as `sessions list` shows


@dataclass
class Session:
    token_sha256: str
    user_id: str | None  # None: an auth user with no Mogplex profile
    expires_at: datetime | None = None
    description: str | None = None
    documented_token: str | None = None  # a fixture's public cookie; a minted one is never kept
    prefix: str = ""
    revoked_at: datetime | None = None

    @property
    def id(self) -> str:
        return self.token_sha256[:12]

    def live_at(self, moment: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > moment)


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
    token = entry.get("token", str, None)
    digest = entry.get("token_sha256", str, None)
    if (token is None) == (digest is None):
        raise entry.fail(None, "give exactly one of 'token' (the cookie) or 'token_sha256'")
    return Session(token_sha256=digest or sha256_hex(token), user_id=entry.get("user", str, None),
                   expires_at=entry.get("expires_at", datetime, None),
                   description=entry.get("description", str, None), documented_token=token,
                   prefix=entry.get("prefix", str, None) or (token or "")[:SHOWN_PREFIX])


def _hashed(raw: dict) -> dict:
    """A stored session in the form that holds no usable cookie."""
    token = raw.pop("token", None)
    if token is None:
        return raw
    return {"token_sha256": sha256_hex(str(token)), "prefix": str(token)[:SHOWN_PREFIX], **raw}


def minted_sessions(state_dir: Path | None) -> StateFile[Session]:
    return StateFile(state_dir / STATE_FILE if state_dir else None, "sessions", read_session, stored=_hashed)


class SessionStore:
    def __init__(self, backend: str, sessions: list[Session], state_dir: Path | None) -> None:
        self.backend = backend
        self._sessions = {session.token_sha256: session for session in sessions}
        self._state_dir = state_dir
        self._state = minted_sessions(state_dir)
        self._revocations = Revocations(state_dir, "session")
        self._reload()

    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    def resolve(self, cookies: Mapping[str, str], now: datetime) -> Session | None:
        token = session_token(cookies, self.backend)
        if token is None:
            return None
        self._reload()
        session = self._sessions.get(sha256_hex(token))
        return session if session is not None and session.live_at(now) else None

    def revoke(self, session: Session, now: datetime) -> None:
        """Record the revocation in the state folder, for every server reading it."""
        record_revocation(self._state_dir, "session", session.token_sha256, now)
        session.revoked_at = now

    def sign_out(self, cookies: Mapping[str, str]) -> None:
        """Sign-out deletes the session the cookie names: the cookie stops working at once."""
        token = session_token(cookies, self.backend)
        if token is not None:
            self._sessions.pop(sha256_hex(token), None)

    def open(self, cookie: str, user_id: str, expires_at: datetime) -> Session:
        """A session the auth library signed in: its cookie works on every route at once."""
        session = Session(token_sha256=sha256_hex(cookie), user_id=user_id, expires_at=expires_at,
                          prefix=cookie[:SHOWN_PREFIX])
        self._sessions[session.token_sha256] = session
        return session

    def present_cookies(self, cookies: Mapping[str, str]) -> list[str]:
        """The names of this backend's session cookies the request carries (chunks included)."""
        base = cookie_name(self.backend)
        return [name for name in cookies if name == base or name.startswith(base + ".")]

    def _reload(self) -> None:
        records = self._state.changed_records()
        for session in records or []:
            self._sessions[session.token_sha256] = session
        if self._revocations.changed() or records:
            for session in self._sessions.values():
                session.revoked_at = session.revoked_at or self._revocations.at(session.token_sha256)


def mint_session(state_dir: Path, user_id: str, created_at: datetime, days: int) -> str:
    """Mint a session, store its hash, and return the cookie value: the only time it exists."""
    token = f"mpx_session_{secrets.token_urlsafe(24)}"
    minted_sessions(state_dir).append(_hashed({"token": token, "user": user_id,
                                               "expires_at": format_timestamp(created_at + timedelta(days=days))}))
    return token
