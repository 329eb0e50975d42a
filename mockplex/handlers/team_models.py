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
from mockplex.world.teams import has_capability, model_capability

_NOT_AN_ALLOWLIST = object()
MODEL_NOT_IN_ALLOWLIST = "This model is not on the team's model allowlist."
ROLE_DENIED = "This model is not enabled for your team role."


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


def team_gate_refusal(call: Call, user_id: str, model_id: str, team_id: str | None) -> str | None:
    """resolveUserLanguageModel's team gates, before any key is looked up: the member's role
    must carry the model's capability (a non-member carries none), then the team's allowlist
    must hold it. A refusal is the resolver's error message; each leaves a `model.denied`
    row in the trail (when the team exists: the row references it)."""
    if team_id is None:
        return None
    world, model_id = call.world, js_trim(model_id)
    required = model_capability(model_id)
    if not has_capability(world.teams.role_of(user_id, team_id), required):
        refusal, code, payload = ROLE_DENIED, "capability_denied", {"required_capability": required}
    else:
        state = world.team_settings.allowlist_state(team_id)
        if state.permits(model_id):
            return None
        refusal, code, payload = MODEL_NOT_IN_ALLOWLIST, "model_not_in_allowlist", {"allowlist_size": len(state.models)}
    if world.teams.get(team_id) is not None:
        world.team_audit.record(world.ids.uuid(), call.now, team_id, user_id, "model.denied", "model",
                                target_id=model_id, payload=payload, decision_code=code)
    return refusal


def scoped_refusal(call: Call, user_id: str, model_id: object) -> str | None:
    """The team gates in the scope the request's x-mogplex-team-id names (none: personal)."""
    return team_gate_refusal(call, user_id, model_id, active_team(call)) if isinstance(model_id, str) else None


def refuse_off_allowlist(call: Call, user_id: str, model_id: str) -> None:
    """The model resolver's allowlist gate for a member of the header's team: a model the
    team does not allow is refused (403)."""
    team_id = active_team(call)
    if team_id is None or not call.world.teams.is_member(user_id, team_id):
        return
    refusal = team_gate_refusal(call, user_id, model_id, team_id)
    if refusal is not None:
        raise flat_error(403, refusal)
