"""Seedable generators for every id the world mints, and the PAT generator."""

from __future__ import annotations

import base64
import hashlib
import random
import re
import secrets
import uuid

from mockplex.names import TOKEN_PREFIX

TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_PG_UUID = re.compile(
    r"^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?\Z",
    re.IGNORECASE,
)
_STRICT_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z", re.I)


class IdGenerator:
    """Every generated id comes from one seeded stream: same seed, same ids."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def short(self, prefix: str, length: int) -> str:
        return prefix + "".join(self._random.choice(_BASE36) for _ in range(length))

    def random_bytes(self, length: int) -> bytes:
        return self._random.getrandbits(8 * length).to_bytes(length, "big")

    def random_text(self, alphabet: str, length: int = 32) -> str:
        """`length` characters of the alphabet, each from one random byte (byte mod size),
        as the server's generateRandomString picks them."""
        return "".join(alphabet[byte % len(alphabet)] for byte in self.random_bytes(length))


def mint_pat(length: int = 24) -> str:
    """A PAT the way the server makes one: mog_ + `length` chars of (random byte mod 62).

    The v1 generator makes 24; the settings page's key route makes 32.
    """
    return TOKEN_PREFIX + "".join(TOKEN_ALPHABET[byte % 62] for byte in secrets.token_bytes(length))


def b64url(raw: bytes) -> str:
    """Unpadded base64url, as Buffer's `toString("base64url")` writes it."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def s256(verifier: str) -> str:
    """A PKCE S256 code challenge: the base64url of the verifier's SHA-256."""
    return b64url(hashlib.sha256(verifier.encode()).digest())


def pg_uuid(text: str) -> str | None:
    """The canonical form Postgres would read from `text`, or None where it raises."""
    match = _PG_UUID.match(text)
    if match is None or (text.startswith("{") != text.endswith("}")):
        return None
    return "-".join(match.groups()).lower()


def is_strict_uuid(text: str) -> bool:
    return bool(_STRICT_UUID.match(text))
