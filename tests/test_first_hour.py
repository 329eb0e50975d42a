"""What a newcomer meets in their first hour, through the real CLI: each rough edge a
user reported, smoothed."""

from __future__ import annotations

import json
import urllib.request

from conftest import RW, WEB_REPO
from test_cli import Served


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
