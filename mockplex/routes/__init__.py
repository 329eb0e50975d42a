"""The route table: every route the mock knows, defined once, read by every layer (the
server, faults, recording, replay, the OpenAPI export, lint and the MCP tools).

`table` says what a route is; `web` lists the web app's families, `v1` the v1 REST routes
with their contract and MCP tools, `public` the MCP endpoint and OAuth discovery.
"""

from __future__ import annotations

from mockplex.handlers import unmodeled
from mockplex.names import V1_PREFIX
from mockplex.routes.public import DISCOVERY_ROUTES, MCP_ROUTES
from mockplex.routes.table import AUTH_KINDS, PathRoute, RouteSpec, RouteTable
from mockplex.routes.v1 import V1_ROUTES
from mockplex.routes.web import INTERNAL_ROUTES

__all__ = ["AUTH_KINDS", "FAMILIES", "FAMILY_BY_PREFIX", "INTERNAL_ROUTES", "ROUTES", "TABLE", "PathRoute",
           "RouteSpec", "RouteTable", "unlisted_route"]

ROUTES: tuple[RouteSpec, ...] = INTERNAL_ROUTES + V1_ROUTES + MCP_ROUTES + DISCOVERY_ROUTES
TABLE = RouteTable(ROUTES)
FAMILIES = tuple(dict.fromkeys(spec.family for spec in ROUTES))


def _family_prefix(path: str) -> str:
    """The part of a path that says whose it is: the v1 prefix, else its first two segments
    (`/api/repos/x/y` is under `/api/repos`). No two families share one."""
    return V1_PREFIX if path == V1_PREFIX or path.startswith(V1_PREFIX + "/") else "/".join(path.split("/", 3)[:3])


FAMILY_BY_PREFIX = {_family_prefix(spec.template): spec.family for spec in ROUTES}


def unlisted_route(method: str, path: str) -> RouteSpec:
    """A route the real server has and the table lacks, guarded as the server guards its
    neighbours: under the v1 prefix by v1's bearer rules, elsewhere by the web app's resolver
    (the edge gate has already applied the session and PAT allowlist, as it does on every
    path). It belongs to the family whose routes share its prefix, so that family's mode
    answers it; under no family's prefix (`/api/teams`), the default mode does."""
    prefix = _family_prefix(path)
    return RouteSpec(FAMILY_BY_PREFIX.get(prefix), f"unlisted {method} {path}", method, path,
                     unmodeled.not_in_the_table, "bearer" if prefix == V1_PREFIX else "internal")
