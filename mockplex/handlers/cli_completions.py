"""POST /api/cli/inference/chat/completions (and its /api/cli/openai/ twin): the hosted
CLI's OpenAI-compatible chat completions.

The caller is a PAT (the edge lets `mog_` bearers through to these two paths) or a
session. The body is checked, a model named and its access checked (cli_model_access),
then the world's model answers (cli_completion_model): streamed unless `stream` is
false. Every call that reaches the model is an `ai_calls` row of type chat with
`metadata.source: "cli"`, so observability lists it under the CLI surface.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers import cli_completion_model as model
from mockplex.handlers.cli_completion_stream import STREAM_HEADERS, Envelope, completion_body, stream_frames
from mockplex.handlers.cli_model_access import active_team, check_model_access, cli_model_id, completion_error
from mockplex.handlers.streams import open_stream, send_frames
from mockplex.responses import EmptyResponse, json_response

COST_PLACES = Decimal("0.00000001")  # ai_calls.cost_usd is NUMERIC(14, 8)


def _cost(call: Call, model_id: str, completion: model.Completion | None) -> float | None:
    """compute_ai_call_cost: the catalogue's per-token prices times the tokens, if priced."""
    priced = next((item for item in call.world.models if item.id == model_id), None)
    if completion is None or priced is None or (priced.pricing_input is None and priced.pricing_output is None):
        return None
    total = Decimal(0)
    for tokens, per_million in ((completion.input_tokens, priced.pricing_input),
                                (completion.output_tokens, priced.pricing_output)):
        if tokens:
            if per_million is None:
                return None
            total += tokens * Decimal(str(per_million)) / 1_000_000
    return float(total.quantize(COST_PLACES))


def _call_row(call: Call, user_id: str, model_id: str, streaming: bool, completion: model.Completion | None,
              failure: str | None) -> dict[str, Any]:
    """The ai_calls row recordCliInferenceCall inserts; a failed call keeps no usage."""
    used = completion if failure is None else None
    tokens = (used.input_tokens, used.output_tokens) if used else (None, None)
    detail = 0 if used else None
    tool_calls = used.tool_calls if used else []
    stamp = format_timestamp(call.now)
    cost = _cost(call, model_id, used)
    return {
        "id": call.world.ids.uuid(), "user_id": user_id, "type": "chat", "model": model_id,
        "input_tokens": tokens[0], "output_tokens": tokens[1], "total_tokens": (tokens[0] or 0) + (tokens[1] or 0),
        "duration_ms": 0, "started_at": stamp, "completed_at": stamp, "status": "failed" if failure else "success",
        "error": failure, "conversation_id": None, "job_run_id": None, "repo_id": None,
        "tool_calls_count": len(tool_calls), "tool_calls": tool_calls,
        "metadata": {"source": "cli", "streaming": streaming}, "runtime_command_id": None,
        "cancel_requested_at": None, "control_state": "active", "limit_claim_id": None, "cost_usd": cost,
        "cache_read_input_tokens": detail, "cache_creation_input_tokens": detail, "reasoning_tokens": detail,
        "gateway_generation_id": None, "cost_source": "trigger" if cost is not None else None,
        "gateway_generation_ids": None,
    }


async def _request(call: Call, user_id: str) -> tuple[dict[str, Any], str]:
    """The body and the model it runs on, or the route's refusal."""
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise completion_error(400, "Invalid JSON body")
    if body is None:
        raise EmptyResponse(500)  # `body.messages` on null
    fields = body if isinstance(body, dict) else {}
    messages = fields.get("messages")
    if not isinstance(messages, list) or not messages:
        raise completion_error(400, "messages is required")
    model_id = cli_model_id(call, user_id, fields.get("model"))
    check_model_access(call, user_id, model_id, active_team(call))
    return fields, model_id


def _envelope(call: Call, model_id: str) -> Envelope:
    return Envelope(f"chatcmpl_{call.world.ids.uuid().replace('-', '')}", math.floor(call.now.timestamp()), model_id)


async def chat_completions(call: Call) -> web.StreamResponse:
    user_id = call.require_user()
    body, model_id = await _request(call, user_id)
    tools = model.offered_tools(body.get("tools"))
    tool_name = model.forced_tool(body.get("tool_choice"), tools)
    messages = model.prompt_messages(body["messages"])
    streaming = body.get("stream") is not False
    envelope = _envelope(call, model_id) if streaming else None
    world = call.world
    try:
        completion = model.complete(body, messages, tools, tool_name, world.outside.cli_inference_model, world.ids)
        failure = completion.failure
    except model.ModelFailure as refused:
        completion, failure = None, str(refused)
    world.chat_calls.record(_call_row(call, user_id, model_id, streaming, completion, failure))
    if not streaming:
        if failure:
            raise completion_error(500, failure)
        return json_response(completion_body(_envelope(call, model_id), completion))
    response = await open_stream(call.request, STREAM_HEADERS)
    await send_frames(response, stream_frames(envelope, completion, failure))
    await response.write_eof()
    return response
