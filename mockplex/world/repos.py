"""The `repos` table: every synced or added repository, keyed by id. A dict, so readers
that only look rows up (v1, sandboxes, runs) keep doing so."""

from __future__ import annotations

from mockplex.world.owner_scope import OwnerScope
from mockplex.world.records import Repo

PERSONAL_UNIQUE = "repos_personal_github_root_directory_key"
TEAM_UNIQUE = "repos_team_github_root_directory_key"


class Repos(dict[str, Repo]):
    def in_scope(self, scope: OwnerScope) -> list[Repo]:
        return [repo for repo in self.values() if scope.owns(repo)]

    def owned(self, scope: OwnerScope, repo_id: str) -> Repo | None:
        repo = self.get(repo_id)
        return repo if repo is not None and scope.owns(repo) else None

    def in_workspace(self, workspace_id: str) -> list[Repo]:
        return [repo for repo in self.values() if repo.workspace_id == workspace_id]

    def clashing_index(self, scope: OwnerScope, github_id: int | None, root_directory: str | None) -> str | None:
        """The unique index a new row would violate: one row per (owner, GitHub repo, root)."""
        if github_id is None:
            return None
        for repo in self.in_scope(scope):
            if repo.github_id == github_id and (repo.root_directory or "") == (root_directory or ""):
                return TEAM_UNIQUE if scope.team_id else PERSONAL_UNIQUE
        return None

    def add(self, repo: Repo) -> None:
        self[repo.id] = repo
