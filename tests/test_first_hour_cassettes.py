"""First-hour rough edges around cassettes, as a user meets them: `cassettes show` down to
one interaction, and the pytest plugin when a test has no cassette to replay."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES
from test_cli import run_cli
from test_pytest_plugin import PLUGIN_ARGS, user_project  # noqa: F401 - user_project is a fixture

STREAMED = """\
interactions:
- request:
    body: '{"prompt": "hi"}'
    headers:
      Content-Type:
      - application/json
    method: POST
    uri: http://127.0.0.1:1/api/v1/mogplex/stream
  response:
    body:
      string: "data: one\\n\\ndata: two\\n\\n"
    headers:
      Content-Type:
      - text/event-stream
    mockplex:
      chunks:
      - - 11
        - 0
      - - 11
        - 250.5
    status:
      code: 200
      message: OK
    url: http://127.0.0.1:1/api/v1/mogplex/stream
version: 1
"""


def show(*args: str, cassette_dir=EXAMPLES):
    return run_cli("cassettes", "show", *args, "--cassette-dir", str(cassette_dir))


def test_one_interaction_whole_with_its_json_pretty_printed():
    ran = show("mcp-session", "--interaction", "1")
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[:10] == [
        "interaction 1 of 3", "", "--- request ---", "POST http://127.0.0.1:35165/api/v1/mogplex/mcp",
        "Accept: */*", "Accept-Encoding: gzip, deflate", "Authorization: Bearer <redacted:credential:1>",
        "Content-Type: application/json", "User-Agent: Python/3.11 aiohttp/3.14.5", ""]
    assert lines[10:17] == ['{', '  "jsonrpc": "2.0",', '  "id": 1,', '  "method": "initialize",',
                            '  "params": {}', '}', ""]
    response = lines[17:]
    assert response[:3] == ["--- response ---", "200 OK", "Cache-Control: no-store"]
    assert "X-Mockplex-Source: fixture" in response
    assert response[response.index("X-Mockplex-Source: fixture") + 1:][:4] == [
        "", "{", '  "jsonrpc": "2.0",', '  "id": 1,']


def test_a_request_without_a_body_says_so():
    lines = show("catalog", "--interaction", "1").stdout.splitlines()
    assert lines[3] == "GET http://127.0.0.1:43583/api/v1/mogplex/repos?limit=20"
    assert lines[8:12] == ["", "(no body)", "", "--- response ---"]


def test_a_streamed_body_is_shown_chunk_by_chunk_as_recorded(tmp_path):
    (tmp_path / "stream.yaml").write_text(STREAMED)
    ran = show("stream", "--interaction", "1", cassette_dir=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split("--- response ---\n")[1] == (
        "200 OK\nContent-Type: text/event-stream\n\n"
        "~~~ chunk 1 of 2: 11 B after 0 ms ~~~\ndata: one\n\n\n"
        "~~~ chunk 2 of 2: 11 B after 250.5 ms ~~~\ndata: two\n\n\n")


def test_json_of_one_interaction_for_scripts(tmp_path):
    (tmp_path / "stream.yaml").write_text(STREAMED)
    ran = show("stream", "--interaction", "1", "--json", cassette_dir=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == {
        "number": 1, "of": 1,
        "request": {"method": "POST", "uri": "http://127.0.0.1:1/api/v1/mogplex/stream",
                    "headers": {"Content-Type": ["application/json"]}, "body": '{"prompt": "hi"}',
                    "json": {"prompt": "hi"}},
        "response": {"status": 200, "message": "OK", "headers": {"Content-Type": ["text/event-stream"]},
                     "body": "data: one\n\ndata: two\n\n", "chunks": [[11, 0], [11, 250.5]]}}


def test_json_of_the_table_for_scripts():
    ran = show("errors", "--json")
    assert ran.returncode == 0, ran.stderr
    table = json.loads(ran.stdout)
    text_rows = show("errors").stdout.splitlines()[1:]
    assert len(table) == len(text_rows) and table[0]["number"] == 1
    assert [str(row["status"]) for row in table] == [line.split()[3] for line in text_rows]
    assert set(table[0]) == {"number", "method", "request", "status", "bytes", "chunks"}


@pytest.mark.parametrize("number", ["0", "5"])
def test_an_interaction_out_of_range_is_a_usage_error_naming_the_count(number):
    ran = show("catalog", "--interaction", number)
    assert ran.returncode == 2 and ran.stdout == ""
    assert ran.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--interaction': {number}: this cassette holds 4 interaction(s): give 1 to 4")


UNMARKED = '''
import json
import urllib.request

import pytest


def answer(url):
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_unmarked(mockplex):
    print(json.dumps(answer(f"{mockplex.v1_url}/models")))
    assert False


@pytest.mark.mockplex(cassette="examples/not-recorded-yet")
def test_marked_but_never_recorded(mockplex):
    print(json.dumps(answer(f"{mockplex.base_url}/api/sandboxes")))
    assert False
'''


def test_forced_replay_without_a_cassette_names_the_test_and_what_gives_it_one(user_project):  # noqa: F811
    user_project.makepyfile(test_unmarked=UNMARKED)
    result = user_project.runpytest_subprocess(*PLUGIN_ARGS, "-q", "-p", "no:cacheprovider", "test_unmarked.py",
                                               "--mockplex-mode", "replay")
    result.assert_outcomes(failed=2)
    folder = user_project.path / "cassettes"
    why = (f"mockplex: test_unmarked.py::test_unmarked has no cassette to replay (--mockplex-mode replay): mark it "
           f'@pytest.mark.mockplex(cassette="NAME") to use {folder}/NAME.yaml, or drop --mockplex-mode replay')
    output = result.stdout.lines
    assert why in output  # the test's report, under "Captured mockplex setup"
    assert json.dumps([404, {"ok": False, "error": {"code": "NOT_FOUND", "message": why}}]) in output
    never = (f"mockplex: test_unmarked.py::test_marked_but_never_recorded replays cassette "
             f"'examples/not-recorded-yet', but {folder}/examples/not-recorded-yet.yaml does not exist: record it "
             f"with `pytest --mockplex-record` (MOCKPLEX_UPSTREAM names the upstream), or fix the marker's cassette= "
             f"or --mockplex-cassette-dir")
    assert never in output
    assert json.dumps([404, {"error": never}]) in output  # the web app's flat error shape
