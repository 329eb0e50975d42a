"""Connecting Vercel: the OAuth flow (GET /api/auth/vercel and its callback) and a pasted
Vercel token (POST and DELETE /api/auth/vercel/token).

The edge lets every /api/auth/ path through, so each route decides what no caller means:
the OAuth start and callback redirect to /login, the token routes answer 401 after their
CSRF checks. Vercel is played by the world (`vercel_api`, `vercel_oauth` in world.yaml).
"""

from __future__ import annotations

import re

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.identity import next_cookie
from mockplex.ids import s256
from mockplex.jsvalues import JS_EPOCH, search_params
from mockplex.responses import (
    EmptyResponse, JsonError, flat_error, json_response, origin_redirect, request_origin,
)
from mockplex.rules.edge import url_origin
from mockplex.validation import js_trim

URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
CALLBACK_PATH = "/api/auth/vercel/callback"
AUTHORIZE_URL = "https://vercel.com/oauth/authorize"
VERCEL_CLIENT_ID = "cl_mockplexVercelApp01"
OAUTH_COOKIES = ("vercel_oauth_state", "vercel_oauth_nonce", "vercel_code_verifier")
COOKIE_FLAGS = "Path=/; HttpOnly; SameSite=Lax; Max-Age=600; Secure"  # the hosted server runs in production
PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Connecting Vercel...</title>'
        '<meta http-equiv="refresh" content="0;url={url}"></head><body><a id="vercel-redirect" href="{url}">'
        'Connecting Vercel...</a><script>window.location.replace(document.getElementById("vercel-redirect").href);'
        '</script></body></html>')
# What the token check (Vercel's /v2/teams) answers, per vercel_api outcome.
TOKEN_REFUSALS = {
    "rejects_token": (401, "VERCEL_TOKEN_INVALID", "Vercel rejected this token. Generate a new one and try again."),
    "insufficient_scope": (403, "VERCEL_TOKEN_INSUFFICIENT_SCOPE",
                           "This token can't list teams or projects. Create a Personal Access Token at "
                           "vercel.com/account/tokens with full access."),
    "failing": (502, "VERCEL_TOKEN_VALIDATION_FAILED", "Vercel returned 500 while validating the token."),
    "unreachable": (502, "VERCEL_TOKEN_VALIDATION_FAILED",
                    "Couldn't reach Vercel to validate the token. Check your connection and try again."),
}


def _redirect(call: Call, path: str) -> web.Response:
    return origin_redirect(call.request, path)


def _random_hex(call: Call, length: int) -> str:
    return call.world.ids.random_bytes(length).hex()


def _html_attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


async def authorize(call: Call) -> web.Response:
    if call.identity is None:
        return _redirect(call, "/login")
    state, nonce, verifier = _random_hex(call, 32), _random_hex(call, 32), _random_hex(call, 64)
    challenge = s256(verifier)
    client_id = VERCEL_CLIENT_ID if call.world.outside.vercel_oauth == "configured" else "undefined"
    params = {"client_id": client_id, "redirect_uri": request_origin(call.request) + CALLBACK_PATH,
              "response_type": "code", "scope": "openid email profile offline_access", "state": state,
              "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256"}
    url = _html_attribute(f"{AUTHORIZE_URL}?{search_params(params.items())}")
    response = web.Response(body=PAGE.format(url=url).encode(),
                            headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})
    for name, value in zip(OAUTH_COOKIES, (state, nonce, verifier), strict=True):
        response.headers.add("Set-Cookie", f"{name}={value}; {COOKIE_FLAGS}")
    return response


async def callback(call: Call) -> web.Response:
    code, state = call.query("code"), call.query("state")
    cookies = call.request.cookies
    if not code or not state or state != cookies.get("vercel_oauth_state"):
        return _redirect(call, "/login?error=invalid_state")
    if not cookies.get("vercel_code_verifier"):
        return _redirect(call, "/login?error=missing_verifier")
    if call.identity is None:
        return _redirect(call, "/login?error=vercel_requires_github_login")
    outcome = call.world.outside.vercel_api
    if outcome == "unreachable":
        raise EmptyResponse(500)  # the token exchange's fetch throws uncaught
    if outcome == "failing" or call.world.outside.vercel_oauth == "not_configured":
        return _redirect(call, "/login?error=token_exchange")
    if outcome == "rejects_token":
        return _redirect(call, "/login?error=user_fetch")
    accounts, user_id = call.world.vercel_accounts, call.user_id
    listed = accounts.first_team(user_id) if outcome != "insufficient_scope" else None
    accounts.team_ids[user_id] = listed or accounts.vercel_user_id(user_id)
    accounts.store_token(user_id, accounts.mint_access_token(call.world.ids))
    response = _redirect(call, "/?vercel=connected")
    for name in OAUTH_COOKIES:
        response.headers.add("Set-Cookie", next_cookie(name, "", expires=JS_EPOCH))
    return response


def _refuse_cross_site(call: Call) -> None:
    """The token routes' CSRF guard: the XHR header, then Origin (or else Referer) must be
    the app's own origin."""
    headers = call.request.headers
    if headers.get("x-requested-with") != "XMLHttpRequest":
        raise flat_error(403, "Missing X-Requested-With header")
    expected = request_origin(call.request)
    origin, referer = headers.get("origin"), headers.get("referer")
    if origin is not None:
        if origin != expected:
            raise flat_error(403, "Origin mismatch")
        return
    if not referer:
        raise flat_error(403, "Missing Origin or Referer header")
    if _referer_origin(referer) != expected:
        raise flat_error(403, "Referer mismatch")


def _referer_origin(referer: str) -> str:
    """`new URL(referer).origin`: "null" for a scheme without one; a Referer that does
    not parse is refused."""
    scheme = URL_SCHEME.match(referer.strip(" \t\n\r\f\v\x00"))
    origin = url_origin(referer)
    if scheme is None or origin is None and scheme[1].lower() in ("http", "https"):
        raise flat_error(403, "Invalid Referer header")
    return origin or "null"


async def store_token(call: Call) -> web.Response:
    _refuse_cross_site(call)
    user_id = call.require_user()
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise flat_error(400, "Invalid JSON body")
    if not isinstance(body, dict):
        raise flat_error(400, "Body must be a JSON object")
    token = js_trim(body["token"]) if isinstance(body.get("token"), str) else ""
    if not token:
        raise flat_error(400, "Token is required")
    refusal = TOKEN_REFUSALS.get(call.world.outside.vercel_api)
    if refusal is not None:
        status, code, message = refusal
        raise JsonError(status, {"error": code, "message": message})
    call.world.vercel_accounts.store_token(user_id, token)
    return json_response({"ok": True})


async def delete_token(call: Call) -> web.Response:
    _refuse_cross_site(call)
    call.world.vercel_accounts.delete_token(call.require_user())
    return json_response({"ok": True})
