"""JSON-RPC 2.0 over stateless Streamable HTTP at /api/v1/mogplex/mcp (v1 spec §10).

A POST has passed the route's gate step (mcp/gate.py: Origin, JSON parse, bearer auth)
before it is dispatched here, one message or a batch. Replies are always JSON, never an
event stream.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from mockplex import schema, state
from mockplex.mcp.gate import ALLOW, PAYLOAD, PROTOCOL_VERSION, echo_id, origin_allowed, post_headers, rpc_error
from mockplex.mcp.tools import BY_NAME, DEFINITIONS, VALIDATORS, Tool
from mockplex.responses import empty, json_response

log = logging.getLogger("mockplex.mcp")

SERVER_INFO = {"name": "mogplex", "version": "0.1.0"}
INSTRUCTIONS = (
    "Use Mogplex tools to discover repos, agents, and models; manage env vars on a repo's linked Vercel "
    "project; build, publish, trigger, and inspect automations; create sandboxes and read their logs; or "
    "start and control one-off repo-bound agent runs."
)
GENERIC_SUGGESTION = "Retry later or inspect Mogplex API logs for this request."
SUGGESTIONS = {
    "UNAUTHORIZED": "Check the Mogplex API token used for this MCP server.",
    "NOT_FOUND": "List repos or runs again and pass an id owned by this token.",
    "IDEMPOTENCY_CONFLICT": "Retry with a new idempotency key or reuse the original request.",
    "BAD_REQUEST": "Check the tool arguments and retry.",
    "CONFLICT": "Refresh the run state; it may no longer be active.",
}


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


# -- the three HTTP methods -------------------------------------------------------------

async def handle_post(call) -> web.Response:
    """Dispatch one message or a batch; the route's gate step has passed it (mcp/gate.py)."""
    request: web.Request = call.request
    payload = request[PAYLOAD]
    headers = post_headers(request.headers.get("Origin"), allowed=True)
    if isinstance(payload, list):
        if not payload:
            return json_response(rpc_error(None, -32600, "Invalid Request"), 200, headers)
        answers = await asyncio.gather(*(answer(request, message) for message in payload))
        replies = [reply for reply in answers if reply is not None]
        return json_response(replies, 200, headers) if replies else empty(202, headers)
    reply = await answer(request, payload)
    return json_response(reply, 200, headers) if reply is not None else empty(202, headers)


async def handle_get(call) -> web.Response:
    return empty(405, {"Allow": ALLOW, "Cache-Control": "no-store"})


async def handle_options(call) -> web.Response:
    request: web.Request = call.request
    origin = request.headers.get("Origin")
    if not origin_allowed(request, origin):
        return empty(403, {"Cache-Control": "no-store", "Vary": "Origin"})
    headers = {
        "Cache-Control": "no-store", "Vary": "Origin", "Allow": ALLOW,
        "Access-Control-Allow-Headers": "authorization, content-type, mcp-protocol-version, mcp-session-id",
        "Access-Control-Allow-Methods": ALLOW, "Access-Control-Max-Age": "86400",
    }
    if origin is not None:
        headers["Access-Control-Allow-Origin"] = origin
    return empty(204, headers)


# -- one JSON-RPC message ---------------------------------------------------------------

async def answer(request: web.Request, message: Any) -> dict[str, Any] | None:
    """The reply to one message, or None for a notification."""
    if not isinstance(message, dict):
        return rpc_error(None, -32600, "Invalid Request")
    message_id = echo_id(message)
    if message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
        return rpc_error(message_id, -32600, "Invalid Request")
    if "id" not in message:
        return None
    try:
        return {"jsonrpc": "2.0", "id": message_id, "result": await _dispatch(request, message)}
    except RpcError as error:
        return rpc_error(message_id, error.code, error.message, error.data)
    except Exception:
        log.exception("MCP message failed: %s", message.get("method"))
        return rpc_error(message_id, -32603, "Mogplex MCP request failed", {"code": "INTERNAL_ERROR"})


async def _dispatch(request: web.Request, message: dict[str, Any]) -> Any:
    method = message["method"]
    if method == "initialize":
        return {"protocolVersion": PROTOCOL_VERSION, "capabilities": {"tools": {"listChanged": False}},
                "serverInfo": dict(SERVER_INFO), "instructions": INSTRUCTIONS}
    if method == "ping":
        return {}
    if method == "tools/list":
        return {"tools": DEFINITIONS}
    if method == "tools/call":
        return await call_tool(request, message.get("params"))
    raise RpcError(-32601, f"Method not found: {method}")


async def call_tool(request: web.Request, params: Any) -> dict[str, Any]:
    if not isinstance(params, dict) or not isinstance(params.get("name"), str):
        raise RpcError(-32602, "tools/call requires params.name")
    arguments = params.get("arguments")
    if arguments is None:
        arguments = {}
    elif not isinstance(arguments, dict):
        raise RpcError(-32602, "tools/call params.arguments must be an object")
    tool = BY_NAME.get(params["name"])
    if tool is None:
        raise RpcError(-32602, f"Unknown tool: {params['name']}")
    try:
        args = schema.parse(VALIDATORS[tool.name], arguments, "arguments")
    except schema.SchemaError as error:
        raise RpcError(-32602, str(error)) from None
    rest = tool.request(args, request.app[state.WORLD].ids.uuid)
    try:
        status, payload = await request.app[state.REST_HOP].send(request, rest)
    except Exception as error:  # the hop itself failed: no HTTP answer at all
        text = str(error) or type(error).__name__
        return {"content": [{"type": "text", "text": text}],
                "structuredContent": {"error": {"code": "INTERNAL_ERROR", "message": text}}, "isError": True}
    return tool_result(tool, args, status, payload)


def tool_result(tool: Tool, args: dict[str, Any], status: int, payload: Any) -> dict[str, Any]:
    if isinstance(payload, dict) and payload.get("ok") is True:
        data = payload.get("data")
        return {"content": [{"type": "text", "text": tool.summary(data, args)}],
                "structuredContent": {"run": data} if tool.wraps_run else data, "isError": False}
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        code, message = payload["error"].get("code"), payload["error"].get("message")
    elif 200 <= status < 300:  # the hop's body was not JSON
        code, message = "INVALID_RESPONSE", "Mogplex returned an invalid JSON response"
    else:
        code, message = "HTTP_ERROR", f"Mogplex API request failed with HTTP {status}"
    suggestion = SUGGESTIONS.get(code, GENERIC_SUGGESTION)
    return {"content": [{"type": "text", "text": f"{message}. {suggestion}"}],
            "structuredContent": {"error": {"code": code, "status": status, "message": message,
                                            "suggestion": suggestion}},
            "isError": True}
