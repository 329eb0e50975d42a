"""The application factory: state on the app, request processing as a short chain.

Outermost, what watches every request (the clock reading, the journal, the log line);
then the admin API and injected faults, which answer in a route's place; the forwarder
in record and passthrough modes (recording.app: loaded only by a server that forwards);
then the local rules in the real server's order, as one step (rules.pipeline); then the
route's mode answers: its handler against the world, or the cassette.

The chain is the app's one middleware (access_log.watched), each step made with the step
after it and handed aiohttp's handler, the app's catch-all route (`route_answer`), to end with.
A step that only picks who answers (admin or faults, the forwarder) hands on that
answer's awaitable instead of awaiting it: a coroutine layer costs more than most steps'
own work.
"""

from __future__ import annotations

from aiohttp import web

from mockplex import state
from mockplex.access_log import AccessLines, watched
from mockplex.admin.api import ADMIN, AdminState
from mockplex.admin.faults import FAULTS, FaultSet
from mockplex.admin.in_place import answered_in_place
from mockplex.admin.journal import JOURNAL, Journal, exchange_keeper
from mockplex.call import Call
from mockplex.connection import STAMPER, stamp_on_prepare
from mockplex.ids import IdGenerator
from mockplex.mcp.rest_hop import RestHop
from mockplex.replay.callers import REPLAY_CALLERS
from mockplex.replay.route import REPLAY_STORE, recorded_unlisted_route, replayer
from mockplex.replay.store import ReplayStore
from mockplex.rules.headers import app_wide_stamp, flow_stamper
from mockplex.rules.pipeline import local_rules
from mockplex.rules.limits import Limits
from mockplex.settings import MAX_BODY_BYTES, Settings
from mockplex.state import FLOW, Handler
from mockplex.world.loader import default_fixtures_dir, load_seed
from mockplex.world.world import World


def build_world(settings: Settings) -> World:
    seed = load_seed(settings.fixtures_dir or default_fixtures_dir())
    return World(seed, settings.clock, IdGenerator(settings.seed), settings.state_dir)


def route_answer(settings: Settings, store: ReplayStore | None) -> Handler:
    """The app's one route: the route's mode answers, replay from the cassette or the
    fixture world. The settings and the cassette are fixed while the server runs, so they
    are bound here rather than looked up on the app for each request."""
    if store is None:
        if "replay" in settings.modes_in_use():
            raise ValueError("a route replays, but the settings name no cassette (Settings.replay)")
        return answer_from_world
    answer_replayed = replayer(settings.replay, store, answer_from_world)
    mode_for = settings.mode_for

    async def answer(request: web.Request) -> web.StreamResponse:
        if mode_for(request[FLOW].route) == "replay":
            return await answer_replayed(request)
        return await answer_from_world(request)
    return answer


async def answer_from_world(request: web.Request) -> web.StreamResponse:
    flow = request[FLOW]
    flow.source = "fixture"
    call = Call(request, request.app[state.WORLD], flow.identity, flow.route_match.params, flow.now)
    return await flow.route.handler(call)


def build_app(settings: Settings, world: World | None = None, defer_index: bool = False) -> web.Application:
    """The app for `settings`; with `defer_index`, a cassette read cold leaves its index to
    be written later (REPLAY_STORE's unwritten_index), as `mockplex serve` does once up."""
    forwarding = settings.forwarding is not None and settings.modes_in_use() & {"record", "passthrough"}
    if forwarding:
        from mockplex.recording.app import attach_passthrough, forwarder
    access_lines = AccessLines()
    journal, faults = Journal(), FaultSet()
    stamp_of = app_wide_stamp(settings.source_header)
    local = local_rules(lambda request: recorded_unlisted_route(request, request.headers))
    in_place = answered_in_place(settings, faults, forwarder(settings, local) if forwarding else local)
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[
        watched(in_place, settings.clock, exchange_keeper(journal, stamp_of), access_lines)])
    app[state.SETTINGS] = settings
    app[state.WORLD] = world or build_world(settings)
    app[ADMIN] = AdminState(initial=app[state.WORLD].snapshot())
    app[JOURNAL] = journal
    app[FAULTS] = faults
    for rule in settings.faults:
        faults.add(dict(rule))
    app[state.LIMITS] = Limits(enabled=settings.rate_limits)
    store = settings.replay.open(defer_index) if settings.replay is not None else None
    if store is not None:
        app[REPLAY_STORE] = store
        app[REPLAY_CALLERS] = store.callers
    if forwarding:
        attach_passthrough(app, settings.forwarding)
    app[state.REST_HOP] = RestHop()
    app.on_cleanup.append(app[state.REST_HOP].close)
    app.on_cleanup.append(access_lines.close)
    app[STAMPER] = flow_stamper(stamp_of)
    app.on_response_prepare.append(stamp_on_prepare)
    app.router.add_route("*", "/{tail:.*}", route_answer(settings, store))
    return app
