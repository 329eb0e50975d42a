"""Keys for what lives on the application and on each request."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web

from mockplex.mcp.rest_hop import RestHop
from mockplex.rules.limits import Limits
from mockplex.settings import Settings
from mockplex.world.tokens import Identity
from mockplex.world.world import World

if TYPE_CHECKING:  # the route table imports the rules, which import these keys
    from mockplex.routes import RouteSpec  # noqa: F401 (named in ROUTE's type below)

WORLD = web.AppKey("world", World)
LIMITS = web.AppKey("limits", Limits)
SETTINGS = web.AppKey("settings", Settings)
REST_HOP = web.AppKey("rest_hop", RestHop)

ROUTE = web.RequestKey["RouteSpec"]("route")
PARAMS = web.RequestKey("params", dict)
NOW = web.RequestKey("now", datetime)
IDENTITY = web.RequestKey("identity", Identity)
SOURCE = web.RequestKey("source", str)
MATCH = web.RequestKey("match", str)  # replay: "hit", "miss" or "fallback"
IDEMPOTENCY_KEY = web.RequestKey("idempotency_key", str)
