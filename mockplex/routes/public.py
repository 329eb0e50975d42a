"""The v1 routes that ask nobody who is calling: the MCP endpoint (which resolves its caller
itself, after the origin check and the JSON parse) and the OAuth discovery documents."""

from __future__ import annotations

from typing import Callable

from aiohttp import web

from mockplex.handlers import discovery
from mockplex.mcp.gate import mcp_gate
from mockplex.names import MCP_PATH
from mockplex.routes.table import RouteSpec


def _mcp_endpoint(handler_name: str) -> Callable:
    """The endpoint's handler, looked up when called: the MCP protocol lists its tools from
    this table, so the table cannot import it while it is being built."""
    async def handle(call) -> web.StreamResponse:
        from mockplex.mcp import protocol

        return await getattr(protocol, handler_name)(call)
    return handle


MCP_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("v1", "mcp.post", "POST", MCP_PATH, _mcp_endpoint("handle_post"), auth="public", steps=(mcp_gate,)),
    RouteSpec("v1", "mcp.options", "OPTIONS", MCP_PATH, _mcp_endpoint("handle_options"), auth="public"),
    RouteSpec("v1", "mcp.get", "GET", MCP_PATH, _mcp_endpoint("handle_get"), auth="public"),
)

DISCOVERY_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("discovery", "oauth.protected_resource", "GET",
              "/.well-known/oauth-protected-resource", discovery.protected_resource, auth="public"),
    RouteSpec("discovery", "oauth.protected_resource.mcp", "GET",
              "/.well-known/oauth-protected-resource" + MCP_PATH, discovery.protected_resource, auth="public"),
    RouteSpec("discovery", "oauth.authorization_server", "GET",
              "/.well-known/oauth-authorization-server", discovery.authorization_server, auth="public"),
)
