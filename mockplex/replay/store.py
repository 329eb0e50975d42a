"""Recorded interactions indexed for replay: a dictionary lookup per request, never a scan.

A request's key is its method, path, query (order-insensitive), body (JSON compared
canonically, with configured volatile fields ignored; JSON-RPC ids ignored on the MCP
endpoint) and, on routes that need one, its Idempotency-Key. Identical requests replay
in recorded order; after the last, the last repeats or the request fails, as configured.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import vcr.serialize
from vcr.serializers import yamlserializer

MCP_PATH = "/api/v1/mogplex/mcp"


class CassetteLoadError(Exception):
    pass


@dataclass
class Recorded:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any
    idempotency_key: str | None
    response: dict[str, Any]


@dataclass
class ReplayStore:
    name: str
    interactions: list[Recorded]
    ignore_fields: frozenset[str] = frozenset()
    on_exhausted: str = "repeat"  # or "fail"
    _index: dict[tuple, list[Recorded]] = field(default_factory=dict)
    _served: dict[tuple, int] = field(default_factory=lambda: defaultdict(int))

    def __post_init__(self) -> None:
        index: dict[tuple, list[Recorded]] = defaultdict(list)
        for item in self.interactions:
            index[self.key(item.method, item.path, item.query, item.body, item.idempotency_key)].append(item)
        self._index = dict(index)

    def key(self, method: str, path: str, query, body: Any, idempotency_key: str | None) -> tuple:
        return (method, path, tuple(sorted(query)), _canonical(_without(body, self.ignore_fields, path)),
                idempotency_key)

    def match(self, method: str, path: str, query, body: Any, idempotency_key: str | None) -> Recorded | None:
        key = self.key(method, path, query, body, idempotency_key)
        candidates = self._index.get(key)
        if not candidates:
            return None
        served = self._served[key]
        self._served[key] = served + 1
        if served < len(candidates):
            return candidates[served]
        return candidates[-1] if self.on_exhausted == "repeat" else None

    def closest(self, method: str, path: str, query, body: Any) -> tuple[Recorded, str] | None:
        """The recorded request most like this one, and how it differs."""
        scored = sorted(self.interactions, key=lambda item: _distance(item, method, path, query, body))
        if not scored:
            return None
        best = scored[0]
        return best, _difference(best, method, path, dict(query), body)


def load_store(path: Path, name: str, ignore_fields: frozenset[str], on_exhausted: str,
               uses_idempotency_key=lambda method, path: False) -> ReplayStore:
    try:
        text = path.read_text(encoding="utf-8")
        requests, responses, *_ = vcr.serialize.deserialize(text, yamlserializer)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CassetteLoadError(f"{path}: cannot load cassette: {error}") from None
    interactions = []
    for request, response in zip(requests, responses, strict=True):
        parts = urlsplit(request.uri)
        key = request.headers.get("Idempotency-Key") if uses_idempotency_key(request.method, parts.path) else None
        interactions.append(Recorded(
            request.method, parts.path, tuple(parse_qsl(parts.query, keep_blank_values=True)),
            parse_body(request.body), key.strip() if key else None, response))
    return ReplayStore(name, interactions, ignore_fields, on_exhausted)


def parse_body(raw: Any) -> Any:
    if raw in (None, b"", ""):
        return None
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _without(body: Any, ignored: frozenset[str], path: str) -> Any:
    if path == MCP_PATH:
        ignored = ignored | {"id"}
        if isinstance(body, list):
            return [_without(item, ignored, "") for item in body]
    if isinstance(body, dict):
        return {key: value for key, value in body.items() if key not in ignored}
    return body


def _canonical(body: Any) -> str | bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def _distance(item: Recorded, method: str, path: str, query, body: Any) -> tuple:
    return (item.path != path, item.method != method, len(set(item.query) ^ set(query)),
            _canonical(item.body) != _canonical(body))


def _difference(item: Recorded, method: str, path: str, query: dict, body: Any) -> str:
    if item.path != path:
        return f"path {item.path} (not {path})"
    if item.method != method:
        return f"method {item.method} (not {method})"
    recorded = dict(item.query)
    for key in sorted(set(recorded) | set(query)):
        if recorded.get(key) != query.get(key):
            return f"query key '{key}' ({recorded.get(key)!r} recorded, {query.get(key)!r} sent)"
    if isinstance(item.body, dict) and isinstance(body, dict):
        for key in sorted(set(item.body) | set(body)):
            if item.body.get(key) != body.get(key):
                return f"body field '{key}'"
    return "body" if _canonical(item.body) != _canonical(body) else "Idempotency-Key, or all recorded answers were used"
