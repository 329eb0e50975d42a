"""Authorizing connections (/api/connections/oauth and its callback, Sentry's managed auth
and its webhook) and Mogplex's own OAuth consent (/api/oauth/decision), exact against
the server's handlers, with their links to /api/connections, its probe and v1."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import DANA_SESSION, RW, SESSION_COOKIE, V1, body_of

from mockplex import state
from mockplex.recording.redaction import Redactor
from mockplex.world.managed_auth import webhook_signature
from mockplex.world.oauth_states import SEED_VERIFIER

DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
SAM_SESSION = "mpx_session_sam_dev_0001"
NOW = "2026-05-17T10:00:00+00:00"
NOW_UNIX = 1779012000  # 2026-05-17T10:00:00Z
CUSTOM = {"type": "mcp_server", "name": "Acme Docs", "mcp_url": "https://mcp.acme.example.dev/mcp",
          "auth_type": "oauth", "credentials": "acme-client-secret-0001", "oauth_client_id": "acme-client",
          "oauth_authorize_url": "https://auth.acme.example.dev/authorize?audience=docs",
          "oauth_token_url": "https://auth.acme.example.dev/token", "oauth_scopes": "docs:read offline"}
SETTINGS = "/settings?tab=connections&oauth="


def _world(api):
    return api.client.server.app[state.WORLD]


async def _create(api, body, session=DANA_SESSION) -> dict:
    response = await api.internal("POST", "/api/connections", json_body=body, session=session)
    assert response.status == 201, body_of(response)
    return body_of(response)["connection"]


async def _listed(api, connection_id: str) -> dict:
    rows = body_of(await api.internal("GET", "/api/connections"))["connections"]
    return next(row for row in rows if row["id"] == connection_id)


def _cookies(response) -> list[str]:
    return response.headers.getall("Set-Cookie", [])


async def _callback(api, query: str, cookies: dict[str, str], session=DANA_SESSION):
    api.client.session.cookie_jar.clear()
    jar = "; ".join([f"{SESSION_COOKIE}={session}"] * bool(session) + [f"{k}={v}" for k, v in cookies.items()])
    return await api.call("GET", f"/api/connections/oauth/callback?{query}", None, headers={"Cookie": jar})


# -- GET /api/connections/oauth ---------------------------------------------------------------------

async def test_a_custom_oauth_connection_starts_at_its_authorize_url(api):
    connection = await _create(api, CUSTOM)
    response = await api.internal("GET", f"/api/connections/oauth?connectionId={connection['id']}")
    assert response.status == 307
    location = response.headers["Location"]
    assert location.startswith("https://auth.acme.example.dev/authorize?audience=docs&client_id=acme-client&"
                               f"redirect_uri={api.origin.replace(':', '%3A').replace('/', '%2F')}"
                               "%2Fapi%2Fconnections%2Foauth%2Fcallback&response_type=code&state=")
    state_value = parse_qs(urlsplit(location).query)["state"][0]
    assert location.endswith("&scope=docs%3Aread+offline")
    claims = json.loads(base64.b64decode(state_value))
    assert list(claims) == ["connectionId", "nonce", "userId"]
    assert (claims["connectionId"], claims["userId"]) == (connection["id"], DANA)
    state_cookie, verifier_cookie = _cookies(response)
    encoded = state_value.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    assert state_cookie == (f"conn_oauth_state={encoded}; Path=/; Expires=Sun, 17 May 2026 10:10:00 GMT; "
                            "Max-Age=600; Secure; HttpOnly; SameSite=lax")
    assert verifier_cookie == "conn_oauth_pkce_verifier=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"


async def test_notion_discovers_registers_and_asks_with_pkce(api):
    notion = await _create(api, {"source_preset": "notion"})
    response = await api.internal("GET", f"/api/connections/oauth?connectionId={notion['id']}")
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert response.headers["Location"].startswith("https://mcp.notion.com/authorize?client_id=mpx_dcr_")
    assert list(query) == ["client_id", "redirect_uri", "response_type", "state", "code_challenge",
                           "code_challenge_method", "prompt"]
    assert (query["code_challenge_method"], query["prompt"]) == (["S256"], ["consent"])
    assert _cookies(response)[1].startswith("conn_oauth_pkce_verifier=")
    row = await _listed(api, notion["id"])
    assert (row["oauth_authorize_url"], row["oauth_token_url"], row["oauth_client_id"], row["updated_at"]) == (
        "https://mcp.notion.com/authorize", "https://mcp.notion.com/token", query["client_id"][0], NOW)


@pytest.mark.parametrize("query, status, message", [
    ("", 400, "connectionId required"), ("?connectionId=", 400, "connectionId required"),
    ("?connectionId=nope", 404, "Connection not found"),
    ("?connectionId=6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b", 404, "Connection not found"),
])
async def test_start_refusals(api, query, status, message):
    response = await api.internal("GET", f"/api/connections/oauth{query}")
    assert (response.status, body_of(response)) == (status, {"error": message})


async def test_start_refuses_other_users_and_non_oauth_connections(api):
    connection = await _create(api, CUSTOM)
    theirs = await api.internal("GET", f"/api/connections/oauth?connectionId={connection['id']}", session=SAM_SESSION)
    assert (theirs.status, body_of(theirs)) == (404, {"error": "Connection not found"})
    for body in ({"source_preset": "linear", "credentials": "lin_api_x"}, {"source_preset": "sentry"}):
        other = await _create(api, body)
        refused = await api.internal("GET", f"/api/connections/oauth?connectionId={other['id']}")
        assert (refused.status, body_of(refused)) == (400, {"error": "Connection is not configured for OAuth"})


@pytest.mark.parametrize("path", ["/api/connections/oauth?connectionId=x", "/api/connections/oauth/callback",
                                  "/api/connections/managed-auth?connectionId=x",
                                  "/api/connections/managed-auth/webhook"])
async def test_no_session_or_a_pat_goes_to_login(api, path):
    method = "POST" if path.endswith("webhook") else "GET"
    for token in (None, RW):
        response = await api.internal(method, path, session=None, token=token)
        assert response.status == 307
        assert response.headers["Location"].startswith(f"{api.origin}/login?next=%2Fapi%2Fconnections%2F")


async def test_discovery_failure_is_a_setup_error(world_api):
    api = await world_api(connection_oauth_provider="discovery_fails")
    notion = await _create(api, {"source_preset": "notion"})
    response = await api.internal("GET", f"/api/connections/oauth?connectionId={notion['id']}")
    assert (response.status, response.headers["Location"]) == (307, f"{api.origin}{SETTINGS}setup_error")


# -- GET /api/connections/oauth/callback -----------------------------------------------------------

async def _started(api, body=CUSTOM):
    connection = await _create(api, body)
    response = await api.internal("GET", f"/api/connections/oauth?connectionId={connection['id']}")
    state_value = parse_qs(urlsplit(response.headers["Location"]).query)["state"][0]
    cookies = {line.split("=", 1)[0]: line.split("=", 1)[1].split(";")[0] for line in _cookies(response)}
    return connection, state_value, {name: value for name, value in cookies.items() if value}


CLEARED = ["conn_oauth_state=; Path=/; Max-Age=0", "conn_oauth_pkce_verifier=; Path=/; Max-Age=0"]


async def test_the_callback_stores_tokens_and_the_connection_reads_as_connected(api):
    connection, state_value, cookies = await _started(api)
    response = await _callback(api, f"code=provider-code-1&state={state_value.replace('+', '%2B')}", cookies)
    assert (response.status, response.headers["Location"]) == (307, f"{api.origin}{SETTINGS}success")
    assert _cookies(response) == CLEARED
    row = await _listed(api, connection["id"])
    assert (row["oauth_authorized_at"], row["oauth_token_expires_at"], row["updated_at"]) == (
        NOW, "2026-05-17T11:00:00+00:00", NOW)
    probed = await api.internal("POST", f"/api/connections/{connection['id']}/test")
    assert body_of(probed)["status"] == "healthy"
    stored = json.loads(_world(api).mcp_servers.connections.get(connection["id"]).credential)
    assert list(stored) == ["client_secret", "access_token", "refresh_token"]
    assert stored["access_token"] not in response.raw_body.decode() + str(response.headers)


async def test_notion_completes_with_its_pkce_verifier(api):
    notion, state_value, cookies = await _started(api, {"source_preset": "notion"})
    assert set(cookies) == {"conn_oauth_state", "conn_oauth_pkce_verifier"}
    response = await _callback(api, f"code=c&state={state_value.replace('+', '%2B')}", cookies)
    assert response.headers["Location"] == f"{api.origin}{SETTINGS}success"
    assert (await _listed(api, notion["id"]))["oauth_authorized_at"] == NOW
    without_verifier = await _callback(api, f"code=c&state={state_value.replace('+', '%2B')}",
                                       {"conn_oauth_state": cookies["conn_oauth_state"]})
    assert without_verifier.headers["Location"] == f"{api.origin}/?tab=connections&oauth=token_error"


@pytest.mark.parametrize("query, cookie, outcome", [
    ("code=c", True, "invalid_state"), ("state=S", True, "invalid_state"), ("code=c&state=S", False, "invalid_state"),
    ("code=c&state=other", True, "invalid_state"),
])
async def test_the_callback_checks_code_and_state_first(api, query, cookie, outcome):
    _, state_value, cookies = await _started(api)
    query = query.replace("S", state_value.replace("+", "%2B"))
    response = await _callback(api, query, cookies if cookie else {})
    assert (response.status, response.headers["Location"]) == (307, f"{api.origin}/?tab=connections&oauth={outcome}")
    assert _cookies(response) == CLEARED


async def test_the_callback_refuses_another_users_state_and_a_deleted_connection(api):
    connection, state_value, cookies = await _started(api)
    query = f"code=c&state={state_value.replace('+', '%2B')}"
    sams = await _callback(api, query, cookies, session=SAM_SESSION)
    assert sams.headers["Location"] == f"{api.origin}/?tab=connections&oauth=invalid_state"
    await api.internal("DELETE", "/api/connections", json_body={"id": connection["id"]})
    gone = await _callback(api, query, cookies)
    assert gone.headers["Location"] == f"{api.origin}/?tab=connections&oauth=not_found"


@pytest.mark.parametrize("setting", [{"connection_oauth_provider": "exchange_fails"},
                                     {"connections_encryption": "missing"}])
async def test_a_refused_exchange_is_a_token_error(world_api, setting):
    api = await world_api(**setting)
    body = {**CUSTOM, "credentials": ""} if "connections_encryption" in setting else CUSTOM
    body = {"source_preset": "notion"} if "connections_encryption" in setting else body
    connection, state_value, cookies = await _started(api, body)
    response = await _callback(api, f"code=c&state={state_value.replace('+', '%2B')}", cookies)
    assert response.headers["Location"] == f"{api.origin}/?tab=connections&oauth=token_error"
    assert (await _listed(api, connection["id"]))["oauth_authorized_at"] is None


# -- GET /api/connections/managed-auth --------------------------------------------------------------

async def test_managed_auth_redirects_to_the_brokers_connect_link(api):
    sentry = await _create(api, {"source_preset": "sentry"})
    response = await api.internal("GET", f"/api/connections/managed-auth?connectionId={sentry['id']}")
    location = response.headers["Location"]
    assert response.status == 307
    assert location.startswith("https://pipedream.mock/_static/connect.html?token=ctok_")
    assert location.endswith("&connectLink=true&app=sentry")


@pytest.mark.parametrize("query, status, message", [
    ("", 400, "connectionId required"), ("?connectionId=nope", 500, "Internal error"),
    ("?connectionId=6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b", 404, "Connection not found"),
])
async def test_managed_auth_refusals(api, query, status, message):
    response = await api.internal("GET", f"/api/connections/managed-auth{query}")
    assert (response.status, body_of(response)) == (status, {"error": message})


async def test_managed_auth_is_only_for_sentry(api):
    notion = await _create(api, {"source_preset": "notion"})
    response = await api.internal("GET", f"/api/connections/managed-auth?connectionId={notion['id']}")
    assert (response.status, body_of(response)) == (400, {"error": "Connection does not use managed auth"})


@pytest.mark.parametrize("value", ["not_configured", "failing"])
async def test_an_unavailable_broker_is_a_setup_error(world_api, value):
    api = await world_api(managed_auth_provider=value)
    sentry = await _create(api, {"source_preset": "sentry"})
    response = await api.internal("GET", f"/api/connections/managed-auth?connectionId={sentry['id']}")
    assert (response.status, response.headers["Location"]) == (307, f"{api.origin}{SETTINGS}setup_error")


# -- POST /api/connections/managed-auth/webhook -----------------------------------------------------

def _delivery(account: dict, event: str = "CONNECTION_SUCCESS") -> bytes:
    return json.dumps({"event": event, "environment": "production", "connect_token": "ctok_x",
                       "connect_session_id": 7, "account": account}).encode()


async def _deliver(api, body: bytes, signature: str | None = "sign", session=DANA_SESSION):
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = webhook_signature(body, NOW_UNIX)
    if signature is not None:
        headers["x-pd-signature"] = signature
    return await api.internal("POST", "/api/connections/managed-auth/webhook", data=body, headers=headers,
                              session=session)


def _account(api, account_id: str) -> dict:
    return _world(api).managed_auth.accounts[account_id].as_payload()


async def test_a_connected_account_becomes_the_users_sentry_connection(api):
    response = await _deliver(api, _delivery(_account(api, "apn_dev_sentry_dana")))
    assert (response.status, body_of(response)) == (200, {"ok": True})
    rows = body_of(await api.internal("GET", "/api/connections"))["connections"]
    sentry = next(row for row in rows if row["source_preset"] == "sentry")
    assert {key: sentry[key] for key in ("name", "auth_type", "mcp_url", "oauth_scopes", "oauth_authorized_at",
                                         "is_enabled", "created_at")} == {
        "name": "Sentry", "auth_type": "oauth", "mcp_url": "https://mcp.sentry.dev/mcp",
        "oauth_scopes": "org:read project:read event:read", "oauth_authorized_at": "2026-03-02T09:16:30+00:00",
        "is_enabled": True, "created_at": NOW}
    probed = await api.internal("POST", f"/api/connections/{sentry['id']}/test")
    assert body_of(probed)["status"] == "healthy"


async def test_the_webhook_updates_an_existing_sentry_connection(api):
    sentry = await _create(api, {"source_preset": "sentry"})
    await api.internal("GET", f"/api/connections/managed-auth?connectionId={sentry['id']}")
    account = _world(api).managed_auth.latest_account_of(DANA)
    assert body_of(await _deliver(api, _delivery(account.as_payload()))) == {"ok": True}
    row = await _listed(api, sentry["id"])
    assert (row["oauth_authorized_at"], row["updated_at"]) == (NOW, NOW)
    assert json.loads(_world(api).mcp_servers.connections.get(sentry["id"]).credential)["account_id"] == account.id


@pytest.mark.parametrize("change, status, message", [
    ({"id": ""}, 400, "Connection success webhook did not include account details"),
    ({"app": {"name_slug": "github"}}, 400, "Unexpected Pipedream app for Sentry managed auth"),
    ({"external_id": "someone-else"}, 400, "Connected account user mismatch"),
    ({"id": "apn_unknown"}, 500, "Webhook processing failed"),
    ({"id": "apn_dev_sentry_unhealthy"}, 500, "Webhook processing failed"),
    ({"id": "apn_dev_sentry_dead"}, 500, "Webhook processing failed"),
    ({"id": "apn_dev_sentry_nobody", "external_id": "0b7d4e2a-6c1f-4a8e-9d3b-2f5c7e9a1d60"}, 500,
     "Webhook processing failed"),
])
async def test_webhook_refusals_in_the_servers_order(api, change, status, message):
    response = await _deliver(api, _delivery({**_account(api, "apn_dev_sentry_dana"), **change}))
    assert (response.status, body_of(response)) == (status, {"error": message})


async def test_a_connection_error_event_is_acknowledged(api):
    response = await _deliver(api, json.dumps({"event": "CONNECTION_ERROR", "error": "denied"}).encode())
    assert (response.status, body_of(response)) == (200, {"ok": True})


@pytest.mark.parametrize("signature", [None, "t=1,v1=abc", "garbage", f"t={NOW_UNIX},v1=00"])
async def test_unsigned_or_stale_deliveries_fail(api, signature):
    response = await _deliver(api, _delivery(_account(api, "apn_dev_sentry_dana")), signature)
    assert (response.status, body_of(response)) == (500, {"error": "Webhook processing failed"})


async def test_an_unconfigured_broker_and_an_oversized_body(world_api):
    api = await world_api(managed_auth_provider="not_configured")
    response = await _deliver(api, _delivery({}))
    assert (response.status, body_of(response)) == (500, {"error": "Server configuration error"})
    huge = await _deliver(api, b"x" * 500_001)
    assert (huge.status, body_of(huge)) == (413, {"error": "Payload too large"})


def test_the_signature_matches_the_brokers_scheme():
    signature = webhook_signature(b'{"a":1}', 1700000000)
    assert signature == "t=1700000000,v1=" + __import__("hmac").new(
        b"mpx_pd_webhook_signing_dev_0001", b'1700000000.{"a":1}', "sha256").hexdigest()


# -- POST /api/oauth/decision -----------------------------------------------------------------------

async def _decide(api, form: dict[str, str], session=DANA_SESSION, origin: str | None = "same"):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if origin is not None:
        headers["Origin"] = api.origin if origin == "same" else origin
    data = "&".join(f"{key}={value}" for key, value in form.items())
    return await api.internal("POST", "/api/oauth/decision", data=data, headers=headers, session=session)


APPROVE = {"authorization_id": "mpx_authz_dev_pending_0001", "decision": "approve"}


async def test_an_approval_admits_the_client_and_its_code_becomes_a_working_token(api):
    response = await _decide(api, APPROVE)
    location = response.headers["Location"]
    assert response.status == 303 and location.startswith("http://127.0.0.1:33418/callback?code=")
    assert location.endswith("&state=st-claude-0001")
    code = parse_qs(urlsplit(location).query)["code"][0]
    world = _world(api)
    admitted = world.oauth_authorizations.clients["5d0c8f3a-2b7e-4c19-8a6d-3e9f1b2c4d70"]
    assert (admitted.approved_by, admitted.resource_url) == (DANA, f"{api.origin}/api/v1/mogplex/mcp")
    assert world.oauth_authorizations.exchange(code, "wrong", world.tokens, world.ids) is None
    token = world.oauth_authorizations.exchange(code, SEED_VERIFIER, world.tokens, world.ids)
    repos = await api.call("GET", f"{V1}/repos", token)
    assert repos.status == 200 and body_of(repos)["ok"] is True
    assert world.oauth_authorizations.exchange(code, SEED_VERIFIER, world.tokens, world.ids) is None


async def test_a_denial_sends_the_client_access_denied(api):
    response = await _decide(api, {**APPROVE, "decision": "deny"})
    assert (response.status, response.headers["Location"]) == (
        303, ("http://127.0.0.1:33418/callback?error=access_denied&error_description=User+denied+the+request"
              "&state=st-claude-0001"))
    again = await _decide(api, APPROVE)
    assert again.headers["Location"] == (f"{api.origin}/oauth/consent?authorization_id=mpx_authz_dev_pending_0001"
                                         "&decision_error=request_expired")


@pytest.mark.parametrize("form, origin, status, body", [
    (APPROVE, None, 403, {"error": "Forbidden"}), (APPROVE, "https://evil.example", 403, {"error": "Forbidden"}),
    ({"decision": "approve"}, "same", 400, {"error": "Invalid decision"}),
    ({**APPROVE, "decision": "maybe"}, "same", 400, {"error": "Invalid decision"}),
    ({**APPROVE, "authorization_id": "bad id!"}, "same", 400, {"error": "Invalid decision"}),
])
async def test_decision_refusals(api, form, origin, status, body):
    response = await _decide(api, form, origin=origin)
    assert (response.status, body_of(response)) == (status, body)


async def test_a_decision_without_a_session_goes_to_login_and_json_is_not_a_form(api):
    response = await _decide(api, APPROVE, session=None)
    assert (response.status, response.headers["Location"]) == (
        303, f"{api.origin}/login?next=%2Foauth%2Fconsent%3Fauthorization_id%3Dmpx_authz_dev_pending_0001")
    as_json = await api.internal("POST", "/api/oauth/decision", json_body=APPROVE, headers={"Origin": api.origin})
    assert (as_json.status, body_of(as_json)) == (400, {"error": "Invalid form"})
    by_pat = await api.internal("POST", "/api/oauth/decision", session=None, token=RW,
                                data="authorization_id=a&decision=deny",
                                headers={"Origin": api.origin, "Content-Type": "application/x-www-form-urlencoded"})
    assert by_pat.headers["Location"] == f"{api.origin}/login?next=%2Foauth%2Fconsent%3Fauthorization_id%3Da"


async def test_expired_unknown_and_someone_elses_requests_are_expired(api):
    await _decide(api, {"authorization_id": "mpx_authz_dev_pending_0002", "decision": "approve"}, session=SAM_SESSION)
    for authorization_id in ("mpx_authz_dev_expired_0001", "nope", "mpx_authz_dev_pending_0002"):
        response = await _decide(api, {"authorization_id": authorization_id, "decision": "approve"})
        assert response.headers["Location"] == (f"{api.origin}/oauth/consent?authorization_id={authorization_id}"
                                                "&decision_error=request_expired")


@pytest.mark.parametrize("value, location", [
    ("registration_fails", ("/oauth/consent?authorization_id=mpx_authz_dev_pending_0001"
                            "&decision_error=client_registration_failed")),
    ("consent_fails", "/oauth/consent?decision_error=consent_failed"),
])
async def test_oauth_server_failures(world_api, value, location):
    api = await world_api(mcp_oauth_server=value)
    response = await _decide(api, APPROVE)
    assert (response.status, response.headers["Location"]) == (303, api.origin + location)
    assert _world(api).oauth_authorizations.clients == {}


# -- secrets stay out of recordings -----------------------------------------------------------------

def test_received_tokens_and_the_signing_key_are_redacted():
    redactor = Redactor()
    body = json.dumps({"access_token": "mpx_conn_access_abcdefghij0123456789abcdefghij01",
                       "refresh_token": "mpx_conn_refresh_abcdefghij0123456789abcdefghij0"}).encode()
    redacted = redactor.body(body, "application/json")
    assert b"mpx_conn_access_" not in redacted and b"mpx_conn_refresh_" not in redacted
    assert redactor.header("x-pd-signature", "t=1,v1=abcdef0123456789") != "t=1,v1=abcdef0123456789"
    exported = json.dumps({"http_headers": {"Authorization": "Bearer mpx_conn_access_Abc123xyz0987654321abcdefgh"}})
    assert b"mpx_conn_access_" not in redactor.body(exported.encode(), "application/json")
    assert "Zx8kq2LmN0pQrS" not in redactor.header("Set-Cookie", "conn_oauth_pkce_verifier=Zx8kq2LmN0pQrS; Path=/")


async def test_authorized_connections_reach_the_cli_export_with_their_access_token_only(api):
    connection, state_value, cookies = await _started(api)
    before = body_of(await api.get("/mcp/servers"))
    assert "Acme Docs" not in json.dumps(before)
    await _callback(api, f"code=c&state={state_value.replace('+', '%2B')}", cookies)
    await _deliver(api, _delivery(_account(api, "apn_dev_sentry_dana")))
    exported = json.dumps(body_of(await api.get("/mcp/servers")))
    stored = json.loads(_world(api).mcp_servers.connections.get(connection["id"]).credential)
    assert f"Bearer {stored['access_token']}" in exported and "Bearer mpx_pd_sentry_access_dev_0001" in exported
    assert stored["refresh_token"] not in exported and "acme-client-secret-0001" not in exported
