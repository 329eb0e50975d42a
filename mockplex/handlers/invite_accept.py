"""/api/invites/{token}: what the invite page shows about an invite (GET), and accepting
it (POST), which makes the signed-in caller a member in the invite's role."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.team_invites import inviter_name, js_date
from mockplex.jsvalues import JS_EPOCH
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.world.team_invites import TeamInvite
from mockplex.world.teams import Team, TeamMember


def _epoch_ms(moment: datetime) -> int:
    return (moment - JS_EPOCH) // timedelta(milliseconds=1)


def _invite(call: Call) -> TeamInvite:
    invite = call.world.team_invites.by_token(call.params["token"])
    if invite is None:
        raise flat_error(404, "Invite not found")
    return invite


def _team(call: Call, invite: TeamInvite) -> Team:
    team = call.world.teams.get(invite.team_id)
    if team is None:
        raise flat_error(404, "Team not found")
    return team


def _expired(call: Call, invite: TeamInvite) -> bool:
    return _epoch_ms(invite.expires_at) < _epoch_ms(call.now)


def _caller_email(call: Call, user_id: str) -> str | None:
    user = call.world.users.get(user_id)
    return (user.email or None) if user is not None else None


async def lookup_invite(call: Call) -> web.Response:
    user_id = call.require_user()
    invite = _invite(call)
    team = _team(call, invite)
    current_email = _caller_email(call, user_id)
    invite_email = invite.email.lower()
    return json_response({
        "invite": {
            "teamName": team.name, "teamSlug": team.slug,
            "inviterName": inviter_name(call, invite.invited_by_user_id), "role": invite.role,
            "expiresAt": format_timestamp(invite.expires_at), "expired": _expired(call, invite),
            "alreadyAccepted": invite.accepted_at is not None,
        },
        "emailMatch": current_email is not None and current_email.lower() == invite_email,
        "inviteEmail": invite_email,
        "currentEmail": current_email,
    })


async def _accept_fields(call: Call) -> dict[str, Any]:
    """`request.json().catch(() => ({}))`: bad JSON reads as no fields, but a JSON null
    still throws once a field is read (the framework's empty 500)."""
    body = await call.body()
    if body is jsonio.NOT_JSON:
        return {}
    if body is None:
        raise EmptyResponse(500)
    return body if isinstance(body, dict) else {}


async def accept_invite(call: Call) -> web.Response:
    user_id = call.require_user()
    confirm_mismatch = (await _accept_fields(call)).get("confirmMismatch") is True
    invite = _invite(call)
    if invite.accepted_at is not None:
        raise flat_error(410, "already_accepted")
    if _expired(call, invite):
        raise flat_error(410, "expired")
    current_email = _caller_email(call, user_id)
    email_match = current_email is not None and current_email.lower() == invite.email.lower()
    if not email_match and not confirm_mismatch:
        raise flat_error(409, "mismatch_unconfirmed")
    # Already a member: the insert's unique violation is ignored and the role kept.
    call.world.teams.add_member(TeamMember(call.world.ids.uuid(), invite.team_id, user_id, invite.role, call.now,
                                           invited_by_user_id=invite.invited_by_user_id))
    invite.accepted_at = js_date(call.now)
    team = _team(call, invite)
    call.world.team_audit.record(call.world.ids.uuid(), call.now, team.id, user_id, "invite.accepted", "invite",
                                 target_id=invite.id, payload={"email": invite.email, "role": invite.role,
                                                               "email_match": email_match})
    return json_response({"team": {"id": team.id, "slug": team.slug}})
