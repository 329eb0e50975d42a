"""What testing a connection finds: the world's `connection_probe` stands in for the
remote server (an MCP tool listing or a REST HEAD request)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mockplex.jsvalues import js_iso
from mockplex.world.connections import Connection

TOOL_COUNT = 12
# The HTTP status each probe outcome reaches, and the error a refused MCP handshake raises.
HTTP_STATUS = {"healthy": 200, "auth_failed": 401, "error": 500}
MCP_ERRORS = {"auth_failed": "MCP HTTP Transport Error: POSTing to endpoint (HTTP 401): Unauthorized",
              "error": "MCP HTTP Transport Error: POSTing to endpoint (HTTP 500): Internal Server Error"}
UNREACHABLE = "fetch failed"


def failure(status: str, error: str, now: datetime, http_status: int | None = None) -> dict[str, Any]:
    result = {"healthy": False, "status": status, "summary": error, "error": error}
    return {**result, **({"httpStatus": http_status} if http_status is not None else {}), "testedAt": js_iso(now)}


def probe(connection: Connection, outcome: str, now: datetime) -> dict[str, Any]:
    row = connection.row
    if row["auth_type"] == "oauth" and not row["oauth_authorized_at"]:
        return failure("auth_failed", "OAuth authorization required — connect this preset first", now)
    if connection.misconfigured():
        return failure("misconfigured", "Connection configuration is incomplete", now)
    if outcome == "unreachable":
        return failure("unreachable", UNREACHABLE, now)
    if row["type"] == "rest_api":
        status = HTTP_STATUS[outcome]
        if outcome == "healthy":
            return {"healthy": True, "status": "healthy", "summary": f"HTTP {status}", "httpStatus": status,
                    "testedAt": js_iso(now)}
        return failure(outcome, f"HTTP {status}", now, status)
    if outcome == "healthy":
        return {"healthy": True, "status": "healthy", "summary": f"{TOOL_COUNT} tools detected",
                "toolCount": TOOL_COUNT, "testedAt": js_iso(now)}
    return failure(outcome, MCP_ERRORS[outcome], now)
