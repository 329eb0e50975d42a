"""The auth library's social sign-in: POST /api/auth/sign-in/social and the provider's
callback, /api/auth/callback/{id} (GitHub, the one provider the world configures)."""

from __future__ import annotations

import re
import string
from urllib.parse import parse_qsl, unquote

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.better_auth_wire import (
    COOKIE_LIFETIMES, SESSION_DATA, SESSION_TOKEN, STATE, api_error, base_url, cookie_name, expired_lines, redirect,
    respond, session_cache, session_json, set_cookie_line, signed_value, user_json,
)
from mockplex.ids import s256
from mockplex.jsvalues import search_params
from mockplex.responses import request_origin
from mockplex.world.oauth_flows import (
    SESSION_LIFETIME, STATE_LIFETIME, PendingSignIn, SessionDetails, github_account,
)
from mockplex.world.records import User

# The world's AUTH_GITHUB_CLIENT_ID (the sign-in app's public client id).
SIGN_IN_CLIENT_ID = "Ov23liMpxSignIn7Qa2k"
_ALPHANUMERIC = string.ascii_letters + string.digits
_CALLBACK_KEYS = ("code", "error", "device_id", "state", "user")
_RELATIVE = re.compile(r"^/(?!/|\\)[\w\-.+/@]*(?:\?[\w\-.+/=&%@]*)?$", re.ASCII)  # JavaScript's \w is ASCII-only


async def sign_in_social(call: Call) -> web.Response:
    body = jsonio.parse_body(await call.request.read())
    fields = body if isinstance(body, dict) else {}
    refused = _untrusted_redirect(call, fields)
    if refused is not None:
        return refused
    if not isinstance(body, dict):
        return api_error(400, "VALIDATION_ERROR", "[body] Invalid input: expected object, received "
                         + ("undefined" if body is jsonio.NOT_JSON else "null" if body is None else type(body).__name__))
    if not isinstance(fields.get("provider"), str):
        return api_error(400, "VALIDATION_ERROR", "[body.provider] Invalid input")
    if fields["provider"] != "github" or call.world.outside.github_oauth == "not_configured":
        return api_error(404, "PROVIDER_NOT_FOUND", "Provider not found")
    state, verifier = call.world.ids.random_text(_ALPHANUMERIC, 32), call.world.ids.random_text(_ALPHANUMERIC, 128)
    call.world.oauth_flows.start(state, PendingSignIn(
        provider="github", callback_url=fields.get("callbackURL") or request_origin(call.request),
        error_url=fields.get("errorCallbackURL"), new_user_url=fields.get("newUserCallbackURL"),
        expires_at=call.now + STATE_LIFETIME))
    url = _authorize_url(call, state, verifier, fields.get("scopes"))
    follow = not fields.get("disableRedirect")
    cookie = set_cookie_line(call, STATE, signed_value(state), COOKIE_LIFETIMES[STATE])
    return respond({"url": url, "redirect": follow}, [cookie], headers={"Location": url} if follow else None)


def _untrusted_redirect(call: Call, fields: dict) -> web.Response | None:
    """The router's origin middleware: each callback URL must be relative or the app's."""
    for key, code, label in (("callbackURL", "INVALID_CALLBACK_URL", "callbackURL"),
                             ("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL", "errorCallbackURL"),
                             ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL", "newUserCallbackURL")):
        value = fields.get(key)
        if not value:
            continue
        if not isinstance(value, str):
            return respond({"message": f"Invalid {label}: expected a string"}, status=400)
        origin = request_origin(call.request)
        if not (_RELATIVE.match(value) or value == origin or value.startswith(origin + "/")):
            return api_error(403, code, f"Invalid {label}")
    return None


def _authorize_url(call: Call, state: str, verifier: str, scopes) -> str:
    requested = ["read:user", "user:email", *(scopes if isinstance(scopes, list) else [])]
    challenge = s256(verifier)
    query = [("response_type", "code"), ("client_id", SIGN_IN_CLIENT_ID), ("state", state),
             ("scope", " ".join(requested)), ("redirect_uri", f"{base_url(call)}/callback/github"),
             ("code_challenge_method", "S256"), ("code_challenge", challenge)]
    return "https://github.com/login/oauth/authorize?" + search_params(query)


# -- the provider's callback ---------------------------------------------------------------

async def callback_post(call: Call) -> web.Response:
    """A form_post callback is sent back to the GET callback, so the browser's cookies ride."""
    raw = await call.request.read()
    posted = jsonio.parse_body(raw) if call.request.content_type == "application/json" else dict(
        parse_qsl(raw.decode("utf-8", "replace")))
    merged = {**(posted if isinstance(posted, dict) else {}), **call.request.query}
    query = search_params((key, str(merged[key])) for key in _CALLBACK_KEYS if merged.get(key) is not None)
    return redirect(f"{base_url(call)}/callback/{call.params['all'].split('/', 1)[1]}?{query}")


async def callback_get(call: Call) -> web.Response:
    default_error = f"{base_url(call)}/error"
    state = call.query("state")
    if not state:
        return _error_redirect(default_error, "state_not_found")
    pending = call.world.oauth_flows.pending.get(state)
    if pending is None:
        return _error_redirect(default_error, "state_mismatch")
    error_url = pending.error_url or default_error
    if unquote(call.request.cookies.get(cookie_name(call, STATE), "")) != unquote(signed_value(state)):
        return _error_redirect(error_url, "state_mismatch")
    call.world.oauth_flows.take(state)
    cleared = expired_lines(call, STATE)
    if pending.expires_at < call.now:
        return _error_redirect(error_url, "state_mismatch", cleared)
    return _finish(call, pending, error_url, cleared)


def _finish(call: Call, pending: PendingSignIn, error_url: str, cleared: list[str]) -> web.Response:
    if call.query("error"):
        return _error_redirect(error_url, call.query("error"), cleared, call.query("error_description"))
    code = call.query("code")
    if not code:
        return _error_redirect(error_url, "no_code", cleared)
    if call.params["all"] != "callback/github" or call.world.outside.github_oauth == "not_configured":
        return _error_redirect(error_url, "oauth_provider_not_found", cleared)
    account = github_account(code, call.world.users)
    if account is None or call.world.outside.github_oauth == "fails":
        return _error_redirect(error_url, "invalid_code", cleared)
    user, registered = _user_for(call, account.email, account.name, account.avatar_url)
    cookies = [*cleared, *open_session(call, user.id)]
    return redirect((pending.new_user_url or pending.callback_url) if registered else pending.callback_url, cookies)


def _user_for(call: Call, email: str, name: str, image: str) -> tuple[User, bool]:
    """The auth user with GitHub's email, or a new one (with the profile the server's
    user-create hook provisions)."""
    found = next((user for user in call.world.users.values() if user.email.lower() == email.lower()), None)
    if found is not None:
        return found, False
    user = User(id=call.world.ids.uuid(), email=email.lower(), name=name, default_model=None,
                github_connected=False, avatar_url=image)
    call.world.users[user.id] = user
    call.world.oauth_flows.joined[user.id] = call.now
    return user, True


def open_session(call: Call, user_id: str) -> list[str]:
    """createSession + setSessionCookie: the signed token cookie, then the session cache."""
    token = call.world.ids.random_text(_ALPHANUMERIC, 32)
    cookie = signed_value(token)
    expires_at = call.now + SESSION_LIFETIME
    session = call.world.sessions.open(cookie, user_id, expires_at)
    forwarded = call.request.headers.get("x-forwarded-for", "").split(",")[0].strip()
    details = SessionDetails(id=call.world.ids.uuid(), token=token, user_id=user_id, created_at=call.now,
                             expires_at=expires_at, ip_address=forwarded,
                             user_agent=call.request.headers.get("User-Agent", ""))
    call.world.oauth_flows.opened(session.token_sha256, details)
    cache = session_cache(session_json(details), user_json(call, user_id), call.now)
    return [set_cookie_line(call, SESSION_TOKEN, cookie, COOKIE_LIFETIMES[SESSION_TOKEN]),
            set_cookie_line(call, SESSION_DATA, cache, COOKIE_LIFETIMES[SESSION_DATA])]


def _error_redirect(error_url: str, error: str, cookies: list[str] = (), description: str | None = None) -> web.Response:
    """redirectOnError: `?error=` (or `&error=`), and the description when there is one."""
    pairs = [("error", error)] + ([("error_description", description)] if description else [])
    return redirect(error_url + ("&" if "?" in error_url else "?") + search_params(pairs), cookies)
