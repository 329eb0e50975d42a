"""Per-family and per-route modes, from flags and from mockplex.yaml."""

from __future__ import annotations

import json
import urllib.request

import pytest
from conftest import OAUTH, RW
from test_cli import Served, run_cli


def get(url: str, token: str = OAUTH) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_record_then_replay_through_serve_with_a_config_file(tmp_path):
    upstream = Served("--clock", "frozen", "--quiet", cwd=tmp_path)
    origin = upstream.base_url.rsplit("/api/v1/mogplex", 1)[0]
    (tmp_path / "record.yaml").write_text(
        f"mode: fixture\nupstream: {origin}\ncassette: shared\nfamilies:\n  v1: record\n"
        "routes:\n  'GET /api/v1/mogplex/agents': fixture\nrecord:\n  mode: all\n")
    recorder = Served("--config", "record.yaml", cwd=tmp_path)
    banner = "".join(recorder.banner)
    assert "v1=record" in banner and "GET /api/v1/mogplex/agents = fixture" in banner and "config: record.yaml" in banner
    status, headers, recorded = get(f"{recorder.base_url}/repos?limit=2")
    assert status == 200 and headers["X-Mockplex-Source"] == "record"
    assert get(f"{recorder.base_url}/agents")[1]["X-Mockplex-Source"] == "fixture"
    recorder.stop()
    upstream.stop()
    replayer = Served("--mode", "replay", "--cassette", "shared", "--family", "identity=fixture", cwd=tmp_path)
    status, headers, replayed = get(f"{replayer.base_url}/repos?limit=2")
    assert (status, headers["X-Mockplex-Source"], replayed) == (200, "replay", recorded)
    assert get(f"{replayer.base_url}/repos?limit=2", token="mog_mockplexDevRevoked000001")[0] == 401
    status, headers, body = get(f"{replayer.base_url}/repos?limit=9")
    assert status == 404 and "not recorded in cassette 'shared'" in json.loads(body)["error"]["message"]
    replayer.stop()


def test_passthrough_forwards_without_recording(tmp_path):
    upstream = Served("--clock", "frozen", "--quiet", cwd=tmp_path)
    origin = upstream.base_url.rsplit("/api/v1/mogplex", 1)[0]
    proxy = Served("--mode", "passthrough", "--upstream", origin, cwd=tmp_path)
    status, headers, _ = get(f"{proxy.base_url}/models", token=RW)
    assert status == 200 and headers["X-Mockplex-Source"] == "passthrough"
    proxy.stop()
    upstream.stop()
    assert not (tmp_path / "cassettes").exists()


@pytest.mark.parametrize("text, message", [
    ("mode: replayed\n", "config.yaml:1: config.yaml: 'mode' must be one of fixture, replay, record, passthrough"),
    ("families:\n  runtimes: replay\n", "config.yaml:2: families: unknown family 'runtimes'"),
    ("families:\n  v1: later\n", "config.yaml:2: families: 'v1' must be one of fixture, replay, record, passthrough"),
    ("routes:\n  'GET /api/v1/mogplex/nope': fixture\n", "config.yaml:2: routes: unknown route 'GET /api/v1/mogplex/nope'"),
    ("replay:\n  on_exhausted: loop\n", "config.yaml:2: replay: 'on_exhausted' must be one of repeat, fail"),
    ("replay:\n  ignore_headers: [X-Request-Id]\n",
     "config.yaml:2: replay: 'ignore_headers' must be Idempotency-Key, the one request header replay matches on"),
    ("replay:\n  ignore_query: [7]\n", "config.yaml:2: replay: 'ignore_query' must be a query key, got 7"),
    ("mode: replay\nreplay:\n  ordered: ['GET /api/teams']\n",
     "config.yaml:3: replay: 'ordered' must be a route as `mockplex routes` prints it"),
    ("colour: blue\n", "config.yaml:1: config.yaml: unknown field 'colour'"),
])
def test_a_wrong_key_or_value_fails_fast_with_file_and_line(tmp_path, text, message):
    (tmp_path / "config.yaml").write_text(text)
    result = run_cli("serve", "--config", "config.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--mode", "replay"], "replaying or recording needs --cassette NAME"),
    (["--mode", "replay", "--cassette", "missing"], "no cassette at"),
    (["--family", "v2=replay"], "expected FAMILY=MODE"),
    (["--mode", "replay", "--cassette", "../x"], "invalid cassette name"),
    (["--ignore-header", "X-Request-Id"], "must be Idempotency-Key"),
    (["--ordered", "POST /api/v1/mogplex/run"], "must be a route as `mockplex routes` prints it"),
])
def test_bad_mode_flags_are_explained(tmp_path, args, message):
    result = run_cli("serve", *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr


def test_faults_from_flags_and_from_the_config_file(tmp_path):
    (tmp_path / "faults.yaml").write_text("faults:\n  - {kind: error, status: 503, family: v1, count: 1}\n")
    served = Served("--config", "faults.yaml", "--fault", "kind=error,status=429,retry_after=5,route=GET /api/v1/mogplex/models",
                    cwd=tmp_path)
    assert get(f"{served.base_url}/repos")[0] == 503
    assert get(f"{served.base_url}/repos")[0] == 200
    status, headers, _ = get(f"{served.base_url}/models")
    assert (status, headers["Retry-After"]) == (429, "5")
    served.stop()


@pytest.mark.parametrize("args, where, message", [
    (["--fault", "kind=boom"], "stderr", "kind must be one of"),
])
def test_bad_fault_flags(tmp_path, args, where, message):
    result = run_cli("serve", *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr


def test_bad_fault_rules_in_the_config_name_the_line(tmp_path):
    (tmp_path / "faults.yaml").write_text("mode: fixture\nfaults:\n  - kind: error\n    status: 200\n")
    result = run_cli("serve", "--config", "faults.yaml", cwd=tmp_path)
    assert result.returncode == 1 and "faults.yaml:3: faults[0]: status must be an HTTP error status" in result.stderr


def test_flags_win_over_the_config_file_which_wins_over_the_defaults(tmp_path):
    from mockplex.choices import Choices, assemble

    (tmp_path / "modes.yaml").write_text("mode: passthrough\nupstream: http://127.0.0.1:1\nrecord:\n  mode: all\n"
                                         "families:\n  runtime: fixture\n")
    settings = assemble(Choices(config_path=tmp_path / "modes.yaml", family_modes=("runtime=record",),
                                cassette="mine", cassette_dir=tmp_path, record_mode="new_episodes"))
    assert (settings.default_mode, settings.family_modes["runtime"]) == ("passthrough", "record")
    assert (settings.forwarding.upstream, settings.forwarding.mode) == ("http://127.0.0.1:1", "new_episodes")
    assert settings.forwarding.cassette == (tmp_path / "mine.yaml").resolve()
    defaults = assemble(Choices())
    assert (defaults.default_mode, defaults.replay, defaults.forwarding) == ("fixture", None, None)


def test_a_choice_that_cannot_be_served_names_its_flag():
    from mockplex.choices import ChoiceError, Choices, assemble

    with pytest.raises(ChoiceError, match="needs --cassette NAME") as raised:
        assemble(Choices(mode="record"))
    assert raised.value.flag == "--cassette"
