"""The auth library's catch-all (/api/auth/{all*}) and the GitHub sign-in and connect
flows, read against the server's handlers and better-auth's router: exact bodies, cookies,
redirects, and the sessions they open or end, seen from every other route."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import DANA_SESSION, RW, body_of

from mockplex.recording.redaction import Redactor

ORIGIN = re.compile(r"^http://127\.0\.0\.1:\d+")
ROBIN = "mpx_session_robin_dev_0001"
ROBIN_ID = "5d3fab8c-2e4a-4f6b-9c7d-8e9fa0b1c234"
CLEARED = ["better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
           "better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
           "better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"]


def cookies_of(response) -> list[str]:
    return response.headers.getall("Set-Cookie", [])


def location(response) -> str:
    return ORIGIN.sub("", response.headers["Location"])


def jar(response) -> str:
    """The Cookie header a browser would send back."""
    return "; ".join(line.split(";", 1)[0] for line in cookies_of(response) if "Max-Age=0" not in line)


async def sign_in_with_github(api, code="dana-okafor", **body):
    started = await api.call("POST", "/api/auth/sign-in/social", None,
                             json_body={"provider": "github", "callbackURL": "/dashboard", **body})
    state = parse_qs(urlsplit(body_of(started)["url"]).query)["state"][0]
    return await api.call("GET", f"/api/auth/callback/github?code={code}&state={state}", None,
                          headers={"Cookie": jar(started)})


# -- the router: unknown paths, the guard --------------------------------------------------------

@pytest.mark.parametrize("method,path", [("GET", "/api/auth/nope"), ("POST", "/api/auth/get-session/x"),
                                         ("GET", "/api/auth/sign-out"), ("POST", "/api/auth/list-sessions")])
async def test_an_unknown_endpoint_is_the_routers_empty_404(api, method, path):
    response = await api.call(method, path, None)
    assert response.status == 404 and response.raw_body == b""


async def test_sso_registration_is_switched_off(api):
    response = await api.call("POST", "/api/auth/sso/register", None, json_body={})
    assert (response.status, body_of(response)) == (404, {"error": "not_found"})


async def test_without_a_secret_every_path_is_503(world_api):
    api = await world_api(better_auth="not_configured")
    response = await api.call("GET", "/api/auth/get-session", None)
    assert (response.status, body_of(response)) == (503, {"error": "auth_not_configured"})
    assert response.headers["cache-control"] == "no-store"


async def test_static_siblings_win_over_the_catch_all(api):
    assert body_of(await api.internal("GET", "/api/auth/user"))["user"]["email"] == "dana.okafor@example.dev"
    posted = await api.call("POST", "/api/auth/user", None)
    assert (posted.status, posted.raw_body) == (405, b"")


async def test_ok(api):
    assert body_of(await api.call("GET", "/api/auth/ok", None)) == {"ok": True}


# -- get-session, sign-out, list-sessions ----------------------------------------------------------

async def test_get_session_without_a_cookie_is_null(api):
    response = await api.call("GET", "/api/auth/get-session", None)
    assert (response.status, response.raw_body, cookies_of(response)) == (200, b"null", [])
    assert (response.headers["cache-control"], response.headers["pragma"]) == ("no-store", "no-cache")


async def test_get_session_with_a_dead_cookie_clears_it(api):
    response = await api.internal("GET", "/api/auth/get-session", session="mpx_session_expired_0001")
    assert response.raw_body == b"null" and cookies_of(response) == CLEARED


async def test_get_session_answers_the_session_and_user_with_the_cache_cookie(api):
    response = await api.internal("GET", "/api/auth/get-session")
    body = body_of(response)
    assert list(body["session"]) == ["expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent",
                                     "userId", "id"]
    assert body["session"]["token"] == DANA_SESSION
    assert body["session"]["expiresAt"] == "2026-05-24T10:00:00.000Z"
    assert body["user"] == {"name": "Dana Okafor", "email": "dana.okafor@example.dev", "emailVerified": True,
                            "image": "https://avatars.example.dev/u/dana.png", "createdAt": "2026-05-17T10:00:00.000Z",
                            "updatedAt": "2026-05-17T10:00:00.000Z", "id": "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"}
    [cache] = cookies_of(response)
    assert cache.startswith("better-auth.session_data=") and cache.endswith("; Max-Age=300; Path=/; HttpOnly; SameSite=Lax")
    value = cache.split(";")[0].split("=", 1)[1]
    snapshot = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    assert list(snapshot) == ["session", "expiresAt", "signature"]
    assert snapshot["session"]["session"] == body["session"] and snapshot["session"]["version"] == "1"


async def test_post_get_session_needs_deferred_refresh(api):
    response = await api.call("POST", "/api/auth/get-session", None)
    assert (response.status, body_of(response)) == (405, {
        "message": "POST method requires deferSessionRefresh to be enabled in session config",
        "code": "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"})


@pytest.mark.parametrize("headers,code,message", [
    ({}, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin"),
    ({"Origin": "null"}, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin"),
    ({"Origin": "https://evil.example"}, "INVALID_ORIGIN", "Invalid origin"),
])
async def test_a_post_with_cookies_needs_the_apps_origin(api, headers, code, message):
    response = await api.internal("POST", "/api/auth/sign-out", headers=headers)
    assert (response.status, body_of(response)) == (403, {"message": message, "code": code})
    assert (await api.internal("GET", "/api/github/installations")).status == 200  # still signed in


async def test_sign_out_ends_the_session_for_every_route(api):
    origin = ORIGIN.match(str(api.client.make_url("/"))).group(0)
    response = await api.internal("POST", "/api/auth/sign-out", headers={"Origin": origin})
    assert (response.status, body_of(response), cookies_of(response)) == (200, {"success": True}, CLEARED)
    assert body_of(await api.internal("GET", "/api/auth/user")) == {"user": None}
    after = await api.internal("GET", "/api/github/installations")
    assert (after.status, location(after)) == (307, "/login?next=%2Fapi%2Fgithub%2Finstallations")
    assert (await api.internal("GET", "/api/auth/get-session")).raw_body == b"null"


async def test_sign_out_without_cookies_still_clears(api):
    response = await api.call("POST", "/api/auth/sign-out", None)
    assert (body_of(response), cookies_of(response)) == ({"success": True}, CLEARED)


async def test_list_sessions(api):
    assert body_of(await api.call("GET", "/api/auth/list-sessions", None)) == {
        "message": "Unauthorized", "code": "UNAUTHORIZED"}
    listed = body_of(await api.internal("GET", "/api/auth/list-sessions"))
    assert [item["token"] for item in listed] == [DANA_SESSION]


@pytest.mark.parametrize("body,status,expected", [
    ({"email": "dana.okafor@example.dev", "password": "hunter22"}, 401,
     {"message": "Invalid email or password", "code": "INVALID_EMAIL_OR_PASSWORD"}),
    ({"email": "not-an-email", "password": "hunter22"}, 400, {"message": "Invalid email", "code": "INVALID_EMAIL"}),
    ({"email": "a@b.dev"}, 400, {"message": "[body.password] Invalid input: expected string, received undefined",
                                 "code": "VALIDATION_ERROR"}),
])
async def test_sign_in_email(api, body, status, expected):
    response = await api.call("POST", "/api/auth/sign-in/email", None, json_body=body)
    assert (response.status, body_of(response)) == (status, expected)


# -- social sign-in ------------------------------------------------------------------------------

async def test_sign_in_social_answers_githubs_authorize_url_and_the_state_cookie(api):
    response = await api.call("POST", "/api/auth/sign-in/social", None,
                              json_body={"provider": "github", "callbackURL": "/dashboard"})
    body = body_of(response)
    assert response.status == 200 and body["redirect"] is True and response.headers["Location"] == body["url"]
    url = urlsplit(body["url"])
    query = parse_qs(url.query)
    assert (url.netloc, url.path) == ("github.com", "/login/oauth/authorize")
    assert list(query) == ["response_type", "client_id", "state", "scope", "redirect_uri", "code_challenge_method",
                           "code_challenge"]
    assert query["scope"] == ["read:user user:email"] and "scope=read%3Auser+user%3Aemail" in url.query
    assert ORIGIN.sub("", query["redirect_uri"][0]) == "/api/auth/callback/github"
    [cookie] = cookies_of(response)
    assert re.fullmatch(r"better-auth\.state=[A-Za-z0-9]{32}\.[A-Za-z0-9%]+; Max-Age=300; Path=/; HttpOnly; "
                        r"SameSite=Lax", cookie)


@pytest.mark.parametrize("body,status,expected", [
    ({"provider": "google"}, 404, {"message": "Provider not found", "code": "PROVIDER_NOT_FOUND"}),
    ({}, 400, {"message": "[body.provider] Invalid input", "code": "VALIDATION_ERROR"}),
    ({"provider": "github", "callbackURL": "https://evil.example/x"}, 403,
     {"message": "Invalid callbackURL", "code": "INVALID_CALLBACK_URL"}),
])
async def test_sign_in_social_refusals(api, body, status, expected):
    response = await api.call("POST", "/api/auth/sign-in/social", None, json_body=body)
    assert (response.status, body_of(response)) == (status, expected)


async def test_github_not_configured_is_provider_not_found(world_api):
    api = await world_api(github_oauth="not_configured")
    response = await api.call("POST", "/api/auth/sign-in/social", None, json_body={"provider": "github"})
    assert (response.status, body_of(response)) == (404, {"message": "Provider not found", "code": "PROVIDER_NOT_FOUND"})
    assert "Set-Cookie" not in response.headers


async def test_the_callback_signs_in_a_session_every_route_accepts(api):
    response = await sign_in_with_github(api)
    assert (response.status, location(response)) == (302, "/dashboard")
    lines = cookies_of(response)
    assert lines[0] == "better-auth.state=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
    assert re.fullmatch(r"better-auth\.session_token=[A-Za-z0-9]{32}\.[A-Za-z0-9%]+; Max-Age=604800; Path=/; "
                        r"HttpOnly; SameSite=Lax", lines[1])
    cookie = {"Cookie": lines[1].split(";")[0]}
    assert body_of(await api.call("GET", "/api/auth/user", None, headers=cookie))["user"]["username"] == "dana"
    assert (await api.call("GET", "/api/github/installations", None, headers=cookie)).status == 200
    session = body_of(await api.call("GET", "/api/auth/get-session", None, headers=cookie))["session"]
    assert lines[1].split("=", 1)[1].startswith(session["token"] + ".")
    origin = ORIGIN.match(str(api.client.make_url("/"))).group(0)
    await api.call("POST", "/api/auth/sign-out", None, headers={**cookie, "Origin": origin})
    signed_out = await api.call("GET", "/api/github/installations", None, headers=cookie)
    assert (signed_out.status, location(signed_out)) == (307, "/login?next=%2Fapi%2Fgithub%2Finstallations")


async def test_a_new_github_account_signs_up_and_lands_on_the_new_user_url(api):
    response = await sign_in_with_github(api, code="newcomer-42", newUserCallbackURL="/welcome")
    assert location(response) == "/welcome"
    cookie = {"Cookie": cookies_of(response)[1].split(";")[0]}
    user = body_of(await api.call("GET", "/api/auth/get-session", None, headers=cookie))["user"]
    assert (user["email"], user["name"]) == ("newcomer-42@users.noreply.github.com", "newcomer-42")


@pytest.mark.parametrize("query,expected", [
    ("code=x", "/api/auth/error?error=state_not_found"),
    ("code=x&state=unknownstate", "/api/auth/error?error=state_mismatch"),
])
async def test_callback_state_errors(api, query, expected):
    response = await api.call("GET", f"/api/auth/callback/github?{query}", None)
    assert (response.status, location(response)) == (302, expected)


async def test_a_refused_code_is_invalid_code(api):
    assert location(await sign_in_with_github(api, code="not_a_login!")) == "/api/auth/error?error=invalid_code"


async def test_a_posted_callback_goes_back_to_get(api):
    response = await api.call("POST", "/api/auth/callback/github", None, data="state=abc&code=def",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (response.status, location(response)) == (302, "/api/auth/callback/github?code=def&state=abc")


# -- GitHub connect: /api/auth/github and its callback -------------------------------------------------

async def test_connect_without_a_caller_goes_to_login(api):
    response = await api.call("GET", "/api/auth/github", None)
    assert (response.status, location(response)) == (307, "/login")


async def test_connect_with_the_app_goes_to_the_install_page(api):
    response = await api.internal("GET", "/api/auth/github")
    assert (response.status, response.headers["Location"]) == (
        307, "https://github.com/apps/mogplex-local/installations/new")
    assert cookies_of(response) == [
        "github_app_install_pending=1; Path=/; Expires=Mon, 18 May 2026 10:00:00 GMT; Max-Age=86400; Secure; HttpOnly; SameSite=lax",
        "github_reconcile_skip=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]


async def oauth_world(world_api, **settings):
    return await world_api(github_app_configured="false", **settings)


async def test_oauth_connect_updates_the_user(world_api):
    api = await oauth_world(world_api)
    started = await api.internal("GET", "/api/auth/github", session=ROBIN)
    url = urlsplit(started.headers["Location"])
    query = parse_qs(url.query)
    assert list(query) == ["client_id", "redirect_uri", "scope", "state"] and query["scope"] == ["repo read:user"]
    state = query["state"][0]
    assert cookies_of(started) == [f"github_oauth_state={state}; Path=/; Expires=Sun, 17 May 2026 10:10:00 GMT; "
                                   "Max-Age=600; Secure; HttpOnly; SameSite=lax"]
    response = await api.call("GET", f"/api/auth/github/callback?code=robin-gh&state={state}", None,
                              headers={"Cookie": f"better-auth.session_token={ROBIN}; github_oauth_state={state}"})
    assert (response.status, location(response)) == (307, "/?github=connected")
    assert cookies_of(response) == ["github_oauth_state=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
    user = body_of(await api.internal("GET", "/api/auth/user", session=ROBIN))["user"]
    assert (user["github_username"], user["github_state"], user["github_connected"]) == (
        "robin-gh", "oauth_connected", True)


@pytest.mark.parametrize("settings,cookie_state,expected", [
    ({}, "other", "/?error=invalid_state"),
    ({"github_oauth": "fails"}, "s1", "/?error=github_token_exchange"),
    ({"github_api": "failing"}, "s1", "/?error=github_user_fetch"),
])
async def test_oauth_callback_errors(world_api, settings, cookie_state, expected):
    api = await oauth_world(world_api, **settings)
    response = await api.call("GET", "/api/auth/github/callback?code=robin-gh&state=s1", None,
                              headers={"Cookie": f"better-auth.session_token={ROBIN}; github_oauth_state={cookie_state}"})
    assert location(response) == expected


async def test_oauth_connect_without_a_client_id_is_an_empty_500(world_api):
    api = await oauth_world(world_api, github_oauth="not_configured")
    response = await api.internal("GET", "/api/auth/github")
    assert (response.status, response.raw_body) == (500, b"")


async def test_the_app_install_callback_records_the_installation(api):
    before = body_of(await api.internal("GET", "/api/auth/user", session=ROBIN))["user"]
    assert before["github_installation_count"] == 0
    response = await api.internal("GET", "/api/auth/github/callback?installation_id=88123", session=ROBIN)
    assert (location(response), cookies_of(response)) == (
        "/?github=connected", ["github_app_install_pending=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"])
    after = body_of(await api.internal("GET", "/api/auth/user", session=ROBIN))["user"]
    assert (after["github_installation_count"], after["github_state"]) == (1, "app_installed")
    installations = body_of(await api.internal("GET", "/api/github/installations", session=ROBIN))
    assert "88123" in json.dumps(installations)


@pytest.mark.parametrize("installation,session,expected", [
    ("abc", ROBIN, "/?error=github_installation_invalid"),
    ("88123", None, "/login"),
])
async def test_install_callback_errors(api, installation, session, expected):
    response = await api.internal("GET", f"/api/auth/github/callback?installation_id={installation}", session=session)
    assert location(response) == expected


# -- /api/auth/login/github ------------------------------------------------------------------------

async def test_login_without_the_waitlist_cookie_goes_to_the_beta_gate(api):
    response = await api.call("GET", "/api/auth/login/github?next=/harborlight/settings", None)
    assert location(response) == "/login/beta?error=waitlist_required&next=%2Fharborlight%2Fsettings"
    response = await api.call("GET", "/api/auth/login/github", None)
    assert location(response) == "/login/beta?error=waitlist_required"


# -- secrets never reach a cassette --------------------------------------------------------------------

async def test_the_new_paths_secrets_are_redacted(api):
    response = await sign_in_with_github(api)
    token_line = cookies_of(response)[1]
    redactor = Redactor()
    assert "<redacted:" in redactor.header("Set-Cookie", token_line)
    session = await api.call("GET", "/api/auth/get-session", None, headers={"Cookie": token_line.split(";")[0]})
    token = body_of(session)["session"]["token"]
    assert token.encode() not in redactor.body(session.raw_body, "application/json")
    assert "dana-okafor" not in redactor.url("/api/auth/callback/github?code=dana-okafor&state=Ab12Cd34Ef56Gh78Ij90")
    assert RW  # the PAT fixtures are untouched by these paths
