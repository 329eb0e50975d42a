"""Plain per-user tables the web app writes straight through to the database: custom
commands, skills and rules.

The server's handlers spread the request body into an insert or update and echo the
database's answer, so these handlers model the table itself: its columns, types,
defaults and constraints, and the database's error text, which the routes return raw
as 500 `{"error"}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp, parse_timestamp
from mockplex.ids import pg_uuid
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.world import database_errors as pg
from mockplex.world.database_errors import DatabaseErrors

NEW_ID = object()  # the column defaults to gen_random_uuid()
NOW = object()  # the column defaults to now()
TYPE_NAMES = {"uuid": "uuid", "bool": "boolean", "int": "integer", "timestamptz": "timestamp with time zone"}
PG_BOOLEANS = {"t": True, "true": True, "y": True, "yes": True, "on": True, "1": True,
               "f": False, "false": False, "n": False, "no": False, "off": False, "0": False}


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"  # text | uuid | bool | int | timestamptz | text[]
    default: Any = None
    not_null: bool = False
    allowed: tuple[str, ...] = ()  # a CHECK (column IN (...)) constraint


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    selected: tuple[str, ...] = ()  # GET's select list; empty means every column
    limit: int | None = None
    newest_by: str | None = None
    searchable: str | None = None  # GET ?q= filters this column with ilike %q%
    extra: dict[str, Any] = field(default_factory=dict)  # fixed fields added to every answer
    stamps_updates: bool = False  # the handler sets updated_at on every update

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)


def _common(*columns: Column) -> tuple[Column, ...]:
    return (Column("id", "uuid", NEW_ID, True), Column("user_id", "uuid"), *columns)


COMMANDS = Table("custom_commands", (
    Column("id", "uuid", NEW_ID, True), Column("user_id", "uuid", not_null=True), Column("name", not_null=True),
    Column("description", default="", not_null=True), Column("template", not_null=True),
    Column("created_at", "timestamptz", NOW)), limit=100)
SKILLS = Table("skills", _common(
    Column("name", not_null=True), Column("description"),
    Column("type", default="runbook", allowed=("runbook", "tool", "prompt", "workflow")),
    Column("content", not_null=True), Column("model", default="minimax/minimax-m2.7"),
    Column("is_public", "bool", False), Column("tags", "text[]", []), Column("usage_count", "int", 0),
    Column("created_at", "timestamptz", NOW), Column("updated_at", "timestamptz", NOW)),
    selected=("id", "name", "description", "content", "is_public", "tags", "usage_count", "created_at",
              "updated_at"),
    limit=200, newest_by="updated_at", searchable="name", extra={"scope": "global"}, stamps_updates=True)
RULES = Table("agent_rules", _common(Column("name", not_null=True), Column("content", default=""),
                                     Column("type", default="rules"), Column("created_at", "timestamptz", NOW)))
RULE_SKILLS = Table("agent_skills", _common(Column("name", not_null=True), Column("content", default=""),
                                            Column("type", default="skills"),
                                            Column("created_at", "timestamptz", NOW)))


class DatabaseError(Exception):
    """What the route echoes: 500 {"error": message}."""


def js_text(value: Any) -> str:
    """String(value), as supabase-js writes a filter value into the URL."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join("" if item is None else js_text(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cast(column: Column, value: Any) -> Any:
    """The stored value, or the database's complaint about it."""
    if value is None:
        return None
    if column.type == "text":
        return value if isinstance(value, str) else jsonio.dumps(value).decode()
    if column.type == "text[]":
        if not isinstance(value, list):
            raise DatabaseError(f'malformed array literal: "{js_text(value)}"')
        return [None if item is None else _cast(Column("item"), item) for item in value]
    text = js_text(value) if not isinstance(value, (dict, list)) else jsonio.dumps(value).decode()
    cast = {"uuid": _uuid, "bool": _boolean, "int": _integer, "timestamptz": _timestamp}[column.type](value, text)
    if cast is None:
        raise DatabaseError(pg.invalid_input(TYPE_NAMES[column.type], text))
    return cast


def _uuid(value: Any, text: str) -> str | None:
    return pg_uuid(text) if isinstance(value, str) else None


def _boolean(value: Any, text: str) -> bool | None:
    return value if isinstance(value, bool) else PG_BOOLEANS.get(text.strip().lower())


def _integer(value: Any, text: str) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return int(value)
    return int(text.strip()) if text.strip().lstrip("+-").isdigit() else None


def _timestamp(value: Any, text: str) -> str | None:
    try:
        return format_timestamp(parse_timestamp(text)) if isinstance(value, str) else None
    except ValueError:
        return None


def spread(body: Any) -> dict[str, Any]:
    """`{...body}`: an object's fields, an array's or a string's indices, nothing otherwise."""
    if isinstance(body, dict):
        return dict(body)
    if isinstance(body, (list, str)):
        return {str(index): item for index, item in enumerate(body)}
    return {}


def _cast_fields(table: Table, fields: dict[str, Any], errors: DatabaseErrors) -> dict[str, Any]:
    cast = {}
    for name, value in fields.items():
        column = table.column(name)
        if column is None:
            raise DatabaseError(errors.unknown_column(table.name, name))
        cast[name] = _cast(column, value)
    return cast


def _check_row(table: Table, row: dict[str, Any]) -> None:
    for column in table.columns:
        if column.not_null and row[column.name] is None:
            raise DatabaseError(pg.not_null(table.name, column.name))
    for column in table.columns:
        if column.allowed and row[column.name] is not None and row[column.name] not in column.allowed:
            raise DatabaseError(pg.check_violation(table.name, f"{table.name}_{column.name}_check"))


def _js_now(call: Call) -> datetime:
    """new Date(): the server's clock at millisecond precision."""
    return call.now.replace(microsecond=call.now.microsecond // 1000 * 1000)


def insert_row(call: Call, table: Table, fields: dict[str, Any]) -> dict[str, Any]:
    errors = DatabaseErrors(call.world.sessions.backend)
    given = _cast_fields(table, fields, errors)
    row = {column.name: given[column.name] if column.name in given else _default(call, column)
           for column in table.columns}
    _check_row(table, row)
    if any(existing["id"] == row["id"] for existing in call.world.tables.every(table.name)):
        raise DatabaseError(pg.duplicate_key(f"{table.name}_pkey"))
    call.world.tables.insert(table.name, row)
    return row


def _default(call: Call, column: Column) -> Any:
    if column.default is NEW_ID:
        return call.world.ids.uuid()
    if column.default is NOW:
        return format_timestamp(call.now)
    return list(column.default) if isinstance(column.default, list) else column.default


def _matching(call: Call, table: Table, user_id: str, id_given: bool, row_id: Any) -> dict[str, Any] | None:
    """The row `.eq("id", row_id).eq("user_id", user_id)` selects."""
    if not id_given and DatabaseErrors(call.world.sessions.backend).missing_filter_matches_nothing():
        return None
    wanted = _cast(Column("id", "uuid"), js_text(row_id) if id_given else "undefined")
    return call.world.tables.find(table.name, user_id, wanted)


def update_row(call: Call, table: Table, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
    errors = DatabaseErrors(call.world.sessions.backend)
    updates = {key: value for key, value in body.items() if key != "id"}
    if table.stamps_updates:
        updates["updated_at"] = format_timestamp(_js_now(call))
    if not updates and errors.shim:
        raise DatabaseError('syntax error at or near "where"')
    given = _cast_fields(table, updates, errors)
    row = _matching(call, table, user_id, "id" in body, body.get("id"))
    if row is None:
        raise DatabaseError(errors.no_single_row())
    changed = {**row, **given}
    _check_row(table, changed)
    row.update(changed)
    return row


def _answer(table: Table, row: dict[str, Any], columns: tuple[str, ...] = ()) -> dict[str, Any]:
    return {**{name: row[name] for name in columns or tuple(row)}, **table.extra}


def _ilike(pattern: str) -> Callable[[str], bool]:
    """PostgREST's ilike: `%` and `*` match any run, `_` one character, `\\` escapes."""
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append(".*" if char in "%*" else "." if char == "_" else re.escape(char))
    compiled = re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
    return lambda text: compiled.fullmatch(text) is not None


def lister(pick: Callable[..., Table]):
    async def handler(call: Call) -> web.Response:
        user_id = call.require_user()
        table = pick(call)
        rows = call.world.tables.rows(table.name, user_id)
        query = call.query("q") if table.searchable else None
        if query:
            matches = _ilike(f"%{query}%")
            rows = [row for row in rows if matches(row[table.searchable])]
        if table.newest_by:
            rows = sorted(rows, key=lambda row: parse_timestamp(row[table.newest_by]), reverse=True)
        return json_response([_answer(table, row, table.selected) for row in rows[:table.limit]])
    return handler


def _writer(pick: Callable[..., Table], write: Callable[..., dict[str, Any]]):
    async def handler(call: Call) -> web.Response:
        user_id = call.require_user()
        body = await _parsed(call)
        table = pick(call, body)
        fields = spread(body)
        if table in (RULES, RULE_SKILLS):
            fields.pop("table", None)
        return _database_answer(lambda: _answer(table, write(call, table, user_id, body, fields)))
    return handler


def creator(pick: Callable[..., Table]):
    return _writer(pick, lambda call, table, user_id, body, fields:
                   insert_row(call, table, {**fields, "user_id": user_id}))


def updater(pick: Callable[..., Table]):
    def write(call: Call, table: Table, user_id: str, body: Any, fields: dict[str, Any]) -> dict[str, Any]:
        if body is None:
            raise EmptyResponse(500)  # destructuring null throws outside any try
        return update_row(call, table, user_id, fields)
    return _writer(pick, write)


def deleter(pick: Callable[..., Table]):
    async def handler(call: Call) -> web.Response:
        user_id = call.require_user()
        table = pick(call)
        row_id = call.query("id")
        if not row_id:
            raise flat_error(400, "Missing id")

        def delete() -> dict[str, Any]:
            call.world.tables.delete(table.name, user_id, _cast(Column("id", "uuid"), row_id))
            return {"ok": True}
        return _database_answer(delete)
    return handler


def _database_answer(write: Callable[[], dict[str, Any]]) -> web.Response:
    try:
        return json_response(write())
    except DatabaseError as error:
        raise flat_error(500, str(error)) from None


async def _parsed(call: Call) -> Any:
    """`await req.json()` outside any try: a body that is not JSON is the framework's empty 500."""
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise EmptyResponse(500)
    return body


def fixed(table: Table) -> Callable[..., Table]:
    return lambda call, body=None: table


def rules_table(call: Call, body: Any = ...) -> Table:
    """agent_skills when asked for by name (the query on GET/DELETE, the body on POST/PUT), else agent_rules."""
    if body is ...:
        return RULE_SKILLS if call.query("table") == "agent_skills" else RULES
    if body is None:
        raise EmptyResponse(500)  # reading .table of null throws outside any try
    chosen = body.get("table") if isinstance(body, dict) else None
    return RULE_SKILLS if chosen == "agent_skills" else RULES
