"""Reusable behaviour (internal spec §2.3): /api/mcp-servers, web and CLI formats."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.render import v1, web as render_web
from mockplex.responses import JsonError, json_response
from mockplex.world.records import McpServer


def _invalid(message: str, code: str, status: int = 400) -> JsonError:
    return JsonError(status, {"error": message, "code": code})


async def list_mcp_servers(call: Call) -> web.Response:
    user_id = call.require_user()
    if call.query("format") == "cli":
        servers = [server for server in call.world.mcp_servers.listed(user_id)
                   if server.source == "custom" or server.enabled]
        return json_response([v1.mcp_server(server) for server in servers])
    custom = sorted(call.world.mcp_servers.custom(user_id), key=lambda server: server.created_at, reverse=True)
    return json_response({"servers": [render_web.mcp_server(server) for server in custom]})


def _text_map(body: dict[str, Any], key: str) -> dict[str, str]:
    value = body.get(key) or {}
    return {str(name): str(item) for name, item in value.items()} if isinstance(value, dict) else {}


def _validated_server(body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("name").strip() if isinstance(body.get("name"), str) else ""
    if not name:
        raise _invalid("name is required", "INVALID_MCP_SERVER")
    if "__" in name:
        raise _invalid('name must not contain "__"', "INVALID_NAME")
    transport = body.get("transport")
    if transport not in ("stdio", "http"):
        raise _invalid("transport must be stdio or http", "INVALID_TRANSPORT")
    if transport == "stdio" and body.get("url"):
        raise _invalid("stdio servers cannot include url", "INVALID_TRANSPORT_FIELDS")
    if transport == "http" and body.get("command"):
        raise _invalid("http servers cannot include command", "INVALID_TRANSPORT_FIELDS")
    if transport == "stdio" and not (isinstance(body.get("command"), str) and body["command"].strip()):
        raise _invalid("command is required for stdio servers", "INVALID_MCP_SERVER")
    if transport == "http" and not (isinstance(body.get("url"), str) and body["url"].strip()):
        raise _invalid("url is required for http servers", "INVALID_MCP_SERVER")
    maps = {key: _text_map(body, key) for key in ("envPlain", "envSecrets", "headerPlain", "headerSecrets")}
    for plain, secret in (("envPlain", "envSecrets"), ("headerPlain", "headerSecrets")):
        duplicate = sorted(set(maps[plain]) & set(maps[secret]))
        if duplicate:
            raise _invalid(f"{duplicate[0]} is set as both a plain value and a secret", "INVALID_DUPLICATE_KEY")
    return {"name": name, "transport": transport, **maps}


async def create_mcp_server(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    fields = _validated_server(body)
    world = call.world
    if any(server.name == fields["name"] for server in world.mcp_servers.custom(user_id)):
        raise _invalid("A server with that name already exists", "DUPLICATE_NAME", 409)
    args = body.get("args") if isinstance(body.get("args"), list) else []
    server = McpServer(
        id=world.ids.uuid(), name=fields["name"], user_id=user_id, enabled=body.get("enabled") is not False,
        transport=fields["transport"], source="custom", created_at=call.now,
        command=body.get("command").strip() if fields["transport"] == "stdio" else None,
        args=[str(arg) for arg in args], env={**fields["envPlain"], **fields["envSecrets"]},
        url=body.get("url").strip() if fields["transport"] == "http" else None,
        http_headers={**fields["headerPlain"], **fields["headerSecrets"]},
        extra=body.get("extra") if isinstance(body.get("extra"), dict) else {},
        secret_keys=tuple(fields["envSecrets"]) + tuple(fields["headerSecrets"]),
    )
    world.mcp_servers.add(server)
    return json_response({"server": render_web.mcp_server(server)}, 201)
