"""The edge gate (the server's `proxy.ts`): runs before any route, on every path.

It answers with redirects, never JSON: a REST call with no bearer is sent to /login.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from aiohttp import web

from mockplex.responses import empty

V1_PREFIX = "/api/v1/mogplex"
PUBLIC_EXACT = frozenset({"/api/v1/mogplex/mcp", "/api/oauth/decision"})
PUBLIC_PREFIXES = ("/.well-known/", "/api/auth/", "/api/webhooks/")
PUBLIC_SUBTREES = ("/api/cli/latest",)
PAT_EXACT = frozenset({
    "/api/settings", "/api/models", "/api/mcp-servers",
    "/api/cli/inference/chat/completions", "/api/cli/openai/chat/completions",
})
PAT_SUBTREES = ("/api/sandbox",)


def _in_subtree(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + "/") for root in roots)


def _has_bearer(request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    return header.startswith("Bearer ") and bool(header[7:].strip())


def gate_decision(request: web.Request) -> web.Response | None:
    """None lets the request through; otherwise the gate's own answer."""
    host = request.host
    path = request.path
    if host.startswith("www."):
        target = f"{request.scheme}://{host[4:]}{request.rel_url.raw_path_qs}"
        return empty(308, {"Location": target})
    if not (path == "/api" or path.startswith("/api/")):
        return None
    if path in PUBLIC_EXACT or path.startswith(PUBLIC_PREFIXES) or _in_subtree(path, PUBLIC_SUBTREES):
        return None
    if path == V1_PREFIX or path.startswith(V1_PREFIX + "/"):
        if _has_bearer(request):
            return None
    elif request.headers.get("Authorization", "").startswith("Bearer mog_"):
        if path in PAT_EXACT or _in_subtree(path, PAT_SUBTREES):
            return None
    return login_redirect(request)


def login_redirect(request: web.Request) -> web.Response:
    origin = f"{request.scheme}://{request.host}"
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
