"""POST /api/auth/mcp/token: the `mcp` plugin's token endpoint (better-auth 1.6.25), form or
JSON bodies, client credentials in the body or HTTP Basic.

An authorization code (single use, PKCE S256 checked) or a refresh token becomes a new
access/refresh pair; the plugin's checks run in its order with its OAuth-style errors.
The server's cliTokenTtl hook then caps the CLI's refresh tokens at 30 days."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.better_auth_wire import respond
from mockplex.handlers.mcp_oauth_wire import (
    ABSENT, FORM_TYPE, JSON_TYPE, NO_STORE, EndpointRefusal, oauth_error, read_body, type_issue, validation_error,
)
from mockplex.ids import b64url, s256
from mockplex.jsvalues import js_string, js_truthy
from mockplex.world.mcp_oauth import ACCESS_TOKEN_SECONDS, CLI_CLIENT_ID, LETTERS, McpClient, TokenPair

CODE_REFRESH_ALPHABET = LETTERS[26:] + LETTERS[:26]  # the code grant's refresh token: "A-Z" then "a-z"
SILVER = "urn:mace:incommon:iap:silver"
_MALFORMED_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


async def token(call: Call) -> web.StreamResponse:
    try:
        body = await read_body(call, (FORM_TYPE, JSON_TYPE))
    except EndpointRefusal as refusal:
        return refusal.response
    try:
        return _grant(call, body)
    except EndpointRefusal as refusal:
        return refusal.response
    finally:
        if isinstance(body, dict) and body.get("client_id") == CLI_CLIENT_ID:
            call.world.mcp_oauth.cap_cli_refresh_tokens(call.now)


def _grant(call: Call, body: Any) -> web.Response:
    if not isinstance(body, dict):
        raise validation_error([type_issue("body", "record", body)])
    client_id, client_secret = _basic_credentials(call, body.get("client_id", ABSENT),
                                                  body.get("client_secret", ABSENT))
    if body.get("grant_type") == "refresh_token":
        return _refresh(call, body, client_id, client_secret)
    return _exchange_code(call, body, client_id, client_secret)


def _present(value: Any) -> bool:
    return value is not ABSENT and js_truthy(value)


def _basic_credentials(call: Call, client_id: Any, client_secret: Any) -> tuple[Any, Any]:
    """Basic credentials count only when the body carries no secret; split at the first
    colon, each half percent-decoded, both required, the id agreeing with the body's."""
    authorization = call.request.headers.get("Authorization") or ""
    if not authorization or _present(client_secret) or not authorization.startswith("Basic "):
        return client_id, client_secret
    malformed = oauth_error(401, "invalid_client", "invalid authorization header format")
    try:
        encoded = authorization.replace("Basic ", "", 1)
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        raise malformed from None
    identifier, colon, secret = decoded.partition(":")
    if not colon:
        raise malformed
    try:
        identifier, secret = _decode_component(identifier), _decode_component(secret)
    except ValueError:
        raise malformed from None
    if not identifier or not secret:
        raise malformed
    if _present(client_id) and js_string(client_id) != identifier:
        raise oauth_error(401, "invalid_client", "client_id in body does not match Authorization header")
    return identifier, secret


def _decode_component(text: str) -> str:
    """decodeURIComponent: a malformed escape or bad UTF-8 throws."""
    if _MALFORMED_ESCAPE.search(text):
        raise ValueError(text)
    return unquote(text, errors="strict")


def _refresh(call: Call, body: dict, client_id: Any, client_secret: Any) -> web.Response:
    given = body.get("refresh_token", ABSENT)
    if not _present(given):
        raise oauth_error(400, "invalid_request", "refresh_token is required")
    server = call.world.mcp_oauth
    pair = server.by_refresh_token(js_string(given))
    if pair is None:
        raise oauth_error(401, "invalid_grant", "invalid refresh token")
    if client_id in (ABSENT, None) or pair.client_id != js_string(client_id):
        raise oauth_error(401, "invalid_client", "invalid client_id")
    if pair.refresh_expires_at < call.now:
        raise oauth_error(401, "invalid_grant", "refresh token expired")
    if "offline_access" not in pair.scopes.split(" "):
        raise oauth_error(401, "invalid_grant", "refresh token was not issued for the offline_access scope")
    _authenticate(server.clients.get(pair.client_id), client_secret)
    fresh = server.mint(call.world.tokens, call.world.ids, client_id=pair.client_id, user_id=pair.user_id,
                        scopes=pair.scopes, now=call.now, refresh_alphabet=LETTERS)
    return respond({"access_token": fresh.access_token, "token_type": "bearer", "expires_in": ACCESS_TOKEN_SECONDS,
                    "refresh_token": fresh.refresh_token, "scope": fresh.scopes})


def _authenticate(client: McpClient | None, client_secret: Any, public_verifier: Any = True) -> McpClient:
    """The client must exist and be enabled; a confidential one must present its secret."""
    if client is None:
        raise oauth_error(401, "invalid_client", "invalid client_id")
    if client.disabled:
        raise oauth_error(401, "invalid_client", "client is disabled")
    if client.type == "public":
        if not _present(public_verifier):
            raise oauth_error(400, "invalid_request", "code verifier is required for public clients")
        return client
    if not client.client_secret or not _present(client_secret):
        raise oauth_error(401, "invalid_client", "client_secret is required for confidential clients")
    if not hmac.compare_digest(client.client_secret.encode(), js_string(client_secret).encode()):
        raise oauth_error(401, "invalid_client", "invalid client_secret")
    return client


def _exchange_code(call: Call, body: dict, client_id: Any, client_secret: Any) -> web.Response:
    code, verifier = body.get("code", ABSENT), body.get("code_verifier", ABSENT)
    grant_type, redirect_uri = body.get("grant_type", ABSENT), body.get("redirect_uri", ABSENT)
    if not _present(code):
        raise oauth_error(400, "invalid_request", "code is required")
    if not _present(verifier):
        raise oauth_error(400, "invalid_request", "code verifier is missing")
    server = call.world.mcp_oauth
    issued = server.consume_code(js_string(code), call.now)
    if issued is None:
        raise oauth_error(401, "invalid_grant", "invalid code")
    if not _present(client_id):
        raise oauth_error(401, "invalid_client", "client_id is required")
    if not _present(grant_type):
        raise oauth_error(400, "invalid_request", "grant_type is required")
    if grant_type != "authorization_code":
        raise oauth_error(400, "unsupported_grant_type", "grant_type must be 'authorization_code'")
    if not _present(redirect_uri):
        raise oauth_error(400, "invalid_request", "redirect_uri is required")
    client = _authenticate(server.clients.get(js_string(client_id)), client_secret, verifier)
    if issued.client_id != client.client_id:
        raise oauth_error(401, "invalid_client", "invalid client_id")
    if issued.redirect_uri != js_string(redirect_uri):
        raise oauth_error(401, "invalid_client", "invalid redirect_uri")
    if s256(js_string(verifier)) != issued.code_challenge:
        raise oauth_error(401, "invalid_request", "code verification failed")
    scope = " ".join(issued.scopes)
    pair = server.mint(call.world.tokens, call.world.ids, client_id=client.client_id, user_id=issued.user_id,
                       scopes=scope, now=call.now, refresh_alphabet=CODE_REFRESH_ALPHABET)
    answer = {"access_token": pair.access_token, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS}
    if "offline_access" in issued.scopes:
        answer["refresh_token"] = pair.refresh_token
    answer["scope"] = scope
    if "openid" in issued.scopes:
        answer["id_token"] = _id_token(call, pair, issued.scopes, issued.nonce)
    return respond(answer, headers=NO_STORE)


def _id_token(call: Call, pair: TokenPair, scopes: tuple[str, ...], nonce: str | None) -> str:
    """An HS256 JWT signed with a key made for it and thrown away, as the plugin does: its
    claims in the plugin's order (iat and exp in seconds), unverifiable by anyone."""
    user = call.world.users[pair.user_id]
    issued_at = int(call.now.timestamp())
    claims: dict[str, Any] = {"sub": user.id, "aud": pair.client_id, "iat": issued_at}
    if nonce is not None:
        claims["nonce"] = nonce
    claims["acr"] = SILVER
    if "profile" in scopes:
        names = user.name.split(" ")
        claims["given_name"] = names[0]
        if len(names) > 1:
            claims["family_name"] = names[1]
        claims.update({"name": user.name, "profile": user.avatar_url,
                       "updated_at": int(call.world.oauth_flows.joined_at(user.id).timestamp())})
    if "email" in scopes:
        claims.update({"email": user.email, "email_verified": True})
    claims["exp"] = issued_at + ACCESS_TOKEN_SECONDS
    signing_input = f"{_segment({'alg': 'HS256'})}.{_segment(claims)}"
    signature = hmac.new(call.world.ids.random_bytes(32), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def _segment(value: dict) -> str:
    return b64url(jsonio.dumps(value))
