"""The request journal: what came in, which family and mode answered, and how."""

from __future__ import annotations

import re
import time
from collections import deque
from typing import Any

from aiohttp import web

from mockplex import jsonio, state

MAX_ENTRIES = 10_000
MAX_BODY = 65_536
JOURNAL = web.AppKey("journal", deque)


def journal_middleware():
    @web.middleware
    async def keep(request: web.Request, handler) -> web.StreamResponse:
        if request.path.startswith("/__mockplex/"):
            return await handler(request)
        started = time.perf_counter()
        response = await handler(request)
        try:
            raw = await request.read()  # cached by aiohttp once the handler has read it
        except web.HTTPException:  # too large to keep
            raw = b""
        route = request.get(state.ROUTE)
        entries = request.app[JOURNAL]
        entries.append({
            "id": (entries[-1]["id"] + 1) if entries else 1, "method": request.method, "path": request.path,
            "query": request.query_string, "family": route.family if route else None,
            "route": f"{route.method} {route.template}" if route else None,
            "mode": request.get(state.SOURCE, "rules"), "match": request.get(state.MATCH),
            "status": response.status,
            "latency_ms": round((time.perf_counter() - started) * 1000, 3),
            "body": jsonio.parse_body(raw) if 0 < len(raw) <= MAX_BODY else None,
        })
        return response
    return keep


def matches(entry: dict[str, Any], pattern: dict[str, Any]) -> bool:
    """`method` exact, `path` exact or a regex (anchored), `body` a subset of the JSON body."""
    if pattern.get("method") and entry["method"] != str(pattern["method"]).upper():
        return False
    path = pattern.get("path")
    if path and entry["path"] != path and not re.fullmatch(str(path), entry["path"]):
        return False
    return "body" not in pattern or _contains(entry["body"], pattern["body"])


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(key in actual and _contains(actual[key], value)
                                                for key, value in expected.items())
    return actual == expected


def journal_view(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if value is not jsonio.NOT_JSON}
