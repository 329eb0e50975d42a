"""/api/connections (internal spec §2.3). MCP-type connections are the world's
connection-backed MCP servers, so enabling or adding one changes what v1's
/mcp/servers and the CLI export list."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.ids import pg_uuid
from mockplex.responses import JsonError, flat_error, json_response
from mockplex.world.records import McpServer

MAX_MCP_CONNECTIONS = 5
PRESETS = {
    "linear": ("Linear", "https://mcp.linear.example.dev/mcp"),
    "sentry": ("Sentry", "https://mcp.sentry.example.dev/mcp"),
    "notion": ("Notion", "https://mcp.notion.example.dev/mcp"),
    "vercel": ("Vercel", "https://mcp.vercel.example.dev/mcp"),
}


def _connection(server: McpServer) -> dict[str, Any]:
    stamp = format_timestamp(server.created_at)
    authorization = server.http_headers.get("Authorization")
    return {
        "id": server.id, "user_id": server.user_id, "name": server.name, "type": "mcp_server", "base_url": None,
        "auth_type": "bearer" if authorization else "none", "auth_header": "Authorization" if authorization else None,
        "mcp_transport": "http", "mcp_url": server.url, "description": server.extra.get("description"),
        "is_enabled": server.enabled, "health_status": "healthy" if server.enabled else "unknown",
        "scope": "global", "repo_id": None, "oauth_client_id": None, "oauth_authorize_url": None,
        "oauth_token_url": None, "oauth_scopes": None, "oauth_authorized_at": None, "oauth_token_expires_at": None,
        "source_preset": server.extra.get("source_preset"), "last_tested_at": None, "last_test_error": None,
        "last_test_http_status": None, "last_test_tool_count": None, "created_at": stamp, "updated_at": stamp,
    }


def _invalid(message: str, code: str = "INVALID_CONNECTION", status: int = 400, **extra) -> JsonError:
    return JsonError(status, {"error": message, "code": code, **extra})


async def list_connections(call: Call) -> web.Response:
    user_id = call.require_user()
    servers = call.world.mcp_servers.connections(user_id)
    return json_response({"connections": [_connection(server) for server in servers]})


async def create_connection(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    existing = call.world.mcp_servers.connections(user_id)
    preset = body.get("source_preset")
    if preset is not None:
        if preset not in PRESETS:
            raise _invalid("Unknown connection preset")
        taken = next((s for s in existing if s.extra.get("source_preset") == preset), None)
        if taken is not None:
            raise _invalid("This preset is already connected", "PRESET_ALREADY_CONNECTED", 409,
                           connection=_connection(taken))
        name, url = PRESETS[preset]
        url = body.get("mcp_url") or url
    else:
        name = body.get("name").strip() if isinstance(body.get("name"), str) else ""
        if not name:
            raise _invalid("Connection name is required")
        url = body.get("mcp_url") or body.get("base_url")
    if body.get("scope") == "project":
        if not body.get("repo_id"):
            raise _invalid("repo_id is required for project-scoped connections")
        repo_id = pg_uuid(str(body["repo_id"]))
        if repo_id is None or call.world.owned_repo(user_id, repo_id) is None:
            raise _invalid("Repo not found", "REPO_NOT_FOUND", 404)
    if len(existing) >= MAX_MCP_CONNECTIONS:
        raise flat_error(400, "Maximum 5 MCP connections allowed")
    credentials = body.get("credentials")
    token = credentials.get("token") if isinstance(credentials, dict) else credentials
    server = McpServer(id=call.world.ids.uuid(), name=name.lower(), user_id=user_id, enabled=True, transport="http",
                       source="connection", created_at=call.now, url=str(url or ""),
                       http_headers={"Authorization": f"Bearer {token}"} if isinstance(token, str) and token else {},
                       extra={"source_preset": preset} if preset else {})
    call.world.mcp_servers.add(server)
    return json_response({"connection": _connection(server)}, 201)


def _owned(call: Call, user_id: str, connection_id: Any) -> McpServer:
    server = call.world.mcp_servers.connection(connection_id)
    if server is None or server.user_id != user_id:
        raise flat_error(403, "Forbidden")
    return server


async def update_connection(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    if not body.get("id"):
        raise flat_error(400, "id required")
    if not isinstance(body.get("is_enabled"), bool):
        raise flat_error(400, "is_enabled must be a boolean")
    _owned(call, user_id, body["id"]).enabled = body["is_enabled"]
    return json_response({"ok": True})


async def delete_connection(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    if not body.get("id"):
        raise flat_error(400, "id required")
    call.world.mcp_servers.remove(_owned(call, user_id, body["id"]))
    return json_response({"ok": True})


async def test_connection(call: Call) -> web.Response:
    user_id = call.require_user()
    server = next((s for s in call.world.mcp_servers.connections(user_id) if s.id == call.params["id"]), None)
    if server is None:
        raise flat_error(404, "Connection not found")
    healthy = bool(server.url)
    return json_response({"healthy": healthy, "status": "healthy" if healthy else "misconfigured",
                          "summary": "Connected; 12 tools available." if healthy else "No MCP URL is configured.",
                          "httpStatus": 200 if healthy else None, "toolCount": 12 if healthy else 0,
                          "testedAt": format_timestamp(call.now)})
