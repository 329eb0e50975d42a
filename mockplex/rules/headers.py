"""Headers every response carries: the app-wide security set, and X-Mockplex-Source.

They are not set among an answer's headers: they follow from the request's Flow
(app_wide_stamp), which the app's stamper (connection.STAMPER) reads for the writer to add
them as it writes, and the journal when an entry is read.
app.py installs it, with connection.stamp_on_prepare for the answers aiohttp writes."""

from __future__ import annotations

from typing import Callable

from aiohttp import web

from mockplex.connection import HeaderStamp, Stamper
from mockplex.state import FLOW, Flow

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


FlowStamp = Callable[[Flow], "HeaderStamp | None"]


def app_wide_stamp(with_source: bool) -> FlowStamp:
    """The app-wide headers a request's answers take, by what its Flow says: the security
    set for a request the rules layer took (a stream too), and X-Mockplex-Source naming
    what answered when `with_source` is on."""
    if with_source:
        def with_source_stamp(flow: Flow) -> HeaderStamp | None:
            if not flow.through_rules:
                return None
            return _WITH_SOURCE.get(flow.source) or _new_source_stamp(flow.source)  # a hit, in place, on most answers
        return with_source_stamp
    return lambda flow: WITHOUT_SOURCE if flow.through_rules else None


def flow_stamper(stamp_of: FlowStamp) -> Stamper:
    """The app's stamper (connection.STAMPER): a request's stamp, by its Flow."""
    def stamp(request: web.BaseRequest) -> HeaderStamp | None:
        try:
            flow = request[FLOW]
        except KeyError:  # aiohttp's own answer to a request no layer saw
            return None
        return stamp_of(flow)
    return stamp


def _new_source_stamp(source: str) -> HeaderStamp:
    """The stamp for a source not seen before, kept for the next answer it gives."""
    stamp = _WITH_SOURCE[source] = HeaderStamp({**SECURITY_HEADERS, SOURCE_HEADER: source})
    return stamp
