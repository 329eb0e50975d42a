"""Plain per-user CRUD tables of the web app: custom commands, skills and rules.

Each is a list of rows in the world; the routes differ only in their columns, limits
and messages, so one small description per table drives the four handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.responses import flat_error, json_response


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    limit: int
    newest_by: str = "created_at"
    extra: dict[str, Any] | None = None  # fixed fields added to every answer (e.g. scope)
    missing_on_update: str = "Not found"
    filter_by_query: Callable[[dict[str, Any], str], bool] | None = None


COMMANDS = Table("commands", ("name", "description", "template"), 100)
SKILLS = Table("skills", ("name", "description", "content", "is_public", "tags"), 200, newest_by="updated_at",
               extra={"scope": "global"}, missing_on_update="Skill not found",
               filter_by_query=lambda row, q: q.lower() in str(row.get("name", "")).lower())
RULES = Table("agent_rules", ("name", "content", "type"), 500)
RULE_SKILLS = Table("agent_skills", ("name", "content", "type"), 500)


def _present(row: dict[str, Any], table: Table) -> dict[str, Any]:
    return {**{key: value for key, value in row.items() if key != "user_id" or table is not SKILLS},
            **(table.extra or {})}



def lister(pick: Callable[[Call], Table]):
    async def handler(call: Call) -> web.Response:
        user_id = call.require_user()
        table = pick(call)
        rows = call.world.tables.rows(table.name, user_id)
        query = call.query("q")
        if query and table.filter_by_query:
            rows = [row for row in rows if table.filter_by_query(row, query)]
        rows = sorted(rows, key=lambda row: row[table.newest_by], reverse=True)[:table.limit]
        return json_response([_present(row, table) for row in rows])
    return handler


def creator(pick: Callable[[Call], Table]):
    async def handler(call: Call) -> web.Response:
        user_id = call.require_user()
        body = await call.unguarded_body()
        table = pick(call, body)
        stamp = format_timestamp(call.now)
        row = {"id": call.world.ids.uuid(), "user_id": user_id,
               **{column: body.get(column) for column in table.columns}}
        counted = table.newest_by == "updated_at"
        row.update({"usage_count": 0} if counted else {})
        row["created_at"] = stamp
        row.update({"updated_at": stamp} if counted else {})
        call.world.tables.insert(table.name, row)
        return json_response(_present(row, table))
    return handler


def updater(pick: Callable[[Call], Table]):
    async def handler(call: Call) -> web.Response:
        user_id = call.require_user()
        body = await call.unguarded_body()
        table = pick(call, body)
        if not body.get("id"):
            raise flat_error(400, "Missing id")
        row = call.world.tables.find(table.name, user_id, body.get("id"))
        if row is None:
            raise flat_error(404, table.missing_on_update)
        row.update({column: body[column] for column in table.columns if column in body})
        if table.newest_by == "updated_at":
            row["updated_at"] = format_timestamp(call.now)
        return json_response(_present(row, table))
    return handler


def deleter(pick: Callable[[Call], Table]):
    async def handler(call: Call) -> web.Response:
        user_id = call.require_user()
        row_id = call.query("id")
        if not row_id:
            raise flat_error(400, "Missing id")
        table = pick(call)
        call.world.tables.delete(table.name, user_id, row_id)
        return json_response({"ok": True})
    return handler


def fixed(table: Table) -> Callable[..., Table]:
    return lambda call, body=None: table


def rules_table(call: Call, body: dict[str, Any] | None = None) -> Table:
    """/api/rules serves agent_rules, or agent_skills when `table=agent_skills` (query or body)."""
    chosen = (body or {}).get("table") or call.query("table")
    return RULE_SKILLS if chosen == "agent_skills" else RULES
