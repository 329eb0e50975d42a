"""One readable line per request, and the per-request clock reading."""

from __future__ import annotations

import logging
import time

from aiohttp import web

from mockplex import state
from mockplex.clock import Clock
from mockplex.state import ROUTE

log = logging.getLogger("mockplex.access")


def request_context(clock: Clock):
    @web.middleware
    async def observe(request: web.Request, handler) -> web.StreamResponse:
        clock.on_request()
        request[state.NOW] = clock.now()
        started = time.perf_counter()
        response = await handler(request)
        if log.isEnabledFor(logging.INFO):
            elapsed_ms = (time.perf_counter() - started) * 1000
            route = request.get(ROUTE)
            log.info("%-6s %s -> %d %s %s %.1fms", request.method, request.rel_url.raw_path_qs,
                     response.status, request.get(state.SOURCE, "rules"),
                     route.name if route else "-", elapsed_ms)
        return response
    return observe
