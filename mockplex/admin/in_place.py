"""What answers in a route's place, ahead of the local rules: the admin API under its
prefix, and the faults a test injected into the routes. One layer for both: most
requests are neither, and pass it on two checks."""

from __future__ import annotations

from aiohttp import web

from mockplex.admin.api import admin_operations
from mockplex.admin.faults import FaultSet, fault_injector
from mockplex.names import ADMIN_PREFIX
from mockplex.settings import Settings


def answered_in_place(settings: Settings, faults: FaultSet):
    answer_admin = admin_operations(settings)
    inject = fault_injector(faults)

    @web.middleware
    async def in_place(request: web.Request, handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):  # never faulted: a test must reach it to clear them
            return await answer_admin(request)
        if faults.rules:
            return await inject(request, handler)
        return await handler(request)
    return in_place
