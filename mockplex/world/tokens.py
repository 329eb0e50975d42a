"""Credentials the server accepts: PATs by SHA-256, OAuth bearers from a table.

Tokens minted with `mockplex tokens create` live in a state file (hashes only) that a
running server re-reads when it meets a hash it does not know, so a fresh token works
at once, as it does on the real server.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from mockplex.ids import mint_pat
from mockplex.world.fixtures import Entry, open_fixture
from mockplex.world.records import OAuthGrant, PersonalAccessToken

STATE_FILE = "tokens.yaml"


@dataclass(frozen=True)
class Identity:
    user_id: str
    key_id: str
    scopes: tuple[str, ...]
    kind: str  # "pat" or "oauth"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, pats: list[PersonalAccessToken], grants: list[OAuthGrant],
                 state_dir: Path | None) -> None:
        self._pats = {pat.token_sha256: pat for pat in pats}
        self._grants = {grant.token: grant for grant in grants}
        self._state_path = state_dir / STATE_FILE if state_dir else None
        self._state_mtime: float | None = None
        self._reload_state()

    def pats(self) -> list[PersonalAccessToken]:
        return list(self._pats.values())

    def grants(self) -> list[OAuthGrant]:
        return list(self._grants.values())

    def resolve_pat(self, token: str, now: datetime) -> Identity | None:
        digest = sha256_hex(token)
        pat = self._pats.get(digest)
        if pat is None and self._reload_state():
            pat = self._pats.get(digest)
        if pat is None or not pat.usable_at(now):
            return None
        pat.last_used_at = now
        return Identity(pat.user_id, pat.id, pat.scopes, "pat")

    def resolve_oauth(self, token: str) -> Identity | None:
        grant = self._grants.get(token)
        if grant is None:
            return None
        scopes = tuple(scope for scope in grant.scopes if scope in ("read", "write"))
        if not scopes:
            return None
        return Identity(grant.user_id, grant.client_id, scopes, "oauth")

    def _reload_state(self) -> bool:
        """Pick up tokens minted since the last look; True when anything changed."""
        if self._state_path is None:
            return False
        try:
            mtime = self._state_path.stat().st_mtime
        except OSError:
            return False
        if mtime == self._state_mtime:
            return False
        self._state_mtime = mtime
        for pat in read_minted(self._state_path):
            self._pats[pat.token_sha256] = pat
        return True


def read_minted(path: Path) -> list[PersonalAccessToken]:
    top = open_fixture(path)
    if top is None:
        return []
    minted = [_minted(entry) for entry in top.entries("personal_access_tokens", "personal_access_tokens")]
    top.finish()
    return minted


def _minted(entry: Entry) -> PersonalAccessToken:
    pat = PersonalAccessToken(
        id=entry.get("id", str), user_id=entry.get("user", str), name=entry.get("name", str),
        prefix=entry.get("prefix", str), token_sha256=entry.get("token_sha256", str),
        scopes=tuple(entry.get("scopes", list)), created_at=entry.get("created_at", datetime),
        expires_at=entry.get("expires_at", datetime, None), revoked_at=entry.get("revoked_at", datetime, None),
    )
    entry.finish()
    return pat


def mint_into_state(state_dir: Path, *, user_id: str, key_id: str, name: str,
                    scopes: tuple[str, ...], created_at: datetime,
                    expires_in_days: int | None) -> tuple[str, PersonalAccessToken]:
    """Mint a PAT, append its hash to the state file atomically, return the plaintext."""
    token = mint_pat()
    pat = PersonalAccessToken(
        id=key_id, user_id=user_id, name=name, prefix=token[:12], token_sha256=sha256_hex(token),
        scopes=scopes, created_at=created_at,
        expires_at=created_at + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    path = state_dir / STATE_FILE
    existing = _raw_entries(path)
    existing.append({
        "id": pat.id, "user": pat.user_id, "name": pat.name, "prefix": pat.prefix,
        "token_sha256": pat.token_sha256, "scopes": list(pat.scopes),
        "created_at": pat.created_at.isoformat(),
        "expires_at": pat.expires_at.isoformat() if pat.expires_at else None,
    })
    _write_atomically(path, yaml.safe_dump({"personal_access_tokens": existing}, sort_keys=False))
    return token, pat


def _raw_entries(path: Path) -> list[dict]:
    if not path.exists():
        return []
    read_minted(path)  # validates, with file and line on error
    with path.open("rb") as handle:
        return list((yaml.safe_load(handle) or {}).get("personal_access_tokens") or [])


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

