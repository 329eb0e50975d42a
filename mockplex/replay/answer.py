"""Turning a recorded interaction back into an HTTP answer: status, headers, body, the
recorded chunk boundaries and delays, and the caller's own JSON-RPC ids on MCP."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.names import MCP_PATH
from mockplex.origins import OriginRewrite, carries_json, origin_of, rewrite_between
from mockplex.replay.recorded import Recorded
from mockplex.responses import request_origin
from mockplex.streamed import note_sent

SKIPPED_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server",
                             "proxy-authenticate", "te", "trailer", "upgrade"})


def recorded_body(response: dict[str, Any]) -> bytes:
    body = response.get("body", {}).get("string", b"")
    return body.encode("utf-8") if isinstance(body, str) else (body or b"")


def with_caller_ids(body: bytes, recorded_request: Any, caller_request: Any) -> bytes:
    """Answer with the caller's JSON-RPC ids: the recorded ones matched by position."""
    pairs = zip(recorded_request if isinstance(recorded_request, list) else [recorded_request],
                caller_request if isinstance(caller_request, list) else [caller_request], strict=False)
    ids = {json.dumps(old.get("id")): new.get("id") for old, new in pairs
           if isinstance(old, dict) and isinstance(new, dict) and "id" in old}
    try:
        answer = json.loads(body)
    except ValueError:
        return body

    def rewrite(message: Any) -> Any:
        if isinstance(message, dict) and json.dumps(message.get("id")) in ids:
            return {**message, "id": ids[json.dumps(message.get("id"))]}
        return message

    answer = [rewrite(item) for item in answer] if isinstance(answer, list) else rewrite(answer)
    return jsonio.dumps(answer)


@dataclass(frozen=True, slots=True)
class SentAnswer:
    """A recorded answer as it goes to one caller origin: its status, headers and body
    with the recorded upstream's origin moved to the caller's."""

    status: int
    reason: str | None
    headers: tuple[tuple[str, str], ...]
    chunks: list[list[float]]  # the recorded chunk boundaries and delays
    body: bytes  # not yet rewritten when it is sent in chunks
    rewrite: OriginRewrite
    rewriting: bool


MAX_CACHED_ORIGINS = 4  # a client picks the Host header: any more are worked out afresh


def sent_answer(request: web.Request, recorded: Recorded) -> SentAnswer:
    caller = request_origin(request)
    answer = recorded.sent.get(caller)
    if answer is None:
        answer = _sent_answer(recorded.response, caller)
        if len(recorded.sent) < MAX_CACHED_ORIGINS:
            recorded.sent[caller] = answer
    return answer


def _sent_answer(response: dict[str, Any], caller: str, body: bytes | None = None) -> SentAnswer:
    body = recorded_body(response) if body is None else body
    status = response["status"]
    recorded_url = response.get("url")
    to_caller = rewrite_between((origin_of(recorded_url) if isinstance(recorded_url, str) else None) or caller, caller)
    headers = tuple((name, to_caller.header(name, value)) for name, values in response.get("headers", {}).items()
                    if name.lower() not in SKIPPED_HEADERS for value in values)
    rewriting = carries_json(next((value for name, value in headers if name.lower() == "content-type"), None))
    chunks = response.get("mockplex", {}).get("chunks") or [[len(body), 0]]
    if len(chunks) <= 1 or sum(size for size, _ in chunks) != len(body):
        rewritten = to_caller.stream(rewriting)
        body, chunks = rewritten.feed(body) + rewritten.finish(), []
    return SentAnswer(status["code"], status.get("message") or None, headers, chunks, body, to_caller, rewriting)


async def replay_response(request: web.Request, recorded: Recorded, caller_body: Any,
                          timing: str) -> web.StreamResponse:
    if recorded.path == MCP_PATH and caller_body is not None:  # the caller's own JSON-RPC ids: not cached
        body = with_caller_ids(recorded_body(recorded.response), recorded.body, caller_body)
        sent = _sent_answer(recorded.response, request_origin(request), body)
    else:
        sent = sent_answer(request, recorded)
    if not sent.chunks:
        return web.Response(status=sent.status, reason=sent.reason, body=sent.body, headers=sent.headers)
    return await _chunked(request, sent, timing)


async def _chunked(request: web.Request, sent: SentAnswer, timing: str) -> web.StreamResponse:
    """The answer in its recorded chunks, each after its recorded delay."""
    stream = web.StreamResponse(status=sent.status, reason=sent.reason, headers=sent.headers)
    stream.enable_chunked_encoding()
    await stream.prepare(request)
    rewritten, body, offset = sent.rewrite.stream(sent.rewriting), sent.body, 0
    for size, delay_ms in sent.chunks:
        await asyncio.sleep(_pause(delay_ms, timing))
        chunk = rewritten.feed(body[offset: offset + size])
        await stream.write(chunk)
        note_sent(stream, chunk)
        offset += size
    last = rewritten.finish()
    await stream.write(last)
    note_sent(stream, last)
    await stream.write_eof()
    return stream


def _pause(delay_ms: float, timing: str) -> float:
    if timing == "none":
        return 0
    factor = 1.0 if timing == "recorded" else float(timing)
    return max(0.0, delay_ms / 1000 / factor)
