"""The admin API under /__mockplex/: mockplex's own controls, never forwarded, never
recorded, answered only to loopback callers (and, when set, only with the admin token), and
never to a web page (see guard.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import count
from typing import Any, Awaitable, Callable

from aiohttp import web

from mockplex import __version__, jsonio, state
from mockplex.admin.cassette_view import cassette_detail, list_cassettes
from mockplex.admin.faults import FAULTS, FaultError
from mockplex.admin.guard import is_loopback, refusal, token_matches
from mockplex.admin.inspector import is_static, static_file
from mockplex.admin.journal import JOURNAL, PatternError, RequestPattern, entries_json
from mockplex.admin.traffic import traffic_fields
from mockplex.admin.world_view import world_view
from mockplex.names import ADMIN_PREFIX
from mockplex.responses import JSON_CONTENT_TYPE, json_response, request_origin

TOKEN_HEADER = "X-Mockplex-Admin-Token"
MAX_CLOCK_ADVANCE = 1e12  # seconds: more than the 8,000 years left before datetime's year 9999


@dataclass
class AdminState:
    initial: dict[str, Any]
    started: float = field(default_factory=time.monotonic)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: count = field(default_factory=lambda: count(1))


ADMIN = web.AppKey("admin", AdminState)
Handler = Callable[[web.Request, Any], Awaitable[web.Response]]


def admin_enabled(settings) -> bool:
    """Off when bound beyond loopback without a token: nobody else may reset the world."""
    host_is_loopback = settings.host in ("localhost",) or is_loopback(settings.host)
    return host_is_loopback or bool(settings.admin_token)


async def _body(request: web.Request) -> dict[str, Any]:
    body = jsonio.parse_body(await request.read()) if request.can_read_body else {}
    if body is jsonio.NOT_JSON or not isinstance(body, dict):
        raise web.HTTPBadRequest(text='{"error":"the body must be a JSON object"}', content_type="application/json")
    return body


async def health(request: web.Request, admin: AdminState) -> web.Response:
    world = request.app[state.WORLD]
    return json_response({"ok": True, "version": __version__, "world": world.name,
                          "uptime_seconds": round(time.monotonic() - admin.started, 3)})


async def config(request: web.Request, admin: AdminState) -> web.Response:
    from mockplex.routes import FAMILIES

    settings = request.app[state.SETTINGS]
    replay = settings.replay
    return json_response({
        "seed": settings.seed, "clock": settings.clock.describe(), "rate_limits": settings.rate_limits,
        "modes": {family: settings.family_modes.get(family, settings.default_mode) for family in FAMILIES},
        "routes": settings.route_modes, "test_mode": settings.test_mode,
        "replay": {"cassette": str(replay.cassette), "on_exhausted": replay.on_exhausted, "timing": replay.timing,
                   "fallback": replay.fallback} if replay else None,
        "upstream": settings.forwarding.upstream if settings.forwarding else None,
    })


async def reset(request: web.Request, admin: AdminState) -> web.Response:
    request.app[state.WORLD].restore(admin.initial)
    request.app[state.LIMITS].reset()
    return json_response({"ok": True})


async def snapshot(request: web.Request, admin: AdminState) -> web.Response:
    snapshot_id = f"snapshot-{next(admin._ids)}"
    admin.snapshots[snapshot_id] = request.app[state.WORLD].snapshot()
    return json_response({"snapshot": snapshot_id}, 201)


async def restore(request: web.Request, admin: AdminState) -> web.Response:
    snapshot_id = (await _body(request)).get("snapshot")
    if not isinstance(snapshot_id, str) or snapshot_id not in admin.snapshots:
        return json_response({"error": f"no snapshot {snapshot_id!r}"}, 404)
    request.app[state.WORLD].restore(admin.snapshots[snapshot_id])
    return json_response({"ok": True})


def _json_bytes_response(body: bytes) -> web.Response:
    return web.Response(body=body, headers={"Content-Type": JSON_CONTENT_TYPE})


def _whole_number(text: str, default: int) -> int:
    return int(text) if text.isdigit() else default


async def journal(request: web.Request, admin: AdminState) -> web.Response:
    """The newest `limit` entries, or with `after=ID` those newer than ID; each with the
    fields the inspector reads (caller, source, duration, a replay miss, a curl)."""
    kept = request.app[JOURNAL]
    limit = _whole_number(request.query.get("limit", ""), 1000)
    after = request.query.get("after", "")
    entries = kept.after(_whole_number(after, 0)) if after else list(kept)
    described = traffic_fields(request.app[state.WORLD], request_origin(request))
    head = {"last_id": kept.last_id} if after else {}  # a follower's next `after=`
    return _json_bytes_response(entries_json(entries[-limit:] if limit else [], described, **head))


async def clear_journal(request: web.Request, admin: AdminState) -> web.Response:
    request.app[JOURNAL].clear()
    return json_response({"ok": True})


async def verify(request: web.Request, admin: AdminState) -> web.Response:
    try:
        pattern = RequestPattern(await _body(request))
    except PatternError as error:
        return json_response({"error": str(error)}, 400)
    found = [entry for entry in request.app[JOURNAL] if pattern.matches(entry)]
    return _json_bytes_response(entries_json(found, count=len(found)))


async def list_faults(request: web.Request, admin: AdminState) -> web.Response:
    return json_response({"faults": [rule.view() for rule in request.app[FAULTS].rules]})


async def add_fault(request: web.Request, admin: AdminState) -> web.Response:
    try:
        rule = request.app[FAULTS].add(await _body(request))
    except FaultError as error:
        return json_response({"error": str(error)}, 400)
    return json_response({"fault": rule.view()}, 201)


async def clear_faults(request: web.Request, admin: AdminState) -> web.Response:
    request.app[FAULTS].rules.clear()
    return json_response({"ok": True})


async def delete_fault(request: web.Request, admin: AdminState, fault_id: str) -> web.Response:
    if not request.app[FAULTS].remove(fault_id):
        return json_response({"error": f"no fault {fault_id!r}"}, 404)
    return json_response({"ok": True})


async def limits(request: web.Request, admin: AdminState) -> web.Response:
    trip_after = (await _body(request)).get("trip_after")
    if trip_after is not None and (not isinstance(trip_after, int) or isinstance(trip_after, bool) or trip_after < 0):
        return json_response({"error": "trip_after must be a whole number or null"}, 400)
    request.app[state.LIMITS].trip_after = trip_after
    return json_response({"ok": True, "trip_after": trip_after})


async def advance_clock(request: web.Request, admin: AdminState) -> web.Response:
    seconds = (await _body(request)).get("seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        return json_response({"error": "seconds must be a non-negative number"}, 400)
    clock = request.app[state.SETTINGS].clock
    if seconds > MAX_CLOCK_ADVANCE or not _advanced(clock, seconds):
        return json_response({"error": "seconds would move the clock past the year 9999"}, 400)
    return json_response({"ok": True, "now": clock.now().isoformat()})


def _advanced(clock, seconds: float) -> bool:
    """Move the clock unless that takes it where no date can follow: every later request
    reads the time."""
    clock.advance(seconds)
    try:
        clock.now()
    except OverflowError:
        clock.advance(-seconds)
        return False
    return True


ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "health"): health, ("GET", "config"): config, ("POST", "reset"): reset,
    ("POST", "snapshots"): snapshot, ("POST", "restore"): restore, ("GET", "journal"): journal,
    ("DELETE", "journal"): clear_journal, ("POST", "verify"): verify, ("GET", "faults"): list_faults,
    ("POST", "faults"): add_fault, ("DELETE", "faults"): clear_faults, ("POST", "limits"): limits,
    ("POST", "clock"): advance_clock, ("GET", "world"): world_view, ("GET", "cassettes"): list_cassettes,
}
# Operations on a named thing: "faults/ID", "cassettes/NAME[/N]".
NAMED_ROUTES = {("DELETE", "faults/"): delete_fault, ("GET", "cassettes/"): cassette_detail}


def admin_operations(settings):
    """What answers a request under ADMIN_PREFIX (in_place.answered_in_place sends them)."""
    enabled = admin_enabled(settings)
    token = settings.admin_token

    async def admin(request: web.Request) -> web.StreamResponse:
        if not enabled:
            return json_response({"error": "the admin API is off: bound beyond loopback without --admin-token"}, 404)
        if not is_loopback(request.remote) and not token:
            return json_response({"error": "the admin API answers loopback callers only"}, 403)
        refused = refusal(request, settings.host)
        if refused:
            return json_response({"error": refused}, 403)
        name = request.path[len(ADMIN_PREFIX):]
        admin_state = request.app[ADMIN]
        if is_static(request.method, name):  # the inspector's page: no data, so no token
            return await static_file(request, admin_state, name)
        if token and not token_matches(request.headers.get(TOKEN_HEADER, ""), token):
            return json_response({"error": f"missing or wrong {TOKEN_HEADER}"}, 401)
        prefix, slash, rest = name.partition("/")
        named = NAMED_ROUTES.get((request.method, prefix + slash)) if slash else None
        if named is not None:
            return await named(request, admin_state, rest)
        action = ROUTES.get((request.method, name))
        if action is None:
            return json_response({"error": f"no admin operation {request.method} {ADMIN_PREFIX}{name}"}, 404)
        return await action(request, admin_state)
    return admin
