"""Reusable behaviour (internal spec §2.3): /api/mcp-servers, web and CLI formats."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.web_bodies import caught_json
from mockplex.render import v1
from mockplex.render import web as render_web
from mockplex.responses import JsonError, json_response
from mockplex.world.records import McpServer

RESERVED_EXTRA_KEYS = ("args", "command", "env", "http_headers", "url")


class Invalid(Exception):
    """The server's McpServerValidationError: answered as {"error", "code"}."""

    def __init__(self, message: str, code: str = "INVALID_MCP_SERVER", status: int = 400) -> None:
        super().__init__(message)
        self.answer = JsonError(status, {"error": message, "code": code})


async def list_mcp_servers(call: Call) -> web.Response:
    user_id = call.require_user()
    if call.query("format") == "cli":
        return json_response([v1.mcp_server(server) for server in call.world.mcp_servers.listed(user_id)])
    custom = sorted(call.world.mcp_servers.custom(user_id), key=lambda server: server.created_at, reverse=True)
    return json_response({"servers": [render_web.mcp_server(server) for server in custom]})


def trimmed(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def server_name(value: Any) -> str:
    name = trimmed(value)
    if not name:
        raise Invalid("name is required")
    if "__" in name:
        raise Invalid('name must not contain "__"', "INVALID_NAME")
    return name


def strings(value: Any, field: str) -> list[str]:
    if not isinstance(value, list):
        raise Invalid(f"{field} must be an array")
    for index, entry in enumerate(value):
        if not isinstance(entry, str):
            raise Invalid(f"{field}[{index}] must be a string")
    return list(value)


def string_map(body: dict[str, Any], field: str, secret: bool = False) -> dict[str, str]:
    if field not in body:
        return {}
    value = body[field]
    if not isinstance(value, dict):
        raise Invalid(f"{field} must be an object")
    record = {}
    for key, raw in value.items():
        name = key.strip()
        if not name:
            raise Invalid(f"{field} contains an empty key")
        if secret and not (isinstance(raw, str) and raw.strip()):
            raise Invalid(f"{field}.{name} must be a non-empty string")
        if not isinstance(raw, str):
            raise Invalid(f"{field}.{name} must be a string")
        record[name] = raw
    return record


def no_conflicts(plain: dict[str, str], secrets: dict[str, str], field: str) -> None:
    if any(key in plain for key in secrets):
        raise Invalid(f"{field} cannot contain the same key in both plain and secret maps", "INVALID_DUPLICATE_KEY")


def _validated_server(body: Any) -> dict[str, Any]:
    """The server's create normalization, check for check in its order."""
    if not isinstance(body, dict):
        raise Invalid("request body must be an object")
    name = server_name(body.get("name"))
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise Invalid("enabled must be a boolean")
    transport = body.get("transport")
    if transport not in ("stdio", "http"):
        raise Invalid("transport must be stdio or http", "INVALID_TRANSPORT")
    args = strings(body["args"], "args") if "args" in body else []
    maps = {field: string_map(body, field, field.endswith("Secrets"))
            for field in ("envPlain", "envSecrets", "headerPlain", "headerSecrets")}
    extra = body.get("extra", {})
    if not isinstance(extra, dict):
        raise Invalid("extra must be an object")
    reserved = next((key for key in extra if key in RESERVED_EXTRA_KEYS), None)
    if reserved is not None:
        raise Invalid(f"extra.{reserved} is reserved for {transport} servers", "INVALID_EXTRA")
    no_conflicts(maps["envPlain"], maps["envSecrets"], "env")
    no_conflicts(maps["headerPlain"], maps["headerSecrets"], "headers")
    unwanted, wanted = ("url", "command") if transport == "stdio" else ("command", "url")
    if trimmed(body.get(unwanted)):
        raise Invalid(f"{transport} servers cannot include {unwanted}", "INVALID_TRANSPORT_FIELDS")
    target = trimmed(body.get(wanted))
    if not target:
        raise Invalid(f"{wanted} is required for {transport} servers")
    return {"name": name, "enabled": enabled, "transport": transport, wanted: target, "args": args,
            "extra": extra, **maps}


def _server(call: Call, user_id: str, fields: dict[str, Any]) -> McpServer:
    """The stored row: only the transport's own maps are kept (stdio: env, http: headers)."""
    stdio = fields["transport"] == "stdio"
    plain, secrets = (fields["envPlain"], fields["envSecrets"]) if stdio else (
        fields["headerPlain"], fields["headerSecrets"])
    return McpServer(
        id=call.world.ids.uuid(), name=fields["name"], user_id=user_id, enabled=fields["enabled"],
        transport=fields["transport"], source="custom", created_at=call.now, command=fields.get("command"),
        args=fields["args"] if stdio else [], env={**plain, **secrets} if stdio else {}, url=fields.get("url"),
        http_headers={} if stdio else {**plain, **secrets}, extra=fields["extra"], secret_keys=tuple(secrets))


async def create_mcp_server(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await caught_json(call)
    try:
        fields = _validated_server(body)
        if any(server.name == fields["name"] for server in call.world.mcp_servers.custom(user_id)):
            raise Invalid("A server with that name already exists", "DUPLICATE_NAME", 409)
    except Invalid as invalid:
        raise invalid.answer from None
    server = _server(call, user_id, fields)
    call.world.mcp_servers.add(server)
    return json_response({"server": render_web.mcp_server(server)}, 201)
