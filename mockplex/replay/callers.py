"""Who made each recorded request, so that replay answers every caller as it was answered.

A caller is named by the placeholder its credential became: `credential:1` for a bearer,
`cookie:2` for a session cookie. The cassette keeps, per caller, the SHA-256 of the
credential (as the server keeps only a PAT's SHA-256: enough to recognise it, never to
present it) and the scopes its answers showed. Replay knows a caller by that hash, by
the caller's stand-in token (derived from the cassette, for a CI that holds no real
token), or by a token mapped to it with `--credential N=TOKEN`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from mockplex import state
from mockplex.memo import SHORT_TEXT
from mockplex.names import SCOPES, TOKEN_PREFIX
from mockplex.replay.reading import Malformed
from mockplex.world.sessions import session_token
from mockplex.world.tokens import Identity, sha256_hex

if TYPE_CHECKING:  # the route table's handlers import the rules, which import this module
    from mockplex.routes import RouteSpec

CALLER_PLACEHOLDER = re.compile(r"<redacted:([a-z0-9_-]+:\d+)>")
NO_CREDENTIAL = "none"  # the caller of a request that carried no credential
ANY_CALLER = None  # a credential no recorded caller had: matched against every caller's recordings
STAND_IN_PREFIX = TOKEN_PREFIX + "replay"
MAX_KNOWN_CREDENTIALS = 1024
_MISSING_SCOPE = re.compile(rb"Missing required scope: (read|write)\.")


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The first `name` header (a lower-case name), in any mapping of headers."""
    if isinstance(headers, (CIMultiDictProxy, CIMultiDict)):  # a request's: already case-insensitive
        return headers.get(name)
    return next((value for key, value in headers.items() if key.lower() == name), None)


def credential_of(headers: Mapping[str, str]) -> str | None:
    """The secret that says who is calling: the bearer, else a better-auth session token,
    else the whole Cookie header. Recording and replay read a request the same way."""
    presented = presented_credential(headers)
    return presented[1] if presented else None


def presented_credential(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """(the kind of placeholder it becomes on disk, the secret), as credential_of reads it."""
    return _presented(*_credential_headers(headers))


def _credential_headers(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The Authorization and Cookie headers: all that says who is calling. (A request's are
    read directly: going through header_value twice costs a replayed request ~3k
    instructions, 1 %, measured with callgrind.)"""
    if isinstance(headers, (CIMultiDictProxy, CIMultiDict)):  # a request's: already case-insensitive
        return headers.get("authorization"), headers.get("cookie")
    return header_value(headers, "authorization"), header_value(headers, "cookie")


def _presented(authorization: str | None, cookie: str | None) -> tuple[str, str] | None:
    if authorization:
        scheme, _, token = authorization.partition(" ")
        return "credential", token if scheme == "Bearer" and token else authorization
    if not cookie:
        return None
    jar = dict(pair.strip().partition("=")[::2] for pair in cookie.split(";"))
    return "cookie", session_token(jar, "better-auth") or cookie


def caller_of(recorded_headers: Mapping[str, Any]) -> str:
    """The caller of a recorded (redacted) request, by the same precedence as credential_of."""
    for name in ("authorization", "cookie"):
        value = header_value(recorded_headers, name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            found = CALLER_PLACEHOLDER.search(value)
            return found.group(1) if found else NO_CREDENTIAL
    return NO_CREDENTIAL


def stand_in_token(cassette_sha256: str, caller: str) -> str:
    """A PAT-shaped token (`mog_` and 24 letters and digits) that replay accepts as this
    caller of this cassette; anyone holding the cassette can derive it, so it is no secret."""
    return STAND_IN_PREFIX + hashlib.sha256(f"{cassette_sha256}:{caller}".encode()).hexdigest()[:18]


def learn_scopes(scopes: dict[str, bool | None], scope: str | None, status: int, body: bytes) -> None:
    """A 403 naming a missing scope says the credential lacks it; a 2xx on a scoped route
    says it has it."""
    missing = _MISSING_SCOPE.search(body) if status == 403 else None
    if missing:
        scopes[missing.group(1).decode()] = False
    elif scope is not None and 200 <= status < 300:
        scopes[scope] = True


def unknown_scopes() -> dict[str, bool | None]:
    return dict.fromkeys(SCOPES)


@dataclass(frozen=True)
class RecordedCaller:
    name: str
    sha256: str | None  # None in a cassette recorded before callers were kept
    scopes: dict[str, bool | None]

    @cached_property  # asked on each of its requests; its scopes are fixed once read
    def identity(self) -> Identity:
        """Whatever scope its answers never denied it is granted, so the recording decides."""
        granted = tuple(scope for scope in SCOPES if self.scopes.get(scope) is not False)
        return Identity(f"replay:{self.name}", self.name, granted, "replay")


# (the recorded caller a request's credential belongs to, or None; whether it carries one)
CallerLookup = tuple[RecordedCaller | None, bool]


@dataclass
class CallerBook:
    """The cassette's callers, and every token that stands for one of them."""

    callers: dict[str, RecordedCaller]
    cassette_sha256: str
    # token -> caller, from --credential: real credentials, so no repr shows them
    mapped_tokens: dict[str, str] = field(default_factory=dict, repr=False)
    _by_sha256: dict[str, str] = field(default_factory=dict)
    # (Authorization, Cookie) -> (the recorded caller, whether a credential was presented):
    # the same few callers come back request after request. It holds credentials in clear,
    # so no repr shows it.
    _known: dict[tuple[str | None, str | None], CallerLookup] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, caller in self.callers.items():
            self._by_sha256[sha256_hex(stand_in_token(self.cassette_sha256, name))] = name
            if caller.sha256:
                self._by_sha256[caller.sha256] = name
        self._by_sha256.update({sha256_hex(token): name for token, name in self.mapped_tokens.items()})

    def lookup(self, headers: Mapping[str, str]) -> CallerLookup:
        """The recorded caller whose credential these headers carry, if any, presented the
        way it was recorded (a bearer's token as a bearer, a session's as its cookie); and
        whether they carry a credential at all."""
        texts = _credential_headers(headers)
        known = self._known.get(texts)
        if known is None:
            presented = _presented(*texts)
            known = (self._caller_of(presented), presented is not None)
            if len(texts[0] or "") + len(texts[1] or "") <= SHORT_TEXT:
                if len(self._known) >= MAX_KNOWN_CREDENTIALS:
                    self._known.clear()
                self._known[texts] = known
        return known

    def _caller_of(self, presented: tuple[str, str] | None) -> RecordedCaller | None:
        if presented is None:
            return None
        kind, secret = presented
        name = self._by_sha256.get(sha256_hex(secret))
        return self.callers.get(name) if name and name.partition(":")[0] == kind else None

    def recordings_of(self, headers: Mapping[str, str], world_accepted: bool = True) -> str | None:
        """Whose recordings a request may be answered from: its recorded caller's; or, for
        a credential the cassette never saw, anyone's if the world accepted it; else only
        those made without a credential (a made-up token is no one's caller)."""
        return recordings_for(self.lookup(headers), world_accepted)


def recordings_for(found: CallerLookup, world_accepted: bool) -> str | None:
    """CallerBook.recordings_of, from the caller the request's headers were found to be."""
    caller, presented = found
    if caller is not None:
        return caller.name
    return ANY_CALLER if world_accepted and presented else NO_CREDENTIAL


REPLAY_CALLERS = web.AppKey("replay_callers", CallerBook)


def checked_caller(name: str, sha256: Any, scopes: Any) -> RecordedCaller:
    """A caller as a cassette's metadata (or its index) describes it, or Malformed."""
    if not (sha256 is None or isinstance(sha256, str)) or not isinstance(scopes, dict) or not all(
            isinstance(scope, str) and seen in (True, False, None) for scope, seen in scopes.items()):
        raise Malformed(f"metadata.mockplex.callers.{name} is not a sha256 and a map of scopes")
    return RecordedCaller(name, sha256, dict(scopes))


def recorded_caller(request: web.Request, spec: RouteSpec | None,
                    headers: Mapping[str, str]) -> RecordedCaller | None:
    """The recorded caller whose credential `headers` carry, on a route the cassette answers."""
    callers = _replaying_callers(request, spec)
    return None if callers is None else callers.lookup(headers)[0]


def request_caller(request: web.Request, flow: state.Flow) -> RecordedCaller | None:
    """recorded_caller for the request's own headers on its route; what was found is kept
    on its flow, so that the replay answer need not look the credential up again."""
    callers = _replaying_callers(request, flow.route)
    if callers is None:
        return None
    found = flow.caller_lookup = callers.lookup(request.headers)
    return found[0]


def _replaying_callers(request: web.Request, spec: RouteSpec | None) -> CallerBook | None:
    callers = request.app.get(REPLAY_CALLERS)
    if callers is None or spec is None or request.app[state.SETTINGS].mode_for(spec) != "replay":
        return None
    return callers
