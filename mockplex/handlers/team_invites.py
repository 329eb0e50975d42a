"""A team's invites: /api/teams/{teamId}/invites (create), /invites/bulk, and
/invites/{inviteId} (POST resends with a fresh token, DELETE revokes)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.team_access import TeamAccess, record_team_event, team_access
from mockplex.handlers.web_bodies import guarded_fields
from mockplex.ids import pg_uuid
from mockplex.jsvalues import js_string
from mockplex.responses import flat_error, json_response
from mockplex.validation import JS_WHITESPACE, js_trim
from mockplex.world.team_invites import INVITE_LIFETIME, TOKEN_BYTES, TeamInvite, invite_token
from mockplex.world.teams import Team

INVITE_ROLES = ("admin", "developer", "viewer")
_NOT_SPACE_OR_AT = f"[^{re.escape(JS_WHITESPACE)}@]+"
EMAIL_SHAPE = re.compile(f"{_NOT_SPACE_OR_AT}@{_NOT_SPACE_OR_AT}\\.{_NOT_SPACE_OR_AT}")
MAX_BULK_EMAILS = 100
BULK_STATUSES = ("invited", "skipped_member", "skipped_invalid", "skipped_duplicate", "delivery_failed",
                 "insert_failed")
FORBIDDEN = flat_error(403, "Forbidden")
INVITE_NOT_FOUND = flat_error(404, "Invite not found")


def _caller_team(call: Call) -> tuple[Team, TeamAccess]:
    """The path's team and the caller's membership of it (`loadTeamMembershipAuth`)."""
    access = team_access(call, call.require_user())
    return call.world.teams.get(access.team_id), access


def can_invite_role(actor_role: str, invite_role: str) -> bool:
    if invite_role == "owner":
        return False
    if actor_role == "owner":
        return True
    return actor_role == "admin" and invite_role in ("developer", "viewer")


def inviter_name(call: Call, user_id: str | None) -> str | None:
    user = call.world.users.get(user_id) if user_id else None
    return (user.name or user.username or None) if user is not None else None


def _profile_id_by_email(call: Call, email: str) -> str | None:
    """`.eq("email", ...).maybeSingle()`: two profiles on one address is an error, read as none."""
    matches = [user.id for user in call.world.users.values() if user.email == email]
    return matches[0] if len(matches) == 1 else None


def _insert_invite(call: Call, team: Team, email: str, role: str) -> TeamInvite:
    token = invite_token(call.world.ids.random_bytes(TOKEN_BYTES))
    return call.world.team_invites.create(TeamInvite(
        call.world.ids.uuid(), team.id, email, role, token, call.user_id,
        expires_at=call.now + INVITE_LIFETIME, created_at=call.now))


def _send(call: Call, team: Team, invite: TeamInvite) -> str:
    return call.world.team_invites.send(call.world.outside.email_sender, invite.email, team.name,
                                        inviter_name(call, call.user_id), invite.role, invite.token)


def _audit(call: Call, team: Team, action: str, target_id: str, payload: dict[str, Any]) -> None:
    record_team_event(call, team.id, call.user_id, action, "invite", target_id, payload)


def _invite_answer(invite: TeamInvite, delivery: str) -> dict[str, Any]:
    return {"invite": {"id": invite.id, "email": invite.email, "role": invite.role,
                       "expiresAt": format_timestamp(invite.expires_at)}, "delivery": delivery}


async def create_invite(call: Call) -> web.Response:
    call.require_user()
    body = await guarded_fields(call)
    raw_email = body.get("email")
    email = js_trim(raw_email).lower() if isinstance(raw_email, str) else ""
    role = body.get("role") if isinstance(body.get("role"), str) else ""
    if not email or not EMAIL_SHAPE.fullmatch(email):
        raise flat_error(422, "Valid email required")
    if role not in INVITE_ROLES:
        raise flat_error(422, "Role must be admin, developer, or viewer")
    team, access = _caller_team(call)
    if not can_invite_role(access.role, role):
        raise FORBIDDEN
    existing = _profile_id_by_email(call, email)
    if existing is not None and call.world.teams.is_member(existing, team.id):
        raise flat_error(409, "That user is already a team member")
    invite = _insert_invite(call, team, email, role)
    delivery = _send(call, team, invite)
    _audit(call, team, "invite.created", invite.id, {
        "email": email, "role": role, "delivery": delivery, "expires_at": format_timestamp(invite.expires_at)})
    return json_response(_invite_answer(invite, delivery), status=201)


# -- bulk -------------------------------------------------------------------------------

def _bulk_emails(body: dict[str, Any]) -> list[Any]:
    emails = body.get("emails")
    if not isinstance(emails, list):
        raise flat_error(422, "emails must be an array of strings")
    if not emails:
        raise flat_error(422, "emails must not be empty")
    if len(emails) > MAX_BULK_EMAILS:
        raise flat_error(422, f"Too many emails: cap is {MAX_BULK_EMAILS} per request")
    return emails


def _prepare_bulk_emails(raw_emails: list[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Trimmed, lowercased, unique and well-shaped addresses, and the rows turned away up front."""
    valid: list[str] = []
    turned_away: list[dict[str, Any]] = []
    for raw in raw_emails:
        if not isinstance(raw, str):
            turned_away.append({"email": "" if raw is None else js_string(raw), "status": "skipped_invalid"})
            continue
        email = js_trim(raw).lower()
        if not email or not EMAIL_SHAPE.fullmatch(email):
            turned_away.append({"email": email or raw, "status": "skipped_invalid"})
        elif email in valid:
            turned_away.append({"email": email, "status": "skipped_duplicate"})
        else:
            valid.append(email)
    return valid, turned_away


def _member_emails(call: Call, team: Team, emails: list[str]) -> set[str]:
    """The addresses whose profile is already in the team (profiles matched as stored)."""
    profile_by_email = {user.email.lower(): user.id for user in call.world.users.values() if user.email in emails}
    return {email for email, user_id in profile_by_email.items() if call.world.teams.is_member(user_id, team.id)}


def _bulk_invite_one(call: Call, team: Team, email: str, role: str) -> dict[str, Any]:
    invite = _insert_invite(call, team, email, role)
    status = "invited" if _send(call, team, invite) != "resend_error" else "delivery_failed"
    return {"email": email, "status": status, "invite_id": invite.id}


async def bulk_invite(call: Call) -> web.Response:
    call.require_user()
    team, access = _caller_team(call)
    if not access.can_manage:
        raise FORBIDDEN
    body = await guarded_fields(call)
    role = body.get("role") if isinstance(body.get("role"), str) else ""
    if role not in INVITE_ROLES:
        raise flat_error(422, "role must be admin, developer, or viewer")
    if not can_invite_role(access.role, role):
        raise FORBIDDEN
    emails = _bulk_emails(body)
    valid, results = _prepare_bulk_emails(emails)
    members = _member_emails(call, team, valid)
    results += [{"email": email, "status": "skipped_member"} for email in valid if email in members]
    results += [_bulk_invite_one(call, team, email, role) for email in valid if email not in members]
    summary = {"total_requested": len(emails),
               **{status: sum(1 for row in results if row["status"] == status) for status in BULK_STATUSES}}
    _audit(call, team, "invite.bulk_created", call.params["teamId"], {"role": role, **summary})
    return json_response({"results": results, "summary": summary})


# -- one invite: resend, revoke ------------------------------------------------------------

def _open_invite(call: Call) -> tuple[Team, TeamInvite]:
    """The caller's team and its not-yet-accepted invite, which the caller's role may manage."""
    call.require_user()
    team, access = _caller_team(call)
    invite_id = pg_uuid(call.params["inviteId"])
    invite = call.world.team_invites.in_team(team.id, invite_id) if invite_id else None
    if invite is None or invite.accepted_at is not None:
        raise INVITE_NOT_FOUND
    if not can_invite_role(access.role, invite.role):
        raise FORBIDDEN
    return team, invite


def js_date(moment: datetime) -> datetime:
    """A moment as a JavaScript Date holds it: to the millisecond."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


async def resend_invite(call: Call) -> web.Response:
    team, invite = _open_invite(call)
    invite.token = invite_token(call.world.ids.random_bytes(TOKEN_BYTES))
    invite.expires_at = js_date(call.now) + INVITE_LIFETIME
    invite.invited_by_user_id = call.user_id
    delivery = _send(call, team, invite)
    _audit(call, team, "invite.resent", call.params["inviteId"], {
        "email": invite.email, "role": invite.role, "delivery": delivery,
        "expires_at": format_timestamp(invite.expires_at)})
    return json_response(_invite_answer(invite, delivery))


async def revoke_invite(call: Call) -> web.Response:
    team, invite = _open_invite(call)
    call.world.team_invites.delete(invite)
    _audit(call, team, "invite.revoked", call.params["inviteId"], {"email": invite.email, "role": invite.role})
    return json_response({"ok": True})
