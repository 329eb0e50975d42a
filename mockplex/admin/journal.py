"""The request journal: what came in, which family and mode answered, and how.

It must never hold a secret in clear nor grow without bound: credentials are masked
before anything is kept (paths, queries, both sides' headers and bodies), bodies are kept as bounded JSON text (parsed only when `verify`
compares them), and the oldest entries go once a count or a byte budget is reached.
"""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

import re2
from aiohttp import web

from mockplex import jsonio, state
from mockplex.clock import format_timestamp
from mockplex.names import ADMIN_PREFIX
from mockplex.recording.redaction import Redactor

MAX_ENTRIES = 10_000
MAX_BODY = 65_536
MAX_BYTES = 16 * 1024 * 1024
ENTRY_OVERHEAD = 256  # an entry's own object and its small fields, beside its texts
REDACTED = "<redacted>"
CACHED_TEXT = 512  # longer paths and queries are masked afresh, so the cache stays small


class _Masker(Redactor):
    """The cassette redactor's rules (what a secret is, wherever it sits, in every
    encoding), with one marker for every secret: the journal is read, never replayed."""

    def placeholder(self, secret: str, kind: str) -> str:
        return REDACTED


_MASKER = _Masker()  # keeps no state: every secret becomes the same marker


def masked_headers(headers) -> list[list[str]]:
    return [[name, _MASKER.header(name, value)] for name, value in headers.items()]


def kept_answer(response: web.StreamResponse) -> str | None:
    """A finished answer's body as text, secrets masked; a streamed or oversized one is not kept."""
    body = response.body if isinstance(response, web.Response) else None
    if not isinstance(body, bytes) or not 0 < len(body) <= MAX_BODY:
        return None
    return _MASKER.body(body, response.content_type).decode("utf-8", "replace")


def masked_text(text: str) -> str:
    """A path or query string with its secrets masked."""
    return _masked_short_text(text) if len(text) <= CACHED_TEXT else _MASKER.text(text)


@lru_cache(maxsize=4096)  # the same few paths and queries, request after request
def _masked_short_text(text: str) -> str:
    return _MASKER.text(text)


def kept_body(raw: bytes) -> Any:
    """The body as JSON text with its secrets masked; None when empty or too large to
    keep, NOT_JSON when it is not JSON (as the server reads it: see jsonio.parse_body)."""
    if not 0 < len(raw) <= MAX_BODY:
        return None
    masked = _MASKER.body(raw)
    if jsonio.parse_body(masked) is jsonio.NOT_JSON:
        return jsonio.NOT_JSON
    return masked.decode("utf-8", "replace").removeprefix("\ufeff")


@dataclass(slots=True)
class JournalEntry:
    method: str
    path: str
    query: str
    family: str | None
    route: str | None
    mode: str
    match: str | None
    status: int
    latency_ms: float
    body: Any  # JSON text, None or jsonio.NOT_JSON (see kept_body)
    at: str = ""  # the world's clock when the request came in
    request_headers: list[list[str]] = field(default_factory=list)  # masked, in the order sent
    response_headers: list[list[str]] = field(default_factory=list)
    response_body: str | None = None  # masked text of a finished answer's body; None when streamed or too large
    id: int = 0

    def cost(self) -> int:
        texts = [self.path, self.query, *(self.body, self.response_body),
                 *(part for pair in self.request_headers + self.response_headers for part in pair)]
        return ENTRY_OVERHEAD + sum(sys.getsizeof(text) for text in texts if isinstance(text, str))

    def parsed_body(self) -> Any:
        return json.loads(self.body) if isinstance(self.body, str) else self.body

    def to_json(self) -> bytes:
        """The entry as a JSON object, its kept body spliced in as the text it already is."""
        head = jsonio.dumps({"id": self.id, "at": self.at, "method": self.method, "path": self.path,
                             "query": self.query, "family": self.family, "route": self.route, "mode": self.mode,
                             "match": self.match, "status": self.status, "latency_ms": self.latency_ms,
                             "request_headers": self.request_headers, "response_headers": self.response_headers,
                             "response_body": self.response_body})
        if self.body is jsonio.NOT_JSON:
            return head
        body = b"null" if self.body is None else self.body.encode()
        return head[:-1] + b',"body":' + body + b"}"


class Journal:
    """Kept requests, oldest dropped first once MAX_ENTRIES or MAX_BYTES is passed."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: deque[JournalEntry] = deque()
        self._bytes = 0

    def add(self, entry: JournalEntry) -> None:
        entry.id = self._entries[-1].id + 1 if self._entries else 1
        self._entries.append(entry)
        self._bytes += entry.cost()
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self._bytes -= self._entries.popleft().cost()

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


JOURNAL = web.AppKey("journal", Journal)


def journal_middleware():
    @web.middleware
    async def keep(request: web.Request, handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        started = time.perf_counter()
        response = await handler(request)
        try:
            raw = await request.read()  # cached by aiohttp once the handler has read it
        except web.HTTPException:  # too large to keep
            raw = b""
        route = request.get(state.ROUTE)
        request.app[JOURNAL].add(JournalEntry(
            method=request.method, path=masked_text(request.path),
            query=masked_text(request.query_string), family=route.family if route else None,
            route=f"{route.method} {route.template}" if route else None,
            mode=request.get(state.SOURCE, "rules"), match=request.get(state.MATCH), status=response.status,
            latency_ms=round((time.perf_counter() - started) * 1000, 3), body=kept_body(raw),
            at=format_timestamp(request[state.NOW]) if state.NOW in request else "",
            request_headers=masked_headers(request.headers), response_headers=masked_headers(response.headers),
            response_body=kept_answer(response)))
        return response
    return keep


def entries_json(entries: list[JournalEntry], **head: Any) -> bytes:
    """`{**head, "requests": [...]}` without parsing any kept body."""
    opening = jsonio.dumps(head)[:-1] + (b"," if head else b"")
    return opening + b'"requests":[' + b",".join(entry.to_json() for entry in entries) + b"]}"


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
        if self.path_regex and entry.path != self.path and not self.path_regex.fullmatch(entry.path):
            return False
        return not self.has_body or _contains(entry.parsed_body(), self.body)


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(key in actual and _contains(actual[key], value)
                                                for key, value in expected.items())
    return actual == expected
