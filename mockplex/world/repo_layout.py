"""What a repo's layout routes read and write beyond the `repos` table: GitHub's contents
for monorepo detection and new repos, the launch presets, the provider's snapshots."""

from __future__ import annotations

from mockplex.world.github_contents import GithubContents, GithubRepository
from mockplex.world.launch_presets import LaunchPresets
from mockplex.world.snapshots import Snapshots


class RepoLayoutState:
    def __init__(self, github_repositories: list[GithubRepository]) -> None:
        self.github = GithubContents(github_repositories)
        self.launch_presets = LaunchPresets()
        self.snapshots = Snapshots()
