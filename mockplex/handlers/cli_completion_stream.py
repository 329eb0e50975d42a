"""The CLI completion in OpenAI's wire format: one `chat.completion` JSON body, or
`chat.completion.chunk` server-sent events framed as the server writes them.

A stream is the role chunk, a chunk per text delta or tool-call fragment, then either
the finish chunk (with usage) or an `{"error":{"message"}}` frame, and always
`data: [DONE]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockplex import jsonio
from mockplex.handlers.cli_completion_model import Completion
from mockplex.handlers.streams import data_frame

STREAM_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-transform",
                  "Connection": "keep-alive"}
DONE_FRAME = b"data: [DONE]\n\n"
FINISH_REASONS = {"tool-calls": "tool_calls", "content-filter": "content_filter", "length": "length"}


@dataclass(frozen=True)
class Envelope:
    """What every chunk and the JSON answer carry: the response id, its second and the model."""
    id: str
    created: int
    model: str


def openai_usage(completion: Completion) -> dict[str, int]:
    return {"prompt_tokens": completion.input_tokens, "completion_tokens": completion.output_tokens,
            "total_tokens": completion.input_tokens + completion.output_tokens}


def _chunk(envelope: Envelope, delta: dict[str, Any], finish_reason: str | None = None,
           usage: dict[str, int] | None = None) -> dict[str, Any]:
    chunk = {"id": envelope.id, "object": "chat.completion.chunk", "created": envelope.created,
             "model": envelope.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
    return {**chunk, "usage": usage} if usage else chunk


def _tool_deltas(parts: list[tuple[Any, ...]]) -> list[dict[str, Any] | None]:
    """Each part's delta (None: the part writes nothing), tools indexed in order of appearance."""
    indexes: dict[str, int] = {}
    with_arguments: set[str] = set()
    deltas: list[dict[str, Any] | None] = []
    for kind, *fields in parts:
        delta = None
        if kind == "text" and fields[0]:
            delta = {"content": fields[0]}
        elif kind in ("tool-input-start", "tool-call") and fields[0] not in indexes:
            indexes[fields[0]] = len(indexes)
            arguments = "" if kind == "tool-input-start" else jsonio.dumps(fields[2]).decode()
            delta = {"tool_calls": [{"index": indexes[fields[0]], "id": fields[0], "type": "function",
                                     "function": {"name": fields[1], "arguments": arguments}}]}
            if kind == "tool-call":
                with_arguments.add(fields[0])
        elif kind == "tool-input-delta" and fields[0] in indexes and fields[1]:
            with_arguments.add(fields[0])
            delta = {"tool_calls": [{"index": indexes[fields[0]], "function": {"arguments": fields[1]}}]}
        elif kind == "tool-call" and fields[0] not in with_arguments:
            with_arguments.add(fields[0])
            delta = {"tool_calls": [{"index": indexes[fields[0]],
                                     "function": {"arguments": jsonio.dumps(fields[2]).decode()}}]}
        deltas.append(delta)
    return deltas


def stream_frames(envelope: Envelope, completion: Completion | None, failure: str | None) -> list[bytes]:
    """Every frame of the answer; no completion is the model failing before its first part."""
    frames = [data_frame(_chunk(envelope, {"role": "assistant"}))]
    if completion is not None:
        parts = completion.parts[:completion.parts_before_failure] if failure else completion.parts
        frames += [data_frame(_chunk(envelope, delta)) for delta in _tool_deltas(parts) if delta is not None]
    if failure:
        frames.append(data_frame({"error": {"message": failure}}))
    else:
        frames.append(data_frame(_chunk(envelope, {}, FINISH_REASONS.get(completion.finish_reason, "stop"),
                                        openai_usage(completion))))
    return frames + [DONE_FRAME]


def completion_body(envelope: Envelope, completion: Completion) -> dict[str, Any]:
    """generateText's result as one chat.completion; tool_calls only when the model made some."""
    text = "".join(part[1] for part in completion.parts if part[0] == "text")
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    calls = [part for part in completion.parts if part[0] == "tool-call"]
    if calls:
        message["tool_calls"] = [{"id": call_id, "type": "function",
                                  "function": {"name": name, "arguments": jsonio.dumps(arguments).decode()}}
                                 for _, call_id, name, arguments in calls]
    return {"id": envelope.id, "object": "chat.completion", "created": envelope.created, "model": envelope.model,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": FINISH_REASONS.get(completion.finish_reason, "stop")}],
            "usage": openai_usage(completion)}
