"""The route a request is for, looked up once and kept on the request.

Faults, the forwarder, the edge gate and the resolver all need it; each asks
`route_match(request)`, and only the first asker pays for the table lookup.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from mockplex.routes import TABLE, PathRoute, RouteSpec


@dataclass(frozen=True)
class RouteMatch:
    path_route: PathRoute | None  # every method the path's template answers; None: no template
    params: dict[str, str]
    spec: RouteSpec | None  # the route for this method: HEAD is answered as GET is (Next.js)


MATCH = web.RequestKey("route_match", RouteMatch)
NO_ROUTE = RouteMatch(None, {}, None)


def match_route(method: str, raw_path: str) -> RouteMatch:
    found = TABLE.match(raw_path)
    if found is None:
        return NO_ROUTE
    path_route, params = found
    spec = path_route.methods.get(method)
    if spec is None and method == "HEAD":
        spec = path_route.methods.get("GET")
    return RouteMatch(path_route, params, spec)


def route_match(request: web.Request) -> RouteMatch:
    found = request.get(MATCH)
    if found is None:
        found = request[MATCH] = match_route(request.method, request.rel_url.raw_path)
    return found
