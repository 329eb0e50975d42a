"""What a streamed answer sent, kept on its response for the journal (a streamed answer
has no body to read once it is done): its first MAX_KEPT bytes, or nothing when it sent
more, as the journal keeps no larger body."""

from __future__ import annotations

from aiohttp import web

MAX_KEPT = 65_536  # the journal's MAX_BODY

SENT = web.ResponseKey("sent", bytearray)
OVERFLOWED = web.ResponseKey("sent_overflowed", bool)


def note_sent(response: web.StreamResponse, chunk: bytes) -> None:
    if response.get(OVERFLOWED):
        return
    kept = response.setdefault(SENT, bytearray())
    if len(kept) + len(chunk) > MAX_KEPT:
        response[OVERFLOWED] = True
        del response[SENT]
        return
    kept += chunk


def sent_body(response: web.StreamResponse) -> bytes | None:
    kept = response.get(SENT)
    return bytes(kept) if kept else None
