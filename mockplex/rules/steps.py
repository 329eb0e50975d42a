"""The rules a route declares beyond auth, scope and Idempotency-Key, run before its
answer is chosen: so a replayed or a fixture-served request passes the same ones.

A step reads the request and either lets it on (None) or answers in its place.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from aiohttp import web

from mockplex import jsonio, state

Step = Callable[[web.Request], Awaitable[web.StreamResponse | None]]


async def route_steps(request: web.Request) -> web.StreamResponse | None:
    """The route's declared steps in order: the first answer wins; None lets it on."""
    for step in request[state.FLOW].route.steps:
        answered = await step(request)
        if answered is not None:
            return answered
    return None


async def run_start_budget(request: web.Request) -> None:
    """The non-refundable run-start claim, made before the repo is even looked up. A body
    that is not JSON, or is JSON null, fails in the handler before the claim is reached."""
    body = jsonio.parse_body(await request.read())
    if body is jsonio.NOT_JSON or body is None:
        return None
    raw_repo = body.get("repoId") if isinstance(body, dict) else None
    flow = request[state.FLOW]
    request.app[state.LIMITS].claim_run_start(flow.identity, raw_repo.strip() if isinstance(raw_repo, str) else None,
                                              flow.now)
    return None
