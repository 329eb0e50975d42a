"""Routes the real server has and the world does not model yet."""

from __future__ import annotations

from aiohttp import web

from mockplex.state import FLOW
from mockplex.call import Call
from mockplex.responses import json_response, not_found_page


async def not_modeled(call: Call) -> web.Response:
    """The internal surface's not-found, flagged so users know to record the real answer."""
    call.request[FLOW].source = "unmodeled"
    return json_response({"error": "Not found"}, 404)


async def not_in_the_table(call: Call) -> web.Response:
    """A route the table lacks has nothing in the world to answer it: the framework's 404 page."""
    call.request[FLOW].source = "rules"
    return not_found_page()
