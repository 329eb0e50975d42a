"""OAuth discovery documents (spec §11): public, cached for five minutes."""

from __future__ import annotations

from aiohttp import web

from mockplex.names import MCP_PATH, SCOPES
from mockplex.responses import json_response, request_origin

RESOURCE_DOCUMENTATION = (
    "https://github.com/mogplex/mogplex/blob/main/docs/mogplex-api-mcp/local-agent-automation.md"
)


async def protected_resource(call) -> web.Response:
    origin = request_origin(call.request)
    body = {
        "resource": f"{origin}{MCP_PATH}",
        "authorization_servers": [origin],
        "scopes_supported": list(SCOPES),
        "resource_documentation": RESOURCE_DOCUMENTATION,
    }
    return json_response(body, headers={"Cache-Control": "public, max-age=300"})


async def authorization_server(call) -> web.Response:
    origin = request_origin(call.request)
    auth = f"{origin}/api/auth/mcp"
    body = {
        "issuer": origin,
        "authorization_endpoint": f"{auth}/authorize",
        "token_endpoint": f"{auth}/token",
        "userinfo_endpoint": f"{auth}/userinfo",
        "jwks_uri": f"{auth}/jwks",
        "registration_endpoint": f"{auth}/register",
        "scopes_supported": ["openid", "profile", "email", "offline_access", *SCOPES],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
    }
    return json_response(body)
