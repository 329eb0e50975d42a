"""better-auth's wire format, as its router (better-call) writes it: cookies (signed
values, attribute order, the `__Secure-` prefix over HTTPS), error bodies, redirects."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.ids import b64url
from mockplex.jsvalues import js_iso, uri_component
from mockplex.responses import JSON_CONTENT_TYPE, request_origin
from mockplex.world.oauth_flows import SessionDetails

# The world's BETTER_AUTH_SECRET: signs session and state cookies and the session cache.
SECRET = b"mockplex-local-better-auth-secret-not-for-production"
SESSION_TOKEN = "session_token"
SESSION_DATA = "session_data"
DONT_REMEMBER = "dont_remember"
STATE = "state"
COOKIE_LIFETIMES = {SESSION_TOKEN: 7 * 24 * 3600, SESSION_DATA: 300, STATE: 300}


def base_url(call: Call) -> str:
    """ctx.context.baseURL: the app URL with the library's base path."""
    return request_origin(call.request) + "/api/auth"


def cookie_name(call: Call, short: str) -> str:
    """A baseURL served over https makes every auth cookie `__Secure-` prefixed."""
    prefix = "__Secure-" if call.request.scheme == "https" else ""
    return f"{prefix}better-auth.{short}"


def set_cookie_line(call: Call, short: str, value: str, max_age: int | None) -> str:
    """serializeCookie: Max-Age, Path, HttpOnly, Secure, SameSite, in that order."""
    parts = [f"{cookie_name(call, short)}={value}"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    parts += ["Path=/", "HttpOnly"]
    if call.request.scheme == "https":
        parts.append("Secure")
    parts.append("SameSite=Lax")
    return "; ".join(parts)


def signed_value(value: str) -> str:
    """setSignedCookie's value: `value.base64(HMAC-SHA256)`, URI-component encoded."""
    signature = base64.b64encode(hmac.new(SECRET, value.encode(), hashlib.sha256).digest()).decode()
    return uri_component(f"{value}.{signature}")


def expired_lines(call: Call, *shorts: str) -> list[str]:
    return [set_cookie_line(call, short, "", 0) for short in shorts]


def session_cleared(call: Call) -> list[str]:
    """deleteSessionCookie: the token, the cache, then the remember-me marker."""
    return expired_lines(call, SESSION_TOKEN, SESSION_DATA, DONT_REMEMBER)


def respond(payload: Any, cookies: list[str] = (), status: int = 200, headers: dict | None = None) -> web.Response:
    """A JSON answer with its Set-Cookie lines (toResponse: JSON.stringify of the body)."""
    response = web.Response(body=_stringify(payload), status=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    for line in cookies:
        response.headers.add("Set-Cookie", line)
    response.headers["Content-Type"] = JSON_CONTENT_TYPE
    return response


def api_error(status: int, code: str, message: str, cookies: list[str] = ()) -> web.Response:
    """APIError.from: `{"message", "code"}`."""
    return respond({"message": message, "code": code}, cookies, status)


def redirect(location: str, cookies: list[str] = ()) -> web.Response:
    """ctx.redirect: a thrown 302 whose body is empty yet typed as JSON."""
    response = web.Response(status=302, headers={"Location": location})
    for line in cookies:
        response.headers.add("Set-Cookie", line)
    response.headers["Content-Type"] = JSON_CONTENT_TYPE
    return response


def not_found() -> web.Response:
    """The router's answer for a path or method it has no endpoint for: an empty 404."""
    return web.Response(status=404)


def session_json(details: SessionDetails) -> dict:
    """A session row as better-auth outputs it: its schema's field order, the id last."""
    return {"expiresAt": js_iso(details.expires_at), "token": details.token,
            "createdAt": js_iso(details.created_at), "updatedAt": js_iso(details.created_at),
            "ipAddress": details.ip_address, "userAgent": details.user_agent, "userId": details.user_id,
            "id": details.id}


def user_json(call: Call, user_id: str) -> dict:
    user = call.world.users[user_id]
    joined = js_iso(call.world.oauth_flows.joined_at(user_id))
    return {"name": user.name, "email": user.email, "emailVerified": True, "image": user.avatar_url,
            "createdAt": joined, "updatedAt": joined, "id": user.id}


def session_cache(session: dict, user: dict, now: datetime) -> str:
    """The compact session_data cookie: base64url JSON of the snapshot, its expiry and its
    HMAC (over the snapshot with the expiry), both without padding."""
    millis = int(now.timestamp() * 1000)
    snapshot = {"session": session, "user": user, "updatedAt": millis, "version": "1"}
    expires_at = millis + COOKIE_LIFETIMES[SESSION_DATA] * 1000
    signature = b64url(hmac.new(SECRET, _stringify({**snapshot, "expiresAt": expires_at}).encode(),
                                 hashlib.sha256).digest())
    return b64url(_stringify({"session": snapshot, "expiresAt": expires_at, "signature": signature}).encode())


def _stringify(payload: Any) -> str:
    return jsonio.dumps(payload).decode()
