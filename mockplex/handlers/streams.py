"""Writing streamed answers frame by frame, as the real routes do (never one buffered body)."""

from __future__ import annotations

import asyncio
from typing import Any, Iterable

from aiohttp import web

from mockplex import jsonio
from mockplex.streamed import note_sent

SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "Connection": "keep-alive"}


async def open_stream(request: web.Request, headers: dict[str, str]) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers=headers)
    response.enable_chunked_encoding()
    await response.prepare(request)
    return response


async def send_frames(response: web.StreamResponse, frames: Iterable[bytes]) -> None:
    for frame in frames:
        await response.write(frame)
        note_sent(response, frame)
        await asyncio.sleep(0)  # let each frame leave as its own chunk


def data_frame(payload: Any) -> bytes:
    return b"data: " + jsonio.dumps(payload) + b"\n\n"
