"""The request journal: what came in, which family and mode answered, and how.

It must never show a secret in clear nor grow without bound. An entry keeps what came
and went as it was (bounded bytes, no copies) and masks it the first time anyone reads it
(the admin API, `verify`): credentials in paths, queries, both sides' headers and bodies
are masked then, once, so a request costs a few tuple copies and no redaction. The oldest
entries go once a count or a byte budget is reached.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterator

import re2
from aiohttp import web
from multidict import CIMultiDict

from mockplex import jsonio
from mockplex.clock import format_timestamp
from mockplex.memo import cached_for_short_texts
from mockplex.names import ADMIN_PREFIX
from mockplex.recording.redaction import Redactor
from mockplex.rules.headers import FlowStamp
from mockplex.state import Flow
from mockplex.streamed import sent_body

MAX_ENTRIES = 10_000
MAX_BODY = 65_536
MAX_BYTES = 16 * 1024 * 1024
ENTRY_OVERHEAD = 384  # an entry's own objects (the entry, the request's Flow) and small fields, beside its texts
HEADER_OVERHEAD = 160  # a kept header pair's tuple and two string objects, beside their text
REDACTED = "<redacted>"


class _Masker(Redactor):
    """The cassette redactor's rules (what a secret is, wherever it sits, in every
    encoding), with one marker for every secret: the journal is read, never replayed."""

    def placeholder(self, secret: str, kind: str) -> str:
        return REDACTED


_MASKER = _Masker()  # keeps no state: every secret becomes the same marker


def masked_headers(headers: tuple[tuple[str, str], ...]) -> list[list[str]]:
    return [[name, _MASKER.header(name, value)] for name, value in headers]


def _decoded(raw_headers: tuple[tuple[bytes, bytes], ...]) -> tuple[tuple[str, str], ...]:
    """Header lines as aiohttp decodes them into `request.headers`."""
    return tuple((name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
                 for name, value in raw_headers)


@cached_for_short_texts(4096)  # the same few paths and queries, request after request
def masked_text(text: str) -> str:
    """A path or query string with its secrets masked."""
    return _MASKER.text(text)


def kept_bytes(raw: bytes | None) -> bytes | None:
    """A body small enough to keep; None when empty, too large or not a finished body."""
    return raw if isinstance(raw, bytes) and 0 < len(raw) <= MAX_BODY else None


def masked_bytes(raw: bytes, content_type: str = "") -> str:
    """Any body as text with its secrets masked (an event stream event by event)."""
    return _MASKER.body(raw, content_type).decode("utf-8", "replace")


def masked_body(raw: bytes | None) -> Any:
    """The body as JSON text with its secrets masked; None when not kept, NOT_JSON when it
    is not JSON (as the server reads it: see jsonio.parse_body)."""
    if raw is None:
        return None
    masked = _MASKER.body(raw)
    if jsonio.parse_body(masked) is jsonio.NOT_JSON:
        return jsonio.NOT_JSON
    return masked.decode("utf-8", "replace").removeprefix("\ufeff")


def answer_type(headers: tuple[tuple[str, str], ...]) -> str:
    content_type = next((value for name, value in headers if name.lower() == "content-type"), "")
    return content_type.split(";")[0].strip().lower()


@dataclass(frozen=True, slots=True)
class MaskedExchange:
    path: str
    query: str
    body: Any  # JSON text, None or jsonio.NOT_JSON (see masked_body)
    request_headers: list[list[str]]  # in the order sent
    response_headers: list[list[str]]
    response_body: str | None

    @classmethod
    def of(cls, raw: "JournalEntry") -> "MaskedExchange":
        answer, sent_headers = raw.answer, raw.sent_headers()
        return cls(masked_text(raw.path), masked_text(raw.query), masked_body(raw.body),
                   masked_headers(_decoded(raw.request_headers)), masked_headers(sent_headers),
                   None if answer is None else masked_bytes(answer, answer_type(sent_headers)))


@dataclass(slots=True)
class JournalEntry:
    """A request and its answer as they were (kept raw, masked the first time anyone reads
    them), and what the chain learned about it: one object per request."""

    method: str
    status: int
    elapsed_ms: float  # as timed; latency_ms is what readers see
    path: str
    query: str
    request_headers: tuple[tuple[bytes, bytes], ...]  # as they came on the wire
    body: bytes | None
    response_headers: tuple[tuple[str, str], ...]  # the answer's own; see sent_headers
    answer: bytes | None  # the body, or what a stream sent (streamed.py); None when too large
    flow: Flow  # what the chain learned: the route, what answered, the clock, the caller, a replay miss
    stamp_of: FlowStamp  # the headers set as it was written, from the flow: worked out when read
    id: int = 0
    size: int = 0  # what keeping it costs, counted once when it is added
    _masked: MaskedExchange | None = None

    def cost(self) -> int:
        size = ENTRY_OVERHEAD + len(self.path) + len(self.query) + len(self.body or b"") + len(self.answer or b"")
        for name, value in self.request_headers:  # a few pairs: a plain loop costs less than map and chain
            size += HEADER_OVERHEAD + len(name) + len(value)
        for name, value in self.response_headers:
            size += HEADER_OVERHEAD + len(name) + len(value)
        return size

    def sent_headers(self) -> tuple[tuple[str, str], ...]:
        """The answer's headers with the stamped ones set, as they went out."""
        stamp = self.stamp_of(self.flow)
        if stamp is None:
            return self.response_headers
        sent = CIMultiDict(self.response_headers)
        sent.update(stamp.pairs)
        return tuple(sent.items())

    @property
    def latency_ms(self) -> float:
        return round(self.elapsed_ms, 3)

    @property
    def masked(self) -> MaskedExchange:
        if self._masked is None:
            self._masked = MaskedExchange.of(self)
        return self._masked

    @property
    def family(self) -> str | None:
        spec = self.flow.route
        return spec.family if spec else None

    @property
    def route(self) -> str | None:
        spec = self.flow.route
        return spec.key if spec else None

    @property
    def at(self) -> str:
        return format_timestamp(self.flow.now)

    def parsed_body(self) -> Any:
        body = self.masked.body
        return json.loads(body) if isinstance(body, str) else body

    def to_json(self, extra: dict[str, Any] | None = None) -> bytes:
        """The entry as a JSON object (with `extra` fields), its kept body spliced in as the
        text it already is."""
        masked = self.masked
        head = jsonio.dumps({"id": self.id, "at": self.at, "method": self.method, "path": masked.path,
                             "query": masked.query, "family": self.family, "route": self.route,
                             "mode": self.flow.source, "match": self.flow.match, "status": self.status,
                             "latency_ms": self.latency_ms,
                             "request_headers": masked.request_headers, "response_headers": masked.response_headers,
                             "response_body": masked.response_body, **(extra or {})})
        if masked.body is jsonio.NOT_JSON:
            return head
        body = b"null" if masked.body is None else masked.body.encode()
        return head[:-1] + b',"body":' + body + b"}"


class Journal:
    """Kept requests, oldest dropped first once MAX_ENTRIES or MAX_BYTES is passed."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: deque[JournalEntry] = deque()
        self._bytes = 0
        self._last_id = 0  # never restarts, not even on clear: a reader's `after=` stays valid

    def add(self, entry: JournalEntry) -> None:
        self._last_id += 1
        entry.id = self._last_id
        entry.size = entry.cost()
        self._entries.append(entry)
        self._bytes += entry.size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self._bytes -= self._entries.popleft().size

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    @property
    def last_id(self) -> int:
        return self._last_id

    def after(self, entry_id: int) -> list[JournalEntry]:
        """The entries newer than `entry_id`, oldest first, reading only those."""
        newer = []
        for entry in reversed(self._entries):
            if entry.id <= entry_id:
                break
            newer.append(entry)
        return newer[::-1]

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


JOURNAL = web.AppKey("journal", Journal)


def exchange_keeper(journal: Journal, stamp_of: FlowStamp):
    """What keeps each exchange in `journal` (the admin API's own are not kept), with the
    headers `stamp_of` says its answer took. A request without a body is kept at once (None
    is returned); one with a body returns what reads it and keeps the exchange."""
    def keep(request: web.Request, flow: Flow, response: web.StreamResponse, elapsed_ms: float,
             raw: bytes | None) -> None:
        body = kept_bytes(raw) if raw else None
        if raw and body is None and flow.replay_miss is not None:  # too large to keep: so is the question
            flow.replay_miss = None
        sent = response.body if isinstance(response, web.Response) else sent_body(response)
        answer = kept_bytes(sent) if sent else None
        flow.route_match = None  # the route is kept; a long path's params would go uncounted
        journal.add(JournalEntry(request.method, response.status, elapsed_ms, request.path, request.query_string,
                                 request.raw_headers, body, tuple(response.headers.items()), answer, flow,
                                 stamp_of))

    async def keep_with_body(request: web.Request, flow: Flow, response: web.StreamResponse,
                             elapsed_ms: float) -> None:
        keep(request, flow, response, elapsed_ms, await _read_body(request))

    def keep_exchange(request: web.Request, flow: Flow, response: web.StreamResponse,
                      elapsed_ms: float) -> Awaitable[None] | None:
        if request.path.startswith(ADMIN_PREFIX):
            return None
        if request.body_exists:
            return keep_with_body(request, flow, response, elapsed_ms)
        keep(request, flow, response, elapsed_ms, None)
        return None
    return keep_exchange


async def _read_body(request: web.Request) -> bytes:
    try:
        return await request.read()  # cached by aiohttp once the handler has read it
    except web.HTTPException:  # too large to keep
        return b""


def entries_json(entries: list[JournalEntry], described: Callable[[JournalEntry], dict[str, Any]] | None = None,
                 **head: Any) -> bytes:
    """`{**head, "requests": [...]}` without parsing any kept body; `described` adds fields
    to each entry."""
    opening = jsonio.dumps(head)[:-1] + (b"," if head else b"")
    return opening + b'"requests":[' + b",".join(entry.to_json(described(entry) if described else None)
                                                  for entry in entries) + b"]}"


class PatternError(ValueError):
    pass


RE2_OPTIONS = re2.Options()
RE2_OPTIONS.log_errors = False


class RequestPattern:
    """What `verify` looks for: `method` exact, `path` exact or a regular expression
    matching all of it, `body` a subset of the JSON body. Paths are matched by RE2, whose
    time is linear in the path, so no pattern can stall the server."""

    def __init__(self, fields: dict[str, Any]) -> None:
        for name in ("method", "path"):
            if not isinstance(fields.get(name) or "", str):
                raise PatternError(f"{name} must be text")
        self.method = (fields.get("method") or "").upper()
        self.path = fields.get("path") or ""
        try:
            self.path_regex = re2.compile(self.path, RE2_OPTIONS) if self.path else None
        except re2.error as error:
            raise PatternError(f"path is not a regular expression RE2 accepts: {error.args[0].decode()}") from None
        self.has_body = "body" in fields
        self.body = fields.get("body")

    def matches(self, entry: JournalEntry) -> bool:
        if self.method and entry.method != self.method:
            return False
        path = masked_text(entry.path)  # the path alone: the rest is masked only if the body is asked
        if self.path_regex and path != self.path and not self.path_regex.fullmatch(path):
            return False
        return not self.has_body or _contains(entry.parsed_body(), self.body)


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(key in actual and _contains(actual[key], value)
                                                for key, value in expected.items())
    return actual == expected
