"""External MCP servers: a user's custom ones and those their MCP connections provide."""

from __future__ import annotations

from mockplex.world.records import McpServer


class McpServers:
    def __init__(self, servers: list[McpServer]) -> None:
        self._servers = list(servers)

    def custom(self, user_id: str) -> list[McpServer]:
        return [s for s in self._servers if s.user_id == user_id and s.source == "custom"]

    def connections(self, user_id: str) -> list[McpServer]:
        """A user's connection-backed servers, oldest first."""
        return sorted((s for s in self._servers if s.user_id == user_id and s.source == "connection"),
                      key=lambda server: server.created_at)

    def listed(self, user_id: str) -> list[McpServer]:
        """What the CLI gets: custom servers oldest first, then connections a custom one does not shadow."""
        custom = sorted(self.custom(user_id), key=lambda s: s.created_at)
        names = {server.name for server in custom}
        return custom + [s for s in self._servers
                         if s.user_id == user_id and s.source == "connection" and s.name not in names]

    def connection(self, connection_id: object) -> McpServer | None:
        return next((s for s in self._servers if s.id == connection_id and s.source == "connection"), None)

    def add(self, server: McpServer) -> None:
        self._servers.append(server)

    def remove(self, server: McpServer) -> None:
        self._servers.remove(server)
