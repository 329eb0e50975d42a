"""Record mode: a forwarding proxy that writes vcrpy cassettes with no secret on disk."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json

import aiohttp
import pytest
import vcr
import vcr.serialize
from aiohttp import web
from conftest import DANA_SESSION, OAUTH, RW, V1, WEB_REPO, drip_events, make_settings
from vcr.serializers import yamlserializer

from mockplex.app import build_app
from mockplex.recording.app import RecordSettings, build_record_app
from mockplex.recording.cassette_file import CassetteExists
from mockplex.recording.proxy import RECORDER


def load(path):
    requests, responses, *metadata = vcr.serialize.deserialize(path.read_text(), yamlserializer)
    return requests, responses, (metadata[0] if metadata else {})


@pytest.fixture
async def upstream(aiohttp_server, tmp_path):
    """The fixture world itself, on its own loopback port, as the upstream."""
    return await aiohttp_server(build_app(make_settings(tmp_path / "up", "step:1", test_mode=False)))


@pytest.fixture
async def recording(aiohttp_client, tmp_path):
    """Start a record proxy in front of an upstream URL; returns (client, cassette path)."""
    async def start(upstream_url: str, name: str = "session", **options):
        path = tmp_path / "cassettes" / f"{name}.yaml"
        app = build_record_app(RecordSettings(upstream_url, path, options.pop("mode", "all"), **options))
        return await aiohttp_client(app), path
    return start


async def fine(request):
    return web.json_response({"ok": True})


async def boom(request):
    return web.json_response({"error": "x"}, status=503)


def url_of(server) -> str:
    return f"http://127.0.0.1:{server.port}"


async def test_forwards_unchanged_and_records_in_vcrpy_format(upstream, recording):
    client, path = await recording(url_of(upstream))
    direct = await aiohttp.ClientSession().__aenter__()
    try:
        async with direct.get(f"{url_of(upstream)}{V1}/repos?limit=2", headers={"Authorization": f"Bearer {OAUTH}"}) as r:
            expected = await r.read()
    finally:
        await direct.close()
    response = await client.get(f"{V1}/repos?limit=2", headers={"Authorization": f"Bearer {OAUTH}"})
    assert response.status == 200 and await response.read() == expected
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Frame-Options"] == "DENY"  # upstream's headers, untouched
    redirect = await client.get(f"{V1}/repos", allow_redirects=False)
    assert redirect.status == 307 and redirect.headers["Location"].startswith(f"{url_of(client.server)}/login?")
    await client.close()
    requests, responses, metadata = load(path)
    assert [request.uri for request in requests] == [f"{url_of(upstream)}{V1}/repos?limit=2", f"{url_of(upstream)}{V1}/repos"]
    assert responses[0]["status"] == {"code": 200, "message": "OK"}
    assert responses[0]["body"]["string"] == expected
    assert responses[1]["headers"]["Location"][0].startswith(f"{url_of(upstream)}/login?")  # as the upstream said
    assert metadata["mockplex"]["upstream"] == url_of(upstream)
    assert metadata["mockplex"]["callers"] == {  # the redirected request carried no credential
        "credential:1": {"sha256": hashlib.sha256(OAUTH.encode()).hexdigest(), "scopes": {"read": None, "write": None}}}


async def test_cassettes_replay_in_plain_vcrpy_with_requests_and_aiohttp(upstream, recording):
    client, path = await recording(url_of(upstream))
    for query in ("limit=1", "limit=3"):
        await client.get(f"{V1}/repos?{query}", headers={"Authorization": f"Bearer {OAUTH}"})
    await client.close()
    recorded_at = url_of(upstream)
    await upstream.close()  # nothing is listening any more: replay must not need it
    import requests as requests_library

    with vcr.use_cassette(str(path), record_mode="none"):
        answer = requests_library.get(f"{recorded_at}{V1}/repos?limit=3",
                                      headers={"Authorization": f"Bearer {OAUTH}"})
        assert answer.status_code == 200 and len(answer.json()["data"]["repos"]) == 3
    with vcr.use_cassette(str(path), record_mode="none"):
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{recorded_at}{V1}/repos?limit=1") as replayed:
                assert replayed.status == 200
                assert len((await replayed.json())["data"]["repos"]) == 1


async def test_secrets_never_reach_disk(upstream, recording, tmp_path):
    client, path = await recording(url_of(upstream), "secrets")
    pat_headers = {"Authorization": f"Bearer {RW}"}
    session = {"Cookie": f"better-auth.session_token={DANA_SESSION}"}
    await client.get(f"{V1}/repos?token={RW}", headers=pat_headers)
    env = await client.post(f"{V1}/repos/{WEB_REPO}/env-vars", headers=pat_headers,
                            json={"key": "STRIPE_KEY", "value": "sk_live_51VerySecretValue"})
    assert env.status == 501  # a 5xx: forwarded, and only recorded with --record-errors
    created = await client.post("/api/settings/api-keys", headers=session, json={"name": "recorded"})
    fresh = (await created.json())["token"]
    assert (await client.get(f"{V1}/repos", headers={"Authorization": f"Bearer {fresh}"})).status == 200
    mcp = await client.get(f"{V1}/mcp/servers", headers=pat_headers)
    assert "lin_api_mockplexDevKey0001" in await mcp.text()
    await client.get("/api/settings", headers={**session, "x-mogplex-e2e-auth": "playwright-auth-bypass"})
    await client.close()
    on_disk = b"".join(file.read_bytes() for file in (tmp_path / "cassettes").rglob("*"))
    for secret in (RW, DANA_SESSION, "sk_live_51VerySecretValue", fresh, "playwright-auth-bypass",
                   "lin_api_mockplexDevKey0001", "mog_"):
        assert secret.encode() not in on_disk, secret
    requests, responses, _ = load(path)
    mcp_request = next(request for request in requests if request.path.endswith("/mcp/servers"))
    # The same secret becomes the same placeholder, so replay matching still works.
    assert requests[0].headers["Authorization"] == mcp_request.headers["Authorization"]
    assert requests[0].headers["Authorization"].startswith("Bearer <redacted:")
    assert "<redacted:" in requests[0].uri


async def test_a_surviving_secret_refuses_only_its_interaction(aiohttp_server, recording, caplog):
    encoded = base64.b64encode(b'{"token": "mog_ABCDEFGHIJKLMNOPQRSTUVWX"}')  # redaction cannot see inside

    async def leaky(request):
        return web.Response(body=encoded, content_type="text/plain")

    app = web.Application()
    app.router.add_get("/leak", leaky)
    app.router.add_get("/fine", fine)
    server = await aiohttp_server(app)
    client, path = await recording(url_of(server), "guarded")
    assert await (await client.get("/leak")).read() == encoded
    await client.get("/fine")
    await client.server.app[RECORDER].settle()  # each exchange is kept beside the loop
    cassette = client.server.app[RECORDER].cassette
    assert cassette.flush()
    assert [request.path for request in load(path)[0]] == ["/fine"]
    assert cassette.failure == "1 refused, each logged with its reason"
    assert ("not recording GET /leak: a secret survived redaction: a token-shaped string at response.body.string; "
            "every other interaction is still written") in caplog.text
    await client.close()


async def test_streams_reach_the_client_as_they_arrive_and_keep_their_chunks(aiohttp_server, recording):
    app = web.Application()
    app.router.add_get("/stream", drip_events)
    server = await aiohttp_server(app)
    client, path = await recording(url_of(server), "stream")
    async with client.get("/stream") as response:
        first = await response.content.readuntil(b"\n\n")
        assert first == b'data: {"n":0}\n\n'
        rest = await response.read()
    assert rest == b'data: {"n":1}\n\ndata: {"n":2}\n\n'
    await client.close()
    _, responses, _ = load(path)
    chunks = responses[0]["mockplex"]["chunks"]
    assert [size for size, _ in chunks] == [15, 15, 15]
    assert all(delay >= 30 for _, delay in chunks[1:])


async def test_fifty_concurrent_requests_are_all_recorded(upstream, recording):
    client, path = await recording(url_of(upstream), "fifty")
    answers = await asyncio.gather(*(client.get(f"{V1}/models", headers={"Authorization": f"Bearer {OAUTH}"})
                                     for _ in range(50)))
    assert [answer.status for answer in answers] == [200] * 50
    await client.close()
    requests, _, _ = load(path)
    assert len(requests) == 50


@pytest.mark.parametrize("kind", ["refused", "hangs", "resets-before", "html-502"])
async def test_upstream_faults_are_reported_not_recorded(aiohttp_server, recording, unused_tcp_port_factory, kind):
    async def hang(request):
        await asyncio.sleep(5)
        return web.Response()

    async def reset(request):
        request.transport.close()
        return web.Response()

    async def html_502(request):
        return web.Response(status=502, text="<html><body>Bad gateway</body></html>", content_type="text/html")

    handler = {"hangs": hang, "resets-before": reset, "html-502": html_502}.get(kind)
    if handler is None:
        target = f"http://127.0.0.1:{unused_tcp_port_factory()}"
    else:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        target = url_of(await aiohttp_server(app))
    client, path = await recording(target, f"fault-{kind}", timeout_seconds=0.3)
    response = await client.get(f"{V1}/repos")
    body = await response.read()
    if kind == "html-502":
        assert (response.status, body) == (502, b"<html><body>Bad gateway</body></html>")
        assert "X-Mockplex-Error" not in response.headers
    else:
        status, error = {"refused": (502, "upstream-unreachable"), "hangs": (504, "upstream-timeout"),
                         "resets-before": (502, "upstream-reset")}[kind]
        assert response.status == status and response.headers["X-Mockplex-Error"] == error
        parsed = json.loads(body)
        assert parsed["ok"] is False and parsed["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert target in parsed["error"]["message"]
    internal = await client.get("/api/settings")
    if kind != "html-502":
        assert list(json.loads(await internal.read())) == ["error"]
    await client.close()
    assert not path.exists()


async def test_a_reset_mid_body_breaks_the_client_answer_and_is_not_recorded(aiohttp_server, recording):
    async def half(request):
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 1000
        await response.prepare(request)
        await response.write(b'{"partial":')
        request.transport.close()
        return response

    app = web.Application()
    app.router.add_get("/half", half)
    client, path = await recording(url_of(await aiohttp_server(app)), "half")
    # A JSON answer of known length is rewritten whole, so the break may come before its headers.
    with pytest.raises((aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError)):
        async with client.get("/half") as response:
            await response.read()
    await client.close()
    assert not path.exists()


async def test_record_errors_opts_in_to_recording_5xx(aiohttp_server, recording):
    app = web.Application()
    app.router.add_get("/boom", boom)
    client, path = await recording(url_of(await aiohttp_server(app)), "errors", record_errors=True)
    await client.get("/boom")
    await client.close()
    assert load(path)[1][0]["status"]["code"] == 503


async def test_record_modes(upstream, recording, tmp_path):
    client, path = await recording(url_of(upstream), "modes")
    await client.get(f"{V1}/models", headers={"Authorization": f"Bearer {OAUTH}"})
    await client.close()
    with pytest.raises(CassetteExists):
        build_record_app(RecordSettings(url_of(upstream), path, "once"))
    added, _ = await recording(url_of(upstream), "modes", mode="new_episodes")
    await added.get(f"{V1}/agents", headers={"Authorization": f"Bearer {OAUTH}"})
    await added.close()
    assert len(load(path)[0]) == 2
    rewritten, _ = await recording(url_of(upstream), "modes", mode="all")
    await rewritten.get(f"{V1}/repos", headers={"Authorization": f"Bearer {OAUTH}"})
    await rewritten.close()
    assert [request.path for request in load(path)[0]] == [f"{V1}/repos"]
    nothing, _ = await recording(url_of(upstream), "modes", mode="none")
    assert (await nothing.get(f"{V1}/models", headers={"Authorization": f"Bearer {OAUTH}"})).status == 200
    await nothing.close()
    assert len(load(path)[0]) == 1


async def test_observed_scopes_are_provenance(upstream, recording):
    client, path = await recording(url_of(upstream), "scopes")
    await client.get(f"{V1}/agents", headers={"Authorization": "Bearer mog_mockplexDevReadOnly00001"})
    await client.post(f"{V1}/runs", headers={"Authorization": "Bearer mog_mockplexDevReadOnly00001"}, json={})
    await client.close()
    assert load(path)[2]["mockplex"]["callers"]["credential:1"]["scopes"] == {"read": True, "write": False}


async def test_extending_a_cassette_never_reuses_a_placeholder_for_a_new_secret(upstream, recording):
    first, path = await recording(url_of(upstream), "extended")
    await first.get(f"{V1}/repos", headers={"Authorization": f"Bearer {RW}"})
    await first.close()
    second, _ = await recording(url_of(upstream), "extended", mode="new_episodes")
    await second.get(f"{V1}/repos", headers={"Authorization": "Bearer mog_mockplexDevReadOnly00001"})
    await second.close()
    requests, _, _ = load(path)
    first_placeholder, second_placeholder = (request.headers["Authorization"] for request in requests)
    assert first_placeholder != second_placeholder  # two different tokens stay two placeholders


async def test_redacting_a_large_answer_never_holds_up_other_clients(aiohttp_server, recording):
    """Redaction costs time in proportion to an answer's size; it runs beside the event
    loop, so the next client is answered while a large answer is still being redacted."""
    large = json.dumps({"items": [{"name": f"item {n}", "note": "plain words " * 8, "api_key": f"opaque-{n}"}
                                  for n in range(30_000)]}).encode()

    async def answer(request):
        return web.Response(body=large if request.path == "/large" else b'{"ok":true}',
                            content_type="application/json")

    app = web.Application()
    app.router.add_get("/{name}", answer)
    client, path = await recording(str((await aiohttp_server(app)).make_url("")).rstrip("/"))
    recorder = client.server.app[RECORDER]
    assert await (await client.get("/large")).read() == large
    async with aiohttp.ClientSession() as other:  # another client, on a connection of its own
        async with other.get(client.make_url("/small")) as small:
            assert await small.json() == {"ok": True}
    assert recorder.recorded == 0  # answered while /large was still being redacted
    await client.close()
    assert [request.path for request in load(path)[0]] == ["/large", "/small"]


async def test_a_compressed_answer_still_teaches_the_callers_scopes(aiohttp_server, recording):
    """A 403 naming a missing scope says so just as much when it comes gzipped."""
    import gzip

    import yaml

    refusal = gzip.compress(b'{"ok":false,"error":{"code":"FORBIDDEN","message":"Missing required scope: write."}}')

    async def refuse(request):
        return web.Response(status=403, body=refusal, headers={"Content-Encoding": "gzip",
                                                               "Content-Type": "application/json"})

    app = web.Application()
    app.router.add_post(f"{V1}/runs", refuse)
    client, path = await recording(url_of(await aiohttp_server(app)), "scopes")
    await client.post(f"{V1}/runs", json={"repoId": WEB_REPO, "prompt": "p"},
                      headers={"Authorization": f"Bearer {RW}", "Idempotency-Key": "k"})
    await client.close()
    callers = yaml.safe_load(path.read_text())["metadata"]["mockplex"]["callers"]
    assert [seen["scopes"]["write"] for seen in callers.values()] == [False]
