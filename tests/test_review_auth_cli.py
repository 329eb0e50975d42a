"""Review of the auth library's paths, the GitHub sign-in flows, unsubscribe and the CLI
endpoints against the server's code: the exact bytes of what differed before."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import quote

import pytest

from mockplex.handlers.waitlist import COOKIE_SECRET, cookie_value

ORIGIN = re.compile(r"^http://127\.0\.0\.1:\d+")
NOW = 1779012000  # the frozen test clock, 2026-05-17T10:00:00Z
LOGIN = "/api/auth/login/github"
WAITLIST = "mogplex_waitlist_ok"
VERIFIER_COOKIE = "sb-mockplex-auth-token-code-verifier"


def waitlist_cookie(value: str | None = None) -> dict[str, str]:
    raw = value if value is not None else cookie_value("BETA-2026", NOW + 1800)
    return {"Cookie": f"{WAITLIST}={quote(raw, safe='')}"}


async def login(api, query: str = "", cookie: dict[str, str] | None = None, **headers):
    return await api.call("GET", LOGIN + query, None, headers={**(waitlist_cookie() if cookie is None else cookie), **headers})


def location(response) -> str:
    return ORIGIN.sub("", response.headers["Location"])


# -- GET /api/auth/login/github: the Supabase sign-in -----------------------------------------------------

async def test_login_redirects_to_supabase_authorize_as_auth_js_builds_it(api):
    response = await login(api, "?next=/harborlight/settings")
    assert (response.status, response.raw_body) == (307, b"")
    target = response.headers["Location"]
    callback = quote(f"{api.origin}/auth/callback?next=%2Fharborlight%2Fsettings", safe="")
    prefix = ("https://mockplex.supabase.mock/auth/v1/authorize?provider=github"
              f"&redirect_to={callback}&scopes=read%3Auser%20user%3Aemail%20repo&code_challenge=")
    assert target.startswith(prefix)
    challenge, method = target[len(prefix):].split("&code_challenge_method=")
    assert method == "s256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", challenge)
    [cookie] = response.headers.getall("Set-Cookie")
    value = re.fullmatch(VERIFIER_COOKIE + r"=base64-([A-Za-z0-9_-]+); Path=/; "
                         r"Expires=Mon, 21 Jun 2027 10:00:00 GMT; Max-Age=34560000; SameSite=lax", cookie).group(1)
    stored = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    assert re.fullmatch(r'"[0-9a-f]{112}"', stored)  # JSON.stringify of the verifier
    digest = hashlib.sha256(stored[1:-1].encode()).digest()
    assert base64.urlsafe_b64encode(digest).decode().rstrip("=") == challenge


async def test_login_clears_stale_chunks_of_the_verifier_first(api):
    cookies = waitlist_cookie()["Cookie"] + f"; {VERIFIER_COOKIE}.0=abc; {VERIFIER_COOKIE}.1=def; other.0=x"
    response = await login(api, cookie={"Cookie": cookies})
    lines = response.headers.getall("Set-Cookie")
    assert lines[:2] == [f"{VERIFIER_COOKIE}.0=; Path=/; Max-Age=0; SameSite=lax",
                         f"{VERIFIER_COOKIE}.1=; Path=/; Max-Age=0; SameSite=lax"]
    assert len(lines) == 3 and lines[2].startswith(VERIFIER_COOKIE + "=base64-")


@pytest.mark.parametrize(("sent", "kept"), [
    ("/a%20b/../c?x=it's%20%22q%22%23frag", "%2Fc%3Fx%3Dit%2527s%2520%2522q%2522%23frag"),
    ("/a/./b/%2e%2e/", "%2Fa%2F"),
    ("/%5Cevil.example/x", "%2F"), ("/%09/evil.example", "%2F"), ("//evil.example", "%2F"),
    ("/%5Cmogplex.local/inside", "%2Finside"), ("https://evil.example/", "%2F"),
])
async def test_login_normalizes_next_as_a_whatwg_url(api, sent, kept):
    response = await login(api, f"?next={sent}")
    assert quote(f"/auth/callback?next={kept}", safe="") in response.headers["Location"]


async def test_the_waitlist_gate_keeps_the_normalized_next(api):
    response = await api.call("GET", LOGIN + "?next=/x/../team%20a", None)
    assert location(response) == "/login/beta?error=waitlist_required&next=%2Fteam%2520a"


def signed(payload: str) -> str:
    """`payload.hmac`, however many dots the payload has."""
    return f"{payload}.{hmac.new(COOKIE_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()}"


@pytest.mark.parametrize("raw", [
    signed(f"BETA-2026.{NOW + 1800}").rsplit(".", 1)[0] + "." + signed(f"BETA-2026.{NOW + 1800}")[-64:].upper(),
    signed(f"BETA-2026.{NOW + 1800}") + "zz",  # Buffer.from(hex) stops at the first non-hex pair
    signed(f"BETA-2026.{NOW + 1800}") + "7",  # and drops a trailing half pair
    signed(f".{NOW + 1800}"),  # an empty code still signs
    signed(str(NOW + 60)),  # no dot in the payload: all of it is the expiry
    signed(f"x. {NOW + 60} "),  # Number() trims
    signed("x.1e10"),  # and reads exponents
])
async def test_the_waitlist_cookie_is_read_as_node_reads_it(api, raw):
    response = await login(api, cookie=waitlist_cookie(raw))
    assert response.headers["Location"].startswith("https://mockplex.supabase.mock/")


@pytest.mark.parametrize("raw", [
    signed(f"BETA-2026.{NOW}"), signed(f"BETA-2026.{NOW + 1800}")[:-2], ".abc", "nodot",
    signed(f"BETA-2026.{NOW + 1800}").replace("BETA", "BETB"), signed("x.Infinity"), signed("x.abc"),
])
async def test_a_waitlist_cookie_that_fails_goes_to_the_gate(api, raw):
    response = await login(api, cookie=waitlist_cookie(raw))
    assert location(response) == "/login/beta?error=waitlist_required"


async def test_without_a_signing_secret_a_dotted_waitlist_cookie_is_an_empty_500(world_api):
    api = await world_api(waitlist_cookie_secret="missing")
    crashed = await login(api, cookie=waitlist_cookie("a.b"))
    assert (crashed.status, crashed.raw_body, "Location" in crashed.headers) == (500, b"", False)
    assert location(await login(api, cookie={})) == "/login/beta?error=waitlist_required"


# -- GET /api/auth/github: the connect flow's cookies -----------------------------------------------------

async def test_connect_cookies_are_secure_as_in_production(api, world_api):
    installed = await api.internal("GET", "/api/auth/github")
    assert installed.headers.getall("Set-Cookie")[0] == (
        "github_app_install_pending=1; Path=/; Expires=Mon, 18 May 2026 10:00:00 GMT; Max-Age=86400; Secure; "
        "HttpOnly; SameSite=lax")
    oauth = await world_api(github_app_configured="false")
    started = await oauth.internal("GET", "/api/auth/github")
    [line] = started.headers.getall("Set-Cookie")
    assert re.fullmatch(r"github_oauth_state=[0-9a-f-]{36}; Path=/; Expires=Sun, 17 May 2026 10:10:00 GMT; "
                        r"Max-Age=600; Secure; HttpOnly; SameSite=lax", line)


# -- GET /api/unsubscribe: the confirm-page redirect ------------------------------------------------------

async def test_the_confirm_redirect_keeps_the_query_as_a_whatwg_url_writes_it(api):
    response = await api.internal("GET", "/api/unsubscribe?email=o'neil@example.com&t=ab")
    assert (response.status, location(response)) == (303, "/unsubscribe?email=o%27neil@example.com&t=ab")


async def test_the_edge_sends_a_caller_without_a_session_to_login_as_the_server_does(api):
    """/api/unsubscribe is not on the server's public list: the edge gate answers first."""
    response = await api.call("POST", "/api/unsubscribe?email=a@example.com&t=x", None)
    assert (response.status, location(response)) == (
        307, "/login?next=%2Fapi%2Funsubscribe%3Femail%3Da%40example.com%26t%3Dx")
