"""How the web app's handlers read a JSON body: the fields `body.x` sees, and whether the
handler catches `request.json()` (malformed JSON is its 400) or lets it throw (the
framework's empty 500)."""

from __future__ import annotations

from typing import Any

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.json_failure import parse_failure_message
from mockplex.responses import EmptyResponse, flat_error


def _fields(body: Any) -> dict[str, Any]:
    """What `body.x` reads: a JSON null throws (the framework's empty 500); any other
    non-object has no fields."""
    if body is None:
        raise EmptyResponse(500)
    return body if isinstance(body, dict) else {}


async def guarded_fields(call: Call) -> dict[str, Any]:
    """A handler that catches request.json(): malformed JSON is its own 400."""
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise flat_error(400, "Invalid JSON body")
    return _fields(body)


async def unguarded_fields(call: Call) -> dict[str, Any]:
    """A handler that lets request.json() throw: malformed JSON is the framework's empty 500."""
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise EmptyResponse(500)
    return _fields(body)


async def caught_json(call: Call) -> Any:
    """A handler whose catch-all wraps request.json(): malformed JSON is a 500 carrying
    V8's parse message."""
    raw = await call.request.read()
    body = jsonio.parse_body(raw)
    if body is jsonio.NOT_JSON:
        raise flat_error(500, parse_failure_message(raw))
    return body
