"""The route a request is for, looked up once and kept on its Flow.

Faults, the forwarder, the edge gate and the resolver all need it; each asks
`route_match(request)`, and only the first asker pays for the table lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from aiohttp import web

from mockplex.memo import cached_for_short_texts
from mockplex.state import FLOW
from mockplex.routes import TABLE, PathRoute, RouteSpec


@dataclass(frozen=True)
class RouteMatch:
    path_route: PathRoute | None  # every method the path's template answers; None: no template
    params: Mapping[str, str]  # read-only: one match serves every request for the same path
    spec: RouteSpec | None  # the route for this method: HEAD is answered as GET is (Next.js)


NO_ROUTE = RouteMatch(None, MappingProxyType({}), None)


def match_route(method: str, raw_path: str) -> RouteMatch:
    return _matched(f"{method} {raw_path}")


@cached_for_short_texts(4096)  # a path with an id tries the table's patterns one by one; it comes back often
def _matched(method_and_path: str) -> RouteMatch:
    method, _, raw_path = method_and_path.partition(" ")  # a method is a token: it holds no space
    found = TABLE.match(raw_path)
    if found is None:
        return NO_ROUTE
    path_route, params = found
    spec = path_route.methods.get(method)
    if spec is None and method == "HEAD":
        spec = path_route.methods.get("GET")
    return RouteMatch(path_route, MappingProxyType(params), spec)


def route_match(request: web.Request) -> RouteMatch:
    flow = request[FLOW]
    found = flow.route_match
    if found is None:
        found = flow.route_match = match_route(request.method, request.rel_url.raw_path)
    return found
