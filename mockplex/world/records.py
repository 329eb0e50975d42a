"""The world's records, each able to render itself in the v1 API's key order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockplex.clock import format_timestamp

ACTIVE_SANDBOX_STATUSES = ("creating", "installing", "running", "pausing")
TERMINAL_RUN_STATUSES = ("success", "failed", "cancelled")
RUNS_PREFIX = "/api/v1/mogplex/runs/"
# The model preset agents and new automations fall back to without a user default.
TEMPLATE_MODEL = "minimax/minimax-m2.7"


@dataclass
class User:
    id: str
    email: str
    name: str
    default_model: str | None
    github_connected: bool  # a GitHub OAuth token is stored
    username: str | None = None
    avatar_url: str | None = None
    github_username: str | None = None
    theme: str | None = "dark"
    platform_ai: bool = True
    platform_sandbox: bool = True
    vercel_linked: bool = False
    account_vercel_project_id: str | None = None
    account_vercel_team_id: str | None = None


@dataclass
class PersonalAccessToken:
    id: str
    user_id: str
    name: str
    prefix: str
    token_sha256: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    documented_token: str | None = None
    description: str | None = None
    last_used_at: datetime | None = None

    def usable_at(self, moment: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > moment


@dataclass
class OAuthGrant:
    token: str
    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    description: str | None = None


@dataclass
class Installation:
    id: int
    account: str
    user_id: str
    account_type: str = "Organization"
    row_id: str = ""
    created_at: datetime | None = None


@dataclass
class Repo:
    id: str
    user_id: str
    full_name: str
    installation_id: int
    default_branch: str | None
    root_directory: str | None
    hidden: bool = False
    sandbox_boot_error: str | None = None  # every new sandbox boot of this repo fails so
    workspace_id: str | None = None
    github_id: int = 0
    is_favorite: bool = False
    settings: dict[str, Any] = field(default_factory=dict)  # dev/install commands, ports, timeouts
    created_at: datetime | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "full_name": self.full_name,
            "installation_id": self.installation_id,
            "default_branch": self.default_branch,
            "root_directory": self.root_directory,
        }


@dataclass
class Team:
    id: str
    name: str
    members: tuple[str, ...]


@dataclass
class Workspace:
    id: str
    user_id: str
    name: str
    description: str | None
    is_default: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class PresetAgent:
    name: str
    category: str
    description: str


@dataclass
class Agent:
    id: str
    user_id: str
    name: str
    slug: str | None
    model: str
    description: str | None
    category: str | None
    source_template: str | None
    created_at: datetime
    system_prompt: str = ""

    def row(self) -> dict[str, Any]:
        """The web app's agent row."""
        return {"id": self.id, "user_id": self.user_id, "name": self.name, "slug": self.slug, "model": self.model,
                "system_prompt": self.system_prompt, "description": self.description, "category": self.category,
                "source_template": self.source_template, "created_at": format_timestamp(self.created_at)}

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "slug": self.slug,
            "model": self.model,
            "description": self.description,
            "category": self.category,
            "preset": False,
        }


@dataclass
class Model:
    id: str
    provider: str
    name: str
    context_length: int | None
    capabilities: list[str]
    pricing_input: float | None
    pricing_output: float | None
    visible: bool
    available: bool
    enabled_by_default: bool  # false: the fixture's users switched it off
    recommendation: dict[str, Any] | None = None  # {bucket, rank, reason, at}

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "name": self.name,
            "contextLength": self.context_length,
            "capabilities": list(self.capabilities),
            "pricing": {"input": self.pricing_input, "output": self.pricing_output},
        }


@dataclass
class SandboxEvent:
    id: str
    event_type: str
    decision_code: str | None
    worker_run_id: str | None
    payload: dict[str, Any]
    created_at: datetime

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_type": self.event_type,
            "decision_code": self.decision_code,
            "worker_run_id": self.worker_run_id,
            "payload": self.payload,
            "created_at": format_timestamp(self.created_at),
        }


@dataclass
class Sandbox:
    id: str
    user_id: str
    sandbox_id: str | None
    repo_id: str
    status: str
    base_branch: str
    working_branch: str
    root_directory: str | None
    preview_url: str | None
    created_at: datetime
    last_active_at: datetime
    error: str | None = None
    install_log: str | None = None
    dev_log: str | None = None
    lifecycle_events: list[SandboxEvent] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_SANDBOX_STATUSES

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sandbox_id": self.sandbox_id,
            "repo_id": self.repo_id,
            "status": self.status,
            "base_branch": self.base_branch,
            "working_branch": self.working_branch,
            "root_directory": self.root_directory,
            "preview_url": self.preview_url,
            "created_at": format_timestamp(self.created_at),
            "last_active_at": format_timestamp(self.last_active_at),
            "error": self.error,
        }

    def to_api_with_logs(self) -> dict[str, Any]:
        return {**self.to_api(), "install_log": self.install_log, "dev_log": self.dev_log}


@dataclass
class McpServer:
    name: str
    user_id: str
    enabled: bool
    transport: str
    source: str
    created_at: datetime
    command: str | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    http_headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    secret_keys: tuple[str, ...] = ()  # env / header names stored encrypted

    def web_record(self) -> dict[str, Any]:
        """The web app's view: secret values never leave, only their names."""
        def plain(values: dict[str, str]) -> dict[str, str]:
            return {key: value for key, value in values.items() if key not in self.secret_keys}

        def secret_names(values: dict[str, str]) -> list[str]:
            return sorted(key for key in values if key in self.secret_keys)

        stamp = format_timestamp(self.created_at)
        return {"id": self.id, "name": self.name, "enabled": self.enabled, "transport": self.transport,
                "command": self.command, "args": list(self.args), "envPlain": plain(self.env),
                "envSecretNames": secret_names(self.env), "url": self.url, "headerPlain": plain(self.http_headers),
                "headerSecretNames": secret_names(self.http_headers), "extra": dict(self.extra),
                "createdAt": stamp, "updatedAt": stamp}

    def to_api(self) -> dict[str, Any]:
        if self.transport == "stdio":
            config = {**self.extra, "command": self.command, "args": list(self.args), "env": dict(self.env)}
        else:
            config = {**self.extra, "url": self.url, "http_headers": dict(self.http_headers)}
        return {"name": self.name, "enabled": self.enabled, "config": config}


@dataclass
class RunEvent:
    id: str
    type: str
    tool_name: str | None
    message: str | None
    payload: dict[str, Any]
    created_at: datetime


@dataclass
class Run:
    id: str
    ai_call_id: str
    user_id: str
    repo_id: str
    harness: str
    status: str
    base_branch: str
    working_branch: str
    create_branch: bool
    root_directory: str | None
    created_at: datetime
    updated_at: datetime
    prompt: str
    sandbox_record_id: str | None = None
    sandbox_id: str | None = None
    error: str | None = None
    runtime_provider: str | None = None
    runtime_run_id: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    events: list[RunEvent] = field(default_factory=list)
    cancel_requested: bool = False

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_RUN_STATUSES

    def to_api(self) -> dict[str, Any]:
        return {
            "runId": self.id,
            "aiCallId": self.ai_call_id,
            "sandboxRecordId": self.sandbox_record_id,
            "sandboxId": self.sandbox_id,
            "repoId": self.repo_id,
            "harness": self.harness,
            "status": self.status,
            "branch": {
                "base": self.base_branch,
                "working": self.working_branch,
                "createBranch": self.create_branch,
            },
            "rootDirectory": self.root_directory,
            "eventsUrl": f"{RUNS_PREFIX}{self.id}/events",
            "cancelUrl": f"{RUNS_PREFIX}{self.id}/cancel",
            "createdAt": format_timestamp(self.created_at),
            "updatedAt": format_timestamp(self.updated_at),
            "error": self.error,
            "runtime": {"provider": self.runtime_provider, "runId": self.runtime_run_id},
        }
