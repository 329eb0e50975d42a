"""Runtime streams (internal spec §2.5): /api/chat and /api/realtime/events."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web

from mockplex import jsonio, state
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.connection import in_task
from mockplex.handlers.streams import SSE_HEADERS, data_frame, open_stream, send_frames
from mockplex.handlers.team_models import scoped_refusal
from mockplex.responses import EmptyResponse, flat_error

CHAT_HEADERS = {**SSE_HEADERS, "x-vercel-ai-ui-message-stream": "v1", "x-accel-buffering": "no"}
REALTIME_HEADERS = {**SSE_HEADERS, "Cache-Control": "no-cache, no-transform"}
TABLE_NAME = re.compile(r"^[a-z_]+$")
KEEPALIVE_SECONDS = 25
CHAT_START_FAILURE = "Failed to start chat run"
MODEL_STREAM_FAILURE = "The model provider returned an error: service unavailable"


def last_user_text(messages: Any) -> str:
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role") == "user":
            parts = message.get("parts") if isinstance(message.get("parts"), list) else []
            return " ".join(part.get("text", "") for part in parts if isinstance(part, dict)).strip()
    return ""


def heard(prompt: str) -> str:
    """What the world's model answers a prompt."""
    return f"mockplex heard: {prompt}" if prompt else "mockplex is listening."


def reply_pieces(reply: str) -> list[str]:
    """A reply as the model streams it: word by word, each with its trailing space."""
    return re.findall(r"\S+\s*", reply)


def chat_chunks(call_id: str, reply: str | None) -> list[dict[str, Any]]:
    """The AI SDK UI-message chunks, each followed by message metadata except start/finish;
    no reply is the model failing after the step began."""
    metadata = {"ai_call_id": call_id}
    if reply is None:
        core = [{"type": "start-step"}, {"type": "error", "errorText": MODEL_STREAM_FAILURE}, {"type": "finish-step"}]
    else:
        core = [{"type": "start-step"}, {"type": "text-start", "id": "t0"}]
        core += [{"type": "text-delta", "id": "t0", "delta": piece} for piece in reply_pieces(reply)]
        core += [{"type": "text-end", "id": "t0"}, {"type": "finish-step"}]
    chunks: list[dict[str, Any]] = [{"type": "start", "messageMetadata": metadata}]
    for chunk in core:
        chunks += [chunk, {"type": "message-metadata", "messageMetadata": metadata}]
    return chunks + [{"type": "finish", "messageMetadata": metadata}]


async def chat(call: Call) -> web.StreamResponse:
    call.require_user()
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)  # the route reads the run scope off whatever parsed
    body = body if isinstance(body, dict) else {}
    world = call.world
    call_id = world.ids.uuid()
    prompt = last_user_text(body.get("messages"))
    row = _call_row(call, body, call_id, prompt, None)
    refused = scoped_refusal(call, call.user_id, row["model"])  # the model resolver, before the model runs
    if refused is not None:
        world.chat_calls.record({**row, "error": refused})
        raise flat_error(500, refused)
    outcome = world.outside.chat_model
    reply = None if outcome != "replies" else heard(prompt)
    world.chat_calls.record(_call_row(call, body, call_id, prompt, reply))
    if outcome == "fails_to_start":
        raise flat_error(500, CHAT_START_FAILURE)
    response = await open_stream(call.request, CHAT_HEADERS)
    await send_frames(response, [data_frame(chunk) for chunk in chat_chunks(call_id, reply)] + [b"data: [DONE]\n\n"])
    await response.write_eof()
    return response


def _call_row(call: Call, body: dict[str, Any], call_id: str, prompt: str, reply: str | None) -> dict[str, Any]:
    """The ai_calls row the chat leaves: success, or failed with what the model said."""
    user_id, stamp = call.user_id, format_timestamp(call.now)
    model = body.get("model") if isinstance(body.get("model"), str) else call.world.users[user_id].default_model
    output_tokens = len(reply.split()) if reply else 0
    error = None if reply is not None else (
        CHAT_START_FAILURE if call.world.outside.chat_model == "fails_to_start" else MODEL_STREAM_FAILURE)
    return {
        "id": call_id, "user_id": user_id, "type": "chat", "model": model, "input_tokens": len(prompt.split()),
        "output_tokens": output_tokens, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0,
        "reasoning_tokens": 0, "gateway_generation_id": None, "cost_source": None,
        "total_tokens": len(prompt.split()) + output_tokens, "cost_usd": None, "duration_ms": 0,
        "started_at": stamp, "completed_at": stamp, "status": "success" if error is None else "failed",
        "error": error,
        "conversation_id": body.get("conversationId") if isinstance(body.get("conversationId"), str) else None,
        "job_run_id": None, "repo_id": body.get("repoId") if isinstance(body.get("repoId"), str) else None,
        "limit_claim_id": None, "cancel_requested_at": None, "control_state": "active", "runtime_command_id": None,
        "tool_calls_count": 0, "tool_calls": [], "metadata": {}, "sandbox_context": None,
    }


async def realtime_events(call: Call) -> web.StreamResponse:
    if call.request.app[state.SETTINGS].test_mode:
        return web.Response(status=204)  # tells EventSource to stop, as under PLAYWRIGHT, before anything else
    user_id = call.require_user()
    raw = call.query("tables")
    if not raw:
        raise flat_error(400, "Missing tables parameter")
    tables = [name for name in raw.split(",") if name]  # not trimmed: " runs" is an invalid name
    if not tables:
        raise flat_error(400, "No valid tables specified")
    invalid = next((name for name in tables if not TABLE_NAME.match(name)), None)
    if invalid is not None:
        raise flat_error(400, f"Invalid table name: {invalid}")
    feed = call.world.changes
    await in_task()  # for wait_for's timeout
    changes = feed.subscribe()
    try:
        response = await open_stream(call.request, REALTIME_HEADERS)
        await send_frames(response, [b": connected\n\n"])
        while True:  # never ends on its own; the client hangs up
            try:
                change = await asyncio.wait_for(changes.get(), KEEPALIVE_SECONDS)
            except asyncio.TimeoutError:
                await response.write(b": ping\n\n")
                continue
            if change.table in tables and (not change.user_id or change.user_id == user_id):
                await response.write(data_frame({"table": change.table, "op": change.op}))
    except ConnectionError:
        return response
    finally:
        feed.unsubscribe(changes)
