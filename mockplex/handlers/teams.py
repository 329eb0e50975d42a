"""Creating a team and the slug namespace it claims (`POST /api/teams`,
`GET /api/teams/slug-check`), and the caller's memberships (`GET /api/memberships`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.team_access import record_team_event
from mockplex.handlers.web_bodies import guarded_fields
from mockplex.responses import flat_error, json_response
from mockplex.validation import js_length, js_trim
from mockplex.world.team_icons import team_icon_url
from mockplex.world.team_slugs import is_reserved_slug, is_valid_scope_slug, profile_slug
from mockplex.world.tree_paths import collation_key
from mockplex.world.world import World

MAX_NAME_LENGTH = 80
INVALID_SLUG = "Invalid slug: must be 1-39 chars [a-z0-9-], no leading/trailing/double hyphens"


def _slug_in_use(world: World, slug: str) -> bool:
    """Teams and personal accounts share one slug namespace."""
    return world.teams.by_slug(slug) is not None or any(profile_slug(user) == slug for user in world.users.values())


def _trimmed(value: Any) -> str:
    return js_trim(value) if isinstance(value, str) else ""


async def create_team(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await guarded_fields(call)
    name, slug = _trimmed(body.get("name")), _trimmed(body.get("slug")).lower()
    if not 0 < js_length(name) <= MAX_NAME_LENGTH:
        raise flat_error(422, "Team name must be 1-80 characters")
    if not is_valid_scope_slug(slug):
        raise flat_error(422, INVALID_SLUG)
    if is_reserved_slug(slug):
        raise flat_error(422, "Slug is reserved")
    if _slug_in_use(call.world, slug):
        raise flat_error(409, "Slug already taken")
    team = call.world.teams.create(call.world.ids.uuid(), name, slug, user_id, call.now, call.world.ids.uuid())
    record_team_event(call, team.id, user_id, "team.created", "team", team.id, {"name": team.name, "slug": team.slug})
    return json_response({"team": {"id": team.id, "slug": team.slug, "name": team.name}}, status=201)


async def check_slug(call: Call) -> web.Response:
    call.require_user()
    slug = js_trim(call.query("slug") or "").lower()
    if not slug or not is_valid_scope_slug(slug):
        return json_response({"available": False, "reason": "invalid"})
    if is_reserved_slug(slug):
        return json_response({"available": False, "reason": "reserved"})
    if _slug_in_use(call.world, slug):
        return json_response({"available": False, "reason": "taken"})
    return json_response({"available": True})


async def list_memberships(call: Call) -> web.Response:
    user_id = call.require_user()
    user = call.world.users.get(user_id)
    if user is None:
        raise flat_error(500, "Failed to load profile")
    storage = call.world.outside.team_icon_storage
    teams = []
    for member in call.world.teams.memberships_of(user_id):
        team = call.world.teams.get(member.team_id)
        teams.append({"id": team.id, "slug": team.slug, "name": team.name,
                      "iconUrl": team_icon_url(team.icon_path, storage), "role": member.role})
    return json_response({
        "personal": {"slug": profile_slug(user), "name": user.name, "avatarUrl": user.avatar_url},
        "teams": sorted(teams, key=lambda team: collation_key(team["name"])),
    })
