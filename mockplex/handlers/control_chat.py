"""POST /api/control/chat: the orchestrator agent, streamed as AI SDK UI-message chunks.

The model is an outside service, so what it does is the world's `control_model` setting;
by default it answers deterministically from the last user message.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.agent_generator import REFUSALS, refusal
from mockplex.handlers.runtime import CHAT_HEADERS, chat_chunks
from mockplex.handlers.streams import data_frame, open_stream, send_frames
from mockplex.handlers.team_models import scoped_refusal
from mockplex.responses import EmptyResponse, JsonError, flat_error

STREAM_ERROR = "Stream finished with error"
METADATA_FIELDS = (("sandbox_id", "sandboxId"), ("repo", "repoFullName"), ("repo_owner", "repoOwner"),
                   ("repo_name", "repoName"), ("repo_branch", "repoBranch"))


def _field(body: Any, key: str) -> Any:
    return body.get(key) if isinstance(body, dict) else None


def _message_texts(messages: Any) -> list[tuple[Any, str]]:
    """Each message's role and text parts, or the TypeError JavaScript throws on the way."""
    if messages is None:
        raise TypeError("Cannot read properties of undefined (reading 'map')")
    if not isinstance(messages, list):
        raise TypeError("input.body.messages.map is not a function")
    texts = []
    for message in messages:
        if message is None:
            raise TypeError("Cannot read properties of null (reading 'parts')")
        fields = message if isinstance(message, dict) else {}
        parts = fields.get("parts")
        if parts is None:
            content = fields.get("content")
            parts = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        if not isinstance(parts, list):
            raise TypeError("parts.filter is not a function")
        words = [part.get("text") or "" for part in parts if isinstance(part, dict) and part.get("type") == "text"]
        texts.append((fields.get("role"), " ".join(str(word) for word in words).strip()))
    return texts


def _reply(texts: list[tuple[Any, str]]) -> str:
    prompt = next((text for role, text in reversed(texts) if role == "user"), "")
    return f"Control plan for: {prompt}" if prompt else "Control is ready for a mission."


def _call_row(call: Call, body: Any, call_id: str, status: str, error: str | None, reply: str) -> dict[str, Any]:
    user_id, stamp = call.user_id, format_timestamp(call.now)
    model = _field(body, "model") or call.world.users[user_id].default_model
    metadata = {"surface": "control", **{key: _field(body, name) for key, name in METADATA_FIELDS},
                "team_id": call.request.headers.get("x-mogplex-team-id"), "mission_id": _field(body, "missionId")}
    output_tokens = len(reply.split()) if status == "success" else 0
    return {
        "id": call_id, "user_id": user_id, "type": "agent", "model": model, "input_tokens": 0,
        "output_tokens": output_tokens, "total_tokens": output_tokens, "duration_ms": 0, "started_at": stamp,
        "completed_at": stamp, "status": status, "error": error,
        "conversation_id": _field(body, "conversationId") or None, "repo_id": _field(body, "repoId") or None,
        "tool_calls_count": 0, "tool_calls": [], "metadata": metadata, "control_state": "active",
        "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0, "reasoning_tokens": 0,
    }


async def control_chat(call: Call) -> web.StreamResponse:
    call.require_user()
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)  # the route parses unguarded and reads the run scope off it
    world = call.world
    call_id = world.ids.uuid()
    outcome = world.outside.control_model
    refused = scoped_refusal(call, call.user_id, _field(body, "model") or world.users[call.user_id].default_model)
    if refused is not None:  # the model resolver's team gates, before the world's own outcomes
        world.chat_calls.record(_call_row(call, body, call_id, "failed", refused, ""))
        raise flat_error(500, refused)
    try:
        if outcome in REFUSALS:
            raise refusal(outcome)
        texts = _message_texts(_field(body, "messages"))
    except (JsonError, TypeError) as failure:
        message = REFUSALS[outcome][1] if isinstance(failure, JsonError) else str(failure)
        world.chat_calls.record(_call_row(call, body, call_id, "failed", message, ""))
        if outcome == "allowlist_unavailable":
            raise failure from None
        raise flat_error(500, message) from None
    reply = _reply(texts)
    failing = outcome == "fails_mid_stream"
    world.chat_calls.record(_call_row(call, body, call_id, "failed" if failing else "success",
                                      STREAM_ERROR if failing else None, reply))
    response = await open_stream(call.request, CHAT_HEADERS)
    chunks = chat_chunks(call_id, None if failing else reply)
    await send_frames(response, [data_frame(chunk) for chunk in chunks] + [b"data: [DONE]\n\n"])
    await response.write_eof()
    return response
