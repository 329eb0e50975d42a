"""What GitHub holds for the world's repositories (fixtures/github.yaml): each one's files at
its default branch, answered the way the contents API answers them. A repository created
through the web app joins them with the README GitHub's `auto_init` commits."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from mockplex.world.fixtures import Entry

# What GitHub answers every call with when the world's `github_api` is `failing`.
FAILURE_STATUS = 500
FAILURE_BODY = '{"message":"Server Error"}'
NAME_TAKEN_BODY = ('{"message":"Repository creation failed.","errors":[{"resource":"Repository","code":"custom",'
                   '"field":"name","message":"name already exists on this account"}]}')


@dataclass
class GithubRepository:
    full_name: str
    branch: str = "main"
    files: dict[str, Any] = field(default_factory=dict)  # path → text, or a mapping for a JSON file
    github_id: int | None = None


def read_github_repository(entry: Entry) -> GithubRepository:
    files = entry.get("files", dict, {})
    for path, content in files.items():
        if not isinstance(path, str) or not isinstance(content, (str, dict, list)):
            raise entry.fail("files", f"file {path!r} must hold text or a JSON mapping")
    return GithubRepository(entry.get("full_name", str), entry.get("branch", str, "main"), dict(files))


def github_name(name: str) -> str:
    """GitHub's renaming of a new repository: every other character becomes a dash."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", name)


class GithubContents:
    def __init__(self, repositories: list[GithubRepository]) -> None:
        self._by_name = {repository.full_name.lower(): repository for repository in repositories}

    def _files(self, full_name: str, ref: str) -> dict[str, Any] | None:
        repository = self._by_name.get(full_name.lower())
        return repository.files if repository is not None and repository.branch == ref else None

    def exists(self, full_name: str, path: str, ref: str) -> bool:
        files = self._files(full_name, ref) or {}
        return path in files or any(name.startswith(path + "/") for name in files)

    def text(self, full_name: str, path: str, ref: str) -> str | None:
        content = (self._files(full_name, ref) or {}).get(path)
        if content is None or isinstance(content, str):
            return content
        return json.dumps(content, indent=2)

    def json(self, full_name: str, path: str, ref: str) -> Any:
        """The raw JSON of a file; None where it is missing or is no JSON."""
        text = self.text(full_name, path, ref)
        try:
            return json.loads(text) if text is not None else None
        except ValueError:
            return None

    def list_dir(self, full_name: str, path: str, ref: str) -> list[tuple[str, str]] | None:
        """(name, "dir"|"file") for each entry of a directory, by name; None for no directory."""
        prefix = path + "/"
        entries: dict[str, str] = {}
        for name in (self._files(full_name, ref) or {}):
            if name.startswith(prefix):
                head, _, rest = name[len(prefix):].partition("/")
                entries[head] = "dir" if rest else entries.get(head, "file")
        return sorted(entries.items()) or None

    def has(self, full_name: str) -> bool:
        return full_name.lower() in self._by_name

    def create(self, owner: str, name: str, description: str | None, github_id: int) -> GithubRepository:
        """POST /user/repos (or /orgs/{owner}/repos) with auto_init."""
        safe_name = github_name(name)
        readme = f"# {safe_name}\n" + (f"\n{description}\n" if description else "")
        repository = GithubRepository(f"{owner}/{safe_name}", "main", {"README.md": readme}, github_id)
        self._by_name[repository.full_name.lower()] = repository
        return repository
