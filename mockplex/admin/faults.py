"""Fault injection: latency, error answers in the family's shape, dropped or reset
connections and trickled bodies, each with a probability, a count and a seed."""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from dataclasses import asdict, dataclass, field
from itertools import count
from typing import Any

from aiohttp import web

from mockplex.state import FLOW
from mockplex.responses import family_error
from mockplex.routes import FAMILIES, RouteSpec
from mockplex.rules.route_match import route_match

KINDS = ("latency", "error", "drop", "reset", "trickle")
FAULTS = web.AppKey("faults", object)
V1_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT",
            429: "RATE_LIMITED", 500: "INTERNAL_ERROR", 501: "SERVICE_UNAVAILABLE", 502: "SERVICE_UNAVAILABLE",
            503: "SERVICE_UNAVAILABLE", 504: "SERVICE_UNAVAILABLE"}


class FaultError(ValueError):
    """A fault rule that cannot work; the message names the field at fault."""


@dataclass
class FaultRule:
    id: str
    kind: str
    family: str | None = None
    route: str | None = None  # "METHOD /template", as `mockplex routes` prints it
    path: str | None = None  # a path prefix, for paths outside the route table
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    status: int = 503
    code: str | None = None
    message: str | None = None
    retry_after: int | None = None
    chunk_bytes: int = 8
    chunk_delay_ms: float = 50.0
    probability: float = 1.0
    count: int | None = None  # how many more times it may fire; None = always
    seed: int | None = None
    fired: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def applies(self, spec: RouteSpec | None, path: str) -> bool:
        if self.family and (spec is None or spec.family != self.family):
            return False
        if self.route and (spec is None or spec.key != self.route):
            return False
        return not self.path or path.startswith(self.path)

    def fires(self) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.probability < 1 and self._random.random() >= self.probability:
            return False
        if self.count is not None:
            self.count -= 1
        self.fired += 1
        return True

    def delay_seconds(self) -> float:
        jitter = self._random.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, self.latency_ms + jitter) / 1000

    def view(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if not key.startswith("_")}


INTEGER_FIELDS = ("status", "retry_after", "chunk_bytes", "count", "seed")
NUMBER_FIELDS = ("latency_ms", "jitter_ms", "chunk_delay_ms", "probability")
TEXT_FIELDS = ("kind", "family", "route", "path", "code", "message")
NULLABLE_FIELDS = ("family", "route", "path", "code", "message", "retry_after", "count", "seed")
MAX_NUMBER = 1e15


def check_fault(fields: dict[str, Any]) -> dict[str, Any]:
    """A fault rule's fields typed and in range (numbers may come as text, as from a
    --fault flag), or a FaultError naming the first wrong field."""
    unknown = [name for name in fields if name not in INTEGER_FIELDS + NUMBER_FIELDS + TEXT_FIELDS]
    if unknown:
        raise FaultError(f"unknown field '{unknown[0]}'")
    if "kind" not in fields:
        raise FaultError(f"kind is required: one of {', '.join(KINDS)}")
    rule = {name: _typed(name, value) for name, value in fields.items()}
    _check_ranges(rule)
    return rule


def _typed(name: str, value: Any) -> Any:
    if value is None and name in NULLABLE_FIELDS:
        return None
    if name in TEXT_FIELDS:
        if not isinstance(value, str):
            raise FaultError(f"{name} must be text, got {value!r}")
        return value
    number = _number_from_text(value) if isinstance(value, str) else value
    whole = name in INTEGER_FIELDS
    # The range check rejects NaN and infinities, and ints too big to become floats.
    valid = (isinstance(number, (int, float)) and not isinstance(number, bool) and -MAX_NUMBER <= number <= MAX_NUMBER
             and (not whole or float(number).is_integer()))
    if not valid:
        raise FaultError(f"{name} must be {'a whole number' if whole else 'a number'}, got {value!r}")
    return int(number) if whole else number


def _number_from_text(text: str) -> Any:
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _check_ranges(rule: dict[str, Any]) -> None:
    limits = [
        (rule["kind"] in KINDS, f"kind must be one of {', '.join(KINDS)}"),
        (rule.get("family") in (None, *FAMILIES), f"family must be one of {', '.join(FAMILIES)}"),
        (0 <= rule.get("probability", 1) <= 1, "probability must be between 0 and 1"),
        (rule["kind"] != "error" or 400 <= rule.get("status", 503) <= 599,
         "status must be an HTTP error status (400-599)"),
        (rule.get("chunk_bytes", 1) >= 1, "chunk_bytes must be at least 1"),
    ]
    limits += [(rule[name] >= 0, f"{name} must not be negative")
               for name in ("latency_ms", "jitter_ms", "chunk_delay_ms", "retry_after", "count")
               if rule.get(name) is not None]
    for holds, message in limits:
        if not holds:
            raise FaultError(message)


class FaultSet:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._ids = count(1)

    def add(self, fields: dict[str, Any]) -> FaultRule:
        rule = FaultRule(id=f"fault-{next(self._ids)}", **check_fault(fields))
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: str) -> bool:
        kept = [rule for rule in self.rules if rule.id != rule_id]
        found = len(kept) != len(self.rules)
        self.rules = kept
        return found

    def pick(self, spec: RouteSpec | None, path: str) -> FaultRule | None:
        return next((rule for rule in self.rules if rule.applies(spec, path) and rule.fires()), None)


def error_answer(rule: FaultRule, path: str) -> web.Response:
    message = rule.message or f"mockplex injected a {rule.status} ({rule.id})"
    headers = {"X-Mockplex-Fault": rule.id}
    if rule.retry_after is not None:
        headers["Retry-After"] = str(rule.retry_after)
    return family_error(path, rule.status, rule.code or V1_CODES.get(rule.status, "INTERNAL_ERROR"), message, headers)


def cut_connection(request: web.Request, rule: FaultRule) -> web.Response:
    """Drop: close without answering. Reset: abort with a TCP RST."""
    transport = request.transport
    if transport is not None:
        if rule.kind == "reset":
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
    return web.Response(status=499)


async def trickle(request: web.Request, response: web.StreamResponse, rule: FaultRule) -> web.StreamResponse:
    """Send a finished answer's body a few bytes at a time."""
    if not isinstance(response, web.Response) or response.prepared or not response.body:
        return response
    body = response.body if isinstance(response.body, bytes) else bytes(response.body)
    slow = web.StreamResponse(status=response.status, reason=response.reason)
    for name, value in response.headers.items():
        if name.lower() not in ("content-length", "transfer-encoding"):
            slow.headers.add(name, value)
    slow.headers["X-Mockplex-Fault"] = rule.id
    slow.enable_chunked_encoding()
    await slow.prepare(request)
    for offset in range(0, len(body), max(1, rule.chunk_bytes)):
        await slow.write(body[offset: offset + rule.chunk_bytes])
        await asyncio.sleep(rule.chunk_delay_ms / 1000)
    await slow.write_eof()
    return slow


def fault_injector(faults: FaultSet):
    """Injects the rules in `faults` (the app's FaultSet, which the admin API changes) into
    a request outside the admin API (in_place.answered_in_place sends them)."""
    async def inject(request: web.Request, then) -> web.StreamResponse:
        rule = faults.pick(route_match(request).spec, request.path)
        if rule is None:
            return await then(request)
        if rule.kind == "latency":
            await asyncio.sleep(rule.delay_seconds())
            return await then(request)
        if rule.kind in ("error", "drop", "reset"):
            request[FLOW].source = "fault"
        if rule.kind == "error":
            return error_answer(rule, request.path)
        if rule.kind in ("drop", "reset"):
            return cut_connection(request, rule)
        return await trickle(request, await then(request), rule)
    return inject
