"""Origins: a client of the record proxy, or of a replaying server, is never sent to the
upstream's origin, and the upstream still sees same-origin calls as same-origin."""

from __future__ import annotations

import asyncio
import gzip
import json

import aiohttp
import pytest
import requests
import vcr
from aiohttp import web
from conftest import OAUTH, V1, make_settings

from mockplex.app import build_app
from mockplex.origins import OriginRewrite
from mockplex.recording.app import RecordSettings, build_record_app
from mockplex.replay.answer import MAX_CACHED_ORIGINS
from mockplex.replay.route import REPLAY_STORE, ReplaySettings

MCP = f"{V1}/mcp"
PROTECTED_RESOURCE = f"/.well-known/oauth-protected-resource{MCP}"
COMPARED_HEADERS = ("Location", "Content-Location", "WWW-Authenticate", "Link", "Refresh",
                    "Access-Control-Allow-Origin", "Content-Type", "Cache-Control", "Vary", "Allow")
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}


def origin_of(server) -> str:
    return f"http://{server.host}:{server.port}"


def session_calls(origin: str) -> list[tuple[str, str, dict]]:
    """The calls a browser-hosted client at `origin` makes: (method, path, request options)."""
    return [
        ("GET", "/api/repos", {"headers": {"Referer": f"{origin}/dashboard"}}),
        ("GET", f"{V1}/repos", {"headers": {"Authorization": "Bearer not-a-token"}}),
        ("GET", PROTECTED_RESOURCE, {}),
        ("GET", "/.well-known/oauth-authorization-server", {}),
        ("OPTIONS", MCP, {"headers": {"Origin": origin, "Access-Control-Request-Method": "POST"}}),
        ("POST", MCP, {"headers": {"Origin": origin, "Authorization": f"Bearer {OAUTH}"}, "json": INITIALIZE}),
        ("OPTIONS", MCP, {"headers": {"Origin": "http://elsewhere.example"}}),  # still refused upstream
        ("GET", f"{V1}/repos?limit=2", {"headers": {"Authorization": f"Bearer {OAUTH}"}}),
    ]


async def answers(session: aiohttp.ClientSession, origin: str) -> list[tuple[int, dict[str, str], bytes]]:
    seen = []
    for method, path, options in session_calls(origin):
        async with session.request(method, f"{origin}{path}", allow_redirects=False, **options) as response:
            headers = {name: response.headers[name] for name in COMPARED_HEADERS if name in response.headers}
            seen.append((response.status, headers, await response.read()))
    return seen


def as_seen_from(seen, upstream: str, origin: str):
    """What a client at `origin` must see where the upstream answered at its own."""
    return [(status, {name: value.replace(upstream, origin) for name, value in headers.items()},
             body.replace(upstream.encode(), origin.encode())) for status, headers, body in seen]


@pytest.fixture
async def recorded_session(aiohttp_server, tmp_path):
    """The session called on a fixture upstream directly and through a record proxy:
    (upstream origin, proxy origin, direct answers, proxied answers, cassette path)."""
    upstream = await aiohttp_server(build_app(make_settings(tmp_path / "up", "frozen", test_mode=False)))
    cassette = tmp_path / "cassettes" / "origins.yaml"
    proxy = await aiohttp_server(build_record_app(RecordSettings(origin_of(upstream), cassette, "all")))
    async with aiohttp.ClientSession() as session:
        direct = await answers(session, origin_of(upstream))
        proxied = await answers(session, origin_of(proxy))
    proxy_origin = origin_of(proxy)
    await proxy.close()  # the cassette's last write
    return origin_of(upstream), proxy_origin, direct, proxied, cassette


async def test_the_proxy_answers_as_the_upstream_would_at_the_proxys_origin(recorded_session):
    upstream, proxy, direct, proxied, _ = recorded_session
    assert proxied == as_seen_from(direct, upstream, proxy)
    redirect, challenge, resource, _, preflight, initialize, refused, _ = proxied
    assert redirect[1]["Location"] == f"{proxy}/login?expired=true&next=%2Fapi%2Frepos"  # Referer was same-origin
    assert challenge[1]["WWW-Authenticate"] == (
        f'Bearer resource_metadata="{proxy}/.well-known/oauth-protected-resource/api/v1/mogplex/mcp"')
    assert json.loads(resource[2])["authorization_servers"] == [proxy]
    assert preflight[0] == 204 and preflight[1]["Access-Control-Allow-Origin"] == proxy
    assert initialize[0] == 200 and initialize[1]["Access-Control-Allow-Origin"] == proxy
    assert refused[0] == 403


async def test_the_cassette_keeps_the_upstreams_own_words_for_plain_vcrpy(recorded_session):
    upstream, proxy, _, _, cassette = recorded_session
    text = cassette.read_text()
    assert upstream in text and proxy not in text
    with vcr.use_cassette(str(cassette), record_mode="none"):
        resource = requests.get(f"{upstream}{PROTECTED_RESOURCE}")
    assert resource.json()["resource"] == f"{upstream}{MCP}"


async def test_a_replay_names_the_replaying_server(recorded_session, aiohttp_server, tmp_path):
    upstream, _, direct, _, cassette = recorded_session
    settings = make_settings(tmp_path / "replay", "frozen", test_mode=False, default_mode="replay",
                             replay=ReplaySettings(cassette, "origins"))
    replaying = await aiohttp_server(build_app(settings))
    async with aiohttp.ClientSession() as session:
        replayed = await answers(session, origin_of(replaying))
    assert replayed == as_seen_from(direct, upstream, origin_of(replaying))
    assert json.loads(replayed[2][2])["resource"] == f"{origin_of(replaying)}{MCP}"


async def test_a_stream_is_rewritten_event_by_event_as_it_arrives(aiohttp_server, tmp_path):
    async def events(request):
        own = f"http://{request.host}".encode()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b'data: {"url":"' + own[:12])  # the origin split across two chunks
        await asyncio.sleep(0.05)
        await response.write(own[12:] + b'/runs/1"}\n\n')
        await asyncio.sleep(0.2)
        await response.write(b'data: {"url":"' + own + b'"}\n\n')
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/events", events)
    upstream = await aiohttp_server(app)
    proxy = await aiohttp_server(build_record_app(RecordSettings(origin_of(upstream), tmp_path / "s.yaml", "all")))
    async with aiohttp.ClientSession() as session, session.get(f"{origin_of(proxy)}/events") as response:
        first = await asyncio.wait_for(response.content.readuntil(b"\n\n"), 0.15)  # before the second event
        rest = await response.read()
    assert first == f'data: {{"url":"{origin_of(proxy)}/runs/1"}}\n\n'.encode()
    assert rest == f'data: {{"url":"{origin_of(proxy)}"}}\n\n'.encode()


async def test_a_compressed_json_answer_naming_the_upstream_goes_on_decoded(aiohttp_server, tmp_path):
    async def discovery(request):
        named = json.dumps({"issuer": f"http://{request.host}", "other": "http://elsewhere.example"}).encode()
        return web.Response(body=gzip.compress(named), headers={"Content-Encoding": "gzip",
                                                                 "Content-Type": "application/json"})

    app = web.Application()
    app.router.add_get("/discovery", discovery)
    upstream = await aiohttp_server(app)
    proxy = await aiohttp_server(build_record_app(RecordSettings(origin_of(upstream), tmp_path / "z.yaml", "all")))
    async with aiohttp.ClientSession(auto_decompress=False) as session, \
            session.get(f"{origin_of(proxy)}/discovery") as response:
        assert "Content-Encoding" not in response.headers
        assert int(response.headers["Content-Length"]) == len(await response.read())
        assert json.loads(await response.read()) == {"issuer": origin_of(proxy), "other": "http://elsewhere.example"}


async def test_a_foreign_host_never_makes_its_origin_the_upstreams(aiohttp_server, tmp_path):
    """A page reaching the proxy by DNS rebinding calls it by its own name: its Origin
    goes upstream as sent (so the upstream's origin check still refuses it), and a Host
    holding a quote cannot break the JSON it is written into."""
    async def echo(request):
        return web.json_response({"origin": request.headers.get("Origin"), "self": f"http://{request.host}/x"})

    app = web.Application()
    app.router.add_get("/echo", echo)
    upstream = await aiohttp_server(app)
    proxy = await aiohttp_server(build_record_app(RecordSettings(origin_of(upstream), tmp_path / "h.yaml", "all")))
    rebound = f"rebound.example:{proxy.port}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{origin_of(proxy)}/echo", headers={
                "Host": rebound, "Origin": f"http://{rebound}"}) as response:
            assert (await response.json())["origin"] == f"http://{rebound}"
        async with session.get(f"{origin_of(proxy)}/echo", headers={"Host": f'a",":"{proxy.port}'}) as response:
            assert set(json.loads(await response.read())) == {"origin", "self"}  # still the two members


@pytest.mark.parametrize("text", [
    '"http://127.0.0.1:8000"', '"http://127.0.0.1:8000/x?y"', '"<a href=\\"http://127.0.0.1:8000/x\\">"'])
def test_json_strings_that_are_or_begin_with_the_origin_are_moved(text):
    moved = OriginRewrite("http://127.0.0.1:8000", "http://localhost:9").body(text.encode())
    assert moved == text.replace("http://127.0.0.1:8000", "http://localhost:9").encode()


@pytest.mark.parametrize("text", [
    '"http://127.0.0.1:80001/x"', '"http://127.0.0.1:8000.example.com/x"', '"http://127.0.0.1:8000@evil.example/"',
    '"https://127.0.0.1:8000/x"', '"see http://127.0.0.1:8000/x"'])
def test_other_origins_and_origins_inside_text_stay(text):
    assert OriginRewrite("http://127.0.0.1:8000", "http://localhost:9").body(text.encode()) == text.encode()


def test_headers_move_only_the_exact_origin():
    rewrite = OriginRewrite("http://up:8000", "http://proxy")
    assert rewrite.header("Link", "<http://up:8000/a>; rel=next, <http://up:80001/b>; rel=last") == (
        "<http://proxy/a>; rel=next, <http://up:80001/b>; rel=last")
    assert rewrite.header("Refresh", "0; url=http://up:8000/login") == "0; url=http://proxy/login"
    assert rewrite.header("Origin", "http://up:8000.evil") == "http://up:8000.evil"
    assert rewrite.header("X-Note", "http://up:8000/a") == "http://up:8000/a"  # not a URL header


def test_a_stream_holds_back_only_what_could_begin_the_origin():
    stream = OriginRewrite("http://up:8000", "http://proxy").stream(rewriting=True)
    pieces = [stream.feed(chunk) for chunk in (b'{"a":"http://u', b'p:8000/x","b":"', b'http://up:8000', b'"}')]
    assert pieces == [b'{"a":', b'"http://proxy/x","b":', b'', b'"http://proxy"}']
    assert stream.finish() == b""


async def test_each_host_gets_its_own_origin_and_few_answers_are_kept(recorded_session, aiohttp_server, tmp_path):
    """A replayed answer is worked out once per origin it goes to, and kept for only a few:
    the Host header is the client's to choose."""
    _, _, _, _, cassette = recorded_session
    settings = make_settings(tmp_path / "replay", "frozen", test_mode=False, default_mode="replay",
                             replay=ReplaySettings(cassette, "origins"))
    replaying = await aiohttp_server(build_app(settings))
    hosts = [f"host-{index}.test:{replaying.port}" for index in range(12)]
    async with aiohttp.ClientSession() as session:
        for host in hosts * 2:
            async with session.get(f"{origin_of(replaying)}{PROTECTED_RESOURCE}", headers={"Host": host}) as response:
                assert (await response.json())["resource"] == f"http://{host}{MCP}"
    recorded = [item for item in replaying.app[REPLAY_STORE].interactions if item.path == PROTECTED_RESOURCE]
    assert recorded and all(len(item.sent) <= MAX_CACHED_ORIGINS for item in recorded)
