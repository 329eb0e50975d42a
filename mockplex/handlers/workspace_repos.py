"""POST /api/workspaces/{id}/repos: create a GitHub repository (on the GitHub the world
plays) for the caller or one of their installation accounts, then sync it into that
workspace as the scope's repo row."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers import projects, repo_settings
from mockplex.handlers.repo_layout import json_object
from mockplex.render import projects as rows
from mockplex.responses import flat_error, json_response
from mockplex.world.github_contents import FAILURE_BODY, FAILURE_STATUS, NAME_TAKEN_BODY, github_name
from mockplex.world.owner_scope import OwnerScope
from mockplex.world.records import Repo, Workspace
from mockplex.world.teams import TEAM_RESOURCE_WRITE


class _GithubRefused(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(body)
        self.status, self.body = status, body


def _github_message(body: str) -> str:
    """extractGithubApiErrorMessage: the message, then the first detail's."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.strip()
    primary = parsed.get("message", "").strip() if isinstance(parsed.get("message"), str) else ""
    details = [entry.get("message", "").strip() for entry in parsed.get("errors") or []
               if isinstance(entry, dict) and isinstance(entry.get("message"), str)]
    return ": ".join(part for part in (primary, next((d for d in details if d), "")) if part)


def _repo_name(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    return "" if "/" in name else name


def _create_on_github(call: Call, owner: str, name: str, description: str | None):
    world = call.world
    if world.outside.github_api == "failing":
        raise _GithubRefused(FAILURE_STATUS, FAILURE_BODY)
    github = world.repo_layout.github
    known = {repo.full_name.lower() for repo in world.repos.values()}
    created_name = f"{owner}/{github_name(name)}".lower()
    if github.has(created_name) or created_name in known:
        raise _GithubRefused(422, NAME_TAKEN_BODY)
    next_id = max((repo.github_id or 0 for repo in world.repos.values()), default=100_000_000) + 1
    return github.create(owner, name, description, next_id)


def _sync(call: Call, scope: OwnerScope, workspace: Workspace, created, installation_id: int | None) -> Repo:
    """upsertGithubReposForUser for the one new repository: a new base row in the workspace."""
    call.world.workspaces.ensure_default(scope, call.now)
    owner, _, name = created.full_name.partition("/")
    repo = Repo(id=call.world.ids.uuid(), user_id=scope.user_id, full_name=created.full_name,
                installation_id=installation_id, default_branch=created.branch, root_directory=None,
                workspace_id=workspace.id, github_id=created.github_id, settings={"owner": owner, "name": name},
                created_at=call.now, product_team_id=scope.team_id)
    call.world.repos.add(repo)
    return repo


def _owner_target(call: Call, user_id: str, requested: str | None) -> dict[str, Any]:
    user = call.world.users[user_id]
    login = projects.github_login(call, user)
    if not login:
        raise flat_error(400, "GitHub account details unavailable")
    wanted = (requested or login).lower()
    target = next((target for target in projects.github_owner_targets(call.world, user_id, login)
                   if target["login"].lower() == wanted), None)
    if target is None:
        raise flat_error(400, "Selected GitHub account is unavailable")
    return target


async def create_workspace_repo(call: Call) -> web.Response:
    user_id = call.require_user()
    scope = projects.owner_scope(call, user_id, TEAM_RESOURCE_WRITE)
    workspace = projects.owned_workspace_or_throw(call, scope, call.params["id"])
    if workspace is None:
        raise flat_error(404, "Workspace not found")
    body = await json_object(call)
    name = _repo_name(body.get("name"))
    description = repo_settings.text(body.get("description"))
    if not name:
        raise flat_error(400, "Repository name is required")
    if not call.world.users[user_id].github_connected:
        raise flat_error(400, "Connect GitHub account first")
    target = _owner_target(call, user_id, _owner_login(body.get("owner_login")))
    owner = target["login"]
    try:
        created = _create_on_github(call, owner, name, description)
    except _GithubRefused as refused:
        status = 409 if refused.status == 422 else 403 if refused.status in (401, 403) else 502
        raise flat_error(status, _github_message(refused.body) or "GitHub repo creation failed") from None
    repo = _sync(call, scope, workspace, created, target["github_installation_id"])
    return json_response(rows.repo_columns(repo))


def _owner_login(value: Any) -> str | None:
    """normalizeOwnerLogin: the trimmed login, or none."""
    return value.strip() or None if isinstance(value, str) else None
