"""Node's connection limits hold for every request on a connection, not just the first:
keep-alive and pipelined requests, slow bodies, and encoded bodies, through real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import threading
import time
import zlib

import pytest
from conftest import RW, V1
from test_cli import Served
from test_reliability_hostile import address, exchange, request, status_and_body

from mockplex.app import build_app
from mockplex.listener import GuardedSite, make_runner
from mockplex.settings import Settings

pytestmark = pytest.mark.reliability

HEADER_TIMEOUT = 1.0
REFUSED_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
REFUSED_408 = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
INVALID_JSON = {"ok": False, "error": {"code": "BAD_REQUEST", "message": "Invalid JSON body"}}
MCP_PARSE_ERROR = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error: invalid JSON"}}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = Served("--header-timeout", str(HEADER_TIMEOUT), "--no-rate-limits", "--quiet",
                    cwd=tmp_path_factory.mktemp("connections"))
    yield server
    code, stderr = server.stop()
    assert code == 0 and "Traceback" not in stderr, stderr


def kept_alive(method: str, path: str, body: bytes = b"", headers: bytes = b"") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {RW}\r\n"
            f"Content-Length: {len(body)}\r\n").encode() + headers + b"\r\n" + body


def chunked(method: str, path: str, chunks: list[bytes]) -> bytes:
    framed = b"".join(b"%x;note=1\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\nX-Trailer: 1\r\n\r\n"
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {RW}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode() + framed


def read_answer(stream) -> tuple[int, bytes]:
    """One response off a keep-alive connection (every answer here has a Content-Length)."""
    status = int(stream.readline().split(b" ")[1])
    length = 0
    while (line := stream.readline()) != b"\r\n":
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return status, stream.read(length)


def read_to_close(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


@contextlib.contextmanager
def second_request_pending(served, first_bytes: bytes):
    """A connection that was answered once and has sent `first_bytes` of its next request."""
    with socket.create_connection(address(served), timeout=10) as connection:
        stream = connection.makefile("rb")
        connection.sendall(kept_alive("GET", V1 + "/repos?limit=1"))
        assert read_answer(stream)[0] == 200
        connection.sendall(first_bytes)
        yield connection


def served_promptly(served) -> float:
    started = time.monotonic()
    assert served.get("/repos?limit=1")[0] == 200
    return time.monotonic() - started


@pytest.mark.parametrize("oversize", [
    b"X-Padding: " + b"a" * 20_000 + b"\r\n",
    b"".join(b"X-H%d: %s\r\n" % (index, b"b" * 100) for index in range(200)),
], ids=["one long header", "many headers"])
def test_a_second_request_with_an_oversize_header_block_gets_an_empty_431_and_is_closed(served, oversize):
    with second_request_pending(served, kept_alive("GET", V1 + "/repos", headers=oversize)) as connection:
        assert read_to_close(connection) == REFUSED_431
    assert served_promptly(served) < HEADER_TIMEOUT


def test_a_slow_second_request_gets_an_empty_408_after_the_header_timeout(served):
    started = time.monotonic()
    with second_request_pending(served, b"GET /api/v1/mogplex/repos HTTP/1.1\r\nX-Slow: ") as connection:
        assert read_to_close(connection) == REFUSED_408
    assert HEADER_TIMEOUT * 0.9 <= time.monotonic() - started < HEADER_TIMEOUT + 5


def test_slow_second_requests_do_not_hold_up_other_clients(served):
    with contextlib.ExitStack() as held:
        slow = [held.enter_context(second_request_pending(served, b"GET / HTTP/1.1\r\nX-Slow: ")) for _ in range(30)]
        assert max(served_promptly(served) for _ in range(10)) < HEADER_TIMEOUT
        assert {read_to_close(connection) for connection in slow} == {REFUSED_408}


def test_the_header_clock_starts_at_a_requests_first_byte_not_when_the_connection_went_idle(served):
    with second_request_pending(served, b"") as connection:
        stream = connection.makefile("rb")
        for _ in range(2):
            time.sleep(HEADER_TIMEOUT * 1.5)
            for byte in kept_alive("GET", V1 + "/repos?limit=1"):  # a byte at a time, well within the timeout
                connection.sendall(bytes([byte]))
            assert read_answer(stream)[0] == 200


def pipelined_requests() -> tuple[bytes, list[tuple[int, bytes]]]:
    """Four requests in one stream (three ways of framing a body) and the answers, in order."""
    stream = (kept_alive("GET", V1 + "/repos?limit=1") + kept_alive("POST", V1 + "/automations", b"not json")
              + chunked("POST", V1 + "/automations", [b"not", b" json"]) + kept_alive("GET", V1 + "/nope")
              + request("GET", V1 + "/repos?limit=1"))
    return stream, [200, 400, 400, 404, 200]


@pytest.mark.parametrize("piece", [None, 7], ids=["one write", "7 bytes at a time"])
def test_pipelined_requests_are_answered_in_order(served, piece):
    stream, statuses = pipelined_requests()
    with socket.create_connection(address(served), timeout=10) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, len(stream), piece or len(stream)):
            connection.sendall(stream[start:start + (piece or len(stream))])
        answers = connection.makefile("rb")
        received = [read_answer(answers) for _ in statuses]
        assert answers.read() == b""
    assert [status for status, _ in received] == statuses
    assert json.loads(received[1][1]) == json.loads(received[2][1]) == INVALID_JSON
    assert json.loads(received[0][1]) == json.loads(received[4][1])


def rss_high_water_mark(served) -> int:
    with open(f"/proc/{served.process.pid}/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))


def test_sixty_keep_alive_connections_sending_15_mb_header_blocks_cost_no_memory(served):
    block = kept_alive("GET", V1 + "/repos", headers=b"".join(
        b"X-H%d: %s\r\n" % (index, b"c" * 8_000) for index in range(1_900)))
    answers: list[bytes] = []

    def send_oversize(connection: socket.socket) -> None:
        try:
            connection.sendall(block)
            answers.append(read_to_close(connection))
        except ConnectionError:  # refused and closed mid-send: the kernel resets the connection
            answers.append(b"reset")

    before = rss_high_water_mark(served)
    with contextlib.ExitStack() as held:
        connections = [held.enter_context(second_request_pending(served, b"")) for _ in range(60)]
        senders = [threading.Thread(target=send_oversize, args=(connection,)) for connection in connections]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=60)
    grown = rss_high_water_mark(served) - before
    print(f"\n60 x {len(block) / 1e6:.1f} MB header blocks: server peak RSS grew {grown / 1e6:.1f} MB")
    assert len(block) > 15_000_000 and set(answers) <= {REFUSED_431, b"reset"} and len(answers) == 60
    assert grown < 60_000_000
    assert served_promptly(served) < HEADER_TIMEOUT


@contextlib.asynccontextmanager
async def guarded_server(**timeouts: float):
    runner = make_runner(build_app(Settings()))
    await runner.setup()
    await GuardedSite(runner, "127.0.0.1", 0, **timeouts).start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def test_a_body_still_arriving_at_the_request_timeout_gets_an_empty_408_while_others_are_served():
    async with guarded_server(header_timeout=0.5, request_timeout=2.0) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = asyncio.get_running_loop().time()
        writer.write(kept_alive("POST", V1 + "/automations", b"{" + b" " * 100 + b"}")[:-90])

        async def dribble() -> None:
            with contextlib.suppress(ConnectionError):
                for _ in range(50):  # a byte every 0.1 s: never idle, never done
                    await asyncio.sleep(0.1)
                    writer.write(b" ")
                    await writer.drain()

        dribbling = asyncio.create_task(dribble())
        other = await asyncio.wait_for(asyncio.to_thread(exchange_on, port, request("GET", V1 + "/models")), 5)
        assert status_and_body(other)[0] == 200
        assert await asyncio.wait_for(reader.read(), 10) == REFUSED_408
        assert 2.0 * 0.9 <= asyncio.get_running_loop().time() - started < 2.0 + 5
        dribbling.cancel()
        writer.close()


def exchange_on(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(raw)
        return read_to_close(connection)


def gzip_bomb(expanded: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    zeros = b"\0" * 1_000_000
    return b"".join(compressor.compress(zeros) for _ in range(expanded // len(zeros))) + compressor.flush()


GZIP = b"Content-Encoding: gzip\r\nContent-Type: application/json\r\n"


@pytest.mark.parametrize("body", [
    b"these bytes are not gzip",
    gzip.compress(b'{"name":"nightly","prompt":"hi"}'),  # Node never decodes a request's Content-Encoding
    gzip_bomb(200_000_000),
], ids=["not gzip", "gzip", "gzip bomb"])
def test_a_gzip_encoded_body_is_read_as_its_raw_bytes_like_node(served, body):
    before = rss_high_water_mark(served)
    status, text = status_and_body(exchange(served, request("POST", V1 + "/automations", body, GZIP)))
    assert (status, json.loads(text)) == (400, INVALID_JSON)
    status, text = status_and_body(exchange(served, request("POST", V1 + "/mcp", body, GZIP)))
    assert (status, json.loads(text)) == (400, MCP_PARSE_ERROR)
    assert rss_high_water_mark(served) - before < 20_000_000
    assert served_promptly(served) < HEADER_TIMEOUT
