"""A fault rule, an upstream or a redaction regex that cannot work is refused where it is
given (flag, mockplex.yaml or admin API), naming it, instead of failing requests later."""

from __future__ import annotations

import json

import pytest
from conftest import OAUTH, Api
from test_cli import Served, run_cli

USAGE_ERROR = "Error: Invalid value for '{flag}': {message}"
BAD_RULES = [
    ({"kind": "error", "status": "abc"}, "status must be a whole number, got 'abc'"),
    ({"status": 503}, "kind is required: one of latency, error, drop, reset, trickle"),
    ({"kind": "latency", "latency_ms": "slow"}, "latency_ms must be a number, got 'slow'"),
    ({"kind": "latency", "latency_ms": -5}, "latency_ms must not be negative"),
    ({"kind": "error", "status": 503.5}, "status must be a whole number, got 503.5"),
    ({"kind": "latency", "latency_ms": 1e300}, "latency_ms must be a number, got 1e+300"),
    ({"kind": "error", "count": True}, "count must be a whole number, got True"),
    ({"kind": "trickle", "chunk_bytes": 0}, "chunk_bytes must be at least 1"),
    ({"kind": "error", "message": 5}, "message must be text, got 5"),
]


@pytest.mark.parametrize("rule, message", BAD_RULES)
async def test_the_admin_api_refuses_a_bad_rule_naming_the_field(api: Api, rule, message):
    response = await api.call("POST", "/__mockplex/faults", None, json_body=rule)
    assert (response.status, json.loads(response.raw_body)) == (400, {"error": message})
    listed = await api.call("GET", "/__mockplex/faults", None)
    assert json.loads(listed.raw_body) == {"faults": []}
    assert (await api.get("/models", token=OAUTH)).status == 200


@pytest.mark.parametrize("spec, message", [
    ("kind=error,status=abc", "status must be a whole number, got 'abc'"),
    ("status=503", "kind is required: one of latency, error, drop, reset, trickle"),
    ("kind=latency,latency_ms=slow", "latency_ms must be a number, got 'slow'"),
    ("kind=error,colour=red", "unknown field 'colour'"),
])
def test_a_bad_fault_flag_is_a_usage_error(tmp_path, spec, message):
    result = run_cli("serve", "--fault", spec, cwd=tmp_path)
    assert (result.returncode, result.stderr.splitlines()[-1]) == (
        2, USAGE_ERROR.format(flag="--fault", message=f"{spec!r}: {message}"))


def test_good_fault_flags_still_serve_their_fault(tmp_path):
    served = Served("--fault", "kind=error,status=429,retry_after=2,latency_ms=0.5,count=1", cwd=tmp_path)
    assert served.get("/models")[0] == 429
    assert served.get("/models")[0] == 200
    served.stop()


@pytest.mark.parametrize("command", ["serve", "record"])
@pytest.mark.parametrize("upstream", ["notaurl", "ftp://example.com", "http://", "http://host:99999",
                                      "https://user@example.com", "http://example.com/api", "http://[::1"])
def test_a_bad_upstream_flag_is_a_usage_error(tmp_path, command, upstream):
    result = run_cli(command, "--upstream", upstream, *(["--cassette", "c"] if command == "record" else []),
                     cwd=tmp_path)
    assert (result.returncode, result.stderr.splitlines()[-1]) == (
        2, USAGE_ERROR.format(flag="--upstream", message=f"must be http(s)://host[:port], got {upstream!r}"))


def test_a_bad_redact_regex_flag_is_a_usage_error(tmp_path):
    result = run_cli("record", "--cassette", "c", "--redact-regex", "ok", "--redact-regex", "(", cwd=tmp_path)
    message = "must be a regular expression: missing ), unterminated subpattern at position 0, got '('"
    assert (result.returncode, result.stderr.splitlines()[-1]) == (
        2, USAGE_ERROR.format(flag="--redact-regex", message=message))


@pytest.mark.parametrize("text, where", [
    ("mode: fixture\nfaults:\n  - kind: error\n    status: abc\n",
     "3: faults[0]: status must be a whole number, got 'abc'"),
    ("faults:\n  - {status: 503}\n", "2: faults[0]: kind is required: one of latency, error, drop, reset, trickle"),
    ("faults:\n  - {kind: latency, latency_ms: slow}\n", "2: faults[0]: latency_ms must be a number, got 'slow'"),
    ("mode: fixture\nupstream: notaurl\n",
     "2: config.yaml: 'upstream' must be http(s)://host[:port], got 'notaurl'"),
    ("record:\n  mode: all\n  redact_regexes: ['(']\n",
     "3: record: 'redact_regexes' must be a regular expression: missing ), unterminated subpattern at position 0, "
     "got '('"),
    ("record:\n  redact_regexes: [5]\n", "2: record: 'redact_regexes' must be a regular expression as text, got 5"),
])
def test_a_bad_value_in_the_config_names_file_and_line(tmp_path, text, where):
    (tmp_path / "config.yaml").write_text(text)
    result = run_cli("serve", "--config", "config.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (1, f"Error: bad config: config.yaml:{where}")


@pytest.mark.parametrize("name, body, status, answer", [
    ("clock", {"seconds": 1e13}, 400, {"error": "seconds would move the clock past the year 9999"}),
    ("clock", {"seconds": 10**400}, 400, {"error": "seconds would move the clock past the year 9999"}),
    ("restore", {"snapshot": [1]}, 404, {"error": "no snapshot [1]"}),
])
async def test_other_admin_values_that_cannot_work_are_refused(api: Api, name, body, status, answer):
    response = await api.call("POST", f"/__mockplex/{name}", None, json_body=body)
    assert (response.status, json.loads(response.raw_body)) == (status, answer)
    assert (await api.get("/models", token=OAUTH)).status == 200


async def test_the_clock_cannot_be_moved_past_the_year_9999_in_steps(api: Api):
    for _ in range(8):
        response = await api.call("POST", "/__mockplex/clock", None, json_body={"seconds": 1e11 / 3})
    assert (response.status, json.loads(response.raw_body)) == (
        400, {"error": "seconds would move the clock past the year 9999"})
    assert (await api.get("/models", token=OAUTH)).status == 200
