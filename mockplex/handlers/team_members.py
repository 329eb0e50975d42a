"""A team's members: the roster with its pending invites, role changes and removals
(`/api/teams/{teamId}/members[/{memberUserId}]`), and handing the team to another admin
(`POST /api/teams/{teamId}/ownership`)."""

from __future__ import annotations

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.team_access import TeamAccess, record_team_event, team_access
from mockplex.handlers.web_bodies import guarded_fields
from mockplex.ids import pg_uuid
from mockplex.responses import flat_error, json_response
from mockplex.validation import js_trim
from mockplex.world.team_icons import team_icon_url
from mockplex.world.teams import (CHECK_VIOLATION, INSUFFICIENT_PRIVILEGE, NO_DATA_FOUND, ROLES, TeamMember,
                                  LastOwnerError)

# What the transfer's SQLSTATEs become; anything else is the generic 500.
TRANSFER_FAILURES = {
    NO_DATA_FOUND: (404, "Team member not found"),
    CHECK_VIOLATION: (422, "Cannot transfer ownership to that member"),
    INSUFFICIENT_PRIVILEGE: (403, "Forbidden"),
}


def can_change_member_role(actor_role: str, target_role: str, next_role: str) -> bool:
    if "owner" in (target_role, next_role):
        return False
    if actor_role == "owner":
        return True
    if actor_role != "admin" or "admin" in (target_role, next_role):
        return False
    return next_role in ("developer", "viewer")


def can_remove_member(actor_role: str, target_role: str) -> bool:
    if target_role == "owner":
        return False
    return actor_role == "owner" or (actor_role == "admin" and target_role != "admin")


# -- GET /api/teams/{teamId}/members -----------------------------------------------------------

def _first_present(*values: str | None) -> str | None:
    """JavaScript's `??`: an empty string is kept, only null falls through."""
    return next((value for value in values if value is not None), None)


def _member_row(call: Call, member: TeamMember, viewer_id: str) -> dict:
    profile = call.world.users.get(member.user_id)
    return {
        "userId": member.user_id,
        "name": profile.name if profile else None,
        "username": _first_present(profile.username, profile.github_username) if profile else None,
        "email": profile.email if profile else None,
        "avatarUrl": profile.avatar_url if profile else None,
        "role": member.role,
        "joinedAt": format_timestamp(member.joined_at),
        "isCurrentUser": member.user_id == viewer_id,
    }


def _pending_invites(call: Call, team_id: str) -> list[dict]:
    return [{"id": invite.id, "email": invite.email, "role": invite.role,
             "expiresAt": format_timestamp(invite.expires_at), "createdAt": format_timestamp(invite.created_at)}
            for invite in call.world.team_invites.pending_for_team(team_id)]


async def list_members(call: Call) -> web.Response:
    user_id = call.require_user()
    access = team_access(call, user_id)
    team = call.world.teams.get(access.team_id)
    return json_response({
        "team": {"id": team.id, "name": team.name, "slug": team.slug,
                 "iconUrl": team_icon_url(team.icon_path, call.world.outside.team_icon_storage)},
        "viewer": {"role": access.role, "canManage": access.can_manage},
        "members": [_member_row(call, member, user_id) for member in call.world.teams.members_of(access.team_id)],
        "invites": _pending_invites(call, access.team_id),
    })


# -- PATCH and DELETE /api/teams/{teamId}/members/{memberUserId} -------------------------------

def _target(call: Call, access: TeamAccess) -> tuple[str, str]:
    """The member the path names (as Postgres reads its id) and their role; 404 when none."""
    member_id = pg_uuid(call.params["memberUserId"])
    role = call.world.teams.role_of(member_id, access.team_id) if member_id else None
    if role is None:
        raise flat_error(404, "Member not found")
    return member_id, role


async def change_member_role(call: Call) -> web.Response:
    user_id = call.require_user()
    access = team_access(call, user_id)
    next_role = (await guarded_fields(call)).get("role")
    if not isinstance(next_role, str) or next_role not in ROLES:
        raise flat_error(422, "Invalid role")
    raw_member_id = call.params["memberUserId"]
    if raw_member_id == user_id:
        raise flat_error(403, "You cannot change your own role")
    member_id, target_role = _target(call, access)
    if not can_change_member_role(access.role, target_role, next_role):
        raise flat_error(403, "Forbidden")
    try:
        call.world.teams.set_role(access.team_id, member_id, next_role)
    except LastOwnerError as error:  # the owner-floor trigger's check_violation, echoed
        raise flat_error(500, str(error)) from None
    record_team_event(call, access.team_id, user_id, "member.role_changed", "member", raw_member_id,
                      {"from_role": target_role, "to_role": next_role})
    return json_response({"ok": True})


async def remove_member(call: Call) -> web.Response:
    user_id = call.require_user()
    access = team_access(call, user_id)
    raw_member_id = call.params["memberUserId"]
    if raw_member_id == user_id:
        raise flat_error(403, "You cannot remove yourself")
    member_id, target_role = _target(call, access)
    if not can_remove_member(access.role, target_role):
        raise flat_error(403, "Forbidden")
    try:
        call.world.teams.remove_member(access.team_id, member_id)
    except LastOwnerError as error:  # the owner-floor trigger's check_violation, echoed
        raise flat_error(500, str(error)) from None
    record_team_event(call, access.team_id, user_id, "member.removed", "member", raw_member_id,
                      {"role": target_role})
    return json_response({"ok": True})


# -- POST /api/teams/{teamId}/ownership --------------------------------------------------------

async def transfer_ownership(call: Call) -> web.Response:
    user_id = call.require_user()
    access = team_access(call, user_id)
    if access.role != "owner":
        raise flat_error(403, "Forbidden")
    raw = (await guarded_fields(call)).get("next_owner_user_id")
    next_owner_id = js_trim(raw) if isinstance(raw, str) else ""
    if not next_owner_id:
        raise flat_error(422, "next_owner_user_id is required")
    if next_owner_id == user_id:
        raise flat_error(422, "Select another admin to become owner")
    canonical = pg_uuid(next_owner_id)
    failure = (call.world.teams.transfer_ownership(access.team_id, user_id, canonical, call.now)
               if canonical else "22P02")
    if failure is not None:
        raise flat_error(*TRANSFER_FAILURES.get(failure, (500, "Failed to transfer ownership")))
    record_team_event(call, access.team_id, user_id, "team.owner_transferred", "member", next_owner_id,
                      {"from_owner_user_id": user_id, "to_owner_user_id": next_owner_id})
    return json_response({"ok": True})
