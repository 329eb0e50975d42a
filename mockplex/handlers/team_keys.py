"""A team's shared provider keys: /api/teams/{teamId}/keys. Any member sees which
providers have a key (never a value); owners and admins set and remove them. A member
working in the team's scope then reaches models through these keys (see models_web)."""

from __future__ import annotations

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.provider_keys import PROVIDERS
from mockplex.handlers.team_access import managing_access, record_team_event, team_access
from mockplex.handlers.web_bodies import guarded_fields
from mockplex.responses import flat_error, json_response
from mockplex.validation import js_trim


async def list_team_keys(call: Call) -> web.Response:
    user_id = call.require_user()
    access = team_access(call, user_id)
    keys = [{"provider": key.provider, "created_at": format_timestamp(key.created_at),
             "updated_at": format_timestamp(key.updated_at)}
            for key in call.world.team_settings.listed_keys(access.team_id)]
    return json_response({"keys": keys, "viewer": {"role": access.role, "canManage": access.can_manage}})


def _provider(body: dict) -> str:
    provider = body.get("provider")
    if provider not in PROVIDERS:
        raise flat_error(400, "Invalid provider")
    return provider


def _audited(call: Call, team_id: str, user_id: str, verb: str, provider: str) -> web.Response:
    record_team_event(call, team_id, user_id, f"team_provider_key.{verb}", "provider_key", provider,
                      {"provider": provider})
    return json_response({"ok": True})


async def put_team_key(call: Call) -> web.Response:
    user_id = call.require_user()
    access = managing_access(call, user_id)
    body = await guarded_fields(call)
    key = js_trim(body["key"]) if isinstance(body.get("key"), str) else ""
    provider = _provider(body)
    if not key:
        raise flat_error(400, "Key is required")
    call.world.team_settings.put_key(access.team_id, provider, key, call.now)
    return _audited(call, access.team_id, user_id, "updated", provider)


async def delete_team_key(call: Call) -> web.Response:
    user_id = call.require_user()
    access = managing_access(call, user_id)
    provider = _provider(await guarded_fields(call))
    call.world.team_settings.delete_key(access.team_id, provider)
    return _audited(call, access.team_id, user_id, "deleted", provider)
