"""Headers every response carries: the app-wide security set, and X-Mockplex-Source."""

from __future__ import annotations

from aiohttp import web

from mockplex.state import FLOW

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "Content-Security-Policy": (
        "default-src 'self'; base-uri 'self'; frame-ancestors 'none'; object-src 'none'; "
        "form-action 'self'; img-src 'self' data: blob: https:; font-src 'self' data:; "
        "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
        "connect-src 'self' https: wss:; upgrade-insecure-requests"
    ),
}
SOURCE_HEADER = "X-Mockplex-Source"


def add_headers(request: web.Request, response: web.StreamResponse, with_source: bool) -> None:
    response.headers.update(SECURITY_HEADERS)
    if with_source:
        response.headers[SOURCE_HEADER] = request[FLOW].source
