"""Headers every response carries: the app-wide security set, and X-Mockplex-Source.

They are not set among an answer's headers: the app's stamper (connection.STAMPER) names
them for each request, the writer adds them as it writes, the journal as it is read.
app.py installs it, with connection.stamp_on_prepare for the answers aiohttp writes."""

from __future__ import annotations

from aiohttp import web

from mockplex.connection import HeaderStamp, Stamper
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


def app_wide_headers(with_source: bool) -> Stamper:
    """The app's stamper: every answer of a request the rules layer took (a stream too)
    gets the security set, and X-Mockplex-Source naming what answered when it is on."""
    def stamp(request: web.BaseRequest) -> HeaderStamp | None:
        try:
            flow = request[FLOW]
        except KeyError:  # aiohttp's own answer to a request no layer saw
            return None
        if not flow.through_rules:
            return None
        return _with_source(flow.source) if with_source else WITHOUT_SOURCE
    return stamp


def _with_source(source: str) -> HeaderStamp:
    stamp = _WITH_SOURCE.get(source)
    if stamp is None:
        stamp = _WITH_SOURCE[source] = HeaderStamp({**SECURITY_HEADERS, SOURCE_HEADER: source})
    return stamp
