"""Review of the secrets the account, integration, auth-library and CLI routes carry (issue 18):
each one, driven through real HTTP, never reaches a cassette (record mode in front of the
world, or of a hostile upstream) nor the journal (`GET /__mockplex/journal`) in clear, and
hostile bodies on those routes are answered as the server would, never with aiohttp's 500."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from conftest import DANA_SESSION, RW, V1, body_of, make_settings
from test_redaction_shapes import assert_never_on_disk, upstream_with
import test_record
from test_record import load, url_of

from mockplex import state
from mockplex.app import build_app
from mockplex.handlers.unsubscribe import signature_for
from mockplex.recording.proxy import RECORDER
from mockplex.recording.redaction import Redactor, holds_secret
from mockplex.world.managed_auth import webhook_signature

recording = test_record.recording  # the record proxy fixture: an app in front of an upstream URL
upstream = test_record.upstream  # the fixture world on its own loopback port
DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"
SESSION = {"Cookie": f"better-auth.session_token={DANA_SESSION}"}
CUSTOM = {"type": "mcp_server", "name": "Acme Docs", "mcp_url": "https://mcp.acme.example.dev/mcp",
          "auth_type": "oauth", "credentials": "acme-client-secret-0001", "oauth_client_id": "acme-client",
          "oauth_authorize_url": "https://auth.acme.example.dev/authorize?audience=docs",
          "oauth_token_url": "https://auth.acme.example.dev/token", "oauth_scopes": "docs:read offline"}
WAITLIST_CODE = "HARBOR-LAUNCH"
VERCEL_TOKEN = "vercelTok3nAbcdEf12"
TEAM_KEY = "sk-or-teamKeyValue0001abcdef"
SLACK_CODE = "7305142683.9530426170435.5d2c81a6f4"


def set_cookies(response) -> dict[str, str]:
    return {line.split("=", 1)[0]: line.split("=", 1)[1].split(";")[0]
            for line in response.headers.getall("Set-Cookie", [])}


def jar(*pairs: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for cookies in pairs for name, value in cookies.items() if value)


async def every_new_secret(client, world) -> list[str]:
    """Walk every flow of the new routes that carries a secret, through `client` (a record
    proxy in front of the world, or the world itself); the secrets seen on the wire."""
    origin = f"http://{client.server.host}:{client.server.port}"
    same = {"Origin": origin}
    seen: list[str] = []

    async def call(method, path, **kwargs):
        response = await client.request(method, path, allow_redirects=False, **kwargs)
        response.raw_body = await response.read()
        return response

    # better-auth: the state cookie and query, GitHub's code, the session token, its cache cookie
    started = await call("POST", "/api/auth/sign-in/social", json={"provider": "github", "callbackURL": "/d"},
                         headers=same)
    oauth_state = parse_qs(urlsplit(body_of(started)["url"]).query)["state"][0]
    state_cookies = set_cookies(started)
    signed_in = await call("GET", f"/api/auth/callback/github?code=dana-okafor&state={oauth_state}",
                           headers={"Cookie": jar(state_cookies)})
    session_cookies = {name: value for name, value in set_cookies(signed_in).items() if value}
    assert set(session_cookies) == {"better-auth.session_token", "better-auth.session_data"}
    current = await call("GET", "/api/auth/get-session", headers={"Cookie": jar(session_cookies)})
    listed = await call("GET", "/api/auth/list-sessions", headers={"Cookie": jar(session_cookies)})
    assert body_of(current)["session"]["token"] == body_of(listed)[0]["token"]
    seen += [oauth_state, *state_cookies.values(), *session_cookies.values(), body_of(current)["session"]["token"]]
    # GitHub connect: its state cookie
    github = await call("GET", "/api/auth/github", headers=SESSION)
    seen += [value for value in set_cookies(github).values() if len(value) > 8]
    # Vercel: the start page's state, nonce and verifier (cookies, meta refresh, anchor); the token
    vercel = await call("GET", "/api/auth/vercel", headers=SESSION)
    vercel_cookies = set_cookies(vercel)
    assert all(value in vercel.raw_body.decode() for name, value in vercel_cookies.items() if "verifier" not in name)
    stored = await call("POST", "/api/auth/vercel/token", json={"token": VERCEL_TOKEN},
                        headers={**SESSION, **same, "X-Requested-With": "XMLHttpRequest"})
    assert stored.status == 200
    seen += [*vercel_cookies.values(), VERCEL_TOKEN]
    # Slack: the signed state, its nonce cookie, Slack's code (the bot token stays in the world)
    install = await call("GET", "/api/integrations/slack/install", headers=SESSION)
    slack_state = parse_qs(urlsplit(install.headers["Location"]).query)["state"][0]
    nonce = set_cookies(install)["slack_oauth_state"]
    back = await call("GET", f"/api/integrations/slack/callback?code={SLACK_CODE}&state={slack_state}",
                      headers={"Cookie": jar({"better-auth.session_token": DANA_SESSION, "slack_oauth_state": nonce})})
    assert "slack=connected" in back.headers["Location"]
    seen += [slack_state, nonce, SLACK_CODE]
    # A connection authorized through OAuth: the client secret, state, code, then its stored tokens
    created = await call("POST", "/api/connections", json=CUSTOM, headers={**SESSION, **same})
    connection = body_of(created)["connection"]["id"]
    start = await call("GET", f"/api/connections/oauth?connectionId={connection}", headers=SESSION)
    conn_state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    conn_cookies = set_cookies(start)
    done = await call("GET", f"/api/connections/oauth/callback?code=provider-code-1&state="
                      f"{conn_state.replace('+', '%2B')}",
                      headers={"Cookie": jar({"better-auth.session_token": DANA_SESSION}, conn_cookies)})
    assert done.headers["Location"].endswith("oauth=success")
    await call("GET", "/api/connections", headers=SESSION)
    await call("GET", f"{V1}/mcp/servers", headers={"Authorization": f"Bearer {RW}"})
    seen += ["acme-client-secret-0001", conn_state, "provider-code-1",
             *json.loads(world.mcp_servers.connections.get(connection).credential).values()]
    # Managed auth: the connect token in the broker's link, the signed webhook
    sentry = body_of(await call("POST", "/api/connections", json={"source_preset": "sentry"},
                                headers={**SESSION, **same}))["connection"]["id"]
    link = await call("GET", f"/api/connections/managed-auth?connectionId={sentry}", headers=SESSION)
    connect_token = parse_qs(urlsplit(link.headers["Location"]).query)["token"][0]
    account = world.managed_auth.latest_account_of(DANA)
    delivery = json.dumps({"event": "CONNECTION_SUCCESS", "environment": "production", "connect_token": connect_token,
                           "connect_session_id": 7, "account": account.as_payload()}).encode()
    signature = webhook_signature(delivery, 1779012000 + 30)  # the step clock's start, and about a request a second
    await call("POST", "/api/connections/managed-auth/webhook", data=delivery,
               headers={**SESSION, "Content-Type": "application/json", "x-pd-signature": signature})
    seen += [connect_token, signature.split("v1=")[1], account.access_token]
    # The MCP OAuth consent: the authorization code in the client's redirect
    decided = await call("POST", "/api/oauth/decision",
                         data="authorization_id=mpx_authz_dev_pending_0001&decision=approve",
                         headers={**SESSION, **same, "Content-Type": "application/x-www-form-urlencoded"})
    seen.append(parse_qs(urlsplit(decided.headers["Location"]).query)["code"][0])
    # The waitlist: a code redeemed, and the signed cookie it sets
    redeemed = await call("POST", "/api/auth/waitlist/validate", json={"code": WAITLIST_CODE})
    assert redeemed.status == 200
    seen += [WAITLIST_CODE, *set_cookies(redeemed).values()]
    # Unsubscribe: the HMAC in the link, and in the Location it is echoed into
    await call("GET", f"/api/unsubscribe?email=a@b.dev&t={signature_for('a@b.dev')}", headers=SESSION)
    await call("POST", f"/api/unsubscribe?email=a@b.dev&t={signature_for('a@b.dev')}", headers=SESSION)
    seen.append(signature_for("a@b.dev"))
    # A team: an invite's token (mailed only: read from the world's outbox), a provider key's value
    invited = await call("POST", f"/api/teams/{TEAM}/invites", json={"email": "new@corp.dev", "role": "viewer"},
                         headers={**SESSION, **same})
    assert invited.status == 201
    token = world.team_invites.outbox[-1].accept_url.rsplit("/", 1)[1]
    assert token not in invited.raw_body.decode()
    assert (await call("GET", f"/api/invites/{token}", headers=SESSION)).status == 200
    await call("POST", f"/api/invites/{token}", json={}, headers={**SESSION, **same})
    await call("GET", f"/api/teams/{TEAM}/members", headers=SESSION)
    assert (await call("PUT", f"/api/teams/{TEAM}/keys", json={"provider": "openrouter", "key": TEAM_KEY},
                       headers={**SESSION, **same})).status == 200
    keys = await call("GET", f"/api/teams/{TEAM}/keys", headers=SESSION)
    assert TEAM_KEY not in keys.raw_body.decode()
    await call("GET", f"/api/teams/{TEAM}/audit-events", headers=SESSION)
    seen += [token, TEAM_KEY]
    # The CLI's completions, streamed
    await call("POST", "/api/cli/openai/chat/completions", headers={"Authorization": f"Bearer {RW}"},
               json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    seen.append(RW)
    return [secret for secret in dict.fromkeys(seen) if secret]


async def test_no_secret_of_the_new_routes_reaches_a_cassette(upstream, recording, tmp_path, caplog):
    client, path = await recording(url_of(upstream), "accounts")
    secrets = await every_new_secret(client, upstream.app[state.WORLD])
    assert len(secrets) > 25
    recorder = client.server.app[RECORDER]
    await recorder.settle()
    assert recorder.cassette.flush() and recorder.cassette.failure is None, caplog.text  # nothing refused
    assert_never_on_disk(tmp_path / "cassettes", *secrets)
    requests, _, _ = load(path)
    invite = next(request for request in requests if request.path.startswith("/api/invites/"))
    assert re.fullmatch(r"/api/invites/<redacted:invite:\d+>", invite.path)
    redeemed = next(request for request in requests if request.path.endswith("/waitlist/validate"))
    assert re.fullmatch(r'\{"code": ?"<redacted:code:\d+>"\}', redeemed.body.decode())
    members = next(request for request in requests if request.path.endswith("/members"))
    assert members.path == f"/api/teams/{TEAM}/members"  # ids are kept


async def test_no_secret_of_the_new_routes_reaches_the_journal(aiohttp_client, tmp_path):
    client = await aiohttp_client(build_app(make_settings(tmp_path, "step:1")))
    secrets = await every_new_secret(client, client.server.app[state.WORLD])
    journal = await (await client.get("/__mockplex/journal")).read()
    entries = json.loads(journal)["requests"]
    assert any(entry["path"].startswith("/api/invites/") for entry in entries)
    for secret in secrets:
        assert secret.encode() not in journal, secret
        assert json.dumps(secret)[1:-1].encode() not in journal, secret
    assert any(entry["path"] == f"/api/teams/{TEAM}/members" for entry in entries)


# -- what redaction now reads ---------------------------------------------------------------------

@pytest.mark.parametrize("text, secret", [
    ('<meta http-equiv="refresh" content="0;url=https://app.example/cb?code=Zq8pX2vLw9&state=s1">', "Zq8pX2vLw9"),
    ('<meta http-equiv="refresh" content="0;url=https://app.example/cb?token=hunter2horse">', "hunter2horse"),
    ("0;url=https://app.example/cb?access_token=hunter2horse&x=1", "hunter2horse"),
    ('<a href="https://app.example/cb?next=/x&amp;code=Zq8pX2vLw9">go</a>', "Zq8pX2vLw9"),
    ("/api/invites/7901-A-jQmbM_bqbuibYUTXoV5p6rw6J", "7901-A-jQmbM_bqbuibYUTXoV5p6rw6J"),
    ("https://mogplex.com/invite/7901-A-jQmbM_bqbuibYUTXoV5p6rw6J", "7901-A-jQmbM_bqbuibYUTXoV5p6rw6J"),
    ('{"code": "HARBOR-LAUNCH"}', "HARBOR-LAUNCH"),
])
def test_secrets_in_the_new_shapes_are_redacted(text, secret):
    assert secret not in Redactor().document(text)


@pytest.mark.parametrize("text", [
    f"/api/teams/{TEAM}/invites/6cf55b15-8b53-431d-85d5-1433ade9b2b4", f"/api/teams/{TEAM}/invites/bulk",
    '{"code": "NOT_FOUND", "message": "Invite not found"}', '{"ok": false, "error": {"code": "X", "message": "y"}}',
    '{"code": 404}', '<meta http-equiv="refresh" content="0;url=https://app.example/settings?tab=keys">',
    "https://mogplex.com/invite/expired",
])
def test_ordinary_fields_beside_them_are_kept(text):
    assert Redactor().document(text) == text and holds_secret(text) is None


async def test_a_hostile_upstreams_meta_refresh_and_refresh_header_keep_no_secret(aiohttp_server, recording,
                                                                                   tmp_path):
    page = (b'<html><head><meta http-equiv="refresh" content="0;url=https://app.example/cb?code=Qm9xR2tY7pLw'
            b'&amp;state=s1"></head></html>')

    async def hostile(request):
        return web.Response(body=page, content_type="text/html",
                            headers={"Refresh": "0;url=https://app.example/cb?access_token=Pq8xR2tYhunter"})

    client, path = await recording(await upstream_with(aiohttp_server, hostile), "refresh")
    answered = await client.get("/api/auth/vercel")
    assert answered.status == 200 and await answered.read() == page  # the client gets what was said
    await client.close()
    assert_never_on_disk(tmp_path / "cassettes", "Qm9xR2tY7pLw", "Pq8xR2tYhunter")
    (_, [response], _) = load(path)
    assert b"state=s1" in response["body"]["string"]


# -- hostile bodies on the new routes ------------------------------------------------------------

LONE_SURROGATE = b'{"email": "\\ud800@x.dev", "role": "viewer", "provider": "openai", "token": "\\ud800x", ' \
                 b'"key": "abc\\udfff", "code": "\\ud800"}'


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/auth/vercel/token"), ("POST", f"/api/teams/{TEAM}/invites"), ("PUT", f"/api/teams/{TEAM}/keys"),
    ("POST", "/api/auth/waitlist/validate"), ("POST", "/api/auth/sign-in/social"),
    ("POST", "/api/cli/openai/chat/completions"), ("POST", f"{V1}/runs"),
])
async def test_a_lone_surrogate_escape_beside_a_secret_is_answered_by_the_route(aiohttp_client, tmp_path, caplog,
                                                                               method, path):
    """The journal masks the body before the route answers: a `\\ud800` escape beside a secret
    key used to make that masking raise, and aiohttp answered its own plain-text 500."""
    caplog.set_level(logging.ERROR)
    client = await aiohttp_client(build_app(make_settings(tmp_path, "step:1")))
    headers = {**SESSION, "Content-Type": "application/json", "Origin": f"http://{client.server.host}:"
               f"{client.server.port}", "X-Requested-With": "XMLHttpRequest", "Authorization": f"Bearer {RW}",
               "Idempotency-Key": "k-1"}
    response = await client.request(method, path, data=LONE_SURROGATE, headers=headers, allow_redirects=False)
    body = await response.read()
    assert b"Server got itself in trouble" not in body and "Traceback" not in caplog.text
    journal = json.loads(await (await client.get("/__mockplex/journal")).read())["requests"]
    assert [entry["path"] for entry in journal] == [path]
    assert "\\ud800x" not in json.dumps(journal)


async def test_a_lone_surrogate_escape_is_recorded_redacted(upstream, recording, tmp_path, caplog):
    client, path = await recording(url_of(upstream), "surrogate")
    body = b'{"token": "vercelTok3nZZ\\ud800", "note": "\\udfff"}'
    response = await client.post("/api/auth/vercel/token", data=body, headers={**SESSION,
                                 "Content-Type": "application/json", "X-Requested-With": "XMLHttpRequest"})
    assert response.status < 500
    recorder = client.server.app[RECORDER]
    await recorder.settle()
    assert recorder.cassette.flush() and recorder.cassette.failure is None, caplog.text
    assert_never_on_disk(tmp_path / "cassettes", "vercelTok3nZZ")
    (requests, _, _) = load(path)
    assert json.loads(requests[0].body)["note"] == "\udfff"
