"""One MCP server from the web app: GET|PATCH|DELETE /api/mcp-servers/{id}.

The row is the same one /api/mcp-servers and v1's /mcp/servers list. A PATCH merges into
the stored row field by field; secret maps are operations (a string sets, null removes)
and their values never leave the world."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.reusable import (
    RESERVED_EXTRA_KEYS,
    Invalid,
    no_conflicts,
    server_name,
    string_map,
    strings,
    trimmed,
)
from mockplex.handlers.web_bodies import caught_json
from mockplex.ids import pg_uuid
from mockplex.render import web as render_web
from mockplex.responses import flat_error, json_response
from mockplex.world.database_errors import invalid_input
from mockplex.world.records import McpServer

NOT_FOUND = "Server not found"


@dataclass
class Slots:
    """One transport's map as the table keeps it: plain values, and secret values by name."""

    plain: dict[str, str]
    secrets: dict[str, str]


def _slots(server: McpServer, transport: str) -> Slots:
    """The stored row's map for `transport`, empty when the row is of the other transport."""
    if server.transport != transport:
        return Slots({}, {})
    values = server.env if transport == "stdio" else server.http_headers
    return Slots({k: v for k, v in values.items() if k not in server.secret_keys},
                 {k: v for k, v in values.items() if k in server.secret_keys})


def _stored(call: Call, user_id: str) -> McpServer | None:
    """`.eq(user_id).eq(id).maybeSingle()`: a malformed id is Postgres's error, a 500."""
    raw_id = call.params["id"]
    server_id = pg_uuid(raw_id)
    if server_id is None:
        raise flat_error(500, invalid_input("uuid", raw_id))
    return call.world.mcp_servers.owned(user_id, server_id)


async def get_mcp_server(call: Call) -> web.Response:
    user_id = call.require_user()
    server = _stored(call, user_id)
    if server is None:
        raise flat_error(404, NOT_FOUND)
    return json_response({"server": render_web.mcp_server(server)})


async def delete_mcp_server(call: Call) -> web.Response:
    user_id = call.require_user()
    server = _stored(call, user_id)
    if server is None:
        raise flat_error(404, NOT_FOUND)
    call.world.mcp_servers.remove(server)
    return json_response({"ok": True})


def _secret_ops(body: dict[str, Any], field: str) -> dict[str, str | None]:
    value = body.get(field)
    if field not in body:
        return {}
    if not isinstance(value, dict):
        raise Invalid(f"{field} must be an object")
    ops: dict[str, str | None] = {}
    for key, raw in value.items():
        name = key.strip()
        if not name:
            raise Invalid(f"{field} contains an empty key")
        if raw is not None and not (isinstance(raw, str) and raw.strip()):
            raise Invalid(f"{field}.{name} must be a non-empty string or null")
        ops[name] = raw
    return ops


def _target(body: dict[str, Any], existing: McpServer, transport: str) -> str:
    """The transport's command or url: the other one refused, this one kept or replaced."""
    unwanted, wanted = ("url", "command") if transport == "stdio" else ("command", "url")
    if unwanted in body and trimmed(body[unwanted]):
        raise Invalid(f"{transport} servers cannot include {unwanted}", "INVALID_TRANSPORT_FIELDS")
    kept = getattr(existing, wanted) if existing.transport == transport else None
    target = trimmed(body[wanted]) if wanted in body else kept
    if not target:
        raise Invalid(f"{wanted} is required for {transport} servers")
    return target


def _merged(body: Any, existing: McpServer) -> dict[str, Any]:
    """The server's update normalization: absent fields keep the stored value, check for
    check in its order."""
    if not isinstance(body, dict):
        raise Invalid("request body must be an object")
    transport = existing.transport
    if "transport" in body:
        transport = body["transport"]
        if transport not in ("stdio", "http"):
            raise Invalid("transport must be stdio or http", "INVALID_TRANSPORT")
    name = server_name(body["name"]) if "name" in body else existing.name
    enabled = body.get("enabled", existing.enabled)
    if not isinstance(enabled, bool):
        raise Invalid("enabled must be a boolean")
    kept_args = list(existing.args) if transport == "stdio" else []
    args = strings(body["args"], "args") if "args" in body else kept_args
    extra = body.get("extra", existing.extra)
    if not isinstance(extra, dict):
        raise Invalid("extra must be an object")
    reserved = next((key for key in extra if key in RESERVED_EXTRA_KEYS), None)
    if reserved is not None:
        raise Invalid(f"extra.{reserved} is reserved for {transport} servers", "INVALID_EXTRA")
    target = _target(body, existing, transport)
    fields = {"name": name, "enabled": enabled, "transport": transport, "target": target, "args": args,
              "extra": extra}
    for prefix, own in (("env", "stdio"), ("header", "http")):
        plain = f"{prefix}Plain"
        fields[plain] = string_map(body, plain) if plain in body else _slots(existing, own).plain
        fields[f"{prefix}Secrets"] = _secret_ops(body, f"{prefix}Secrets")
    return fields


def _applied(current: dict[str, str], ops: dict[str, str | None]) -> dict[str, str]:
    secrets = dict(current)
    for key, value in ops.items():
        if value is None:
            secrets.pop(key, None)
        else:
            secrets[key] = value
    return secrets


def _vault_writes_kept(server: McpServer, slots: Slots, ops: dict[str, str | None]) -> None:
    """A failed update rolls back the secrets it created, not the ones it overwrote in
    place: those new values stay in the vault, so the unchanged row now resolves to them."""
    values = server.env if server.transport == "stdio" else server.http_headers
    for key, value in ops.items():
        if value is not None and key in slots.secrets:
            values[key] = value


def _write(call: Call, server: McpServer, fields: dict[str, Any]) -> None:
    transport = fields["transport"]
    prefix = "env" if transport == "stdio" else "header"
    slots = _slots(server, transport)
    ops = fields[f"{prefix}Secrets"]
    secrets = _applied(slots.secrets, ops)
    try:
        no_conflicts(fields[f"{prefix}Plain"], secrets, "env" if prefix == "env" else "headers")
        taken = {other.name for other in call.world.mcp_servers.custom(server.user_id) if other is not server}
        if fields["name"] in taken:
            raise Invalid("A server with that name already exists", "DUPLICATE_NAME", 409)
    except Invalid:
        _vault_writes_kept(server, slots, ops)
        raise
    values = {**fields[f"{prefix}Plain"], **secrets}
    stdio = transport == "stdio"
    server.name, server.enabled, server.transport = fields["name"], fields["enabled"], transport
    server.command, server.url = (fields["target"], None) if stdio else (None, fields["target"])
    server.args = fields["args"] if stdio else []
    server.env, server.http_headers = (values, {}) if stdio else ({}, values)
    server.extra, server.secret_keys, server.updated_at = fields["extra"], tuple(secrets), call.now


async def patch_mcp_server(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await caught_json(call)
    server = _stored(call, user_id)
    if server is None:
        raise flat_error(404, NOT_FOUND)
    try:
        _write(call, server, _merged(body, server))
    except Invalid as invalid:
        raise invalid.answer from None
    return json_response({"server": render_web.mcp_server(server)})
