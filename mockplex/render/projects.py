"""Workspace and repo rows as the web app's project routes select them."""

from __future__ import annotations

from typing import Any

from mockplex.clock import format_timestamp
from mockplex.world.owner_scope import OwnerScope
from mockplex.world.records import Repo, Workspace

UNKNOWN_VERCEL_LINK = {"vercel_link_status": "unknown", "vercel_link_checked_at": None,
                       "vercel_link_error_code": None, "vercel_link_message": None}
# Column defaults of the `repos` table, in its column order, for the columns the
# world keeps in `Repo.settings`.
_EARLY_COLUMNS = {"install_command": None, "dev_command": None, "dev_port": 3000, "sandbox_timeout_ms": None,
                  "sandbox_env_vars": {}}
_MIDDLE_COLUMNS = {"vercel_team_id": None, "vercel_project_id": None, "sandbox_billing_target": "personal",
                   "env_sync_mode": "sandbox-only"}
_LATE_COLUMNS = {"snapshot_build_token": None, "snapshot_build_started_at": None, "dev_port_auto": True}
_TAIL_COLUMNS = {"sandbox_billing_mode_override": None, "snapshot_billing_source": None,
                 "snapshot_billing_team_id": None, "snapshot_billing_project_id": None, **UNKNOWN_VERCEL_LINK,
                 "snapshot_id": None, "snapshot_lockfile_hash": None, "snapshot_created_at": None,
                 "snapshot_commit_sha": None, "is_monorepo": False, "parent_repo_id": None, "runtime": None,
                 "sandbox_idle_timeout_ms": None}


def _ownership(record: Repo | Workspace) -> dict[str, Any]:
    return {**OwnerScope(record.user_id, record.product_team_id).ownership_columns(),
            "created_by_user_id": record.user_id}


def _settings(repo: Repo, defaults: dict[str, Any]) -> dict[str, Any]:
    return {key: repo.settings.get(key, default) for key, default in defaults.items()}


def workspace_columns(workspace: Workspace, with_idle_timeout: bool = True) -> dict[str, Any]:
    """WORKSPACE_COLUMNS; a repo's embedded workspace lacks the idle timeout."""
    ownership = _ownership(workspace)
    row = {"id": workspace.id, "user_id": workspace.user_id, "owner_type": ownership["owner_type"],
           "owner_user_id": ownership["owner_user_id"], "product_team_id": ownership["product_team_id"],
           "created_by_user_id": ownership["created_by_user_id"], "name": workspace.name,
           "description": workspace.description, "is_default": workspace.is_default,
           "sandbox_billing_mode": "platform", "sandbox_timeout_ms": workspace.sandbox_timeout_ms}
    if with_idle_timeout:
        row["sandbox_idle_timeout_ms"] = workspace.sandbox_idle_timeout_ms
    return {**row, "sandbox_vercel_team_id": None, "sandbox_vercel_project_id": None, **UNKNOWN_VERCEL_LINK,
            "created_at": format_timestamp(workspace.created_at), "updated_at": format_timestamp(workspace.updated_at)}


def repo_columns(repo: Repo) -> dict[str, Any]:
    """`select *` on `repos`, in the table's column order."""
    owner, _, name = repo.full_name.partition("/")
    return {
        "id": repo.id, "user_id": repo.user_id, "github_id": repo.github_id, "full_name": repo.full_name,
        "webhook_secret": None, "created_at": format_timestamp(repo.created_at),
        "root_directory": repo.root_directory, **_settings(repo, _EARLY_COLUMNS),
        "owner": repo.settings.get("owner", owner), "name": repo.settings.get("name", name),
        "default_branch": repo.default_branch, "is_favorite": repo.is_favorite, **_settings(repo, _MIDDLE_COLUMNS),
        "github_installation_id": repo.installation_id, "is_hidden": repo.hidden, **_settings(repo, _LATE_COLUMNS),
        "workspace_id": repo.workspace_id, **_settings(repo, _TAIL_COLUMNS), **_ownership(repo),
    }


def coverage(repo: Repo, has_installations: bool) -> dict[str, Any]:
    covered = bool(repo.installation_id)
    if covered:
        label, detail = ("Trigger-ready",
                         "This repo is covered by a GitHub App installation and can be used for triggers.")
    elif has_installations:
        label, detail = ("Not covered", "The GitHub App is installed elsewhere, but this repo is not covered by "
                                        "the current installation scope.")
    else:
        label, detail = ("Synced only", "This repo is visible in Projects, but it is not covered by a GitHub App "
                                        "installation yet.")
    return {"github_has_app_installation": has_installations, "github_app_covered": covered,
            "github_triggerable": covered, "github_access_state": "app_covered" if covered else "synced_only",
            "github_coverage_label": label, "github_coverage_detail": detail}


def repo_with_workspace(repo: Repo, workspace: Workspace | None, has_installations: bool) -> dict[str, Any]:
    """REPO_SELECT_WITH_WORKSPACE plus the GitHub coverage fields."""
    embedded = workspace_columns(workspace, with_idle_timeout=False) if workspace is not None else None
    return {**repo_columns(repo), "workspace": embedded, **coverage(repo, has_installations)}
