"""Replay mode: recorded answers served back, with the local rules still in force."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import stat
import sys
import time
import zlib
from dataclasses import replace

import pytest
import vcr.serialize
import yaml
from aiohttp import web
from conftest import OAUTH, READ_ONLY, RW, V1, WEB_REPO, Api, drip_events, make_settings
from test_cli import Served
from vcr.request import Request
from vcr.serializers import yamlserializer

from mockplex.app import build_app
from mockplex.recording.app import RecordSettings, build_record_app
from mockplex.replay.index import MAGIC, index_path, read_index, write_index
from mockplex.replay.recorded import Recorded
from mockplex.replay.route import ReplaySettings
from mockplex.replay.store import Matching, load_store

START = {"repoId": WEB_REPO, "prompt": "Fix the flaky test", "createBranch": True}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def record(aiohttp_server, aiohttp_client, tmp_path, upstream_app, script):
    """Run `script(client)` through a record proxy in front of `upstream_app`; returns
    (cassette path, what the client saw)."""
    upstream = await aiohttp_server(upstream_app)
    path = tmp_path / "cassettes" / "session.yaml"
    proxy = await aiohttp_client(build_record_app(RecordSettings(f"http://127.0.0.1:{upstream.port}", path, "all")))
    seen = await script(proxy)
    await proxy.close()
    return path, seen


async def replayer(aiohttp_client, tmp_path, path, **replay_options) -> Api:
    settings = make_settings(tmp_path / "replay", "frozen", default_mode="replay",
                             replay=ReplaySettings(path, "session", **replay_options))
    return Api(await aiohttp_client(build_app(settings)))


async def lifecycle(client) -> list[tuple[int, bytes]]:
    seen = []

    async def call(method, path, **kwargs):
        response = await client.request(method, path, **kwargs)
        seen.append((response.status, await response.read()))
        return json.loads(seen[-1][1]) if seen[-1][1] else None

    started = await call("POST", f"{V1}/runs", json=START, headers={**bearer(RW), "Idempotency-Key": "life-1"})
    run_id = started["data"]["runId"]
    for _ in range(4):
        await call("GET", f"{V1}/runs/{run_id}/events", headers=bearer(RW))
    await call("POST", f"{V1}/runs/{run_id}/cancel", headers=bearer(RW))
    await call("GET", f"{V1}/runs/{run_id}", headers=bearer(RW))
    return seen


async def test_a_run_lifecycle_replays_byte_for_byte(aiohttp_server, aiohttp_client, tmp_path):
    upstream = build_app(make_settings(tmp_path / "up", "step:2"))
    path, recorded = await record(aiohttp_server, aiohttp_client, tmp_path, upstream, lifecycle)
    api = await replayer(aiohttp_client, tmp_path, path)
    replayed = await lifecycle(api.client)
    assert replayed == recorded
    statuses = [json.loads(body)["data"]["run"]["status"] for _, body in recorded[1:5]]
    assert statuses[0] == "pending" and statuses[-1] == "streaming"  # the polls advanced, in order


async def test_local_rules_override_recorded_successes(aiohttp_server, aiohttp_client, tmp_path):
    upstream = build_app(make_settings(tmp_path / "up", "frozen"))
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, upstream, lifecycle)
    api = await replayer(aiohttp_client, tmp_path, path)
    forbidden = await api.post("/runs", START, token=READ_ONLY, headers={"Idempotency-Key": "life-1"})
    assert forbidden.status == 403
    assert json.loads(forbidden.raw_body)["error"]["code"] == "FORBIDDEN"
    no_key = await api.post("/runs", START)
    assert (no_key.status, json.loads(no_key.raw_body)["error"]["message"]) == (400, "Idempotency-Key is required")
    assert (await api.post("/runs", START, token=None, headers={"Idempotency-Key": "life-1"})).status == 307
    assert (await api.post("/runs", START, token="mog_nope", headers={"Idempotency-Key": "life-1"})).status == 401
    replayed = await api.post("/runs", START, headers={"Idempotency-Key": "life-1"})
    assert replayed.status == 202 and replayed.headers["X-Mockplex-Source"] == "replay"


async def test_an_index_built_without_the_route_table_still_matches_idempotency_keys(aiohttp_server,
                                                                                    aiohttp_client, tmp_path):
    """The cached index is keyed by the cassette alone, so what it holds must not depend on
    who built it first (a tool that loads the cassette without knowing the routes)."""


    upstream = build_app(make_settings(tmp_path / "up", "frozen"))
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, upstream, lifecycle)
    load_store(path, "session", Matching(), "repeat")  # builds and caches the index first
    api = await replayer(aiohttp_client, tmp_path, path)
    assert (await api.post("/runs", START, headers={"Idempotency-Key": "life-1"})).status == 202
    other_key = await api.post("/runs", START, headers={"Idempotency-Key": "life-2"})
    assert other_key.status == 404 and "Idempotency-Key" in json.loads(other_key.raw_body)["error"]["message"]


async def test_a_slow_cold_load_says_so_and_a_warm_one_is_quiet(aiohttp_server, aiohttp_client, tmp_path,
                                                                monkeypatch, capfd):
    """A first load that outlasts SLOW_LOAD_SECONDS prints one line, so it is not taken for
    a hang; the second load reads the index and prints nothing."""
    from mockplex.replay import store

    upstream = build_app(make_settings(tmp_path / "up", "frozen"))
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, upstream, lifecycle)
    parse = store._parse
    monkeypatch.setattr(store, "SLOW_LOAD_SECONDS", 0.05)
    monkeypatch.setattr(store, "_parse", lambda *args: (time.sleep(0.3), parse(*args))[1])  # a big cassette's pace
    load_store(path, "session", Matching(), "repeat")
    assert f"mockplex: reading {path} (" in capfd.readouterr().err
    load_store(path, "session", Matching(), "repeat")
    time.sleep(0.1)
    assert capfd.readouterr().err == ""


async def repos_script(client):
    await client.get(f"{V1}/repos?limit=2", headers=bearer(OAUTH))
    return []


async def test_a_miss_says_what_came_closest(aiohttp_server, aiohttp_client, tmp_path):
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, build_app(make_settings(tmp_path / "up")),
                           repos_script)
    api = await replayer(aiohttp_client, tmp_path, path)
    missed = await api.get("/repos?limit=5", token=OAUTH)
    assert missed.status == 404
    error = json.loads(missed.raw_body)["error"]
    assert error["code"] == "NOT_FOUND"
    assert error["message"] == (
        "mockplex: GET /api/v1/mogplex/repos was not recorded in cassette 'session'; closest recorded request: "
        "GET /api/v1/mogplex/repos (differs in query key 'limit' ('2' recorded, '5' sent)); "
        "would match with --ignore-query limit")
    assert missed.headers["X-Mockplex-Error"].startswith("not-recorded: cassette session")
    internal = await api.internal("GET", "/api/settings")
    assert list(json.loads(internal.raw_body)) == ["error"] and internal.status == 404
    fallback = await replayer(aiohttp_client, tmp_path, path, fallback="fixture")
    from_world = await fallback.get("/repos?limit=5", token=OAUTH)
    assert from_world.status == 200 and from_world.headers["X-Mockplex-Source"] == "fixture"
    assert (await fallback.get("/repos?limit=2", token=OAUTH)).headers["X-Mockplex-Source"] == "replay"


async def poll_script(client):
    started = await client.post(f"{V1}/runs", json=START, headers={**bearer(RW), "Idempotency-Key": "poll"})
    run_id = (await started.json())["data"]["runId"]
    return [await (await client.get(f"{V1}/runs/{run_id}", headers=bearer(RW))).read() for _ in range(3)] + [run_id]


async def test_repeats_play_in_order_then_repeat_or_fail(aiohttp_server, aiohttp_client, tmp_path):
    upstream = build_app(make_settings(tmp_path / "up", "step:2"))
    path, seen = await record(aiohttp_server, aiohttp_client, tmp_path, upstream, poll_script)
    *bodies, run_id = seen
    repeating = await replayer(aiohttp_client, tmp_path, path)
    got = [(await repeating.get(f"/runs/{run_id}")).raw_body for _ in range(4)]
    assert got == bodies + [bodies[-1]]
    failing = await replayer(aiohttp_client, tmp_path, path, on_exhausted="fail")
    statuses = [(await failing.get(f"/runs/{run_id}")).status for _ in range(4)]
    assert statuses == [200, 200, 200, 404]


async def mcp_script(client):
    response = await client.post(f"{V1}/mcp", headers=bearer(RW), json={
        "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "mogplex_list_repos", "arguments": {"limit": 1}}})
    return [await response.read()]


async def test_mcp_answers_carry_the_callers_id(aiohttp_server, aiohttp_client, tmp_path):
    path, seen = await record(aiohttp_server, aiohttp_client, tmp_path, build_app(make_settings(tmp_path / "up")),
                              mcp_script)
    api = await replayer(aiohttp_client, tmp_path, path)
    response = await api.call("POST", f"{V1}/mcp", RW, json_body={
        "jsonrpc": "2.0", "id": "abc", "method": "tools/call",
        "params": {"name": "mogplex_list_repos", "arguments": {"limit": 1}}})
    answer = json.loads(response.raw_body)
    assert answer["id"] == "abc"
    assert answer["result"] == json.loads(seen[0])["result"]


PROTECTED_RESOURCE = "/.well-known/oauth-protected-resource"


async def repos_and_discovery_script(client):
    """Both recorded by one caller: a v1 route, whose rules look the caller up, and a
    public one, whose rules resolve no caller."""
    answers = []
    for path in (f"{V1}/repos", PROTECTED_RESOURCE):
        response = await client.get(path, headers=bearer(RW))
        answers.append(await response.read())
    return answers


@pytest.mark.parametrize("token, repos_status, discovery_status", [
    (OAUTH, 200, 200), ("mog_madeUpNeverIssued0000000", 401, 404), (None, 307, 404)])
async def test_a_credential_no_one_recorded_with_is_answered_from_the_recordings_when_the_world_accepts_it(
        aiohttp_server, aiohttp_client, tmp_path, token, repos_status, discovery_status):
    """The dev OAuth token was not recorded, but the world accepts it: it is answered from
    what was recorded, on a v1 route (its rules resolved it) and on a public one (replay asks
    the world). A made-up token, like no token, is no one's caller: the v1 route refuses it
    (no bearer at all meets the edge gate's login redirect), and the public route has
    nothing recorded without a credential."""
    path, seen = await record(aiohttp_server, aiohttp_client, tmp_path, build_app(make_settings(tmp_path / "up")),
                              repos_and_discovery_script)
    api = await replayer(aiohttp_client, tmp_path, path)
    repos = await api.get("/repos", token)
    discovery = await api.call("GET", PROTECTED_RESOURCE, token)
    assert (repos.status, discovery.status) == (repos_status, discovery_status)
    if token == OAUTH:  # the discovery document names the origin it was asked at: here, the replayer's
        assert (repos.raw_body, discovery.raw_body) == (seen[0], seen[1].replace(
            re.search(rb"http://127\.0\.0\.1:\d+", seen[1]).group(), api.origin.encode()))
    else:
        assert discovery.headers["X-Mockplex-Error"].startswith("not-recorded: cassette session")


async def stream_script(client):
    response = await client.post("/api/chat", json={}, headers={"Cookie": "better-auth.session_token=x"})
    return [await response.read()]


async def test_streams_replay_with_their_chunks_and_pacing(aiohttp_server, aiohttp_client, tmp_path):
    upstream = web.Application()
    upstream.router.add_post("/api/chat", drip_events)
    path, seen = await record(aiohttp_server, aiohttp_client, tmp_path, upstream, stream_script)
    api = await replayer(aiohttp_client, tmp_path, path)
    headers = {"Cookie": "better-auth.session_token=mpx_session_dana_dev_0001"}
    started = time.perf_counter()
    async with api.client.post("/api/chat", json={}, headers=headers) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        first = await response.content.readuntil(b"\n\n")
        rest = await response.read()
    assert first == b'data: {"n":0}\n\n' and first + rest == seen[0]
    assert time.perf_counter() - started >= 0.1  # the recorded delays were kept
    fast = await replayer(aiohttp_client, tmp_path, path, timing="none")
    started = time.perf_counter()
    async with fast.client.post("/api/chat", json={}, headers=headers) as response:
        assert await response.read() == seen[0]
    assert time.perf_counter() - started < 0.1


async def test_replay_never_opens_an_upstream_socket(aiohttp_server, aiohttp_client, tmp_path):
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, build_app(make_settings(tmp_path / "up")),
                           repos_script)
    api = await replayer(aiohttp_client, tmp_path, path, fallback="fixture")
    server_port = api.client.server.port
    watch = {"on": True, "connections": []}

    def audit(event, args):  # audit hooks cannot be removed, so this one switches itself off
        if watch["on"] and event == "socket.connect":
            watch["connections"].append(args[1])

    sys.addaudithook(audit)
    try:
        for query in ("limit=2", "limit=5"):  # a replayed answer, then a miss answered by the world
            assert (await api.get(f"/repos?{query}", token=OAUTH)).status == 200
        assert (await api.internal("GET", "/api/settings")).status == 200
    finally:
        watch["on"] = False
    ports = [address[1] for address in watch["connections"] if isinstance(address, tuple)]
    assert ports and set(ports) == {server_port}  # only the test client's own connections


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKPLEX_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


async def test_a_forged_index_beside_the_cassette_changes_no_answer(aiohttp_server, aiohttp_client, tmp_path,
                                                                    cache_dir):
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, build_app(make_settings(tmp_path / "up")),
                           repos_script)
    recorded = yaml.safe_load(path.read_text())["interactions"][0]["response"]["body"]["string"].encode()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    forged = Recorded("GET", f"{V1}/repos", (("limit", "2"),), None, None,
                      {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": "forged"}},
                      "credential:1")
    for beside in (path.with_name(f".{path.name}.mockplex-index"), path.with_name(index_path(digest).name)):
        write_index(beside, digest, [forged], {})
    api = await replayer(aiohttp_client, tmp_path, path)
    assert (await api.get("/repos?limit=2", token=OAUTH)).raw_body == recorded
    assert [entry.name for entry in cache_dir.iterdir()] == [index_path(digest).name]


async def test_the_cached_index_is_used_while_it_is_as_written_and_rebuilt_otherwise(
        aiohttp_server, aiohttp_client, tmp_path, cache_dir):
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, build_app(make_settings(tmp_path / "up")),
                           repos_script)
    parsed = load_store(path, "session", Matching(), "repeat").interactions
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    index = index_path(digest)
    assert index.parent == cache_dir and stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    from_index = load_store(path, "session", Matching(), "repeat").interactions
    assert isinstance(from_index[0].stored_response, bytes)  # parsed only when first served
    assert [item.response for item in from_index] == [item.response for item in parsed]
    write_index(index, digest, [replace(parsed[0], path="/from-the-cache")], {})
    assert load_store(path, "session", Matching(), "repeat").interactions[0].path == "/from-the-cache"
    sealed = index.read_bytes()
    after_checksum = len(MAGIC) + 9
    garbage = b"[" * 100_000 + b"]" * 100_000
    for broken in (b"not an index", sealed[:-1], sealed.replace(b"/from-the-cache", b"/from-the-cachf"),
                   sealed[:len(MAGIC)] + b"00000000\n" + sealed[after_checksum:],
                   MAGIC + b"%08x\n" % zlib.crc32(garbage) + garbage,  # sealed, but not what mockplex writes
                   json.dumps({"format": 5, "sha256": digest}).encode()):
        index.write_bytes(broken)
        assert load_store(path, "session", Matching(), "repeat").interactions[0].path == f"{V1}/repos"
        assert read_index(index, digest)[0][0].path == f"{V1}/repos"  # rebuilt
    request_side = json.loads(sealed[after_checksum:].split(b"\n", 1)[0])
    answer = sealed[after_checksum:].split(b"\n")[1]
    for head in ({**request_side, "callers": []}, {**request_side, "callers": {"credential:1": []}},
                 {**request_side, "interactions": [[*request_side["interactions"][0][:6], len(answer) + 5]]},
                 {**request_side, "interactions": [[7, *request_side["interactions"][0][1:]]]}):
        index.write_bytes(sealed_index(json.dumps(head).encode() + b"\n" + answer + b"\n"))  # checksummed, wrong
        assert load_store(path, "session", Matching(), "repeat").interactions[0].path == f"{V1}/repos"
        assert read_index(index, digest)[0][0].path == f"{V1}/repos"  # rebuilt
    path.write_text(path.read_text().replace("limit=2", "limit=3"))  # the cassette changed: a new digest
    assert load_store(path, "session", Matching(), "repeat").interactions[0].query == (("limit", "3"),)
    shutil.rmtree(cache_dir)
    cache_dir.write_text("")  # the cache cannot be written: no index, still loads
    assert len(load_store(path, "session", Matching(), "repeat").interactions) == 1


async def test_serve_writes_a_cold_cassettes_index_once_up_and_the_next_start_reads_it(
        aiohttp_server, aiohttp_client, tmp_path, cache_dir):
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, build_app(make_settings(tmp_path / "up")),
                           repos_script)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    index = index_path(digest)
    args = ("--mode", "replay", "--cassette", "session", "--cassette-dir", str(path.parent), "--quiet")
    for start in ("cold", "warm"):
        served = Served(*args, cwd=tmp_path)
        try:
            status, body = served.get("/repos?limit=2", token=OAUTH)
            assert status == 200 and json.loads(body)["ok"] is True, start
        finally:
            assert served.stop()[0] == 0
        assert read_index(index, digest)[0][0].path == f"{V1}/repos", start
        if start == "cold":
            written = index.stat().st_mtime_ns
    assert index.stat().st_mtime_ns == written  # the warm start read it and wrote nothing


async def test_a_deferred_index_is_written_only_when_the_caller_says(aiohttp_server, aiohttp_client, tmp_path,
                                                                      cache_dir):
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, build_app(make_settings(tmp_path / "up")),
                           repos_script)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    store = load_store(path, "session", Matching(), "repeat", defer_index=True)
    assert store.interactions[0].path == f"{V1}/repos" and not index_path(digest).exists()
    store.unwritten_index()
    assert read_index(index_path(digest), digest)[0][0].path == f"{V1}/repos"
    assert load_store(path, "session", Matching(), "repeat", defer_index=True).unwritten_index is None  # warm


def sealed_index(content: bytes) -> bytes:
    """An index file around `content`, its checksum right: what only mockplex's own checks can refuse."""
    return MAGIC + b"%08x\n" % zlib.crc32(content) + content


async def test_an_answer_in_the_index_that_fails_its_check_is_a_500_and_the_index_is_rebuilt(
        aiohttp_server, aiohttp_client, tmp_path, cache_dir, caplog):
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, build_app(make_settings(tmp_path / "up")),
                           repos_script)
    load_store(path, "session", Matching(), "repeat")
    index = index_path(hashlib.sha256(path.read_bytes()).hexdigest())
    request_side = index.read_bytes()[len(MAGIC) + 9:].split(b"\n", 1)[0]
    head = json.loads(request_side)
    forged = b'{"status":{"code":"200"},"headers":{},"body":{"string":"x"}}'
    head["interactions"][0][6] = len(forged)
    index.write_bytes(sealed_index(json.dumps(head).encode() + b"\n" + forged + b"\n"))
    api = await replayer(aiohttp_client, tmp_path, path)
    answered = await api.get("/repos?limit=2", token=OAUTH)
    assert (answered.status, answered.raw_body) == (500, b"")
    assert not index.exists() and f"{index}: an answer in this replay index is not as mockplex wrote it" in caplog.text
    assert load_store(path, "session", Matching(), "repeat").interactions[0].response["status"]["code"] == 200
    assert index.exists()


def test_an_empty_cassettes_index_is_written_once(tmp_path, cache_dir):
    path = tmp_path / "empty.yaml"
    path.write_text(vcr.serialize.serialize({"requests": [], "responses": []}, yamlserializer))
    load_store(path, "empty", Matching(), "repeat")
    index = index_path(hashlib.sha256(path.read_bytes()).hexdigest())
    written = index.stat().st_mtime_ns
    assert load_store(path, "empty", Matching(), "repeat").interactions == []
    assert index.stat().st_mtime_ns == written


def test_a_body_holding_nan_matches_alike_from_the_cassette_and_from_its_index(tmp_path, cache_dir):
    path = tmp_path / "nan.yaml"
    requests = [Request("POST", f"http://u.test{V1}/runs", '{"budget": NaN}', {})]
    responses = [{"status": {"code": 202, "message": "Accepted"}, "headers": {}, "body": {"string": "{}"},
                  "mockplex": {"chunks": [[2, 1.5]]}}]
    path.write_text(vcr.serialize.serialize({"requests": requests, "responses": responses}, yamlserializer))
    for _ in ("cassette", "index"):
        store = load_store(path, "nan", Matching(), "repeat")
        assert store.interactions[0].body == b'{"budget": NaN}'  # not JSON, as the server reads it: compared as sent
        assert store.interactions[0].response["mockplex"]["chunks"] == [[2, 1.5]]


async def test_a_miss_on_another_run_names_the_same_route(aiohttp_server, aiohttp_client, tmp_path):
    upstream = build_app(make_settings(tmp_path / "up", "step:2"))
    path, _ = await record(aiohttp_server, aiohttp_client, tmp_path, upstream, lifecycle)
    run_id = yaml.safe_load(path.read_text())["interactions"][-1]["request"]["uri"].rsplit("/", 1)[1]
    api = await replayer(aiohttp_client, tmp_path, path)
    missed = json.loads((await api.get("/runs/run-never-recorded")).raw_body)["error"]["message"]
    assert missed.endswith(f"closest recorded request: GET {V1}/runs/{run_id} "
                           f"(differs in path {V1}/runs/{run_id} (not {V1}/runs/run-never-recorded)); "
                           f"would match with --ordered 'GET {V1}/runs/{{runId}}'")


def many_repos_pages(path, count: int) -> None:
    requests = [Request("GET", f"http://u.test{V1}/repos?page={page}", None, {}) for page in range(count)]
    responses = [{"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": "{}"}}
                 for _ in range(count)]
    path.write_text(vcr.serialize.serialize({"requests": requests, "responses": responses}, yamlserializer))


async def test_a_miss_costs_about_what_a_hit_costs(aiohttp_client, tmp_path, cache_dir):
    path = tmp_path / "pages.yaml"
    many_repos_pages(path, 5_000)
    api = await replayer(aiohttp_client, tmp_path, path)

    async def seconds_for(query: str, status: int) -> float:
        started = time.perf_counter()
        for _ in range(40):
            assert (await api.get(f"/repos?{query}", token=OAUTH)).status == status
        return time.perf_counter() - started

    hits, misses = await seconds_for("page=4999", 200), await seconds_for("page=none", 404)
    assert misses < 3 * hits, (misses, hits)
    missed = json.loads((await api.get("/repos?page=none", token=OAUTH)).raw_body)["error"]["message"]
    assert missed.endswith("(differs in query key 'page' ('0' recorded, 'none' sent)); "
                           "would match with --ignore-query page")


def test_settings_that_replay_a_route_without_a_cassette_are_refused_when_the_app_is_built(tmp_path):
    with pytest.raises(ValueError, match="a route replays, but the settings name no cassette"):
        build_app(make_settings(tmp_path, family_modes={"v1": "replay"}))
    build_app(make_settings(tmp_path, family_modes={"v1": "fixture"}))  # nothing replays: built as before
