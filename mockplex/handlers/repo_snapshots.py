"""/api/repos/{id}/snapshot: a repo's dependency snapshot at the sandbox provider. A build
boots a throwaway sandbox on the repo's default branch, installs, and snapshots it; the
world plays that at once. The repo row keeps the snapshot's id and metadata."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp, parse_timestamp
from mockplex.jsvalues import js_iso
from mockplex.handlers.repo_layout import users_repo
from mockplex.responses import JsonError, flat_error, json_response
from mockplex.world import snapshots
from mockplex.world.github_contents import FAILURE_BODY, FAILURE_STATUS
from mockplex.world.records import Repo

PLATFORM_SANDBOX_ACCESS = ("Hosted sandbox compute requires a positive billing balance. "
                           "Add funds or choose a plan in Settings > Billing.")
# What the provider's SDK throws when it cannot create the build's sandbox.
PROVIDER_DOWN = "Status code 503 is not ok"
_CLEARED = ("snapshot_id", "snapshot_lockfile_hash", "snapshot_created_at", "snapshot_commit_sha",
            "snapshot_billing_source", "snapshot_billing_project_id", "snapshot_billing_team_id")


def _repo(call: Call) -> tuple[Repo, str]:
    user_id = call.require_user()
    repo = users_repo(call, user_id)
    if repo is None:
        raise flat_error(404, "Repo not found")
    return repo, user_id


def _refuse_without_platform_access(call: Call, user_id: str) -> None:
    """The only billing target the world's projects use is the platform's."""
    if not call.world.users[user_id].platform_sandbox:
        raise flat_error(403, PLATFORM_SANDBOX_ACCESS)


def _provider_up(call: Call) -> bool:
    return call.world.outside.sandbox_service == "available"


def _clear(repo: Repo) -> None:
    for column in _CLEARED:
        repo.settings[column] = None


async def get_snapshot(call: Call) -> web.Response:
    repo, user_id = _repo(call)
    snapshot_id = repo.settings.get("snapshot_id")
    if not snapshot_id:
        return json_response({"snapshot": None})
    _refuse_without_platform_access(call, user_id)
    found = call.world.repo_layout.snapshots.at_provider.get(snapshot_id) if _provider_up(call) else None
    if found is None:  # gone at the provider (or unreachable): the server forgets it
        _clear(repo)
        return json_response({"snapshot": None})
    return json_response({"snapshot": {
        "id": found.id, "status": found.status, "sizeBytes": found.size_bytes,
        "createdAt": js_iso(found.created_at), "expiresAt": js_iso(found.expires_at),
        "commitSha": repo.settings.get("snapshot_commit_sha"),
        "lockfileHash": repo.settings.get("snapshot_lockfile_hash"),
    }})


async def delete_snapshot(call: Call) -> web.Response:
    repo, user_id = _repo(call)
    _refuse_without_platform_access(call, user_id)
    snapshot_id = repo.settings.get("snapshot_id")
    if snapshot_id:
        if _provider_up(call):
            call.world.repo_layout.snapshots.at_provider.pop(snapshot_id, None)
        _clear(repo)
    return json_response({"ok": True})


def _github_token_or_refusal(call: Call, repo: Repo) -> None:
    """An installation token (minting it fails when GitHub does), else the OAuth token."""
    world = call.world
    if repo.installation_id and world.github_app_configured:
        if world.outside.github_api == "failing":
            raise flat_error(500, f"GitHub App request failed ({FAILURE_STATUS}): {FAILURE_BODY}")
        return
    if not world.users[repo.user_id].github_connected:
        raise flat_error(400, "Connect GitHub account first")


def _build_in_progress(repo: Repo, now: datetime) -> bool:
    started = repo.settings.get("snapshot_build_started_at")
    return bool(repo.settings.get("snapshot_build_token")) and started is not None \
        and now - parse_timestamp(started) <= snapshots.BUILD_LOCK_STALE


def _rate_limited(error: str, retry_after: float, name: str, value: int, window: timedelta) -> JsonError:
    seconds = max(1, math.ceil(retry_after))
    return JsonError(429, {"error": error, "code": "snapshot_rate_limited", "retryAfterSeconds": seconds,
                           "limit": {"name": name, "value": value, "windowSeconds": int(window.total_seconds())}},
                     headers={"Retry-After": str(seconds)})


def _limit_refusal(call: Call, repo: Repo) -> JsonError | None:
    now = call.now
    for window, most, error, name in snapshots.BUILD_LIMITS:
        builds = call.world.repo_layout.snapshots.builds_since(repo.user_id, now - window)
        if len(builds) >= most:
            return _rate_limited(error, (builds[0] + window - now).total_seconds(), name, most, window)
    created = repo.settings.get("snapshot_created_at")
    if repo.settings.get("snapshot_id") and created:
        age = math.floor((now - parse_timestamp(created)).total_seconds())
        cooldown = int(snapshots.BUILD_COOLDOWN.total_seconds())
        if age < cooldown:
            return _rate_limited("Snapshot build is cooling down", cooldown - age, "snapshot_build_cooldown", 1,
                                 snapshots.BUILD_COOLDOWN)
    return None


def _lockfile_text(call: Call, repo: Repo, branch: str) -> str | None:
    """The lockfile in the root directory first, then at the repo root."""
    github = call.world.repo_layout.github
    folders = [repo.root_directory, None] if repo.root_directory else [None]
    paths = [f"{folder}/{name}" if folder else name for folder in folders for name in snapshots.LOCKFILES]
    return next((text for text in (github.text(repo.full_name, path, branch) for path in paths) if text), None)


def _build(call: Call, repo: Repo) -> dict[str, Any]:
    branch = repo.default_branch or "main"
    if not _provider_up(call):
        raise flat_error(500, PROVIDER_DOWN)
    now = call.now.replace(microsecond=call.now.microsecond // 1000 * 1000)  # a JavaScript Date
    taken = call.world.repo_layout.snapshots.take(call.world.ids.short("snap_", 24), repo.full_name, now)
    repo.settings.update({
        "snapshot_id": taken.id, "snapshot_created_at": format_timestamp(now),
        "snapshot_lockfile_hash": snapshots.lockfile_hash(_lockfile_text(call, repo, branch)),
        "snapshot_commit_sha": snapshots.commit_sha(repo.full_name, branch),
        "snapshot_billing_source": "platform", "snapshot_billing_project_id": snapshots.PLATFORM_PROJECT_ID,
        "snapshot_billing_team_id": None,
    })
    return {"id": taken.id, "status": taken.status, "sizeBytes": taken.size_bytes,
            "createdAt": js_iso(taken.created_at)}


async def create_snapshot(call: Call) -> web.Response:
    repo, user_id = _repo(call)
    _github_token_or_refusal(call, repo)
    _refuse_without_platform_access(call, user_id)
    if _build_in_progress(repo, call.now):
        raise flat_error(409, "Snapshot build already in progress")
    try:
        refusal = _limit_refusal(call, repo)
        if refusal is not None:
            raise refusal
        call.world.repo_layout.snapshots.builds.append((repo.user_id, call.now))
        return json_response({"snapshot": _build(call, repo)})
    finally:  # the build lock is released whatever happened
        repo.settings.update({"snapshot_build_token": None, "snapshot_build_started_at": None})
