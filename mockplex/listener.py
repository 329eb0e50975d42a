"""The listening socket, with Node's limits in front of aiohttp.

The real server runs on Node, which refuses a header block over 16 KiB with an empty
431 and gives a client that has not finished its headers within 60 s an empty 408.
aiohttp has neither rule: it answers an over-long line with a 400 that echoes the bytes,
and it waits forever for slow senders. `HeaderGuard` sits between the socket and
aiohttp's protocol and applies both rules to the first request of each connection
(where slowloris senders and oversize header blocks arrive) before aiohttp sees it.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from aiohttp import web

MAX_HEADER_BYTES = 16_384  # Node's --max-http-header-size
HEADER_TIMEOUT = 60.0  # Node's server.headersTimeout, in seconds
_END_OF_HEADERS = b"\r\n\r\n"
_REFUSALS = {
    431: b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    408: b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
}


class HeaderGuard(asyncio.Protocol):
    """Holds the first header block until it is complete, then hands everything to aiohttp."""

    def __init__(self, inner: asyncio.Protocol, timeout: float) -> None:
        self.inner = inner
        self.timeout = timeout
        self.pending: bytearray | None = bytearray()
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.inner.connection_made(transport)
        self.timer = asyncio.get_running_loop().call_later(self.timeout, self._refuse, 408)

    def data_received(self, data: bytes) -> None:
        if self.pending is None:
            self.inner.data_received(data)
            return
        searched = max(0, len(self.pending) - len(_END_OF_HEADERS) + 1)  # a byte-a-time sender costs O(n)
        self.pending += data
        end = self.pending.find(_END_OF_HEADERS, searched)
        if end > MAX_HEADER_BYTES or (end < 0 and len(self.pending) > MAX_HEADER_BYTES):
            self._refuse(431)
        elif end >= 0:
            held, self.pending = bytes(self.pending), None
            self._stop_timer()
            self.inner.data_received(held)

    def _refuse(self, status: int) -> None:
        self._stop_timer()
        self.pending = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_REFUSALS[status])
            self.transport.close()

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class GuardedSite(web.TCPSite):
    """A TCP site whose connections pass through HeaderGuard."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, header_timeout: float = HEADER_TIMEOUT) -> None:
        super().__init__(runner, host, port)
        self.header_timeout = header_timeout

    async def start(self) -> None:
        await web.BaseSite.start(self)
        factory: Callable[[], asyncio.Protocol] = self._runner.server  # type: ignore[assignment]
        self._server = await asyncio.get_running_loop().create_server(
            lambda: HeaderGuard(factory(), self.header_timeout), self._host, self._port, backlog=self._backlog)


def make_runner(app: web.Application, **options) -> web.AppRunner:
    # Node accepts 2,000 header lines; aiohttp's default is 128.
    return web.AppRunner(app, access_log=None, max_line_size=MAX_HEADER_BYTES, max_field_size=MAX_HEADER_BYTES,
                         max_headers=2000, **options)
