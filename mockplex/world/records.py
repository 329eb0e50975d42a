"""The world's records: the data and its domain rules; mockplex.render gives them their shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

# When profiles gained the new-arrivals cursor: every model the catalog held then is old news.
MODELS_SEEN_DEFAULT = datetime(2026, 5, 1, tzinfo=timezone.utc)

ACTIVE_SANDBOX_STATUSES = ("creating", "installing", "running", "pausing")
TERMINAL_RUN_STATUSES = ("success", "failed", "cancelled")
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
    auto_enable_new_models: bool = True
    models_seen_at: datetime = MODELS_SEEN_DEFAULT  # the new-arrivals cursor: models created later are new


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
    expires_at: datetime | None = None  # an MCP OAuth access token's hour; fixture grants never expire


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
    installation_id: int | None
    default_branch: str | None
    root_directory: str | None
    hidden: bool = False
    sandbox_boot_error: str | None = None  # every new sandbox boot of this repo fails so
    workspace_id: str | None = None
    github_id: int | None = 0
    is_favorite: bool = False
    settings: dict[str, Any] = field(default_factory=dict)  # the row's other columns (commands, ports, ...)
    created_at: datetime | None = None
    product_team_id: str | None = None  # set: owned by that team, not by user_id


@dataclass
class Workspace:
    id: str
    user_id: str
    name: str
    description: str | None
    is_default: bool
    created_at: datetime
    updated_at: datetime
    product_team_id: str | None = None  # set: owned by that team, not by user_id
    sandbox_timeout_ms: int = 5 * 60 * 60 * 1000
    sandbox_idle_timeout_ms: int | None = None


@dataclass
class PresetAgent:
    name: str
    category: str
    description: str

    @property
    def system_prompt(self) -> str:
        """mockplex's own stand-in for the template's prompt."""
        return f"You are {self.name}. {self.description}"


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
    system_prompt: str | None = ""


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
    created_at: datetime | None = None  # None: older than every user's arrivals cursor


@dataclass
class SandboxEvent:
    id: str
    event_type: str
    decision_code: str | None
    worker_run_id: str | None
    payload: dict[str, Any]
    created_at: datetime


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
    stop_reason: str | None = None  # None: read from status; "": cleared (a manual pause keeps none)
    snapshot_id: str | None = None
    product_team_id: str | None = None  # the team scope a web launch ran in; None is personal
    idle_warning: bool = False  # the reaper's first idle pass; its next one stops the VM

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_SANDBOX_STATUSES


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
    updated_at: datetime | None = None  # None: never edited since created_at


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

