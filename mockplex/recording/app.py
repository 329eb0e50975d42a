"""The record-mode application: one catch-all forwarder, a cassette flushed on a timer
and on shutdown, and a summary when it stops; and the check that an upstream answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable

import aiohttp
from aiohttp import web
from vcr.record_mode import RecordMode

from mockplex.recording.cassette_file import CassetteFile
from mockplex.recording.proxy import RECORDER, SESSION, UPSTREAM, forward
from mockplex.recording.recorder import Recorder
from mockplex.recording.redaction import Redactor
from mockplex.routes import unlisted_route
from mockplex.rules.headers import SOURCE_HEADER
from mockplex.rules.route_match import route_match
from mockplex.settings import MAX_BODY_BYTES, Settings
from mockplex.state import COULD_NOT_LISTEN, FLOW, Handler, Step

log = logging.getLogger("mockplex.record")
PASSTHROUGH = web.AppKey("passthrough_recorder", Recorder)


@dataclass
class RecordSettings:
    upstream: str
    cassette: Path
    mode: str = RecordMode.ONCE.value
    record_errors: bool = False
    timeout_seconds: float = 30.0
    flush_seconds: float = 1.0
    redactor: Redactor | None = None


def build_record_app(settings: RecordSettings) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    attach_forwarding(app, settings)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def forwarder(settings: Settings, then: Step) -> Step:
    """The mock server's step for routes in record or passthrough mode, before `then`:
    they go upstream before any local rule, since the real server applies its own and
    knows routes the table lacks. It hands on the awaitable of whichever answers."""
    def forward_upstream(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        spec = route_match(request).spec or unlisted_route(request.method, request.rel_url.raw_path)
        mode = settings.mode_for(spec)
        if mode in ("record", "passthrough"):
            request[FLOW].source = mode
            added = {SOURCE_HEADER: mode} if settings.source_header else {}
            return forward(request, request.app[PASSTHROUGH] if mode == "passthrough" else None, added)
        return then(request, handler)
    return forward_upstream


def attach_passthrough(app: web.Application, settings: RecordSettings) -> None:
    """attach_forwarding, and a recorder for passthrough routes that keeps nothing."""
    attach_forwarding(app, settings)
    recorder = app[RECORDER]
    app[PASSTHROUGH] = Recorder(recorder.cassette, recorder.redactor, RecordMode.NONE.value, False)


def attach_forwarding(app: web.Application, settings: RecordSettings) -> None:
    """Give an app an upstream, a recorder with its cassette, and their lifecycle."""
    upstream = settings.upstream.rstrip("/")
    cassette = CassetteFile.open(settings.cassette, settings.mode, Recorder.provenance(upstream))
    app[UPSTREAM] = upstream
    app[COULD_NOT_LISTEN] = could_not_listen = asyncio.Event()
    redactor = settings.redactor or Redactor()
    if settings.mode == RecordMode.NEW_EPISODES and settings.cassette.is_file():
        redactor.continue_after(settings.cassette.read_text(encoding="utf-8"))
        redactor.recognise(cassette.metadata["mockplex"]["callers"])
    app[RECORDER] = Recorder(cassette, redactor, settings.mode, settings.record_errors)
    flusher: dict[str, asyncio.Task] = {}

    async def start(app: web.Application) -> None:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=settings.timeout_seconds,
                                        sock_read=settings.timeout_seconds)
        app[SESSION] = aiohttp.ClientSession(timeout=timeout, auto_decompress=False)
        flusher["task"] = asyncio.create_task(_flush_every(cassette, settings.flush_seconds))

    async def stop(app: web.Application) -> None:
        flusher["task"].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher["task"]
        await app[RECORDER].settle()
        cassette.flush()
        await app[SESSION].close()
        if not could_not_listen.is_set():
            _summarise(app[RECORDER], cassette)

    app.on_startup.append(start)
    app.on_cleanup.append(stop)


def _summarise(recorder: Recorder, cassette: CassetteFile) -> None:
    """Say what reached the file: a count and the path only when it was written."""
    if cassette.failure is not None:
        log.error("%d interaction(s) could not be written to %s (%s); the file holds the %d written before",
                  len(cassette.interactions) - cassette.written, cassette.path, cassette.failure, cassette.written)
    elif recorder.recorded:
        log.warning("recorded %d interaction(s) into %s (%d in the file; %d forwarded but not recorded)",
                    recorder.recorded, cassette.path, cassette.written, recorder.skipped)
    elif recorder.mode != RecordMode.NONE:
        unrecorded = f" ({recorder.skipped} 5xx answer(s) forwarded; --record-errors keeps them)" \
            if recorder.skipped else ""
        log.warning("recorded nothing%s; %s was not written", unrecorded, cassette.path)


class UpstreamUnreachable(Exception):
    """The upstream gave no HTTP answer; the message names it and says why."""


async def probe_upstream(upstream: str, timeout_seconds: float) -> float:
    """Seconds the upstream took to answer one HEAD of `/`: any HTTP answer counts."""
    started = time.perf_counter()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_seconds)) as session:
            async with session.head(upstream.rstrip("/") + "/", allow_redirects=False):
                return time.perf_counter() - started
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
        raise UpstreamUnreachable(f"upstream {upstream} did not answer: {_why(error, timeout_seconds)}") from None


def _why(error: BaseException, timeout_seconds: float) -> str:
    if isinstance(error, asyncio.TimeoutError):  # aiohttp's ServerTimeoutError is one too
        return f"no answer within {timeout_seconds:g} s (--upstream-timeout)"
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        certificate = error.certificate_error
        return f"TLS certificate refused: {getattr(certificate, 'verify_message', None) or certificate}"
    if isinstance(error, aiohttp.ClientSSLError):
        return f"TLS failed: {error.os_error}"
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve {error.host}"
    if isinstance(error, aiohttp.ClientConnectorError):
        cause = error.os_error
        return "connection refused" if isinstance(cause, ConnectionRefusedError) else cause.strerror or str(cause)
    return str(error) or type(error).__name__


async def _flush_every(cassette: CassetteFile, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(seconds)
        await loop.run_in_executor(None, cassette.flush)
