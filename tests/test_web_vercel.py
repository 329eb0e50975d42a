"""Connecting Vercel through real HTTP: the OAuth flow, a pasted token, the default billing
project and the project picker, with Vercel played by the world."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import DANA_SESSION, RW, SESSION_COOKIE, body_of

from mockplex import state

DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
TOKEN = "  vcp_Xy7kQ2mN9pL4rT8vB3cD6fG1hJ5k  "
EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
INTEGRATION_REQUIRED = {"error": "VERCEL_INTEGRATION_REQUIRED",
                        "message": "Vercel project actions require an API-capable Vercel integration and are not "
                                   "available."}


def world(api):
    return api.client.app[state.WORLD]


def same_origin(api) -> dict[str, str]:
    return {"X-Requested-With": "XMLHttpRequest", "Origin": api.origin}


async def post_token(api, body, headers=None, **kwargs):
    return await api.internal("POST", "/api/auth/vercel/token", json_body=body,
                              headers=same_origin(api) if headers is None else headers, **kwargs)


async def vercel_state(api) -> dict:
    return body_of(await api.internal("GET", "/api/auth/user"))["user"]["vercel"]


# -- GET /api/auth/vercel -------------------------------------------------------------------


async def test_connecting_starts_vercels_oauth_with_pkce(api):
    response = await api.internal("GET", "/api/auth/vercel")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    cookies = response.headers.getall("Set-Cookie")
    values = {}
    for line, name in zip(cookies, ("vercel_oauth_state", "vercel_oauth_nonce", "vercel_code_verifier"), strict=True):
        match = re.fullmatch(rf"{name}=([0-9a-f]+); Path=/; HttpOnly; SameSite=Lax; Max-Age=600; Secure", line)
        values[name] = match[1]
    assert [len(value) for value in values.values()] == [64, 64, 128]
    page = response.raw_body.decode()
    escaped = re.search(r'<meta http-equiv="refresh" content="0;url=([^"]+)">', page)[1]
    assert f'<a id="vercel-redirect" href="{escaped}">Connecting Vercel...</a>' in page
    url = html.unescape(escaped)
    assert url.startswith("https://vercel.com/oauth/authorize?client_id=cl_mockplexVercelApp01&redirect_uri=http%3A%2F%2F")
    query = {name: value[0] for name, value in parse_qs(urlsplit(url).query).items()}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(values["vercel_code_verifier"].encode()).digest())
    assert query == {"client_id": "cl_mockplexVercelApp01", "redirect_uri": f"{api.origin}/api/auth/vercel/callback",
                     "response_type": "code", "scope": "openid email profile offline_access",
                     "state": values["vercel_oauth_state"], "nonce": values["vercel_oauth_nonce"],
                     "code_challenge": challenge.decode().rstrip("="), "code_challenge_method": "S256"}


async def test_connecting_without_a_caller_goes_to_login(api):
    response = await api.internal("GET", "/api/auth/vercel", session=None)
    assert (response.status, response.headers["Location"]) == (307, f"{api.origin}/login")


async def test_without_the_vercel_app_the_client_id_is_undefined(world_api):
    api = await world_api(vercel_oauth="not_configured")
    response = await api.internal("GET", "/api/auth/vercel")
    assert "authorize?client_id=undefined&amp;redirect_uri=" in response.raw_body.decode()


# -- GET /api/auth/vercel/callback ----------------------------------------------------------


async def callback(api, query: str, cookies: str = "vercel_oauth_state=s1; vercel_code_verifier=v1",
                   session: str | None = DANA_SESSION):
    jar = "; ".join(part for part in (f"{SESSION_COOKIE}={session}" if session else "", cookies) if part)
    return await api.internal("GET", f"/api/auth/vercel/callback?{query}", session=None, headers={"Cookie": jar})


@pytest.mark.parametrize("query, cookies, session, error", [
    ("state=s1", "vercel_oauth_state=s1; vercel_code_verifier=v1", DANA_SESSION, "invalid_state"),
    ("code=c1&state=", "vercel_oauth_state=; vercel_code_verifier=v1", DANA_SESSION, "invalid_state"),
    ("code=c1&state=s2", "vercel_oauth_state=s1; vercel_code_verifier=v1", DANA_SESSION, "invalid_state"),
    ("code=c1&state=s1", "vercel_code_verifier=v1", DANA_SESSION, "invalid_state"),
    ("code=c1&state=s1", "vercel_oauth_state=s1", DANA_SESSION, "missing_verifier"),
    ("code=c1&state=s1", "vercel_oauth_state=s1; vercel_code_verifier=v1", None, "vercel_requires_github_login"),
])
async def test_callback_refusals(api, query, cookies, session, error):
    response = await callback(api, query, cookies, session)
    assert (response.status, response.headers["Location"]) == (307, f"{api.origin}/login?error={error}")
    assert "Set-Cookie" not in response.headers


async def test_the_callback_stores_the_vercel_token(api):
    assert (await vercel_state(api))["personalState"] == "not_linked"
    response = await callback(api, "code=c1&state=s1")
    assert (response.status, response.headers["Location"]) == (307, f"{api.origin}/?vercel=connected")
    assert response.headers.getall("Set-Cookie") == [
        f"{name}=; Path=/; Expires={EPOCH}" for name in ("vercel_oauth_state", "vercel_oauth_nonce",
                                                         "vercel_code_verifier")]
    assert (await vercel_state(api))["personalState"] == "linked"
    assert world(api).vercel_accounts.tokens[DANA].startswith("vca_")


@pytest.mark.parametrize("settings, error", [
    ({"vercel_api": "failing"}, "token_exchange"),
    ({"vercel_oauth": "not_configured"}, "token_exchange"),
    ({"vercel_api": "rejects_token"}, "user_fetch"),
])
async def test_callback_when_vercel_refuses(world_api, settings, error):
    api = await world_api(**settings)
    response = await callback(api, "code=c1&state=s1")
    assert response.headers["Location"] == f"{api.origin}/login?error={error}"
    assert (await vercel_state(api))["personalState"] == "not_linked"


async def test_callback_when_vercel_is_unreachable(world_api):
    api = await world_api(vercel_api="unreachable")
    response = await callback(api, "code=c1&state=s1")
    assert (response.status, response.raw_body) == (500, b"")


# -- POST and DELETE /api/auth/vercel/token -------------------------------------------------


@pytest.mark.parametrize("headers, message", [
    ({}, "Missing X-Requested-With header"),
    ({"X-Requested-With": "fetch", "Origin": "SAME"}, "Missing X-Requested-With header"),
    ({"X-Requested-With": "XMLHttpRequest", "Origin": "https://evil.example"}, "Origin mismatch"),
    ({"X-Requested-With": "XMLHttpRequest"}, "Missing Origin or Referer header"),
    ({"X-Requested-With": "XMLHttpRequest", "Referer": "settings/vercel"}, "Invalid Referer header"),
    ({"X-Requested-With": "XMLHttpRequest", "Referer": "https://evil.example/settings"}, "Referer mismatch"),
])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_token_routes_refuse_cross_site_requests(api, method, headers, message):
    headers = {name: api.origin if value == "SAME" else value for name, value in headers.items()}
    response = await api.internal(method, "/api/auth/vercel/token", json_body={"token": TOKEN}, headers=headers)
    assert (response.status, body_of(response)) == (403, {"error": message})


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_token_routes_need_a_caller(api, method):
    response = await api.internal(method, "/api/auth/vercel/token", session=None, json_body={"token": TOKEN},
                                  headers={"X-Requested-With": "XMLHttpRequest", "Referer": api.origin + "/settings"})
    assert (response.status, body_of(response)) == (401, {"error": "Unauthorized"})


@pytest.mark.parametrize("body, message", [
    ("{oops", "Invalid JSON body"),
    ("null", "Body must be a JSON object"),
    ([{"token": "x"}], "Body must be a JSON object"),
    ({}, "Token is required"),
    ({"token": " \u00a0\n"}, "Token is required"),
    ({"token": 123456}, "Token is required"),
])
async def test_token_validation(api, body, message):
    response = await post_token(api, body)
    assert (response.status, body_of(response)) == (400, {"error": message})


async def test_a_stored_token_links_vercel_and_delete_unlinks_it(api):
    response = await post_token(api, {"token": TOKEN})
    assert (response.status, body_of(response)) == (200, {"ok": True})
    assert world(api).vercel_accounts.tokens[DANA] == TOKEN.strip()
    assert (await vercel_state(api))["personalState"] == "linked"
    # The project picker and the billing project stay switched off, token or not.
    assert body_of(await api.internal("GET", "/api/vercel/targets")) == INTEGRATION_REQUIRED
    response = await api.internal("DELETE", "/api/auth/vercel/token", headers=same_origin(api))
    assert (response.status, body_of(response)) == (200, {"ok": True})
    assert (await vercel_state(api))["personalState"] == "not_linked"
    assert DANA not in world(api).vercel_accounts.tokens
    again = await api.internal("DELETE", "/api/auth/vercel/token", headers=same_origin(api))
    assert body_of(again) == {"ok": True}


async def test_a_pat_may_store_a_token(api):
    response = await post_token(api, {"token": TOKEN}, session=None, token=RW)
    assert body_of(response) == {"ok": True} and world(api).vercel_accounts.tokens[DANA] == TOKEN.strip()


@pytest.mark.parametrize("outcome, status, error, message", [
    ("rejects_token", 401, "VERCEL_TOKEN_INVALID", "Vercel rejected this token. Generate a new one and try again."),
    ("insufficient_scope", 403, "VERCEL_TOKEN_INSUFFICIENT_SCOPE",
     "This token can't list teams or projects. Create a Personal Access Token at vercel.com/account/tokens with "
     "full access."),
    ("failing", 502, "VERCEL_TOKEN_VALIDATION_FAILED", "Vercel returned 500 while validating the token."),
    ("unreachable", 502, "VERCEL_TOKEN_VALIDATION_FAILED",
     "Couldn't reach Vercel to validate the token. Check your connection and try again."),
])
async def test_vercel_refusing_the_token(world_api, outcome, status, error, message):
    api = await world_api(vercel_api=outcome)
    response = await post_token(api, {"token": TOKEN})
    assert (response.status, body_of(response)) == (status, {"error": error, "message": message})
    assert (await vercel_state(api))["personalState"] == "not_linked"


async def test_the_token_never_reaches_the_journal_in_clear(api):
    await post_token(api, {"token": TOKEN})
    await post_token(api, '{"token": "vcp_Xy7kQ2mN9pL4rT8vB3cD6fG1hJ5k"')  # malformed JSON
    journal = (await api.call("GET", "/__mockplex/journal", None)).raw_body.decode()
    assert "/api/auth/vercel/token" in journal and TOKEN.strip() not in journal
    assert json.loads(journal)["requests"][0]["body"] == {"token": "<redacted>"}


# -- PATCH /api/profile/vercel-billing ------------------------------------------------------


@pytest.mark.parametrize("body, message", [
    ("{oops", "Invalid JSON body"),
    ("null", "Body must be a JSON object"),
    ('["projectId"]', "Body must be a JSON object"),
    ({"teamId": "team_x"}, "projectId is required (use null to clear)"),
    ({"projectId": 42}, "projectId must be a string or null"),
    ({"projectId": "  "}, "projectId must be a non-empty string or null"),
])
async def test_vercel_billing_validation(api, body, message):
    response = await api.internal("PATCH", "/api/profile/vercel-billing", json_body=body)
    assert (response.status, body_of(response)) == (400, {"error": message})


async def test_setting_a_billing_project_is_not_available(api):
    await post_token(api, {"token": TOKEN})
    response = await api.internal("PATCH", "/api/profile/vercel-billing", json_body={"projectId": "prj_1"})
    assert (response.status, body_of(response)) == (501, {
        "error": "VERCEL_INTEGRATION_REQUIRED",
        "message": "User-owned Vercel billing requires an API-capable Vercel integration and is not available."})


async def test_clearing_the_billing_project_shows_in_the_session_user(api):
    user = world(api).users[DANA]
    user.account_vercel_project_id, user.account_vercel_team_id = "prj_8Kd2Lm4Nq6", "team_Hb3Wq7"
    before = body_of(await api.internal("GET", "/api/auth/user"))["user"]
    assert (before["account_vercel_project_id"], before["vercel"]["linkedProjectState"]) == ("prj_8Kd2Lm4Nq6", "account")
    response = await api.internal("PATCH", "/api/profile/vercel-billing",
                                  json_body={"projectId": None, "teamId": "team_Hb3Wq7"})
    assert body_of(response) == {"projectId": None, "teamId": None, "projectName": None}
    after = body_of(await api.internal("GET", "/api/auth/user"))["user"]
    assert (after["account_vercel_project_id"], after["account_vercel_team_id"]) == (None, None)
    assert after["vercel"]["linkedProjectState"] == "none"


# -- GET and POST /api/vercel/targets -------------------------------------------------------


@pytest.mark.parametrize("method, body", [("GET", None), ("POST", {"name": "web"}), ("POST", "{oops")])
async def test_the_project_picker_is_switched_off(api, method, body):
    response = await api.internal(method, "/api/vercel/targets?teamId=team_1", json_body=body)
    assert (response.status, body_of(response)) == (501, INTEGRATION_REQUIRED)


@pytest.mark.parametrize("path, method", [("/api/vercel/targets", "GET"), ("/api/profile/vercel-billing", "PATCH")])
async def test_account_vercel_routes_need_a_browser_session(api, path, method):
    for kwargs in ({"session": None}, {"session": None, "token": RW}):
        response = await api.internal(method, path, json_body={"projectId": None}, **kwargs)
        assert response.status == 307 and response.headers["Location"].startswith(f"{api.origin}/login?next=")
    assert (await api.internal("DELETE", "/api/vercel/targets")).status == 405
