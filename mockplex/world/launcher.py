"""The internal sandbox launcher both sandbox routes call (v1 POST /sandboxes and the web
app's POST /api/sandbox): one set of rules, each route rendering refusals in its own shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockplex.ids import is_strict_uuid
from mockplex.validation import Invalid, is_valid_branch, normalize_root_directory, trimmed_string
from mockplex.world.records import Repo, Sandbox
from mockplex.world.world import SANDBOX_SERVICE_DOWN, World


class LaunchRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class LaunchPlan:
    repo: Repo
    base: str
    working: str
    root: str | None


def plan_launch(world: World, user_id: str, repo_id: str, body: dict[str, Any]) -> LaunchPlan:
    """Check a launch request in the launcher's order; raises LaunchRefused."""
    repo = world.owned_repo(user_id, repo_id) if is_strict_uuid(repo_id) else None
    if repo is None:
        raise LaunchRefused(404, "Repo not found")
    if not world.users[user_id].github_connected:
        raise LaunchRefused(400, "Connect GitHub account first")
    base = trimmed_string(body.get("baseBranch")) or repo.default_branch or "main"
    if not is_valid_branch(base):
        raise LaunchRefused(400, "Invalid base branch")
    create_branch = body.get("createBranch") is True
    working = trimmed_string(body.get("workingBranch")) or (None if create_branch else base)
    if working is None or not is_valid_branch(working):
        raise LaunchRefused(400, "Invalid working branch")
    if create_branch and working == base:
        raise LaunchRefused(400, "New branch name must differ from the default branch")
    try:
        root = normalize_root_directory(body["rootDirectory"]) if "rootDirectory" in body else repo.root_directory
    except Invalid:
        raise LaunchRefused(400, "Invalid root directory") from None
    if world.outside.sandbox_service == "unavailable":
        raise LaunchRefused(503, SANDBOX_SERVICE_DOWN)
    return LaunchPlan(repo, base, working, root)


def reuse_or_boot(world: World, user_id: str, plan: LaunchPlan, now: datetime) -> tuple[Sandbox, bool]:
    """(sandbox, booted): reuse a running or booting VM, else boot within the limits."""
    sandbox = world.launchable_sandbox(user_id, plan.repo.id, plan.working, plan.root, now)
    if sandbox is not None:
        return sandbox, False
    refusal = world.sandbox_boot_refusal(user_id, now)
    if refusal is not None:
        raise LaunchRefused(429, refusal)
    return world.boot_sandbox(user_id, plan.repo, plan.base, plan.working, plan.root, now), True
