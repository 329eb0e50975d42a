"""What a newcomer meets in their first hour, through the real CLI: each rough edge a
user reported, smoothed."""

from __future__ import annotations

import json
import shutil
import urllib.request

import pytest
from conftest import EXAMPLES, RW, WEB_REPO
from test_cli import Served, run_cli


def start_run(served: Served, key: str) -> bytes:
    request = urllib.request.Request(
        served.base_url + "/runs", data=json.dumps({"repoId": WEB_REPO, "prompt": "Tidy the README"}).encode(),
        headers={"Authorization": f"Bearer {RW}", "Idempotency-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def test_a_seed_alone_gives_two_servers_the_same_bytes(tmp_path):
    """--seed without --clock starts the deterministic step clock, so timestamps agree too."""
    answers, banners = [], []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        served = Served("--seed", "7", "--quiet", cwd=tmp_path / name)
        banners.append("".join(served.banner))
        answers.append([start_run(served, "seeded-1"), served.get("/sandboxes")[1]])
        served.stop()
    assert answers[0] == answers[1]
    assert "seed 7 | clock step 1s" in banners[0]


def test_without_a_seed_the_clock_is_the_real_one(tmp_path):
    served = Served("--quiet", cwd=tmp_path)
    banner = "".join(served.banner)
    served.stop()
    assert "seed 0 | clock real" in banner


@pytest.fixture
def project(tmp_path):
    """A folder with the shipped example cassettes in `cassettes/`, as a user's project has."""
    shutil.copytree(EXAMPLES, tmp_path / "cassettes")
    return tmp_path


@pytest.mark.parametrize("given", ["catalog", "catalog.yaml", "cassettes/catalog.yaml"])
def test_a_cassette_given_is_served_as_a_name_or_a_path(project, given):
    served = Served("--cassette", given, "--quiet", cwd=project)
    banner = "".join(served.banner)
    status, _ = served.get("/models")
    served.stop()
    assert "v1=replay" in banner and "replaying " in banner and str(project / "cassettes" / "catalog.yaml") in banner
    assert status == 200


def test_a_cassette_with_a_mode_that_never_reads_it_is_a_clear_error(project):
    ran = run_cli("serve", "--cassette", "catalog", "--mode", "fixture", "--port", "0", cwd=project)
    assert ran.returncode == 2
    assert ("Invalid value for --cassette: a cassette is read only in replay or record mode, and every route "
            "here is answered by fixture: drop --mode, or give --mode replay") in ran.stderr


@pytest.mark.parametrize("given", ["catalog", "cassettes/catalog.yaml"])
def test_cassettes_show_takes_a_name_or_a_path(project, given):
    ran = run_cli("cassettes", "show", given, cwd=project)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[0].split() == ["#", "method", "request", "status", "body"]


def test_an_unknown_config_key_lists_the_known_ones(tmp_path):
    (tmp_path / "mockplex.yaml").write_text("familys:\n  v1: replay\n")
    ran = run_cli("serve", "--config", "mockplex.yaml", "--port", "0", cwd=tmp_path)
    assert ran.returncode == 1
    assert ran.stderr.strip().endswith(
        "Error: bad config: mockplex.yaml:1: mockplex.yaml: unknown field 'familys'; known: cassette, cassette_dir, "
        "families, faults, mode, record, replay, routes, upstream")
