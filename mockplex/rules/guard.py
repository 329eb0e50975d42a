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


@web.middleware
async def crash_guard(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return api_error(error)
    except JsonError as error:
        return json_response(error.body, error.status, error.headers)
    except EmptyResponse as answer:
        return empty(answer.status, answer.headers)
    except web.HTTPRequestEntityTooLarge:
        response = web.Response(status=413, body=PAYLOAD_TOO_LARGE)
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
        return response
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return empty(500)
