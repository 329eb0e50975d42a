"""The auth library's catch-all, /api/auth/{all*} (better-auth behind the server's guard):
its session endpoints here, social sign-in in `auth_social`.

Static /api/auth/* rows (user, logout, github, vercel, waitlist) win over this one in the
route table, as Next's router prefers them. Sessions are the world's: one opened here is
the cookie every route accepts, one ended here is signed out everywhere.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Awaitable, Callable
from urllib.parse import unquote, urlsplit

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers import auth_social, mcp_oauth
from mockplex.handlers.better_auth_wire import (
    SESSION_DATA, api_error, not_found, respond, session_cache, session_cleared, session_json, set_cookie_line,
    user_json,
)
from mockplex.responses import request_origin
from mockplex.world.oauth_flows import SESSION_LIFETIME, SessionDetails
from mockplex.world.sessions import Session, session_token

FRESH_AGE = timedelta(days=1)  # better-auth's session.freshAge
_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


async def catch_all(call: Call) -> web.StreamResponse:
    """The server's guard (secret configured, SSO registration off), then the router."""
    if call.world.outside.better_auth == "not_configured":
        return respond({"error": "auth_not_configured"}, status=503, headers={"cache-control": "no-store"})
    path = "/" + call.params["all"]
    if call.request.path.startswith("/api/auth/sso/register"):
        return respond({"error": "not_found"}, status=404)
    endpoint = _endpoint(call.request.method, path)
    if endpoint is None:
        return not_found()
    if call.request.method == "POST":
        refused = origin_refusal(call)
        if refused is not None:
            return refused
    return await endpoint(call)


def _endpoint(method: str, path: str) -> Callable[[Call], Awaitable[web.StreamResponse]] | None:
    if path.startswith("/callback/") and path.count("/") == 2 and path != "/callback/":
        return auth_social.callback_get if method == "GET" else auth_social.callback_post
    return _ENDPOINTS.get((method, path)) or mcp_oauth.ENDPOINTS.get((method, path))


def origin_refusal(call: Call) -> web.Response | None:
    """The CSRF check of every POST carrying cookies: Origin (or Referer) must be the app's."""
    if "Cookie" not in call.request.headers:
        return None
    given = call.request.headers.get("Origin") or call.request.headers.get("Referer") or ""
    if not given or given == "null":
        return api_error(403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
    parts = urlsplit(given)
    if f"{parts.scheme}://{parts.netloc}".lower() != request_origin(call.request).lower():
        return api_error(403, "INVALID_ORIGIN", "Invalid origin")
    return None


# -- the signed-in session ---------------------------------------------------------------

def current(call: Call) -> tuple[Session, str] | None:
    """The live world session the request's cookie names, with that cookie."""
    cookie = session_token(call.request.cookies, call.world.sessions.backend)
    session = call.world.sessions.resolve(call.request.cookies, call.now)
    if cookie is None or session is None or session.user_id not in call.world.users:
        return None
    return session, cookie


def details_of(call: Call, session: Session, cookie: str) -> SessionDetails:
    """What better-auth keeps of a session; a fixture's is noted the first time it is seen."""
    flows = call.world.oauth_flows
    known = flows.sessions.get(session.token_sha256)
    if known is None:
        token = unquote(cookie).rsplit(".", 1)[0] if "." in unquote(cookie) else cookie
        known = SessionDetails(id=call.world.ids.uuid(), token=token, user_id=session.user_id, created_at=call.now,
                               expires_at=session.expires_at or call.now + SESSION_LIFETIME,
                               ip_address="", user_agent="")
        flows.opened(session.token_sha256, known)
    return known


async def get_session(call: Call) -> web.Response:
    found = current(call)
    if found is None:
        cookies = session_cleared(call) if session_token(call.request.cookies, call.world.sessions.backend) else []
        return respond(None, cookies, headers=_NO_STORE)
    session, cookie = found
    pair = {"session": session_json(details_of(call, session, cookie)), "user": user_json(call, session.user_id)}
    cache = set_cookie_line(call, SESSION_DATA, session_cache(pair["session"], pair["user"], call.now), 300)
    return respond(pair, [cache], headers=_NO_STORE)


async def post_get_session(call: Call) -> web.Response:
    return api_error(405, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
                     "POST method requires deferSessionRefresh to be enabled in session config")


async def sign_out(call: Call) -> web.Response:
    found = current(call)
    if found is not None:
        call.world.oauth_flows.sessions.pop(found[0].token_sha256, None)
        call.world.sessions.sign_out(call.request.cookies)
    return respond({"success": True}, session_cleared(call))


async def list_sessions(call: Call) -> web.Response:
    found = current(call)
    if found is None:
        return api_error(401, "UNAUTHORIZED", "Unauthorized")
    session, cookie = found
    if call.now - details_of(call, session, cookie).created_at >= FRESH_AGE:
        return api_error(403, "SESSION_NOT_FRESH", "Session is not fresh")
    live = {item.token_sha256 for item in call.world.sessions.sessions() if item.live_at(call.now)}
    mine = [details for sha, details in call.world.oauth_flows.sessions.items()
            if details.user_id == session.user_id and sha in live and details.expires_at > call.now]
    return respond([session_json(details) for details in mine])


async def sign_in_email(call: Call) -> web.Response:
    """No world user has a password: a well-formed attempt is always the library's 401."""
    raw = await call.request.read()
    body = jsonio.parse_body(raw) if raw.strip() else jsonio.NOT_JSON
    fields = body if isinstance(body, dict) else {}
    problems = [f"[body.{name}] Invalid input: expected string, received {_js_type(fields.get(name, _MISSING))}"
                for name in ("email", "password") if not isinstance(fields.get(name), str)]
    if not isinstance(body, dict):
        problems = [f"[body] Invalid input: expected object, received {_js_type(_MISSING if body is jsonio.NOT_JSON else body)}"]
    if problems:
        return api_error(400, "VALIDATION_ERROR", "; ".join(problems))
    if not _looks_like_email(fields["email"]):
        return api_error(400, "INVALID_EMAIL", "Invalid email")
    return api_error(401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")


async def ok(call: Call) -> web.Response:
    return respond({"ok": True})


def _looks_like_email(text: str) -> bool:
    local, _, domain = text.partition("@")
    return bool(local) and "." in domain and " " not in text and not domain.startswith(".")


_MISSING = object()


def _js_type(value) -> str:
    """The type name zod's messages give for what it received."""
    return "undefined" if value is _MISSING else jsonio.js_type(value)


_ENDPOINTS: dict[tuple[str, str], Callable[[Call], Awaitable[web.StreamResponse]]] = {
    ("GET", "/get-session"): get_session,
    ("POST", "/get-session"): post_get_session,
    ("POST", "/sign-out"): sign_out,
    ("GET", "/list-sessions"): list_sessions,
    ("POST", "/sign-in/email"): sign_in_email,
    ("POST", "/sign-in/social"): auth_social.sign_in_social,
    ("GET", "/ok"): ok,
}
