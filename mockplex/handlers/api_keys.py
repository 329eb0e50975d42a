"""A user's personal access tokens: /api/settings/api-keys (list, mint, revoke)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.web_bodies import guarded_fields
from mockplex.ids import pg_uuid
from mockplex.jsvalues import JS_EPOCH, js_iso
from mockplex.names import SCOPES
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response
from mockplex.validation import JS_WHITESPACE, js_length
from mockplex.world.tokens import new_pat

JS_MAX_MS = 8_640_000_000_000_000  # the last instant a JavaScript Date can hold
_DAY_MS = 86_400_000
_GREGORIAN_CYCLE_DAYS = 146_097  # the calendar repeats every 400 years


def _js_iso_ms(epoch_ms: int) -> str:
    """toISOString for any positive Date value, years past 9999 in the six-digit form."""
    days, rest_ms = divmod(epoch_ms, _DAY_MS)
    cycles, days = divmod(days, _GREGORIAN_CYCLE_DAYS)
    moment = JS_EPOCH + timedelta(days=days, milliseconds=rest_ms)
    year = moment.year + 400 * cycles
    text = js_iso(moment)[4:]
    return (f"{year:04d}" if year <= 9999 else f"+{year:06d}") + text


async def list_api_keys(call: Call) -> web.Response:
    user_id = call.require_user()
    keys = sorted((pat for pat in call.world.tokens.pats() if pat.user_id == user_id and pat.revoked_at is None),
                  key=lambda pat: pat.created_at, reverse=True)
    return json_response({"keys": [{
        "id": pat.id, "name": pat.name, "prefix": pat.prefix, "scopes": list(pat.scopes),
        "createdAt": format_timestamp(pat.created_at),
        "lastUsedAt": format_timestamp(pat.last_used_at) if pat.last_used_at else None,
        "expiresAt": format_timestamp(pat.expires_at) if pat.expires_at else None,
    } for pat in keys]})


def _key_scopes(scopes: Any) -> tuple[str, ...]:
    if scopes is None:
        return SCOPES
    if not isinstance(scopes, list):
        raise flat_error(400, "scopes must be an array of strings")
    if not scopes:
        raise flat_error(400, "scopes must include at least one entry")
    if any(not isinstance(scope, str) or scope not in SCOPES for scope in scopes):
        raise flat_error(400, f"Invalid scope value. Allowed: {', '.join(SCOPES)}.")
    return tuple(dict.fromkeys(scopes))


def _key_expiry(now: datetime, days: Any) -> tuple[str | None, datetime | None]:
    """expiresInDays the way Date.setDate takes it: whole days only (0.5 expires now), and a
    date past what a Date can hold throws (the framework's empty 500)."""
    if not isinstance(days, (int, float)) or isinstance(days, bool) or not days > 0:
        return None, None
    now_ms = (now - JS_EPOCH) // timedelta(milliseconds=1)
    expiry_ms = now_ms + math.trunc(days) * _DAY_MS
    if expiry_ms > JS_MAX_MS:
        raise EmptyResponse(500)
    try:
        stored = JS_EPOCH + timedelta(milliseconds=expiry_ms)
    except OverflowError:
        stored = datetime.max.replace(tzinfo=timezone.utc)
    return _js_iso_ms(expiry_ms), stored


async def create_api_key(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await guarded_fields(call)
    name = body["name"].strip(JS_WHITESPACE) if isinstance(body.get("name"), str) else ""
    if not 1 <= js_length(name) <= 100:
        raise flat_error(400, "Name is required (1-100 characters)")
    scopes = _key_scopes(body.get("scopes"))
    expires_at, stored_expiry = _key_expiry(call.now, body.get("expiresInDays"))
    token, pat = new_pat(user_id=user_id, key_id=call.world.ids.uuid(), name=name, scopes=scopes,
                         created_at=call.now, expires_in_days=None, length=32)
    pat.expires_at = stored_expiry
    call.world.tokens.add(pat)
    return json_response({"id": pat.id, "token": token, "prefix": pat.prefix, "scopes": list(scopes),
                          "expiresAt": expires_at})


def _uuid_syntax_error(text: str) -> JsonError:
    """What the route passes on when Postgres cannot read an id as a uuid (22P02)."""
    return flat_error(500, f'invalid input syntax for type uuid: "{text}"')


async def revoke_api_key(call: Call) -> web.Response:
    """The update asks for no row count, so the route's 404 never fires: any well-formed id
    answers ok, whether it named a live key of the caller's or not."""
    user_id = call.require_user()
    key_id = pg_uuid(call.params["id"])
    if key_id is None:
        raise _uuid_syntax_error(call.params["id"])
    for pat in call.world.tokens.pats():
        if pat.id == key_id and pat.user_id == user_id and pat.revoked_at is None:
            pat.revoked_at = call.now
    return json_response({"ok": True})
