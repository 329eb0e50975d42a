"""Which requests may use the admin API.

A loopback caller is not enough: any web page the user's browser opens is a loopback
caller too. So the admin API also refuses requests addressed to a foreign name (DNS
rebinding), cross-origin browser requests (CSRF), and writes that are not JSON (the
form and text/plain posts a page may send without asking).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from urllib.parse import urlsplit

from aiohttp import web

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def refusal(request: web.Request, bound_host: str) -> str | None:
    """Why this request may not use the admin API, or None when it may."""
    host = request.headers.get("Host")  # absent only from HTTP/1.0 clients, never from a browser
    if host is not None and not addressed_here(request, host, bound_host):
        return f"the admin API answers only requests addressed to loopback or {bound_host}, not Host {host!r}"
    origin = request.headers.get("Origin")
    if origin is not None and (host is None or not _same_origin(origin, request.scheme, host)):
        return f"the admin API refuses cross-origin requests (Origin {origin!r})"
    site = request.headers.get("Sec-Fetch-Site")
    if site not in (None, "same-origin", "none") and not (site == "same-site" and origin is not None):
        return f"the admin API refuses browser requests with Sec-Fetch-Site {site!r}"
    if request.method in WRITE_METHODS and request.body_exists and request.content_type != "application/json":
        return "admin writes need Content-Type: application/json"
    return None


def token_matches(given: str, token: str) -> bool:
    """Constant time, whatever the lengths; header bytes that are not UTF-8 arrive as
    surrogates, which surrogatepass encodes instead of failing."""
    digests = (hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest() for text in (given, token))
    return hmac.compare_digest(*digests)


def _host_and_port(host: str) -> tuple[str, int | None] | None:
    try:
        parts = urlsplit(f"//{host}")
        port = parts.port
    except ValueError:
        return None
    if parts.netloc != host or parts.username is not None or not parts.hostname:
        return None
    return parts.hostname, port


def addressed_here(request: web.Request, host: str, bound_host: str) -> bool:
    found = _host_and_port(host)
    if found is None:
        return False
    name = found[0]
    socket_address = request.transport.get_extra_info("sockname") if request.transport else None
    here = {bound_host.lower(), *([str(socket_address[0]).lower()] if socket_address else [])}
    return name == "localhost" or name.endswith(".localhost") or is_loopback(name) or name in here


def is_loopback(address: str | None) -> bool:
    """A loopback IP address (127.x.x.x, ::1), zone index allowed."""
    try:
        return address is not None and ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def _same_origin(origin: str, scheme: str, host: str) -> bool:
    origin_scheme, separator, origin_host = origin.partition("://")
    if not separator or origin_scheme.lower() != scheme:
        return False
    ours, theirs = _host_and_port(host), _host_and_port(origin_host)
    if ours is None or theirs is None:
        return False
    default = DEFAULT_PORTS.get(scheme)
    return (theirs[0], theirs[1] or default) == (ours[0], ours[1] or default)
