"""Turns whatever the chain raised into the answer the real server would give.

ApiError → the v1 envelope; EmptyResponse → a bodiless status; anything unexpected →
the framework's empty 500 (the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import logging

from aiohttp import web

from mockplex.responses import ApiError, EmptyResponse, JsonError, api_error, empty, json_response

log = logging.getLogger("mockplex.server")
PAYLOAD_TOO_LARGE = b"Request Entity Too Large\n\nFUNCTION_PAYLOAD_TOO_LARGE\n"


def answer_for(request: web.Request, raised: Exception) -> web.StreamResponse:
    """What the chain raised, as the real server's answer; an aiohttp HTTP exception other
    than an oversized body goes on up to aiohttp."""
    if isinstance(raised, ApiError):
        return api_error(raised)
    if isinstance(raised, JsonError):
        return json_response(raised.body, raised.status, raised.headers)
    if isinstance(raised, EmptyResponse):
        return empty(raised.status, raised.headers)
    if isinstance(raised, web.HTTPRequestEntityTooLarge):
        response = web.Response(status=413, body=PAYLOAD_TOO_LARGE)
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
        return response
    if isinstance(raised, web.HTTPException):
        raise raised
    log.error("unexpected error answering %s %s", request.method, request.path, exc_info=raised)
    return empty(500)
