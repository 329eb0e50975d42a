"""Same seed + same requests → byte-identical answers, across two server instances."""

from __future__ import annotations

from conftest import WEB_REPO, Api, make_settings

from mockplex.app import build_app

VOLATILE = {"Date"}


async def transcript(aiohttp_client, tmp_path, seed: int) -> list[tuple]:
    app = build_app(make_settings(tmp_path, "step:3", seed=seed))
    api = Api(await aiohttp_client(app))
    start = {"repoId": WEB_REPO, "prompt": "Make the build green", "createBranch": True}
    answers = []
    first = await api.start_run(start, key="det-1")
    run_id = (await first.json())["data"]["runId"]
    answers.append(first)
    answers.append(await api.post("/sandboxes", {"repoId": WEB_REPO, "workingBranch": "agent/det"}))
    for _ in range(6):
        answers.append(await api.get(f"/runs/{run_id}/events"))
    answers.append(await api.post(f"/runs/{run_id}/cancel"))
    answers.append(await api.start_run(start, key="det-1"))
    answers.append(await api.get("/sandboxes"))
    return [(r.status, r.raw_body, tuple((k, v) for k, v in r.headers.items() if k not in VOLATILE))
            for r in answers]


async def test_same_seed_same_requests_same_bytes(aiohttp_client, tmp_path):
    first = await transcript(aiohttp_client, tmp_path / "a", seed=42)
    second = await transcript(aiohttp_client, tmp_path / "b", seed=42)
    assert first == second
    different = await transcript(aiohttp_client, tmp_path / "c", seed=43)
    assert different != first
