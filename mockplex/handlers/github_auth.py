"""GitHub sign-in and connect flows outside the auth library: GET /api/auth/github (connect:
install the App, or OAuth), its callback, and GET /api/auth/login/github (the legacy
Supabase sign-in behind the waitlist gate)."""

from __future__ import annotations

import hashlib
import hmac
import math
from urllib.parse import quote

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.auth_social import form_encode
from mockplex.handlers.identity import _lasting_cookie, _next_cookie
from mockplex.handlers.waitlist import COOKIE_NAME as WAITLIST_COOKIE, cookie_value
from mockplex.jsvalues import JS_EPOCH, js_number
from mockplex.responses import EmptyResponse, request_origin
from mockplex.world.oauth_flows import github_account
from mockplex.world.records import Installation
from mockplex.world.sessions import SUPABASE_PROJECT_REF

# The world's GitHub App (GITHUB_APP_NAME) and OAuth app (GITHUB_CLIENT_ID): invented.
GITHUB_APP_NAME = "mogplex-local"
CONNECT_CLIENT_ID = "Ov23liMpxConnect4Fh9"
_INSTALL_PENDING = "github_app_install_pending"
_OAUTH_STATE = "github_oauth_state"


def _redirect(location: str, cookies: list[str] = ()) -> web.Response:
    """NextResponse.redirect: a bodiless 307."""
    response = web.Response(status=307, headers={"Location": location})
    for line in cookies:
        response.headers.add("Set-Cookie", line)
    return response


def _app_redirect(call: Call, path: str, cookies: list[str] = ()) -> web.Response:
    return _redirect(request_origin(call.request) + path, cookies)


def _deleted(name: str) -> str:
    return _next_cookie(name, "", expires=JS_EPOCH)


def _require_oauth_app(call: Call) -> None:
    """requireEnv("GITHUB_CLIENT_ID"): unset, the handler throws (Next's empty 500)."""
    if call.world.outside.github_oauth == "not_configured":
        raise EmptyResponse(500)


async def connect(call: Call) -> web.Response:
    if call.identity is None:
        return _app_redirect(call, "/login")
    if call.world.github_app_configured:
        pending = _lasting_cookie(call, _INSTALL_PENDING, "1", 86400, http_only=True, same_site="lax")
        return _redirect(f"https://github.com/apps/{GITHUB_APP_NAME}/installations/new",
                         [pending, _deleted("github_reconcile_skip")])
    state = call.world.ids.uuid()
    cookie = _lasting_cookie(call, _OAUTH_STATE, state, 600, http_only=True, same_site="lax")
    _require_oauth_app(call)
    query = form_encode([("client_id", CONNECT_CLIENT_ID),
                         ("redirect_uri", request_origin(call.request) + "/api/auth/github/callback"),
                         ("scope", "repo read:user"), ("state", state)])
    return _redirect(f"https://github.com/login/oauth/authorize?{query}", [cookie])


async def connect_callback(call: Call) -> web.Response:
    installation = call.query("installation_id")
    if installation and call.world.github_app_configured:
        return _installed(call, installation)
    code, state = call.query("code"), call.query("state")
    if not code or not state or state != call.request.cookies.get(_OAUTH_STATE):
        return _app_redirect(call, "/?error=invalid_state")
    if call.identity is None:
        return _app_redirect(call, "/login")
    cleared = [_deleted(_OAUTH_STATE)]
    _require_oauth_app(call)
    if call.world.outside.github_oauth == "fails":
        return _app_redirect(call, "/?error=github_token_exchange", cleared)
    account = github_account(code, call.world.users)
    if account is None:
        return _app_redirect(call, "/?error=github_token_error", cleared)
    if call.world.outside.github_api == "failing":
        return _app_redirect(call, "/?error=github_user_fetch", cleared)
    user = call.world.users[call.user_id]
    user.github_username = account.login
    user.github_connected = True  # the OAuth token is stored
    return _app_redirect(call, "/?github=connected", cleared)


def _installed(call: Call, raw_id: str) -> web.Response:
    """The App's install callback: the installation GitHub reports is the user's."""
    if call.identity is None:
        return _app_redirect(call, "/login")
    number = js_number(raw_id)
    if not math.isfinite(number):
        return _app_redirect(call, "/?error=github_installation_invalid")
    if call.world.outside.github_api == "failing" or number != int(number) or number <= 0:
        return _app_redirect(call, "/?error=github_installation_fetch")
    installations = call.world.installations
    if int(number) not in installations:
        user = call.world.users[call.user_id]
        installations[int(number)] = Installation(
            id=int(number), account=user.github_username or user.username or user.email.split("@")[0],
            user_id=user.id, account_type="User", row_id=call.world.ids.uuid(), created_at=call.now)
    return _app_redirect(call, "/?github=connected", [_deleted(_INSTALL_PENDING)])


async def login(call: Call) -> web.Response:
    next_path = _app_path(call.query("next"))
    if not _waitlist_passed(call):
        query = [("error", "waitlist_required")] + ([("next", next_path)] if next_path != "/" else [])
        return _app_redirect(call, "/login/beta?" + form_encode(query))
    callback = f"{request_origin(call.request)}/auth/callback?" + form_encode([("next", next_path)])
    verifier = call.world.ids.random_bytes(56).hex()
    challenge = hashlib.sha256(verifier.encode()).hexdigest()
    query = form_encode([("provider", "github"), ("redirect_to", callback),
                         ("scopes", "read:user user:email repo"), ("code_challenge", challenge),
                         ("code_challenge_method", "s256")])
    cookie = _next_cookie(f"sb-{SUPABASE_PROJECT_REF}-auth-token-code-verifier", quote(f'"{verifier}"'),
                          max_age=34560000, same_site="lax")
    return _redirect(f"https://{SUPABASE_PROJECT_REF}.supabase.mock/auth/v1/authorize?{query}", [cookie])


def _waitlist_passed(call: Call) -> bool:
    """verifyWaitlistCookieValue: `code.expiry.hmac`, the HMAC right, the expiry ahead."""
    raw = call.request.cookies.get(WAITLIST_COOKIE, "")
    payload, _, _signature = raw.rpartition(".")
    code, _, expiry = payload.rpartition(".")
    if not payload or not code or not expiry.isdigit():
        return False
    return hmac.compare_digest(cookie_value(code, int(expiry)), raw) and math.floor(call.now.timestamp()) < int(expiry)


def _app_path(value: str | None) -> str:
    """normalizeAppRedirectPath: a same-origin absolute path, else "/"."""
    if not value or not value.startswith("/") or value.startswith("//") or value.startswith("/\\"):
        return "/"
    return value
