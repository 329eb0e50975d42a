"""The pytest plugin, exercised the way a user meets it: pytest's own pytester runs a
user's test file in a fresh pytest process."""

from __future__ import annotations

import importlib.metadata
import shutil

import pytest
from conftest import REPO_ROOT

REGISTERED = any(entry.name == "mockplex" for entry in importlib.metadata.entry_points(group="pytest11"))
PLUGIN_ARGS = () if REGISTERED else ("-p", "mockplex.pytest_plugin")

USER_TESTS = '''
import json
import urllib.request

import pytest


def get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def post(url, token, body, key):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_lists_repos(mockplex):
    status, body = get(f"{mockplex.v1_url}/repos?limit=2", mockplex.tokens["read_write"])
    assert status == 200 and len(body["data"]["repos"]) == 2


def test_world_is_reset_between_tests_one(mockplex):
    post(f"{mockplex.v1_url}/runs", mockplex.tokens["read_write"],
         {"repoId": "0b6c4d2e-7a1f-4e3b-9c5d-8f2a6b1e3c70", "prompt": "p"}, "same-key")
    assert mockplex.verify(method="POST", path="/api/v1/mogplex/runs") == 1


def test_world_is_reset_between_tests_two(mockplex):
    run = post(f"{mockplex.v1_url}/runs", mockplex.tokens["read_write"],
               {"repoId": "0b6c4d2e-7a1f-4e3b-9c5d-8f2a6b1e3c70", "prompt": "different"}, "same-key")
    assert run["data"]["replayed"] is False  # the key from the other test is gone
    assert len(mockplex.journal()) == 1


def test_faults_through_the_handle(mockplex):
    mockplex.add_fault(kind="error", status=503, family="v1", count=1)
    assert get(f"{mockplex.v1_url}/models", mockplex.tokens["oauth"])[0] == 503
    assert get(f"{mockplex.v1_url}/models", mockplex.tokens["oauth"])[0] == 200


@pytest.mark.mockplex(seed=7, faults=[{"kind": "error", "status": 429, "retry_after": 2}])
def test_marker_gives_a_server_of_its_own(mockplex):
    status, body = get(f"{mockplex.v1_url}/repos", mockplex.tokens["oauth"])
    assert status == 429 and body["error"]["code"] == "RATE_LIMITED"


@pytest.mark.mockplex(cassette="examples/catalog")
def test_replays_a_cassette(mockplex):
    status, body = get(f"{mockplex.v1_url}/repos?limit=20", mockplex.tokens["read_write"])
    assert status == 200
    assert mockplex.journal()[-1]["mode"] == "replay"
    status, _ = get(f"{mockplex.v1_url}/repos?limit=3", mockplex.tokens["read_write"])
    assert status == 404  # not recorded
'''


@pytest.fixture
def user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    shutil.copytree(REPO_ROOT / "cassettes" / "examples", pytester.path / "cassettes" / "examples")
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester


def test_the_plugin_in_a_users_suite(user_project):
    result = user_project.runpytest_subprocess(*PLUGIN_ARGS, "-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


def test_the_plugin_adds_no_warnings_to_a_users_run(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.makepyfile(test_quiet='''
import pytest

@pytest.mark.mockplex(seed=3)
def test_a_server_of_its_own(mockplex):
    assert mockplex.port

def test_after_it_a_plain_test():
    pass  # the previous server is collected here: it must have closed everything it opened
''')
    result = pytester.runpytest_subprocess(*PLUGIN_ARGS, "-q", "-p", "no:cacheprovider", "-W", "default",
                                           "-o", "asyncio_default_fixture_loop_scope=function")
    result.assert_outcomes(passed=2, warnings=0)


def test_the_plugin_under_xdist(user_project):
    pytest.importorskip("xdist")
    result = user_project.runpytest_subprocess(*PLUGIN_ARGS, "-q", "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


def test_forcing_a_mode_for_the_run(user_project):
    result = user_project.runpytest_subprocess(*PLUGIN_ARGS, "-q", "--mockplex-mode", "fixture",
                                               "-k", "replays_a_cassette", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)  # forced to fixture, the unrecorded request answers 200


def test_recording_a_marked_test_against_an_upstream(pytester, monkeypatch):
    from test_cli import Served

    upstream = Served("--clock", "frozen", "--quiet", cwd=pytester.path)
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    monkeypatch.setenv("MOCKPLEX_UPSTREAM", upstream.base_url.rsplit("/api/v1/mogplex", 1)[0])
    pytester.makepyfile(test_rec='''
import urllib.request
import pytest

@pytest.mark.mockplex(cassette="mine/agents")
def test_agents(mockplex):
    request = urllib.request.Request(f"{mockplex.v1_url}/agents",
                                     headers={"Authorization": "Bearer mog_mockplexDevReadWrite0001"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
''')
    recorded = pytester.runpytest_subprocess(*PLUGIN_ARGS, "-q", "--mockplex-record", "-p", "no:cacheprovider")
    recorded.assert_outcomes(passed=1)
    upstream.stop()
    cassette = pytester.path / "cassettes" / "mine" / "agents.yaml"
    assert cassette.exists() and b"mog_mockplexDev" not in cassette.read_bytes()
    replayed = pytester.runpytest_subprocess(*PLUGIN_ARGS, "-q", "-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=1)  # now offline, from the cassette
