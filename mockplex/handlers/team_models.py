"""A team's model policy: /api/teams/{teamId}/models. `model_allowlist` is null (every
model) or the only catalog models the team's scope may use, stored trimmed, deduplicated
and sorted; an empty list allows none. GET /api/models in the team's scope and the
new-models popup read it, and the model resolver refuses what it does not allow."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.models_web import active_team
from mockplex.handlers.team_access import managing_access, record_team_event, team_access
from mockplex.handlers.web_bodies import guarded_fields
from mockplex.responses import flat_error, json_response
from mockplex.validation import js_trim

_NOT_AN_ALLOWLIST = object()
MODEL_NOT_IN_ALLOWLIST = "This model is not on the team's model allowlist."


async def get_team_models(call: Call) -> web.Response:
    user_id = call.require_user()
    access = team_access(call, user_id)
    return json_response({"modelAllowlist": call.world.team_settings.allowlist(access.team_id),
                          "viewer": {"canManage": access.can_manage}})


def _utf16_order(text: str) -> bytes:
    """Array.prototype.sort's default order: by UTF-16 code units."""
    return text.encode("utf-16-be", "surrogatepass")


def normalized_allowlist(value: Any) -> Any:
    """null stays null; a list of non-blank strings becomes its trimmed, distinct, sorted
    ids; anything else is not an allowlist."""
    if value is None:
        return None
    if not isinstance(value, list):
        return _NOT_AN_ALLOWLIST
    seen: dict[str, None] = {}
    for item in value:
        trimmed = js_trim(item) if isinstance(item, str) else ""
        if not trimmed:
            return _NOT_AN_ALLOWLIST
        seen[trimmed] = None
    return sorted(seen, key=_utf16_order)


async def patch_team_models(call: Call) -> web.Response:
    user_id = call.require_user()
    access = managing_access(call, user_id)
    body = await guarded_fields(call)
    allowlist = normalized_allowlist(body.get("model_allowlist", _NOT_AN_ALLOWLIST))
    if allowlist is _NOT_AN_ALLOWLIST:
        raise flat_error(422, "model_allowlist must be null or an array of model IDs")
    catalog = {model.id for model in call.world.models}
    missing = [model_id for model_id in allowlist or [] if model_id not in catalog]
    if missing:
        raise flat_error(422, f"Unknown model IDs: {', '.join(missing)}")
    settings = call.world.team_settings
    previous = settings.allowlist(access.team_id)
    settings.set_allowlist(access.team_id, allowlist)
    record_team_event(call, access.team_id, user_id, "model_allowlist.changed", "team", access.team_id,
                      {"from_model_allowlist": previous, "to_model_allowlist": allowlist})
    return json_response({"ok": True})


def refuse_off_allowlist(call: Call, user_id: str, model_id: str) -> None:
    """The model resolver's allowlist gate in a team's scope: a model the team does not
    allow is refused (403) and the denial lands in the team's audit trail."""
    team_id = active_team(call)
    if team_id is None or not call.world.teams.is_member(user_id, team_id):
        return
    state = call.world.team_settings.allowlist_state(team_id)
    model_id = js_trim(model_id)
    if state.permits(model_id):
        return
    call.world.team_audit.record(call.world.ids.uuid(), call.now, team_id, user_id, "model.denied", "model",
                                 target_id=model_id, payload={"allowlist_size": len(state.models or ())},
                                 decision_code="model_not_in_allowlist")
    raise flat_error(403, MODEL_NOT_IN_ALLOWLIST)
