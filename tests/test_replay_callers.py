"""Replay answers each caller as it was answered: several callers record the same
requests, and each gets its own answers back, by its real credential, by the stand-in
token `mockplex cassettes credentials` prints, or by a token mapped with --credential."""

from __future__ import annotations

import hashlib
import re

import aiohttp
import vcr
import yaml
from conftest import DANA_SESSION, OTHER_USER, READ_ONLY, REVOKED, RW, SESSION_COOKIE, V1, WEB_REPO, make_settings
from test_cli import Served, run_cli

from mockplex import state
from mockplex.app import build_app
from mockplex.recording.app import RecordSettings, build_record_app
from mockplex.recording.redaction import leaked_tokens
from mockplex.replay.route import REPLAY_STORE, ReplaySettings

START = {"repoId": WEB_REPO, "prompt": "Fix the flaky test", "createBranch": True}
BEARER_CALLERS = {"read-write": RW, "other user": OTHER_USER, "read only": READ_ONLY, "revoked": REVOKED}
BEARER_REQUESTS = [("GET", f"{V1}/repos", None), ("GET", f"{V1}/automations", None), ("POST", f"{V1}/runs", START),
                   ("GET", "/api/settings", None)]
SESSION_REQUESTS = [("GET", "/api/github/installations", None), ("GET", "/api/settings", None)]
# Headers that say when and by what an answer was made, not what it was; and Set-Cookie, a
# credential the cassette keeps only redacted.
UNCOMPARED_HEADERS = frozenset({"date", "server", "x-mockplex-source", "content-length", "set-cookie"})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def session(token: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={token}"}


def script() -> list[tuple[str, str, str, object]]:
    """(caller, method, path, body) for every caller making the same requests."""
    return ([(caller, *request) for caller in BEARER_CALLERS for request in BEARER_REQUESTS]
            + [("session", *request) for request in SESSION_REQUESTS])


def credentials_of(bearers: dict[str, str], session_token: str) -> dict[str, dict[str, str]]:
    return {**{caller: bearer(token) for caller, token in bearers.items()}, "session": session(session_token)}


async def run(origin: str, credentials: dict[str, dict[str, str]], calls) -> dict[tuple, tuple]:
    """Each call's answer: status, body and the headers that describe it."""
    seen = {}
    async with aiohttp.ClientSession() as client:
        for caller, method, path, body in calls:
            headers = {**credentials[caller], **({"Idempotency-Key": "same-key"} if body else {})}
            async with client.request(method, origin + path, json=body, headers=headers,
                                      allow_redirects=False) as answer:
                # An answer that names a server (a challenge, a redirect) names the one called.
                described = sorted((name, value.replace(origin, "<origin>"))
                                   for name, value in answer.headers.items() if name.lower() not in UNCOMPARED_HEADERS)
                seen[(caller, method, path)] = (answer.status, await answer.read(), described)
    return seen


async def record_callers(aiohttp_server, tmp_path):
    """Every caller's requests through a record proxy in front of the fixture world."""
    upstream = await aiohttp_server(build_app(make_settings(tmp_path / "up", "frozen")))
    cassettes = tmp_path / "cassettes"
    proxy = await aiohttp_server(build_record_app(RecordSettings(
        f"http://127.0.0.1:{upstream.port}", cassettes / "callers.yaml", "all")))
    credentials = credentials_of(BEARER_CALLERS, DANA_SESSION)
    recorded = await run(f"http://127.0.0.1:{proxy.port}", credentials, script())
    await proxy.close()
    return cassettes, recorded


def replay_app(tmp_path, cassettes, **replay_options):
    return build_app(make_settings(tmp_path / "replay", "frozen", default_mode="replay",
                                   replay=ReplaySettings(cassettes / "callers.yaml", "callers", **replay_options)))


async def replay_server(aiohttp_server, tmp_path, cassettes, **replay_options):
    return f"http://127.0.0.1:{(await aiohttp_server(replay_app(tmp_path, cassettes, **replay_options))).port}"


def in_another_order():
    return list(reversed(script()))


def callers_by_token(cassette_bytes: bytes) -> dict[str, str]:
    """Recorded caller (`credential:N`, `cookie:N`) -> the credential it was recorded with."""
    recorded_with = {hashlib.sha256(token.encode()).hexdigest(): token
                     for token in [*BEARER_CALLERS.values(), DANA_SESSION]}
    callers = yaml.safe_load(cassette_bytes)["metadata"]["mockplex"]["callers"]
    return {name: recorded_with[seen["sha256"]] for name, seen in callers.items()}


async def test_each_caller_is_answered_as_it_was_by_its_own_credential(aiohttp_server, tmp_path):
    cassettes, recorded = await record_callers(aiohttp_server, tmp_path)
    statuses = {(caller, path): status for (caller, _, path), (status, _, _) in recorded.items()}
    assert statuses[("read only", f"{V1}/runs")] == 403 and statuses[("read-write", f"{V1}/runs")] == 202
    assert statuses[("other user", f"{V1}/runs")] == 404 and statuses[("revoked", f"{V1}/repos")] == 401
    assert recorded[("read-write", "GET", f"{V1}/repos")][1] != recorded[("other user", "GET", f"{V1}/repos")][1]
    origin = await replay_server(aiohttp_server, tmp_path, cassettes)
    credentials = credentials_of(BEARER_CALLERS, DANA_SESSION)
    assert await run(origin, credentials, in_another_order()) == recorded
    unknown = await run(origin, {"unknown": bearer("mog_mockplexNeverRecorded000")},
                        [("unknown", "GET", f"{V1}/repos", None)])
    status, body, _ = unknown[("unknown", "GET", f"{V1}/repos")]
    assert status == 401 and b'"UNAUTHORIZED"' in body  # the world's answer: no recorded caller had it


async def test_the_cassette_holds_hashes_never_the_credentials(aiohttp_server, tmp_path):
    cassettes, recorded = await record_callers(aiohttp_server, tmp_path)
    path = cassettes / "callers.yaml"
    on_disk = path.read_bytes()
    for secret in [*BEARER_CALLERS.values(), DANA_SESSION]:
        assert secret.encode() not in on_disk, secret
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in on_disk
    metadata = yaml.safe_load(on_disk)["metadata"]
    assert leaked_tokens(metadata) == []  # the guard reads a hex digest as no secret
    scopes = {callers_by_token(on_disk)[name]: seen["scopes"] for name, seen in metadata["mockplex"]["callers"].items()}
    assert scopes[READ_ONLY] == {"read": True, "write": False}
    assert scopes[RW] == {"read": True, "write": True}
    assert scopes[REVOKED] == {"read": None, "write": None}
    with vcr.use_cassette(str(path), record_mode="none") as cassette:
        assert len(cassette) == len(recorded)


async def test_the_credentials_replay_has_seen_are_kept_out_of_every_repr(aiohttp_server, tmp_path):
    """Replay keeps each credential it is shown, to know its caller again at once, and the
    tokens --credential maps to callers, and the server's own secrets: in memory only, where
    no repr an error or a log line prints can show them."""
    cassettes, _ = await record_callers(aiohttp_server, tmp_path)
    mapped = "mog_ciMappedNeverShown0000000"
    app = replay_app(tmp_path, cassettes, credentials={mapped: "credential:1"})
    settings = app[state.SETTINGS]
    for name in ("admin_token", "cron_secret", "internal_secret", "github_webhook_secret", "e2e_secret"):
        setattr(settings, name, f"{name}NeverShown")
    served = await aiohttp_server(app)
    await run(f"http://127.0.0.1:{served.port}", credentials_of(BEARER_CALLERS, DANA_SESSION), script())
    shown = repr(app[REPLAY_STORE]) + repr(app[state.SETTINGS])
    assert "CallerBook(" in shown and "ReplaySettings(" in shown
    for secret in [*BEARER_CALLERS.values(), DANA_SESSION, mapped, "NeverShown"]:
        assert secret not in shown, secret


async def test_stand_in_tokens_and_mapped_tokens_replay_as_the_recorded_callers(aiohttp_server, tmp_path):
    cassettes, recorded = await record_callers(aiohttp_server, tmp_path)
    printed = run_cli("cassettes", "credentials", "callers", "--cassette-dir", str(cassettes))
    assert printed.returncode == 0, printed.stderr
    stand_ins = dict(re.findall(r"<redacted:(\S+)>\s+(mog_replay[0-9a-f]{18})\s", printed.stdout))
    recorded_with = callers_by_token((cassettes / "callers.yaml").read_bytes())
    assert set(stand_ins) == set(recorded_with)
    standing_in = {recorded_with[name]: token for name, token in stand_ins.items()}
    credentials = credentials_of({caller: standing_in[token] for caller, token in BEARER_CALLERS.items()},
                                 standing_in[DANA_SESSION])
    origin = await replay_server(aiohttp_server, tmp_path, cassettes)
    assert await run(origin, credentials, in_another_order()) == recorded

    mapped = {recorded_with[name]: f"mog_ciMappedCaller{name[-1]}0000000" for name in recorded_with
              if name.startswith("credential:")}
    flags = [f"--credential={name.removeprefix('credential:')}={mapped[token]}"
             for name, token in recorded_with.items() if name.startswith("credential:")]
    served = Served("--mode", "replay", "--cassette", "callers", "--cassette-dir", str(cassettes), "--quiet",
                    *flags, cwd=tmp_path)
    try:
        origin = served.base_url.removesuffix(V1)
        credentials = credentials_of({caller: mapped[token] for caller, token in BEARER_CALLERS.items()},
                                     DANA_SESSION)
        assert await run(origin, credentials, in_another_order()) == recorded
    finally:
        served.stop()


async def test_a_credential_no_one_recorded_gets_no_one_s_answers(aiohttp_server, tmp_path):
    """A made-up token passes the edge gate of a PAT-allowlisted route, and a stray cookie
    that of a public one; neither may be answered from a recorded caller's answers."""
    cassettes, recorded = await record_callers(aiohttp_server, tmp_path)
    origin = await replay_server(aiohttp_server, tmp_path, cassettes)
    strangers = {"made up": bearer("mog_madeUpNeverIssued0000000"), "stray cookie": {"Cookie": "theme=dark"}}
    seen = await run(origin, strangers, [("made up", "GET", "/api/settings", None),
                                         ("stray cookie", "GET", "/api/settings", None)])
    for caller in strangers:
        status, body, _ = seen[(caller, "GET", "/api/settings")]
        assert body != recorded[("read-write", "GET", "/api/settings")][1], caller
    assert seen[("made up", "GET", "/api/settings")][0] == 404  # answered as no one: nothing was recorded so
    assert seen[("stray cookie", "GET", "/api/settings")][0] == 307  # no session: the gate's login redirect


async def test_a_stand_in_counts_only_as_the_kind_of_credential_it_stands_for(aiohttp_server, tmp_path):
    cassettes, _ = await record_callers(aiohttp_server, tmp_path)
    printed = run_cli("cassettes", "credentials", "callers", "--cassette-dir", str(cassettes))
    stand_ins = dict(re.findall(r"<redacted:(\S+)>\s+(mog_replay[0-9a-f]{18})\s", printed.stdout))
    bearer_stand_in = next(token for name, token in stand_ins.items() if name.startswith("credential:"))
    cookie_stand_in = next(token for name, token in stand_ins.items() if name.startswith("cookie:"))
    origin = await replay_server(aiohttp_server, tmp_path, cassettes)
    seen = await run(origin, {"bearer as cookie": session(bearer_stand_in), "cookie as bearer": bearer(cookie_stand_in),
                              "cookie, HEAD": session(cookie_stand_in)},
                     [("bearer as cookie", "GET", "/api/github/installations", None),
                      ("cookie as bearer", "GET", f"{V1}/repos", None),
                      ("cookie, HEAD", "HEAD", "/api/github/installations", None)])
    assert seen[("bearer as cookie", "GET", "/api/github/installations")][0] == 307  # the gate's login redirect
    assert seen[("cookie as bearer", "GET", f"{V1}/repos")][0] == 401
    status, body, _ = seen[("cookie, HEAD", "HEAD", "/api/github/installations")]
    assert (status, body) == (200, b"")  # passes the gate and is answered as its GET, without the body
