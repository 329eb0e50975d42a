"""What the `mcp` plugin's endpoints share on the wire: the CORS headers they set before
anything can fail, OAuth-style error bodies, and better-call's body reading (the media
types an endpoint allows, its JSON and form parsing, zod's validation messages)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.better_auth_wire import respond

CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Authorization", "Access-Control-Max-Age": "86400"}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
_JSON_MEDIA = re.compile(r"^application/([a-z0-9.+-]*\+)?json")
ABSENT = object()  # a body field that is not there (JavaScript's undefined)


class EndpointRefusal(Exception):
    """An APIError thrown by the router or the endpoint: the answer to send as is."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(response.status)
        self.response = response


def oauth_error(status: int, error: str, description: str, headers: dict | None = None) -> EndpointRefusal:
    return EndpointRefusal(respond({"error": error, "error_description": description}, status=status,
                                   headers=headers))


def message_error(status: int, message: str, code: str | None = None, headers: dict | None = None) -> EndpointRefusal:
    body = {"message": message} if code is None else {"message": message, "code": code}
    return EndpointRefusal(respond(body, status=status, headers=headers))


def validation_error(issues: list[str]) -> EndpointRefusal:
    return message_error(400, "; ".join(issues), "VALIDATION_ERROR")


async def read_body(call: Call, allowed: tuple[str, ...]) -> Any:
    """getBody: ABSENT for no body; 415 for a media type the endpoint does not take;
    parsed JSON (400 when it is not JSON) or a form's fields (the last of a repeated one)."""
    raw = await call.request.read()
    if not raw:
        return ABSENT
    given = call.request.headers.get("Content-Type", "")
    media = given.lower()
    base = media.split(";")[0].strip()
    if not any(base == kind or kind in base for kind in allowed):
        if not media:
            raise message_error(415, f"Content-Type is required. Allowed types: {', '.join(allowed)}",
                                "UNSUPPORTED_MEDIA_TYPE")
        raise message_error(415, f'Content-Type "{given}" is not allowed. Allowed types: {", ".join(allowed)}',
                            "UNSUPPORTED_MEDIA_TYPE")
    if _JSON_MEDIA.match(media):
        parsed = jsonio.parse_body(raw)
        if parsed is jsonio.NOT_JSON:
            raise message_error(400, "Invalid JSON in request body", "BAD_REQUEST")
        return parsed
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def received(value: Any) -> str:
    """The type name zod 4 gives in `expected X, received Y`."""
    return "undefined" if value is ABSENT else jsonio.js_type(value)


def type_issue(path: str, expected: str, value: Any) -> str:
    return f"[{path}] Invalid input: expected {expected}, received {received(value)}"


def refusals_answered(endpoint):
    """An endpoint whose thrown refusals become its answer."""
    async def answered(call: Call) -> web.StreamResponse:
        try:
            return await endpoint(call)
        except EndpointRefusal as refusal:
            return refusal.response
    answered.__name__ = endpoint.__name__
    return answered
