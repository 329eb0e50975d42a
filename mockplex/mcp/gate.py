"""What every POST to the MCP endpoint passes before a message is dispatched, in the
server's order: the Origin check, the JSON parse, then bearer auth (notifications
included). It is the MCP route's declared step, so a replayed call passes it too."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex import jsonio, state
from mockplex.responses import ApiError, json_response, request_origin
from mockplex.rules.auth import resolve_bearer

PROTOCOL_VERSION = "2025-11-25"
ALLOW = "POST, OPTIONS"
PAYLOAD = web.RequestKey("mcp_payload", object)


def rpc_error(message_id: Any, code: int, message: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    error = {"code": code, "message": message, **({"data": data} if data is not None else {})}
    return {"jsonrpc": "2.0", "id": message_id, "error": error}


def echo_id(message: Any) -> Any:
    if isinstance(message, dict):
        value = message.get("id")
        if value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool)):
            return value
    return None


def origin_allowed(request: web.Request, origin: str | None) -> bool:
    if origin is None:
        return True
    return origin == request_origin(request) or origin in request.app[state.SETTINGS].mcp_allowed_origins


def post_headers(origin: str | None, allowed: bool) -> dict[str, str]:
    headers = {"Cache-Control": "no-store", "Mcp-Protocol-Version": PROTOCOL_VERSION}
    if origin is not None:
        headers["Vary"] = "Origin"
        if allowed:
            headers["Access-Control-Allow-Origin"] = origin
    return headers


async def mcp_gate(request: web.Request) -> web.Response | None:
    origin = request.headers.get("Origin")
    allowed = origin_allowed(request, origin)
    headers = post_headers(origin, allowed)
    if not allowed:
        body = {"jsonrpc": "2.0", "error": {"code": -32003, "message": "Forbidden origin",
                                            "data": {"code": "FORBIDDEN_ORIGIN"}}}
        return json_response(body, 403, headers)
    payload = jsonio.parse_body(await request.read())
    if payload is jsonio.NOT_JSON:
        return json_response(rpc_error(None, -32700, "Parse error: invalid JSON"), 400, headers)
    try:
        request[state.FLOW].identity = resolve_bearer(request)
    except ApiError as error:
        return _auth_failure(error, echo_id(payload), headers)
    request[PAYLOAD] = payload
    return None


def _auth_failure(error: ApiError, message_id: Any, headers: dict[str, str]) -> web.Response:
    if error.status == 429:
        data = {"code": "RATE_LIMITED", "suggestion": "Retry after the rate-limit window resets."}
        body = rpc_error(message_id, -32002, "Rate limit exceeded", data)
    else:
        data = {"code": "UNAUTHORIZED", "suggestion": "Sign in with OAuth or configure a Mogplex API token."}
        body = rpc_error(message_id, -32001, "Unauthorized", data)
    return json_response(body, error.status, {**headers, **error.headers})
