"""aiohttp's connection protocol, with the common request answered where it arrives.

aiohttp queues each parsed request for the connection's task, which wakes, makes a task
for the handler, and writes the answer through a stream writer in several steps; under
load that bookkeeping costs more than mockplex's own work. `InlineRequestHandler` keeps
aiohttp's protocol, parser, handler and error answers, and changes two things:

- a complete request on an idle connection is handled at once, in `data_received`: the
  handler runs until it first has to wait, and only then goes on in a task (the
  connection takes no other request before it ends, so answers keep their order). A busy
  connection, a request whose body is still coming, a parse error or an upgrade go to
  aiohttp's queue as before;
- a plain answer (`web.Response` with its whole body in bytes, no cookies, compression or
  chunking) is written in one piece, with the headers aiohttp would add and the app's
  stamp (STAMPER), in aiohttp's order, its head serialized by aiohttp's serializer once
  per shape and kept. Anything else is written by aiohttp.

A plain answer on a connection that stays open is not sent the moment it is made but at
the start of the loop's next turn, with every other answer made in this one
(`TurnEndWrites`). Each send wakes the client if it sleeps; a client on another core that
reads one answer and sleeps again before the next is woken once per answer, and on a
virtual machine a wake-up across cores costs as much as answering. Sent together, one
wake-up covers the turn's answers. What waits is sent first, so a connection's bytes keep
their order, before the connection handles its next request, when the client ends its
side (eof_received), and before the listener refuses the connection
(`send_unsent`: listener.HeaderGuard).

Code that needs a task (timeouts, aiohttp's client) awaits `in_task()` first.

Both lean on aiohttp 3.14's protocol internals; on a release without them the stock
protocol runs instead (`INLINE`), slower and the same on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import types
from typing import Any, Awaitable, Callable, Coroutine, Mapping

import aiohttp
from aiohttp import hdrs, web
from aiohttp.helpers import EMPTY_BODY_METHODS, EMPTY_BODY_STATUS_CODES, reify, rfc822_formatted_time
from aiohttp.http import SERVER_SOFTWARE, HttpVersion, HttpVersion10, HttpVersion11
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.http_writer import StreamWriter, _serialize_headers
from aiohttp.streams import EMPTY_PAYLOAD
from aiohttp.web_protocol import _PAYLOAD_ACCESS_ERROR, RequestHandler, _ErrInfo
from aiohttp.web_urldispatcher import DynamicResource, UrlMappingMatchInfo

# The protocol internals used here (a parser that counts queued requests, the queue's
# read pause) are those of aiohttp 3.14.4 and the 3.14 releases after it.
INLINE = aiohttp.__version__.startswith("3.14.") and hasattr(RequestHandler, "_pause_reading_for_buffer")


async def in_task() -> None:
    """Awaited first by code that needs to run in a task (aiohttp's client, timeouts): a
    request answered inline runs outside one until it first waits, and this is that wait."""
    if asyncio.current_task() is None:
        await asyncio.sleep(0)


@types.coroutine
def _resumed(coroutine: Coroutine[Any, Any, Any], waiting_on: Any):
    """Drives a coroutine that was started outside a task from where it first waited."""
    while True:
        try:
            sent = yield waiting_on
        except BaseException as raised:  # noqa: B036 - a cancellation is the coroutine's to handle
            try:
                waiting_on = coroutine.throw(raised)
            except StopIteration as finished:
                return finished.value
        else:
            try:
                waiting_on = coroutine.send(sent)
            except StopIteration as finished:
                return finished.value


class HeaderStamp:
    """Headers an answer takes as it is written, as `headers.update(...)` would set them: an
    app's STAMPER picks one for each request. Made once and shared, its identity stands
    for its contents where answers' heads are kept, so constant headers cost nothing per
    answer."""

    __slots__ = ("pairs",)

    def __init__(self, headers: Mapping[str, str]) -> None:
        self.pairs = tuple(headers.items())


Stamper = Callable[[web.BaseRequest], "HeaderStamp | None"]
STAMPER = web.AppKey("stamper", Stamper)  # the headers an app's answer to a request takes, if any


async def stamp_on_prepare(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """The app's on_response_prepare callback, for the answers aiohttp writes (streams among
    them); the inline writer sets the same headers in one step with the rest of the head."""
    stamper = request.app.get(STAMPER)
    stamp = stamper(request) if stamper is not None else None
    if stamp is not None:
        response.headers.update(stamp.pairs)


# Serialized status lines and header blocks, by what goes into them: most answers repeat
# the headers of another answer (the same Date for a whole second), and checking each
# header for control characters as aiohttp serializes it costs more than building the
# answer. Only short heads are kept, so the memo holds at most MAX_HEADS * MAX_KEPT_HEAD.
_HEADS: dict[tuple[Any, ...], bytes] = {}
MAX_HEADS = 512
MAX_KEPT_HEAD = 4096


def plain_answer(request: web.BaseRequest, response: web.StreamResponse,
                 stamper: Stamper | None = None) -> bytes | None:
    """The whole answer as aiohttp writes it (with the stamper's headers, as its prepare
    callback would set them), or None when aiohttp must write it. (It reads the response's
    own fields, as its properties would, once each.)"""
    body = getattr(response, "_body", None)
    status = response._status
    method = request.method
    if (type(response) is not web.Response or body.__class__ is not bytes or response._eof_sent
            or response._payload_writer is not None or response._cookies or response._compression
            or response._chunked or status in EMPTY_BODY_STATUS_CODES or method in EMPTY_BODY_METHODS
            or (method == hdrs.METH_CONNECT and 200 <= status < 300)):
        return None
    version = request.version
    if version != HttpVersion11 and version != HttpVersion10:
        return None
    keep_alive = response._keep_alive
    if keep_alive is None:
        keep_alive = response._keep_alive = request.keep_alive
    stamp = stamper(request) if stamper is not None else None
    date = rfc822_formatted_time()
    shape = (status, response._reason, version, keep_alive, len(body), date, stamp, *response._headers.items())
    head = _HEADS.get(shape)
    if head is None:
        head = _serialized_head(response, version, keep_alive, body, date, stamp)
        if len(head) <= MAX_KEPT_HEAD:
            if len(_HEADS) >= MAX_HEADS:
                _HEADS.clear()
            _HEADS[shape] = head
    return head + body


def _serialized_head(response: web.Response, version: HttpVersion, keep_alive: bool, body: bytes,
                     date: str, stamp: HeaderStamp | None) -> bytes:
    """The status line and headers, with those aiohttp adds, and then the stamped ones, as
    aiohttp's prepare callbacks would set them."""
    headers = response._headers
    length = headers.get(hdrs.CONTENT_LENGTH)
    if length is None:
        headers[hdrs.CONTENT_LENGTH] = str(len(body))
        sized = bool(body)
    else:
        sized = bool(int(length))
    if sized:
        headers.setdefault(hdrs.CONTENT_TYPE, "application/octet-stream")
    if hdrs.DATE not in headers:
        headers[hdrs.DATE] = date
    headers.setdefault(hdrs.SERVER, SERVER_SOFTWARE)
    if hdrs.CONNECTION not in headers:
        if keep_alive and version == HttpVersion10:
            headers[hdrs.CONNECTION] = "keep-alive"
        elif not keep_alive and version == HttpVersion11:
            headers[hdrs.CONNECTION] = "close"
    if stamp is not None:
        headers.update(stamp.pairs)
    return _serialize_headers(f"HTTP/{version[0]}.{version[1]} {response._status} {response._reason}", headers)


def _prepares_answers(app: web.Application) -> bool:
    """Whether the app or a sub-app has on_response_prepare callbacks other than the
    stamp's, which the inline writer applies itself (aiohttp runs them as it writes an
    answer; frozen once the app starts)."""
    return (any(callback is not stamp_on_prepare for callback in app.on_response_prepare)
            or any(_prepares_answers(sub) for sub in app._subapps))


class InlineRequestHandler(RequestHandler):
    __slots__ = ("_inline_task", "_writes_plain", "_stamper", "_unsent")

    def __init__(self, *args: Any, writes_plain: bool = True, stamper: Stamper | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inline_task: asyncio.Task | None = None
        self._writes_plain = writes_plain  # False when the app's callbacks must see each answer prepared
        self._stamper = stamper
        self._unsent: bytes | None = None  # plain answers waiting for the turn's end (TurnEndWrites)

    def send_unsent(self) -> None:
        wire, self._unsent = self._unsent, None
        transport = self.transport
        if wire is not None and transport is not None and not transport.is_closing():
            transport.write(wire)

    def _handle_request(self, *args: Any) -> Coroutine[Any, Any, tuple[web.StreamResponse, bool]]:
        if self._unsent is not None:  # what the next request's answer writes goes after it
            self.send_unsent()
        return super()._handle_request(*args)

    def eof_received(self) -> bool | None:
        if self._unsent is not None:  # the transport closes once this returns
            self.send_unsent()
        return super().eof_received()

    def data_received(self, data: bytes) -> None:
        if (self._inline_task is not None or self._messages or self._request_in_progress or self._waiter is None
                or self._payload_parser is not None or self._upgraded or self._force_close or self._close):
            super().data_received(data)
            return
        held_back = self._take_requests(data)
        # The parser holds back what follows a full batch of requests: parse it now if all
        # were answered, or, as aiohttp does, pause reading until the queue drains.
        while held_back and self._inline_task is None and not self._messages and not self._force_close:
            held_back = self._take_requests(b"")
        if held_back and not self._buffer_paused and not self._force_close:
            self._pause_reading_for_buffer()
        self._wake()

    def _take_requests(self, data: bytes) -> bool:
        """Parses and answers (or queues) the requests in `data`; whether the batch was full."""
        try:
            messages, upgraded, tail = self._parser.feed_data(data)
        except HttpProcessingError as refused:
            messages, upgraded, tail = [(_ErrInfo(status=400, exc=refused, message=refused.message),
                                         EMPTY_PAYLOAD)], False, b""
        self._upgraded = upgraded
        if upgraded and tail:
            self._message_tail = tail
        for message, payload in messages:
            self._request_count += 1
            if self._can_answer_inline(message, payload):
                self._answer_inline(message, payload)
            else:
                self._messages.append((message, payload))
        return 0 < self._max_msg_queue_size <= len(messages)

    async def shutdown(self, timeout: float | None = 15.0) -> None:
        """As aiohttp's: a request still being answered gets `timeout` to finish, then is
        cancelled with the connection."""
        await super().shutdown(timeout)
        task = self._inline_task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def connection_lost(self, exc: BaseException | None) -> None:
        cancel_handler = self._manager is not None and self._manager.handler_cancellation
        super().connection_lost(exc)
        if cancel_handler and self._inline_task is not None:
            self._inline_task.cancel()

    def _can_answer_inline(self, message: Any, payload: Any) -> bool:
        return (self._inline_task is None and not self._messages and not self._upgraded and not self._force_close
                and not self._close and payload.is_eof() and not isinstance(message, _ErrInfo))

    def _wake(self) -> None:
        waiter = self._waiter
        if self._messages and self._inline_task is None and waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _answer_inline(self, message: Any, payload: Any) -> None:
        self._parser.message_consumed()
        self._manager.requests_count += 1
        request = self._request_factory(message, payload, self, StreamWriter(self, self._loop), self._task_handler)
        started = self._loop.time() if self._logging_enabled else None
        handling = self._handle_request(request, started, self._request_handler)
        context = contextvars.copy_context()  # as aiohttp's task per request gives each its own
        try:
            waiting_on = context.run(handling.send, None)
        except StopIteration as finished:
            self._after(request, payload, *finished.value)
            return
        except (Exception, asyncio.CancelledError) as raised:
            self._ended_early(raised)
            return
        # The connection's task waits for the next request on `_waiter`: hidden until this
        # one is answered, so a pipelined request cannot overtake it.
        waiter, self._waiter = self._waiter, None
        self._inline_task = self._loop.create_task(self._finish_inline(request, payload, handling, waiting_on, waiter),
                                                   context=context)

    async def _finish_inline(self, request: web.BaseRequest, payload: Any, handling: Coroutine[Any, Any, Any],
                             waiting_on: Any, waiter: asyncio.Future | None) -> None:
        try:
            response, reset = await _resumed(handling, waiting_on)
        except (Exception, asyncio.CancelledError) as raised:
            self._ended_early(raised)
            return
        finally:
            self._inline_task = None
            if self._force_close:  # the connection's task, still waiting, ends with it
                if waiter is not None:
                    waiter.cancel()
            else:
                self._waiter = waiter
        self._after(request, payload, response, reset)
        if not self._messages and not self._force_close:  # what the parser held back meanwhile
            if self._buffer_paused:
                self._resume_reading_if_drained()
            else:
                self.data_received(b"")
        self._wake()

    def _ended_early(self, raised: BaseException) -> None:
        """As the connection's task does when handling a request raises: a client that left
        is no news; anything else is logged. The connection closes either way."""
        if not isinstance(raised, (ConnectionError, asyncio.CancelledError)):
            self.log_exception("Unhandled exception", exc_info=raised)
        self.force_close()

    def _after(self, request: web.BaseRequest, payload: Any, response: web.StreamResponse, reset: bool) -> None:
        """What the connection's task does once a request is answered."""
        request._task = None
        payload.set_exception(_PAYLOAD_ACCESS_ERROR)
        if reset or not response.keep_alive or self._close or self._force_close:
            self.force_close()
            return
        self._keepalive = True
        close_time = self._loop.time() + self._keepalive_timeout
        self._next_keepalive_close_time = close_time
        if self._keepalive_handle is None:
            self._keepalive_handle = self._loop.call_at(close_time, self._process_keepalive)

    async def finish_response(self, request: web.BaseRequest, response: web.StreamResponse,
                              start_time: float | None) -> tuple[web.StreamResponse, bool]:
        if self._upgraded or not self._writes_plain:  # aiohttp feeds what followed a declined upgrade here
            return await super().finish_response(request, response, start_time)
        wire = plain_answer(request, response, self._stamper)
        if wire is None:
            return await super().finish_response(request, response, start_time)
        request._finish()
        transport = self.transport
        if transport is None or transport.is_closing():
            return response, True
        if response._keep_alive and not self._close and not self._force_close:
            self._unsent = wire  # None until now: this request's _handle_request sent what waited
            self._manager.turn_end_writes.add(self)
        else:
            transport.write(wire)
        response._eof_sent = True
        response._body_length = len(wire)
        if self._logging_enabled:
            self.log_access(request, response, start_time)
        return response, False


class Request(web.Request):
    """web.Request for an app with one catch-all route (single_route_handler), whose layers
    ask for `app` several times a request: it is read from the match once and kept (an
    app with one route has no sub-app for it to change to)."""

    app = reify(web.Request.app.fget)


MAX_MATCHES = 1024  # paths whose frozen match a single-route app keeps (see single_route_handler)
MAX_MATCHED_PATH = 512


def single_route_handler(app: web.Application) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The app's request handler. For an app whose one route takes every method (mockplex's
    catch-all), the route's middleware chain is composed once and each request is matched
    against that route alone, instead of going through the router (a path's frozen match
    is kept and shared by its requests); any other app, or a path the route does not
    match, takes aiohttp's own way."""
    routes = list(app.router.routes())
    if len(routes) != 1 or routes[0].method != hdrs.METH_ANY or not isinstance(routes[0].resource, DynamicResource):
        return app._handle
    route = routes[0]
    match_path = route.resource._match
    # aiohttp's chain ends in a layer that points the match at the app answering, for an
    # app with sub-apps; this one has none, so the match points at it from the start.
    chain = route.handler
    for middleware in reversed(app.middlewares):
        chain = functools.partial(middleware, handler=chain)

    # A path matches the same way every time: its frozen match is kept (for paths up to
    # MAX_MATCHED_PATH long) and shared by its requests, so nothing may write to it.
    matches: dict[str, UrlMappingMatchInfo | None] = {}

    def match_of(path: str) -> UrlMappingMatchInfo | None:
        matched = match_path(path)
        if matched is None:
            return None
        match_info = UrlMappingMatchInfo(matched, route)
        match_info.add_app(app)
        match_info.freeze()
        return match_info

    async def handle(request: web.Request) -> web.StreamResponse:
        path = request.rel_url.path_safe
        if path in matches:
            match_info = matches[path]
        else:
            match_info = match_of(path)
            if len(path) <= MAX_MATCHED_PATH:
                if len(matches) >= MAX_MATCHES:
                    matches.clear()
                matches[path] = match_info
        if match_info is None or request.headers.get(hdrs.EXPECT):
            return await app._handle(request)
        request._match_info = match_info
        return await chain(request)
    return handle


class TurnEndWrites:
    """The connections with plain answers waiting, sent in one go at the start of the turn
    after the one in which the first of them was made (see the module's docstring)."""

    __slots__ = ("_loop", "_waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: list[InlineRequestHandler] = []

    def add(self, connection: InlineRequestHandler) -> None:
        if not self._waiting:
            self._loop.call_soon(self._send_all)
        self._waiting.append(connection)

    def _send_all(self) -> None:
        waiting, self._waiting = self._waiting, []
        for connection in waiting:
            try:
                connection.send_unsent()
            except Exception as failed:  # one connection's failure must not strand the others' answers
                connection.log_exception("Error sending an answer", exc_info=failed)
                connection.force_close()


class InlineServer(web.Server):
    def __init__(self, *args: Any, writes_plain: bool = True, stamper: Stamper | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writes_plain = writes_plain
        self.stamper = stamper
        self.turn_end_writes = TurnEndWrites(self._loop)

    def __call__(self) -> RequestHandler:
        return InlineRequestHandler(self, loop=self._loop, writes_plain=self.writes_plain, stamper=self.stamper,
                                    **self._kwargs)


class InlineAppRunner(web.AppRunner):
    """An AppRunner whose connections use InlineRequestHandler."""

    async def _make_server(self) -> web.Server:
        if not INLINE:
            return await super()._make_server()
        app = self.app
        app._set_loop(asyncio.get_running_loop())
        app.on_startup.freeze()
        await app.startup()
        app.freeze()
        handler = single_route_handler(app)
        request_class = web.Request if handler == app._handle else Request
        return InlineServer(handler, request_factory=functools.partial(app._make_request, _cls=request_class),
                            writes_plain=not _prepares_answers(app), stamper=app.get(STAMPER), **self._kwargs)
