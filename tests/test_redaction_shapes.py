"""Secrets never reach disk, in every shape a hostile upstream can answer with: a record
proxy in front of an upstream of the test's own, a client request, then the cassette's
bytes on disk searched for each secret in every encoding."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import re
import time
import zlib
from pathlib import Path
from urllib.parse import quote, quote_plus

import aiohttp
import pytest
import requests as requests_library
import test_record
import vcr
import yaml
from aiohttp import web
from test_cli import Served, run_cli
from test_record import load, url_of

from mockplex.recording.proxy import RECORDER
from mockplex.recording.redaction import Redactor, holds_secret

recording = test_record.recording  # the record proxy fixture: an app in front of an upstream URL
PLACEHOLDER = re.compile(r"<redacted:[a-z0-9_-]+:\d+>")
SERVER_ID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
CREATED = "2026-03-01T12:00:00.000Z"


def encodings_of(secret: str) -> set[bytes]:
    raw = secret.encode()
    wide = {secret.encode(codec) for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")}
    forms = {raw, quote(secret, safe="").encode(), quote_plus(secret).encode(), json.dumps(secret).encode()[1:-1],
             "".join(f"\\u{ord(character):04x}" for character in secret).encode(), *wide}
    # alike wherever it sits
    cores = {base64.b64encode(b"\0" * shift + form)[4:-4] for shift in range(3) for form in (raw, *wide)}
    return forms | {core for core in cores if core}


def leaves(value) -> list[bytes]:
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in leaves(key) + leaves(item)]
    if isinstance(value, list):
        return [found for item in value for found in leaves(item)]
    return [value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogateescape")]


def assert_never_on_disk(folder: Path, *secrets: str) -> None:
    """Searched in the file bytes, in them without line folding, and in every loaded value."""
    files = [path for path in folder.rglob("*") if path.is_file()]
    assert files
    on_disk = b"".join(path.read_bytes() for path in files)
    unfolded = re.sub(rb"\s+", b"", on_disk)
    loaded = b"\n".join(found for path in files for found in leaves(yaml.safe_load(path.read_bytes())))
    for secret in secrets:
        for form in encodings_of(secret):
            for haystack in (on_disk, unfolded, loaded):
                assert form not in haystack, (secret, form)


def redacted(value: str) -> bool:
    return PLACEHOLDER.fullmatch(value) is not None


async def upstream_with(aiohttp_server, handler) -> str:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return url_of(await aiohttp_server(app))


async def streamed(request: web.Request, pieces: list[bytes], content_type: str, **headers) -> web.StreamResponse:
    """An answer without Content-Length, one write per piece."""
    response = web.StreamResponse(headers={"Content-Type": content_type, **headers})
    await response.prepare(request)
    for piece in pieces:
        await response.write(piece)
        await asyncio.sleep(0.05)  # apart enough to arrive as separate chunks
    await response.write_eof()
    return response


async def test_mcp_server_secret_maps_are_redacted_member_by_member(aiohttp_server, recording, tmp_path):
    sent = {"name": "linear", "url": "https://mcp.linear.app/sse",
            "headerSecrets": {"Authorization": "Bearer Zq8pX2vLw9Rt4Ys7", "X-Team": "platform-team"},
            "envSecrets": {"LINEAR_WORKSPACE": "hunter2-correct-horse"}}
    answered = json.dumps({"ok": True, "server": {"id": SERVER_ID, **sent, "createdAt": CREATED}}).encode()

    async def create(request):
        assert await request.json() == sent
        return web.Response(body=answered, content_type="application/json")

    client, path = await recording(await upstream_with(aiohttp_server, create), "mcp")
    response = await client.post("/api/mcp-servers", json=sent)
    assert response.status == 200 and await response.read() == answered
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "Zq8pX2vLw9Rt4Ys7", "hunter2-correct-horse", "platform-team")
    requests, responses, _ = load(path)
    for recorded in (json.loads(requests[0].body), json.loads(responses[0]["body"]["string"])["server"]):
        assert (recorded["name"], recorded["url"]) == ("linear", "https://mcp.linear.app/sse")
        assert list(recorded["headerSecrets"]) == ["Authorization", "X-Team"]
        assert all(redacted(value) for value in [*recorded["headerSecrets"].values(),
                                                 *recorded["envSecrets"].values()])
    server = json.loads(responses[0]["body"]["string"])["server"]
    assert (server["id"], server["createdAt"]) == (SERVER_ID, CREATED)


async def test_chunked_json_is_redacted_whole_even_across_a_split_token(aiohttp_server, recording, tmp_path):
    pieces = [b'{"ok":true,"data":{"envVars":[{"id":"' + SERVER_ID.encode() + b'","key":"STRIPE_KEY",'
              b'"value":"sk_live_51HxQ2p', b'Lm9Vb","secret":"whsec_Pq8xR2tY"}]}}']

    async def env_vars(request):
        return await streamed(request, pieces, "application/json")

    client, path = await recording(await upstream_with(aiohttp_server, env_vars), "chunked")
    response = await client.get("/api/v1/mogplex/repos/r/env-vars")
    assert await response.read() == b"".join(pieces)
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "sk_live_51HxQ2pLm9Vb", "Lm9Vb", "whsec_Pq8xR2tY", "STRIPE_KEY")
    _, responses, _ = load(path)
    body = responses[0]["body"]["string"]
    variable = json.loads(body)["data"]["envVars"][0]
    assert variable["id"] == SERVER_ID and all(redacted(variable[name]) for name in ("key", "value", "secret"))
    sizes = [size for size, _ in responses[0]["mockplex"]["chunks"]]
    assert sizes[0] == len(pieces[0]) and sum(sizes) == len(body) and len(sizes) == 2


async def wire_bytes(client, path: str) -> bytes:
    """What a client that asks for compression and does not decompress receives."""
    async with (aiohttp.ClientSession(auto_decompress=False) as raw,
                raw.get(client.make_url(path), headers={"Accept-Encoding": "gzip, deflate"}) as sent):
        return await sent.read()


def compressed(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body)
    packer = zlib.compressobj(wbits=zlib.MAX_WBITS if encoding == "deflate" else -zlib.MAX_WBITS)
    return packer.compress(body) + packer.flush()


async def test_compressed_answers_are_stored_decoded_and_redacted(aiohttp_server, recording, tmp_path):
    plain = b'{"ok":true,"data":{"token":"mog_CompressedSecret0001","name":"ci"}}'
    packed = {encoding: compressed(plain, encoding) for encoding in ("gzip", "deflate", "raw-deflate")}

    async def answer(request):
        encoding = request.path.strip("/")
        return web.Response(body=packed[encoding], content_type="application/json",
                            headers={"Content-Encoding": "deflate" if encoding == "raw-deflate" else encoding})

    client, path = await recording(await upstream_with(aiohttp_server, answer), "compressed")
    for encoding, expected in packed.items():
        assert await wire_bytes(client, f"/{encoding}") == expected
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "mog_CompressedSecret0001")
    requests, responses, _ = load(path)
    for response in responses:
        body = response["body"]["string"]
        assert json.loads(body)["data"]["name"] == "ci" and redacted(json.loads(body)["data"]["token"])
        assert "Content-Encoding" not in response["headers"]
        assert response["headers"]["Content-Length"] == [str(len(body))]
    with vcr.use_cassette(str(path), record_mode="none"):
        replayed = await asyncio.to_thread(requests_library.get, requests[0].uri)  # asks for gzip
        assert replayed.content == responses[0]["body"]["string"]


async def test_event_stream_data_lines_are_joined_and_redacted(aiohttp_server, recording, tmp_path):
    pieces = [b'data:{"access_token":"Ab3dEf6hIj9kLm2n"}\n\n',
              b'event: run\ndata: {"run":{"id":"' + SERVER_ID.encode() + b'",\ndata: "apiKey":"sk-proj-9x',
              b'8y7z6w5v4u3t2s1r"}}\n\n',
              b"data: plain text with mog_EventStreamText0001 in it\n\n", b"data: [DONE]\n\n"]

    async def events(request):
        return await streamed(request, pieces, "text/event-stream")

    client, path = await recording(await upstream_with(aiohttp_server, events), "events")
    assert await (await client.get("/api/v1/mogplex/runs/r/events")).read() == b"".join(pieces)
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "Ab3dEf6hIj9kLm2n", "sk-proj-9x8y7z6w5v4u3t2s1r",
                         "mog_EventStreamText0001", "8y7z6w5v4u3t2s1r")
    _, responses, _ = load(path)
    body = responses[0]["body"]["string"]
    events_on_disk = body.decode().split("\n\n")
    assert re.fullmatch(r'data:\{"access_token":"<redacted:[a-z_]+:\d+>"\}', events_on_disk[0])
    assert re.fullmatch(r'event: run\ndata: \{"run":\{"id":"' + SERVER_ID + r'","apiKey":"<redacted:[a-z_]+:\d+>"\}\}',
                        events_on_disk[1])
    assert re.fullmatch(r"data: plain text with <redacted:pat:\d+> in it", events_on_disk[2])
    assert events_on_disk[3:] == ["data: [DONE]", ""]
    sizes = [size for size, _ in responses[0]["mockplex"]["chunks"]]
    assert len(sizes) == len(pieces) and sum(sizes) == len(body)


async def test_credentials_are_found_by_what_they_are_and_where_they_sit(aiohttp_server, recording, tmp_path):
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkYW5hIn0.c2lnbmF0dXJlMDAwMQ"
    answer = json.dumps({"access_token": "at-5Gk2Lq8Wz1", "refresh_token": "rt-9f8e7d6c5b4a", "id_token": jwt,
                         "token_type": "bearer", "client_secret": "cs-4f3e2d1c", "password": "hunter2!",
                         "github": "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "aws": "AKIAIOSFODNN7EXAMPLE",
                         "slack": "xoxb-1234567890-abcdefghij", "openai": "sk-proj-Zz9Yy8Xx7Ww6Vv5Uu4",
                         "note": "retry with Bearer Qw3rTy7uIo9p", "id": SERVER_ID, "created_at": CREATED,
                         "name": "Dana Scully"}).encode()
    location = "https://app.example/cb#access_token=mpx_oauth_fragment_0001&token_type=bearer"

    async def oauth(request):
        return web.Response(status=302, body=answer, content_type="application/json",
                            headers={"Location": location, "X-Session-Token": "st-7a6b5c4d3e"})

    client, path = await recording(await upstream_with(aiohttp_server, oauth), "oauth")
    query = ("code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&token=mog%5FPercentEncoded0001"
             "&session=mpx_session_query_0001")
    response = await client.post(f"/api/auth/oauth2/callback?{query}", allow_redirects=False,
                                 data="grant_type=refresh_token&refresh_token=rt-form-1a2b3c&client_secret=cs-form-4d5e"
                                      "&password=p%40ssw0rd%21&note=mog%5FFormEncoded00001",
                                 headers={"Content-Type": "application/x-www-form-urlencoded",
                                          "X-Api-Key": "xk-8h7g6f5e4d", "X-Auth-Token": "xt-3c2b1a0z9y"})
    assert (response.status, await response.read(), response.headers["Location"]) == (302, answer, location)
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "at-5Gk2Lq8Wz1", "rt-9f8e7d6c5b4a", jwt, "cs-4f3e2d1c", "hunter2!",
                         "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "AKIAIOSFODNN7EXAMPLE",
                         "xoxb-1234567890-abcdefghij", "sk-proj-Zz9Yy8Xx7Ww6Vv5Uu4", "Qw3rTy7uIo9p",
                         "mpx_oauth_fragment_0001", "st-7a6b5c4d3e", "SplxlOBeZQQYbYS6WxSbIA",
                         "mog_PercentEncoded0001", "mpx_session_query_0001", "rt-form-1a2b3c", "cs-form-4d5e",
                         "p@ssw0rd!", "mog_FormEncoded00001", "xk-8h7g6f5e4d", "xt-3c2b1a0z9y")
    requests, responses, _ = load(path)
    assert "state=af0ifjsldkj" in requests[0].uri and "grant_type=refresh_token" in requests[0].body.decode()
    kept = json.loads(responses[0]["body"]["string"])
    assert (kept["id"], kept["created_at"], kept["name"], kept["token_type"]) == (SERVER_ID, CREATED, "Dana Scully",
                                                                                  "bearer")
    assert re.fullmatch(r"https://app\.example/cb#access_token=<redacted:[a-z_]+:\d+>&token_type=bearer",
                        responses[0]["headers"]["Location"][0])


async def test_one_odd_answer_never_costs_the_others(aiohttp_server, recording, tmp_path):
    """A duplicate JSON key, a body that is not UTF-8, a token split right at a chunk start."""
    odd = {"/duplicate": [b'{"a":"mog_DuplicateFirst0001","a":"safe"}'],
           "/binary": [b"\xff\xfe\x00 mog_BinaryBodyToken01 \x80\x81"],
           "/split": [b"m", b"og_SplitAtChunkStart1 done"]}

    async def answer(request):
        return await streamed(request, odd[request.path], "application/octet-stream")

    client, path = await recording(await upstream_with(aiohttp_server, answer), "odd")
    for route, pieces in odd.items():
        assert await (await client.get(route)).read() == b"".join(pieces)
    cassette = client.server.app[RECORDER].cassette
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "mog_DuplicateFirst0001", "mog_BinaryBodyToken01",
                         "og_SplitAtChunkStart1")
    requests, responses, _ = load(path)
    assert [request.path for request in requests] == list(odd) and cassette.failure is None
    bodies = [response["body"]["string"] for response in responses]
    assert re.fullmatch(rb'\{"a":"<redacted:pat:\d+>","a":"safe"\}', bodies[0])
    assert re.fullmatch(rb"\xff\xfe\x00 <redacted:pat:\d+> \x80\x81", bodies[1])  # stored as !!binary
    assert re.fullmatch(rb"<redacted:pat:\d+> done", bodies[2])
    assert b"!!binary" in path.read_bytes()


async def test_what_passes_through_is_unchanged_by_recording(aiohttp_server, recording):
    sent = {"prompt": "caf\u00e9", "n": 1}
    answers = {"/binary": [bytes(range(128)), bytes(range(128, 256))], "/utf8": ["caf\u00e9 ok".encode()[:4],
                                                                              "caf\u00e9 ok".encode()[4:]]}

    async def answer(request):
        if request.method == "POST":
            return web.json_response({"received": await request.json(),
                                      "encoding": request.headers.get("Content-Encoding")})
        return await streamed(request, answers[request.path], "application/octet-stream")

    client, path = await recording(await upstream_with(aiohttp_server, answer), "fidelity")
    echoed = await client.post("/echo", data=gzip.compress(json.dumps(sent).encode()),
                               headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert (echoed.status, await echoed.json()) == (200, {"received": sent, "encoding": None})
    for route, pieces in answers.items():
        assert await (await client.get(route)).read() == b"".join(pieces)
    await client.close()
    requests, responses, _ = load(path)
    assert json.loads(requests[0].body) == sent and "Content-Encoding" not in requests[0].headers
    assert responses[1]["body"]["string"] == bytes(range(256))
    assert responses[1]["mockplex"]["chunks"][0][0] == 128 and len(responses[1]["mockplex"]["chunks"]) == 2
    assert responses[2]["body"]["string"] == "caf\u00e9 ok".encode()


async def test_mockplex_record_exits_1_when_an_interaction_was_refused(aiohttp_server, tmp_path):
    hidden = base64.b64encode(b'{"token": "mog_HiddenInBase64Body01"}')  # redaction cannot see inside

    async def answer(request):
        return web.Response(body=hidden if request.path == "/hidden" else b'{"ok":true}', content_type="text/plain")

    upstream = await upstream_with(aiohttp_server, answer)
    recorder = await asyncio.to_thread(Served, "--upstream", upstream, "--cassette", "refusing", "--cassette-dir",
                                       str(tmp_path / "c"), cwd=tmp_path, command="record")
    origin = recorder.base_url.rsplit("/api/v1/mogplex", 1)[0]
    async with aiohttp.ClientSession() as session:
        for route in ("/hidden", "/fine"):
            async with session.get(origin + route) as response:
                assert await response.read() == (hidden if route == "/hidden" else b'{"ok":true}')
    code, log = await asyncio.to_thread(recorder.stop)
    assert code == 1
    assert log.count("not recording GET /hidden: a secret survived redaction: a token-shaped string at "
                     "response.body.string; every other interaction is still written") == 1
    assert "1 interaction(s) could not be written" in log and "the file holds the 1 written" in log
    assert [request.path for request in load(tmp_path / "c" / "refusing.yaml")[0]] == ["/fine"]
    assert_never_on_disk(tmp_path / "c", "mog_HiddenInBase64Body01")


def stored_interaction(kind: str, body: bytes | str, authorization: str = "Bearer <redacted:credential:1>") -> dict:
    return {"request": {"method": "GET", "uri": f"http://upstream/{kind}", "body": None,
                        "headers": {"Authorization": [authorization]}},
            "response": {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": body}}}


def refused_by_lint(folder: Path, interactions: list[dict]) -> str:
    """What `cassettes lint` says of a cassette of these interactions, which it must refuse."""
    folder.mkdir()
    (folder / "hidden.yaml").write_text(yaml.safe_dump({"version": 1, "interactions": interactions}))
    result = run_cli("cassettes", "lint", "--cassette-dir", str(folder))
    assert result.returncode == 1
    return result.stdout


def test_lint_reads_secrets_in_every_encoding(tmp_path):
    hidden = {"percent": "q=mog%5FPercentHidden0001", "escaped": '{"t":"mog\\u005fEscapedHidden0001"}',
              "base64": base64.b64encode(b"mog_Base64Hidden000001").decode(),
              "gzip": gzip.compress(b"token: mog_GzipHidden00000001"),
              "binary": b"\xff\xfe mog_BinaryHidden000001", "header": "Bearer Zq8pX2vLw9Rt4Ys7"}
    said = refused_by_lint(tmp_path / "c", [stored_interaction(kind, b"", value) if kind == "header"
                                            else stored_interaction(kind, value) for kind, value in hidden.items()])
    for index in range(1, 6):
        assert f"interaction {index}: a token-shaped string at response.body.string" in said
    assert "interaction 6: request header Authorization holds an unredacted credential" in said


async def test_credentials_in_text_shapes_are_redacted_where_they_sit(aiohttp_server, recording, tmp_path):
    answer = ("config:\n  database_password: Tr0ub4dor-and-3\n"
              "dsn = postgres://admin:DsnPassw0rd9@db:5432/app\n"
              "<login><access_token>XmlT0ken-7a7a7a</access_token></login>\n"
              "mutation { login(email: \"dana@example.com\", password: \"GraphQLPass-11\") }\n"
              "repr: {'client_secret': 'PyRepr-Secret-22'}\n"
              "log: {\\\"api_key\\\": \\\"EscapedJson-33\\\"}\n"
              "curl -u x -H 'Authorization: Basic ZGFuYTpodW50ZXIy'\n"
              "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
              "id=" + SERVER_ID + " at " + CREATED + " by Dana Scully\n").encode()
    form = (b'--b\r\nContent-Disposition: form-data; name="pin"\r\n\r\n482913\r\n'
            b'--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nquarterly report\r\n--b--\r\n')

    async def text(request):
        assert await request.read() == form
        return web.Response(body=answer, content_type="text/plain")

    client, path = await recording(await upstream_with(aiohttp_server, text), "text")
    response = await client.post("/api/settings/import", data=form, headers={
        "Content-Type": "multipart/form-data; boundary=b", "X-Linear-Key": "LinearHeader-44",
        "Ocp-Apim-Subscription-Key": "AzureSub-55", "Idempotency-Key": "import-1"})
    assert await response.read() == answer
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "Tr0ub4dor-and-3", "DsnPassw0rd9", "XmlT0ken-7a7a7a",
                         "GraphQLPass-11", "PyRepr-Secret-22", "EscapedJson-33", "ZGFuYTpodW50ZXIy",
                         "b3BlbnNzaC1rZXktdjEAAAA", "482913", "LinearHeader-44", "AzureSub-55")
    requests, responses, _ = load(path)
    assert b"quarterly report" in requests[0].body and requests[0].headers["Idempotency-Key"] == "import-1"
    assert f"id={SERVER_ID} at {CREATED} by Dana Scully\n".encode() in responses[0]["body"]["string"]
    assert b'email: "dana@example.com"' in responses[0]["body"]["string"]


async def test_an_answer_that_cannot_be_decoded_is_refused_not_stored(aiohttp_server, recording, tmp_path, caplog):
    corrupt = gzip.compress(b'{"token":"mog_InsideCorruptGzip01"}')[:-12] + b"\x00" * 12

    async def answer(request):
        if request.path == "/fine":
            return web.json_response({"ok": True})
        return web.Response(body=corrupt, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})

    client, path = await recording(await upstream_with(aiohttp_server, answer), "undecodable")
    assert await wire_bytes(client, "/corrupt") == corrupt
    await client.get("/fine")
    cassette = client.server.app[RECORDER].cassette
    await client.close()
    assert [request.path for request in load(path)[0]] == ["/fine"]
    assert cassette.failure == "1 refused, each logged with its reason"
    assert "not recording GET /corrupt: the gzip body does not decode" in caplog.text
    assert_never_on_disk(tmp_path / "cassettes", "mog_InsideCorruptGzip01")


async def test_a_gzip_request_body_goes_upstream_as_sent_and_is_stored_decoded_and_redacted(aiohttp_server,
                                                                                            tmp_path):
    sent = gzip.compress(json.dumps({"email": "dana@example.com", "password": "GzipRequestPass-42"}).encode())

    async def echo(request):
        received = await request.read()
        return web.json_response({"exact": received == sent, "encoding": request.headers.get("Content-Encoding")})

    app = web.Application()
    app.router.add_post("/api/auth/sign-in", echo)
    upstream = url_of(await aiohttp_server(app, auto_decompress=False))  # sees the bytes on the wire
    recorder = await asyncio.to_thread(Served, "--upstream", upstream, "--cassette", "gzipped", "--cassette-dir",
                                       str(tmp_path / "c"), cwd=tmp_path, command="record")
    origin = recorder.base_url.rsplit("/api/v1/mogplex", 1)[0]
    async with aiohttp.ClientSession() as session:
        async with session.post(origin + "/api/auth/sign-in", data=sent, headers={
                "Content-Encoding": "gzip", "Content-Type": "application/json"}) as response:
            assert await response.json() == {"exact": True, "encoding": "gzip"}
    code, _ = await asyncio.to_thread(recorder.stop)
    assert code == 0
    requests, _, _ = load(tmp_path / "c" / "gzipped.yaml")
    stored = json.loads(requests[0].body)
    assert stored["email"] == "dana@example.com" and redacted(stored["password"])
    assert "Content-Encoding" not in requests[0].headers
    assert_never_on_disk(tmp_path / "c", "GzipRequestPass-42")


async def test_a_compression_bomb_from_the_upstream_is_refused_not_inflated(aiohttp_server, recording, tmp_path,
                                                                            caplog):
    from mockplex.recording.decoding import MAX_DECODED_BYTES

    bomb = gzip.compress(b"\0" * (MAX_DECODED_BYTES + 1), compresslevel=9)

    async def answer(request):
        if request.path == "/bomb":
            return web.Response(body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
        return web.json_response({"ok": True})

    client, path = await recording(await upstream_with(aiohttp_server, answer), "bombed")
    async with client.session.get(client.make_url("/bomb"), auto_decompress=False) as response:
        assert await response.read() == bomb  # the client still gets the upstream's bytes
    assert (await (await client.get("/fine")).json()) == {"ok": True}
    await client.close()
    assert f"not recording GET /bomb: the gzip body decodes to more than {MAX_DECODED_BYTES} bytes" in caplog.text
    assert [request.path for request in load(path)[0]] == ["/fine"]


async def test_secret_maps_are_found_after_a_byte_order_mark_and_inside_text(aiohttp_server, recording, tmp_path):
    server = {"id": SERVER_ID, "name": "linear", "env": {"LINEAR_WORKSPACE": "EnvInText-0001"},
              "headerSecrets": {"X-Team": "HeaderInText-0002"}}
    answers = {"/bom": ("application/json", "\ufeff" + json.dumps({"server": server})),
               "/rsc": ("text/x-component", "0:[\"$\",\"div\"]\n1:" + json.dumps({"server": server}) + "\n"),
               "/next": ("text/html", '<html><script id="__NEXT_DATA__" type="application/json">'
                                      + json.dumps({"props": server}) + "</script></html>"),
               "/js": ("application/javascript", "window.__CFG=" + json.dumps(server) + ";")}

    async def answer(request):
        content_type, text = answers[request.path]
        return web.Response(body=text.encode(), content_type=content_type)

    client, path = await recording(await upstream_with(aiohttp_server, answer), "embedded")
    for route, (_, text) in answers.items():
        assert await (await client.get(route)).read() == text.encode()
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "EnvInText-0001", "HeaderInText-0002")
    _, responses, _ = load(path)
    bodies = [response["body"]["string"].decode() for response in responses]
    assert bodies[0].startswith("\ufeff{") and json.loads(bodies[0][1:])["server"]["name"] == "linear"
    for body in bodies:
        assert SERVER_ID in body and re.search(r'"name": ?"linear"', body)
        assert re.search(r'"env": ?\{"LINEAR_WORKSPACE": ?"<redacted:value:\d+>"\}', body)


async def test_utf16_and_utf32_answers_are_redacted_in_their_own_encoding(aiohttp_server, recording, tmp_path):
    document = json.dumps({"id": SERVER_ID, "name": "Dana Scully", "token": "mog_WideEncodedSecret01"})
    answers = {"/utf-16": (document.encode("utf-16"), "utf-16"),  # with a byte-order mark
               "/utf-16be": (document.encode("utf-16-be"), "utf-16"),  # no mark: the charset says it
               "/utf-32": (document.encode("utf-32"), "utf-32")}

    async def answer(request):
        body, charset = answers[request.path]
        return web.Response(body=body, headers={"Content-Type": f"application/json; charset={charset}"})

    client, path = await recording(await upstream_with(aiohttp_server, answer), "wide")
    for route, (body, _) in answers.items():
        assert await (await client.get(route)).read() == body
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "mog_WideEncodedSecret01")
    _, responses, _ = load(path)
    stored = [response["body"]["string"] for response in responses]
    for body, codec in zip(stored, ("utf-16", "utf-16-be", "utf-32"), strict=True):
        kept = json.loads(body.decode(codec))
        assert (kept["id"], kept["name"]) == (SERVER_ID, "Dana Scully") and redacted(kept["token"])
    assert stored[0].startswith(b"\xff\xfe") and stored[2].startswith(b"\xff\xfe\0\0")


async def test_random_looking_request_headers_of_unknown_services_are_redacted(aiohttp_server, recording, tmp_path):
    trace = "Tr4ce9Kq2Lm7Np3Rs8Vw"

    async def answer(request):
        return web.json_response({"ok": True}, headers={"X-Trace": trace})

    client, path = await recording(await upstream_with(aiohttp_server, answer), "headers")
    response = await client.get("/api/v1/mogplex/repos", headers={
        "x-vercel-protection-bypass": "VercelBypassSecret0123456789abcd", "X-Acme-Preview": "Qm9vdGhBY2Nlc3MxMjM0NTY3",
        "X-Request-Id": SERVER_ID, "X-Team": "platform-team"})
    assert response.headers["X-Trace"] == trace
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "VercelBypassSecret0123456789abcd", "Qm9vdGhBY2Nlc3MxMjM0NTY3")
    requests, responses, _ = load(path)
    assert (requests[0].headers["X-Request-Id"], requests[0].headers["X-Team"]) == (SERVER_ID, "platform-team")
    assert responses[0]["headers"]["X-Trace"] == [trace]


async def test_webhook_urls_are_secrets_by_shape(aiohttp_server, recording, tmp_path):
    hooks = {"slack": "https://hooks.slack.com/services/T0123ABC/B0456XYZ/abcdefghijklmnopqrstuvwx",
             "discord": "https://discord.com/api/webhooks/123456789012345678/DiscordHookToken-abcdefghijkl",
             "discordapp": "https://discordapp.com/api/webhooks/223456789012345678/DiscordAppHookToken-abcdef",
             "ptb": "https://ptb.discord.com/api/v10/webhooks/323456789012345678/PtbHookToken-abcdefghijklm",
             "canary": "https://canary.discord.com/api/webhooks/423456789012345678/CanaryHookToken-abcdefghij"}
    answer_body = json.dumps({"id": SERVER_ID, "hooks": hooks, "docs": "https://api.slack.com/messaging/webhooks"})

    async def answer(request):
        return web.Response(text=answer_body, content_type="application/json")

    client, path = await recording(await upstream_with(aiohttp_server, answer), "hooks")
    assert await (await client.get("/api/settings/notifications")).text() == answer_body
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "abcdefghijklmnopqrstuvwx", "DiscordHookToken-abcdefghijkl",
                         "DiscordAppHookToken-abcdef", "PtbHookToken-abcdefghijklm", "CanaryHookToken-abcdefghij")
    kept = json.loads(load(path)[1][0]["body"]["string"])
    assert kept["id"] == SERVER_ID and kept["docs"] == "https://api.slack.com/messaging/webhooks"


async def test_env_var_maps_and_password_like_names_are_secrets(aiohttp_server, recording, tmp_path):
    answer_body = json.dumps({
        "envVars": {"DATABASE_HOST": "EnvVarsMember-01"}, "env_vars": {"REGION": "EnvVarsMember-02"},
        "variables": {"STAGE": "VariablesMember-03"}, "PGPASSWORD": "PgPassword-04", "DB_PASS": "DbPass-05",
        "pass": "Pass-06", "passcode": 731904, "id": SERVER_ID, "compass": "north-west", "passenger": "Dana Scully",
        "bypass": True, "pass_count": 3})

    async def answer(request):
        return web.Response(text=answer_body, content_type="application/json")

    client, path = await recording(await upstream_with(aiohttp_server, answer), "names")
    assert await (await client.get("/api/v1/mogplex/repos/r/env-vars")).text() == answer_body
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "EnvVarsMember-01", "EnvVarsMember-02", "VariablesMember-03",
                         "PgPassword-04", "DbPass-05", "Pass-06", "731904")
    kept = json.loads(load(path)[1][0]["body"]["string"])
    assert (kept["id"], kept["compass"], kept["passenger"], kept["bypass"], kept["pass_count"]) == (
        SERVER_ID, "north-west", "Dana Scully", True, 3)


async def test_an_event_named_for_a_credential_and_an_unquoted_multipart_name_are_redacted(aiohttp_server, recording,
                                                                                          tmp_path):
    events = [b"event: token\ndata: Zq8pX2vLw9Rt4Ys7\n\n", b"event: progress\ndata: halfway there\n\n"]
    form = (b"--b\r\nContent-Disposition: form-data; name=password\r\n\r\nUnquotedField-07\r\n"
            b"--b\r\nContent-Disposition: form-data; name=title\r\n\r\nquarterly report\r\n--b--\r\n")

    async def answer(request):
        assert await request.read() == form
        return await streamed(request, events, "text/event-stream")

    client, path = await recording(await upstream_with(aiohttp_server, answer), "named")
    response = await client.post("/api/v1/mogplex/runs", data=form,
                                 headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert await response.read() == b"".join(events)
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "Zq8pX2vLw9Rt4Ys7", "UnquotedField-07")
    requests, responses, _ = load(path)
    assert b"name=title\r\n\r\nquarterly report" in requests[0].body
    assert re.fullmatch(rb"event: token\ndata: <redacted:token:\d+>\n\nevent: progress\ndata: halfway there\n\n",
                        responses[0]["body"]["string"])


async def test_every_member_of_a_multi_member_gzip_answer_is_stored(aiohttp_server, recording, tmp_path):
    members = [b'{"id":"' + SERVER_ID.encode() + b'",', b'"token":"mog_SecondGzipMember01","name":"ci"}']
    packed = b"".join(gzip.compress(member) for member in members)

    async def answer(request):
        return web.Response(body=packed, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})

    client, path = await recording(await upstream_with(aiohttp_server, answer), "members")
    assert await wire_bytes(client, "/members") == packed
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "mog_SecondGzipMember01")
    kept = json.loads(load(path)[1][0]["body"]["string"])
    assert (kept["id"], kept["name"]) == (SERVER_ID, "ci") and redacted(kept["token"])


async def test_raw_and_nested_deflate_bodies_are_read_by_the_guard_and_refused(aiohttp_server, recording, tmp_path):
    secret = b'{"token":"mog_RawDeflateHidden01"}'
    answers = {"/raw": (compressed(secret, "raw-deflate"), {}),
               "/nested": (gzip.compress(gzip.compress(secret)), {}),
               "/gzip-claimed": (compressed(secret, "raw-deflate"), {"Content-Encoding": "gzip"})}

    async def answer(request):
        if request.path == "/fine":
            return web.json_response({"ok": True})
        body, headers = answers[request.path]
        return web.Response(body=body, content_type="application/octet-stream", headers=headers)

    client, path = await recording(await upstream_with(aiohttp_server, answer), "deflated")
    for route, (body, _) in answers.items():
        assert await wire_bytes(client, route) == body
    await client.get("/fine")
    await client.close()
    assert [request.path for request in load(path)[0]] == ["/fine"]
    assert_never_on_disk(tmp_path / "cassettes", "mog_RawDeflateHidden01")


def test_lint_reads_secrets_the_redactor_could_not_see(tmp_path):
    token = b'{"token":"mog_GuardOnlyHidden0001"}'
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    hidden = {"after-a-path": b"https://ex.com/setup/" + base64.b64encode(token),
              "utf-16-no-mark": token.decode().encode("utf-16-be"),
              "utf-16-mark": ("\u6f22\u5b57" * 40 + token.decode()).encode("utf-16"),
              "raw-deflate": raw.compress(token) + raw.flush(),
              "gzip-in-gzip": gzip.compress(gzip.compress(token)),
              "secret-map": b'<script>window.cfg={"envSecrets": {"A": "plain-member-value"}}</script>'}
    said = refused_by_lint(tmp_path / "c", [stored_interaction(kind, value) for kind, value in hidden.items()])
    for index in range(1, 6):
        assert f"interaction {index}: a token-shaped string at response.body.string" in said
    assert "interaction 6: an unredacted member of 'envSecrets' at response.body.string" in said


PATHOLOGICAL = {
    "named-objects": '"env":{' * 17_000,
    "unclosed-maps": '"envSecrets":{"a":' * 7_000,
    "multipart-names": "name=" * 24_000,
    "quoted-multipart-names": 'name="a' * 17_000,
    "webhook-hosts": "hooks.slack.com/services/" * 4_800,
    "discord-hosts": "discord.com/api/webhooks/1/" * 4_400,
    "event-names": "event: token\n" * 9_000,
    "base64-paths": "/AAAAAAAAAAAAAAAA" * 7_000,
}


@pytest.mark.parametrize("body", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_a_pathological_body_is_redacted_in_linear_time(body):
    started = time.perf_counter()
    Redactor().body(body.encode())
    holds_secret(body.encode())
    assert time.perf_counter() - started < 2


async def test_a_flow_webhook_secret_minted_through_the_proxy_never_reaches_disk(aiohttp_server, recording,
                                                                                tmp_path):
    """The web app hands the secret out once, in its answer; the cassette keeps a placeholder."""
    from conftest import DANA_SESSION, SESSION_COOKIE, make_settings

    from mockplex.app import build_app

    upstream = await aiohttp_server(build_app(make_settings(tmp_path / "upstream")))
    client, path = await recording(url_of(upstream), "webhook-secret")
    cookie = {"Cookie": f"{SESSION_COOKIE}={DANA_SESSION}"}
    flows = await (await client.get("/api/flows", headers=cookie)).json()
    minted = await client.post(f"/api/flows/{flows[0]['id']}/webhook-secret", headers=cookie)
    secret = (await minted.json())["secret"]
    await client.close()
    assert minted.status == 200 and secret.startswith("whsec_")
    assert_never_on_disk(tmp_path / "cassettes", secret, DANA_SESSION)
    _, responses, _ = load(path)
    assert redacted(json.loads(responses[1]["body"]["string"])["secret"])
