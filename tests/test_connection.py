"""The connection protocol (mockplex.connection): requests answered where they arrive, on
the wire exactly as aiohttp's own protocol answers them, in order, on a raw socket."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from contextlib import asynccontextmanager
from typing import Callable

import aiohttp
import pytest
from aiohttp import web

from mockplex import connection
from mockplex.connection import (STAMPER, INLINE, HeaderStamp, InlineAppRunner, in_task, single_route_handler,
                                 stamp_on_prepare)
from mockplex.listener import GuardedSite, make_runner

from conftest import OAUTH, V1


async def plain(request: web.Request) -> web.Response:
    return web.json_response({"path": request.path, "query": request.query_string})


async def waits(request: web.Request) -> web.Response:
    await asyncio.sleep(0.05)
    return web.Response(text=f"waited for {request.path}")


async def echo(request: web.Request) -> web.Response:
    return web.Response(body=await request.read(), content_type="application/octet-stream")


async def timed(request: web.Request) -> web.Response:
    await in_task()
    async with asyncio.timeout(5):
        await asyncio.sleep(0)
    return web.Response(text="in a task")


async def streamed(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(b"data: 1\n\n")
    await response.write_eof()
    return response


async def cookie(request: web.Request) -> web.Response:
    response = web.Response(text="set")
    response.set_cookie("session", "abc", httponly=True)
    return response


async def empty(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def with_status(request: web.Request) -> web.Response:
    return web.Response(status=int(request.query["s"]), text="a body that may not be sent")


async def bare_bytes(request: web.Request) -> web.Response:
    return web.Response(body=b"no type given")


async def closing(request: web.Request) -> web.Response:
    response = web.Response(text="bye")
    response.force_close()
    return response


async def broken(request: web.Request) -> web.Response:
    raise RuntimeError("handler bug")


async def big_header(request: web.Request) -> web.Response:
    return web.Response(text="big", headers={"X-Big": "y" * 8000})


async def sent_already(request: web.Request) -> web.Response:
    response = web.Response(text="sent by the handler")
    await response.prepare(request)
    await response.write_eof()
    return response


def sample_app() -> web.Application:
    app = web.Application()
    for path, handler in (("/plain", plain), ("/waits", waits), ("/timed", timed), ("/stream", streamed),
                          ("/cookie", cookie), ("/empty", empty), ("/bytes", bare_bytes), ("/closing", closing),
                          ("/broken", broken), ("/sent", sent_already), ("/status", with_status),
                          ("/big", big_header)):
        app.router.add_route("*", path, handler)
    app.router.add_post("/echo", echo)
    return app


async def catch_all(request: web.Request) -> web.Response:
    if request.match_info["tail"] == "waits":
        await asyncio.sleep(0.02)
    body = await request.read()
    return web.json_response({"method": request.method, "tail": request.match_info["tail"], "body": body.decode()})


def catch_all_app() -> web.Application:
    """mockplex's shape: one route for every method and path, behind a middleware."""
    @web.middleware
    async def stamped(request: web.Request, handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers["X-Stamped"] = request.app["stamp"]
        return response

    app = web.Application(middlewares=[stamped])
    app["stamp"] = "yes"
    app.router.add_route("*", "/{tail:.*}", catch_all)
    return app


@asynccontextmanager
async def serving(runner_class: type[web.AppRunner] = InlineAppRunner, app_factory=sample_app, **options):
    runner = runner_class(app_factory(), **{"access_log": None, **options})
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def exchange(port: int, *chunks: bytes, pause: float = 0.0) -> bytes:
    """Sends the chunks (pausing between them) and reads until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()
        await asyncio.sleep(pause)
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


def undated(wire: bytes) -> bytes:
    return re.sub(rb"Date: [^\r]+\r\n", b"Date: <now>\r\n", wire)


async def as_aiohttp_writes_it(request_bytes: bytes, app_factory=sample_app) -> bytes:
    """What aiohttp's own protocol sends back for `request_bytes`, once the inline protocol
    was seen to send the same (its Date aside)."""
    async with serving(web.AppRunner, app_factory) as stock_port:
        expected = await exchange(stock_port, request_bytes)
    async with serving(app_factory=app_factory) as port:
        assert undated(await exchange(port, request_bytes)) == undated(expected)
    return expected


def get(path: str, *headers: str, method: str = "GET", version: str = "1.1") -> bytes:
    return "\r\n".join([f"{method} {path} HTTP/{version}", "Host: 127.0.0.1", *headers, "", ""]).encode()


LAST = "Connection: close"

SAME_AS_AIOHTTP = [
    pytest.param(get("/plain?a=1", LAST), id="json"),
    pytest.param(get("/waits", LAST), id="waits before answering"),
    pytest.param(get("/plain", version="1.0"), id="HTTP/1.0"),
    pytest.param(get("/plain", "Connection: keep-alive", version="1.0") + get("/plain", version="1.0"),
                 id="HTTP/1.0 keep-alive"),
    pytest.param(get("/plain", method="HEAD") + get("/plain", LAST), id="HEAD"),
    pytest.param(get("/empty", LAST), id="204"),
    pytest.param(get("/status?s=304", LAST), id="304 with a body"),
    pytest.param(get("/status?s=199", LAST), id="1xx with a body"),
    pytest.param(get("/status?s=200", LAST, method="CONNECT"), id="CONNECT"),
    pytest.param(get("/status?s=205", LAST), id="205"),
    pytest.param(get("/cookie", LAST), id="cookie"),
    pytest.param(get("/bytes", LAST), id="no content type"),
    pytest.param(get("/stream", LAST), id="stream"),
    pytest.param(get("/closing"), id="handler closes"),
    pytest.param(get("/broken", LAST), id="handler raises"),
    pytest.param(get("/nowhere", LAST), id="404"),
    pytest.param(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", id="body"),
    pytest.param(b"GARBAGE\r\n\r\n", id="parse error"),
    pytest.param(get("/waits") + get("/plain") + get("/stream") + get("/plain", LAST), id="pipelined"),
    pytest.param(get("/sent", LAST), id="answer the handler sent itself"),
    pytest.param(b"".join(get(f"/plain?n={n}") for n in range(40)) + get("/plain", LAST),
                 id="more pipelined than aiohttp parses at once"),
    pytest.param(get("/waits") + b"".join(get(f"/plain?n={n}") for n in range(40)) + get("/plain", LAST),
                 id="many pipelined behind one that waits"),
    pytest.param(get("/plain") + get("/stream") + get("/plain", LAST), id="a waiting answer, then a stream"),
    pytest.param(get("/plain") + get("/closing"), id="a waiting answer, then one that closes"),
    pytest.param(get("/plain") + get("/broken", LAST), id="a waiting answer, then a handler that raises"),
    pytest.param(get("/plain") + b"GARBAGE\r\n\r\n", id="a waiting answer, then a parse error"),
]


@pytest.mark.parametrize("request_bytes", SAME_AS_AIOHTTP)
async def test_every_answer_is_what_aiohttps_own_protocol_writes(request_bytes):
    expected = await as_aiohttp_writes_it(request_bytes)
    assert expected  # every case gets an answer


async def test_pipelined_answers_keep_their_order_when_the_first_must_wait():
    async with serving() as port:
        wire = await exchange(port, get("/waits") + get("/plain?n=2") + get("/plain?n=3", LAST))
    assert re.findall(rb"waited for /waits|\"query\": \"n=\d\"", wire) == [
        b"waited for /waits", b'"query": "n=2"', b'"query": "n=3"']


async def where(request: web.Request) -> web.Response:
    """Says whether it runs in a task: not when answered where it arrived."""
    return web.Response(text="in a task" if asyncio.current_task() else "inline")


def where_app() -> web.Application:
    app = sample_app()
    app.router.add_get("/where", where)
    return app


async def test_a_request_on_an_idle_connection_is_answered_inline_and_one_behind_a_wait_in_order():
    async with serving(app_factory=where_app) as port:
        wire = await exchange(port, get("/where") + get("/waits") + get("/where", LAST))
    assert re.findall(rb"inline|in a task|waited for /waits", wire) == [b"inline", b"waited for /waits", b"in a task"]


async def test_aiohttps_own_protocol_answers_every_request_in_a_task():
    async with serving(web.AppRunner, where_app) as port:
        wire = await exchange(port, get("/where", LAST))
    assert wire.endswith(b"in a task")


def test_only_an_app_with_one_catch_all_route_skips_the_router():
    catch_all, several = catch_all_app(), sample_app()
    for app in (catch_all, several):
        app.freeze()  # as the runner has it
    assert single_route_handler(catch_all) != catch_all._handle
    assert single_route_handler(several) == several._handle


async def test_a_request_arriving_while_another_waits_is_answered_after_it():
    async with serving() as port:
        wire = await exchange(port, get("/waits"), get("/plain?late=1", LAST), pause=0.01)
    assert wire.index(b"waited for /waits") < wire.index(b"late=1")


async def test_a_body_arriving_in_pieces_is_read_whole():
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nConnection: close\r\n\r\n"
    async with serving() as port:
        wire = await exchange(port, head + b"hello", b" world", pause=0.02)
    assert wire.startswith(b"HTTP/1.1 200 OK\r\n") and wire.endswith(b"\r\n\r\nhello world")


async def test_code_needing_a_task_runs_in_one():
    async with serving() as port:
        wire = await exchange(port, get("/timed", LAST))
    assert wire.startswith(b"HTTP/1.1 200 OK\r\n") and wire.endswith(b"in a task")


def answer_arrived(client: socket.socket) -> bool:
    try:
        return bool(client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return False


async def test_answers_made_in_one_turn_of_the_loop_are_sent_once_it_has_made_them_all():
    clients: list[socket.socket] = []
    seen_by_each_handler = []

    async def looks_for_answers(request: web.Request) -> web.Response:
        seen_by_each_handler.append([answer_arrived(client) for client in clients])
        return web.Response(text="answered")

    def looking_app() -> web.Application:
        app = web.Application()
        app.router.add_get("/look", looks_for_answers)
        return app

    async with serving(app_factory=looking_app) as port:
        clients.extend(await connected(port, 3, get("/look")))
        seen_by_each_handler.clear()
        for client in clients:  # each lands in the server's socket as it is sent: one turn reads all three
            client.send(get("/look"))
        answers = [await received(client) for client in clients]
        for client in clients:
            client.close()
    assert seen_by_each_handler == [[False, False, False]] * 3
    assert all(answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"answered") for answer in answers)


async def connected(port: int, count: int, first_request: bytes) -> list[socket.socket]:
    """Non-blocking client sockets, each accepted by the server and answered once."""
    clients = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port))
        client.setblocking(False)
        await asyncio.get_running_loop().sock_sendall(client, first_request)
        assert (await received(client)).startswith(b"HTTP/1.1 200 OK\r\n")
        clients.append(client)
    return clients


async def received(client: socket.socket, until_closed: bool = False) -> bytes:
    """What the server sent: its next piece, or everything until it closes."""
    loop, data = asyncio.get_running_loop(), b""
    async with asyncio.timeout(5):
        while piece := await loop.sock_recv(client, 65536):
            data += piece
            if not until_closed:
                break
    return data


def released_app(release: asyncio.Future) -> web.Application:
    """/held answers once `release` is done: its answer is made in a task, in the turn the
    release wakes it."""
    async def held(request: web.Request) -> web.Response:
        await release
        return web.Response(text="held answer")

    app = sample_app()
    app.router.add_get("/held", held)
    return app


async def answer_made_as(port: int, release: asyncio.Future, then: Callable[[socket.socket], None]) -> bytes:
    """Everything the server sends for /held when `then` acts on the client in the very
    callback that releases it: the server sees both in the same turn."""
    client = socket.create_connection(("127.0.0.1", port))
    client.setblocking(False)
    client.send(get("/held"))
    await asyncio.sleep(0.05)  # read, and waiting
    asyncio.get_running_loop().call_soon(lambda: (release.set_result(None), then(client)))
    try:
        return await received(client, until_closed=True)
    finally:
        client.close()


async def test_an_answer_made_as_the_client_ends_its_side_is_still_sent():
    release = asyncio.get_running_loop().create_future()
    async with serving(app_factory=lambda: released_app(release)) as port:
        wire = await answer_made_as(port, release, lambda client: client.shutdown(socket.SHUT_WR))
    assert wire.startswith(b"HTTP/1.1 200 OK\r\n") and wire.endswith(b"held answer")


async def test_an_answer_made_as_the_listener_refuses_the_next_request_goes_out_before_the_refusal():
    release = asyncio.get_running_loop().create_future()
    runner = make_runner(released_app(release))
    await runner.setup()
    site = GuardedSite(runner, "127.0.0.1", 0)
    await site.start()
    over_long_head = b"GET /plain HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 20_000
    try:
        wire = await answer_made_as(runner.addresses[0][1], release, lambda client: client.send(over_long_head))
    finally:
        await runner.cleanup()
    assert re.findall(rb"HTTP/1.1 (\d+)", wire) == [b"200", b"431"]
    assert wire.index(b"held answer") < wire.index(b"HTTP/1.1 431")


async def test_an_answer_that_cannot_be_sent_closes_its_connection_and_the_turns_other_answers_go_out(caplog):
    async def ends_its_side_first(request: web.Request) -> web.Response:
        request.transport.write_eof()  # the transport refuses every write after this
        return web.Response(text="never sent")

    def app() -> web.Application:
        application = sample_app()
        application.router.add_get("/ends", ends_its_side_first)
        return application

    async with serving(app_factory=app) as port:
        failing, fine = await connected(port, 2, get("/plain"))
        failing.send(get("/ends"))  # answered first in the turn, so its send fails before the other's
        fine.send(get("/plain?after=1"))
        assert (await received(fine)).endswith(b'"query": "after=1"}')
        assert await received(failing, until_closed=True) == b""
        failing.close()
        fine.close()
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == [
        "Error sending an answer"]


async def test_keep_alive_connections_serve_many_requests():
    async with serving() as port, aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        for index in range(20):
            async with session.get(f"http://127.0.0.1:{port}/plain?i={index}") as response:
                assert (await response.json())["query"] == f"i={index}"
        async with session.get(f"http://127.0.0.1:{port}/waits") as response:
            assert await response.text() == "waited for /waits"


CATCH_ALL_CASES = [
    pytest.param(get("/api/v1/x?y=1", LAST), id="any path"),
    pytest.param(get("/", method="DELETE") + get("/waits") + get("/a/b", LAST, method="PATCH"), id="pipelined"),
    pytest.param(get("/line%0Abreak", LAST), id="a path the route does not match"),
    pytest.param(get("/again") + get("/line%0Abreak") + get("/again") + get("/line%0Abreak", LAST),
                 id="paths matched before"),
    pytest.param(b"POST /expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
                 b"Connection: close\r\n\r\nok", id="Expect: 100-continue"),
    pytest.param(b"PUT /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                 b"3\r\nabc\r\n0\r\n\r\n", id="chunked body"),
]


@pytest.mark.parametrize("request_bytes", CATCH_ALL_CASES)
async def test_a_catch_all_app_answers_as_through_aiohttps_router(request_bytes):
    expected = await as_aiohttp_writes_it(request_bytes, catch_all_app)
    assert expected.startswith(b"HTTP/1.1 ")


def signalled_app() -> web.Application:
    async def stamp(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Prepared"] = "by a signal"

    app = sample_app()
    app.on_response_prepare.append(stamp)
    return app


async def test_on_response_prepare_callbacks_run_as_under_aiohttp():
    expected = await as_aiohttp_writes_it(get("/plain", LAST), signalled_app)
    assert b"X-Prepared: by a signal" in expected


STAMP = HeaderStamp({"X-Stamped": "yes", "Content-Type": "text/x-stamped", "X-Last": "1"})


def stamp_of_path(request: web.BaseRequest) -> HeaderStamp | None:
    """The test app's stamper: /stamped answers take STAMP, nothing else does."""
    return STAMP if request.path == "/stamped" else None


async def stamped(request: web.Request) -> web.StreamResponse:
    """An answer the app stamps, with headers of its own (one the stamp sets again), in
    whatever way the query asks for."""
    kind = request.query.get("kind", "plain")
    if kind == "stream":
        response = web.StreamResponse(headers={"X-Own": "1", "Content-Type": "a/b"})
        await response.prepare(request)
        await response.write(b"streamed")
        return response
    response = web.Response(text=f"stamped {request.query_string}", headers={"X-Own": "1", "Content-Type": "a/b"})
    if kind == "cookie":
        response.set_cookie("session", "abc")
    return response


def stamping_app() -> web.Application:
    app = sample_app()
    app.router.add_route("*", "/stamped", stamped)
    app[STAMPER] = stamp_of_path
    app.on_response_prepare.append(stamp_on_prepare)
    return app


STAMPED = [
    pytest.param(get("/stamped?n=1") + get("/stamped?n=1") + get("/stamped?n=22", LAST), id="written inline"),
    pytest.param(get("/stamped", LAST, method="HEAD"), id="HEAD"),
    pytest.param(get("/stamped?kind=cookie", LAST), id="with a cookie"),
    pytest.param(get("/stamped?kind=stream", LAST), id="stream the handler prepares"),
    pytest.param(get("/stamped", LAST, version="1.0"), id="HTTP/1.0"),
]


@pytest.mark.parametrize("request_bytes", STAMPED)
async def test_a_stamped_answer_is_written_as_aiohttp_writes_it_with_its_prepare_callback(request_bytes):
    expected = await as_aiohttp_writes_it(request_bytes, stamping_app)
    assert expected.count(b"X-Stamped: yes") == request_bytes.count(b"HTTP/1.")
    assert b"Content-Type: a/b" not in expected and b"Content-Type: text/x-stamped" in expected


async def test_an_answer_the_stamper_passes_over_is_written_as_it_was():
    expected = await as_aiohttp_writes_it(get("/plain", LAST), stamping_app)
    assert b"X-Stamped" not in expected


async def test_the_writers_kept_heads_stay_bounded_in_number_and_size():
    async with serving() as port:
        for batch in range(3):
            await exchange(port, b"".join(get(f"/plain?{'x' * (n + batch * 300)}") for n in range(300)) + get("/plain", LAST))
        assert 0 < len(connection._HEADS) <= connection.MAX_HEADS
        wire = await exchange(port, get("/big", LAST))
    assert wire.count(b"y" * 8000) == 1
    assert all(len(head) <= connection.MAX_KEPT_HEAD for head in connection._HEADS.values())


async def test_answers_are_written_with_aiohttps_access_log_on(caplog):
    caplog.set_level("INFO", "aiohttp.access")
    async with serving(access_log=logging.getLogger("aiohttp.access")) as port:
        wire = await exchange(port, get("/plain") + get("/plain?second=1", LAST))
    assert wire.count(b"HTTP/1.1 200 OK") == 2
    assert [record.getMessage().split('"')[1] for record in caplog.records] == [
        "GET /plain HTTP/1.1", "GET /plain?second=1 HTTP/1.1"]


async def test_shutdown_cancels_an_answer_still_waiting_after_its_grace():
    cancelled = asyncio.Event()

    async def forever(request: web.Request) -> web.Response:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return web.Response()

    app = web.Application()
    app.router.add_get("/forever", forever)
    runner = InlineAppRunner(app, access_log=None, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    _, writer = await asyncio.open_connection("127.0.0.1", runner.addresses[0][1])
    writer.write(get("/forever"))
    await writer.drain()
    await asyncio.sleep(0.05)
    await runner.cleanup()
    assert cancelled.is_set()
    assert [task for task in asyncio.all_tasks() if task is not asyncio.current_task()] == []
    writer.close()


def test_the_installed_aiohttp_gets_the_inline_protocol():
    """An aiohttp release the protocol was not written against falls back to aiohttp's own,
    slower; this says so when an upgrade does that."""
    assert INLINE, f"aiohttp {aiohttp.__version__}: mockplex.connection answers through aiohttp's stock protocol"


async def test_mockplex_answers_pipelined_requests_in_order(make_api):
    api = await make_api()
    port = api.client.server.port
    authorization = f"Authorization: Bearer {OAUTH}"
    wire = await exchange(port, get(f"{V1}/repos", authorization) + get(f"{V1}/models", authorization)
                          + get(f"{V1}/nowhere", authorization, LAST))
    statuses = re.findall(rb"HTTP/1.1 (\d+)", wire)
    assert statuses == [b"200", b"200", b"404"]
    assert wire.index(b'"repos"') < wire.index(b'"models"')
