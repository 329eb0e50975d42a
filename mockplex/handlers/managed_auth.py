"""/api/connections/managed-auth: Sentry's connections authorize through a broker
(Pipedream Connect, the world's `managed_auth`); its webhook stores the connected account
on the user's Sentry connection. The world's `managed_auth_provider` setting makes the
broker unconfigured (the server's PIPEDREAM_* env vars unset) or failing."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp, parse_timestamp
from mockplex.handlers.connection_oauth import settings_redirect
from mockplex.ids import pg_uuid
from mockplex.jsvalues import js_truthy
from mockplex.responses import flat_error, json_response
from mockplex.world.connection_presets import preset_named
from mockplex.world.connections import Connection, new_row
from mockplex.world.managed_auth import WEBHOOK_SIGNING_KEY, BrokerAccount

MAX_BODY_BYTES = 500_000
TOLERANCE_SECONDS = 300
OK = {"ok": True}


class Refused(Exception):
    """What the webhook's catch-all turns into a 500 (its message stays in the log)."""

    def __init__(self, configuration: bool = False) -> None:
        super().__init__()
        self.configuration = configuration


async def start_managed_auth(call: Call) -> web.Response:
    user_id = call.require_user()
    connection_id = call.query("connectionId")
    if not connection_id:
        raise flat_error(400, "connectionId required")
    row_id = pg_uuid(connection_id)
    if row_id is None:  # maybeSingle's 22P02 is an error the handler reports as its own 500
        raise flat_error(500, "Internal error")
    connection = call.world.mcp_servers.connections.get(row_id)
    if connection is None or connection.user_id != user_id:
        raise flat_error(404, "Connection not found")
    preset = preset_named(connection.row["source_preset"])
    if preset is None or preset.auth_type != "oauth" or preset.oauth_flow != "pipedream_connect":
        raise flat_error(400, "Connection does not use managed auth")
    if call.world.outside.managed_auth_provider != "configured":
        return settings_redirect(call, "setup_error")
    link = call.world.managed_auth.connect_link(user_id, call.world.ids, call.now)
    return web.Response(status=307, headers={"Location": link})


async def managed_auth_webhook(call: Call) -> web.Response:
    text = (await call.request.read()).decode("utf-8", "replace").removeprefix("\ufeff")
    if len(text.encode("utf-8")) > MAX_BODY_BYTES:
        raise flat_error(413, "Payload too large")
    try:
        _verify(call, text, call.request.headers.get("x-pd-signature"))
        payload = _event(text)
        if payload["event"] == "CONNECTION_ERROR":
            return json_response(OK)
        return _store_account(call, payload)
    except Refused as refused:
        message = "Server configuration error" if refused.configuration else "Webhook processing failed"
        raise flat_error(500, message) from None


def _verify(call: Call, text: str, header: str | None) -> None:
    if not header:
        raise Refused()
    if call.world.outside.managed_auth_provider == "not_configured":
        raise Refused(configuration=True)
    parts = header.split(",")
    stamp = next((part[2:] for part in parts if part.startswith("t=")), None)
    signature = next((part[3:] for part in parts if part.startswith("v1=")), None)
    timestamp = _parse_int(stamp) if stamp is not None else None
    if timestamp is None or not signature:
        raise Refused()
    if abs(int(call.now.timestamp()) - timestamp) > TOLERANCE_SECONDS:
        raise Refused()
    expected = hmac.new(WEBHOOK_SIGNING_KEY.encode(), f"{timestamp}.{text}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Refused()


def _parse_int(text: str) -> int | None:
    """Number.parseInt: leading whitespace and sign, then the digits that follow."""
    stripped = text.lstrip(" \t\n\v\f\r\xa0\ufeff")
    sign = -1 if stripped.startswith("-") else 1
    digits = stripped[1:] if stripped[:1] in "+-" and stripped else stripped
    run = len(digits) - len(digits.lstrip("0123456789"))
    return sign * int(digits[:run]) if run else None


def _event(text: str) -> dict[str, Any]:
    payload = jsonio.parse_body(text.encode("utf-8"))
    if not isinstance(payload, dict) or payload.get("event") not in ("CONNECTION_SUCCESS", "CONNECTION_ERROR"):
        raise Refused()
    return payload


def _store_account(call: Call, payload: dict[str, Any]) -> web.Response:
    named = payload.get("account")
    named = named if isinstance(named, dict) else {}
    if not js_truthy(named.get("id")) or not js_truthy(named.get("external_id")):
        raise flat_error(400, "Connection success webhook did not include account details")
    app = named.get("app")
    if app is None:  # reading name_slug off a missing app throws; off a string or a list it is undefined
        raise Refused()
    if not isinstance(app, dict) or app.get("name_slug") != "sentry":
        raise flat_error(400, "Unexpected Pipedream app for Sentry managed auth")
    account = _retrieved(call, named["id"])
    if not account.external_id:
        raise flat_error(400, "Connected account did not include an external user id")
    if account.external_id != named["external_id"]:
        raise flat_error(400, "Connected account user mismatch")
    if account.app.get("name_slug") != "sentry" or account.app.get("auth_type", "oauth") != "oauth" \
            or account.dead or not account.healthy:
        raise Refused()
    if account.external_id not in call.world.users:  # the auth admin lookup errors on an unknown user
        raise Refused()
    if call.world.outside.connections_encryption == "missing":
        raise Refused()
    _upsert_sentry(call, account)
    return json_response(OK)


def _retrieved(call: Call, account_id: Any) -> BrokerAccount:
    if call.world.outside.managed_auth_provider == "failing":
        raise Refused()
    account = call.world.managed_auth.accounts.get(account_id if isinstance(account_id, str) else str(account_id))
    if account is None:  # the broker answers 404
        raise Refused()
    return account


def managed_credential(account: BrokerAccount) -> str:
    """What the connection stores: the broker account's reference, never its token."""
    return json.dumps({"kind": "pipedream_connect", "provider": "sentry", "account_id": account.id,
                       "app_slug": account.app["name_slug"], "account_name": account.name,
                       "external_user_id": account.external_id, "authorized_scopes": account.authorized_scopes,
                       "connected_at": account.updated_at or account.created_at, "expires_at": account.expires_at},
                      separators=(",", ":"), ensure_ascii=False)


def _upsert_sentry(call: Call, account: BrokerAccount) -> None:
    """upsert_connection_by_source_preset: the user's oldest Sentry connection is rewritten,
    or a new one inserted."""
    preset = preset_named("sentry")
    authorized = account.updated_at or account.created_at
    values = {"name": preset.name, "type": "mcp_server", "auth_type": "oauth", "auth_header": "Authorization",
              "mcp_transport": preset.mcp_transport, "mcp_url": preset.mcp_url, "description": preset.description,
              "oauth_client_id": None, "oauth_authorize_url": None, "oauth_token_url": None,
              "oauth_scopes": " ".join(account.authorized_scopes or []) or None,
              "oauth_authorized_at": format_timestamp(parse_timestamp(authorized)),
              "oauth_token_expires_at": format_timestamp(parse_timestamp(account.expires_at))
              if account.expires_at else None}
    connections = call.world.mcp_servers.connections
    stamp = format_timestamp(call.now)
    existing = next((c for c in connections.of(account.external_id) if c.row["source_preset"] == "sentry"), None)
    if existing is None:
        row = new_row({"id": call.world.ids.uuid(), "user_id": account.external_id, "source_preset": "sentry",
                       **values}, stamp)
        connections.add(Connection(row, managed_credential(account), account.access_token or None))
        return
    existing.row.update(values, updated_at=stamp)
    existing.credential, existing.brokered_token = managed_credential(account), account.access_token or None
