"""External MCP servers: a user's custom ones and those their MCP connections provide."""

from __future__ import annotations

from mockplex.world.connections import Connections, from_fixture
from mockplex.world.records import McpServer


class McpServers:
    def __init__(self, servers: list[McpServer]) -> None:
        self._servers = [server for server in servers if server.source == "custom"]
        self.connections = Connections([from_fixture(server) for server in servers if server.source == "connection"])

    def custom(self, user_id: str) -> list[McpServer]:
        return [s for s in self._servers if s.user_id == user_id]

    def owned(self, user_id: str, server_id: str) -> McpServer | None:
        return next((s for s in self.custom(user_id) if s.id == server_id), None)

    def listed(self, user_id: str) -> list[McpServer]:
        """What the CLI gets: custom servers oldest first (disabled ones too), then the
        exported connections a custom one does not shadow."""
        custom = sorted(self.custom(user_id), key=lambda s: s.created_at)
        names = {server.name for server in custom}
        return custom + [s for s in self.connections.exported(user_id) if s.name not in names]

    def add(self, server: McpServer) -> None:
        self._servers.append(server)

    def remove(self, server: McpServer) -> None:
        self._servers.remove(server)
