"""Hostile input against a real `mockplex serve` process: each gets a clear 4xx (the one
the real server's stack gives) and the server keeps serving everyone else."""

from __future__ import annotations

import json
import socket
import time

import pytest
from conftest import RW, V1
from test_cli import Served, run_cli

from mockplex.responses import NOT_FOUND_HTML

pytestmark = pytest.mark.reliability

HEADER_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = Served("--header-timeout", str(HEADER_TIMEOUT), "--quiet",
                    cwd=tmp_path_factory.mktemp("hostile"))
    yield server
    code, stderr = server.stop()
    assert code == 0 and "Traceback" not in stderr, stderr


def address(served) -> tuple[str, int]:
    host, port = served.base_url.split("//")[1].split("/")[0].split(":")
    return host, int(port)


def exchange(served, raw: bytes, wait: float = 10.0) -> bytes:
    """Send raw bytes, read until the server closes (every request here asks it to)."""
    with socket.create_connection(address(served), timeout=wait) as connection:
        connection.sendall(raw)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        return received


def request(method: str, path: str, body: bytes = b"", headers: bytes = b"") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {RW}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n").encode() + headers + b"\r\n" + body


def status_and_body(raw: bytes) -> tuple[int, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def still_serving(served) -> None:
    assert served.get("/repos?limit=1")[0] == 200


def test_an_oversize_header_block_gets_an_empty_431(served):
    huge = b"X-Padding: " + b"a" * 20_000 + b"\r\n"
    assert exchange(served, request("GET", V1 + "/repos", headers=huge)) == (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    many = b"".join(b"X-H%d: %s\r\n" % (index, b"b" * 100) for index in range(200))
    assert status_and_body(exchange(served, request("GET", V1 + "/repos", headers=many)))[0] == 431
    still_serving(served)


def test_an_oversize_body_gets_the_platform_413(served):
    body = b'{"prompt":"' + b"x" * 5_000_000 + b'"}'
    status, text = status_and_body(exchange(served, request("POST", V1 + "/runs", body,
                                                            b"Idempotency-Key: big\r\n")))
    assert (status, text) == (413, b"Request Entity Too Large\n\nFUNCTION_PAYLOAD_TOO_LARGE\n")
    still_serving(served)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_an_invalid_body_not_a_crash(served, depth):
    nested = b"[" * depth + b"]" * depth
    status, text = status_and_body(exchange(served, request("POST", V1 + "/automations", nested)))
    assert status == 400
    assert json.loads(text) == {"ok": False, "error": {"code": "BAD_REQUEST", "message": "Invalid JSON body"}}
    status, text = status_and_body(exchange(served, request("POST", V1 + "/mcp", nested)))
    assert (status, json.loads(text)["error"]["code"]) == (400, -32700)
    still_serving(served)


def test_invalid_utf8_is_read_as_replacement_characters_like_node(served):
    body = b'{"repoId":"\xff\xfe\xc3","prompt":"hi"}'
    status, text = status_and_body(exchange(served, request("POST", V1 + "/sandboxes", body)))
    assert (status, json.loads(text)["error"]["message"]) == (404, "Repo not found")
    garbage = b"\xff\xfe\x00\x9c" * 100
    status, text = status_and_body(exchange(served, request("POST", V1 + "/automations", garbage)))
    assert (status, json.loads(text)["error"]["message"]) == (400, "Invalid JSON body")
    still_serving(served)


def test_slow_senders_get_an_empty_408_while_others_are_served(served):
    slow = [socket.create_connection(address(served), timeout=10) for _ in range(50)]
    for connection in slow:
        connection.sendall(b"GET /api/v1/mogplex/repos HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    started = time.monotonic()
    for _ in range(20):  # served while fifty connections dawdle
        still_serving(served)
    answers = []
    for connection in slow:
        with connection:
            answers.append(connection.recv(1024))
    assert set(answers) == {b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"}
    assert time.monotonic() - started < HEADER_TIMEOUT + 5
    still_serving(served)


def test_headers_arriving_in_small_pieces_are_served(served):
    """The guard finds the end of the headers even when it is split across packets."""
    raw = request("GET", V1 + "/repos?limit=1")
    with socket.create_connection(address(served), timeout=10) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, len(raw), 3):
            connection.sendall(raw[start:start + 3])
            time.sleep(0.001)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    status, text = status_and_body(received)
    assert status == 200 and json.loads(text)["ok"] is True


@pytest.mark.parametrize("raw_path", [
    "/api/v1/mogplex/../../../../etc/passwd",
    "/api/v1/mogplex/%2e%2e/%2e%2e/etc/passwd",
    "/api/v1/mogplex/runs/../../../../../../etc/passwd",
])
def test_traversal_in_request_paths_gets_the_framework_404_page(served, raw_path):
    answer = exchange(served, request("GET", raw_path))
    assert status_and_body(answer) == (404, NOT_FOUND_HTML)
    assert b"Content-Type: text/html; charset=utf-8" in answer
    still_serving(served)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "a/../../b", "..", "ok/..%2f"])
def test_traversal_in_cassette_names_is_refused_before_any_file_is_touched(tmp_path, name):
    shown = run_cli("cassettes", "show", name, "--cassette-dir", str(tmp_path))
    assert shown.returncode == 2 and "invalid cassette name" in shown.stderr
    served = run_cli("serve", "--mode", "replay", "--cassette", name, "--cassette-dir", str(tmp_path),
                     "--port", "0")
    assert served.returncode != 0 and "invalid cassette name" in served.stderr
    assert "Traceback" not in served.stderr + shown.stderr
