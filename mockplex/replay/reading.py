"""Reading a cassette: the one way every command loads one. Cassettes are committed and
shared, so each is treated as hostile: aliases are bounded (see bounded_yaml) and every
field that replay and the tools read must have the type vcrpy writes. Anything else is a
one-line error naming the file, and the interaction and field when there is one.
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # vcrpy is imported when a cassette is first read: a start from the index never needs it
    from vcr.request import Request

REQUEST_FIELDS = frozenset({"method", "uri", "body", "headers"})


class CassetteLoadError(Exception):
    def __init__(self, path: Path, detail: str) -> None:
        self.reason = f"cannot load cassette: {detail}"
        super().__init__(f"{path}: {self.reason}")


class Malformed(ValueError):
    """A field without the type vcrpy writes; the message says where."""


@dataclass
class CassetteContent:
    requests: list[Request]
    responses: list[dict[str, Any]]
    metadata: dict[str, Any]


def read_cassette(path: Path, raw: bytes | None = None) -> CassetteContent:
    """The cassette at `path` (whose bytes the caller may already hold), or CassetteLoadError."""
    try:
        text = (path.read_bytes() if raw is None else raw).decode("utf-8")
    except OSError as error:
        raise CassetteLoadError(path, error.strerror or str(error)) from None
    except UnicodeDecodeError as error:
        raise CassetteLoadError(path, f"not UTF-8 text (byte {error.start})") from None
    import vcr.serialize

    try:
        with collection_paused():
            requests, responses, *metadata = vcr.serialize.deserialize(text, _CheckedYaml)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise CassetteLoadError(path, f"line {mark.line + 1}, column {mark.column + 1}: "
                                      f"{error.problem or error.context}") from None
    except (yaml.YAMLError, ValueError, RecursionError) as error:  # AliasBomb, Malformed, vcrpy's own
        raise CassetteLoadError(path, " ".join(str(error).split()) or type(error).__name__) from None
    return CassetteContent(requests, responses, metadata[0] if metadata else {})


@contextmanager
def collection_paused():
    """The cyclic collector off while a cassette becomes objects: a large one is millions
    of them, all kept, and each full collection on the way walks every one made so far
    (3.5 of a 10,000-interaction cassette's 5 seconds). Loading makes no cycles to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _CheckedYaml:
    @staticmethod
    def deserialize(text: str) -> dict[str, Any]:
        from mockplex.replay.bounded_yaml import BoundedYaml

        data = BoundedYaml.deserialize(text)
        check_document(data)
        return data


def check_document(data: Any) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise Malformed("not a vcrpy cassette: no 'interactions' list at the top")
    metadata = data.get("metadata") or {}
    _expect(metadata, dict, "metadata", "a mapping")
    _expect(metadata.get("mockplex", {}), dict, "metadata.mockplex", "a mapping")
    check_callers((metadata.get("mockplex") or {}).get("callers") or {})
    for number, interaction in enumerate(data["interactions"], 1):
        try:
            _expect(interaction, dict, "the interaction", "a mapping")
            check_request(interaction.get("request"))
            check_response(interaction.get("response"))
        except Malformed as error:
            raise Malformed(f"interaction {number}: {error}") from None


def check_request(request: Any) -> None:
    _expect(request, dict, "request", "a mapping")
    if set(request) != REQUEST_FIELDS:
        raise Malformed(f"request has fields {sorted(map(str, request))}, expected {sorted(REQUEST_FIELDS)}")
    _expect(request["method"], str, "request.method", "a string")
    _expect(request["uri"], str, "request.uri", "a string")
    _expect(request["body"], (str, bytes, type(None)), "request.body", "a string, bytes or empty")
    _check_header_names(request["headers"], "request.headers")
    for name, values in request["headers"].items():
        if isinstance(values, list) and values:
            values = values[0]  # vcrpy keeps the first of a repeated request header
        _expect(values, str, f"request.headers.{name}", "a string or a list of strings")


def check_response(response: Any) -> None:
    _expect(response, dict, "response", "a mapping")
    status = response.get("status")
    _expect(status, dict, "response.status", "a mapping")
    code = status.get("code")
    _expect(code, int, "response.status.code", "a number")
    if not 100 <= code <= 999:
        raise Malformed(f"response.status.code is {code!r}, expected an HTTP status (100-999)")
    _expect(status.get("message"), (str, type(None)), "response.status.message", "a string")
    _check_header_names(response.get("headers", {}), "response.headers")
    for name, values in response.get("headers", {}).items():
        _expect(values, list, f"response.headers.{name}", "a list of strings")
        for value in values:
            _expect(value, str, f"response.headers.{name}", "a list of strings")
    body = response.get("body", {})
    _expect(body, dict, "response.body", "a mapping")
    _expect(body.get("string"), (str, bytes, type(None)), "response.body.string", "a string, bytes or empty")
    _check_chunks(response.get("mockplex", {}))


def _check_header_names(headers: Any, where: str) -> None:
    _expect(headers, dict, where, "a mapping")
    for name in headers:
        _expect(name, str, f"a header name in {where}", "a string")


def _check_chunks(extra: Any) -> None:
    _expect(extra, dict, "response.mockplex", "a mapping")
    _expect(extra.get("chunks") or [], list, "response.mockplex.chunks", "a list")
    for chunk in extra.get("chunks") or []:
        if not (isinstance(chunk, list) and len(chunk) == 2 and all(
                isinstance(number, (int, float)) and not isinstance(number, bool) and 0 <= number < math.inf
                for number in chunk)):
            raise Malformed(f"response.mockplex.chunks holds {_shown(chunk)}, expected [size, delay_ms] pairs")


def check_callers(callers: Any) -> None:
    """metadata.mockplex.callers: per caller, a hex SHA-256 and a map of scopes."""
    _expect(callers, dict, "metadata.mockplex.callers", "a mapping")
    for name, described in callers.items():
        where = f"metadata.mockplex.callers.{name}"
        _expect(described, dict, where, "a mapping")
        _expect(described.get("sha256"), (str, type(None)), f"{where}.sha256", "a hex SHA-256")
        scopes = described.get("scopes", {})
        _expect(scopes, dict, f"{where}.scopes", "a mapping")
        for scope, seen in scopes.items():
            _expect(seen, (bool, type(None)), f"{where}.scopes.{scope}", "true, false or null")


def _expect(value: Any, types, where: str, expected: str) -> None:
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
        raise Malformed(f"{where} is {_shown(value)}, expected {expected}")


def _as_tuple(types) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"
