"""A flow's AI assistant: a one-shot graph suggestion (/assistant) and a streamed chat
(/chat). The world plays the model: it keeps the graph it is given and answers in text;
world.yaml's flow_assistant_model makes the model's failures reachable."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.flow_actions import flow_service_error, owned_flow_or_error, owned_flow_or_none
from mockplex.handlers.repo_layout import json_object
from mockplex.handlers.runtime import CHAT_HEADERS, MODEL_STREAM_FAILURE, last_user_text
from mockplex.handlers.streams import data_frame, open_stream, send_frames
from mockplex.handlers.team_models import scoped_refusal
from mockplex.ids import is_strict_uuid
from mockplex.responses import flat_error, json_response
from mockplex.world import flows
from mockplex.world.automations import FlowError

INVALID_SUGGESTION = "Assistant produced an invalid flow graph"
STOPPED_EARLY = "Assistant stopped before finalizing a flow graph. Try rephrasing your request."
CHAT_START_FAILED = "Failed to start flow assistant chat"
GRAPH_NOT_LOADED = "The live canvas graph was not loaded."
GRAPH_STATE_PART = "tool-getGraphState"
RESULT_DATA_PART = "data-flowAssistantResult"
FLOW_ASSISTANT_MODEL = "anthropic/claude-sonnet-4.6"  # the assistant's fixed model, whatever the user's default


def _check_active_team(call: Call) -> None:
    """resolveActiveTeamCapabilities: a well-formed team header the caller is not in is refused."""
    team_id = call.request.headers.get("x-mogplex-team-id", "").strip()
    if is_strict_uuid(team_id) and not call.world.teams.is_member(call.user_id, team_id):
        raise flat_error(403, "Forbidden")


def _js_truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and not (isinstance(value, float) and value != value)


async def suggest(call: Call) -> web.Response:
    call.require_user()
    automation = owned_flow_or_none(call)
    if automation is None:
        raise flat_error(404, "Flow not found")
    body = await json_object(call)
    message = body["message"].strip() if isinstance(body.get("message"), str) else ""
    if not message:
        raise flat_error(400, "message is required")
    _check_active_team(call)
    graph = flows.coerce_graph(body["graph"]) if _js_truthy(body.get("graph")) else automation.draft_graph
    refused = scoped_refusal(call, call.user_id, FLOW_ASSISTANT_MODEL)
    if refused is not None:
        raise flat_error(500, refused)
    outcome = call.world.outside.flow_assistant_model
    if outcome in ("fails_to_start", "fails_mid_stream"):
        raise flat_error(500, MODEL_STREAM_FAILURE)
    if outcome == "stops_early":
        raise flow_service_error("FLOW_ASSISTANT_INVALID_GRAPH", STOPPED_EARLY)
    errors = flows.executable_errors(graph)
    if errors:
        raise flow_service_error("FLOW_ASSISTANT_INVALID_GRAPH", INVALID_SUGGESTION, errors)
    try:
        call.world.flows.resolve_agents(call.user_id, graph)
    except FlowError as error:
        raise flow_service_error(error.code, error.message) from None
    return json_response({"summary": f"Reviewed the flow for: {message}", "graph": graph})


# -- the streamed chat ----------------------------------------------------------------------------

async def chat(call: Call) -> web.StreamResponse:
    call.require_user()
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise flat_error(400, "Invalid JSON body")
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list):
        raise flat_error(400, "messages is required")
    _check_active_team(call)
    owned_flow_or_error(call)
    outcome = call.world.outside.flow_assistant_model
    if scoped_refusal(call, call.user_id, FLOW_ASSISTANT_MODEL) is not None or outcome == "fails_to_start":
        raise flat_error(500, CHAT_START_FAILED)
    chunks = chat_chunks(last_user_text(messages), _graph_state(messages), outcome == "fails_mid_stream")
    response = await open_stream(call.request, CHAT_HEADERS)
    await send_frames(response, [data_frame(chunk) for chunk in chunks] + [b"data: [DONE]\n\n"])
    await response.write_eof()
    return response


def chat_chunks(prompt: str, graph: dict[str, Any] | None, fails: bool) -> list[dict[str, Any]]:
    """The UI-message chunks: the model's text step, the canvas result when the conversation
    carried the graph, and a finish whose metadata sums the assistant's state."""
    if fails:
        step = [{"type": "error", "errorText": MODEL_STREAM_FAILURE}]
    else:
        reply = f"The flow stays as it is. You asked: {prompt}" if prompt else "The flow stays as it is."
        step = [{"type": "text-start", "id": "t0"}]
        step += [{"type": "text-delta", "id": "t0", "delta": piece} for piece in re.findall(r"\S+\s*", reply)]
        step += [{"type": "text-end", "id": "t0"}]
    result = _result_data(graph)
    chunks = [{"type": "start"}, {"type": "start-step"}, *step, {"type": "finish-step"}]
    if result["graph"] is not None:
        chunks.append({"type": RESULT_DATA_PART, "data": result})
    summary = {key: result[key] for key in ("summary", "finalized", "valid", "errors")}
    return chunks + [{"type": "finish", "finishReason": "error" if fails else "stop",
                      "messageMetadata": {"flowAssistant": summary}}]


def _result_data(graph: dict[str, Any] | None) -> dict[str, Any]:
    """The assistant never calls finalize here, so nothing is finalized and no summary is set."""
    if graph is None:
        return {"graph": None, "summary": None, "finalized": False, "valid": False, "errors": [GRAPH_NOT_LOADED]}
    errors = flows.executable_errors(graph)
    return {"graph": graph, "summary": None, "finalized": False, "valid": not errors, "errors": errors or None}


def _graph_state(messages: list[Any]) -> dict[str, Any] | None:
    """The graph the newest finished getGraphState tool part carried, coerced."""
    for message in reversed(messages):
        parts = message.get("parts") if isinstance(message, dict) else None
        for part in reversed(parts if isinstance(parts, list) else []):
            if (isinstance(part, dict) and part.get("type") == GRAPH_STATE_PART
                    and part.get("state") == "output-available" and isinstance(part.get("output"), dict)):
                return flows.coerce_graph(part["output"].get("graph"))
    return None

