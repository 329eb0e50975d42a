"""/api/agents and its roster (internal spec §2.3): presets plus the user's own rows.

Writes validate only the fields a body carries, then reach the database as the server's
do: an update that matches no row, or an id Postgres cannot read, is the data layer's 500.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers import agent_generator as generator
from mockplex.handlers.team_models import refuse_off_allowlist
from mockplex.ids import is_strict_uuid, pg_uuid
from mockplex.render import web as render
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.validation import js_length, js_trim
from mockplex.world import database_errors as pg
from mockplex.world.database_errors import DatabaseErrors
from mockplex.world.records import TEMPLATE_MODEL, Agent
from mockplex.world.world import World

BUILT_IN_CATEGORIES = ("nextjs", "performance", "api", "security", "data", "frontend", "code-review",
                       "code-quality", "seo")
CATEGORY_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
MAX_NAME, MAX_DESCRIPTION, MAX_SYSTEM_PROMPT = 60, 200, 50_000
CREATE_FIELDS = ("name", "model", "system_prompt", "description", "category", "source_template")
UPDATE_FIELDS = CREATE_FIELDS[:-1]  # source_template is set when a fork is made, never after
TRIMMED_FIELDS = ("name", "model", "category")
REQUIRABLE_FIELDS = ("name", "model", "category")
PRESET_EPOCH = "1970-01-01T00:00:00.000Z"


def _caller_in_foreign_team(call: Call, user_id: str) -> bool:
    """A well-formed x-mogplex-team-id naming a team the caller is not in: every model
    check in that scope fails closed (no capabilities)."""
    team_id = call.request.headers.get("x-mogplex-team-id", "").strip()
    return is_strict_uuid(team_id) and not call.world.teams.is_member(user_id, team_id)


def _usable_model_ids(world: World, user_id: str) -> list[str]:
    """Enabled, visible, available models in the order a default is picked from."""
    usable = [model for model in world.models
              if model.visible and model.available and world.model_enabled(user_id, model)]
    return [model.id for model in sorted(usable, key=lambda model: (model.provider, model.name, model.id))]


def _preset_model(call: Call, user_id: str) -> str:
    """The user's stored default when usable, else the template model, else the first usable one."""
    usable = [] if _caller_in_foreign_team(call, user_id) else _usable_model_ids(call.world, user_id)
    stored = call.world.users[user_id].default_model
    for candidate in (stored, TEMPLATE_MODEL):
        if candidate in usable:
            return candidate
    return usable[0] if usable else TEMPLATE_MODEL


async def list_agents(call: Call) -> web.Response:
    user_id = call.require_user()
    world = call.world
    rows = world.agents.of_user(user_id)[:200]
    forked = {agent.source_template for agent in rows if agent.source_template}
    model = _preset_model(call, user_id)
    presets = [{"id": f"preset:{preset.name}", "user_id": user_id, "name": preset.name, "model": model,
                "system_prompt": preset.system_prompt, "description": preset.description,
                "category": preset.category, "source_template": preset.name, "created_at": PRESET_EPOCH,
                "is_preset": True, "has_fork": preset.name in forked} for preset in world.agents.presets]
    return json_response(presets + [render.agent(agent) for agent in rows])


# -- writes -----------------------------------------------------------------------------

async def _lenient_body(call: Call) -> Any:
    """`await req.json().catch(() => null)`: malformed JSON reads as no body at all."""
    body = await call.body()
    return None if body is jsonio.NOT_JSON else body


def _picked(body: Any, allowed: Iterable[str]) -> dict[str, Any]:
    """The allowlisted keys the body carries, in allowlist order; name, model and category trimmed."""
    if not isinstance(body, dict):
        return {}
    return {key: js_trim(body[key]) if key in TRIMMED_FIELDS and isinstance(body[key], str) else body[key]
            for key in allowed if key in body}


def _filled(value: Any) -> bool:
    return isinstance(value, str) and js_trim(value) != ""


def _present(value: Any) -> bool:
    """JavaScript's `value != null && value !== ""`."""
    return value is not None and value != ""


def _problem(fields: dict[str, Any], required: Iterable[str]) -> str | None:
    """The first rule the fields break, in the server's order."""
    name, description, category = fields.get("name"), fields.get("description"), fields.get("category")
    prompt, model = fields.get("system_prompt"), fields.get("model")
    checks = (
        ("name" in required and not _filled(name), "Name is required"),
        (isinstance(name, str) and js_length(name) > MAX_NAME, f"Name must be {MAX_NAME} characters or less"),
        (isinstance(description, str) and js_length(description) > MAX_DESCRIPTION,
         f"Description must be {MAX_DESCRIPTION} characters or less"),
        ("category" in required and not _filled(category), "Category is required"),
        (_present(category) and not (isinstance(category, str) and CATEGORY_SLUG.fullmatch(category)),
         "Invalid category"),
        (isinstance(prompt, str) and js_length(prompt) > MAX_SYSTEM_PROMPT, "System prompt is too long"),
        ("model" in required and not _filled(model), "Model is required"),
        (_present(model) and not _filled(model), "Invalid model"),
    )
    return next((message for broken, message in checks if broken), None)


def _validated(call: Call, user_id: str, fields: dict[str, Any], required: Iterable[str]) -> None:
    problem = _problem(fields, required)
    if problem is not None:
        raise flat_error(400, problem)
    category = fields.get("category")
    # A slug outside the built-in set must be one of the user's own categories.
    if (isinstance(category, str) and category and category not in BUILT_IN_CATEGORIES
            and not call.world.agent_categories.has_slug(user_id, category)):
        raise flat_error(400, "Invalid category")


def _as_text(value: Any) -> str | None:
    """What a text column stores from a JSON value: strings as they are, anything else as its JSON."""
    if value is None or isinstance(value, str):
        return value
    return jsonio.dumps(value).decode()


async def create_agent(call: Call) -> web.Response:
    user_id = call.require_user()
    fields = _picked(await _lenient_body(call), CREATE_FIELDS)
    _validated(call, user_id, fields, REQUIRABLE_FIELDS)
    agent = Agent(id=call.world.ids.uuid(), user_id=user_id, name=fields["name"], slug=None, model=fields["model"],
                  description=_as_text(fields.get("description")), category=fields["category"],
                  source_template=_as_text(fields.get("source_template")), created_at=call.now,
                  system_prompt=_as_text(fields.get("system_prompt")))
    call.world.agents.add(agent)
    return json_response(render.agent(agent))


def _stored_row(call: Call, user_id: str, raw_id: str) -> Agent:
    """The row `.eq(id).eq(user_id)` matches, or the data layer's 500."""
    agent_id = pg_uuid(raw_id)
    if agent_id is None:
        raise flat_error(500, pg.invalid_input("uuid", raw_id))
    agent = call.world.agents.owned(user_id, agent_id)
    if agent is None:
        raise flat_error(500, DatabaseErrors(call.world.sessions.backend).no_single_row())
    return agent


def _empty_update_error(call: Call) -> str:
    """An update with no columns: the Neon shim writes `set  where` (a syntax error);
    PostgREST selects nothing, which `.single()` refuses."""
    errors = DatabaseErrors(call.world.sessions.backend)
    return 'syntax error at or near "where"' if errors.shim else errors.no_single_row()


async def update_agent(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _lenient_body(call)
    raw_id = body.get("id") if isinstance(body, dict) else None
    if not _filled(raw_id):
        raise flat_error(400, "Invalid agent id")
    updates = _picked(body, UPDATE_FIELDS)
    _validated(call, user_id, updates, [field for field in REQUIRABLE_FIELDS if field in updates])
    if not updates:
        raise flat_error(500, _empty_update_error(call))
    agent = _stored_row(call, user_id, raw_id)
    for key, value in updates.items():
        setattr(agent, key, value if key in TRIMMED_FIELDS else _as_text(value))
    call.world.agents.rewritten(agent)
    return json_response(render.agent(agent))


async def delete_agent(call: Call) -> web.Response:
    user_id = call.require_user()
    raw_id = call.query("id")
    if not raw_id:
        raise flat_error(400, "Missing id")
    agent_id = pg_uuid(raw_id)
    if agent_id is None:
        raise flat_error(500, pg.invalid_input("uuid", raw_id))
    call.world.agents.delete(user_id, agent_id)
    return json_response({"ok": True})


# -- roster -------------------------------------------------------------------------------

async def roster(call: Call) -> web.Response:
    """Unforked presets, then every row in storage order. Activity comes from AI calls
    whose metadata names the agent; no call the world records carries one, so all idle."""
    user_id = call.require_user()
    rows = call.world.agents.of_user(user_id)
    forked = {agent.source_template for agent in rows if agent.source_template}
    entries = [(f"preset:{preset.name}", preset.name, preset.description)
               for preset in call.world.agents.presets if preset.name not in forked]
    entries += [(agent.id, agent.name, agent.description) for agent in rows]
    return json_response([{"id": agent_id, "name": name, "description": description or "", "status": "idle",
                           "cycleCount": 0, "lastActivity": None} for agent_id, name, description in entries])


async def roster_summary(call: Call) -> web.Response:
    """Runs in the last day per agent, attributed through assignments and triggers; the
    world's job runs come from automations, which carry neither, so the object is empty."""
    call.require_user()
    return json_response({})


# -- generation -----------------------------------------------------------------------------

async def generate(call: Call) -> web.StreamResponse:
    user_id = call.require_user()
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)  # an unguarded req.json(), then a field read off null
    fields = body if isinstance(body, dict) else {}
    description = fields.get("description")
    problem = generator.request_problem(description)
    if problem is not None:
        raise flat_error(400, problem)
    model = js_trim(fields["generatorModel"]) if isinstance(fields.get("generatorModel"), str) else ""
    if model and model not in _usable_model_ids(call.world, user_id):
        raise flat_error(400, "generatorModel must be enabled and available")
    if _caller_in_foreign_team(call, user_id):
        raise flat_error(403, generator.ROLE_DENIED)
    refuse_off_allowlist(call, user_id, model or _preset_model(call, user_id))
    outcome = call.world.outside.agent_generator
    refused = generator.refusal(outcome)
    if refused is not None:
        raise refused
    text = "" if outcome == "stream_error" else generator.draft_text(description, fields.get("existingAgent"))
    return await generator.stream_draft(call, text)
