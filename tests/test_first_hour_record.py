"""`mockplex record` and replay misses as a newcomer meets them: record checks its upstream
first, says only what it wrote, and an exhausted request says it is exhausted."""

from __future__ import annotations

import re
import shutil
import socket
import threading

import pytest
from conftest import EXAMPLES, RW
from test_cli import Served, run_cli
from test_modes import get

CHECK_UPSTREAM = "Check --upstream (or MOCKPLEX_UPSTREAM) and the network."


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    served = Served("--clock", "frozen", "--quiet", cwd=tmp_path_factory.mktemp("upstream"))
    yield served.base_url.rsplit("/api/v1/mogplex", 1)[0]
    served.stop()


@pytest.fixture
def listening_socket():
    """A loopback socket that is bound and listening but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock, sock.getsockname()[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recorder(upstream: str, tmp_path, *args: str) -> Served:
    return Served("--upstream", upstream, "--cassette", "first", "--cassette-dir", str(tmp_path / "c"), *args,
                  cwd=tmp_path, command="record")


def test_a_busy_port_is_the_bind_error_alone(upstream, listening_socket, tmp_path):
    _, port = listening_socket
    ran = run_cli("record", "--upstream", upstream, "--cassette", "busy", "--port", str(port), cwd=tmp_path)
    assert ran.returncode == 1
    assert ran.stdout == ""
    assert ran.stderr.splitlines() == [f"mockplex: cannot listen on 127.0.0.1:{port}: error while attempting to bind "
                                       f"on address ('127.0.0.1', {port}): address already in use"]
    assert not (tmp_path / "cassettes" / "busy.yaml").exists()


def test_the_banner_says_the_upstream_answered(upstream, tmp_path):
    proxy = recorder(upstream, tmp_path)
    proxy.stop()
    assert proxy.banner[0].endswith(f"is recording {upstream} into {tmp_path / 'c' / 'first.yaml'} "
                                    "(record mode once)\n")
    assert re.fullmatch(rf"  upstream {re.escape(upstream)} answered in \d+ ms\n", proxy.banner[1])


def test_a_stop_with_nothing_recorded_says_no_file_was_written(upstream, tmp_path):
    code, log = recorder(upstream, tmp_path).stop()
    assert code == 0
    assert log.splitlines()[-1].split(" ", 1)[1] == f"recorded nothing; {tmp_path / 'c' / 'first.yaml'} was not written"
    assert "recorded 0" not in log
    assert not (tmp_path / "c" / "first.yaml").exists()


def test_a_stop_after_recording_names_the_file(upstream, tmp_path):
    proxy = recorder(upstream, tmp_path)
    assert get(proxy.base_url + "/models")[0] == 200
    code, log = proxy.stop()
    assert code == 0
    assert log.splitlines()[-1].split(" ", 1)[1] == (
        f"recorded 1 interaction(s) into {tmp_path / 'c' / 'first.yaml'} (1 in the file; 0 forwarded but not recorded)")
    assert (tmp_path / "c" / "first.yaml").is_file()


def unreachable(upstream: str, tmp_path, *args: str):
    ran = run_cli("record", "--upstream", upstream, "--cassette", "never", *args, "--port", "0", cwd=tmp_path)
    assert ran.returncode == 1
    assert ran.stdout == ""  # no banner
    assert not (tmp_path / "cassettes" / "never.yaml").exists()
    return ran.stderr


def test_a_refused_upstream_is_a_clear_error_before_the_banner(tmp_path):
    upstream = f"http://127.0.0.1:{free_port()}"
    assert unreachable(upstream, tmp_path) == (
        f"Error: upstream {upstream} did not answer: connection refused. {CHECK_UPSTREAM}\n")


def test_a_silent_upstream_times_out_before_the_banner(listening_socket, tmp_path):
    upstream = f"http://127.0.0.1:{listening_socket[1]}"
    assert unreachable(upstream, tmp_path, "--upstream-timeout", "0.5") == (
        f"Error: upstream {upstream} did not answer: no answer within 0.5 s (--upstream-timeout). {CHECK_UPSTREAM}\n")


def test_a_tls_failure_is_named(tmp_path):
    """https:// to a server that speaks plain HTTP: the handshake fails."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def answer_in_plain_http() -> None:
            connection, _ = server.accept()
            with connection:
                connection.recv(4096)
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

        threading.Thread(target=answer_in_plain_http, daemon=True).start()
        upstream = f"https://127.0.0.1:{server.getsockname()[1]}"
        error = unreachable(upstream, tmp_path, "--upstream-timeout", "5")
    assert error.startswith(f"Error: upstream {upstream} did not answer: TLS failed: ")
    assert error.endswith(f". {CHECK_UPSTREAM}\n") and "Traceback" not in error


@pytest.fixture
def project(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "cassettes")
    return tmp_path


def test_an_exhausted_get_says_its_answers_were_used(project):
    served = Served("--cassette", "catalog", "--on-exhausted", "fail", "--quiet", cwd=project)
    first = get(served.base_url + "/models", RW)
    status, headers, body = get(served.base_url + "/models", RW)
    served.stop()
    assert first[0] == 200
    assert status == 404
    assert body.decode() == (
        '{"ok":false,"error":{"code":"NOT_FOUND","message":"mockplex: GET /api/v1/mogplex/models was recorded in '
        "cassette 'catalog' and its 1 recorded answer(s) were all used; --on-exhausted repeat would repeat the "
        'last one"}}')
    assert headers["X-Mockplex-Error"] == ("exhausted: cassette catalog; 1 recorded answer(s), all used; "
                                           "--on-exhausted repeat would repeat the last one")


def test_a_get_never_recorded_is_still_a_miss(project):
    served = Served("--cassette", "catalog", "--on-exhausted", "fail", "--quiet", cwd=project)
    status, headers, _ = get(served.base_url + "/repos?limit=5", RW)
    served.stop()
    assert status == 404
    assert headers["X-Mockplex-Error"] == (
        "not-recorded: cassette catalog; closest recorded request: GET /api/v1/mogplex/repos (differs in query key "
        "'limit' ('20' recorded, '5' sent)); would match with --ignore-query limit")
