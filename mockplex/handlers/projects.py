"""Projects and GitHub state (internal spec §2.2): installations, owners, repos, workspaces."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import DEFAULT_EPOCH, format_timestamp
from mockplex.responses import flat_error, json_response
from mockplex.world.records import Repo, Workspace


def _manage_url(account: str, account_type: str, installation_id: int) -> str | None:
    if "org" in account_type.lower():
        return f"https://github.com/organizations/{account}/settings/installations/{installation_id}"
    if "user" in account_type.lower():
        return f"https://github.com/settings/installations/{installation_id}"
    return None


def _scope_label(account_type: str) -> str:
    lowered = account_type.lower()
    return "Org" if "org" in lowered else "User" if "user" in lowered else account_type or "Account"


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


async def list_owners(call: Call) -> web.Response:
    user_id = call.require_user()
    world = call.world
    user = world.users[user_id]
    if not user.github_connected:
        return json_response([])
    installations = [item for item in world.installations.values() if item.user_id == user_id]
    owners = []
    personal = user.github_username
    if personal:
        own = next((item for item in installations if item.account == personal), None)
        owners.append({"login": personal, "kind": "personal", "github_installation_id": own.id if own else None,
                       "scope_label": "Personal", "source": "oauth+installation" if own else "oauth"})
    orgs = sorted((item for item in installations if item.account != personal), key=lambda item: item.account)
    owners += [{"login": item.account, "kind": "org", "github_installation_id": item.id,
                "scope_label": _scope_label(item.account_type), "source": "installation"} for item in orgs]
    return json_response(owners)


# -- /api/repos ----------------------------------------------------------------------------

REPO_SETTINGS = ("default_branch", "root_directory", "install_command", "dev_command", "dev_port", "runtime",
                 "env_sync_mode", "sandbox_timeout_ms", "sandbox_idle_timeout_ms")
_COVERAGE = {
    "app_covered": ("Trigger-ready", "The GitHub App covers this repository, so triggers and automations can run."),
    "synced_only": ("Synced only", "This repository is synced, but the GitHub App does not cover it yet."),
}


def _workspace_row(call: Call, workspace: Workspace) -> dict[str, Any]:
    repos = [repo for repo in call.world.repos.values() if repo.workspace_id == workspace.id]
    return {
        "id": workspace.id, "user_id": workspace.user_id, "owner_type": "user", "owner_user_id": workspace.user_id,
        "product_team_id": None, "created_by_user_id": workspace.user_id, "name": workspace.name,
        "description": workspace.description, "is_default": workspace.is_default,
        "sandbox_billing_mode": "platform", "sandbox_timeout_ms": None, "sandbox_idle_timeout_ms": None,
        "created_at": format_timestamp(workspace.created_at), "updated_at": format_timestamp(workspace.updated_at),
        "repo_count": len(repos),
    }


def repo_columns(repo: Repo) -> dict[str, Any]:
    """The `repos` table row."""
    owner, _, name = repo.full_name.partition("/")
    settings = {key: repo.settings.get(key) for key in REPO_SETTINGS if key not in ("default_branch", "root_directory")}
    return {
        "id": repo.id, "user_id": repo.user_id, "workspace_id": repo.workspace_id, "github_id": repo.github_id,
        "github_installation_id": repo.installation_id, "full_name": repo.full_name, "owner": owner, "name": name,
        "default_branch": repo.default_branch, "is_favorite": repo.is_favorite, "is_hidden": repo.hidden,
        "root_directory": repo.root_directory, "is_monorepo": bool(repo.root_directory), **settings,
        "snapshot_id": None, "created_at": format_timestamp(repo.created_at),
    }


def repo_row(call: Call, repo: Repo) -> dict[str, Any]:
    """The row plus its workspace and GitHub coverage, as /api/repos answers."""
    covered = repo.installation_id in call.world.installations
    state = "app_covered" if covered else "synced_only"
    label, detail = _COVERAGE[state]
    workspace = call.world.workspaces.get(repo.workspace_id)
    return {
        **repo_columns(repo),
        "workspace": {"id": workspace.id, "name": workspace.name, "is_default": workspace.is_default}
        if workspace else None,
        "github_has_app_installation": covered, "github_app_covered": covered, "github_triggerable": covered,
        "github_access_state": state, "github_coverage_label": label, "github_coverage_detail": detail,
    }


async def list_repos(call: Call) -> web.Response:
    user_id = call.require_user()
    wanted = call.query("id")
    show_hidden = call.query("show_hidden") == "true"
    repos = [repo for repo in call.world.repos.values() if repo.user_id == user_id
             and (wanted is None or repo.id == wanted) and (show_hidden or wanted or not repo.hidden)]
    repos.sort(key=lambda repo: (not repo.is_favorite, repo.full_name))
    return json_response([repo_row(call, repo) for repo in repos])


def _apply_settings(repo: Repo, body: dict[str, Any]) -> bool:
    changed = False
    for key in REPO_SETTINGS:
        if key in body:
            changed = True
            if key in ("default_branch", "root_directory"):
                setattr(repo, key, body[key] if isinstance(body[key], str) and body[key].strip() else None)
            else:
                repo.settings[key] = body[key]
    for key, attribute in (("is_favorite", "is_favorite"), ("is_hidden", "hidden")):
        if isinstance(body.get(key), bool):
            setattr(repo, attribute, body[key])
            changed = True
    return changed



async def create_repo(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    world = call.world
    workspace_id = body.get("workspace_id") or world.workspaces.default_for(user_id).id
    workspace = world.workspaces.owned(user_id, workspace_id)
    if workspace is None:
        raise flat_error(404, "Workspace not found")
    full_name = str(body.get("full_name") or f"{body.get('owner')}/{body.get('name')}")
    installation = next((item.id for item in world.installations.values()
                         if item.user_id == user_id and item.account == full_name.split("/")[0]), None)
    repo = Repo(id=world.ids.uuid(), user_id=user_id, full_name=full_name, installation_id=installation,
                default_branch="main", root_directory=None, workspace_id=workspace.id,
                github_id=body.get("github_id") if isinstance(body.get("github_id"), int) else 0,
                is_favorite=body.get("is_favorite") is True, created_at=call.now)
    _apply_settings(repo, body)
    world.repos[repo.id] = repo
    return json_response(repo_row(call, repo))


async def update_repo(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    if not body.get("id"):
        raise flat_error(400, "Missing id")
    repo = call.world.repos.get(str(body["id"]))
    if repo is None or repo.user_id != user_id:
        raise flat_error(404, "Repo not found")
    if not _apply_settings(repo, body):
        raise flat_error(400, "No repo updates provided")
    return json_response(repo_row(call, repo))


async def delete_repo(call: Call) -> web.Response:
    user_id = call.require_user()
    repo_id = call.query("id")
    if not repo_id:
        raise flat_error(400, "Missing id")
    repo = call.world.repos.get(repo_id)
    if repo is not None and repo.user_id == user_id:
        del call.world.repos[repo_id]
    return json_response({"ok": True})


# -- /api/workspaces -------------------------------------------------------------------------

async def list_workspaces(call: Call) -> web.Response:
    user_id = call.require_user()
    return json_response([_workspace_row(call, workspace) for workspace in call.world.workspaces.of_user(user_id)])


async def create_workspace(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    name = body.get("name").strip() if isinstance(body.get("name"), str) else ""
    if not name:
        raise flat_error(400, "Workspace name is required")
    if call.world.workspaces.name_taken(user_id, name):
        raise flat_error(409, "A project with that name already exists")
    description = body.get("description") if isinstance(body.get("description"), str) else None
    workspace = Workspace(call.world.ids.uuid(), user_id, name, description, False, call.now, call.now)
    call.world.workspaces.add(workspace)
    return json_response(_workspace_row(call, workspace))


def _owned_workspace(call: Call) -> Workspace:
    user_id = call.require_user()
    workspace = call.world.workspaces.owned(user_id, call.params["id"])
    if workspace is None:
        raise flat_error(404, "Workspace not found")
    return workspace


async def update_workspace(call: Call) -> web.Response:
    workspace = _owned_workspace(call)
    body = await call.unguarded_body()
    if isinstance(body.get("name"), str) and body["name"].strip():
        workspace.name = body["name"].strip()
    if "description" in body and (body["description"] is None or isinstance(body["description"], str)):
        workspace.description = body["description"]
    workspace.updated_at = call.now
    return json_response(_workspace_row(call, workspace))


async def delete_workspace(call: Call) -> web.Response:
    workspace = _owned_workspace(call)
    if workspace.is_default:
        raise flat_error(409, "The default imported project cannot be deleted")
    if any(repo.workspace_id == workspace.id for repo in call.world.repos.values()):
        raise flat_error(409, "Delete or move the repos in this project first")
    call.world.workspaces.delete(workspace.id)
    return json_response({"ok": True})


# -- /api/github/repos and /api/github/pulls ------------------------------------------------------

async def github_repos(call: Call) -> web.Response:
    """A GitHub → database sync, then the visible synced rows."""
    user_id = call.require_user()
    world = call.world
    repos = [repo for repo in world.repos.values() if repo.user_id == user_id]
    has_installation = any(item.user_id == user_id for item in world.installations.values())
    if not world.users[user_id].github_connected and not has_installation and not repos:
        raise flat_error(400, "NO_GITHUB_CONNECTION")
    return json_response([repo_columns(repo) for repo in sorted(repos, key=lambda r: r.full_name)
                          if not repo.hidden])


async def github_pulls(call: Call) -> web.Response:
    """Every failure degrades to an empty 200, as on the server."""
    user_id = call.require_user()
    repo_id = call.query("repo_id")
    repo = call.world.repos.get(repo_id or "")
    if repo is None or repo.user_id != user_id or not call.world.users[user_id].github_connected:
        return json_response({"pulls": [], "diff": None})
    owner = repo.full_name.split("/")[0]
    pulls = [{"number": number, "title": title, "state": "open",
              "html_url": f"https://github.com/{repo.full_name}/pull/{number}", "user": {"login": owner},
              "additions": additions, "deletions": deletions, "changed_files": files}
             for number, title, additions, deletions, files in (
                 (418, "Fix flaky checkout test", 24, 9, 2), (415, "Bump the UI kit to 4.2", 310, 288, 14))]
    chosen = call.query("pr") or str(pulls[0]["number"])
    diff = ("diff --git a/src/checkout.test.ts b/src/checkout.test.ts\n--- a/src/checkout.test.ts\n"
            "+++ b/src/checkout.test.ts\n@@ -12,7 +12,7 @@\n-  await wait(100)\n+  await screen.findByText('Paid')\n"
            if chosen == "418" else None)
    return json_response({"pulls": pulls, "diff": diff})
