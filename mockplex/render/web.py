"""The web app's row shapes for records the v1 API also serves."""

from __future__ import annotations

from typing import Any

from mockplex.clock import format_timestamp
from mockplex.world.records import Agent, McpServer


def agent(agent: Agent) -> dict[str, Any]:
    """An agents row as `select *` gives it: the table's column order (added columns last)."""
    return {"id": agent.id, "user_id": agent.user_id, "name": agent.name, "model": agent.model,
            "system_prompt": agent.system_prompt, "created_at": format_timestamp(agent.created_at),
            "source_template": agent.source_template, "description": agent.description, "category": agent.category,
            "slug": agent.slug}


def mcp_server(server: McpServer) -> dict[str, Any]:
    """Secret values never leave, only their names."""
    def plain(values: dict[str, str]) -> dict[str, str]:
        return {key: value for key, value in values.items() if key not in server.secret_keys}

    def secret_names(values: dict[str, str]) -> list[str]:
        return sorted(key for key in values if key in server.secret_keys)

    return {"id": server.id, "name": server.name, "enabled": server.enabled, "transport": server.transport,
            "command": server.command, "args": list(server.args), "envPlain": plain(server.env),
            "envSecretNames": secret_names(server.env), "url": server.url, "headerPlain": plain(server.http_headers),
            "headerSecretNames": secret_names(server.http_headers), "extra": dict(server.extra),
            "createdAt": format_timestamp(server.created_at),
            "updatedAt": format_timestamp(server.updated_at or server.created_at)}
