"""A repo's layout (internal spec §2.2, /api/repos/{id}/…): monorepo detection over the
GitHub the world plays, sub-project spaces (repo rows of their own) and launch presets.
Each looks the repo up by id and the caller's user id only, whatever team the row is in."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers import monorepo_detection, repo_settings
from mockplex.ids import pg_uuid
from mockplex.render import projects as rows
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response
from mockplex.validation import is_valid_branch
from mockplex.validation import js_prefix
from mockplex.world.launch_presets import MAX_PER_REPO, LaunchPreset
from mockplex.world.owner_scope import OwnerScope
from mockplex.world.records import Repo

PRESET_NAME_LIMIT = 64  # UTF-16 code units, as JavaScript counts
_PARENT_COLUMNS = ("owner", "name", "vercel_team_id", "vercel_project_id", "sandbox_billing_target",
                   "sandbox_billing_mode_override")


def users_repo(call: Call, user_id: str) -> Repo | None:
    """`.eq("id", id).eq("user_id", user)` then `.single()`: a malformed id finds nothing."""
    canonical = pg_uuid(call.params["id"])
    return call.world.owned_repo(user_id, canonical) if canonical else None


async def json_object(call: Call) -> dict[str, Any]:
    """`await req.json()` then a property read: malformed JSON or a null throws (empty 500)."""
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)
    return body if isinstance(body, dict) else {}


# -- GET /api/repos/{id}/monorepo ---------------------------------------------------------

async def monorepo(call: Call) -> web.Response:
    user_id = call.require_user()
    world = call.world
    repo = users_repo(call, user_id)
    if repo is None:
        raise flat_error(404, "Repo not found")
    if not world.users[user_id].github_connected:
        raise flat_error(400, "GitHub token required")
    structure = monorepo_detection.detect(world.repo_layout.github, repo.full_name, repo.default_branch,
                                          reachable=world.outside.github_api != "failing")
    if structure["is_monorepo"]:
        repo.settings["is_monorepo"] = True
    spaces = {other.root_directory for other in world.repos.values()
              if other.user_id == user_id and repo.github_id is not None and other.github_id == repo.github_id
              and other.root_directory is not None}
    workspaces = [{**entry, "has_space": entry["path"] in spaces} for entry in structure["workspaces"]]
    return json_response({**structure, "workspaces": workspaces})


# -- POST /api/repos/{id}/subproject -------------------------------------------------------

async def create_subproject(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await json_object(call)
    root = repo_settings.root_directory(body.get("root_directory"))
    if root is None:
        raise flat_error(400, "root_directory is required")
    parent = users_repo(call, user_id)
    if parent is None:
        raise flat_error(404, "Repo not found")
    # The insert names no team: the space is the caller's own, under the personal index.
    if call.world.repos.clashing_index(OwnerScope(user_id), parent.github_id, root) is not None:
        raise flat_error(409, "Space already exists for this path")
    inherited = rows.repo_columns(parent)
    space = Repo(id=call.world.ids.uuid(), user_id=user_id, full_name=parent.full_name,
                 installation_id=parent.installation_id, default_branch=parent.default_branch,
                 root_directory=root, workspace_id=parent.workspace_id, github_id=parent.github_id,
                 settings={**{key: inherited[key] for key in _PARENT_COLUMNS}, "parent_repo_id": parent.id},
                 created_at=call.now)
    call.world.repos.add(space)
    return json_response(rows.repo_columns(space))


# -- /api/repos/{id}/launch-presets[/{presetId}] ---------------------------------------------

def _presets_repo(call: Call, user_id: str) -> Repo:
    """ensureOwnedRepo: a malformed id fails its query, which it throws (an empty 500)."""
    canonical = pg_uuid(call.params["id"])
    if canonical is None:
        raise EmptyResponse(500)
    repo = call.world.owned_repo(user_id, canonical)
    if repo is None:
        raise flat_error(404, "Repo not found")
    return repo


def _field_error(field: str, message: str) -> JsonError:
    return JsonError(400, {"error": message, "field": field})


def _preset_name(value: Any) -> str | None:
    name = repo_settings.text(value)
    return name if name is None else js_prefix(name, PRESET_NAME_LIMIT)


def _branch(data: dict[str, Any], key: str, message: str) -> str:
    branch = repo_settings.text(data.get(key))
    if branch is None or not is_valid_branch(branch):
        raise _field_error(key, message)
    return branch


def _valid_root(value: Any) -> bool:
    """isValidSandboxRootDirectory: relative, no NUL, no `..` segment (nor an encoded dot one)."""
    if value is None:
        return True
    if not isinstance(value, str) or "\x00" in value or re.search(r"(?:^|/)%2e(?:%2e)?(?:/|$)", value, re.I):
        return False
    normalized = repo_settings.root_directory(value)
    return normalized is None or all(segment not in ("", "..") for segment in normalized.split("/"))


def _preset_fields(raw: Any) -> dict[str, Any]:
    """normalizeSandboxLaunchPresetInput, check by check."""
    if not isinstance(raw, (dict, list)):
        raise _field_error("name", "Preset payload required")
    data = raw if isinstance(raw, dict) else {}
    name = _preset_name(data.get("name"))
    if not name:
        raise _field_error("name", "Preset name is required")
    base = _branch(data, "baseBranch", "Invalid base branch")
    working = _branch(data, "workingBranch", "Invalid working branch")
    create_branch = repo_settings.truthy(data.get("createBranch"))
    if create_branch and working == base:
        raise _field_error("workingBranch", "New-branch presets must use a working branch different from base")
    if not _valid_root(data.get("rootDirectory")):
        raise _field_error("rootDirectory", "Invalid root directory")
    return {"name": name, "root_directory": repo_settings.root_directory(data.get("rootDirectory")),
            "base_branch": base, "working_branch": working, "create_branch": create_branch}


async def list_launch_presets(call: Call) -> web.Response:
    user_id = call.require_user()
    repo = _presets_repo(call, user_id)
    presets = call.world.repo_layout.launch_presets.of(user_id, repo.id)
    return json_response({"presets": [preset.row() for preset in presets]})


async def save_launch_preset(call: Call) -> web.Response:
    user_id = call.require_user()
    repo = _presets_repo(call, user_id)
    payload = await call.body()
    if payload is jsonio.NOT_JSON:
        raise flat_error(400, "Invalid JSON")
    fields = _preset_fields(payload)
    store = call.world.repo_layout.launch_presets
    names = [preset.name for preset in store.of(user_id, repo.id)]
    if fields["name"] not in names and len(names) >= MAX_PER_REPO:
        raise _field_error("name", f"Preset cap reached ({MAX_PER_REPO} per repo)")
    if re.search("[\ud800-\udfff]", fields["name"]):  # a pair cut in half: Postgres refuses the text
        raise flat_error(500, "Failed to save launch preset")
    preset = store.upsert(LaunchPreset(call.world.ids.uuid(), user_id, repo.id, **fields,
                                       created_at=call.now, updated_at=call.now))
    return json_response({"preset": preset.row()})


async def delete_launch_preset(call: Call) -> web.Response:
    user_id = call.require_user()
    repo = _presets_repo(call, user_id)
    preset_id = pg_uuid(call.params["presetId"])
    if preset_id is None:
        raise flat_error(500, "Failed to delete launch preset")
    if not call.world.repo_layout.launch_presets.delete(user_id, repo.id, preset_id):
        raise flat_error(404, "Preset not found")
    return json_response({"ok": True})
