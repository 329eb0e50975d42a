"""Turning a recorded interaction back into an HTTP answer: status, headers, body, the
recorded chunk boundaries and delays, and the caller's own JSON-RPC ids on MCP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.origins import OriginRewrite, carries_json, origin_of, rewrite_between
from mockplex.names import MCP_PATH
from mockplex.replay.store import Recorded
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


async def replay_response(request: web.Request, recorded: Recorded, caller_body: Any,
                          timing: str) -> web.StreamResponse:
    response = recorded.response
    body = recorded_body(response)
    if recorded.path == MCP_PATH and caller_body is not None:
        body = with_caller_ids(body, recorded.body, caller_body)
    status = response["status"]
    to_caller = _to_caller(request, response)
    headers = [(name, to_caller.header(name, value)) for name, values in response.get("headers", {}).items()
               if name.lower() not in SKIPPED_HEADERS for value in values]
    rewritten = to_caller.stream(carries_json(next((value for name, value in headers
                                                    if name.lower() == "content-type"), None)))
    chunks = response.get("mockplex", {}).get("chunks") or [[len(body), 0]]
    if len(chunks) <= 1 or sum(size for size, _ in chunks) != len(body):
        answer = web.Response(status=status["code"], reason=status.get("message") or None,
                              body=rewritten.feed(body) + rewritten.finish())
        for name, value in headers:
            answer.headers.add(name, value)
        return answer
    stream = web.StreamResponse(status=status["code"], reason=status.get("message") or None)
    for name, value in headers:
        stream.headers.add(name, value)
    stream.enable_chunked_encoding()
    await stream.prepare(request)
    offset = 0
    for size, delay_ms in chunks:
        pause = _pause(delay_ms, timing)
        await asyncio.sleep(pause)
        chunk = rewritten.feed(body[offset: offset + size])
        await stream.write(chunk)
        note_sent(stream, chunk)
        offset += size
    last = rewritten.finish()
    await stream.write(last)
    note_sent(stream, last)
    await stream.write_eof()
    return stream


def _to_caller(request: web.Request, response: dict[str, Any]) -> OriginRewrite:
    """The recorded upstream's origin (the answer's URL) moved to the one the caller
    called; an answer recorded without its URL is left as it is."""
    caller = request_origin(request)
    recorded = response.get("url")
    return rewrite_between((origin_of(recorded) if isinstance(recorded, str) else None) or caller, caller)


def _pause(delay_ms: float, timing: str) -> float:
    if timing == "none":
        return 0
    factor = 1.0 if timing == "recorded" else float(timing)
    return max(0.0, delay_ms / 1000 / factor)
