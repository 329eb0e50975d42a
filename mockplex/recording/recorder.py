"""What the record proxy keeps of each exchange: redacted, in vcrpy's shapes, with the
chunk boundaries and delays of streamed answers, and per caller the SHA-256 of its
credential and the scopes its answers showed (see replay/callers.py)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import count, pairwise
from typing import Any

from vcr.record_mode import RecordMode
from vcr.request import Request

from mockplex import __version__
from mockplex.clock import format_timestamp
from mockplex.recording.cassette_file import CassetteFile
from mockplex.recording.decoding import UndecodableBody, content_coded, decoded_chunks
from mockplex.recording.redaction import Redactor
from mockplex.replay.callers import (
    NO_CREDENTIAL,
    caller_of,
    credential_of,
    header_value,
    learn_scopes,
    unknown_scopes,
)
from mockplex.world.tokens import sha256_hex


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
    route_scope: str | None = None  # the scope the listed route checks, if it checks one

    def header(self, name: str) -> str | None:
        values = [value for key, items in self.response_headers.items() if key.lower() == name for value in items]
        return ",".join(values) if values else None

    @property
    def event_stream(self) -> bool:
        return "text/event-stream" in (self.header("content-type") or "")

    @property
    def streamed(self) -> bool:
        return self.event_stream or self.header("content-length") is None


@dataclass
class Recorder:
    cassette: CassetteFile
    redactor: Redactor
    mode: str
    record_errors: bool
    recorded: int = 0
    skipped: int = 0
    _sequence: count = field(default_factory=lambda: count(10**6))
    # keep() runs in worker threads; one at a time, so placeholders are numbered in one sequence.
    _keeping: threading.Lock = field(default_factory=threading.Lock)
    _pending: set[asyncio.Future] = field(default_factory=set)

    @classmethod
    def provenance(cls, upstream: str) -> dict[str, Any]:
        return {"mockplex": {"version": __version__, "upstream": upstream,
                             "recorded_at": format_timestamp(datetime.now(timezone.utc)),
                             "callers": {}}}

    def next_sequence(self) -> int:
        return next(self._sequence)

    async def keep_beside_the_loop(self, sequence: int, exchange: Exchange) -> bool:
        """keep() in a worker thread: redacting a large answer takes a while, and other
        clients are answered meanwhile. Shielded, so a stop that cancels the handler
        still finds the work in `settle`."""
        future = asyncio.get_running_loop().run_in_executor(None, self.keep, sequence, exchange)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return await asyncio.shield(future)

    async def settle(self) -> None:
        """Every keep still running, finished: the last flush must not miss one."""
        await asyncio.gather(*self._pending, return_exceptions=True)

    def keep(self, sequence: int, exchange: Exchange) -> bool:
        """Record one completed exchange if the mode and status allow; True when kept."""
        with self._keeping:
            return self._keep(sequence, exchange)

    def _keep(self, sequence: int, exchange: Exchange) -> bool:
        if self.mode == RecordMode.NONE or (exchange.status >= 500 and not self.record_errors):
            self.skipped += 1
            return False
        try:
            request = self._request(exchange)
            response = self._response(exchange)
        except UndecodableBody as error:
            return self.cassette.refuse(sequence, self._bare_request(exchange), str(error))
        self._observe_caller(request, exchange, response["body"]["string"])
        self.cassette.add(sequence, request, response)
        self.recorded += 1
        return True

    def _request(self, exchange: Exchange) -> Request:
        """The request with a content-coded body stored decoded, so its secrets are found."""
        headers, body = exchange.request_headers, exchange.request_body
        encoding, content_type = header_value(headers, "content-encoding"), header_value(headers, "content-type")
        if body and content_coded(encoding):
            body = b"".join(decoded_chunks([body], encoding))
            headers = {name: value for name, value in headers.items() if name.lower() != "content-encoding"}
        return Request(exchange.method, self.redactor.url(exchange.url), self.redactor.body(body, content_type),
                       {name: self.redactor.request_header(name, value) for name, value in headers.items()})

    def _bare_request(self, exchange: Exchange) -> Request:
        """What a refusal names: the method and the redacted URL, no body."""
        return Request(exchange.method, self.redactor.url(exchange.url), b"", {})

    def _response(self, exchange: Exchange) -> dict[str, Any]:
        """The decoded answer, redacted whole (never chunk by chunk); a streamed answer
        keeps each chunk's place and delay."""
        encoding = exchange.header("content-encoding")
        pieces = decoded_chunks([chunk for chunk, _ in exchange.chunks], encoding)
        segments = self.redactor.segments(b"".join(pieces), exchange.event_stream, exchange.header("content-type"))
        body = b"".join(redacted for _, redacted in segments)
        if exchange.streamed:
            sizes = _chunk_sizes([len(piece) for piece in pieces], segments)
            chunks = [[size, round(delay, 1)] for size, (_, delay) in zip(sizes, exchange.chunks, strict=True)]
        else:
            chunks = [[len(body), 0]]
        headers = _stored_headers(exchange.response_headers, len(body), decoded=content_coded(encoding))
        return {
            "status": {"code": exchange.status, "message": exchange.reason},
            "headers": self.redactor.headers(headers),
            "body": {"string": body},
            "url": self.redactor.url(exchange.url),
            "mockplex": {"chunks": chunks},
        }

    def _observe_caller(self, request: Request, exchange: Exchange, decoded_body: bytes) -> None:
        """The caller's hash and the scopes its answer showed, read from the decoded body
        (a gzip 403 names its missing scope too)."""
        caller = caller_of(request.headers)
        if caller == NO_CREDENTIAL:
            return
        digest = sha256_hex(credential_of(exchange.request_headers) or "")

        def note(metadata: dict[str, Any]) -> None:
            seen = metadata["mockplex"]["callers"].setdefault(caller, {"sha256": digest, "scopes": unknown_scopes()})
            learn_scopes(seen["scopes"], exchange.route_scope, exchange.status, decoded_body)

        self.cassette.update_metadata(note)


def _chunk_sizes(lengths: list[int], segments: list[tuple[int, bytes]]) -> list[int]:
    """Each chunk's size in the redacted body: where a chunk ended in the upstream's body,
    moved to the same place in the redacted one (one pass over chunks and segments)."""
    ends, upstream_end, index, before, after = [], 0, 0, 0, 0
    for length in lengths:
        upstream_end += length
        while index < len(segments) and upstream_end >= before + segments[index][0]:
            before, after, index = before + segments[index][0], after + len(segments[index][1]), index + 1
        inside = min(upstream_end - before, len(segments[index][1])) if index < len(segments) else 0
        ends.append(after + inside)
    return [end - start for start, end in pairwise([0, *ends])]


def _stored_headers(headers: dict[str, list[str]], length: int, decoded: bool) -> dict[str, list[str]]:
    """The headers that describe the stored body: decoded, so no Content-Encoding, and
    its own Content-Length."""
    stored = {}
    for name, values in headers.items():
        if name.lower() == "content-encoding" and decoded:
            continue
        stored[name] = [str(length)] if name.lower() == "content-length" else values
    return stored
