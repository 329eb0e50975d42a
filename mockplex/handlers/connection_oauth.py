"""/api/connections/oauth and its callback: a connection authorized through its provider's
own OAuth server. The start redirects to the provider (discovering and registering a
client first for a dynamic preset such as Notion) with the state in a cookie; the
callback checks that state, exchanges the code at the provider's token endpoint and
stores the tokens on the connection. The world's `connection_oauth_provider` setting
makes the provider's discovery or its token endpoint fail."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.connection_input import Invalid, safe_url
from mockplex.handlers.identity import lasting_cookie, next_cookie
from mockplex.ids import b64url, pg_uuid, s256
from mockplex.jsvalues import JS_EPOCH, search_params, uri_component
from mockplex.responses import flat_error, origin_redirect, request_origin
from mockplex.world.connection_presets import preset_named
from mockplex.world.connections import Connection

STATE_COOKIE = "conn_oauth_state"
VERIFIER_COOKIE = "conn_oauth_pkce_verifier"
COOKIE_SECONDS = 600
CALLBACK_PATH = "/api/connections/oauth/callback"
# What a dynamic preset's oauth_config adds (Notion's: PKCE, a public client, a consent prompt).
DYNAMIC_AUTHORIZE_PARAMS = (("prompt", "consent"),)
TOKEN_SECONDS = 3600


def _redirect(call: Call, path: str) -> web.Response:
    return origin_redirect(call.request, path)


def settings_redirect(call: Call, outcome: str) -> web.Response:
    return _redirect(call, f"/settings?tab=connections&oauth={outcome}")


def with_params(url: str, params: list[tuple[str, str]]) -> str:
    """`url.searchParams.set(...)` for each pair: the whole query re-serialized, a set name
    replacing its first occurrence and dropping the rest."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    for name, value in params:
        at = next((index for index, (key, _) in enumerate(pairs) if key == name), None)
        pairs = [pair for index, pair in enumerate(pairs) if pair[0] != name or index == at]
        if at is None:
            pairs.append((name, value))
        else:
            pairs[at] = (name, value)
    query = search_params(pairs)
    return urlunsplit(parts._replace(query=query))


def _owned(call: Call, connection_id: Any, user_id: str) -> Connection | None:
    row_id = pg_uuid(connection_id) if isinstance(connection_id, str) else None
    connection = call.world.mcp_servers.connections.get(row_id) if row_id else None
    return connection if connection is not None and connection.user_id == user_id else None


def _verifier(call: Call) -> str:
    return b64url(call.world.ids.random_bytes(32))


class SetupFailed(Exception):
    """The provider's discovery or client registration failed."""


def _prepared(call: Call, connection: Connection) -> str | None:
    """prepareOAuthConnection: a dynamic preset discovers its endpoints and registers a
    client the first time; the PKCE verifier it will use, if any."""
    row = connection.row
    preset = preset_named(row["source_preset"])
    if preset is None or preset.oauth_flow != "dynamic":
        return None
    registered = row["oauth_authorize_url"] and row["oauth_token_url"] and row["oauth_client_id"]
    if not registered and call.world.outside.connection_oauth_provider == "discovery_fails":
        raise SetupFailed()
    parts = urlsplit(row["mcp_url"] or "")
    origin = f"{parts.scheme}://{parts.netloc}"
    endpoints = {"oauth_authorize_url": f"{origin}/authorize", "oauth_token_url": f"{origin}/token"}
    stamp = format_timestamp(call.now)
    if not row["oauth_authorize_url"] or not row["oauth_token_url"]:
        row.update(endpoints, updated_at=stamp)
    if not row["oauth_client_id"]:
        row.update(endpoints, oauth_client_id=call.world.ids.short("mpx_dcr_", 20), updated_at=stamp)
    return _verifier(call)


async def start_oauth(call: Call) -> web.Response:
    user_id = call.require_user()
    connection_id = call.query("connectionId")
    if not connection_id:
        raise flat_error(400, "connectionId required")
    connection = _owned(call, connection_id, user_id)
    if connection is None:
        raise flat_error(404, "Connection not found")
    if connection.row["auth_type"] != "oauth":
        raise flat_error(400, "Connection is not configured for OAuth")
    try:
        verifier = _prepared(call, connection)
    except SetupFailed:
        return settings_redirect(call, "setup_error")
    row = connection.row
    if not row["oauth_authorize_url"] or not row["oauth_client_id"]:
        raise flat_error(400, "Connection is not configured for OAuth")
    claims = json.dumps({"connectionId": connection_id, "nonce": call.world.ids.uuid(), "userId": user_id},
                        separators=(",", ":"), ensure_ascii=False)
    state = base64.b64encode(claims.encode("latin-1")).decode()
    redirect_uri = request_origin(call.request) + CALLBACK_PATH
    params = [("client_id", row["oauth_client_id"]), ("redirect_uri", redirect_uri), ("response_type", "code"),
              ("state", state)]
    if row["oauth_scopes"]:
        params.append(("scope", row["oauth_scopes"]))
    if verifier:
        params += [("code_challenge", s256(verifier)), ("code_challenge_method", "S256"),
                   *DYNAMIC_AUTHORIZE_PARAMS]
    response = web.Response(status=307, headers={"Location": with_params(row["oauth_authorize_url"], params)})
    response.headers.add("Set-Cookie", _state_cookie(call, STATE_COOKIE, state))
    response.headers.add("Set-Cookie", _state_cookie(call, VERIFIER_COOKIE, verifier) if verifier else
                         next_cookie(VERIFIER_COOKIE, "", expires=JS_EPOCH))
    return response


def _state_cookie(call: Call, name: str, value: str) -> str:
    # secure: NODE_ENV === "production", as the hosted server runs
    return lasting_cookie(call, name, uri_component(value), COOKIE_SECONDS,
                           http_only=True, same_site="lax", secure=True)


def _cleared(response: web.Response) -> web.Response:
    for name in (STATE_COOKIE, VERIFIER_COOKIE):
        response.headers.add("Set-Cookie", next_cookie(name, "", max_age=0))
    return response


def _cookie(call: Call, name: str) -> str | None:
    value = call.request.cookies.get(name)
    return unquote(value) if value is not None else None


def _atob(text: str) -> str | None:
    """The browser's forgiving base64 decode, as a Latin-1 string; None where it throws."""
    compact = "".join(text.split())
    if len(compact) % 4 == 0 and compact.endswith("="):
        compact = compact[:-2] if compact.endswith("==") else compact[:-1]
    if len(compact) % 4 == 1 or any(char not in _BASE64 for char in compact):
        return None
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4)).decode("latin-1")
    except (binascii.Error, ValueError):
        return None


_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _state_claims(state: str) -> Any:
    decoded = _atob(state)
    if decoded is None:
        return None
    try:
        return json.loads(decoded)
    except ValueError:
        return None


async def oauth_callback(call: Call) -> web.Response:
    code, state = call.query("code"), call.query("state")
    if not code or not state or state != _cookie(call, STATE_COOKIE):
        return _cleared(_redirect(call, "/?tab=connections&oauth=invalid_state"))
    if call.identity is None:
        return _cleared(_redirect(call, "/login?error=unauthorized"))
    claims = _state_claims(state)
    if not isinstance(claims, dict) or claims.get("userId") != call.identity.user_id:
        return _cleared(_redirect(call, "/?tab=connections&oauth=invalid_state"))
    connection = _owned(call, claims.get("connectionId"), call.identity.user_id)
    if connection is None:
        return _cleared(_redirect(call, "/?tab=connections&oauth=not_found"))
    if not _exchanged(call, connection, _cookie(call, VERIFIER_COOKIE)):
        return _cleared(_redirect(call, "/?tab=connections&oauth=token_error"))
    return _cleared(settings_redirect(call, "success"))


def stored_oauth_fields(credential: str | None) -> dict[str, str]:
    """The string client_secret / access_token / refresh_token a stored credential holds."""
    try:
        parsed = json.loads(credential) if credential else {}
    except ValueError:
        parsed = {}
    parsed = parsed if isinstance(parsed, dict) else {}
    return {key: parsed[key] for key in ("client_secret", "access_token", "refresh_token")
            if isinstance(parsed.get(key), str)}


def _exchanged(call: Call, connection: Connection, verifier: str | None) -> bool:
    """The code exchange and the token write; False wherever the server's try throws."""
    world = call.world
    if world.outside.connections_encryption == "missing":
        return False
    fields = stored_oauth_fields(connection.credential)
    if not fields.get("client_secret") and not verifier:
        return False
    try:
        safe_url(connection.row["oauth_token_url"] or "", "oauth_token_url")
    except Invalid:
        return False
    if world.outside.connection_oauth_provider == "exchange_fails":
        return False
    fields.update(access_token=world.ids.short("mpx_conn_access_", 32),
                  refresh_token=world.ids.short("mpx_conn_refresh_", 32))
    connection.credential = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    stamp = format_timestamp(call.now)
    expires = format_timestamp(call.now + timedelta(seconds=TOKEN_SECONDS))
    connection.row.update(oauth_authorized_at=stamp, updated_at=stamp, oauth_token_expires_at=expires)
    return True
