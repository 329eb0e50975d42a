"""Which memories a call may read or write: the `resourceScope` filter (all, personal, or
the team `x-mogplex-team-id` names, whose membership is checked only then), and the
ownership of the repo and sandbox a new memory names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockplex.call import Call
from mockplex.ids import is_strict_uuid, pg_uuid
from mockplex.responses import flat_error
from mockplex.world.database_errors import invalid_input
from mockplex.world.owner_scope import OwnerScope

RESOURCE_SCOPE_PARAM = "resourceScope"


@dataclass(frozen=True)
class ResourceScope:
    memory_scope: dict[str, Any] | None  # the keys it adds to a memory scope
    team_id: str | None  # the product team a team scope resolved to


def resolve(call: Call, user_id: str, value: Any) -> ResourceScope:
    if value is None or value in ("", "all"):
        return ResourceScope(None, None)
    if value == "personal":
        return ResourceScope({"resourceScope": "personal"}, None)
    if value != "team":
        raise flat_error(400, "Invalid memory scope")
    raw = call.request.headers.get("x-mogplex-team-id", "").strip()
    if not is_strict_uuid(raw):
        raise flat_error(400, "Team memory scope requires an active team")
    if not call.world.teams.can(user_id, raw, "tools.memories"):
        raise flat_error(403, "Forbidden")
    return ResourceScope({"resourceScope": "team", "productTeamId": raw}, raw)


def trimmed_fields(source: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any] | None:
    scope = {name: source[name].strip() for name in names
             if isinstance(source.get(name), str) and source[name].strip()}
    return scope or None


def merged(*scopes: dict[str, Any] | None) -> dict[str, Any] | None:
    combined: dict[str, Any] = {}
    for scope in scopes:
        combined.update(scope or {})
    return combined or None


def validate_owned(call: Call, user_id: str, scope: dict[str, Any] | None, team_id: str | None) -> None:
    """validateOwnedMemoryScope: the repo (in the team, or the caller's own) and the
    caller's sandbox must exist, and the sandbox must sit in that repo."""
    if not scope:
        return
    repo_id = scope.get("repoId")
    if repo_id and not _repo_visible(call, user_id, repo_id, team_id):
        raise flat_error(404, "Repo not found")
    sandbox_id = scope.get("sandboxId")
    if sandbox_id:
        canonical = pg_uuid(sandbox_id)
        if canonical is None:
            raise flat_error(500, f"Failed to load sandbox {sandbox_id}: {invalid_input('uuid', sandbox_id)}")
        sandbox = call.world.owned_sandbox(user_id, canonical)
        if sandbox is None:
            raise flat_error(404, "Sandbox not found")
        if repo_id and sandbox.repo_id and sandbox.repo_id != repo_id:
            raise flat_error(400, "Sandbox does not belong to repo")


def _repo_visible(call: Call, user_id: str, repo_id: str, team_id: str | None) -> bool:
    if not is_strict_uuid(repo_id):
        return False
    if team_id is None:
        return call.world.owned_repo(user_id, repo_id) is not None
    repo = call.world.repos.get(repo_id.lower())
    return repo is not None and OwnerScope(user_id, team_id.lower()).owns(repo)
