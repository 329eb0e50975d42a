"""One readable line per request, and the per-request clock reading."""

from __future__ import annotations

import logging
import time
from typing import Awaitable, Callable

from aiohttp import web

from mockplex import state
from mockplex.clock import Clock
from mockplex.state import ROUTE

log = logging.getLogger("mockplex.access")


def request_context(clock: Clock, keep: Callable[[web.Request, web.StreamResponse, float], Awaitable[None]]):
    """Reads the clock for the request, times it, hands the exchange to `keep` (the
    journal) and writes its log line: one layer for everything that watches a request."""
    @web.middleware
    async def observe(request: web.Request, handler) -> web.StreamResponse:
        clock.on_request()
        request[state.NOW] = clock.now()
        started = time.perf_counter()
        response = await handler(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        await keep(request, response, elapsed_ms)
        if log.isEnabledFor(logging.INFO):
            route = request.get(ROUTE)
            log.info("%-6s %s -> %d %s %s %.1fms", request.method, request.rel_url.raw_path_qs,
                     response.status, request.get(state.SOURCE, "rules"),
                     route.name if route else "-", elapsed_ms)
        return response
    return observe
