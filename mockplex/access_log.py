"""One readable line per request, and the per-request clock reading.

The line reads as the logging setup writes every other line (`HH:MM:SS message` on
stderr), but it is not a LogRecord: building and formatting one per request, and a write
per line, cost more than answering most requests. Lines are gathered and written a batch
at a time, at most BATCH_SECONDS after they happen, and on shutdown. `--quiet` (the
`mockplex.access` logger above INFO) turns them off.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import Awaitable, Callable, TextIO

from aiohttp import web

from mockplex.clock import Clock
from mockplex.state import FLOW, Flow, Handler, Step

log = logging.getLogger("mockplex.access")
BATCH_SECONDS = 0.05


class AccessLines:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._pending: list[str] = []
        self._second = -1
        self._stamp = ""

    def add(self, request: web.Request, flow: Flow, status: int, elapsed_ms: float) -> None:
        second = int(time.time())
        if second != self._second:  # the stamp changes once a second, not once a request
            self._second, self._stamp = second, time.strftime("%H:%M:%S", time.localtime(second))
        route = flow.route
        self._pending.append(f"{self._stamp} {request.method:<6} {request.rel_url.raw_path_qs} -> {status} "
                             f"{flow.source} {route.name if route else '-'} {elapsed_ms:.1f}ms\n")
        if len(self._pending) == 1:
            asyncio.get_running_loop().call_later(BATCH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._pending:
            stream = self._stream or sys.stderr  # read late: a test or the CLI may have swapped stderr
            stream.write("".join(self._pending))
            stream.flush()
            self._pending.clear()

    async def close(self, _app: web.Application) -> None:
        self.flush()


def watched(step: Step, clock: Clock,
            keep: Callable[[web.Request, Flow, web.StreamResponse, float], Awaitable[None] | None],
            lines: AccessLines):
    """The app's one middleware: `step` (the rest of the chain) watched. It starts the
    request's Flow with the clock's reading, times it, hands the exchange to `keep` (the
    journal: what it returns, if anything, is awaited) and writes its log line. As a
    middleware it also sees what aiohttp's router cannot match (`OPTIONS *`, a path with
    a newline), which the chain answers as the server would."""
    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        flow = request[FLOW] = Flow(clock.reading_for_request())
        started = time.perf_counter()
        response = await step(request, handler)
        elapsed_ms = (time.perf_counter() - started) * 1000
        keeping = keep(request, flow, response, elapsed_ms)
        if keeping is not None:
            await keeping
        if log.isEnabledFor(logging.INFO):
            lines.add(request, flow, response.status, elapsed_ms)
        return response
    return observe
