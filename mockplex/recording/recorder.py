"""What the record proxy keeps of each exchange: redacted, in vcrpy's shapes, with the
chunk boundaries and delays of streamed answers and the scopes the token showed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import count
from typing import Any

from vcr.request import Request

from mockplex import __version__
from mockplex.clock import format_timestamp
from mockplex.recording.cassette_file import CassetteFile
from mockplex.recording.redaction import Redactor
from mockplex.routes import TABLE

_MISSING_SCOPE = re.compile(rb"Missing required scope: (read|write)\.")


@dataclass
class Exchange:
    """One forwarded request and the answer that came back, as seen on the wire."""

    method: str
    url: str
    path: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    reason: str = ""
    response_headers: dict[str, list[str]] = field(default_factory=dict)
    chunks: list[tuple[bytes, float]] = field(default_factory=list)  # (bytes, ms since the previous chunk)

    def header(self, name: str) -> str | None:
        values = [value for key, items in self.response_headers.items() if key.lower() == name for value in items]
        return ",".join(values) if values else None

    @property
    def streamed(self) -> bool:
        return "text/event-stream" in (self.header("content-type") or "") or self.header("content-length") is None


@dataclass
class Recorder:
    cassette: CassetteFile
    redactor: Redactor
    mode: str
    record_errors: bool
    recorded: int = 0
    skipped: int = 0
    _sequence: count = field(default_factory=lambda: count(10**6))

    @classmethod
    def provenance(cls, upstream: str) -> dict[str, Any]:
        return {"mockplex": {"version": __version__, "upstream": upstream,
                             "recorded_at": format_timestamp(datetime.now(timezone.utc)),
                             "token_scopes": {"read": None, "write": None}}}

    def next_sequence(self) -> int:
        return next(self._sequence)

    def keep(self, sequence: int, exchange: Exchange) -> bool:
        """Record one completed exchange if the mode and status allow; True when kept."""
        self._observe_scopes(exchange)
        if self.mode == "none" or (exchange.status >= 500 and not self.record_errors):
            self.skipped += 1
            return False
        self.cassette.add(sequence, self._request(exchange), self._response(exchange))
        self.recorded += 1
        return True

    def _request(self, exchange: Exchange) -> Request:
        headers = {name: self.redactor.header(name, value) for name, value in exchange.request_headers.items()}
        return Request(exchange.method, self.redactor.url(exchange.url), self.redactor.body(exchange.request_body),
                       headers)

    def _response(self, exchange: Exchange) -> dict[str, Any]:
        if exchange.streamed:
            pieces = [(self.redactor.chunk_text(chunk.decode("utf-8", "replace")).encode("utf-8"), delay)
                      for chunk, delay in exchange.chunks]
            body = b"".join(piece for piece, _ in pieces)
            chunks = [[len(piece), round(delay, 1)] for piece, delay in pieces]
        else:
            body = self.redactor.body(b"".join(chunk for chunk, _ in exchange.chunks)) or b""
            chunks = [[len(body), 0]]
        return {
            "status": {"code": exchange.status, "message": exchange.reason},
            "headers": self.redactor.headers(exchange.response_headers),
            "body": {"string": body},
            "url": self.redactor.url(exchange.url),
            "mockplex": {"chunks": chunks},
        }

    def _observe_scopes(self, exchange: Exchange) -> None:
        scopes = self.cassette.metadata["mockplex"]["token_scopes"]
        body = b"".join(chunk for chunk, _ in exchange.chunks)
        missing = _MISSING_SCOPE.search(body) if exchange.status == 403 else None
        if missing:
            scopes[missing.group(1).decode()] = False
            return
        spec = TABLE.spec_for(exchange.method, exchange.path)
        if spec is not None and spec.scope and 200 <= exchange.status < 300:
            scopes[spec.scope] = True
