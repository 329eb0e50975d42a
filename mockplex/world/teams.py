"""Product teams: who belongs to which team, in what role, and what each role may do.

The server keeps these in `teams` and `team_members`; a team's creator becomes its
owner row (the database's owner-seed trigger), and the shared resolver reads a member's
role into capabilities through the role presets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ROLES = ("owner", "admin", "developer", "viewer")
# The SQLSTATEs the ownership transfer raises.
CHECK_VIOLATION, NO_DATA_FOUND, INSUFFICIENT_PRIVILEGE, RAISE_EXCEPTION = "23514", "P0002", "42501", "P0001"
MANAGING_ROLES = ("owner", "admin")
TEAM_RESOURCE_WRITE = "projects.write"  # what writing a team's projects, workspaces and templates asks
# The v1 role presets: owner and admin hold everything; `foo.*` covers `foo` and below.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    "owner": frozenset({"*"}),
    "admin": frozenset({"*"}),
    "developer": frozenset({
        "models.*", "tools.bash", "tools.write_file", "tools.web_search", "tools.web_fetch",
        "tools.virtual_exec", "tools.github_api", "tools.memories", "connections.create", "projects.write",
    }),
    "viewer": frozenset({"models.*", "tools.web_search", "tools.web_fetch", "tools.virtual_exec"}),
}


def has_capability(role: str | None, capability: str) -> bool:
    granted = ROLE_CAPABILITIES.get(role or "", frozenset())
    if "*" in granted or capability in granted:
        return True
    parts = capability.split(".")
    return any(".".join(parts[:end]) + ".*" in granted for end in range(len(parts) - 1, 0, -1))


def model_capability(model_id: str) -> str:
    """modelCapability: `models.<provider>.<rest>`, or `models.<id>` without a provider."""
    provider, _, rest = model_id.partition("/")
    if not provider:
        return f"models.{model_id}"
    return f"models.{provider}.{rest}" if rest else f"models.{provider}"


@dataclass
class Team:
    id: str
    name: str
    slug: str
    owner_user_id: str
    created_at: datetime
    updated_at: datetime
    icon_path: str | None = None


@dataclass
class TeamMember:
    id: str  # the row's own uuid; audit events name their actor by it
    team_id: str
    user_id: str
    role: str
    joined_at: datetime
    invited_by_user_id: str | None = None


class Teams:
    """The teams repository: rows keyed by id, memberships keyed by (team, user)."""

    def __init__(self, teams: list[Team], members: list[TeamMember]) -> None:
        self.by_id: dict[str, Team] = {team.id: team for team in teams}
        self._members: dict[tuple[str, str], TeamMember] = {(m.team_id, m.user_id): m for m in members}

    def get(self, team_id: str) -> Team | None:
        return self.by_id.get(team_id.lower())

    def by_slug(self, slug: str) -> Team | None:
        return next((team for team in self.by_id.values() if team.slug == slug), None)

    def member(self, team_id: str, user_id: str) -> TeamMember | None:
        return self._members.get((team_id.lower(), user_id))

    def role_of(self, user_id: str, team_id: str) -> str | None:
        member = self.member(team_id, user_id)
        return member.role if member is not None else None

    def is_member(self, user_id: str, team_id: str) -> bool:
        return self.member(team_id, user_id) is not None

    def can(self, user_id: str, team_id: str, capability: str) -> bool:
        return has_capability(self.role_of(user_id, team_id), capability)

    def members_of(self, team_id: str) -> list[TeamMember]:
        """In joined order, as the members list reads them."""
        members = [m for (team, _), m in self._members.items() if team == team_id.lower()]
        return sorted(members, key=lambda member: member.joined_at)

    def memberships_of(self, user_id: str) -> list[TeamMember]:
        return [m for (_, user), m in self._members.items() if user == user_id]

    def create(self, team_id: str, name: str, slug: str, owner_user_id: str, now: datetime,
               owner_member_id: str) -> Team:
        team = Team(team_id, name, slug, owner_user_id, now, now)
        self.by_id[team_id] = team
        self.add_member(TeamMember(owner_member_id, team_id, owner_user_id, "owner", now))
        return team

    def add_member(self, member: TeamMember) -> None:
        self._members.setdefault((member.team_id, member.user_id), member)

    def remove_member(self, team_id: str, user_id: str) -> TeamMember | None:
        member = self.member(team_id, user_id)
        if member is not None:
            self._keep_an_owner(member)
        return self._members.pop((team_id.lower(), user_id), None)

    def set_role(self, team_id: str, user_id: str, role: str) -> None:
        member = self._members[(team_id.lower(), user_id)]
        if role != "owner":
            self._keep_an_owner(member)
        member.role = role

    def _keep_an_owner(self, leaving: TeamMember) -> None:
        """The owner-floor trigger: a team's last owner cannot be removed or demoted."""
        if leaving.role != "owner" or leaving.team_id not in self.by_id:
            return
        if not any(m.role == "owner" and m.user_id != leaving.user_id for m in self.members_of(leaving.team_id)):
            raise LastOwnerError(f"cannot remove or demote the last owner of team {leaving.team_id}")

    def transfer_ownership(self, team_id: str, current_owner_id: str, next_owner_id: str, now: datetime) -> str | None:
        """`transfer_team_ownership`: None when done, else the SQLSTATE it raises."""
        if current_owner_id == next_owner_id:
            return CHECK_VIOLATION
        team = self.get(team_id)
        if team is None:
            return NO_DATA_FOUND
        if team.owner_user_id != current_owner_id:
            return INSUFFICIENT_PRIVILEGE
        current, successor = self.member(team_id, current_owner_id), self.member(team_id, next_owner_id)
        if current is None or current.role != "owner":
            return RAISE_EXCEPTION
        if successor is None:
            return NO_DATA_FOUND
        if successor.role != "admin":
            return CHECK_VIOLATION
        successor.role, current.role = "owner", "admin"
        team.owner_user_id, team.updated_at = next_owner_id, now
        return None


class LastOwnerError(Exception):
    """A check_violation from the owner-floor trigger."""
