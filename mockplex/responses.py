"""Response builders for every shape the real server answers with."""

from __future__ import annotations

from typing import Any, Mapping

from aiohttp import web

from mockplex import jsonio
from mockplex.names import MCP_PATH, V1_PREFIX

JSON_CONTENT_TYPE = "application/json"

# Next.js's built-in not-found page, reduced to its visible text.
NOT_FOUND_HTML = (
    b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"/>"
    b"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
    b"<title>404: This page could not be found.</title></head>"
    b"<body><div style=\"font-family:system-ui,sans-serif;height:100vh;text-align:center;"
    b"display:flex;flex-direction:column;align-items:center;justify-content:center\">"
    b"<div><h1 style=\"display:inline-block;margin:0 20px 0 0;padding:0 23px 0 0;"
    b"font-size:24px;font-weight:500;vertical-align:top;line-height:49px\">404</h1>"
    b"<div style=\"display:inline-block\"><h2 style=\"font-size:14px;font-weight:400;"
    b"line-height:49px;margin:0\">This page could not be found.</h2></div></div></div>"
    b"</body></html>"
)


def request_origin(request: web.Request) -> str:
    """The origin the caller addressed: the mock's stand-in for the configured app URL."""
    return f"{request.scheme}://{request.host}"


def origin_redirect(request: web.Request, path: str) -> web.Response:
    """A 307 to `path` on the request's own origin."""
    return web.Response(status=307, headers={"Location": request_origin(request) + path})


# Every code the v1 envelope carries (spec §1.1); the published contract's enum.
ERROR_CODES = ("BAD_REQUEST", "CONFLICT", "FORBIDDEN", "IDEMPOTENCY_CONFLICT", "INTERNAL_ERROR", "NOT_FOUND",
               "RATE_LIMITED", "SERVICE_UNAVAILABLE", "UNAUTHORIZED")


class ApiError(Exception):
    """A v1 error envelope: raised anywhere in the chain, rendered once."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class JsonError(Exception):
    """An internal-surface error: a flat JSON body in whatever shape the route uses."""

    def __init__(self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def flat_error(status: int, message: str) -> JsonError:
    """Shape A, the internal default: {"error": "<message>"}."""
    return JsonError(status, {"error": message})


class EmptyResponse(Exception):
    """The framework's bodiless answers (a crashed handler's 500, a 405)."""

    def __init__(self, status: int, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.headers = dict(headers or {})


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    response = web.Response(body=jsonio.dumps(payload), status=status, headers=headers)
    response.headers["Content-Type"] = JSON_CONTENT_TYPE
    return response


def ok(data: Any, status: int = 200) -> web.Response:
    return json_response({"ok": True, "data": data}, status)


def api_error(error: ApiError) -> web.Response:
    body = {"ok": False, "error": {"code": error.code, "message": error.message}}
    return json_response(body, error.status, error.headers)


def family_error(path: str, status: int, code: str, message: str, headers: Mapping[str, str] | None = None,
                 rpc_id: Any = None) -> web.Response:
    """An answer mockplex itself makes (a fault, a replay miss, an unreachable upstream) in
    the shape of the path's family: JSON-RPC on the MCP endpoint, the envelope under v1,
    the web app's flat {"error"} elsewhere."""
    if path == MCP_PATH:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": rpc_id,
                                "error": {"code": -32603, "message": message, "data": {"code": code}}}
    elif path == V1_PREFIX or path.startswith(V1_PREFIX + "/"):
        body = {"ok": False, "error": {"code": code, "message": message}}
    else:
        body = {"error": message}
    return json_response(body, status, headers)


def empty(status: int, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(status=status, headers=headers)


def not_found_page() -> web.Response:
    response = web.Response(body=NOT_FOUND_HTML, status=404)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def internal(message: str) -> ApiError:
    return ApiError(500, "INTERNAL_ERROR", message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BAD_REQUEST", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", message)
