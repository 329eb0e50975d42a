"""`mockplex journal`: a running server's journal read from the command line, as a user
runs it against `mockplex serve`."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import urllib.error
import urllib.request

import pytest
from conftest import REPO_ROOT, RW
from test_cli import COMMAND, Served

SECRET_KEY = "sk-abcdefghijklmnop1234"


def journal_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    """The command with only the environment given: a MOGPLEX_BASE_URL of the user's must not leak in."""
    clean = {name: value for name, value in os.environ.items()
             if name not in ("MOGPLEX_BASE_URL", "MOCKPLEX_ADMIN_TOKEN")}
    return subprocess.run(COMMAND + ["journal", *args], capture_output=True, text=True, timeout=60,
                          env={**clean, "PYTHONPATH": str(REPO_ROOT), **env})


def post_run(served: Served, body: dict) -> None:
    request = urllib.request.Request(served.base_url + "/runs", data=json.dumps(body).encode(), headers={
        "Authorization": f"Bearer {RW}", "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=10).close()
    except urllib.error.HTTPError as error:
        error.close()


def server_root(served: Served) -> str:
    return served.base_url.removesuffix("/api/v1/mogplex")


def lines(output: str) -> list[str]:
    """The output's lines, durations (which vary run to run) as `Nms`."""
    return re.sub(r"\d+\.\dms", "Nms", output).splitlines()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    served = Served("--quiet", "--clock", "frozen", cwd=tmp_path_factory.mktemp("journal"))
    served.get("/repos?limit=1")
    post_run(served, {"repoId": "x", "prompt": "hi", "apiKey": SECRET_KEY})
    served.get("/runs/not-a-uuid")
    yield served
    served.stop()


TABLE = [
    "#  method  request                          status  source   route                             took",
    "1  GET     /api/v1/mogplex/repos?limit=1    200     fixture  GET /api/v1/mogplex/repos         Nms",
    "2  POST    /api/v1/mogplex/runs             400     rules    POST /api/v1/mogplex/runs         Nms",
    "3  GET     /api/v1/mogplex/runs/not-a-uuid  500     fixture  GET /api/v1/mogplex/runs/{runId}  Nms",
]


def test_the_table_shows_one_line_per_exchange(served):
    result = journal_cli("--url", server_root(served))
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == TABLE


def test_the_url_is_read_from_mogplex_base_url_as_the_banner_prints_it(served):
    result = journal_cli(MOGPLEX_BASE_URL=served.base_url)
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == TABLE


@pytest.mark.parametrize(("filters", "ids"), [
    (["--status", "4xx"], ["2"]),
    (["--status", "500", "--status", "200"], ["1", "3"]),
    (["--source", "rules"], ["2"]),
    (["--route", "runs"], ["2", "3"]),
    (["--route", "runs", "--status", "5xx"], ["3"]),
    (["--grep", "prompt"], ["2"]),
    (["--last", "1"], ["3"]),
])
def test_filters_narrow_the_table(served, filters, ids):
    result = journal_cli("--url", server_root(served), *filters)
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ids


def test_a_filter_nothing_matches_says_so(served):
    result = journal_cli("--url", server_root(served), "--source", "replay")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "no exchanges match\n")


def test_a_bad_status_is_a_usage_error(served):
    result = journal_cli("--url", server_root(served), "--status", "4xxx")
    assert result.returncode == 2
    assert "Invalid value for '--status': '4xxx' is not a status like 404 or 4xx" in result.stderr


def test_show_prints_one_exchange_whole_with_secrets_masked(served):
    result = journal_cli("--url", server_root(served), "--show", "2")
    assert result.returncode == 0, result.stderr
    shown = lines(result.stdout)
    assert shown[:6] == [
        "exchange #2",
        "request   POST /api/v1/mogplex/runs",
        "status    400",
        "answered  by rules",
        "route     POST /api/v1/mogplex/runs, family v1",
        "took      Nms, at 2026-05-17T10:00:00+00:00",
    ]
    request_headers = shown[shown.index("request headers:") + 1:shown.index("request body:")]
    assert "  Authorization: Bearer <redacted>" in request_headers
    assert shown[shown.index("request body:") + 1:shown.index("response headers:")] == [
        "{", '  "repoId": "x",', '  "prompt": "hi",', '  "apiKey": "<redacted>"', "}"]
    response_headers = shown[shown.index("response headers:") + 1:shown.index("response body:")]
    assert "  Content-Type: application/json" in response_headers
    assert shown[shown.index("response body:") + 1:] == [
        "{", '  "ok": false,', '  "error": {', '    "code": "BAD_REQUEST",',
        '    "message": "Idempotency-Key is required"', "  }", "}"]
    assert RW not in result.stdout
    assert SECRET_KEY not in result.stdout


def test_show_of_an_exchange_not_kept_names_what_is(served):
    result = journal_cli("--url", server_root(served), "--show", "99")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "Error: no exchange #99 in the journal (it holds #1 to #3)\n"


def test_json_is_the_journal_entries_for_scripts(served):
    result = journal_cli("--url", server_root(served), "--status", "4xx", "--json")
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)
    assert {key: entry[key] for key in ("id", "method", "path", "status", "mode", "route", "body")} == {
        "id": 2, "method": "POST", "path": "/api/v1/mogplex/runs", "status": 400, "mode": "rules",
        "route": "POST /api/v1/mogplex/runs", "body": {"repoId": "x", "prompt": "hi", "apiKey": "<redacted>"}}


def test_no_server_is_one_clear_line_and_exit_1(unused_port):
    result = journal_cli("--url", f"http://127.0.0.1:{unused_port}")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith(f"Error: no mockplex server answers at http://127.0.0.1:{unused_port} (")
    assert result.stderr.endswith("start one with `mockplex serve`, or point at it with --url or MOGPLEX_BASE_URL\n")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.fixture
def unused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_server_with_an_admin_token_asks_for_it(tmp_path):
    served = Served("--quiet", "--admin-token", "let-me-in", cwd=tmp_path)
    served.get("/models")
    try:
        refused = journal_cli("--url", server_root(served))
        allowed = journal_cli("--url", server_root(served), MOCKPLEX_ADMIN_TOKEN="let-me-in")
    finally:
        served.stop()
    assert refused.returncode == 1
    assert refused.stderr == (f"Error: the server at {server_root(served)} wants its admin token: pass "
                              "--admin-token or set MOCKPLEX_ADMIN_TOKEN to the value it was started with\n")
    assert allowed.returncode == 0 and "GET     /api/v1/mogplex/models" in allowed.stdout


def test_follow_prints_new_exchanges_and_stops_cleanly_on_ctrl_c(tmp_path):
    served = Served("--quiet", cwd=tmp_path)
    clean = {name: value for name, value in os.environ.items() if name != "MOGPLEX_BASE_URL"}
    follower = subprocess.Popen(COMMAND + ["journal", "--url", server_root(served), "--follow", "--status", "2xx"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**clean, "PYTHONPATH": str(REPO_ROOT)})
    try:
        header = follower.stdout.readline()
        served.get("/runs/not-a-uuid")  # a 500: filtered out
        served.get("/models")
        line = follower.stdout.readline()
    finally:
        follower.send_signal(signal.SIGINT)
        _, stderr = follower.communicate(timeout=20)
        served.stop()
    assert header.split() == ["#", "method", "request", "status", "source", "route", "took"]
    assert line.split()[:6] == ["2", "GET", "/api/v1/mogplex/models", "200", "fixture", "GET"]
    assert (follower.returncode, stderr) == (0, "")
