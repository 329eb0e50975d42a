"""What Next.js does around the app's handlers: trailing-slash redirects, 404 pages,
405s for methods a route does not export, automatic OPTIONS and HEAD."""

from __future__ import annotations

from typing import Callable

from aiohttp import web

from mockplex.responses import empty, not_found_page
from mockplex.routes import RouteSpec
from mockplex.rules.route_match import route_match
from mockplex.state import FLOW


def trailing_slash(request: web.Request) -> web.Response | None:
    path = request.rel_url.raw_path
    if path != "/" and path.endswith("/"):
        target = (path.rstrip("/") or "/") + (f"?{request.rel_url.raw_query_string}"
                                              if request.rel_url.raw_query_string else "")
        return web.Response(status=308, text=target, headers={"Location": target, "Refresh": f"0;url={target}"})
    return None


def route_resolver(unlisted: Callable[[web.Request], RouteSpec | None]):
    """Next.js's routing over the table; `unlisted` may name a route the table lacks that
    something else answers (a recording), else a path the table lacks is the 404 page."""
    def resolve_route(request: web.Request) -> web.Response | None:
        found = route_match(request)
        spec = found.spec
        if spec is None and request.method == "OPTIONS" and found.path_route:
            return empty(204, {"Allow": found.path_route.allow_header})
        spec = spec or unlisted(request)
        if spec is None:
            return empty(405) if found.path_route else not_found_page()
        request[FLOW].route = spec  # its params are the match's (a route a recording names has none)
        return None
    return resolve_route
