"""How a tool reaches the REST API: a real HTTP request to this same server, with the
caller's own Authorization header, exactly as the hosted MCP route does. Scopes, rate
limits and idempotency therefore apply to tools with no extra code."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiohttp import web

from mockplex import jsonio
from mockplex.connection import in_task
from mockplex.mcp.tool import RestRequest


class RestHop:
    """Holds the one client session the tools share; opened on first use."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def close(self, app: web.Application | None = None) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, request: web.Request, rest: RestRequest) -> tuple[int, Any]:
        """(status, parsed JSON body or jsonio.NOT_JSON)."""
        await in_task()
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        headers = {"Authorization": request.headers.get("Authorization", "")}
        if rest.idempotency_key is not None:
            headers["Idempotency-Key"] = rest.idempotency_key
        data = None
        if rest.body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(rest.body, separators=(",", ":"), ensure_ascii=False).encode()
        query = {key: str(value) for key, value in rest.query.items()}
        async with self._session.request(rest.method, _self_url(request) + rest.path, params=query,
                                         data=data, headers=headers, allow_redirects=False) as response:
            return response.status, jsonio.parse_body(await response.read())


def _self_url(request: web.Request) -> str:
    transport = request.transport
    if transport is None:
        raise ConnectionError("the client connection closed before the tool could run")
    host, port = transport.get_extra_info("sockname")[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
