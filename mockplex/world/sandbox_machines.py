"""What the sandbox provider keeps per VM: its file system (a checkout of the sandbox's
repo, made on first use), the commands started in it, and the terminal bridge the server
installs. Keyed by the provider's sandbox name, so a new VM starts from a fresh checkout."""

from __future__ import annotations

import json
import posixpath
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from mockplex.ids import IdGenerator, b64url
from mockplex.world.records import Repo, Sandbox
from mockplex.world.sandbox_disk import SandboxDisk
from mockplex.world.sandbox_lifecycle import PROVIDER_FAILURE, ProviderFailed

# The SDK's errors when the provider answers 410 (the VM was stopped) or 404.
PROVIDER_GONE = "Status code 410 is not ok"
PROVIDER_NO_COMMAND = "Status code 404 is not ok"


@dataclass
class Command:
    command: str
    exit_code: int
    signal: str | None = None  # what /exec/cancel sent it


@dataclass(frozen=True)
class TerminalBridge:
    token: str
    installed_at: datetime


@dataclass
class SandboxMachine:
    disk: SandboxDisk
    commands: dict[str, Command] = field(default_factory=dict)
    bridge: TerminalBridge | None = None


class SandboxMachines:
    def __init__(self) -> None:
        self._machines: dict[str, SandboxMachine] = {}

    def of(self, sandbox: Sandbox, repo: Repo | None) -> SandboxMachine:
        name = sandbox.sandbox_id or sandbox.id
        if name not in self._machines:
            self._machines[name] = SandboxMachine(SandboxDisk(checkout(sandbox, repo)))
        return self._machines[name]

    def bridge(self, vm: SandboxMachine, ids: IdGenerator, now: datetime) -> TerminalBridge:
        """The server caches one bridge per VM: a second connect gets the same token."""
        if vm.bridge is None:
            secret = uuid.UUID(ids.uuid()).bytes + uuid.UUID(ids.uuid()).bytes
            vm.bridge = TerminalBridge(b64url(secret), now)
        return vm.bridge


def hydrate(world, sandbox: Sandbox) -> None:
    """`Sandbox.get`, which the server calls before touching a VM; raises ProviderFailed."""
    if world.outside.sandbox_vms == "failing":
        raise ProviderFailed(PROVIDER_FAILURE)


def machine(world, sandbox: Sandbox) -> SandboxMachine:
    """The VM a call lands in; raises ProviderFailed when it is gone (a stopped VM answers 410)."""
    hydrate(world, sandbox)
    if world.outside.sandbox_vms == "stopped" or sandbox.status == "stopped":
        raise ProviderFailed(PROVIDER_GONE)
    return world.sandbox_machines.of(sandbox, world.repos.get(sandbox.repo_id))


def checkout(sandbox: Sandbox, repo: Repo | None) -> dict[str, bytes]:
    """An invented checkout: the repo's top level, and the app in the sandbox's root directory."""
    full_name = repo.full_name if repo is not None else "repo"
    app_dir = sandbox.root_directory or ""
    app_name = posixpath.basename(app_dir) or full_name.rsplit("/", 1)[-1]
    manifest = {"name": app_name, "private": True, "scripts": {"dev": "next dev", "test": "vitest run"}}
    files = {
        "README.md": f"# {full_name}\n\nRun `pnpm install`, then `pnpm dev`.\n",
        ".gitignore": "node_modules\n.next\n",
        ".git/HEAD": f"ref: refs/heads/{sandbox.working_branch}\n",
        "package.json": json.dumps({**manifest, "name": full_name.rsplit("/", 1)[-1]}, indent=2) + "\n",
        posixpath.join(app_dir, "package.json"): json.dumps(manifest, indent=2) + "\n",
        posixpath.join(app_dir, "src/index.ts"): 'export const greeting = "hello from the sandbox";\n',
        posixpath.join(app_dir, "tests/index.test.ts"):
            'import { greeting } from "../src/index";\n\ntest("greets", () => expect(greeting).toContain("hello"));\n',
    }
    return {path: content.encode() for path, content in files.items()}
