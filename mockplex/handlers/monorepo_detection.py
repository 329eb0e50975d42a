"""The server's monorepo detection, run against the GitHub the world plays: root markers,
the root package.json's workspaces (else pnpm-workspace.yaml's), each workspace folder's
package.json and framework. Every GitHub call that fails reads as "not there"."""

from __future__ import annotations

import re
from typing import Any

from mockplex.world.github_contents import GithubContents

MARKERS = ("pnpm-workspace.yaml", "turbo.json", "lerna.json", "nx.json", "rush.json")
CONVENTIONAL_DIRS = ("apps", "packages", "services", "libs", "tools")
# First dependency found wins, in this order.
FRAMEWORKS = (("next", "next"), ("nuxt", "nuxt"), ("@sveltejs/kit", "sveltekit"), ("astro", "astro"),
              ("remix", "remix"), ("@remix-run/react", "remix"), ("vite", "vite"), ("react", "react"),
              ("vue", "vue"), ("@angular/core", "angular"), ("solid-start", "solid"), ("@solidjs/start", "solid"),
              ("gatsby", "gatsby"), ("@docusaurus/core", "docusaurus"), ("express", "express"),
              ("fastify", "fastify"), ("hono", "hono"))


class _Repository:
    """One repository at one ref, through a GitHub that may be failing."""

    def __init__(self, github: GithubContents, full_name: str, ref: str, reachable: bool) -> None:
        self.github, self.full_name, self.ref, self.reachable = github, full_name, ref, reachable

    def exists(self, path: str) -> bool:
        return self.reachable and self.github.exists(self.full_name, path, self.ref)

    def json(self, path: str) -> Any:
        return self.github.json(self.full_name, path, self.ref) if self.reachable else None

    def text(self, path: str) -> str | None:
        return self.github.text(self.full_name, path, self.ref) if self.reachable else None

    def list_dir(self, path: str) -> list[tuple[str, str]] | None:
        return self.github.list_dir(self.full_name, path, self.ref) if self.reachable else None


def _framework(repository: _Repository, folder: str) -> str | None:
    package = repository.json(f"{folder}/package.json")
    if not isinstance(package, dict):
        return None
    dependencies = {**_mapping(package.get("dependencies")), **_mapping(package.get("devDependencies"))}
    return next((framework for name, framework in FRAMEWORKS if dependencies.get(name)), None)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def pnpm_workspace_globs(text: str) -> list[str]:
    globs: list[str] = []
    section_indent: int | None = None
    for line in re.split(r"\r?\n", text):
        if section_indent is None:
            found = re.match(r"^(\s*)packages:\s*$", line)
            section_indent = len(found.group(1)) if found else None
            continue
        if not line.strip() or line.strip().startswith("#"):
            continue
        indent = len(re.match(r"^\s*", line).group(0))
        if indent <= section_indent and not re.match(r"^\s*-", line):
            break
        item = re.match(r"^\s*-\s*(.+?)\s*$", line)
        if not item:
            continue
        value = item.group(1).strip()
        if value[0] in "\"'" and value.endswith(value[0]):
            value = value[1:-1]
        if value:
            globs.append(value)
    return globs


def _scan_dir(glob: str) -> str | None:
    normalized = re.sub(r"/+$", "", re.sub(r"/\*\*?$", "", re.sub(r"^\./+", "", glob.strip())))
    return None if normalized in ("", ".") else normalized


def _workspace_globs(repository: _Repository, marker: str | None) -> list[str]:
    root = repository.json("package.json")
    declared = root.get("workspaces") if isinstance(root, dict) else None
    if isinstance(declared, dict):
        declared = declared.get("packages")
    globs = declared if isinstance(declared, list) and declared else []
    if not globs and marker == "pnpm-workspace.yaml":
        text = repository.text("pnpm-workspace.yaml")
        globs = pnpm_workspace_globs(text) if text else []
    return [glob for glob in globs if isinstance(glob, str)]


def _candidates(repository: _Repository, globs: list[str]) -> list[str]:
    """Folders that hold a package.json, in the order the patterns name them."""
    patterns = ([(_scan_dir(glob), "*" not in glob) for glob in globs] if globs
                else [(folder, False) for folder in CONVENTIONAL_DIRS])
    found: list[str] = []
    for folder, direct in patterns:
        if folder is None:
            continue
        if direct:
            found += [folder] if repository.exists(f"{folder}/package.json") else []
            continue
        entries = repository.list_dir(folder) or []
        found += [f"{folder}/{name}" for name, kind in entries
                  if kind == "dir" and repository.exists(f"{folder}/{name}/package.json")]
    return found


def detect(github: GithubContents, full_name: str, branch: str | None, reachable: bool) -> dict[str, Any]:
    repository = _Repository(github, full_name, branch or "main", reachable)
    marker = next((name for name in MARKERS if repository.exists(name)), None)
    globs = _workspace_globs(repository, marker)
    if marker is None and not globs:
        return {"is_monorepo": False, "workspaces": []}
    workspaces: list[dict[str, Any]] = []
    for path in dict.fromkeys(_candidates(repository, globs)):
        workspaces.append({"path": path, "name": next((part for part in reversed(path.split("/")) if part), path),
                           "hasPackageJson": True, "framework": _framework(repository, path)})
    return {"is_monorepo": True, "marker": marker, "workspaces": workspaces}
