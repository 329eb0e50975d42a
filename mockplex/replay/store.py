"""Recorded interactions indexed for replay: a dictionary lookup per request, never a scan.

A request's key is its method, path, query (order-insensitive), body (JSON compared
canonically, with configured volatile fields ignored; JSON-RPC ids ignored on the MCP
endpoint) and, on routes that need one, its Idempotency-Key. Identical requests replay
in recorded order; after the last, the last repeats or the request fails, as configured.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import vcr.serialize
import yaml
from vcr.serializers import yamlserializer

from mockplex.world.state_files import write_atomically

log = logging.getLogger("mockplex.replay")

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


INDEX_FORMAT = 2


def load_store(path: Path, name: str, ignore_fields: frozenset[str], on_exhausted: str,
               uses_idempotency_key=lambda method, path: False) -> ReplayStore:
    """Load a cassette, through its parsed index when one matches the file's content."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CassetteLoadError(f"{path}: cannot read cassette: {error}") from None
    digest = hashlib.sha256(raw).hexdigest()
    interactions = _read_index(index_path(path), digest)
    if interactions is None:
        interactions = _parse(path, raw, uses_idempotency_key)
        _write_index(index_path(path), digest, interactions)
    return ReplayStore(name, interactions, ignore_fields, on_exhausted)


def index_path(path: Path) -> Path:
    """The parsed index kept beside a cassette: JSON, never pickle, since cassettes travel."""
    return path.with_name(f".{path.name}.mockplex-index.json")


def _parse(path: Path, raw: bytes, uses_idempotency_key) -> list[Recorded]:
    try:
        requests, responses, *_ = vcr.serialize.deserialize(raw.decode("utf-8"), yamlserializer)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CassetteLoadError(f"{path}: cannot load cassette: {error}") from None
    interactions = []
    for request, response in zip(requests, responses, strict=True):
        parts = urlsplit(request.uri)
        key = request.headers.get("Idempotency-Key") if uses_idempotency_key(request.method, parts.path) else None
        interactions.append(Recorded(
            request.method, parts.path, tuple(parse_qsl(parts.query, keep_blank_values=True)),
            parse_body(request.body), key.strip() if key else None, response))
    return interactions


def _read_index(index: Path, digest: str) -> list[Recorded] | None:
    try:
        data = json.loads(index.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT or data.get("sha256") != digest:
        return None  # stale or foreign: parse the cassette again
    try:
        return [Recorded(item["method"], item["path"], tuple(tuple(pair) for pair in item["query"]),
                         _decode(item["body"]), item["key"], _decode(item["response"]))
                for item in data["interactions"]]
    except (KeyError, TypeError, ValueError):
        return None


def _write_index(index: Path, digest: str, interactions: list[Recorded]) -> None:
    data = {"format": INDEX_FORMAT, "sha256": digest, "interactions": [
        {"method": item.method, "path": item.path, "query": item.query, "body": _encode(item.body),
         "key": item.idempotency_key, "response": _encode(item.response)} for item in interactions]}
    try:
        write_atomically(index, json.dumps(data, separators=(",", ":")), 0o644)
    except OSError as error:  # a read-only cassette folder just means no cache
        log.warning("could not write the replay index %s: %s", index, error)


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            return {"$text": value.decode("utf-8")}
        except UnicodeDecodeError:
            return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$text"}:
            return value["$text"].encode("utf-8")
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


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
