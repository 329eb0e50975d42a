"""What answers in a route's place, ahead of the local rules: the admin API under its
prefix, and the faults a test injected into the routes. One step for both: most
requests are neither, and pass it on two checks."""

from __future__ import annotations

from typing import Awaitable

from aiohttp import web

from mockplex.admin.api import admin_operations
from mockplex.admin.faults import FaultSet, fault_injector
from mockplex.names import ADMIN_PREFIX
from mockplex.settings import Settings
from mockplex.state import Handler, Step


def answered_in_place(settings: Settings, faults: FaultSet, then: Step) -> Step:
    """The step before `then`. It hands on the awaitable of whichever answers, awaiting
    nothing itself: a coroutine less a request than a layer of its own."""
    answer_admin = admin_operations(settings)
    inject = fault_injector(faults)

    def in_place(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        if request.path.startswith(ADMIN_PREFIX):  # never faulted: a test must reach it to clear them
            return answer_admin(request)
        if faults.rules:
            return inject(request, lambda faulted: then(faulted, handler))
        return then(request, handler)
    return in_place
