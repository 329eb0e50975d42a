"""Keys for what lives on the application and on each request."""

from __future__ import annotations

from aiohttp import web

from mockplex.mcp.rest_hop import RestHop
from mockplex.rules.limits import Limits
from mockplex.settings import Settings
from mockplex.world.world import World

WORLD = web.AppKey("world", World)
LIMITS = web.AppKey("limits", Limits)
SETTINGS = web.AppKey("settings", Settings)
REST_HOP = web.AppKey("rest_hop", RestHop)

# Request-scoped values (plain string keys: aiohttp's typed request keys are recent).
ROUTE = "mockplex.route"
PARAMS = "mockplex.params"
NOW = "mockplex.now"
IDENTITY = "mockplex.identity"
SOURCE = "mockplex.source"
MATCH = "mockplex.match"  # replay: "hit", "miss" or "fallback"
IDEMPOTENCY_KEY = "idempotency_key"
