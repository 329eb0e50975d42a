"""Moving absolute URLs from one origin to another, as reverse proxies do (nginx's
proxy_redirect, http-proxy's changeOrigin and autoRewrite).

A server names itself from the Host it was called at: redirects, challenges and OAuth
discovery documents carry its origin. Between a client and a recorder, or a replaying
server, that origin must be the one the client called, or the client leaves it.
Only the exact origin is moved: `http://host:8000` never touches `http://host:80001`,
`http://host:8000.example.com` or `http://host:8000@elsewhere`.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from yarl import URL

# Headers whose value holds a URL or an origin: answer headers, then the request's own.
URL_HEADERS = frozenset({"location", "content-location", "www-authenticate", "link", "refresh",
                         "access-control-allow-origin", "origin", "referer"})


def origin_of(url: str) -> str | None:
    """scheme://host[:port] as a server spells itself: lower case, no default port."""
    try:
        return str(URL(url).origin())
    except (ValueError, TypeError):
        return None


def carries_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media in ("application/json", "text/event-stream") or media.endswith("+json")


class OriginRewrite:
    """`source`'s URLs moved to `target`: anywhere in the URL headers, and in JSON only in
    strings that are or begin with the origin (a quoted URL inside a string, as in an
    HTML attribute, counts: it is just as much a link)."""

    def __init__(self, source: str, target: str) -> None:
        self.target = target
        self._target_in_json = json.dumps(target)[1:-1].encode()  # a Host header can hold a quote
        escaped = re.escape(source)
        self._in_header = re.compile(rf"(?<![\w.+-]){escaped}(?=[/?#\"'>;,\s]|$)", re.IGNORECASE)
        self._in_json = re.compile(rf'(?<="){escaped}(?=[/?#"])'.encode(), re.IGNORECASE)
        self._quoted = b'"' + source.lower().encode()

    def header(self, name: str, value: str) -> str:
        if name.lower() not in URL_HEADERS:
            return value
        return self._in_header.sub(lambda _: self.target, value)

    def body(self, data: bytes) -> bytes:
        return self._in_json.sub(lambda _: self._target_in_json, data)

    def stream(self, rewriting: bool) -> BodyStream:
        """A body passed on chunk by chunk; rewritten only when `rewriting` (a JSON one)."""
        return BodyStream(self, rewriting)

    def partial_match_start(self, data: bytes) -> int:
        """Where a match that the next bytes may complete begins, else len(data)."""
        quote = data.rfind(b'"', max(0, len(data) - len(self._quoted)))
        if quote != -1 and self._quoted.startswith(data[quote:].lower()):
            return quote
        return len(data)


@lru_cache(maxsize=256)  # a handful of origins, compiled once instead of on every request
def rewrite_between(source: str, target: str) -> OriginRewrite:
    return OriginRewrite(source, target)


class BodyStream:
    """A rewrite chunk by chunk: each chunk goes on at once, less any tail that could
    begin the origin, which waits for the next chunk."""

    def __init__(self, rewrite: OriginRewrite, rewriting: bool) -> None:
        self._rewrite, self._rewriting, self._held = rewrite, rewriting, b""

    def feed(self, chunk: bytes) -> bytes:
        if not self._rewriting:
            return chunk
        data = self._held + chunk
        cut = self._rewrite.partial_match_start(data)
        self._held = data[cut:]
        return self._rewrite.body(data[:cut])

    def finish(self) -> bytes:
        """What was held back: at the end it can no longer become a match."""
        held, self._held = self._held, b""
        return held
