"""What a route is, and the table that finds the route of a request path.

A row names its family, method, path template, how callers authenticate, the scope it
checks, whether it needs an Idempotency-Key, whether it streams and its handler; a v1
row adds its published contract (the OpenAPI export reads it) and, when it has one, its
MCP tool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Awaitable, Callable
from urllib.parse import unquote

from aiohttp import web

from mockplex.contract.operations import Query
from mockplex.contract.payloads import Json
from mockplex.mcp.tool import Tool

# How a route resolves its caller: "bearer" = the v1 REST helper (PAT or OAuth bearer,
# 401/429 in the envelope); "internal" = the shared resolver of the unversioned routes
# (PAT, test headers, session; the handler decides what no caller means); "public" =
# nobody is asked.
AUTH_KINDS = ("bearer", "internal", "public")


@dataclass(frozen=True)
class RouteSpec:
    family: str | None  # None only for a route the table lacks, under no family's prefix (unlisted_route)
    name: str
    method: str
    template: str
    handler: Callable[..., Awaitable[web.StreamResponse]]
    auth: str = "bearer"
    scope: str | None = None
    idempotency: bool = False
    streaming: bool = False
    # A well-formed x-mogplex-team-id naming a team the caller is not in is the shared
    # resolver's 403 (the server's product-scope routes); elsewhere the header is ignored.
    team_scope: bool = False
    steps: tuple[Callable[[web.Request], Awaitable[web.StreamResponse | None]], ...] = ()  # rules.steps runs them
    # The published contract (v1 REST routes): what the handler takes and answers.
    summary: str = ""
    status: int = 200
    data: Json | None = None
    errors: tuple[int, ...] = (500,)
    body: Json | None = None
    query: tuple[Query, ...] = ()
    tool: Tool | None = None

    def __hash__(self) -> int:  # the contract fields hold JSON dicts; a route is known by where it lives
        return hash((self.family, self.name, self.method, self.template))

    @cached_property
    def key(self) -> str:
        """"METHOD /template", as mockplex.yaml and --ordered name a route."""
        return f"{self.method} {self.template}"


@dataclass
class PathRoute:
    """All methods one path template answers."""

    template: str
    methods: dict[str, RouteSpec] = field(default_factory=dict)

    @property
    def allow_header(self) -> str:
        methods = set(self.methods) | {"OPTIONS"}
        if "GET" in methods:
            methods.add("HEAD")
        return ", ".join(sorted(methods))


class RouteTable:
    def __init__(self, routes: tuple[RouteSpec, ...]) -> None:
        self._static: dict[str, PathRoute] = {}
        self._dynamic: list[tuple[re.Pattern[str], PathRoute]] = []
        by_template: dict[str, PathRoute] = {}
        for spec in routes:
            if spec.auth not in AUTH_KINDS:
                raise ValueError(f"route {spec.name}: unknown auth kind {spec.auth!r}")
            path_route = by_template.setdefault(spec.template, PathRoute(spec.template))
            path_route.methods[spec.method] = spec
        for template, path_route in by_template.items():
            if "{" in template:
                self._dynamic.append((_compile(template), path_route))
            else:
                self._static[template] = path_route

    def match(self, raw_path: str) -> tuple[PathRoute, dict[str, str]] | None:
        path_route = self._static.get(raw_path)
        if path_route is not None:
            return path_route, {}
        for pattern, path_route in self._dynamic:
            found = pattern.match(raw_path)
            if found:
                return path_route, {name: unquote(value) for name, value in found.groupdict().items()}
        return None

    def spec_for(self, method: str, raw_path: str) -> RouteSpec | None:
        """The route that answers exactly this method on this path, if any."""
        found = self.match(raw_path)
        return found[0].methods.get(method.upper()) if found else None


def _compile(template: str) -> re.Pattern[str]:
    """`{name}` matches one path segment; `{name*}` (a catch-all, last) matches the rest."""
    parts = re.split(r"(\{\w+\*?\})", template)
    regex = "".join(_param_pattern(part) if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{regex}$")


def _param_pattern(part: str) -> str:
    name = part[1:-1]
    return f"(?P<{name.rstrip('*')}>.+)" if name.endswith("*") else f"(?P<{name}>[^/]+)"
