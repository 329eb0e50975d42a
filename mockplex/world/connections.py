"""A user's connections (the `connections` table): REST APIs and remote MCP servers.

Enabled, fully configured MCP connections are also what the CLI export and v1's
/mcp/servers list after the custom servers, so they live beside those.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mockplex.clock import format_timestamp, parse_timestamp
from mockplex.world.connection_presets import preset_named
from mockplex.world.records import McpServer

COLUMNS = ("id", "user_id", "name", "type", "base_url", "auth_type", "auth_header", "mcp_transport", "mcp_url",
           "description", "is_enabled", "health_status", "scope", "repo_id", "oauth_client_id",
           "oauth_authorize_url", "oauth_token_url", "oauth_scopes", "oauth_authorized_at",
           "oauth_token_expires_at", "source_preset", "last_tested_at", "last_test_error",
           "last_test_http_status", "last_test_tool_count", "created_at", "updated_at")
DEFAULTS = {"auth_header": "Authorization", "is_enabled": True, "health_status": "unknown", "scope": "global"}


@dataclass
class Connection:
    row: dict[str, Any]  # the table's columns in the server's select order
    credential: str | None = None  # decrypted encrypted_credentials
    brokered_token: str | None = None  # a managed-auth connection's token, which the broker holds

    def oauth_access_token(self) -> str | None:
        """What an OAuth connection authenticates with (getValidAccessToken): the broker's
        token, or the access token its stored credential holds."""
        if self.brokered_token:
            return self.brokered_token
        try:
            stored = json.loads(self.credential or "")
        except ValueError:
            return None
        token = stored.get("access_token") if isinstance(stored, dict) else None
        return token if isinstance(token, str) and token else None

    @property
    def user_id(self) -> str:
        return self.row["user_id"]

    def misconfigured(self) -> bool:
        row = self.row
        if row["type"] == "rest_api":
            return not row["base_url"]
        if not row["mcp_url"] or not row["mcp_transport"]:
            return True
        if row["auth_type"] != "oauth":
            return False
        preset = preset_named(row["source_preset"])
        if preset is not None and preset.oauth_flow is not None:
            return False
        return not (row["oauth_client_id"] and row["oauth_authorize_url"] and row["oauth_token_url"])

    def transport(self, credential: str | None = None) -> tuple[str, dict[str, str]]:
        """The URL and headers an MCP client is given (the server's buildMcpTransport)."""
        row, credential = self.row, credential or self.credential
        url = row["mcp_url"] or ""
        if not credential:
            return url, {}
        preset = preset_named(row["source_preset"])
        if preset is not None and preset.query_credential:
            parts = urlsplit(url)
            query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
                     if key != preset.query_credential] + [(preset.query_credential, credential)]
            return urlunsplit(parts._replace(query=urlencode(query), path=parts.path or "/")), {}
        auth_type = "bearer" if row["auth_type"] == "none" else row["auth_type"]
        header = row["auth_header"] or ("X-API-Key" if auth_type == "api_key" else "Authorization")
        value = {"bearer": f"Bearer {credential}", "oauth": f"Bearer {credential}", "api_key": credential,
                 "basic": f"Basic {credential}"}.get(auth_type)
        return url, {header: value} if value is not None else {}


def new_row(values: dict[str, Any], stamp: str) -> dict[str, Any]:
    """An inserted row: the given columns, the table's defaults, nulls elsewhere."""
    given = {key: value for key, value in values.items() if value is not None}
    stamps = {"created_at": stamp, "updated_at": stamp}
    return {column: given.get(column, DEFAULTS.get(column, stamps.get(column))) for column in COLUMNS}


def from_fixture(server: McpServer) -> Connection:
    """A fixture's connection-backed server: an MCP connection, bearer when it carries a token."""
    authorization = server.http_headers.get("Authorization", "")
    token = authorization[7:] if authorization.startswith("Bearer ") else None
    stamp = format_timestamp(server.created_at)
    row = new_row({"id": server.id, "user_id": server.user_id, "name": server.name, "type": "mcp_server",
                   "auth_type": "bearer" if token else "none", "mcp_transport": "http", "mcp_url": server.url,
                   "description": server.extra.get("description"), "is_enabled": server.enabled,
                   "source_preset": server.extra.get("source_preset")}, stamp)
    return Connection(row, token)


class Connections:
    def __init__(self, connections: list[Connection]) -> None:
        self._connections = list(connections)

    def of(self, user_id: str) -> list[Connection]:
        """A user's connections, oldest first."""
        return sorted((c for c in self._connections if c.user_id == user_id),
                      key=lambda c: parse_timestamp(c.row["created_at"]))

    def get(self, connection_id: str | None) -> Connection | None:
        return next((c for c in self._connections if c.row["id"] == connection_id), None)

    def add(self, connection: Connection) -> None:
        self._connections.append(connection)

    def remove(self, connection: Connection) -> None:
        self._connections.remove(connection)

    def exported(self, user_id: str) -> list[McpServer]:
        """What the CLI gets: enabled, configured MCP connections (OAuth ones once authorized)."""
        servers = []
        for connection in self.of(user_id):
            row = connection.row
            if row["type"] != "mcp_server" or not row["is_enabled"] or connection.misconfigured():
                continue
            token = connection.oauth_access_token() if row["auth_type"] == "oauth" else None
            if row["auth_type"] == "oauth" and (not row["oauth_authorized_at"] or token is None):
                continue
            url, headers = connection.transport(token)
            servers.append(McpServer(name=row["name"], user_id=user_id, enabled=True, transport="http",
                                     source="connection", created_at=parse_timestamp(row["created_at"]),
                                     url=url, http_headers=headers, id=row["id"]))
        return servers
