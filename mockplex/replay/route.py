"""The replay mode of a family: the local rules have already run (auth, scopes, limits,
Idempotency-Key); the recorded answer is found and served, or the miss is explained."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

from aiohttp import web

from mockplex import state
from mockplex.memo import cached_for_short_texts
from mockplex.names import MCP_PATH
from mockplex.replay.answer import replay_response
from mockplex.replay.callers import recordings_for
from mockplex.replay.miss import ReplayMiss
from mockplex.replay.store import Matching, ReplayStore, load_store, parse_body
from mockplex.responses import family_error
from mockplex.routes import TABLE, RouteSpec, unlisted_route
from mockplex.state import Handler

REPLAY_STORE = web.AppKey("replay_store", ReplayStore)
TIMINGS_HELP = "recorded (as recorded), none (as fast as possible) or a speed factor such as 4"


@dataclass
class ReplaySettings:
    cassette: Path
    name: str
    on_exhausted: str = "repeat"
    timing: str = "recorded"
    fallback: str = "error"  # or "fixture": answer a miss from the world
    matching: Matching = Matching()
    # token -> the caller it stands for (`credential:N`): real credentials, so no repr shows them
    credentials: dict[str, str] = field(default_factory=dict, repr=False)

    def open(self, defer_index: bool = False) -> ReplayStore:
        return load_store(self.cassette, self.name, self.matching, self.on_exhausted, _uses_idempotency_key,
                          _template_of, self.credentials, defer_index)


def _uses_idempotency_key(method: str, path: str) -> bool:
    spec = TABLE.spec_for(method, path)
    return bool(spec and spec.idempotency)


def _template_of(path: str) -> str | None:
    found = TABLE.match(path)
    return found[0].template if found else None


def recorded_unlisted_route(request: web.Request, headers) -> RouteSpec | None:
    """A route the table lacks that the cassette recorded (this method and path, for the
    caller `headers` name), when its mode is replay: a recording is the authority for what
    it holds. Asked only of requests the table has no route for."""
    store = request.app.get(REPLAY_STORE)
    method, path = request.method, request.rel_url.raw_path
    if store is None or not store.holds(method, path, store.callers.recordings_of(headers)):
        return None
    spec = unlisted_route(method, path)
    return spec if request.app[state.SETTINGS].mode_for(spec) == "replay" else None


@cached_for_short_texts(1024)
def query_pairs(raw_query: str) -> tuple[tuple[str, str], ...]:
    return tuple(parse_qsl(raw_query, keep_blank_values=True))


def replayer(settings: ReplaySettings, store: ReplayStore, fixture: Handler) -> Handler:
    """What answers a request from `store`'s recordings: a hit, a miss explained, or with
    `--fallback fixture` the world (`fixture`)."""
    async def replay(request: web.Request) -> web.StreamResponse:
        flow = request[state.FLOW]
        spec = flow.route
        raw_body = await request.read() if request.body_exists else b""
        caller_body = parse_body(raw_body) if raw_body else None
        query = query_pairs(request.rel_url.raw_query_string)
        key = flow.idempotency_key  # the rules read it, on the routes that need one
        path = request.rel_url.raw_path
        caller = _recordings_for(request, flow, store)
        recorded = store.match(request.method, path, query, caller_body, key, caller, spec.template)
        if recorded is None:
            flow.replay_miss = ReplayMiss(store, request.method, path, query, raw_body, key, caller, spec.template)
            if settings.fallback == "fixture":
                flow.match = "fallback"
                return await fixture(request)
        flow.source = "replay"
        if recorded is None:
            flow.match = "miss"
            return not_recorded(store, request.method, path, query, caller_body, key, caller, spec.template)
        flow.match = "hit"
        return await replay_response(request, recorded, caller_body, settings.timing)
    return replay


def not_recorded(store: ReplayStore, method: str, path: str, query, body, key: str | None,
                 caller: str | None, template: str) -> web.Response:
    """The family's not-found shape, saying whether the request was never recorded (then
    what came closest, and the knob with which it would have matched) or was recorded and
    has had every recorded answer."""
    used = store.used_up(method, path, query, body, key, caller, template)
    if used:
        advice = "--on-exhausted repeat would repeat the last one"
        said = f"was recorded in cassette '{store.name}' and its {used} recorded answer(s) were all used; {advice}"
        header = f"exhausted: cassette {store.name}; {used} recorded answer(s), all used; {advice}"
    else:
        hint = _closest_hint(store, method, path, query, body, key, caller)
        said = f"was not recorded in cassette '{store.name}'{hint}"
        header = f"not-recorded: cassette {store.name}{hint}"
    message = f"mockplex: {method} {path} {said}"
    headers = {"X-Mockplex-Error": _header_safe(header)}
    rpc_id = body.get("id") if isinstance(body, dict) else None
    return family_error(path, 404, "NOT_RECORDED" if path == MCP_PATH else "NOT_FOUND", message, headers, rpc_id)


def _closest_hint(store: ReplayStore, method: str, path: str, query, body, key: str | None,
                  caller: str | None) -> str:
    closest = store.closest(method, path, query, body, key, caller)
    if not closest:
        return "; the cassette is empty"
    recorded, difference, flags = closest
    return (f"; closest recorded request: {recorded.method} {recorded.path} (differs in {difference})"
            + (f"; would match with {flags}" if flags else ""))


def _header_safe(text: str) -> str:
    """Printable ASCII only: a recorded or requested name can hold a newline, which no
    header may carry (aiohttp would drop the connection rather than send it)."""
    return "".join(character if " " <= character <= "~" else character.encode("unicode_escape").decode("ascii")
                   for character in text)


def _recordings_for(request: web.Request, flow: state.Flow, store: ReplayStore) -> str | None:
    """Whose recordings may answer: as the cassette's callers say of the request's
    credential, which the auth layer has looked up already on most routes."""
    found = flow.caller_lookup
    if found is None:  # the route's rules resolve no caller (a public route; a delegated sandbox call)
        found = store.callers.lookup(request.headers)
    return recordings_for(found, flow.identity is not None or _world_accepts(request, flow))


def _world_accepts(request: web.Request, flow: state.Flow) -> bool:
    """Whether the world knows the credential of a caller the rules did not resolve (a
    public route, an internal one they found no caller for): its token and session stores
    are asked directly, with no limit spent."""
    world, now = request.app[state.WORLD], flow.now
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme == "Bearer" and token:
        known = world.tokens.lookup_pat(token, now) or world.tokens.resolve_oauth(token, now)  # no last-use
        return known is not None
    return world.sessions.resolve(request.cookies, now) is not None
