"""/api/agents and its roster (internal spec §2.3): presets plus the user's own rows."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.streams import open_stream, send_frames
from mockplex.render import web as render
from mockplex.responses import flat_error, json_response
from mockplex.world.records import TEMPLATE_MODEL, Agent

CATEGORIES = ("nextjs", "performance", "api", "security", "data", "frontend", "code-review", "code-quality", "seo")
MAX_SYSTEM_PROMPT = 20_000
PRESET_EPOCH = "1970-01-01T00:00:00.000Z"


async def list_agents(call: Call) -> web.Response:
    user_id = call.require_user()
    world = call.world
    own = world.agents.listed(user_id)
    forked = {agent.source_template for agent in own}
    model = world.users[user_id].default_model or TEMPLATE_MODEL
    presets = [{"id": f"preset:{preset.name}", "user_id": user_id, "name": preset.name, "model": model,
                "system_prompt": f"You are {preset.name}. {preset.description}", "description": preset.description,
                "category": preset.category, "source_template": preset.name, "created_at": PRESET_EPOCH,
                "is_preset": True, "has_fork": preset.name in forked} for preset in world.agents.presets]
    return json_response(presets + [render.agent(agent) for agent in own])


def _validated(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    name = body.get("name").strip() if isinstance(body.get("name"), str) else ""
    if not name:
        raise flat_error(400, "Name is required")
    if len(name) > 60:
        raise flat_error(400, "Name must be 60 characters or less")
    description = body.get("description") if isinstance(body.get("description"), str) else None
    if description and len(description) > 200:
        raise flat_error(400, "Description must be 200 characters or less")
    if not body.get("category"):
        raise flat_error(400, "Category is required")
    if body["category"] not in CATEGORIES:
        raise flat_error(400, "Invalid category")
    prompt = body.get("system_prompt") if isinstance(body.get("system_prompt"), str) else ""
    if len(prompt) > MAX_SYSTEM_PROMPT:
        raise flat_error(400, "System prompt is too long")
    if not (isinstance(body.get("model"), str) and body["model"].strip()):
        raise flat_error(400, "Model is required")
    fields = {"name": name, "description": description, "category": body["category"], "system_prompt": prompt,
              "model": body["model"].strip()}
    if creating:
        fields["source_template"] = body.get("source_template") if isinstance(body.get("source_template"), str) else None
    return fields



async def create_agent(call: Call) -> web.Response:
    user_id = call.require_user()
    fields = _validated(await call.unguarded_body(), creating=True)
    agent = Agent(id=call.world.ids.uuid(), user_id=user_id, slug=re.sub(r"[^a-z0-9]+", "-", fields["name"].lower())
                  .strip("-") or None, created_at=call.now, **fields)
    call.world.agents.add(agent)
    return json_response(render.agent(agent))


async def update_agent(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    agent = call.world.agents.owned(user_id, body.get("id"))
    if agent is None:
        raise flat_error(400, "Invalid agent id")
    for key, value in _validated(body, creating=False).items():
        setattr(agent, key, value)
    return json_response(render.agent(agent))


async def delete_agent(call: Call) -> web.Response:
    user_id = call.require_user()
    agent_id = call.query("id")
    if not agent_id:
        raise flat_error(400, "Missing id")
    call.world.agents.delete(user_id, agent_id)
    return json_response({"ok": True})


async def roster(call: Call) -> web.Response:
    user_id = call.require_user()
    agents = call.world.agents
    entries = [{"id": f"preset:{preset.name}", "name": preset.name, "description": preset.description}
               for preset in agents.unforked_presets(user_id)]
    entries += [{"id": agent.id, "name": agent.name, "description": agent.description}
                for agent in agents.listed(user_id)]
    return json_response([{**entry, "status": "idle", "cycleCount": 0, "lastActivity": None} for entry in entries])


async def roster_summary(call: Call) -> web.Response:
    call.require_user()
    return json_response({})


async def generate(call: Call) -> web.StreamResponse:
    user_id = call.require_user()
    body = await call.unguarded_body()
    description = body.get("description").strip() if isinstance(body.get("description"), str) else ""
    if not description:
        raise flat_error(400, "description is required")
    if len(description) > 2000:
        raise flat_error(400, "Description too long (max 2000)")
    model = body.get("generatorModel")
    if model is not None and model not in {m.id for m in call.world.available_models(user_id)}:
        raise flat_error(400, "generatorModel must be enabled and available")
    prompt = (f"You are a focused coding agent. Your job: {description}\n"
              "Work in small, reviewable steps, run the tests before you finish, and explain every change.\n")
    response = await open_stream(call.request, {"Content-Type": "text/plain; charset=utf-8"})
    await send_frames(response, [piece.encode() for piece in re.findall(r"\S+\s*", prompt)])
    await response.write_eof()
    return response
