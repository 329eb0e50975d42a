"""`mockplex verify`: re-send recorded requests to a target and report how its answers
drifted from the recording.

Requests go out one at a time in recorded order, because a cassette is often a story
(start a run, read it, cancel it). Safe methods only unless writes are allowed.
Redacted credentials are replaced by the caller's token, redacted session cookies by the
cookie given for them; other redacted headers are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import aiohttp

from mockplex.contract.drift import Answer, Drift, compare
from mockplex.ids import is_strict_uuid
from mockplex.names import TOKEN_PREFIX
from mockplex.recording.inspect import LoadedCassette, body_bytes, cassette_files, content_type, load
from mockplex.routes import TABLE

PLACEHOLDER = re.compile(r"<redacted:credential:\d+>")
COOKIE_PLACEHOLDER = re.compile(r"<redacted:cookie:(\d+)>")
_ANY_PLACEHOLDER = re.compile(f"{PLACEHOLDER.pattern}|{COOKIE_PLACEHOLDER.pattern}")
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A PAT-shaped token no server knows: stands in for a credential the recording shows refused.
REJECTED_TOKEN = TOKEN_PREFIX + "mockplexVerifyRefused000"
REJECTED_COOKIE = "better-auth.session_token=mockplex-verify-refused"
_COOKIE_REFUSALS = frozenset({401, 302, 303, 307})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Headers the client library sets for the new connection, never copied from the recording.
_CONNECTION_HEADERS = frozenset({"host", "content-length", "connection", "transfer-encoding", "accept-encoding"})


class VerifyInputError(Exception):
    """A cassette path that cannot be read; names the file."""


@dataclass(frozen=True)
class VerifyOptions:
    target: str
    token: str | None = None
    allow_writes: bool = False
    ignored: frozenset[str] = frozenset()
    values: bool = True
    timeout: float = 30.0
    # (cassette or "", placeholder) -> a token for <redacted:credential:N>, a Cookie value for <redacted:cookie:N>
    credentials: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass
class Outcome:
    cassette: str
    index: int
    method: str
    target: str
    recorded_status: int
    live_status: int | None = None
    state: str = "same"  # same, drift, skipped, error
    note: str = ""
    drift: list[Drift] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"cassette": self.cassette, "interaction": self.index, "method": self.method, "path": self.target,
                "recorded_status": self.recorded_status, "live_status": self.live_status, "outcome": self.state,
                "note": self.note, "drift": [drift.to_json() for drift in self.drift]}


@dataclass(frozen=True)
class Interaction:
    cassette: str
    index: int
    request: Any
    response: dict[str, Any]


def load_interactions(source: Path) -> list[Interaction]:
    paths = [source] if source.is_file() else cassette_files(source)
    if not paths:
        raise VerifyInputError(f"{source}: no cassettes (*.yaml) found")
    found = []
    for path in paths:
        try:
            cassette = load(path)
        except Exception as error:  # a cassette that does not load is named, never a traceback
            raise VerifyInputError(f"{path}: cannot load: {error}") from None
        found.extend(_interactions(cassette, path, source))
    return found


def _interactions(cassette: LoadedCassette, path: Path, source: Path) -> Iterator[Interaction]:
    name = str(path.relative_to(source)) if path != source else path.name
    for index, (request, response) in enumerate(zip(cassette.requests, cassette.responses, strict=True), 1):
        yield Interaction(name, index, request, response)


async def verify(interactions: list[Interaction], options: VerifyOptions,
                 advance: Callable[[], None] = lambda: None) -> list[Outcome]:
    timeout = aiohttp.ClientTimeout(total=options.timeout)
    outcomes = []
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for _cassette, group in groupby(interactions, key=lambda interaction: interaction.cassette):
            story = Story.of(list(group), options)
            for interaction in story.interactions:
                outcomes.append(await story.replay(session, interaction))
                advance()
    return outcomes


@dataclass
class Story:
    """One cassette re-sent in order. Ids a write minted on the target stand in for the
    recorded ones in later requests; reads of what a skipped write created are skipped."""

    interactions: list[Interaction]
    options: VerifyOptions
    credentials: dict[str, str]
    renamed: dict[str, str] = field(default_factory=dict)
    unsent: dict[str, int] = field(default_factory=dict)  # id -> the skipped write that made it

    @classmethod
    def of(cls, interactions: list[Interaction], options: VerifyOptions) -> "Story":
        return cls(interactions, options, _credentials(interactions, options))

    async def replay(self, session: aiohttp.ClientSession, interaction: Interaction) -> Outcome:
        request, response = interaction.request, interaction.response
        recorded = Answer(response["status"]["code"], content_type(response), body_bytes(response))
        parts = urlsplit(request.uri)
        target = self._renamed(parts.path + (f"?{parts.query}" if parts.query else ""))
        outcome = Outcome(interaction.cassette, interaction.index, request.method, target, recorded.status)
        writes = request.method.upper() not in SAFE_METHODS
        headers, missing = _headers(request.headers, self.credentials)
        skipped = self._why_skipped(writes, missing, target)
        if skipped:
            outcome.state, outcome.note = "skipped", skipped
            if writes:
                self.unsent.update(dict.fromkeys(_uuids(recorded.body) - _uuids(request.body), interaction.index))
            return outcome
        spec = TABLE.spec_for(request.method, parts.path)
        streams = bool(spec and spec.streaming)  # only status and headers are compared
        try:
            live = await _send(session, self.options.target.rstrip("/") + target, request.method,
                               self._body(request.body), headers, streams)
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            outcome.state, outcome.note = "error", f"{type(error).__name__}: {error}".rstrip(": ")
            return outcome
        if writes:
            self.renamed.update(_minted(recorded.json(), live.json()))
        if streams:
            recorded = Answer(recorded.status, recorded.content_type, b"")
        outcome.live_status = live.status
        outcome.drift = compare(recorded, live, self.options.ignored, self.options.values)
        outcome.state = "drift" if outcome.drift else "same"
        return outcome

    def _why_skipped(self, writes: bool, missing: str | None, target: str) -> str:
        if writes and not self.options.allow_writes:
            return "a write (pass --allow-writes to send it)"
        cookie = COOKIE_PLACEHOLDER.fullmatch(missing or "")
        if cookie:
            return f"needs a session cookie (pass --cookie {cookie.group(1)}=COOKIE)"
        if missing:
            return "needs a credential (pass --token)"
        made_by = next((index for made, index in self.unsent.items() if made in target), None)
        return f"reads what skipped interaction {made_by} created" if made_by else ""

    def _renamed(self, text: str) -> str:
        """One pass, so a recorded id that is also another's live id is not renamed twice."""
        if not self.renamed:
            return text
        recorded = re.compile("|".join(re.escape(old) for old in self.renamed))
        return recorded.sub(lambda found: self.renamed[found.group(0)], text)

    def _body(self, body: bytes | str | None) -> bytes | None:
        if not body:
            return None
        text = body.decode("utf-8", "surrogateescape") if isinstance(body, bytes) else body
        return self._renamed(text).encode("utf-8", "surrogateescape")


def _credentials(interactions: list[Interaction], options: VerifyOptions) -> dict[str, str]:
    """What each redacted credential and session cookie becomes. One the target refused in
    every recorded answer (401, or a redirect to sign in for a cookie) is sent as one just
    as invalid, so the refusal still reproduces."""
    statuses: dict[str, set[int]] = {}
    for interaction in interactions:
        for value in interaction.request.headers.values():
            for found in _ANY_PLACEHOLDER.finditer(value if isinstance(value, str) else ", ".join(value)):
                statuses.setdefault(found.group(0), set()).add(interaction.response["status"]["code"])
    chosen = {placeholder: _refused(placeholder) for placeholder, seen in statuses.items()
              if seen <= (_COOKIE_REFUSALS if COOKIE_PLACEHOLDER.match(placeholder) else {401})}
    if options.token:
        chosen.update({placeholder: options.token for placeholder in statuses
                       if placeholder not in chosen and PLACEHOLDER.match(placeholder)})
    cassette = interactions[0].cassette.removesuffix(".yaml")
    for scope in ("", cassette):  # a stand-in named for this cassette wins over one for every cassette
        chosen.update({placeholder: token for (named, placeholder), token in options.credentials.items()
                       if named == scope or (scope and cassette.endswith("/" + named))})
    return chosen


def _refused(placeholder: str) -> str:
    return REJECTED_COOKIE if COOKIE_PLACEHOLDER.match(placeholder) else REJECTED_TOKEN


def _headers(recorded: dict[str, Any], stand_ins: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """The recorded headers made sendable, and the first redacted credential or session
    cookie that has no stand-in (then the request cannot be sent as recorded)."""
    sent = {}
    for name, value in recorded.items():
        text = value if isinstance(value, str) else ", ".join(value)
        if name.lower() in _CONNECTION_HEADERS:
            continue
        placeholder = _ANY_PLACEHOLDER.search(text)
        if not placeholder:
            sent[name] = text
        elif name.lower() in ("authorization", "cookie"):
            if placeholder.group(0) not in stand_ins:
                return sent, placeholder.group(0)
            sent[name] = _stand_in(name, text, placeholder.group(0), stand_ins)
        # any other redacted header (a secret of the client's own): the target gets none
    return sent, None


def _stand_in(name: str, text: str, placeholder: str, stand_ins: dict[str, str]) -> str:
    if name.lower() == "authorization":
        return f"Bearer {stand_ins[placeholder]}"
    return text.replace(placeholder, stand_ins[placeholder])


def _uuids(body: bytes | str | None) -> set[str]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body or ""
    return set(UUID_TEXT.findall(text))


def _minted(recorded: Any, live: Any) -> dict[str, str]:
    """Recorded id -> live id, wherever the two answers hold different ids at one place."""
    if isinstance(recorded, dict) and isinstance(live, dict):
        pairs = [(recorded[key], live[key]) for key in recorded if key in live]
    elif isinstance(recorded, list) and isinstance(live, list):
        pairs = list(zip(recorded, live, strict=False))
    elif isinstance(recorded, str) and isinstance(live, str) and recorded != live:
        return {recorded: live} if is_strict_uuid(recorded) and is_strict_uuid(live) else {}
    else:
        return {}
    minted: dict[str, str] = {}
    for old, new in pairs:
        minted.update(_minted(old, new))
    return minted


async def _send(session: aiohttp.ClientSession, url: str, method: str, body: bytes | None,
                headers: dict[str, str], streams: bool) -> Answer:
    async with session.request(method, url, data=body, headers=headers, allow_redirects=False) as live:
        return Answer(live.status, live.headers.get("Content-Type", ""), b"" if streams else await live.read())
