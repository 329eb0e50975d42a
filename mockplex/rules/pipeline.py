"""The local rules as one step, in the real server's order: Next.js's trailing-slash
redirect, the edge gate, route resolution (404/405/OPTIONS), bearer auth and scope, the
Idempotency-Key rule and the steps the route declares; then the route's mode answers.

Each rule is a plain function of the request that answers in the route's place, raises
the error the server would give, or lets the request on; running them in one coroutine
costs a call each instead of a layer each. Whatever they or the answer raise
becomes the server's answer (rules.guard); every answer carries the app-wide headers
(rules.headers).
"""

from __future__ import annotations

from typing import Callable

from aiohttp import web

from mockplex.routes import RouteSpec
from mockplex.rules.auth import authenticate, require_idempotency_key
from mockplex.rules.edge import gate_decision
from mockplex.rules.framework import route_resolver, trailing_slash
from mockplex.rules.guard import answer_for
from mockplex.rules.steps import route_steps
from mockplex.state import FLOW, Handler, Step


def local_rules(unlisted: Callable[[web.Request], RouteSpec | None]) -> Step:
    """The rules, then aiohttp's handler (the app's route: the route's mode answers) if
    they let the request on."""
    answering_rules = (trailing_slash, gate_decision, route_resolver(unlisted))
    checking_rules = (authenticate, require_idempotency_key)

    async def apply_rules(request: web.Request, handler: Handler) -> web.StreamResponse:
        request[FLOW].through_rules = True  # whatever answers now carries the app-wide headers (rules.headers)
        try:
            for rule in answering_rules:
                response = rule(request)
                if response is not None:
                    break
            else:
                for check in checking_rules:
                    check(request)
                response = await route_steps(request) if request[FLOW].route.steps else None
                if response is None:
                    response = await handler(request)
        except Exception as raised:  # answer_for re-raises what is aiohttp's own to answer
            response = answer_for(request, raised)
        return response
    return apply_rules
