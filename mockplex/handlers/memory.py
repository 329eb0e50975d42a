"""/api/memories and /api/memories/actions: the web app's memory lanes, answered as the
server's memory client answers over the world's `memories` table."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers import memory_scope
from mockplex.jsvalues import js_iso
from mockplex.jsvalues import js_truthy
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.validation import js_length
from mockplex.world import memories as lanes
from mockplex.world.memories import LANES, Memory

MAX_CONTENT_LENGTH = 16_000
MAX_METADATA_BYTES = 4_096
MAX_CHECKPOINT_LABEL_LENGTH = 512
LIST_LIMIT, SEARCH_LIMIT = 50, 20
QUERY_SCOPE_FIELDS = ("repoId", "workspaceSessionId", "conversationId")
BODY_SCOPE_FIELDS = QUERY_SCOPE_FIELDS + ("sandboxId", "source", "agent")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def checked_metadata(value: Any) -> dict[str, Any] | None:
    """validateMetadata: a plain object whose JSON text stays within the byte budget."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise flat_error(400, "metadata must be a plain object")
    if js_length(jsonio.dumps(value).decode()) > MAX_METADATA_BYTES:
        raise flat_error(400, f"metadata exceeds {MAX_METADATA_BYTES} bytes")
    return value


async def _object_body(call: Call) -> dict[str, Any]:
    """`await req.json()` then destructured: null or bad JSON throws (an empty 500); any
    other non-object has none of the fields."""
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)
    return body if isinstance(body, dict) else {}


def _search_scope(lane: str | None, scope: dict[str, Any] | None) -> dict[str, Any] | None:
    if lane:
        return lanes.for_lane(lane, scope)
    return {"repoId": scope["repoId"]} if scope and scope.get("repoId") else None


async def read(call: Call) -> web.Response:
    user_id = call.require_user()
    lane, query = call.query("lane"), call.query("q")
    resource = memory_scope.resolve(call, user_id, call.query(memory_scope.RESOURCE_SCOPE_PARAM))
    asked = {name: call.query(name) for name in QUERY_SCOPE_FIELDS}
    scope = memory_scope.merged(memory_scope.trimmed_fields(asked, QUERY_SCOPE_FIELDS), resource.memory_scope)
    if lane and lane not in LANES:
        raise flat_error(400, "Invalid lane")
    store = call.world.memory.memories
    if query:
        found = [memory for memory in store.newest_first(user_id, lane or None, _search_scope(lane, scope))
                 if query.lower() in memory.content.lower()]
        return json_response([memory.render() for memory in found[:SEARCH_LIMIT]])
    if lane:
        return json_response([memory.render() for memory in
                              store.newest_first(user_id, lane, lanes.for_lane(lane, scope))[:LIST_LIMIT]])
    return json_response({name: [memory.render() for memory in
                                 store.newest_first(user_id, name, lanes.for_lane(name, scope))[:LIST_LIMIT]]
                          for name in LANES})


def _add(call: Call, user_id: str, lane: str, content: str, metadata: dict[str, Any] | None,
         body: dict[str, Any]) -> Memory:
    """Resolve and check the body's scope, then insert into the lane with the scope's keys."""
    resource = memory_scope.resolve(call, user_id, body.get(memory_scope.RESOURCE_SCOPE_PARAM))
    scope = memory_scope.merged(memory_scope.trimmed_fields(body, BODY_SCOPE_FIELDS), resource.memory_scope)
    memory_scope.validate_owned(call, user_id, scope, resource.team_id)
    stored = checked_metadata(lanes.lane_metadata(lane, metadata, scope)) or {}
    return call.world.memory.memories.add(Memory(call.world.ids.uuid(), user_id, lane, content, stored,
                                                 call.now, call.now))


async def create(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _object_body(call)
    lane, content = body.get("lane"), body.get("content")
    if lane not in LANES:
        raise flat_error(400, "Invalid lane")
    _check_content(content)
    metadata = checked_metadata(body.get("metadata"))
    return json_response(_add(call, user_id, lane, content, metadata, body).render())


def _check_content(content: Any) -> None:
    if not content or not isinstance(content, str):
        raise flat_error(400, "Content required")
    if js_length(content) > MAX_CONTENT_LENGTH:
        raise flat_error(413, f"Content exceeds {MAX_CONTENT_LENGTH} characters")


async def edit(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _object_body(call)
    memory_id, content = body.get("id"), body.get("content")
    if not isinstance(memory_id, str) or not UUID_RE.match(memory_id):
        raise flat_error(400, "Invalid id")
    _check_content(content)
    memory = _owned_or_404(call, user_id, memory_id)
    memory.content = content
    memory.updated_at = call.now.replace(microsecond=call.now.microsecond // 1000 * 1000)
    return json_response({"ok": True})


async def forget(call: Call) -> web.Response:
    user_id = call.require_user()
    memory_id = call.query("id")
    if not memory_id or not UUID_RE.match(memory_id):
        raise flat_error(400, "Invalid id")
    call.world.memory.memories.forget(_owned_or_404(call, user_id, memory_id))
    return json_response({"ok": True})


def _owned_or_404(call: Call, user_id: str, memory_id: str) -> Memory:
    memory = call.world.memory.memories.owned(user_id, memory_id.lower())
    if memory is None:
        raise flat_error(404, f"Memory not found: {memory_id}")
    return memory


async def act(call: Call) -> web.Response:
    """POST /api/memories/actions: `compact` drops the caller's month-old session memories;
    `checkpoint` writes a labelled marker into a lane (session unless a valid one is named)."""
    user_id = call.require_user()
    body = await _object_body(call)
    action, label = body.get("action"), body.get("label")
    if action == "compact":
        call.world.memory.memories.vacuum(user_id, call.now)
        return json_response({"ok": True})
    if action != "checkpoint":
        raise flat_error(400, "Unknown action")
    if label is not None and (not isinstance(label, str) or js_length(label) > MAX_CHECKPOINT_LABEL_LENGTH):
        raise flat_error(400, f"Label must be a string up to {MAX_CHECKPOINT_LABEL_LENGTH} characters")
    safe_label = label if js_truthy(label) else js_iso(call.now)
    lane = body.get("lane") if body.get("lane") in LANES else "session"
    memory = _add(call, user_id, lane, f"[checkpoint] {safe_label}", {"checkpoint": True, "label": safe_label},
                  body)
    return json_response(memory.render())
