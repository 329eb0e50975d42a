"""What a streamed answer sent, kept on its response for the journal (a streamed answer
has no body to read once it is done): its first MAX_KEPT bytes, or nothing when it sent
more, as the journal keeps no larger body. The chunks are kept as they were sent, by
reference, and joined once when the journal takes them."""

from __future__ import annotations

from aiohttp import web

MAX_KEPT = 65_536  # the journal's MAX_BODY

SENT = web.ResponseKey("sent", list)  # the chunks sent, while they fit in MAX_KEPT
SENT_BYTES = web.ResponseKey("sent_bytes", int)


def note_sent(response: web.StreamResponse, chunk: bytes) -> None:
    sent_bytes = response.get(SENT_BYTES, 0) + len(chunk)
    response[SENT_BYTES] = sent_bytes
    if sent_bytes > MAX_KEPT:
        response.pop(SENT, None)
    elif SENT in response:
        response[SENT].append(chunk)
    else:
        response[SENT] = [chunk]


def sent_body(response: web.StreamResponse) -> bytes | None:
    return b"".join(response.get(SENT, ())) or None
