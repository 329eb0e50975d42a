"""The edge gate (the server's `proxy.ts`): runs before any route, on every path, and
answers with redirects or flat JSON, never the v1 envelope (internal spec §1.1).

Order: www redirect → end-to-end bypass (test mode only) → public paths → delegated
internal auth (sandbox subtree) → machine paths (cron secret) → the PAT allowlist and
v1's any-bearer rule → a valid browser session, else 307 to /login.
"""

from __future__ import annotations

import hmac
import re
from functools import lru_cache
from urllib.parse import urlsplit

from aiohttp import web

from mockplex import state
from mockplex.jsvalues import search_param
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
# Paths the proxy's matcher leaves out: they never reach the gate, whatever they name.
OUTSIDE_MATCHER = re.compile(r"/(?:_next/static|_next/image|favicon.ico|fonts/|.*\.(?:svg|png|jpg|jpeg|gif|webp)$)")
DEFAULT_PORTS = {"http": 80, "https": 443}


def in_subtree(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + "/") for root in roots)


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else None


def configured(secret: str | None) -> str:
    """The server reads every secret from its environment trimmed; blank is unset."""
    return (secret or "").strip()


def e2e_authorized(request: web.Request) -> bool:
    settings = request.app[state.SETTINGS]
    if not settings.test_mode:
        return False
    given = request.headers.get("x-mogplex-e2e-auth", "").strip()
    expected = configured(settings.e2e_secret)
    return bool(given) and bool(expected) and same_secret(given, expected)


@lru_cache(maxsize=4096)  # a path's place in the gate's rules never changes
def path_kind(path: str) -> str:
    """Which of the gate's rules a path falls under, in the order the gate asks."""
    if OUTSIDE_MATCHER.match(path):
        return "outside"
    if not (path == "/api" or path.startswith("/api/")):
        return "not_api"
    if path in PUBLIC_EXACT or path.startswith(PUBLIC_PREFIXES) or in_subtree(path, PUBLIC_SUBTREES):
        return "public"
    if in_subtree(path, SANDBOX_SUBTREE):
        return "sandbox"
    if path in MACHINE_EXACT or path.startswith(MACHINE_PREFIXES):
        return "machine"
    if path == V1_PREFIX or path.startswith(V1_PREFIX + "/"):
        return "v1"
    return "pat_allowed" if path in PAT_EXACT else "session_only"


def delegated_user(request: web.Request) -> str | None:
    """The user a valid delegated-internal call acts for (sandbox subtree only)."""
    secret = configured(request.app[state.SETTINGS].internal_secret)
    token = bearer_token(request)
    user = request.headers.get("X-Delegated-User-Id", "").strip()
    if secret and token is not None and same_secret(token, secret) and user:
        return user
    return None


def machine_refusal(request: web.Request) -> web.Response | None:
    secret = configured(request.app[state.SETTINGS].cron_secret)
    if not secret:
        return json_response({"error": "CRON_SECRET_NOT_CONFIGURED"}, 503)
    token = bearer_token(request)
    if token is None or not same_secret(token, secret):
        return json_response({"error": "Unauthorized"}, 401)
    return None


def gate_decision(request: web.Request) -> web.Response | None:
    """None lets the request through; otherwise the gate's own answer."""
    host = request.host
    kind = path_kind(request.path)
    if kind == "outside":
        return None
    if host.lower().startswith("www."):
        return empty(308, {"Location": f"{request.scheme}://{host[4:].lower()}{_path_and_search(request)}"})
    if kind in ("not_api", "public") or e2e_authorized(request):
        return None
    if kind == "sandbox" and delegated_user(request):
        return None
    if kind == "machine":
        return machine_refusal(request)
    token = bearer_token(request)
    if kind == "v1":
        if token is not None and token.strip():
            return None
    elif token is not None and token.startswith(TOKEN_PREFIX) and kind in ("pat_allowed", "sandbox"):
        return None
    world = request.app[state.WORLD]
    flow = request[state.FLOW]
    if world.sessions.resolve(request.cookies, flow.now) is not None or _recorded_session(request):
        flow.session_gated = True
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
    """`/login` on the request's origin; `expired=true` first when the Referer shares that
    origin; `next` is pathname + search, form-encoded as URLSearchParams writes it."""
    origin = url_origin(request_origin(request) + "/")
    target = search_param(_path_and_search(request))
    referer = request.headers.get("Referer", "")
    same_origin = bool(referer) and url_origin(referer) == origin
    query = f"expired=true&next={target}" if same_origin else f"next={target}"
    return empty(307, {"Location": f"{origin}/login?{query}"})


def _path_and_search(request: web.Request) -> str:
    """What a WHATWG URL gives as pathname + search: an empty query is no search."""
    url = request.rel_url
    query = url.raw_query_string.replace("'", "%27")
    return url.raw_path + (f"?{query}" if query else "")


def url_origin(url: str) -> str | None:
    """A URL's origin as `new URL(url).origin` spells it (lowercase host, no default port)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    shown_port = f":{port}" if port is not None and port != DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{host}{shown_port}"
