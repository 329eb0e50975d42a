"""Headers every response carries: the app-wide security set, and X-Mockplex-Source.

They are stamped on the answer (connection.HeaderStamp) rather than set among its headers:
the writer adds them as it writes, and the journal as it is read."""

from __future__ import annotations

from aiohttp import web

from mockplex.connection import HEADER_STAMP, HeaderStamp
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
WITHOUT_SOURCE = HeaderStamp(SECURITY_HEADERS)
_WITH_SOURCE: dict[str, HeaderStamp] = {}  # one stamp per Flow.source value


def add_headers(request: web.Request, response: web.StreamResponse, with_source: bool) -> None:
    """Stamps the answer with the app-wide headers (and the source): set as it is written."""
    response[HEADER_STAMP] = _with_source(request[FLOW].source) if with_source else WITHOUT_SOURCE


def _with_source(source: str) -> HeaderStamp:
    stamp = _WITH_SOURCE.get(source)
    if stamp is None:
        stamp = _WITH_SOURCE[source] = HeaderStamp({**SECURITY_HEADERS, SOURCE_HEADER: source})
    return stamp
