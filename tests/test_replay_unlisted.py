"""Routes the real server has and the route table lacks: a cassette that recorded one
replays it behind the rules of the family its path belongs to, and record and passthrough
forward it; only a request nothing recorded gets the framework's 404."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import aiohttp
import yaml
from aiohttp import web
from conftest import DANA_SESSION, OAUTH, RW, SESSION_COOKIE, V1, Api, make_settings

from mockplex.app import build_app
from mockplex.recording.app import RecordSettings, build_record_app
from mockplex.replay.callers import stand_in_token
from mockplex.replay.route import ReplaySettings
from mockplex.responses import NOT_FOUND_HTML

SESSION = {"Cookie": f"{SESSION_COOKIE}={DANA_SESSION}"}
UNLISTED = ("/api/gadgets", "/api/gadgets/{id}/parts", f"{V1}/teams", f"{V1}/teams/{{id}}")
RECORDED_CALLS = [("/api/gadgets", SESSION), ("/api/gadgets/g1/parts", SESSION),
                  (f"{V1}/teams", {"Authorization": f"Bearer {RW}"}),
                  (f"{V1}/teams/t1", {"Authorization": f"Bearer {OAUTH}"})]


async def team_answer(request: web.Request) -> web.Response:
    return web.json_response({"path": request.path, "teams": [{"id": "t1", "name": "Harbor"}]})


def real_server() -> web.Application:
    """An upstream answering the routes the fixture world lacks."""
    app = web.Application()
    for template in UNLISTED:
        app.router.add_get(template, team_answer)
    return app


def origin(server) -> str:
    return f"http://127.0.0.1:{server.port}"


async def record_teams(aiohttp_server, tmp_path) -> tuple[Path, dict[str, bytes]]:
    """RECORDED_CALLS through the record proxy: the cassette, and each path's answer."""
    upstream = await aiohttp_server(real_server())
    cassette = tmp_path / "cassettes" / "teams.yaml"
    proxy = await aiohttp_server(build_record_app(RecordSettings(origin(upstream), cassette, "all")))
    answers = {}
    async with aiohttp.ClientSession() as client:
        for path, headers in RECORDED_CALLS:
            async with client.get(origin(proxy) + path, headers=headers) as response:
                answers[path] = await response.read()
    await proxy.close()
    return cassette, answers


async def replaying(aiohttp_client, tmp_path, cassette: Path, **settings) -> Api:
    replay = ReplaySettings(cassette, "teams", fallback=settings.pop("fallback", "error"))
    app = build_app(make_settings(tmp_path / "replay", default_mode=settings.pop("default_mode", "replay"),
                                  replay=replay, **settings))
    return Api(await aiohttp_client(app))


async def test_an_unlisted_web_app_route_replays_behind_the_session_rules(aiohttp_server, aiohttp_client, tmp_path):
    cassette, answers = await record_teams(aiohttp_server, tmp_path)
    api = await replaying(aiohttp_client, tmp_path, cassette)
    for path in ("/api/gadgets", "/api/gadgets/g1/parts"):
        replayed = await api.internal("GET", path)
        assert (replayed.status, replayed.headers["X-Mockplex-Source"], replayed.raw_body) == (200, "replay",
                                                                                               answers[path])
    unsigned = await api.internal("GET", "/api/gadgets", session=None)
    assert unsigned.status == 307 and "/login?next=%2Fapi%2Fgadgets" in unsigned.headers["Location"]
    pat = await api.internal("GET", "/api/gadgets", session=None, token=RW)  # not on the PAT allowlist
    assert pat.status == 307
    callers = yaml.safe_load(cassette.read_text())["metadata"]["mockplex"]["callers"]
    cookie_caller = next(name for name in callers if name.startswith("cookie:"))
    stand_in = stand_in_token(hashlib.sha256(cassette.read_bytes()).hexdigest(), cookie_caller)
    by_stand_in = await api.internal("GET", "/api/gadgets", session=stand_in)  # no session the world knows
    assert (by_stand_in.status, by_stand_in.raw_body) == (200, answers["/api/gadgets"])


async def test_an_unlisted_v1_route_replays_behind_the_bearer_rules(aiohttp_server, aiohttp_client, tmp_path):
    cassette, answers = await record_teams(aiohttp_server, tmp_path)
    api = await replaying(aiohttp_client, tmp_path, cassette)
    replayed = await api.call("GET", f"{V1}/teams", RW)
    assert (replayed.status, replayed.headers["X-Mockplex-Source"], replayed.raw_body) == (200, "replay",
                                                                                           answers[f"{V1}/teams"])
    refused = await api.call("GET", f"{V1}/teams", "mog_mockplexNeverIssued0000")
    assert refused.status == 401 and json.loads(refused.raw_body)["error"]["code"] == "UNAUTHORIZED"
    assert (await api.call("GET", f"{V1}/teams", None)).status == 307


def assert_framework_404(response) -> None:
    assert (response.status, response.raw_body) == (404, NOT_FOUND_HTML)
    assert (response.headers["Content-Type"], response.headers["X-Mockplex-Source"]) == (
        "text/html; charset=utf-8", "rules")


async def test_what_nothing_recorded_for_the_caller_gets_the_framework_404(aiohttp_server, aiohttp_client,
                                                                          tmp_path):
    cassette, _ = await record_teams(aiohttp_server, tmp_path)
    api = await replaying(aiohttp_client, tmp_path, cassette)
    fixture_world = Api(await aiohttp_client(build_app(make_settings(tmp_path / "fixture"))))
    for path in ("/api/never-recorded", "/api/gadgets"):
        assert_framework_404(await fixture_world.internal("GET", path))
    assert_framework_404(await api.internal("GET", "/api/never-recorded"))
    assert_framework_404(await api.internal("POST", "/api/gadgets"))  # recorded as GET only
    assert_framework_404(await api.call("GET", f"{V1}/teams", OAUTH))  # recorded by another caller
    assert_framework_404(await api.call("GET", f"{V1}/teams/t1", RW))
    assert (await api.call("GET", f"{V1}/teams/t1", OAUTH)).status == 200


async def test_an_unlisted_route_follows_the_mode_of_the_family_its_prefix_names(aiohttp_server, aiohttp_client,
                                                                                tmp_path):
    cassette, _ = await record_teams(aiohttp_server, tmp_path)
    api = await replaying(aiohttp_client, tmp_path, cassette, default_mode="fixture", family_modes={"v1": "replay"})
    assert (await api.call("GET", f"{V1}/teams", RW)).headers["X-Mockplex-Source"] == "replay"
    assert_framework_404(await api.internal("GET", "/api/gadgets"))  # under no family: the default mode


async def test_a_miss_on_a_recorded_unlisted_path_is_explained_or_the_framework_404(aiohttp_server, aiohttp_client,
                                                                                   tmp_path):
    cassette, _ = await record_teams(aiohttp_server, tmp_path)
    api = await replaying(aiohttp_client, tmp_path, cassette)
    missed = await api.internal("GET", "/api/gadgets?page=2")
    assert missed.status == 404 and json.loads(missed.raw_body)["error"].endswith(
        "closest recorded request: GET /api/gadgets (differs in query key 'page' (None recorded, '2' sent)); "
        "would match with --ignore-query page")
    falling_back = await replaying(aiohttp_client, tmp_path, cassette, fallback="fixture")
    assert_framework_404(await falling_back.internal("GET", "/api/gadgets?page=2"))


async def test_record_and_passthrough_forward_unlisted_routes(aiohttp_server, aiohttp_client, tmp_path):
    upstream = await aiohttp_server(real_server())
    passthrough = RecordSettings(origin(upstream), Path(os.devnull), "none")
    v1_passes = Api(await aiohttp_client(build_app(make_settings(
        tmp_path / "pass", family_modes={"v1": "passthrough"}, forwarding=passthrough))))
    forwarded = await v1_passes.call("GET", f"{V1}/teams", RW)
    assert (forwarded.status, forwarded.headers["X-Mockplex-Source"]) == (200, "passthrough")
    assert_framework_404(await v1_passes.internal("GET", "/api/gadgets"))  # under no family: fixture
    cassette = tmp_path / "served" / "teams.yaml"
    recording = Api(await aiohttp_client(build_app(make_settings(
        tmp_path / "record", default_mode="record", forwarding=RecordSettings(origin(upstream), cassette, "all")))))
    recorded = await recording.internal("GET", "/api/gadgets/g1/parts")
    assert (recorded.status, recorded.headers["X-Mockplex-Source"]) == (200, "record")
    await recording.client.close()
    assert [item["request"]["uri"] for item in yaml.safe_load(cassette.read_text())["interactions"]] == [
        f"{origin(upstream)}/api/gadgets/g1/parts"]
