"""The application factory: state on the app, request processing as a short chain.

Outermost, what watches every request (the clock reading, the journal, the log line);
then the admin API and injected faults, which answer in a route's place; the forwarder
in record and passthrough modes; then the local rules in the real server's order, as one
layer (rules.pipeline); then the route's mode answers: its handler against the world,
or the cassette.
"""

from __future__ import annotations

from aiohttp import web
from vcr.record_mode import RecordMode

from mockplex import state
from mockplex.access_log import AccessLines, request_context
from mockplex.admin.api import ADMIN, AdminState, admin_middleware
from mockplex.admin.faults import FAULTS, FaultSet, fault_middleware
from mockplex.admin.journal import JOURNAL, Journal, exchange_keeper
from mockplex.call import Call
from mockplex.ids import IdGenerator
from mockplex.mcp.rest_hop import RestHop
from mockplex.recording.app import attach_forwarding
from mockplex.recording.proxy import RECORDER, forward
from mockplex.recording.recorder import Recorder
from mockplex.replay.callers import REPLAY_CALLERS
from mockplex.replay.route import REPLAY_STORE, recorded_unlisted_route, replay
from mockplex.routes import unlisted_route
from mockplex.rules.headers import SOURCE_HEADER
from mockplex.rules.pipeline import rules_middleware
from mockplex.rules.limits import Limits
from mockplex.rules.route_match import route_match
from mockplex.settings import MAX_BODY_BYTES, Settings
from mockplex.state import FLOW
from mockplex.world.loader import default_fixtures_dir, load_seed
from mockplex.world.world import World


def build_world(settings: Settings) -> World:
    seed = load_seed(settings.fixtures_dir or default_fixtures_dir())
    return World(seed, settings.clock, IdGenerator(settings.seed), settings.state_dir)


async def answer(request: web.Request) -> web.StreamResponse:
    """The route's mode answers: replay from the cassette, or the fixture world."""
    spec = request[FLOW].route
    if request.app[state.SETTINGS].mode_for(spec) == "replay":
        return await replay(request, spec, answer_from_world)
    return await answer_from_world(request)


async def answer_from_world(request: web.Request) -> web.StreamResponse:
    flow = request[FLOW]
    flow.source = "fixture"
    call = Call(request, request.app[state.WORLD], flow.identity, flow.params, flow.now)
    return await flow.route.handler(call)


PASSTHROUGH = web.AppKey("passthrough_recorder", Recorder)


def forwarder(settings: Settings):
    """Routes in record or passthrough mode go upstream before any local rule: the real
    server applies its own, and knows routes the table lacks."""
    @web.middleware
    async def forward_upstream(request: web.Request, handler) -> web.StreamResponse:
        spec = route_match(request).spec or unlisted_route(request.method, request.rel_url.raw_path)
        mode = settings.mode_for(spec)
        if mode in ("record", "passthrough"):
            request[FLOW].source = mode
            added = {SOURCE_HEADER: mode} if settings.source_header else {}
            return await forward(request, request.app[PASSTHROUGH] if mode == "passthrough" else None, added)
        return await handler(request)
    return forward_upstream


def build_app(settings: Settings, world: World | None = None) -> web.Application:
    forwarding = settings.forwarding is not None and settings.modes_in_use() & {"record", "passthrough"}
    access_lines = AccessLines()
    journal = Journal()
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        middlewares=[
            request_context(settings.clock, exchange_keeper(journal), access_lines),
            admin_middleware(settings),
            fault_middleware(),
            *([forwarder(settings)] if forwarding else []),
            rules_middleware(settings.source_header, lambda request: recorded_unlisted_route(request, request.headers)),
        ],
    )
    app[state.SETTINGS] = settings
    app[state.WORLD] = world or build_world(settings)
    app[ADMIN] = AdminState(initial=app[state.WORLD].snapshot())
    app[JOURNAL] = journal
    app[FAULTS] = FaultSet()
    for rule in settings.faults:
        app[FAULTS].add(dict(rule))
    app[state.LIMITS] = Limits(enabled=settings.rate_limits)
    if settings.replay is not None:
        app[REPLAY_STORE] = settings.replay.open()
        app[REPLAY_CALLERS] = app[REPLAY_STORE].callers
    if forwarding:
        attach_forwarding(app, settings.forwarding)
        recorder = app[RECORDER]
        app[PASSTHROUGH] = Recorder(recorder.cassette, recorder.redactor, RecordMode.NONE.value, False)
    app[state.REST_HOP] = RestHop()
    app.on_cleanup.append(app[state.REST_HOP].close)
    app.on_cleanup.append(access_lines.close)
    app.router.add_route("*", "/{tail:.*}", answer)
    return app
