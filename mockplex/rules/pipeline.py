"""The local rules as one step, in the real server's order: Next.js's trailing-slash
redirect, the edge gate, route resolution (404/405/OPTIONS), bearer auth and scope, the
Idempotency-Key rule and the steps the route declares; then the route's mode answers.

Each rule is a plain function of the request that answers in the route's place, raises
the error the server would give, or lets the request on; running them in one coroutine
costs a call each instead of a layer each. Whatever they or the answer raise
becomes the server's answer (rules.guard); every answer carries the app-wide headers
(rules.headers).

The answering rules read only the request's method, target and headers, the route table,
the settings and the cassette, all fixed while the server runs, except where the gate lets
a request through on a session, which can end. So a request head they let through other
than on a session gets the same verdict next time: it is kept, with the route it
resolved, and the same head is let on at once. Auth, scopes, limits, the Idempotency-Key
rule and the route's steps run on every request.
"""

from __future__ import annotations

from typing import Callable

from aiohttp import web

from mockplex.routes import RouteSpec
from mockplex.rules.auth import authenticate, require_idempotency_key
from mockplex.rules.edge import gate_decision
from mockplex.rules.framework import route_resolver, trailing_slash
from mockplex.rules.guard import answer_for
from mockplex.rules.route_match import RouteMatch
from mockplex.rules.steps import route_steps
from mockplex.state import FLOW, Handler, Step

MAX_KEPT_HEADS = 512  # request heads let through that are kept (each at most 16 KiB: the listener's bound)


def local_rules(unlisted: Callable[[web.Request], RouteSpec | None]) -> Step:
    """The rules, then aiohttp's handler (the app's route: the route's mode answers) if
    they let the request on."""
    answering_rules = (trailing_slash, gate_decision, route_resolver(unlisted))
    checking_rules = (authenticate, require_idempotency_key)
    # (method, target, header lines) -> the route the answering rules resolved for it
    let_through: dict[tuple, tuple[RouteMatch, RouteSpec]] = {}

    async def apply_rules(request: web.Request, handler: Handler) -> web.StreamResponse:
        flow = request[FLOW]
        flow.through_rules = True  # whatever answers now carries the app-wide headers (rules.headers)
        head = (request.method, request.raw_path, request.raw_headers)
        try:
            response, kept = None, let_through.get(head)
            if kept is not None:
                flow.route_match, flow.route = kept
            else:
                for rule in answering_rules:
                    response = rule(request)
                    if response is not None:
                        break
                else:
                    if not flow.session_gated:
                        if len(let_through) >= MAX_KEPT_HEADS:
                            let_through.clear()
                        let_through[head] = (flow.route_match, flow.route)
            if response is None:
                for check in checking_rules:
                    check(request)
                response = await route_steps(request) if flow.route.steps else None
                if response is None:
                    response = await handler(request)
        except Exception as raised:  # answer_for re-raises what is aiohttp's own to answer
            response = answer_for(request, raised)
        return response
    return apply_rules
