"""Replaying a test suite that sends random ids and keys: each knob makes a request match
that otherwise misses, and a miss names the knob that would have matched it."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import aiohttp
from aiohttp import web
from conftest import OAUTH, RW, V1, WEB_REPO, Api, make_settings
from test_cli import Served

from mockplex.app import build_app
from mockplex.config import load_config
from mockplex.world.fixtures import FixtureError
from mockplex.recording.app import RecordSettings, build_record_app
from mockplex.replay.route import ReplaySettings
from mockplex.replay.store import Matching

START = {"repoId": WEB_REPO, "prompt": "Fix the flaky test"}


def numbering_server() -> web.Application:
    """An upstream whose every answer says which call it was."""
    calls = itertools.count(1)

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"call": next(calls)})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


async def record(aiohttp_server, tmp_path, calls) -> Path:
    """`calls` — (method, path, token, body, Idempotency-Key) — through the record proxy."""
    upstream = await aiohttp_server(numbering_server())
    cassette = tmp_path / "cassettes" / "knobs.yaml"
    proxy = await aiohttp_server(build_record_app(RecordSettings(f"http://127.0.0.1:{upstream.port}", cassette,
                                                                 "all")))
    async with aiohttp.ClientSession() as client:
        for method, path, token, body, key in calls:
            headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
            async with client.request(method, f"http://127.0.0.1:{proxy.port}{path}", json=body, headers=headers):
                pass
    await proxy.close()
    return cassette


async def replaying(aiohttp_client, tmp_path, cassette: Path, matching: Matching) -> Api:
    settings = make_settings(tmp_path / "replay", default_mode="replay",
                             replay=ReplaySettings(cassette, "knobs", matching=matching))
    return Api(await aiohttp_client(build_app(settings)))


def answered_call(response) -> int:
    assert response.headers["X-Mockplex-Source"] == "replay", response.raw_body
    return json.loads(response.raw_body)["call"]


def miss_message(response) -> str:
    assert response.status == 404
    return json.loads(response.raw_body)["error"]["message"]


async def test_ignore_header_leaves_a_random_idempotency_key_out_of_the_match(aiohttp_server, aiohttp_client,
                                                                              tmp_path):
    cassette = await record(aiohttp_server, tmp_path, [("POST", f"{V1}/runs", RW, START, "uuid-recorded")])
    strict = await replaying(aiohttp_client, tmp_path, cassette, Matching())
    missed = await strict.post("/runs", START, headers={"Idempotency-Key": "uuid-random"})
    assert miss_message(missed).endswith("(differs in Idempotency-Key ('uuid-recorded' recorded, 'uuid-random' sent)); "
                                         "would match with --ignore-header Idempotency-Key")
    ignoring = await replaying(aiohttp_client, tmp_path, cassette,
                               Matching(ignore_headers=frozenset({"Idempotency-Key"})))
    assert answered_call(await ignoring.post("/runs", START, headers={"Idempotency-Key": "uuid-random"})) == 1
    keyless = await ignoring.post("/runs", START)
    assert (keyless.status, json.loads(keyless.raw_body)["error"]["message"]) == (400, "Idempotency-Key is required")


async def test_ignore_query_leaves_a_cache_buster_out_of_the_match(aiohttp_server, aiohttp_client, tmp_path):
    cassette = await record(aiohttp_server, tmp_path, [("GET", f"{V1}/repos?limit=2&t=1111", RW, None, None)])
    strict = await replaying(aiohttp_client, tmp_path, cassette, Matching())
    assert miss_message(await strict.get("/repos?t=2222&limit=2")).endswith(
        "(differs in query key 't' ('1111' recorded, '2222' sent)); would match with --ignore-query t")
    ignoring = await replaying(aiohttp_client, tmp_path, cassette, Matching(ignore_query=frozenset({"t"})))
    assert answered_call(await ignoring.get("/repos?t=2222&limit=2")) == 1
    assert miss_message(await ignoring.get("/repos?t=2222&limit=3")).endswith("would match with --ignore-query limit")


async def test_a_miss_on_a_name_holding_a_newline_is_still_answered(aiohttp_server, aiohttp_client, tmp_path):
    """The diagnostic names what differed; a name no header may carry is escaped there."""
    cassette = await record(aiohttp_server, tmp_path, [("GET", f"{V1}/repos?limit=2", RW, None, None)])
    strict = await replaying(aiohttp_client, tmp_path, cassette, Matching())
    missed = await strict.get("/repos?limit=2&a%0Ab=1")
    assert "query key 'a\\nb'" in miss_message(missed)
    assert "query key 'a\\nb'" in missed.headers["X-Mockplex-Error"]


async def test_ignore_field_leaves_a_random_name_out_of_the_match(aiohttp_server, aiohttp_client, tmp_path):
    recorded_body = {"name": "nightly-4f1c", "trigger": {"type": "manual"}}
    cassette = await record(aiohttp_server, tmp_path, [("POST", f"{V1}/automations", RW, recorded_body, None)])
    sent = {**recorded_body, "name": "nightly-9b0e"}
    strict = await replaying(aiohttp_client, tmp_path, cassette, Matching())
    assert miss_message(await strict.post("/automations", sent)).endswith(
        "(differs in body field 'name'); would match with --ignore-field name")
    ignoring = await replaying(aiohttp_client, tmp_path, cassette, Matching(ignore_fields=frozenset({"name"})))
    assert answered_call(await ignoring.post("/automations", sent)) == 1


async def test_ordered_answers_each_caller_in_recorded_order_whatever_its_ids(aiohttp_server, aiohttp_client,
                                                                               tmp_path):
    cassette = await record(aiohttp_server, tmp_path, [
        ("GET", f"{V1}/runs/run-a", RW, None, None), ("GET", f"{V1}/runs/run-b", RW, None, None),
        ("GET", f"{V1}/runs/run-c", OAUTH, None, None)])
    strict = await replaying(aiohttp_client, tmp_path, cassette, Matching())
    run_route = f"GET {V1}/runs/{{runId}}"
    assert miss_message(await strict.get("/runs/run-x")).endswith(f"would match with --ordered '{run_route}'")
    ordered = await replaying(aiohttp_client, tmp_path, cassette, Matching(ordered=frozenset({run_route})))
    assert answered_call(await ordered.get("/runs/run-z", token=OAUTH)) == 3
    assert [answered_call(await ordered.get(f"/runs/{run}?attempt={run}")) for run in ("x", "y", "w")] == [1, 2, 2]


async def test_a_knob_flag_through_the_real_cli(aiohttp_server, tmp_path):
    cassette = await record(aiohttp_server, tmp_path, [("GET", f"{V1}/repos?t=1111", RW, None, None)])
    served = Served("--mode", "replay", "--cassette", "knobs", "--cassette-dir", str(cassette.parent),
                    "--ignore-query", "t", "--quiet", cwd=tmp_path)
    try:
        status, body = served.get("/repos?t=2222")
        assert (status, json.loads(body)) == (200, {"call": 1})
    finally:
        served.stop()


def test_the_knobs_in_mockplex_yaml(tmp_path):
    (tmp_path / "mockplex.yaml").write_text(
        "replay:\n  ignore_headers: [idempotency-key]\n  ignore_query: [t]\n"
        f"  ordered: ['POST {V1}/runs']\n")
    replay = load_config(tmp_path / "mockplex.yaml").replay
    assert (replay["ignore_headers"], replay["ignore_query"], replay["ordered"]) == (
        ["Idempotency-Key"], ["t"], [f"POST {V1}/runs"])
    (tmp_path / "mockplex.yaml").write_text("replay:\n  ignore_fields: [[name]]\n")
    try:
        load_config(tmp_path / "mockplex.yaml")
    except FixtureError as error:
        assert "ignore_fields" in str(error) and "must be a body field name" in str(error)
    else:
        raise AssertionError("a field name that is a list was accepted")
