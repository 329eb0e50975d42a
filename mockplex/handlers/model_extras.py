"""The model picker's extras: /api/models/new-arrivals (the "new models" popup and its
auto-enable switch) and /api/models/provider-icons.

A model is a new arrival for a user when it is available, not hidden, created after the
user's cursor (profiles.models_seen_at) and not pinned by a preference of theirs. What the
popup and its actions change is what GET /api/models then offers."""

from __future__ import annotations

from typing import Any, Callable

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.models_web import reachable_for
from mockplex.jsonio import NOT_JSON
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.world.records import Model, User

ICONS_CACHE = "private, max-age=300"
ARRIVAL_ACTIONS = ("dismiss", "disable")


def _arrivals(call: Call, user: User) -> list[Model]:
    """Catalog (storage) order. A model a fixture switched off counts as pinned."""
    world = call.world
    return [model for model in world.models
            if model.available and model.visible and model.created_at is not None
            and model.created_at > user.models_seen_at and model.enabled_by_default
            and world.model_preferences.of(user.id, model.id) is None]


def _pinned_off(call: Call, user: User, models: list[Model]) -> None:
    for model in models:
        call.world.model_preferences.set(user.id, model.id, False)


def _advance_cursor(user: User, arrivals: list[Model]) -> None:
    """Forward only, to the newest arrival handled (never the wall clock)."""
    if arrivals:
        user.models_seen_at = max(user.models_seen_at, max(model.created_at for model in arrivals))


def usable_in_some_scope(call: Call, user: User) -> Callable[[Model], bool]:
    """The popup's scopes: personal (own keys, no allowlist) and each of the user's teams
    (own keys plus the team's, within the team's allowlist)."""
    personal = reachable_for(call, user)
    teams = [(reachable_for(call, user, member.team_id), call.world.team_settings.allowlist_state(member.team_id))
             for member in call.world.teams.memberships_of(user.id)]
    return lambda model: personal(model) or any(reachable(model) and allowlist.permits(model.id)
                                                for reachable, allowlist in teams)


async def new_arrivals(call: Call) -> web.Response:
    if call.identity is None:
        return json_response({"models": [], "autoEnable": True})
    user = call.world.users[call.user_id]
    arrivals = _arrivals(call, user)
    if not user.auto_enable_new_models:
        _pinned_off(call, user, arrivals)
        _advance_cursor(user, arrivals)
        return json_response({"models": [], "autoEnable": False})
    usable = usable_in_some_scope(call, user)
    shown = [{"id": model.id, "name": model.name, "provider": model.provider}
             for model in arrivals if usable(model)]
    return json_response({"models": shown, "autoEnable": True})


async def _json_object(call: Call) -> dict[str, Any]:
    """`await request.json()` in a try: not JSON is a 400; JSON null is then dereferenced
    outside it (the framework's empty 500); other non-objects read as no fields."""
    body = await call.body()
    if body is NOT_JSON:
        raise flat_error(400, "Invalid JSON body")
    if body is None:
        raise EmptyResponse(500)
    return body if isinstance(body, dict) else {}


async def act_on_arrivals(call: Call) -> web.Response:
    user_id = call.require_user()
    action = (await _json_object(call)).get("action")
    if action not in ARRIVAL_ACTIONS:
        raise flat_error(400, "action must be 'dismiss' or 'disable'")
    user = call.world.users[user_id]
    arrivals = _arrivals(call, user)
    if action == "disable":
        user.auto_enable_new_models = False
        _pinned_off(call, user, arrivals)
    _advance_cursor(user, arrivals)
    return json_response({"ok": True})


async def set_auto_enable(call: Call) -> web.Response:
    user_id = call.require_user()
    auto_enable = (await _json_object(call)).get("autoEnable")
    if not isinstance(auto_enable, bool):
        raise flat_error(400, "autoEnable must be a boolean")
    call.world.users[user_id].auto_enable_new_models = auto_enable
    return json_response({"ok": True})


async def provider_icons(call: Call) -> web.Response:
    """The bucket holds one icon per provider of the catalog, listed by file name."""
    if call.identity is None:
        raise flat_error(401, "Unauthorized")
    if call.world.outside.provider_icons != "stored":
        raise flat_error(503, "Failed to load provider icons")
    providers = sorted({model.provider for model in call.world.models})
    return json_response({"providers": providers}, headers={"Cache-Control": ICONS_CACHE})
