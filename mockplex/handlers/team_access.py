"""Who may act in a team, as the team routes check it (`loadTeamMembershipAuth`): the team
must exist and the caller must be one of its members; owners and admins manage it."""

from __future__ import annotations

from dataclasses import dataclass

from mockplex.call import Call
from mockplex.ids import pg_uuid
from mockplex.responses import flat_error
from mockplex.world.teams import MANAGING_ROLES


@dataclass(frozen=True)
class TeamAccess:
    team_id: str  # the path's id as Postgres reads it
    role: str

    @property
    def can_manage(self) -> bool:
        return self.role in MANAGING_ROLES


def team_access(call: Call, user_id: str) -> TeamAccess:
    """The caller's membership of the path's team, or the flat 500/404/403 the routes answer.
    A malformed id fails both lookups in Postgres; the team's failure is reported first."""
    team_id = pg_uuid(call.params["teamId"])
    if team_id is None:
        raise flat_error(500, "Internal server error")
    if call.world.teams.get(team_id) is None:
        raise flat_error(404, "Team not found")
    if pg_uuid(user_id) is None:
        raise flat_error(500, "Internal server error")
    role = call.world.teams.role_of(pg_uuid(user_id), team_id)
    if role is None:
        raise flat_error(403, "Forbidden")
    return TeamAccess(team_id, role)


def managing_access(call: Call, user_id: str) -> TeamAccess:
    access = team_access(call, user_id)
    if not access.can_manage:
        raise flat_error(403, "Forbidden")
    return access


def record_team_event(call: Call, team_id: str, actor_user_id: str, action: str, target_type: str,
                      target_id: str | None, payload: dict) -> None:
    """`recordTeamAuditEvent` with the actor's member row looked up by the trail."""
    call.world.team_audit.record(call.world.ids.uuid(), call.now, team_id, actor_user_id, action,
                                 target_type, target_id=target_id, payload=payload)
