"""Credentials the server accepts: PATs by SHA-256, OAuth bearers from a table.

Tokens minted with `mockplex tokens create` (or through /api/settings/api-keys) live
in a state file holding hashes only, and `mockplex tokens revoke` records revocations in
another; a running server looks at both on every PAT it meets, so a fresh token works at
once and a revoked one fails at once, as on the real server.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from pathlib import Path

from mockplex.clock import format_timestamp
from mockplex.ids import mint_pat
from mockplex.memo import cached_for_short_texts
from mockplex.names import SCOPES
from mockplex.world.fixtures import Entry
from mockplex.world.records import OAuthGrant, PersonalAccessToken
from mockplex.world.state_files import Revocations, StateFile, record_revocation

STATE_FILE = "tokens.yaml"


@dataclass(frozen=True)
class Identity:
    user_id: str
    key_id: str
    scopes: tuple[str, ...]
    kind: str  # "pat", "oauth", "session", "e2e", "delegated" or "replay" (a recorded caller)


@cached_for_short_texts(4096)  # the same few credentials, request after request
def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def minted_tokens(state_dir: Path | None) -> StateFile[PersonalAccessToken]:
    return StateFile(state_dir / STATE_FILE if state_dir else None, "personal_access_tokens", _minted)


class TokenStore:
    def __init__(self, pats: list[PersonalAccessToken], grants: list[OAuthGrant],
                 state_dir: Path | None) -> None:
        self._pats = {pat.token_sha256: pat for pat in pats}
        self._grants = {grant.token: grant for grant in grants}
        self._state_dir = state_dir
        self._state = minted_tokens(state_dir)
        self._revocations = Revocations(state_dir, "token")
        self._reload_state()

    def pats(self) -> list[PersonalAccessToken]:
        return list(self._pats.values())

    def grants(self) -> list[OAuthGrant]:
        return list(self._grants.values())

    def add(self, pat: PersonalAccessToken) -> None:
        self._pats[pat.token_sha256] = pat

    def add_grant(self, grant: OAuthGrant) -> None:
        self._grants[grant.token] = grant

    def lookup_pat(self, token: str, now: datetime) -> PersonalAccessToken | None:
        self._reload_state()
        pat = self._pats.get(sha256_hex(token))
        return pat if pat is not None and pat.usable_at(now) else None

    def revoke(self, pat: PersonalAccessToken, now: datetime) -> None:
        """Record the revocation in the state folder, for every server reading it."""
        record_revocation(self._state_dir, "token", pat.token_sha256, now)
        pat.revoked_at = now

    def resolve_pat(self, token: str, now: datetime) -> Identity | None:
        pat = self.lookup_pat(token, now)
        if pat is None:
            return None
        pat.last_used_at = now
        return Identity(pat.user_id, pat.id, pat.scopes, "pat")

    def resolve_oauth(self, token: str, now: datetime) -> Identity | None:
        grant = self._grants.get(token)
        if grant is None or (grant.expires_at is not None and grant.expires_at < now):
            return None
        return _oauth_identity(grant.user_id, grant.client_id, grant.scopes)

    def _reload_state(self) -> None:
        records = self._state.changed_records()
        for pat in records or []:
            self._pats[pat.token_sha256] = pat
        if self._revocations.changed() or records:
            for pat in self._pats.values():
                pat.revoked_at = pat.revoked_at or self._revocations.at(pat.token_sha256)


@lru_cache(maxsize=4096)  # an identity is frozen: a grant's requests can share one
def _oauth_identity(user_id: str, client_id: str, grant_scopes: tuple[str, ...]) -> Identity | None:
    """A grant's caller, with the scopes the v1 API knows; None for a grant of none of them."""
    scopes = tuple(scope for scope in grant_scopes if scope in SCOPES)
    return Identity(user_id, client_id, scopes, "oauth") if scopes else None


def _minted(entry: Entry) -> PersonalAccessToken:
    return PersonalAccessToken(
        id=entry.get("id", str), user_id=entry.get("user", str), name=entry.get("name", str),
        prefix=entry.get("prefix", str), token_sha256=entry.get("token_sha256", str),
        scopes=tuple(entry.get("scopes", list)), created_at=entry.get("created_at", datetime),
        expires_at=entry.get("expires_at", datetime, None), revoked_at=entry.get("revoked_at", datetime, None),
    )


def new_pat(*, user_id: str, key_id: str, name: str, scopes: tuple[str, ...], created_at: datetime,
            expires_in_days: int | None, length: int = 24) -> tuple[str, PersonalAccessToken]:
    token = mint_pat(length)
    pat = PersonalAccessToken(
        id=key_id, user_id=user_id, name=name, prefix=token[:12], token_sha256=sha256_hex(token),
        scopes=scopes, created_at=created_at,
        expires_at=created_at + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return token, pat


def mint_into_state(state_dir: Path, **fields) -> tuple[str, PersonalAccessToken]:
    """Mint a PAT, append its hash to the state file atomically, return the plaintext."""
    token, pat = new_pat(**fields)
    minted_tokens(state_dir).append({
        "id": pat.id, "user": pat.user_id, "name": pat.name, "prefix": pat.prefix,
        "token_sha256": pat.token_sha256, "scopes": list(pat.scopes),
        "created_at": format_timestamp(pat.created_at),
        "expires_at": format_timestamp(pat.expires_at) if pat.expires_at else None,
    })
    return token, pat
