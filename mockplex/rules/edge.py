"""The edge gate (the server's `proxy.ts`): runs before any route, on every path, and
answers with redirects or flat JSON, never the v1 envelope (internal spec §1.1).

Order: www redirect → end-to-end bypass (test mode only) → public paths → delegated
internal auth (sandbox subtree) → machine paths (cron secret) → the PAT allowlist and
v1's any-bearer rule → a valid browser session, else 307 to /login.
"""

from __future__ import annotations

import hmac
from urllib.parse import quote, urlsplit

from aiohttp import web

from mockplex import state
from mockplex.names import MCP_PATH, TOKEN_PREFIX, V1_PREFIX
from mockplex.replay.callers import recorded_caller
from mockplex.responses import empty, json_response, request_origin

PUBLIC_EXACT = frozenset({MCP_PATH, "/api/oauth/decision"})
PUBLIC_PREFIXES = ("/.well-known/", "/api/auth/", "/api/webhooks/")
PUBLIC_SUBTREES = ("/api/cli/latest",)
MACHINE_EXACT = frozenset({"/api/agent/review", "/api/jobs/process"})
MACHINE_PREFIXES = ("/api/cron/",)
PAT_EXACT = frozenset({
    "/api/settings", "/api/models", "/api/mcp-servers",
    "/api/cli/inference/chat/completions", "/api/cli/openai/chat/completions",
})
SANDBOX_SUBTREE = ("/api/sandbox",)


def in_subtree(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + "/") for root in roots)


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else None


def e2e_authorized(request: web.Request) -> bool:
    settings = request.app[state.SETTINGS]
    given = request.headers.get("x-mogplex-e2e-auth", "").strip()
    return settings.test_mode and bool(given) and same_secret(given, settings.e2e_secret)


def delegated_user(request: web.Request) -> str | None:
    """The user a valid delegated-internal call acts for (sandbox subtree only)."""
    secret = request.app[state.SETTINGS].internal_secret
    token = bearer_token(request)
    user = request.headers.get("X-Delegated-User-Id", "").strip()
    if secret and token is not None and same_secret(token, secret) and user:
        return user
    return None


def machine_refusal(request: web.Request) -> web.Response | None:
    secret = request.app[state.SETTINGS].cron_secret
    if not secret:
        return json_response({"error": "CRON_SECRET_NOT_CONFIGURED"}, 503)
    token = bearer_token(request)
    if token is None or not same_secret(token, secret):
        return json_response({"error": "Unauthorized"}, 401)
    return None


def gate_decision(request: web.Request) -> web.Response | None:
    """None lets the request through; otherwise the gate's own answer."""
    host, path = request.host, request.path
    if host.startswith("www."):
        return empty(308, {"Location": f"{request.scheme}://{host[4:]}{request.rel_url.raw_path_qs}"})
    if e2e_authorized(request):
        return None
    if not (path == "/api" or path.startswith("/api/")):
        return None
    if path in PUBLIC_EXACT or path.startswith(PUBLIC_PREFIXES) or in_subtree(path, PUBLIC_SUBTREES):
        return None
    if in_subtree(path, SANDBOX_SUBTREE) and delegated_user(request):
        return None
    if path in MACHINE_EXACT or path.startswith(MACHINE_PREFIXES):
        return machine_refusal(request)
    token = bearer_token(request)
    if path == V1_PREFIX or path.startswith(V1_PREFIX + "/"):
        if token is not None and token.strip():
            return None
    elif token is not None and token.startswith(TOKEN_PREFIX) and (path in PAT_EXACT or in_subtree(path, SANDBOX_SUBTREE)):
        return None
    world = request.app[state.WORLD]
    if world.sessions.resolve(request.cookies, request[state.NOW]) is not None or _recorded_session(request):
        return None
    return login_redirect(request)


def _recorded_session(request: web.Request) -> bool:
    """A session cookie a recorded caller carried, on a route the cassette answers."""
    from mockplex.replay.route import recorded_unlisted_route  # the table's handlers import this module
    from mockplex.rules.route_match import route_match

    cookie = {"Cookie": request.headers.get("Cookie", "")}
    spec = route_match(request).spec or recorded_unlisted_route(request, cookie)
    return recorded_caller(request, spec, cookie) is not None


def login_redirect(request: web.Request) -> web.Response:
    origin = request_origin(request)
    target = quote(request.rel_url.raw_path_qs, safe="-_.!~*'()")
    referer = request.headers.get("Referer", "")
    same_origin = bool(referer) and _origin_of(referer) == origin
    query = f"expired=true&next={target}" if same_origin else f"next={target}"
    return empty(307, {"Location": f"{origin}/login?{query}"})


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


@web.middleware
async def edge_gate(request: web.Request, handler) -> web.StreamResponse:
    decision = gate_decision(request)
    if decision is not None:
        return decision
    return await handler(request)
