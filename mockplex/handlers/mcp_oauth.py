"""The better-auth `mcp` plugin's endpoints under /api/auth (the server's hosted MCP OAuth
provider): /mcp/authorize here with the plugin's discovery documents and /mcp/get-session;
/mcp/token and /mcp/register in their own modules. The plugin serves no /mcp/userinfo
or /mcp/jwks, though its metadata names them: those stay the router's empty 404.

The server configures it with loginPage /login, scopes read and write (default "read
write"), PKCE required (S256 only) and no consent page."""

from __future__ import annotations

from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers import mcp_oauth_register, mcp_oauth_token
from mockplex.handlers.better_auth_wire import base_url, redirect, respond, signed_value
from mockplex.handlers.mcp_oauth_wire import CORS, message_error, refusals_answered
from mockplex.jsvalues import js_iso, search_params
from mockplex.names import MCP_PATH
from mockplex.responses import request_origin
from mockplex.world.mcp_oauth import CODE_LIFETIME, DIGITS, LETTERS, AuthorizationCode, TokenPair

SCOPES = ("openid", "profile", "email", "offline_access", "read", "write")
DEFAULT_SCOPE = ("read", "write")
LOGIN_PAGE = "/login"
PROMPT_COOKIE_SECONDS = 600
_BASE_SCOPES = ["openid", "profile", "email", "offline_access"]


@refusals_answered
async def authorize(call: Call) -> web.StreamResponse:
    query = _query(call)
    session = call.world.sessions.resolve(call.request.cookies, call.now)
    if session is None or session.user_id not in call.world.users:
        return _to_login(call, query)
    client_id, redirect_uri = query.get("client_id"), query.get("redirect_uri")
    if not client_id:
        return _to_error_page(call, "invalid_client")
    if not query.get("response_type"):
        return _back_with_error(f"{base_url(call)}/error", "invalid_request", "response_type is required")
    client = call.world.mcp_oauth.clients.get(client_id) if isinstance(client_id, str) else None
    if client is None:
        return _to_error_page(call, "invalid_client")
    if not redirect_uri or redirect_uri not in client.redirect_urls:
        raise message_error(400, "Invalid redirect URI", headers=CORS)
    if client.disabled:
        return _to_error_page(call, "client_disabled")
    if query["response_type"] != "code":
        return _to_error_page(call, "unsupported_response_type")
    scopes = _requested_scopes(query)
    invalid = [scope for scope in scopes if scope not in SCOPES]
    if invalid:
        return _back_with_error(redirect_uri, "invalid_scope", f"The following scopes are invalid: {', '.join(invalid)}")
    challenge, method = query.get("code_challenge"), query.get("code_challenge_method")
    if not challenge or not method:
        return _back_with_error(redirect_uri, "invalid_request", "pkce is required")
    if str(method).lower() != "s256":
        return _back_with_error(redirect_uri, "invalid_request", "invalid code_challenge method")
    code = AuthorizationCode(call.world.ids.random_text(LETTERS + DIGITS), client.client_id, redirect_uri,
                             scopes, session.user_id, challenge, "s256", query.get("nonce"),
                             call.now + CODE_LIFETIME)
    call.world.mcp_oauth.issue_code(code)
    state = query.get("state")
    return _cors_redirect(with_params(redirect_uri, [("code", code.code)] + ([("state", state)] if state else [])))


def _query(call: Call) -> dict[str, Any]:
    """better-call's ctx.query: each parameter once, a repeated one as a list."""
    query: dict[str, Any] = {}
    for name, value in parse_qsl(call.request.raw_path.partition("?")[2], keep_blank_values=True):
        if name in query:
            query[name] = [*query[name], value] if isinstance(query[name], list) else [query[name], value]
        else:
            query[name] = value
    return query


def _to_login(call: Call, query: dict[str, Any]) -> web.Response:
    """No session: the query is kept in a signed cookie for after sign-in, and the login page
    gets the raw query (what JavaScript's `url.split("?")[1]` leaves: `undefined` for none)."""
    pieces = call.request.raw_path.split("?")
    prompt = jsonio.dumps(query).decode()
    cookie = f"oidc_login_prompt={signed_value(prompt)}; Max-Age={PROMPT_COOKIE_SECONDS}; Path=/; SameSite=Lax"
    return _cors_redirect(f"{LOGIN_PAGE}?{pieces[1] if len(pieces) > 1 else 'undefined'}", [cookie])


def _requested_scopes(query: dict[str, Any]) -> tuple[str, ...]:
    if "scope" not in query:
        return DEFAULT_SCOPE
    return tuple(scope for scope in str(query["scope"]).split(" ") if scope)


def _to_error_page(call: Call, error: str) -> web.Response:
    return _cors_redirect(f"{base_url(call)}/error?error={error}")


def _back_with_error(redirect_uri: str, error: str, description: str) -> web.Response:
    """The plugin's redirectErrorURL: appended as is, nothing encoded."""
    joiner = "&" if "?" in redirect_uri else "?"
    return _cors_redirect(f"{redirect_uri}{joiner}error={error}&error_description={description}")


def _cors_redirect(location: str, cookies: list[str] = ()) -> web.Response:
    response = redirect(location, list(cookies))
    response.headers.update(CORS)
    return response


def with_params(uri: str, updates: list[tuple[str, str]]) -> str:
    """`new URL(uri)` with searchParams.set for each update: the query re-serialised."""
    parts = urlsplit(uri)
    params = parse_qsl(parts.query, keep_blank_values=True)
    for name, value in updates:
        first = next((index for index, (key, _) in enumerate(params) if key == name), None)
        if first is None:
            params.append((name, value))
        else:
            params = [(key, value if index == first else old) for index, (key, old) in enumerate(params)
                      if key != name or index == first]
    path = parts.path or ("/" if parts.scheme in ("http", "https") else "")
    return urlunsplit((parts.scheme, parts.netloc, path, search_params(params), parts.fragment))


# -- the plugin's other GET endpoints -----------------------------------------------------------

async def mcp_session(call: Call) -> web.Response:
    """/mcp/get-session: the live token row a bearer names, else null."""
    header = call.request.headers.get("Authorization")
    token = header.replace("Bearer ", "", 1) if header else ""
    pair = call.world.mcp_oauth.by_access_token(token) if token else None
    if pair is None or pair.access_expires_at < call.now:
        return respond(None)
    return respond(token_row_json(pair))


def token_row_json(pair: TokenPair) -> dict:
    """An oauthAccessToken row as the adapter outputs it: schema field order, the id last."""
    return {"accessToken": pair.access_token, "refreshToken": pair.refresh_token,
            "accessTokenExpiresAt": js_iso(pair.access_expires_at),
            "refreshTokenExpiresAt": js_iso(pair.refresh_expires_at), "clientId": pair.client_id,
            "userId": pair.user_id, "scopes": pair.scopes, "createdAt": js_iso(pair.created_at),
            "updatedAt": js_iso(pair.created_at), "id": pair.id}


async def authorization_server_metadata(call: Call) -> web.Response:
    base = base_url(call)
    return respond({
        "issuer": request_origin(call.request),
        "authorization_endpoint": f"{base}/mcp/authorize", "token_endpoint": f"{base}/mcp/token",
        "userinfo_endpoint": f"{base}/mcp/userinfo", "jwks_uri": f"{base}/mcp/jwks",
        "registration_endpoint": f"{base}/mcp/register", "scopes_supported": _BASE_SCOPES,
        "response_types_supported": ["code"], "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "acr_values_supported": ["urn:mace:incommon:iap:silver", "urn:mace:incommon:iap:bronze"],
        "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "nbf", "iat", "jti", "email", "email_verified", "name"],
    })


async def protected_resource_metadata(call: Call) -> web.Response:
    origin = request_origin(call.request)
    return respond({"resource": f"{origin}{MCP_PATH}", "authorization_servers": [origin],
                    "jwks_uri": f"{base_url(call)}/mcp/jwks", "scopes_supported": _BASE_SCOPES,
                    "bearer_methods_supported": ["header"], "resource_signing_alg_values_supported": ["RS256"]})


ENDPOINTS: dict[tuple[str, str], Callable[[Call], Awaitable[web.StreamResponse]]] = {
    ("GET", "/mcp/authorize"): authorize,
    ("POST", "/mcp/token"): mcp_oauth_token.token,
    ("POST", "/mcp/register"): mcp_oauth_register.register,
    ("GET", "/mcp/get-session"): mcp_session,
    ("GET", "/.well-known/oauth-authorization-server"): authorization_server_metadata,
    ("GET", "/.well-known/oauth-protected-resource"): protected_resource_metadata,
}
