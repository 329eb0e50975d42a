"""What a handler sees: the request, the world, who is calling, and the path params."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.state import FLOW
from mockplex.responses import EmptyResponse, flat_error
from mockplex.world.tokens import Identity
from mockplex.world.world import World


@dataclass
class Call:
    request: web.Request
    world: World
    identity: Identity | None
    params: Mapping[str, str]
    now: datetime

    @property
    def user_id(self) -> str:
        return self.identity.user_id

    def require_user(self) -> str:
        """The caller's profile id; the internal surface's flat 401 when there is none."""
        if self.identity is None:
            raise flat_error(401, "Unauthorized")
        return self.identity.user_id

    def query(self, name: str) -> str | None:
        return self.request.query.get(name)

    def trimmed_query(self, name: str) -> str | None:
        value = self.request.query.get(name)
        return value.strip() or None if value is not None else None

    async def body(self) -> Any:
        """The parsed JSON body, or jsonio.NOT_JSON."""
        return jsonio.parse_body(await self.request.read())

    async def unguarded_body(self) -> dict[str, Any]:
        """What most internal handlers do: parse without a guard, so malformed JSON is the
        framework's empty 500; anything but an object reads as no fields."""
        body = await self.body()
        if body is jsonio.NOT_JSON:
            raise EmptyResponse(500)
        return body if isinstance(body, dict) else {}

    @property
    def idempotency_key(self) -> str | None:  # None on a route that takes none
        return self.request[FLOW].idempotency_key
