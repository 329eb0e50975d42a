"""The record-mode application: one catch-all forwarder, a cassette flushed on a timer
and on shutdown, and a summary when it stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from vcr.record_mode import RecordMode

from mockplex.recording.cassette_file import CassetteFile
from mockplex.recording.proxy import RECORDER, SESSION, UPSTREAM, forward
from mockplex.recording.recorder import Recorder
from mockplex.recording.redaction import Redactor
from mockplex.settings import MAX_BODY_BYTES

log = logging.getLogger("mockplex.record")
DEFAULT_UPSTREAM = "https://mogplex.com"
# vcrpy's modes less ANY, which mockplex does not offer, in the order the help lists them.
RECORD_MODES = tuple(mode.value for mode in (RecordMode.ONCE, RecordMode.NEW_EPISODES, RecordMode.ALL,
                                             RecordMode.NONE))


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


def attach_forwarding(app: web.Application, settings: RecordSettings) -> None:
    """Give an app an upstream, a recorder with its cassette, and their lifecycle."""
    upstream = settings.upstream.rstrip("/")
    cassette = CassetteFile.open(settings.cassette, settings.mode, Recorder.provenance(upstream))
    app[UPSTREAM] = upstream
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
        recorder = app[RECORDER]
        if cassette.failure is not None:
            log.error("%d interaction(s) could not be written to %s (%s); the file holds the %d written before",
                      len(cassette.interactions) - cassette.written, cassette.path, cassette.failure,
                      cassette.written)
        elif recorder.mode != RecordMode.NONE:
            log.warning("recorded %d interaction(s) into %s (%d in the file; %d forwarded but not recorded)",
                        recorder.recorded, cassette.path, cassette.written, recorder.skipped)

    app.on_startup.append(start)
    app.on_cleanup.append(stop)


async def _flush_every(cassette: CassetteFile, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(seconds)
        await loop.run_in_executor(None, cassette.flush)
