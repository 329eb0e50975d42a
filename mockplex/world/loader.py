"""Turning a fixtures/ folder into a WorldSeed: validated records, cross-checked."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
import importlib.util
import uuid
from pathlib import Path

from mockplex.names import SCOPES, TOKEN_PREFIX
from mockplex.world import flows
from mockplex.world.automations import Automation, FlowVersion, JobRun
from mockplex.world.billing import BillingAccount, read_billing_account
from mockplex.world.fixtures import Entry, FixtureError, open_fixture
from mockplex.world.github_contents import GithubRepository, read_github_repository
from mockplex.world.flow_waits import WaitingWork, read_waiting_work
from mockplex.world.outside import OutsideServices, read_outside_services
from mockplex.world.sessions import SESSION_BACKENDS, Session, read_session
from mockplex.world.slack import SlackSeed, check_slack_references, read_slack_seed
from mockplex.world.teams import ROLES, Team, TeamMember
from mockplex.world.records import (
    Agent,
    Installation,
    McpServer,
    Model,
    OAuthGrant,
    PersonalAccessToken,
    PresetAgent,
    Repo,
    Run,
    RunEvent,
    Sandbox,
    SandboxEvent,
    User,
)

SANDBOX_STATUSES = ("creating", "installing", "running", "pausing", "paused", "stopped", "error")
# Fixture runs are history: live runs only come from POST /runs, which drives them.
FIXTURE_RUN_STATUSES = ("success", "failed", "cancelled")
RUN_EVENT_TYPES = ("started", "status_changed", "tool_started", "tool_finished",
                   "cancel_requested", "cancelled", "finished", "failed", "log")


@dataclass
class TeamSeed:
    team: Team
    members: list[TeamMember]


@dataclass
class WorldSeed:
    """Everything a fixture folder defines; a World is a fresh copy of it."""

    source: str
    name: str = "unnamed"
    outside: OutsideServices = field(default_factory=OutsideServices)
    session_backend: str = "better-auth"
    github_app_configured: bool = True
    sessions: list[Session] = field(default_factory=list)
    teams: list[TeamSeed] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    tokens: list[PersonalAccessToken] = field(default_factory=list)
    oauth_grants: list[OAuthGrant] = field(default_factory=list)
    installations: list[Installation] = field(default_factory=list)
    repos: list[Repo] = field(default_factory=list)
    presets: list[PresetAgent] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    models: list[Model] = field(default_factory=list)
    sandboxes: list[Sandbox] = field(default_factory=list)
    mcp_servers: list[McpServer] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    automations: list[Automation] = field(default_factory=list)
    job_runs: list[JobRun] = field(default_factory=list)
    github_repositories: list[GithubRepository] = field(default_factory=list)
    waiting_work: WaitingWork = field(default_factory=WaitingWork)
    billing_accounts: list[BillingAccount] = field(default_factory=list)
    slack: list[SlackSeed] = field(default_factory=list)


def default_fixtures_dir() -> Path:
    """The built-in world: shipped as mockplex.default_world, or fixtures/ in a checkout."""
    spec = importlib.util.find_spec("mockplex.default_world")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0])
        if (folder / "world.yaml").is_file():
            return folder
    return Path(__file__).resolve().parents[2] / "fixtures"


def load_seed(folder: Path) -> WorldSeed:
    folder = Path(folder)
    if not (folder / "world.yaml").is_file():
        raise FixtureError(folder, None, "not a fixtures folder: world.yaml is missing")
    seed = WorldSeed(source=str(folder))
    _read_world(folder / "world.yaml", seed)
    _read(folder / "users.yaml", {"users": (seed.users, _user)})
    _read(folder / "tokens.yaml", {"personal_access_tokens": (seed.tokens, _pat),
                                   "oauth_tokens": (seed.oauth_grants, _oauth)})
    _read(folder / "repos.yaml", {"installations": (seed.installations, _installation),
                                  "repos": (seed.repos, _repo)})
    _read(folder / "github.yaml", {"repositories": (seed.github_repositories, read_github_repository)})
    _read(folder / "agents.yaml", {"presets": (seed.presets, _preset), "agents": (seed.agents, _agent)})
    _read(folder / "models.yaml", {"models": (seed.models, _model)})
    _read(folder / "sandboxes.yaml", {"sandboxes": (seed.sandboxes, _sandbox)})
    _read(folder / "mcp_servers.yaml", {"mcp_servers": (seed.mcp_servers, _mcp_server)})
    _read(folder / "runs.yaml", {"runs": (seed.runs, _run)})
    _read(folder / "sessions.yaml", {"sessions": (seed.sessions, read_session)})
    _read(folder / "teams.yaml", {"teams": (seed.teams, _team)})
    _read(folder / "billing.yaml", {"billing_accounts": (seed.billing_accounts, read_billing_account)})
    _read(folder / "automations.yaml", {"automations": (seed.automations, _automation),
                                        "job_runs": (seed.job_runs, _job_run)})
    seed.waiting_work = read_waiting_work(folder / "approvals.yaml")
    _read(folder / "slack.yaml", {"workspaces": (seed.slack, read_slack_seed)})
    _cross_check(folder, seed)
    return seed


def _read(path: Path, sections: dict[str, tuple[list, object]]) -> None:
    top = open_fixture(path)
    if top is None:
        return
    for key, (target, build) in sections.items():
        for entry in top.entries(key, key):
            record = build(entry)
            entry.finish()
            record._fixture_location = (path, entry.line_of())
            target.append(record)
    top.finish()


def _read_world(path: Path, seed: WorldSeed) -> None:
    top = open_fixture(path)
    if top is None:
        raise FixtureError(path, None, "world.yaml is empty")
    seed.name = top.get("name", str, "unnamed")
    seed.outside = read_outside_services(top)
    seed.session_backend = top.choice("session_backend", SESSION_BACKENDS, "better-auth")
    seed.github_app_configured = top.get("github_app_configured", bool, True)
    top.finish()


def _scopes(entry: Entry) -> tuple[str, ...]:
    scopes = entry.get("scopes", list)
    if not scopes or any(scope not in SCOPES for scope in scopes):
        raise entry.fail("scopes", f"'scopes' must be a non-empty list of {', '.join(SCOPES)}")
    return tuple(scopes)


def _user(entry: Entry) -> User:
    return User(
        id=entry.get("id", str), email=entry.get("email", str), name=entry.get("name", str),
        default_model=entry.get("default_model", str, None),
        github_connected=entry.get("github_connected", bool, True),
        username=entry.get("username", str, None), avatar_url=entry.get("avatar_url", str, None),
        github_username=entry.get("github_username", str, None),
        theme=entry.get("theme", str, None) if "theme" in entry.mapping else "dark", platform_ai=entry.get("platform_ai", bool, True),
        platform_sandbox=entry.get("platform_sandbox", bool, True),
        vercel_linked=entry.get("vercel_linked", bool, False),
        account_vercel_project_id=entry.get("account_vercel_project_id", str, None),
        account_vercel_team_id=entry.get("account_vercel_team_id", str, None),
    )


def _pat(entry: Entry) -> PersonalAccessToken:
    token = entry.get("token", str, None)
    digest = entry.get("token_sha256", str, None)
    if (token is None) == (digest is None):
        raise entry.fail(None, "give exactly one of 'token' (documented dev token) or 'token_sha256'")
    if token is not None:
        if not token.startswith(TOKEN_PREFIX):
            raise entry.fail("token", f"'token' must start with {TOKEN_PREFIX}")
        digest = hashlib.sha256(token.encode()).hexdigest()
    return PersonalAccessToken(
        id=entry.get("id", str), user_id=entry.get("user", str), name=entry.get("name", str),
        prefix=entry.get("prefix", str, None) or (token or "")[:12], token_sha256=digest,
        scopes=_scopes(entry), created_at=entry.get("created_at", datetime),
        expires_at=entry.get("expires_at", datetime, None),
        revoked_at=entry.get("revoked_at", datetime, None),
        documented_token=token, description=entry.get("description", str, None),
    )


def _oauth(entry: Entry) -> OAuthGrant:
    return OAuthGrant(
        token=entry.get("token", str), user_id=entry.get("user", str),
        client_id=entry.get("client_id", str), scopes=tuple(entry.get("scopes", list)),
        description=entry.get("description", str, None),
    )


def _installation(entry: Entry) -> Installation:
    installation_id = entry.get("id", int)
    return Installation(id=installation_id, account=entry.get("account", str), user_id=entry.get("user", str),
                        account_type=entry.choice("account_type", ("Organization", "User"), "Organization"),
                        row_id=entry.get("row_id", str, None) or str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                                                f"installation:{installation_id}")),
                        created_at=entry.get("created_at", datetime, None))


def _repo(entry: Entry) -> Repo:
    return Repo(
        id=entry.get("id", str), user_id=entry.get("user", str),
        full_name=entry.get("full_name", str), installation_id=entry.get("installation_id", int),
        default_branch=entry.get("default_branch", str, None),
        root_directory=entry.get("root_directory", str, None), hidden=entry.get("hidden", bool, False),
        sandbox_boot_error=entry.get("sandbox_boot_error", str, None),
        github_id=entry.get("github_id", int, 0), is_favorite=entry.get("favorite", bool, False),
        settings=entry.get("settings", dict, {}), created_at=entry.get("created_at", datetime, None),
    )


def _preset(entry: Entry) -> PresetAgent:
    return PresetAgent(name=entry.get("name", str), category=entry.get("category", str),
                       description=entry.get("description", str))


def _agent(entry: Entry) -> Agent:
    return Agent(
        id=entry.get("id", str), user_id=entry.get("user", str), name=entry.get("name", str),
        slug=entry.get("slug", str, None), model=entry.get("model", str),
        description=entry.get("description", str, None), category=entry.get("category", str, None),
        source_template=entry.get("source_template", str, None),
        created_at=entry.get("created_at", datetime), system_prompt=entry.get("system_prompt", str, None),
    )


def _model(entry: Entry) -> Model:
    pricing = Entry(entry.path, entry.get("pricing", dict, {"input": None, "output": None}), "pricing")
    model = Model(
        id=entry.get("id", str), provider=entry.get("provider", str), name=entry.get("name", str),
        context_length=entry.get("context_length", int, None),
        capabilities=entry.get("capabilities", list, []),
        pricing_input=pricing.get("input", (int, float), None),
        pricing_output=pricing.get("output", (int, float), None),
        visible=entry.get("visible", bool, True), available=entry.get("available", bool, True),
        enabled_by_default=entry.get("enabled", bool, True),
        recommendation=entry.get("recommendation", dict, None), created_at=entry.get("created_at", datetime, None),
    )
    pricing.finish()
    return model


def _sandbox(entry: Entry) -> Sandbox:
    sandbox = Sandbox(
        id=entry.get("id", str), user_id=entry.get("user", str),
        sandbox_id=entry.get("sandbox_id", str, None), repo_id=entry.get("repo", str),
        status=entry.choice("status", SANDBOX_STATUSES), base_branch=entry.get("base_branch", str),
        working_branch=entry.get("working_branch", str),
        root_directory=entry.get("root_directory", str, None),
        preview_url=entry.get("preview_url", str, None),
        created_at=entry.get("created_at", datetime), last_active_at=entry.get("last_active_at", datetime),
        error=entry.get("error", str, None), install_log=entry.get("install_log", str, None),
        dev_log=entry.get("dev_log", str, None),
    )
    for event in entry.entries("lifecycle_events", "lifecycle_events"):
        sandbox.lifecycle_events.append(SandboxEvent(
            id=event.get("id", str), event_type=event.get("event_type", str),
            decision_code=event.get("decision_code", str, None),
            worker_run_id=event.get("worker_run_id", str, None),
            payload=event.get("payload", dict, {}), created_at=event.get("created_at", datetime),
        ))
        event.finish()
    return sandbox


def _mcp_server(entry: Entry) -> McpServer:
    server = McpServer(
        name=entry.get("name", str), user_id=entry.get("user", str),
        enabled=entry.get("enabled", bool, True), transport=entry.choice("transport", ("stdio", "http")),
        source=entry.choice("source", ("custom", "connection"), "custom"),
        created_at=entry.get("created_at", datetime), command=entry.get("command", str, None),
        args=entry.get("args", list, []), env=entry.get("env", dict, {}), url=entry.get("url", str, None),
        http_headers=entry.get("http_headers", dict, {}), extra=entry.get("extra", dict, {}),
        id=entry.get("id", str, ""), secret_keys=tuple(entry.get("secret_keys", list, [])),
    )
    if server.source == "custom" and not server.id:
        raise entry.fail(None, "a custom server needs an 'id'")
    server.id = server.id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"connection:{server.user_id}:{server.name}"))
    if server.transport == "stdio" and not server.command:
        raise entry.fail("transport", "a stdio server needs 'command'")
    if server.transport == "http" and not server.url:
        raise entry.fail("transport", "an http server needs 'url'")
    return server


def _run(entry: Entry) -> Run:
    branch = Entry(entry.path, entry.get("branch", dict), "branch")
    run = Run(
        id=entry.get("id", str), ai_call_id=entry.get("ai_call_id", str), user_id=entry.get("user", str),
        repo_id=entry.get("repo", str), harness=entry.choice("harness", ("codex", "claude-code")),
        status=entry.choice("status", FIXTURE_RUN_STATUSES), base_branch=branch.get("base", str),
        working_branch=branch.get("working", str), create_branch=branch.get("create_branch", bool, False),
        root_directory=entry.get("root_directory", str, None),
        created_at=entry.get("created_at", datetime), updated_at=entry.get("updated_at", datetime),
        prompt=entry.get("prompt", str), sandbox_record_id=entry.get("sandbox_record_id", str, None),
        sandbox_id=entry.get("sandbox_id", str, None), error=entry.get("error", str, None),
        runtime_provider=entry.get("runtime_provider", str, None),
        runtime_run_id=entry.get("runtime_run_id", str, None),
    )
    branch.finish()
    for event in entry.entries("events", "events"):
        run.events.append(RunEvent(
            id=event.get("id", str), type=event.choice("type", RUN_EVENT_TYPES),
            tool_name=event.get("tool_name", str, None), message=event.get("message", str, None),
            payload=event.get("payload", dict, {}), created_at=event.get("created_at", datetime),
        ))
        event.finish()
    return run


def _graph(entry: Entry, key: str) -> dict:
    raw = entry.get(key, dict)
    problem = flows.graph_request_error(raw)
    if problem is not None:
        raise entry.fail(key, problem.replace("graph must be a valid Flow graph", f"'{key}' is not a valid flow graph"))
    return flows.normalize_graph(raw)


def _automation(entry: Entry) -> Automation:
    draft = _graph(entry, "draft_graph")
    automation = Automation(
        id=entry.get("id", str), user_id=entry.get("user", str), installation_id=entry.get("installation_id", int),
        name=entry.get("name", str), description=entry.get("description", str, None),
        notes=entry.get("notes", str, None), status=entry.choice("status", ("active", "inactive")),
        draft_graph=draft, created_at=entry.get("created_at", datetime), updated_at=entry.get("updated_at", datetime),
        published_version_id=entry.get("published_version", str, None),
        webhook_secret=entry.get("webhook_secret", bool, False),
    )
    for version in entry.entries("versions", "versions"):
        graph = _graph(version, "graph") if "graph" in version.mapping else draft
        automation.versions.append(FlowVersion(version.get("id", str), version.get("version_number", int),
                                               graph, version.get("created_at", datetime)))
        version.finish()
    if automation.published_version_id and automation.published_version is None:
        raise entry.fail("published_version", "'published_version' names no entry in 'versions'")
    return automation


def _job_run(entry: Entry) -> JobRun:
    return JobRun(
        id=entry.get("id", str), user_id=entry.get("user", str), flow_id=entry.get("automation", str),
        flow_version_id=entry.get("flow_version", str, None), repo_id=entry.get("repo", str),
        repo_full_name="", status=entry.choice("status", ("pending", "running", "success", "failed", "cancelled")),
        created_at=entry.get("created_at", datetime), started_at=entry.get("started_at", datetime, None),
        completed_at=entry.get("completed_at", datetime, None), metadata=entry.get("metadata", dict, {}),
        source_type=entry.get("source_type", str, "mention"), runtime_run_id=entry.get("runtime_run_id", str, None),
        idempotency_key=entry.get("idempotency_key", str, None), input_tokens=entry.get("input_tokens", int, None),
        output_tokens=entry.get("output_tokens", int, None), error=entry.get("error", str, None),
        cost_usd=entry.get("cost_usd", (int, float), None), model=entry.get("model", str, None),
        ai_call_id=entry.get("ai_call_id", str, None),
    )


def _team(entry: Entry) -> TeamSeed:
    team_id = entry.get("id", str).lower()
    created_at = entry.get("created_at", datetime)
    members = [_team_member(team_id, member, created_at) for member in entry.entries("members", "members")]
    owners = [member.user_id for member in members if member.role == "owner"]
    if len(owners) != 1:
        raise entry.fail("members", "a team needs exactly one member with role 'owner'")
    team = Team(team_id, entry.get("name", str), entry.get("slug", str), owners[0], created_at, created_at,
                entry.get("icon_path", str, None))
    return TeamSeed(team, members)


def _team_member(team_id: str, entry: Entry, created_at: datetime) -> TeamMember:
    user_id = entry.get("user", str)
    member_id = entry.get("id", str, None) or str(uuid.uuid5(uuid.NAMESPACE_URL, f"team-member:{team_id}:{user_id}"))
    member = TeamMember(member_id, team_id, user_id, entry.choice("role", ROLES),
                        entry.get("joined_at", datetime, created_at), entry.get("invited_by", str, None))
    entry.finish()
    return member


def _cross_check(folder: Path, seed: WorldSeed) -> None:
    users = {user.id for user in seed.users}
    installations = {installation.id for installation in seed.installations}
    repos = {repo.id for repo in seed.repos}
    checks = [
        (seed.tokens, "user_id", users, "user"), (seed.oauth_grants, "user_id", users, "user"),
        (seed.installations, "user_id", users, "user"), (seed.repos, "user_id", users, "user"),
        (seed.repos, "installation_id", installations, "installation"),
        (seed.agents, "user_id", users, "user"), (seed.sandboxes, "repo_id", repos, "repo"),
        (seed.mcp_servers, "user_id", users, "user"), (seed.runs, "repo_id", repos, "repo"),
        (seed.automations, "user_id", users, "user"),
        (seed.automations, "installation_id", installations, "installation"),
        (seed.job_runs, "flow_id", {automation.id for automation in seed.automations}, "automation"),
        (seed.job_runs, "repo_id", repos, "repo"), (seed.job_runs, "user_id", users, "user"),
        (seed.sessions, "user_id", users | {None}, "user"),
    ]
    for records, attribute, known, what in checks:
        for record in records:
            value = getattr(record, attribute)
            if value not in known:
                path, line = getattr(record, "_fixture_location", (folder, None))
                raise FixtureError(path, line, f"unknown {what} {value!r}")
    for team in seed.teams:
        for member in team.members:
            if member.user_id not in users:
                path, line = getattr(team, "_fixture_location", (folder, None))
                raise FixtureError(path, line, f"unknown user {member.user_id!r}")
    check_slack_references(seed.slack, users, {repo.id: repo.user_id for repo in seed.repos})
    names = {repo.id: repo.full_name for repo in seed.repos}
    for job_run in seed.job_runs:
        job_run.repo_full_name = names[job_run.repo_id]
    if not seed.users:
        raise FixtureError(folder / "users.yaml", None, "the world needs at least one user")
