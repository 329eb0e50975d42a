"""Recorded interactions indexed for replay: a dictionary lookup per request, never a scan.

A request's key is its method, path, query (order-insensitive), body (JSON compared
canonically, with configured volatile fields ignored; JSON-RPC ids ignored on the MCP
endpoint), on routes that need one its Idempotency-Key, and its caller (callers.py): a
recorded caller is answered only from its own recordings. Identical requests replay in
recorded order; after the last, the last repeats or the request fails, as configured.
Test code that sends random ids and keys replays through the knobs of `Matching`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from mockplex.names import MCP_PATH
from mockplex.replay.callers import (
    ANY_CALLER,
    NO_CREDENTIAL,
    CallerBook,
    RecordedCaller,
    caller_of,
    checked_caller,
    unknown_scopes,
)
from mockplex.replay.index import index_path, read_index, write_index
from mockplex.replay.reading import CassetteLoadError, Malformed, collection_paused, read_cassette
from mockplex.replay.recorded import Recorded

NEAREST = 16  # recorded requests a miss compares itself with
IDEMPOTENCY_HEADER = "Idempotency-Key"  # the one request header matched on (the caller is read from its credential)


@dataclass(frozen=True)
class Matching:
    """What a match leaves out: body fields at any depth, the Idempotency-Key header, query
    keys; and the routes ("METHOD /template") matched only on their template and caller, the
    n-th call getting the n-th recorded answer, as Polly's and WireMock's ordered scenarios."""

    ignore_fields: frozenset[str] = frozenset()
    ignore_headers: frozenset[str] = frozenset()
    ignore_query: frozenset[str] = frozenset()
    ordered: frozenset[str] = frozenset()


@dataclass
class ReplayStore:
    name: str
    interactions: list[Recorded]
    callers: CallerBook
    matching: Matching = Matching()
    on_exhausted: str = "repeat"  # or "fail"
    template_of: Callable[[str], str | None] = lambda path: None  # the route template a path belongs to
    _index: dict[tuple, list[Recorded]] = field(default_factory=dict)  # keys with the caller, and keys without
    _ordered: dict[tuple, list[Recorded]] = field(default_factory=dict)  # (route, caller) -> its answers in order
    _served: dict[tuple, int] = field(default_factory=lambda: defaultdict(int))
    _nearby: dict[tuple, list[Recorded]] = field(default_factory=dict)
    _routes: set[tuple] = field(default_factory=set)  # (method, path, caller), and without the caller
    unwritten_index: Callable[[], None] | None = None  # a cold load's index, when its writing was deferred

    def __post_init__(self) -> None:
        index: dict[tuple, list[Recorded]] = defaultdict(list)
        ordered: dict[tuple, list[Recorded]] = defaultdict(list)
        templates: dict[str, str | None] = {}
        for item in self.interactions:
            if item.path not in templates:
                templates[item.path] = self.template_of(item.path)
            route = f"{item.method} {templates[item.path]}"
            for caller in (item.caller, ANY_CALLER):
                self._routes.add((item.method, item.path, caller))
                if route in self.matching.ordered:
                    ordered[(route, caller)].append(item)
                else:
                    index[self.key(item.method, item.path, item.query, item.body, item.idempotency_key,
                                   caller)].append(item)
            for group in self._groups(item.method, item.path, templates[item.path]):
                nearby = self._nearby.setdefault(group, [])
                if len(nearby) < NEAREST:
                    nearby.append(item)
        self._index, self._ordered = dict(index), dict(ordered)

    @staticmethod
    def _groups(method: str, path: str, template: str | None) -> list[tuple]:
        """Where a miss looks for its closest recorded request, nearest first."""
        return [("route", method, path), ("path", path)] + ([("template", template)] if template else [])

    def key(self, method: str, path: str, query: tuple[tuple[str, str], ...], body: Any,
            idempotency_key: str | None, caller: str | None) -> tuple:
        """What a request is matched on; `query` is its pairs as a tuple (one that needs no
        sorting is part of the key as it is)."""
        matching = self.matching
        ignored = matching.ignore_query
        if ignored:
            kept_query = tuple(sorted(pair for pair in query if pair[0] not in ignored))
        else:  # most queries have a pair or none, already in order
            kept_query = query if len(query) < 2 else tuple(sorted(query))
        canonical = None if body is None else _canonical(_without(body, matching.ignore_fields, path))
        return (method, path, kept_query, canonical,
                None if IDEMPOTENCY_HEADER in matching.ignore_headers else idempotency_key, caller)

    def holds(self, method: str, path: str, caller: str | None) -> bool:
        """Whether this caller may be answered from a recording of this method and path."""
        return ("GET" if method == "HEAD" else method, path, caller) in self._routes

    def match(self, method: str, path: str, query, body: Any, idempotency_key: str | None,
              caller: str | None, template: str) -> Recorded | None:
        """The next recorded answer to this request on the route `template` answers; a HEAD
        with no recording of its own is answered as its GET was (the body is not sent)."""
        key, candidates = self._answers(method, path, query, body, idempotency_key, caller, template)
        if not candidates:
            return None
        served = self._served[key]
        self._served[key] = served + 1
        if served < len(candidates):
            return candidates[served]
        return candidates[-1] if self.on_exhausted == "repeat" else None

    def used_up(self, method: str, path: str, query, body: Any, idempotency_key: str | None,
                caller: str | None, template: str) -> int:
        """How many answers were recorded for this request, when every one has been served
        (0 when it was not recorded or some are left): a miss then means exhausted."""
        key, candidates = self._answers(method, path, query, body, idempotency_key, caller, template)
        return len(candidates) if candidates and self._served[key] > len(candidates) else 0

    def _answers(self, method: str, path: str, query, body: Any, idempotency_key: str | None,
                 caller: str | None, template: str) -> tuple[tuple, list[Recorded]]:
        """The key this request is served under and the answers recorded for it, in order."""
        if method == "HEAD" and ("HEAD", path, caller) not in self._routes:
            method = "GET"
        if self.matching.ordered:  # most cassettes order no route: no name to build for them
            route = f"{method} {template}"
            if route in self.matching.ordered:
                return (route, caller), self._ordered.get((route, caller), [])
        key = self.key(method, path, query, body, idempotency_key, caller)
        return key, self._index.get(key, [])

    def closest(self, method: str, path: str, query, body: Any, idempotency_key: str | None,
                caller: str | None) -> tuple[Recorded, str, str | None] | None:
        """The recorded request most like this one, how it differs, and the flags with which
        it would have matched (None when no knob would do): among the first few recorded with
        the same method and path, else the same path, else the same route, else the
        cassette's first few, so that a miss costs about what a hit does."""
        template = self.template_of(path)
        groups = self._groups(method, path, template)
        candidates = next((self._nearby[group] for group in groups if group in self._nearby),
                          self.interactions[:NEAREST])
        if not candidates:
            return None
        best = min(candidates, key=lambda item: _distance(item, method, path, query, body, idempotency_key))
        differences = list(self._differences(best, method, path, dict(query), body, idempotency_key, caller))
        if not differences:
            return best, "nothing the match compares", None
        flags = [flag for _, flag in differences]
        route = f"{method} {template}"
        if None in flags:
            orderable = (template is not None and route not in self.matching.ordered and best.method == method
                         and self.template_of(best.path) == template and caller in (ANY_CALLER, best.caller))
            return best, differences[0][0], f"--ordered '{route}'" if orderable else None
        return best, differences[0][0], " ".join(dict.fromkeys(flags))

    def differences(self, item: Recorded, method: str, path: str, query, body: Any,
                    idempotency_key: str | None, caller: str | None) -> list[tuple[str, str | None]]:
        """Every way `item` differs from this request, each with the flag that would leave it
        out of the match (None: no flag would)."""
        return list(self._differences(item, method, path, dict(query), body, idempotency_key, caller))

    def _differences(self, item: Recorded, method: str, path: str, query: dict, body: Any,
                     idempotency_key: str | None, caller: str | None):
        """Each way a recorded request differs from this one beyond what the match leaves
        out, with the flag that would leave it out too (None: no flag would)."""
        if item.path != path:
            yield f"path {item.path} (not {path})", None
        if item.method != method:
            yield f"method {item.method} (not {method})", None
        recorded = dict(item.query)
        for key in sorted((set(recorded) | set(query)) - self.matching.ignore_query):
            if recorded.get(key) != query.get(key):
                yield (f"query key {key!r} ({recorded.get(key)!r} recorded, {query.get(key)!r} sent)",
                       f"--ignore-query {key}")
        ignored = self.matching.ignore_fields
        fields = sorted(key for key in set(item.body) | set(body) if key not in ignored
                        and item.body.get(key) != body.get(key)) \
            if isinstance(item.body, dict) and isinstance(body, dict) else []
        for key in fields:
            yield f"body field {key!r}", f"--ignore-field {key}"
        ignored = ignored | set(fields)
        if _canonical(_without(item.body, ignored, path)) != _canonical(_without(body, ignored, path)):
            yield "body", None
        if caller not in (ANY_CALLER, item.caller):
            yield f"caller ({item.caller} recorded, {caller} calling)", None
        if item.idempotency_key != idempotency_key and IDEMPOTENCY_HEADER not in self.matching.ignore_headers:
            yield (f"{IDEMPOTENCY_HEADER} ({item.idempotency_key!r} recorded, {idempotency_key!r} sent)",
                   f"--ignore-header {IDEMPOTENCY_HEADER}")


SLOW_LOAD_SECONDS = 1.0


def load_store(path: Path, name: str, matching: Matching, on_exhausted: str,
               uses_idempotency_key=lambda method, path: False,
               template_of: Callable[[str], str | None] = lambda path: None,
               mapped_tokens: dict[str, str] | None = None, defer_index: bool = False) -> ReplayStore:
    """Load a cassette, through its parsed index when one matches the file's content. A
    cold load writes the index, or, with `defer_index`, leaves that to the caller (the
    store's unwritten_index), so that a server can answer before the index is on disk."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CassetteLoadError(path, error.strerror or str(error)) from None
    digest = hashlib.sha256(raw).hexdigest()
    indexed = read_index(index_path(digest), digest)
    unwritten = None
    if indexed is None:
        with _said_if_slow(f"mockplex: reading {path} ({len(raw) / 1e6:.1f} MB) for the first time; "
                           "later starts use its index"):
            indexed = _parse(path, raw)
        if defer_index:
            unwritten = functools.partial(write_index, index_path(digest), digest, *indexed)
        else:
            write_index(index_path(digest), digest, *indexed)
    recorded, callers = indexed
    # The index keeps every recorded Idempotency-Key; only routes that use one match on it.
    interactions = [item if item.idempotency_key is None or uses_idempotency_key(item.method, item.path)
                    else replace(item, idempotency_key=None) for item in recorded]
    return ReplayStore(name, interactions, CallerBook(callers, digest, mapped_tokens or {}), matching, on_exhausted,
                       template_of, unwritten_index=unwritten)


@contextmanager
def _said_if_slow(line: str):
    """Prints `line` to stderr if the block is still running after SLOW_LOAD_SECONDS, so a
    long cold load is not mistaken for a hang."""
    timer = threading.Timer(SLOW_LOAD_SECONDS, lambda: print(line, file=sys.stderr, flush=True))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _parse(path: Path, raw: bytes) -> tuple[list[Recorded], dict[str, RecordedCaller]]:
    with collection_paused():
        return _parsed(path, raw)


def _parsed(path: Path, raw: bytes) -> tuple[list[Recorded], dict[str, RecordedCaller]]:
    cassette = read_cassette(path, raw)
    interactions = []
    for request, response in zip(cassette.requests, cassette.responses, strict=True):
        parts = urlsplit(request.uri)
        key = request.headers.get("Idempotency-Key")
        interactions.append(Recorded(
            request.method, parts.path, tuple(parse_qsl(parts.query, keep_blank_values=True)),
            parse_body(request.body), key.strip() if key else None, response, caller_of(request.headers)))
    try:
        return interactions, _callers(cassette.metadata.get("mockplex", {}), interactions)
    except Malformed as error:  # the cassette-wide scopes of an older cassette
        raise CassetteLoadError(path, str(error)) from None


def _callers(provenance: dict[str, Any], interactions: list[Recorded]) -> dict[str, RecordedCaller]:
    """Every caller with a credential; one the metadata does not describe (recorded before
    callers were kept) has no hash and the cassette-wide scopes older cassettes kept."""
    described = provenance.get("callers") or {}
    legacy_scopes = provenance.get("token_scopes") or unknown_scopes()
    callers = {}
    for name in dict.fromkeys(item.caller for item in interactions if item.caller != NO_CREDENTIAL):
        seen = described.get(name) or {}
        callers[name] = checked_caller(name, seen.get("sha256"), seen.get("scopes") or legacy_scopes)
    return callers


def parse_body(raw: Any) -> Any:
    if raw in (None, b"", ""):
        return None
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    try:
        return json.loads(raw, parse_constant=_not_json)  # NaN and Infinity are no JSON a client sends
    except (ValueError, RecursionError):  # not JSON, or nested too deep to compare as JSON
        return raw


def _not_json(constant: str) -> Any:
    raise ValueError(constant)


def _without(body: Any, ignored: frozenset[str], path: str) -> Any:
    """The body with ignored fields removed at any depth (and JSON-RPC ids on MCP)."""
    if path == MCP_PATH:
        return [_without(item, ignored | {"id"}, "") for item in body] if isinstance(body, list) \
            else _without(body, ignored | {"id"}, "")
    if not ignored:
        return body
    if isinstance(body, dict):
        return {key: _without(value, ignored, "") for key, value in body.items() if key not in ignored}
    if isinstance(body, list):
        return [_without(item, ignored, "") for item in body]
    return body


def _canonical(body: Any) -> str | bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def _distance(item: Recorded, method: str, path: str, query, body: Any, idempotency_key: str | None) -> tuple:
    return (item.path != path, item.method != method, len(set(item.query) ^ set(query)),
            _canonical(item.body) != _canonical(body), item.idempotency_key != idempotency_key)
