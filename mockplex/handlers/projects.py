"""Projects and GitHub state (internal spec §2.2): installations, owners, repos, workspaces."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import DEFAULT_EPOCH
from mockplex.handlers import repo_settings
from mockplex.ids import is_strict_uuid, pg_uuid
from mockplex.render import projects as rows
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.world.owner_scope import OwnerScope
from mockplex.world.records import Repo, User, Workspace
from mockplex.world.teams import TEAM_RESOURCE_WRITE
from mockplex.world.world import World

NO_SINGLE_ROW = "JSON object requested, multiple (or no) rows returned"


def owner_scope(call: Call, user_id: str, capability: str | None = None) -> OwnerScope:
    """A well-formed x-mogplex-team-id scopes to that team (membership is checked upstream);
    a `capability` the member's role lacks is the resolver's 403."""
    team_id = call.request.headers.get("x-mogplex-team-id", "").strip()
    scope = OwnerScope(user_id, team_id.lower() if is_strict_uuid(team_id) else None)
    if capability and scope.team_id and not call.world.teams.can(user_id, scope.team_id, capability):
        raise flat_error(403, "Forbidden")
    return scope


async def _body(call: Call, read_with_in: bool = False) -> dict[str, Any]:
    """`await req.json()` and then property reads: a JSON null (or, for a handler that asks
    `"key" in body`, any primitive) throws, which the framework answers with an empty 500."""
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None or (read_with_in and not isinstance(body, (dict, list))):
        raise EmptyResponse(500)
    return body if isinstance(body, dict) else {}


def _uuid_or_500(value: Any) -> str:
    """A uuid column compared with `value`: Postgres's 22P02, echoed as a flat 500."""
    text = repo_settings.as_json_text(value)
    canonical = pg_uuid(text)
    if canonical is None:
        raise flat_error(500, f'invalid input syntax for type uuid: "{text}"')
    return canonical


def owned_workspace_or_throw(call: Call, scope: OwnerScope, workspace_id: str) -> Workspace | None:
    """getWorkspaceForScope: a malformed id makes it throw (uncaught: an empty 500)."""
    canonical = pg_uuid(workspace_id)
    if canonical is None:
        raise EmptyResponse(500)
    return call.world.workspaces.owned(scope, canonical)


def _has_installations(call: Call, user_id: str) -> bool:
    return any(item.user_id == user_id for item in call.world.installations.values())


# -- /api/github/installations and /api/github/owners --------------------------------------------

def _scope_label(account_type: str) -> str:
    lowered = account_type.lower()
    return "Org" if "org" in lowered else "User" if "user" in lowered else account_type or "Account"


def _manage_url(account: str, account_type: str, installation_id: int) -> str | None:
    label = _scope_label(account_type)
    if label == "Org" and account:
        return f"https://github.com/organizations/{account}/settings/installations/{installation_id}"
    if label == "User":
        return f"https://github.com/settings/installations/{installation_id}"
    return None


async def list_installations(call: Call) -> web.Response:
    user_id = call.require_user()
    world = call.world
    installations = sorted((item for item in world.installations.values() if item.user_id == user_id),
                           key=lambda item: item.created_at or DEFAULT_EPOCH, reverse=True)
    answer = []
    for installation in installations:
        repos = sorted((repo for repo in world.repos.values()
                        if repo.user_id == user_id and repo.installation_id == installation.id),
                       key=lambda repo: repo.full_name)
        answer.append({
            "id": installation.row_id, "installation_id": installation.id, "account_login": installation.account,
            "account_type": installation.account_type, "target_type": installation.account_type,
            "repositories": [{"id": repo.id, "full_name": repo.full_name} for repo in repos],
            "repository_count": len(repos), "synced_repo_count": len(repos),
            "scope_label": _scope_label(installation.account_type),
            "manage_url": _manage_url(installation.account, installation.account_type, installation.id),
        })
    return json_response(answer)


def github_login(call: Call, user: User) -> str | None:
    """The profile's GitHub username, else GitHub's /user (which throws when GitHub fails)."""
    if user.github_username:
        return user.github_username
    if call.world.outside.github_api == "failing":
        raise EmptyResponse(500)
    return None


async def list_owners(call: Call) -> web.Response:
    user_id = call.require_user()
    world = call.world
    user = world.users[user_id]
    if not user.github_connected:
        return json_response([])
    return json_response(github_owner_targets(world, user_id, github_login(call, user)))


def github_owner_targets(world: World, user_id: str, personal: str | None) -> list[dict[str, Any]]:
    """buildGithubRepoOwnerTargets: the personal login, then each installation's account."""
    targets: dict[str, dict[str, Any]] = {}
    if personal:
        targets[personal.lower()] = {"login": personal, "kind": "personal", "github_installation_id": None,
                                     "scope_label": "Personal", "source": "oauth"}
    # The world keeps no GitHub org memberships beyond installations: /user/orgs lists none.
    installations = sorted((item for item in world.installations.values() if item.user_id == user_id),
                           key=lambda item: item.created_at or DEFAULT_EPOCH, reverse=True)
    for installation in installations:
        login = installation.account.strip()
        label = _scope_label(installation.account_type)
        kind = "org" if label == "Org" or login.lower() != (personal or "").lower() else "personal"
        targets[login.lower()] = {"login": login, "kind": kind, "github_installation_id": installation.id,
                                  "scope_label": "Personal" if kind == "personal" else label,
                                  "source": "oauth+installation" if login.lower() in targets else "installation"}
    return sorted(targets.values(), key=lambda target: (target["kind"] != "personal", target["login"].lower()))


# -- /api/github/repos and /api/github/pulls ------------------------------------------------------

def _visible(repos: list[Repo], prefer_installation_coverage: bool) -> list[Repo]:
    """filterVisibleGithubRepos: once the App syncs, only installation-covered rows show."""
    if not prefer_installation_coverage:
        return repos
    covered = [repo for repo in repos if repo.installation_id is not None]
    return covered or repos


def _listing_order(repos: list[Repo]) -> list[Repo]:
    return sorted(repos, key=lambda repo: (not repo.is_favorite, repo.full_name))


async def github_repos(call: Call) -> web.Response:
    """A GitHub → database sync, then the visible synced rows."""
    user_id = call.require_user()
    scope = owner_scope(call, user_id, TEAM_RESOURCE_WRITE)
    world = call.world
    has_token = world.users[user_id].github_connected
    installation_sync = _has_installations(call, user_id) and world.github_app_configured
    if (installation_sync or has_token) and world.outside.github_api == "failing":
        raise flat_error(500, "GITHUB_SYNC_ERROR")
    repos = _listing_order([repo for repo in world.repos.in_scope(scope) if not repo.hidden])
    repos = _visible(repos, installation_sync)
    if not repos and not has_token and not _has_installations(call, user_id):
        raise flat_error(400, "NO_GITHUB_CONNECTION")
    return json_response([rows.repo_columns(repo) for repo in repos])


def _parse_int(text: str | None) -> int:
    """JavaScript's parseInt: leading digits, 0 where it finds none (NaN is as falsy)."""
    match = re.match(r"\s*([+-]?\d+)", text or "")
    return int(match.group(1)) if match else 0


NO_PULLS = {"pulls": [], "diff": None}
_PULLS = ((418, "Fix flaky checkout test", 24, 9, 2), (415, "Bump the UI kit to 4.2", 310, 288, 14))
_DIFF_418 = ("diff --git a/src/checkout.test.ts b/src/checkout.test.ts\n--- a/src/checkout.test.ts\n"
             "+++ b/src/checkout.test.ts\n@@ -12,7 +12,7 @@\n-  await wait(100)\n+  await screen.findByText('Paid')\n")


def github_token(call: Call, repo: Repo) -> bool:
    """An installation token (minting it throws when GitHub fails), else the OAuth token."""
    world = call.world
    if repo.installation_id and world.github_app_configured:
        if world.outside.github_api == "failing":
            raise EmptyResponse(500)
        return True
    return world.users[repo.user_id].github_connected


async def github_pulls(call: Call) -> web.Response:
    """Every failure after the token degrades to an empty 200, as on the server."""
    user_id = call.require_user()
    wanted = call.query("repo_id")
    repo = next((repo for repo in call.world.repos.values() if repo.user_id == user_id and not repo.hidden
                 and (not wanted or repo.id == pg_uuid(wanted))), None)
    if repo is None or not github_token(call, repo):
        return json_response(NO_PULLS)
    if len(repo.full_name.split("/")) != 2 or call.world.outside.github_api == "failing":
        return json_response(NO_PULLS)
    owner = repo.full_name.split("/")[0]
    pulls = [{"number": number, "title": title, "state": "open",
              "html_url": f"https://github.com/{repo.full_name}/pull/{number}", "user": {"login": owner},
              "additions": additions, "deletions": deletions, "changed_files": files}
             for number, title, additions, deletions, files in _PULLS]
    chosen = _parse_int(call.query("pr")) if call.query("pr") else pulls[0]["number"]
    if not chosen:
        return json_response(NO_PULLS)
    return json_response({"pulls": pulls, "diff": _DIFF_418 if chosen == 418 else None})


# -- /api/repos ----------------------------------------------------------------------------

def _repo_answer(call: Call, repo: Repo, user_id: str) -> dict[str, Any]:
    workspace = call.world.workspaces.get(repo.workspace_id)
    return rows.repo_with_workspace(repo, workspace, _has_installations(call, user_id))


async def list_repos(call: Call) -> web.Response:
    user_id = call.require_user()
    scope = owner_scope(call, user_id)
    single = call.query("id") or None
    show_hidden = call.query("show_hidden") == "true"
    repos = call.world.repos.in_scope(scope)
    if single:
        canonical = _uuid_or_500(single)
        repos = [repo for repo in repos if repo.id == canonical]
    elif not show_hidden:
        repos = [repo for repo in repos if not repo.hidden]
    repos = _listing_order(repos)
    if not single and not show_hidden:
        repos = _visible(repos, _has_installations(call, user_id) and call.world.github_app_configured)
    return json_response([_repo_answer(call, repo, user_id) for repo in repos])


def _column_text(value: Any) -> str | None:
    return None if value is None else repo_settings.as_json_text(value)


def _github_id(value: Any) -> int | None:
    """The bigint column's input parse: 22P02 for anything but an integer."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    text = repo_settings.as_json_text(value)
    if not re.fullmatch(r"\s*[+-]?\d+\s*", text):
        raise flat_error(500, f'invalid input syntax for type bigint: "{text}"')
    return int(text)


def _new_repo(call: Call, scope: OwnerScope, body: dict[str, Any], workspace: Workspace) -> Repo:
    """The insert, checked as Postgres checks it: input types, NOT NULL, then unique indexes."""
    github_id = _github_id(body.get("github_id"))
    full_name = _column_text(body.get("full_name"))
    if full_name is None:
        raise flat_error(500, 'null value in column "full_name" of relation "repos" violates not-null constraint')
    settings = repo_settings.for_create(body)
    clash = call.world.repos.clashing_index(scope, github_id, settings["root_directory"])
    if clash is not None:
        raise flat_error(500, f'duplicate key value violates unique constraint "{clash}"')
    columns = {key: value for key, value in settings.items() if key not in ("default_branch", "root_directory")}
    return Repo(id=call.world.ids.uuid(), user_id=scope.user_id, full_name=full_name, installation_id=None,
                default_branch=settings["default_branch"], root_directory=settings["root_directory"],
                workspace_id=workspace.id, github_id=github_id, is_favorite=repo_settings.truthy(body.get("is_favorite")),
                settings={**columns, "owner": _column_text(body.get("owner")), "name": _column_text(body.get("name"))},
                created_at=call.now, product_team_id=scope.team_id)


async def create_repo(call: Call) -> web.Response:
    user_id = call.require_user()
    scope = owner_scope(call, user_id, TEAM_RESOURCE_WRITE)
    body = await _body(call)
    requested = body.get("workspace_id")
    if isinstance(requested, str) and requested.strip():
        workspace = owned_workspace_or_throw(call, scope, requested.strip())
    else:
        workspace = call.world.workspaces.ensure_default(scope, call.now)
    if workspace is None:
        raise flat_error(404, "Workspace not found")
    repo = _new_repo(call, scope, body, workspace)
    call.world.repos.add(repo)
    return json_response(_repo_answer(call, repo, user_id))


def _apply_updates(repo: Repo, updates: dict[str, Any]) -> None:
    attributes = {"default_branch": "default_branch", "root_directory": "root_directory",
                  "is_favorite": "is_favorite", "is_hidden": "hidden"}
    for key, value in updates.items():
        if key in attributes:
            setattr(repo, attributes[key], value)
        else:
            repo.settings[key] = value


async def update_repo(call: Call) -> web.Response:
    user_id = call.require_user()
    scope = owner_scope(call, user_id, TEAM_RESOURCE_WRITE)
    body = await _body(call)
    if not repo_settings.truthy(body.get("id")):
        raise flat_error(400, "Missing id")
    updates = repo_settings.for_update(body)
    if repo_settings.resets_vercel_link(body):
        updates.update(rows.UNKNOWN_VERCEL_LINK)
    if not updates:
        raise flat_error(400, "No repo updates provided")
    repo = call.world.repos.owned(scope, _uuid_or_500(body["id"]))
    if repo is None:  # the update matched no row, and `.single()` fails on that
        raise flat_error(500, NO_SINGLE_ROW)
    _apply_updates(repo, updates)
    return json_response(_repo_answer(call, repo, user_id))


async def delete_repo(call: Call) -> web.Response:
    user_id = call.require_user()
    scope = owner_scope(call, user_id, TEAM_RESOURCE_WRITE)
    repo_id = call.query("id")
    if not repo_id:
        raise flat_error(400, "Missing id")
    repo = call.world.repos.owned(scope, _uuid_or_500(repo_id))
    if repo is not None:
        del call.world.repos[repo.id]
    return json_response({"ok": True})


# -- /api/workspaces -------------------------------------------------------------------------

def _workspace_answer(workspace: Workspace, repo_count: int) -> dict[str, Any]:
    return {**rows.workspace_columns(workspace), "repo_count": repo_count}


async def list_workspaces(call: Call) -> web.Response:
    user_id = call.require_user()
    scope = owner_scope(call, user_id)
    repos = call.world.repos.in_scope(scope)
    return json_response([_workspace_answer(workspace, sum(1 for repo in repos if repo.workspace_id == workspace.id))
                          for workspace in call.world.workspaces.of_scope(scope)])


def _name_clash(call: Call, scope: OwnerScope, name: str, other_than: str | None = None) -> None:
    if call.world.workspaces.name_taken(scope, name, other_than):
        raise flat_error(409, "A project with that name already exists")


async def create_workspace(call: Call) -> web.Response:
    user_id = call.require_user()
    scope = owner_scope(call, user_id, TEAM_RESOURCE_WRITE)
    body = await _body(call)
    name = repo_settings.text(body.get("name")) or ""
    if not name:
        raise flat_error(400, "Workspace name is required")
    _name_clash(call, scope, name)
    workspace = Workspace(call.world.ids.uuid(), user_id, name, repo_settings.text(body.get("description")), False,
                          call.now, call.now, product_team_id=scope.team_id,
                          sandbox_timeout_ms=repo_settings.timeout_ms(body.get("sandbox_timeout_ms")))
    call.world.workspaces.add(workspace)
    return json_response(_workspace_answer(workspace, 0))


def _scoped_workspace(call: Call) -> tuple[Workspace, OwnerScope]:
    scope = owner_scope(call, call.require_user(), TEAM_RESOURCE_WRITE)
    workspace = owned_workspace_or_throw(call, scope, call.params["id"])
    if workspace is None:
        raise flat_error(404, "Workspace not found")
    return workspace, scope


async def update_workspace(call: Call) -> web.Response:
    workspace, scope = _scoped_workspace(call)
    body = await _body(call, read_with_in=True)
    name = repo_settings.text(body.get("name")) or ""
    if "name" in body and not name:
        raise flat_error(400, "Workspace name is required")
    if "name" in body:
        _name_clash(call, scope, name, other_than=workspace.id)
        workspace.name = name
    if "description" in body:
        workspace.description = repo_settings.text(body["description"])
    if "sandbox_timeout_ms" in body:
        workspace.sandbox_timeout_ms = repo_settings.timeout_ms(body["sandbox_timeout_ms"])
    workspace.updated_at = call.now
    return json_response(_workspace_answer(workspace, len(call.world.repos.in_workspace(workspace.id))))


async def delete_workspace(call: Call) -> web.Response:
    workspace, _ = _scoped_workspace(call)
    if workspace.is_default:
        raise flat_error(409, "The default imported project cannot be deleted")
    if call.world.repos.in_workspace(workspace.id):
        raise flat_error(409, "Delete or move the repos in this project first")
    call.world.workspaces.delete(workspace.id)
    return json_response({"ok": True})
