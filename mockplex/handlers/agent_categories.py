"""A user's own agent categories: GET|POST|DELETE /api/agent-categories. Once one exists,
/api/agents accepts its slug as an agent's category; deleting it clears it from them."""

from __future__ import annotations

import re
import unicodedata

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.agents_web import BUILT_IN_CATEGORIES
from mockplex.ids import is_strict_uuid
from mockplex.responses import flat_error, json_response
from mockplex.validation import JS_WHITESPACE, js_length, js_trim
from mockplex.world.agent_categories import AgentCategory

MAX_LABEL = 40
MAX_SLUG = 40
MAX_PER_USER = 50
SLUG_ATTEMPTS = 20
_SPACE_RUN = re.compile(f"[{re.escape(JS_WHITESPACE)}]+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_COMBINING_MARKS = re.compile("[\u0300-\u036f]")


def _row(category: AgentCategory) -> dict[str, str]:
    return {"id": category.id, "slug": category.slug, "label": category.label,
            "created_at": format_timestamp(category.created_at)}


def _label(value: object) -> str:
    return _SPACE_RUN.sub(" ", js_trim(value)) if isinstance(value, str) else ""


def _slugified(label: str) -> str:
    text = _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", label.lower()))
    return _NOT_SLUG.sub("-", text).strip("-")[:MAX_SLUG].strip("-")


def _free_slug(base: str, taken: set[str]) -> str | None:
    """`base`, else `base-2` … `base-20` (the base cut so the whole stays within MAX_SLUG)."""
    if base not in taken:
        return base
    for attempt in range(2, SLUG_ATTEMPTS + 1):
        suffix = f"-{attempt}"
        stem = base[:MAX_SLUG - len(suffix)].rstrip("-")
        if not stem:
            return None
        if stem + suffix not in taken:
            return stem + suffix
    return None


async def list_categories(call: Call) -> web.Response:
    user_id = call.require_user()
    rows = sorted(call.world.agent_categories.of_user(user_id), key=lambda row: row.label)
    return json_response([_row(row) for row in rows])


async def create_category(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.body()
    label = _label(body.get("label") if isinstance(body, dict) else None)
    if not label:
        raise flat_error(400, "Category name is required")
    if js_length(label) > MAX_LABEL:
        raise flat_error(400, f"Category name must be {MAX_LABEL} characters or less")
    base = _slugified(label)
    if not base:
        raise flat_error(400, "Category name must include letters or numbers")
    existing = call.world.agent_categories.of_user(user_id)
    if len(existing) >= MAX_PER_USER:
        raise flat_error(400, f"You can have at most {MAX_PER_USER} categories")
    slug = _free_slug(base, set(BUILT_IN_CATEGORIES) | {row.slug for row in existing})
    if slug is None:
        raise flat_error(409, "Could not generate a unique category slug")
    category = AgentCategory(id=call.world.ids.uuid(), user_id=user_id, slug=slug, label=label, created_at=call.now)
    call.world.agent_categories.add(category)
    return json_response(_row(category))


async def delete_category(call: Call) -> web.Response:
    user_id = call.require_user()
    raw_id = call.query("id")
    if not raw_id:
        raise flat_error(400, "Missing id")
    if not is_strict_uuid(raw_id):
        raise flat_error(400, "Invalid id")
    category = call.world.agent_categories.owned(user_id, raw_id.lower())
    if category is None:
        raise flat_error(404, "Category not found")
    agents = call.world.agents
    cleared = [agent for agent in agents.of_user(user_id) if agent.category == category.slug]
    for agent in cleared:
        agent.category = None
        agents.rewritten(agent)
    call.world.agent_categories.remove(category)
    return json_response({"ok": True, "cleared": len(cleared)})
