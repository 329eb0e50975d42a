"""The listening socket, with Node's limits in front of aiohttp.

The real server runs on Node, which refuses a header block over 16 KiB with an empty
431, gives a request whose headers are not complete 60 s after its first byte an empty
408 (headersTimeout), and does the same to a request not complete after 300 s
(requestTimeout). aiohttp has none of these rules: it answers an over-long line with a
400 that echoes the bytes, accepts 2,000 header lines of 16 KiB each, and waits forever
for slow senders. `HeaderGuard` sits between the socket and aiohttp's protocol and follows
the HTTP/1.1 framing of every request on a connection (keep-alive and pipelined ones too)
to apply the rules to each, before aiohttp sees the bytes.
"""

from __future__ import annotations

import asyncio
import re
from typing import Callable

from aiohttp import web

from mockplex.connection import InlineAppRunner, InlineRequestHandler

MAX_HEADER_BYTES = 16_384  # Node's --max-http-header-size
HEADER_TIMEOUT = 60.0  # Node's server.headersTimeout, in seconds
REQUEST_TIMEOUT = 300.0  # Node's server.requestTimeout, in seconds
_END_OF_HEADERS = b"\r\n\r\n"
_END_OF_LINE = b"\r\n"
_REFUSALS = {
    431: b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    413: b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    408: b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
}
_FRAMING_FIELD = re.compile(rb"\r\n(content-length|transfer-encoding)[ \t]*:([^\r\n]*)", re.IGNORECASE)
_BLANK_LINES = re.compile(rb"[\r\n]*")
_HEX = re.compile(rb"[0-9a-fA-F]+")
CHUNKED = -1


def body_framing(head: bytes) -> int | None:
    """How the body after this header block ends: its length, CHUNKED, or None when the
    framing is one aiohttp refuses (it then answers 400 and closes the connection)."""
    lengths, codings = [], []
    for name, value in _FRAMING_FIELD.findall(head):
        (lengths if name.lower() == b"content-length" else codings).append(value.strip())
    if codings:
        last = b",".join(codings).rsplit(b",", 1)[-1].strip().lower()
        return CHUNKED if last == b"chunked" and not lengths else None
    if not lengths:
        return 0
    return int(lengths[0]) if len(lengths) == 1 and lengths[0].isdigit() else None


class HeaderGuard(asyncio.Protocol):
    """Follows each request's framing as bytes pass to aiohttp and refuses the request
    that breaks a limit. `reader` is the parser for whatever part of a request comes next;
    each takes (data, position) and returns the position after what it consumed, or -1
    once the connection is refused."""

    def __init__(self, inner: asyncio.Protocol, header_timeout: float,
                 request_timeout: float = REQUEST_TIMEOUT) -> None:
        self.inner = inner
        self.header_timeout = header_timeout
        self.request_timeout = request_timeout
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.started: float | None = None  # when the request being received began; None between requests
        self.held = bytearray()  # an incomplete header block or chunk line, at most MAX_HEADER_BYTES
        self.remaining = 0  # body bytes (or chunk bytes and their CRLF) still to come
        self.after_body: Callable[[], None] = self._finish_request
        self.reader = self._read_head

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.inner.connection_made(transport)
        self.started = asyncio.get_running_loop().time()  # the first request's clock runs from the connect
        self._arm_timer()

    def data_received(self, data: bytes) -> None:
        position, size = 0, len(data)
        while 0 <= position < size:
            position = self.reader(data, position)
        if position < 0:
            return
        self.inner.data_received(data)
        if self.started is None and (self.held or self.reader != self._read_head):
            self.started = asyncio.get_running_loop().time()
        if self.started is not None:
            self._arm_timer()

    # -- framing ------------------------------------------------------------------------------

    def _read_head(self, data: bytes, position: int) -> int:
        if not self.held and data[position] in _END_OF_LINE:  # blank lines between requests
            position = _BLANK_LINES.match(data, position).end()
            if position == len(data):
                return position
        position, head = self._take_unit(data, position, _END_OF_HEADERS, 431)
        if head is not None:
            framing = body_framing(head)
            if framing == 0:  # most requests: the next byte starts the next one
                self.started = None
            elif framing is None:
                self.reader = self._read_unframed
            elif framing == CHUNKED:
                self.reader = self._read_chunk_size
            else:
                self._expect(framing, self._finish_request)
        return position

    def _read_chunk_size(self, data: bytes, position: int) -> int:
        position, line = self._take_unit(data, position, _END_OF_LINE, 413)  # Node: chunk extensions too large
        if line is None:
            return position
        digits = _HEX.match(line.split(b";", 1)[0].strip())
        if digits is None:
            self.reader = self._read_unframed
        elif int(digits.group(), 16):
            self._expect(int(digits.group(), 16) + len(_END_OF_LINE), self._expect_chunk_size)
        else:
            self.held = bytearray(_END_OF_LINE)  # so an empty trailer section ends at the next CRLF
            self.reader = self._read_trailers
        return position

    def _read_trailers(self, data: bytes, position: int) -> int:
        position, trailers = self._take_unit(data, position, _END_OF_HEADERS, 431)
        if trailers is not None:
            self._finish_request()
        return position

    def _read_body(self, data: bytes, position: int) -> int:
        taken = min(self.remaining, len(data) - position)
        self.remaining -= taken
        if not self.remaining:
            self.after_body()
        return position + taken

    def _read_unframed(self, data: bytes, position: int) -> int:
        """Framing aiohttp refuses: it closes the connection; until then the request timeout holds."""
        return len(data)

    def _expect(self, length: int, after: Callable[[], None]) -> None:
        if not length:
            after()
            return
        self.remaining, self.after_body = length, after
        self.reader = self._read_body

    def _expect_chunk_size(self) -> None:
        self.reader = self._read_chunk_size

    def _finish_request(self) -> None:
        self.started = None
        self.reader = self._read_head

    def _take_unit(self, data: bytes, position: int, terminator: bytes, refusal: int) -> tuple[int, bytes | None]:
        """The bytes before `terminator`, which may arrive over several calls: (the position
        after it, the unit), or (the end of data, None) while it is incomplete. Only new bytes
        are searched, and at most MAX_HEADER_BYTES are held; a longer unit is refused."""
        room = MAX_HEADER_BYTES + len(terminator) - len(self.held)
        if not self.held:
            end = data.find(terminator, position, position + room)
            if end >= 0:
                return end + len(terminator), data[position:end]
            self.held += data[position:position + room]
        else:
            held_before = len(self.held)
            self.held += data[position:position + room]
            end = self.held.find(terminator, max(0, held_before - len(terminator) + 1))
            if end >= 0:
                unit, self.held = bytes(self.held[:end]), bytearray()
                return position + end + len(terminator) - held_before, unit
        if len(self.held) >= MAX_HEADER_BYTES + len(terminator):
            self._refuse(refusal)
            return -1, None
        return len(data), None

    # -- timeouts and refusals -------------------------------------------------------------

    def _deadline(self) -> float:
        assert self.started is not None
        in_head = self.reader == self._read_head
        return self.started + (self.header_timeout if in_head else self.request_timeout)

    def _arm_timer(self) -> None:
        """One timer per connection, set only while a request is incomplete; a timer that
        fires after its request finished, or after the deadline moved, sets the next one."""
        if self.started is not None and self.timer is None:
            deadline = self._deadline()
            self.timer = asyncio.get_running_loop().call_at(deadline, self._on_timer, deadline)

    def _on_timer(self, deadline: float) -> None:
        self.timer = None
        if self.started is not None and self._deadline() <= deadline:
            self._refuse(408)
        else:
            self._arm_timer()

    def _refuse(self, status: int) -> None:
        self._stop_timer()
        self.started = None
        self.reader = self._read_unframed
        if self.transport is not None and not self.transport.is_closing():
            if isinstance(self.inner, InlineRequestHandler):  # an answer it made this turn goes first
                self.inner.send_unsent()
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

    def __init__(self, runner: web.BaseRunner, host: str, port: int, header_timeout: float = HEADER_TIMEOUT,
                 request_timeout: float = REQUEST_TIMEOUT) -> None:
        super().__init__(runner, host, port)
        self.header_timeout = header_timeout
        self.request_timeout = request_timeout

    async def start(self) -> None:
        await web.BaseSite.start(self)
        factory: Callable[[], asyncio.Protocol] = self._runner.server  # type: ignore[assignment]
        self._server = await asyncio.get_running_loop().create_server(
            lambda: HeaderGuard(factory(), self.header_timeout, self.request_timeout), self._host, self._port,
            backlog=self._backlog)


def make_runner(app: web.Application, **options) -> web.AppRunner:
    # Node accepts 2,000 header lines; aiohttp's default is 128. Node (and so Next.js's
    # request.json()) never decodes a request's Content-Encoding: the raw bytes are parsed.
    return InlineAppRunner(app, access_log=None, max_line_size=MAX_HEADER_BYTES, max_field_size=MAX_HEADER_BYTES,
                         max_headers=2000, auto_decompress=False, **options)
