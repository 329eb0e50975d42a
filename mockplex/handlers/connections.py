"""/api/connections (internal spec §2.3). Enabled MCP connections are also what v1's
/mcp/servers and the CLI export list after the custom servers."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.connection_input import Invalid, normalized_connection
from mockplex.handlers.connection_probe import probe
from mockplex.handlers.tables import js_text
from mockplex.handlers.web_bodies import caught_json
from mockplex.ids import pg_uuid
from mockplex.responses import JsonError, flat_error, json_response
from mockplex.world.connections import Connection, new_row

MAX_MCP_CONNECTIONS = 5
UNAVAILABLE = JsonError(503, {"error": "Connections are temporarily unavailable. Please try again in a minute.",
                              "code": "CONNECTIONS_UNAVAILABLE"})


async def list_connections(call: Call) -> web.Response:
    user_id = call.require_user()
    return json_response({"connections": [c.row for c in call.world.mcp_servers.connections.of(user_id)]})


def _enabled_mcp(connections: list[Connection]) -> int:
    return sum(1 for c in connections if c.row["type"] == "mcp_server" and c.row["is_enabled"])


def _mcp_count(call: Call, user_id: str, fields: dict[str, Any]) -> int:
    mine = call.world.mcp_servers.connections.of(user_id)
    if fields.get("scope") != "project":
        return _enabled_mcp(mine)
    resolved = [c for c in mine if c.row["scope"] == "global" or c.row["repo_id"] == fields["repo_id"]]
    return min(_enabled_mcp(resolved), MAX_MCP_CONNECTIONS)


async def create_connection(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await caught_json(call)
    try:
        fields = normalized_connection(body)
    except Invalid as invalid:
        raise invalid.answer from None
    world = call.world
    if fields.get("scope") == "project":
        repo_id = pg_uuid(fields["repo_id"])
        if repo_id is None or world.owned_repo(user_id, repo_id) is None:
            raise JsonError(404, {"error": "Repo not found", "code": "REPO_NOT_FOUND"})
        fields["repo_id"] = repo_id
    preset = fields.get("source_preset")
    taken = next((c for c in world.mcp_servers.connections.of(user_id) if c.row["source_preset"] == preset), None)
    if preset and taken is not None:
        raise JsonError(409, {"error": f"{taken.row['name']} is already connected from this preset",
                              "code": "PRESET_ALREADY_CONNECTED", "connection": taken.row})
    if fields["type"] == "mcp_server" and _mcp_count(call, user_id, fields) >= MAX_MCP_CONNECTIONS:
        raise flat_error(400, f"Maximum {MAX_MCP_CONNECTIONS} MCP connections allowed")
    credential = fields.pop("credentials", None)
    if credential and world.outside.connections_encryption == "missing":
        raise UNAVAILABLE
    row = new_row({"id": world.ids.uuid(), "user_id": user_id, **fields}, format_timestamp(call.now))
    connection = Connection(row, credential or None)
    world.mcp_servers.connections.add(connection)
    return json_response({"connection": row}, 201)


async def _owned_target(call: Call) -> tuple[Connection, dict[str, Any]]:
    """The connection a PATCH/DELETE body names, after the handler's id and ownership checks."""
    user_id = call.require_user()
    body = await caught_json(call)
    if body is None:
        raise flat_error(500, "Cannot destructure property 'id' of '(intermediate value)' as it is null.")
    fields = body if isinstance(body, dict) else {}
    if not fields.get("id"):
        raise flat_error(400, "id required")
    connection = call.world.mcp_servers.connections.get(pg_uuid(js_text(fields["id"])))
    if connection is None or connection.user_id != user_id:
        raise flat_error(403, "Forbidden")
    return connection, fields


async def update_connection(call: Call) -> web.Response:
    connection, fields = await _owned_target(call)
    if not isinstance(fields.get("is_enabled"), bool):
        raise flat_error(400, "is_enabled must be a boolean")
    connection.row.update(is_enabled=fields["is_enabled"], updated_at=format_timestamp(call.now))
    return json_response({"ok": True})


async def delete_connection(call: Call) -> web.Response:
    connection, _ = await _owned_target(call)
    call.world.mcp_servers.connections.remove(connection)
    return json_response({"ok": True})


async def test_connection(call: Call) -> web.Response:
    user_id = call.require_user()
    connection = call.world.mcp_servers.connections.get(pg_uuid(call.params["id"]))
    if connection is None or connection.user_id != user_id:
        raise flat_error(404, "Connection not found")
    if connection.credential and call.world.outside.connections_encryption == "missing":
        raise UNAVAILABLE
    result = probe(connection, call.world.outside.connection_probe, call.now)
    connection.row.update(health_status=result["status"], last_tested_at=format_timestamp(call.now),
                          last_test_error=result.get("error"), last_test_http_status=result.get("httpStatus"),
                          last_test_tool_count=result.get("toolCount"), updated_at=format_timestamp(call.now))
    return json_response(result)
