"""What lives on the application (its keys), and what the chain learns about each request
(one Flow per request)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Awaitable, Callable

from aiohttp import web

from mockplex.mcp.rest_hop import RestHop
from mockplex.rules.limits import Limits
from mockplex.settings import Settings
from mockplex.world.tokens import Identity
from mockplex.world.world import World

if TYPE_CHECKING:  # the route table imports the rules, which import this module
    from mockplex.replay.callers import CallerLookup
    from mockplex.replay.miss import ReplayMiss
    from mockplex.routes import RouteSpec
    from mockplex.rules.route_match import RouteMatch

WORLD = web.AppKey("world", World)
LIMITS = web.AppKey("limits", Limits)
SETTINGS = web.AppKey("settings", Settings)
REST_HOP = web.AppKey("rest_hop", RestHop)
# Set by the server when a recording app could not get its socket (a busy port): it
# forwarded nothing, and its stop has nothing to report beside the server's error.
COULD_NOT_LISTEN = web.AppKey("could_not_listen", asyncio.Event)


class Flow:
    """One request's passage through the chain, in one object the layers share: made by
    the outermost step (access_log.watched), filled in by the rules and the
    answering mode, kept by the journal, written on the log line."""

    __slots__ = ("now", "route_match", "route", "identity", "caller_lookup", "idempotency_key", "source", "match",
                 "replay_miss", "through_rules", "session_gated")

    def __init__(self, now: datetime) -> None:
        self.now = now  # the world's clock when the request came in
        self.route_match: RouteMatch | None = None  # the table's match and its params (rules.route_match)
        self.route: RouteSpec | None = None  # the route that answers: the match's, or one a recording names
        self.identity: Identity | None = None  # who the rules resolved the caller to
        # replay: whose credential the request carries among the cassette's callers, as the
        # rules looked it up (replay.callers.CallerLookup); None when they did not
        self.caller_lookup: CallerLookup | None = None
        self.idempotency_key: str | None = None
        self.source = "rules"  # what answered: rules, fixture, replay, record, passthrough, fault, unmodeled
        self.match: str | None = None  # replay: "hit", "miss" or "fallback"
        self.replay_miss: ReplayMiss | None = None  # the question a replay miss could not answer
        self.through_rules = False  # taken by the rules layer: its answers carry the app-wide headers
        self.session_gated = False  # let through the edge gate on a session, which can end (rules.edge)


FLOW = web.RequestKey("flow", Flow)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# A step of the chain (app.py): what answers `request`, with `handler` (aiohttp's: the app's
# route) to end with.
Step = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]
