"""/api/auth/waitlist/*: public routes (under the edge's /api/auth/ prefix). Requests and
replacement codes are limited per IP in process; redeeming a code sets the signed
`mogplex_waitlist_ok` cookie. The world's `email_sender` setting plays Resend (a
replacement code is mailed, only logged, or the send fails) and `waitlist_cookie_secret`
the server's signing secret being set or not."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from datetime import timedelta
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.identity import lasting_cookie
from mockplex.jsvalues import uri_component
from mockplex.responses import EmptyResponse, JsonError, json_response
from mockplex.validation import js_length, js_trim
from mockplex.world.waitlist import SentEmail

EMAIL_MAX = 320
FIELD_MAX = 500
CODE_MAX = 128
WINDOW = timedelta(seconds=60)
REQUEST_LIMIT, NEW_CODE_LIMIT = 5, 3
COOKIE_NAME = "mogplex_waitlist_ok"
COOKIE_SECONDS = 30 * 60
# The development signing secret (the server's WAITLIST_COOKIE_SECRET); never sent anywhere.
COOKIE_SECRET = "mpx_waitlist_cookie_secret_dev_0001"
SUBJECT = "Your new Mogplex access code"
_JS_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
EMAIL = re.compile(rf"[^{_JS_SPACE}@]+@[^{_JS_SPACE}@]+\.[^{_JS_SPACE}@]+")
CODE = re.compile(r"[!-~]+")


def _failure(status: int, error: str, headers: dict[str, str] | None = None) -> JsonError:
    return JsonError(status, {"ok": False, "error": error}, headers)


def _admit(call: Call, prefix: str, limit: int) -> None:
    forwarded = call.request.headers.get("x-forwarded-for", "").split(",")[0].strip()
    wait = call.world.waitlist.admit(f"{prefix}:{forwarded or 'unknown'}", limit, WINDOW, call.now)
    if wait is not None:
        raise _failure(429, "rate_limited", {"retry-after": str(wait)})


async def _json(call: Call) -> Any:
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise _failure(400, "invalid_request")
    return body


def _text(raw: Any, limit: int) -> str | None:
    """trimOrNull: a non-blank string within `limit` UTF-16 units, trimmed."""
    if not isinstance(raw, str):
        return None
    trimmed = js_trim(raw)
    return trimmed if trimmed and js_length(trimmed) <= limit else None


def _email(raw: Any) -> str:
    email = _text(raw, EMAIL_MAX)
    if email is None or not EMAIL.fullmatch(email):
        raise _failure(400, "invalid_email")
    return email.lower()


async def request_access(call: Call) -> web.Response:
    _admit(call, "waitlist_request", REQUEST_LIMIT)
    body = await _json(call)
    raw = body if isinstance(body, dict) else {}
    fields: dict[str, str | None] = {"email": _email(raw.get("email"))}
    for key, name, limit in (("name", "name", FIELD_MAX), ("company", "company", FIELD_MAX),
                             ("useCase", "use_case", FIELD_MAX * 4)):
        fields[name] = _text(raw.get(key), limit)
        if fields[name] is None and isinstance(raw.get(key), str) and js_trim(raw[key]):
            raise _failure(400, "invalid_field")
    fields["source"] = _text(raw.get("source"), FIELD_MAX) or "marketing_site"
    inserted = call.world.waitlist.record_request(fields, call.now)
    return json_response({"ok": True, "alreadyRequested": not inserted})


async def new_code(call: Call) -> web.Response:
    _admit(call, "waitlist_new_code", NEW_CODE_LIMIT)
    body = await _json(call)
    email = _email(body.get("email") if isinstance(body, dict) else None)
    world = call.world
    if not any(user.email.lower() == email for user in world.users.values()):
        return json_response({"ok": True})  # the same answer, so no address is revealed
    code = world.waitlist.mint_replacement(email, world.ids, call.now)
    suppressed = world.outside.email_unsubscribes == "failing" or world.email_preferences.is_unsubscribed(email)
    if suppressed or world.outside.email_sender == "missing":  # minted, never sent (an operator hands it over)
        return json_response({"ok": True})
    if world.outside.email_sender == "failing":
        world.waitlist.expire(code)
        raise _failure(500, "server")
    world.waitlist.outbox.append(SentEmail(email, SUBJECT, code))
    return json_response({"ok": True})


def cookie_value(code: str, expires_at: int) -> str:
    payload = f"{code}.{expires_at}"
    return f"{payload}.{hmac.new(COOKIE_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()}"


async def validate_code(call: Call) -> web.Response:
    body = await _json(call)
    raw = body.get("code") if isinstance(body, dict) else None
    code = js_trim(raw) if isinstance(raw, str) else ""
    if not code or len(code) > CODE_MAX or not CODE.fullmatch(code):
        raise _failure(400, "invalid_request")
    refused = call.world.waitlist.redeem(code, call.now)
    if refused is not None:
        raise _failure(400, refused)
    if call.world.outside.waitlist_cookie_secret == "missing":
        raise EmptyResponse(500)  # signing throws after the use was claimed
    expires_at = math.floor(call.now.timestamp()) + COOKIE_SECONDS
    response = json_response({"ok": True})
    value = uri_component(cookie_value(code, expires_at))
    # secure: NODE_ENV === "production", as the hosted server runs
    response.headers.add("Set-Cookie", lasting_cookie(call, COOKIE_NAME, value, COOKIE_SECONDS, http_only=True,
                                                       same_site="lax", secure=True))
    return response
