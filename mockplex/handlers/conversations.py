"""/api/conversations: the web chat's saved threads, one row per client-chosen text id.

A PUT without `expected_updated_at` is an INSERT, so saving over an existing thread that
way is a 409 CONFLICT; with it, an UPDATE that only lands on that exact version. /api/chat
never writes here: the browser saves its own threads."""

from __future__ import annotations

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.jsvalues import js_string, js_truthy
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.world import conversations as table
from mockplex.world.database_errors import DatabaseErrors


async def list_or_read(call: Call) -> web.Response:
    """GET: one thread by ?id (`.single()` over no row answers a 200 null), else the newest 200."""
    user_id = call.require_user()
    store = call.world.memory.conversations
    conversation_id = call.query("id")
    if conversation_id:
        row = store.owned(user_id, conversation_id)
        return json_response(None if row is None else table.render(row))
    return json_response([table.render(row, table.LIST_COLUMNS) for row in store.of_user(user_id)])


async def save(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)  # the handler destructures the parsed body unguarded
    fields = dict(body) if isinstance(body, dict) else {}  # no primitive or array carries an id
    conversation_id = fields.pop("id", None)
    expected = fields.pop("expected_updated_at", None)
    if not js_truthy(conversation_id):
        raise flat_error(400, "Missing id")
    conversation_id = js_string(conversation_id)
    # new Date().toISOString(): milliseconds, so what a later expected_updated_at can match
    moment = call.now.replace(microsecond=call.now.microsecond // 1000 * 1000)
    fields["updated_at"] = moment.isoformat()
    store = call.world.memory.conversations
    versioned = isinstance(expected, str) and bool(expected)
    try:
        if versioned:
            row = store.update_if_current(user_id, conversation_id, expected, fields, _columns(call))
            if row is None:
                return _conflict(call, user_id, conversation_id)
        else:
            row = store.insert({"id": conversation_id, "user_id": user_id, **fields}, _columns(call), call.now)
    except table.ConversationWriteError as error:
        if error.code == "23505" and not versioned:
            return _conflict(call, user_id, conversation_id)
        raise flat_error(500, error.message) from error
    return json_response({"ok": True, "conversation": table.render(row)})


async def delete(call: Call) -> web.Response:
    user_id = call.require_user()
    conversation_id = call.query("id")
    if not conversation_id:
        raise flat_error(400, "Missing id")
    call.world.memory.conversations.delete(user_id, conversation_id)
    return json_response({"ok": True})


def _conflict(call: Call, user_id: str, conversation_id: str) -> web.Response:
    current = call.world.memory.conversations.owned(user_id, conversation_id)
    return json_response({"error": "CONFLICT", "conversation": None if current is None else table.render(current)},
                         409)


def _columns(call: Call) -> table.ConversationColumns:
    errors = DatabaseErrors(call.world.sessions.backend)
    return table.ConversationColumns(unknown_column=lambda name: errors.unknown_column("conversations", name),
                                     user_exists=lambda user_id: user_id in call.world.users)
