"""A repo's own view of its owner's reusable resources: `/api/repos/{id}/connections`,
`/rules`, `/skills` and `/models`. Each reads the owner's global rows and the repo's
override rows, and writes only the overrides.

The server writes straight through to Postgres and echoes its errors as 500 `{"error"}`,
so the tables' constraints are modeled too: `repo_rule_overrides` and
`repo_skill_overrides` have no unique index for the upsert's ON CONFLICT, so excluding
an inherited rule or skill always fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.ids import is_strict_uuid, pg_uuid
from mockplex.jsvalues import js_string, js_truthy
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response
from mockplex.validation import js_prefix
from mockplex.world import database_errors as pg
from mockplex.world.records import Repo
from mockplex.world.repo_attachments import (
    CONNECTION_OVERRIDES, MODEL_OVERRIDES, RULE_OVERRIDES, SKILL_OVERRIDES, resolved_connections,
)

REPO_NOT_FOUND = flat_error(404, "Repo not found")
NO_ARBITER = "there is no unique or exclusion constraint matching the ON CONFLICT specification"
MODEL_FK = ('insert or update on table "repo_model_overrides" violates foreign key constraint '
            '"repo_model_overrides_model_id_fkey"')
PREVIEW_LENGTH = 80
OK = {"ok": True}


# -- the repo and the body ---------------------------------------------------------------------

def owned_repo(call: Call) -> Repo:
    """getOwnedRepo: a UUID-shaped id the caller owns."""
    user_id = call.require_user()
    repo_id = call.params["id"]
    repo = call.world.owned_repo(user_id, repo_id) if is_strict_uuid(repo_id) else None
    if repo is None:
        raise REPO_NOT_FOUND
    return repo


def queried_repo(call: Call, not_found: JsonError = REPO_NOT_FOUND) -> Repo:
    """A plain owner query whose error is ignored: any id Postgres cannot read is no row."""
    user_id = call.require_user()
    repo_id = pg_uuid(call.params["id"])
    repo = call.world.owned_repo(user_id, repo_id) if repo_id else None
    if repo is None:
        raise not_found
    return repo


async def body_fields(call: Call) -> dict[str, Any]:
    """`await req.json()` outside any try, then its fields read: bad JSON or a null body
    throws (the framework's empty 500); any other non-object has no fields."""
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)
    return body if isinstance(body, dict) else {}


def as_text(value: Any) -> str:
    """What a text column stores from a JSON value."""
    return value if isinstance(value, str) else jsonio.dumps(value).decode()


def pg_now(call: Call) -> str:
    """now() as the row's timestamptz reads back."""
    return format_timestamp(call.now)


def override_deleter(table: str, find_repo: Callable[[Call], Repo]):
    """DELETE ?overrideId=: any row of this repo's with that id, gone or not."""
    async def handler(call: Call) -> web.Response:
        repo = find_repo(call)
        override_id = call.query("overrideId")
        if not override_id:
            raise flat_error(400, "overrideId required")
        call.world.repo_attachments.delete(table, repo.id, id=filtered_uuid(override_id))
        return json_response(OK)
    return handler


def filtered_uuid(text: str) -> str:
    """`.eq(uuid column, text)`: Postgres's 22P02, echoed as a 500, when it cannot read the text."""
    row_id = pg_uuid(text)
    if row_id is None:
        raise flat_error(500, pg.invalid_input("uuid", text))
    return row_id


async def toggle(call: Call, reference: str, missing: str) -> tuple[Any, bool]:
    """(what, excluded) of an exclude/include body: a truthy reference and a boolean."""
    fields = await body_fields(call)
    chosen, excluded = fields.get(reference), fields.get("excluded")
    if not js_truthy(chosen) or not isinstance(excluded, bool):
        raise flat_error(400, missing)
    return chosen, excluded


# -- connections ---------------------------------------------------------------------------------

async def list_connections(call: Call) -> web.Response:
    repo = queried_repo(call)
    world = call.world
    mine = world.mcp_servers.connections.of(repo.user_id)
    inherited = [c for c in mine if c.row["scope"] == "global"]
    own = [c for c in mine if c.row["scope"] == "project" and pg_uuid(c.row["repo_id"] or "") == repo.id]
    overrides = world.repo_attachments.rows(
        CONNECTION_OVERRIDES, repo.id, lambda row: world.mcp_servers.connections.get(row["connection_id"]) is not None)
    excluded = {row["connection_id"] for row in overrides if row["excluded"]}
    resolved = resolved_connections(inherited, own, excluded)
    return json_response({
        "connections": [c.row for c in inherited + own],
        "overrides": [dict(row) for row in overrides],
        "resolved_mcp_count": sum(1 for c in resolved if c.row["type"] == "mcp_server"),
    })


async def set_connection_override(call: Call) -> web.Response:
    repo = queried_repo(call)
    chosen, excluded = await toggle(call, "connection_id", "connection_id + excluded required")
    connection = call.world.mcp_servers.connections.get(pg_uuid(js_string(chosen)))
    if connection is None or connection.user_id != repo.user_id or connection.row["scope"] != "global":
        raise flat_error(404, "Global connection not found")
    attachments, connection_id = call.world.repo_attachments, connection.row["id"]
    if not excluded:
        attachments.delete(CONNECTION_OVERRIDES, repo.id, connection_id=connection_id)
    elif attachments.find(CONNECTION_OVERRIDES, repo.id, connection_id=connection_id) is None:
        attachments.insert(CONNECTION_OVERRIDES, {
            "id": call.world.ids.uuid(), "repo_id": repo.id, "connection_id": connection_id, "excluded": True,
            "created_at": pg_now(call)})
    return json_response(OK)


delete_connection_override = override_deleter(CONNECTION_OVERRIDES, queried_repo)


# -- rules and skills ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Inherited:
    """Rules or skills: the owner's rows a repo inherits, and its override table."""
    plural: str
    source: str  # the owner's table
    overrides: str
    reference: str  # the override's column naming an inherited row
    missing: str
    shown: Callable[[dict[str, Any]], dict[str, Any]]  # the fields the panel renders
    added: Callable[[dict[str, Any]], dict[str, Any]]  # a repo-only row's columns from the body


def _rule_shown(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "content_preview": js_prefix(row["content"] or "", PREVIEW_LENGTH)}


def _skill_shown(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row["name"], "description": row["description"]}


def _with_content(fields: dict[str, Any]) -> str:
    content = fields.get("content")
    return "" if content is None else as_text(content)


RULES = Inherited("rules", "agent_rules", RULE_OVERRIDES, "rule_id", "rule_id+excluded or name required",
                  _rule_shown, lambda fields: {"content": _with_content(fields)})
SKILLS = Inherited("skills", "skills", SKILL_OVERRIDES, "skill_id", "skill_id+excluded or name required",
                   _skill_shown, lambda fields: {
                       "description": None if fields.get("description") is None else as_text(fields["description"]),
                       "type": None, "content": _with_content(fields), "model": None})


def inherited_lister(kind: Inherited):
    async def handler(call: Call) -> web.Response:
        repo = owned_repo(call)
        inherited = call.world.tables.rows(kind.source, repo.user_id)
        overrides = call.world.repo_attachments.rows(kind.overrides, repo.id)
        excluded = {row[kind.reference] for row in overrides if row["excluded"] and row[kind.reference]}
        own = [{"id": row["id"], **kind.shown(row), "source": "repo"}
               for row in overrides if not row[kind.reference] and row["name"]]
        return json_response({
            kind.plural: [{"id": row["id"], **kind.shown(row), "source": "global"}
                          for row in inherited if row["id"] not in excluded] + own,
            "excluded_inherited": [{"id": row["id"], **kind.shown(row)} for row in inherited if row["id"] in excluded],
        })
    return handler


def inherited_writer(kind: Inherited):
    """Exclude or include an inherited row (the upsert Postgres refuses), or add a repo-only one."""
    async def handler(call: Call) -> web.Response:
        repo = owned_repo(call)
        fields = await body_fields(call)
        if js_truthy(fields.get(kind.reference)) and isinstance(fields.get("excluded"), bool):
            raise flat_error(500, NO_ARBITER)
        if not js_truthy(fields.get("name")):
            raise flat_error(400, kind.missing)
        call.world.repo_attachments.insert(kind.overrides, {
            "id": call.world.ids.uuid(), "repo_id": repo.id, kind.reference: None, "excluded": False,
            "name": as_text(fields["name"]), **kind.added(fields), "created_at": pg_now(call)})
        return json_response(OK)
    return handler


list_rules, add_rule_override = inherited_lister(RULES), inherited_writer(RULES)
delete_rule_override = override_deleter(RULE_OVERRIDES, owned_repo)
list_skills, add_skill_override = inherited_lister(SKILLS), inherited_writer(SKILLS)
delete_skill_override = override_deleter(SKILL_OVERRIDES, owned_repo)


# -- models --------------------------------------------------------------------------------------

async def list_models(call: Call) -> web.Response:
    repo = owned_repo(call)
    world = call.world
    overrides = world.repo_attachments.rows(MODEL_OVERRIDES, repo.id)
    excluded = {row["model_id"] for row in overrides if row["excluded"]}
    catalog = sorted(world.models, key=lambda model: model.provider)  # ORDER BY provider
    return json_response({
        "models": [{"id": model.id, "provider": model.provider, "name": model.name,
                    "context_length": model.context_length, "capabilities": list(model.capabilities),
                    "is_available": model.available, "is_hidden": not model.visible, "is_enabled": True}
                   for model in catalog
                   if model.visible and world.model_enabled(repo.user_id, model) and model.id not in excluded],
        "overrides": [{"model_id": row["model_id"], "excluded": row["excluded"]} for row in overrides],
    })


async def set_model_override(call: Call) -> web.Response:
    repo = owned_repo(call)
    chosen, excluded = await toggle(call, "model_id", "model_id and excluded required")
    attachments, model_id = call.world.repo_attachments, as_text(chosen)
    if not excluded:  # the delete's error is never read
        attachments.delete(MODEL_OVERRIDES, repo.id, model_id=model_id)
        return json_response(OK)
    if model_id not in {model.id for model in call.world.models}:
        raise flat_error(500, MODEL_FK)
    if attachments.find(MODEL_OVERRIDES, repo.id, model_id=model_id) is None:
        attachments.insert(MODEL_OVERRIDES, {"repo_id": repo.id, "model_id": model_id, "excluded": True})
    return json_response(OK)
