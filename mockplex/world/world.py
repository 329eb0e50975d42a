"""The stateful fixture world: the mock's database, seeded from fixtures/.

Handlers ask it questions the way the real server asks Postgres; it knows nothing of
HTTP. Everything it creates is visible to every query that lists that kind of record.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from operator import attrgetter
from pathlib import Path
from typing import Any

from mockplex.clock import DEFAULT_EPOCH, Clock
from mockplex.ids import IdGenerator
from mockplex.world import lifecycle
from mockplex.world.agent_categories import AgentCategories
from mockplex.world.agents import Agents
from mockplex.world.billing import Billing
from mockplex.world.stripe_webhooks import StripeWebhookState
from mockplex.world.changes import ChangeFeed
from mockplex.world.chat_calls import ChatCalls
from mockplex.world.e2e_flows import E2eFlowsStore
from mockplex.world.email_preferences import EmailPreferences
from mockplex.world.env_vars import EnvVars
from mockplex.world.flow_service import FlowService
from mockplex.world.flow_templates import FlowTemplates
from mockplex.world.loader import WorldSeed
from mockplex.world.managed_auth import ManagedAuthBroker
from mockplex.world.mcp_oauth import McpOAuthServer
from mockplex.world.mcp_servers import McpServers
from mockplex.world.oauth_flows import OAuthFlows
from mockplex.world.oauth_states import McpAuthorizations
from mockplex.world.memories import MemoryState
from mockplex.world.records import Model, Repo, Run, RunEvent, Sandbox, SandboxEvent, User
from mockplex.world.repo_attachments import RepoAttachments
from mockplex.world.repos import Repos
from mockplex.world.repo_layout import RepoLayoutState
from mockplex.world.sandbox_lifecycle import SandboxPresence
from mockplex.world.sandbox_machines import SandboxMachines
from mockplex.world.sessions import SessionStore
from mockplex.world.slack import SlackIntegration
from mockplex.world.tables import Tables
from mockplex.world.team_audit import TeamAudit
from mockplex.world.team_icons import TeamIcons
from mockplex.world.team_settings import TeamSettings
from mockplex.world.team_invites import TeamInvites
from mockplex.world.teams import Teams
from mockplex.world.tokens import TokenStore
from mockplex.world.user_settings import ModelPreferences, ProviderKeys
from mockplex.world.vercel_accounts import VercelAccounts
from mockplex.world.waitlist import Waitlist
from mockplex.world.workspaces import Workspaces

BOOTING_OR_RUNNING = ("creating", "installing", "running")
SANDBOX_SERVICE_DOWN = "Hosted sandbox service is temporarily unavailable. Please try again shortly."
RUNTIME_MISSING = "Trigger.dev runtime is not configured"
SANDBOX_BOOT_LIMITS = (
    (None, 3, "Too many active sandboxes"),
    (timedelta(hours=1), 120, "Sandbox boot rate limit exceeded"),
    (timedelta(days=1), 10_000, "Daily sandbox boot quota exceeded"),
)


class World:
    def __init__(self, seed: WorldSeed, clock: Clock, ids: IdGenerator, state_dir: Path | None) -> None:
        seed = copy.deepcopy(seed)
        self.name = seed.name
        self.source = seed.source
        self.outside = seed.outside
        self.github_app_configured = seed.github_app_configured
        self.sessions = SessionStore(seed.session_backend, seed.sessions, state_dir)
        self.oauth_flows = OAuthFlows()
        self.email_preferences = EmailPreferences()
        self.clock = clock
        self.ids = ids
        self.users: dict[str, User] = {user.id: user for user in seed.users}
        self.tokens = TokenStore(seed.tokens, seed.oauth_grants, state_dir)
        self.installations = {installation.id: installation for installation in seed.installations}
        self.repos = Repos((repo.id, repo) for repo in seed.repos)
        self.agents = Agents(seed.agents, seed.presets)
        self.agent_categories = AgentCategories()
        self.models: list[Model] = seed.models
        self.sandboxes: dict[str, Sandbox] = {sandbox.id: sandbox for sandbox in seed.sandboxes}
        self.mcp_servers = McpServers(seed.mcp_servers)
        self.managed_auth = ManagedAuthBroker()
        self.oauth_authorizations = McpAuthorizations()
        self.mcp_oauth = McpOAuthServer()
        self.waitlist = Waitlist()
        self.runs: dict[str, Run] = {run.id: run for run in seed.runs}
        self.live_runs: dict[str, lifecycle.RunProgress] = {}
        self.idempotency: dict[tuple[str, str], str] = {}
        self.env_vars = EnvVars()
        self.model_preferences = ModelPreferences()
        self.teams = Teams([team.team for team in seed.teams], [m for team in seed.teams for m in team.members])
        self.team_audit = TeamAudit(self.teams)
        self.team_settings = TeamSettings()
        self.team_invites = TeamInvites()
        self.team_icons = TeamIcons()
        self.tables = Tables()
        self.changes = ChangeFeed()
        self.chat_calls = ChatCalls()
        self.provider_keys = ProviderKeys()
        self.e2e_flows = E2eFlowsStore()
        self.sandbox_presence = SandboxPresence()
        self.repo_attachments = RepoAttachments()
        self.memory = MemoryState()
        self.sandbox_machines = SandboxMachines()
        self.flows = FlowService(seed.automations, seed.job_runs, agents=self.agents, users=self.users,
                                 installations=self.installations, ids=ids, clock=clock, changes=self.changes)
        self.flow_templates = FlowTemplates()
        self.workspaces = Workspaces(self.users)
        self.billing = Billing(seed.billing_accounts)
        self.stripe_webhooks = StripeWebhookState()
        self.vercel_accounts = VercelAccounts(self.users)
        self.repo_layout = RepoLayoutState(seed.github_repositories)
        self.waiting_work = seed.waiting_work
        self.slack = SlackIntegration(seed.slack, seed.outside.slack == "api_failing", self.repos)
        for repo in self.repos.values():
            repo.workspace_id = repo.workspace_id or self.workspaces.default_for(repo.user_id).id
            repo.github_id = repo.github_id or int(repo.id.replace("-", "")[:8], 16) % 900_000_000 + 100_000_000
            repo.created_at = repo.created_at or DEFAULT_EPOCH

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of the world's state (the clock and the change feed stay shared)."""
        memo = {id(self): self, id(self.clock): self.clock, id(self.changes): self.changes}
        return copy.deepcopy({key: value for key, value in vars(self).items()}, memo)

    def restore(self, snapshot: dict[str, Any]) -> None:
        memo = {id(self): self, id(self.clock): self.clock, id(self.changes): self.changes}
        vars(self).update(copy.deepcopy(snapshot, memo))

    # -- repos and models -------------------------------------------------------------

    def owned_repo(self, user_id: str, repo_id: str) -> Repo | None:
        repo = self.repos.get(repo_id.lower())
        return repo if repo is not None and repo.user_id == user_id else None

    def list_repos(self, user_id: str, query: str | None, limit: int) -> list[Repo]:
        pattern = _ilike(query) if query else None
        repos = [repo for repo in self.repos.values()
                 if repo.user_id == user_id and not repo.hidden
                 and (pattern is None or pattern.search(repo.full_name))]
        return sorted(repos, key=attrgetter("full_name"))[:limit]

    def model_enabled(self, user_id: str, model: Model) -> bool:
        """An explicit preference wins; otherwise a model is enabled when it is available."""
        preference = self.model_preferences.of(user_id, model.id)
        if preference is not None:
            return preference
        return model.available and model.enabled_by_default

    def available_models(self, user_id: str) -> list[Model]:
        usable = [model for model in self.models
                  if model.visible and model.available and self.model_enabled(user_id, model)]
        return sorted(usable, key=lambda model: model.provider)

    # -- sandboxes --------------------------------------------------------------------

    def list_sandboxes(self, user_id: str, repo_id: str | None, status: str | None, limit: int) -> list[Sandbox]:
        sandboxes = [sandbox for sandbox in self.sandboxes.values()
                     if sandbox.user_id == user_id
                     and (repo_id is None or sandbox.repo_id == repo_id)
                     and (status is None or sandbox.status == status)]
        return sorted(sandboxes, key=lambda s: s.last_active_at, reverse=True)[:limit]

    def owned_sandbox(self, user_id: str, sandbox_id: str) -> Sandbox | None:
        sandbox = self.sandboxes.get(sandbox_id)
        return sandbox if sandbox is not None and sandbox.user_id == user_id else None

    def reusable_sandbox(self, user_id: str, repo_id: str, working: str, root: str | None) -> Sandbox | None:
        """The newest active record for (repo, working branch, root), as runs pick one."""
        matches = [sandbox for sandbox in self.sandboxes.values()
                   if sandbox.user_id == user_id and sandbox.active and sandbox.repo_id == repo_id
                   and sandbox.working_branch == working and sandbox.root_directory == root]
        return max(matches, key=lambda s: s.created_at, default=None)

    def launchable_sandbox(self, user_id: str, repo_id: str, working: str, root: str | None,
                           now: datetime) -> Sandbox | None:
        """The launcher's reuse rule: only a VM that is running or still booting is reused;
        a matching record whose VM is going away is retired so a new one can boot."""
        sandbox = self.reusable_sandbox(user_id, repo_id, working, root)
        if sandbox is None or sandbox.status in BOOTING_OR_RUNNING:
            return sandbox
        sandbox.status, sandbox.last_active_at = "stopped", now
        return self.launchable_sandbox(user_id, repo_id, working, root, now)

    def sandbox_boot_refusal(self, user_id: str, now: datetime) -> str | None:
        own = [sandbox for sandbox in self.sandboxes.values() if sandbox.user_id == user_id]
        for window, limit, message in SANDBOX_BOOT_LIMITS:
            if window is None:
                count = sum(1 for sandbox in own if sandbox.active)
            else:
                count = sum(1 for sandbox in own if sandbox.created_at > now - window)
            if count >= limit:
                return message
        return None

    def boot_sandbox(self, user_id: str, repo: Repo, base: str, working: str,
                     root: str | None, now: datetime) -> Sandbox:
        """Boot a VM to the end of its launch stream; a repo with a boot error ends in `error`."""
        provider_id = self.ids.short("sbx_", 12)
        sandbox = Sandbox(
            id=self.ids.uuid(), user_id=user_id, sandbox_id=provider_id, repo_id=repo.id,
            status="running", base_branch=base, working_branch=working, root_directory=root,
            preview_url=f"https://{provider_id.replace('_', '-')}.preview.mockplex.dev",
            created_at=now, last_active_at=now,
            install_log=f"$ git clone --branch {base} {repo.full_name}\n$ pnpm install\n"
                        "Packages: +412\nDone in 9.8s\n",
            dev_log="$ pnpm dev\n  ready - started server on 0.0.0.0:3000\n",
        )
        for event_type, code in (("boot_requested", "new_boot"), ("vm_started", None),
                                 ("install_finished", None), ("dev_server_ready", None)):
            sandbox.lifecycle_events.append(SandboxEvent(
                id=self.ids.uuid(), event_type=event_type, decision_code=code, worker_run_id=None,
                payload={"sandbox_id": provider_id, "working_branch": working}, created_at=now,
            ))
        if repo.sandbox_boot_error:
            sandbox.status, sandbox.error, sandbox.preview_url = "error", repo.sandbox_boot_error, None
            sandbox.lifecycle_events[2:] = [SandboxEvent(
                id=self.ids.uuid(), event_type="boot_failed", decision_code="install_failed", worker_run_id=None,
                payload={"sandbox_id": provider_id, "error": repo.sandbox_boot_error}, created_at=now)]
        self.sandboxes[sandbox.id] = sandbox
        self.changes.publish("sandboxes", "INSERT", user_id)
        return sandbox

    # -- runs -------------------------------------------------------------------------

    def owned_run(self, user_id: str, run_id: str) -> Run | None:
        run = self.runs.get(run_id)
        if run is None or run.user_id != user_id:
            return None
        self.advance_run(run)
        return run

    def run_for_key(self, user_id: str, key: str) -> Run | None:
        run_id = self.idempotency.get((user_id, key))
        return self.owned_run(user_id, run_id) if run_id else None

    def start_run(self, user_id: str, repo: Repo, request: dict[str, Any], key: str,
                  request_hash: str, now: datetime) -> Run:
        root = request["rootDirectory"]
        sandbox = self.reusable_sandbox(user_id, repo.id, request["workingBranch"], root)
        run = Run(
            id=self.ids.uuid(), ai_call_id=self.ids.uuid(), user_id=user_id, repo_id=repo.id,
            harness=request["harness"], status="pending", base_branch=request["baseBranch"],
            working_branch=request["workingBranch"], create_branch=request["createBranch"],
            root_directory=root, created_at=now, updated_at=now + timedelta(milliseconds=279),
            prompt=request["prompt"], sandbox_record_id=sandbox.id if sandbox else None,
            sandbox_id=sandbox.sandbox_id if sandbox else None, runtime_provider="trigger",
            runtime_run_id=self.ids.short("run_", 20), idempotency_key=key, request_hash=request_hash,
        )
        self._append_event(run, "started", None, "External Mogplex run accepted", {
            "external_run_id": run.id, "harness_id": run.harness, "working_branch": run.working_branch,
        }, now)
        self.runs[run.id] = run
        self.changes.publish("ai_calls", "INSERT", user_id)
        self.idempotency[(user_id, key)] = run.id
        if self.outside.trigger_runtime == "missing":  # queueing fails: the run is born failed
            run.runtime_provider = run.runtime_run_id = None
            self._fail(run, RUNTIME_MISSING, run.updated_at)
        else:
            self.live_runs[run.id] = lifecycle.RunProgress(run.id, now)
        return run

    def advance_run(self, run: Run) -> None:
        progress = self.live_runs.get(run.id)
        if progress is None:
            return
        for step, moment in progress.due_steps(self.clock.now()):
            self._apply_step(run, step, moment)
        if run.terminal or progress.next_step >= len(lifecycle.SCRIPT):
            self.live_runs.pop(run.id, None)

    def _apply_step(self, run: Run, step: lifecycle.Step, moment: datetime) -> None:
        if step.kind == "stream":
            self._begin_streaming(run, moment)
        elif step.kind == "event":
            self._append_event(run, step.event_type, step.tool_name, step.message, step.payload, moment)
            run.updated_at = moment
        elif lifecycle.will_fail(run.prompt):
            self._fail(run, lifecycle.HARNESS_FAILURE, moment)
        else:
            self._finish(run, "success", None, moment)
            self._append_event(run, "finished", None, "External Mogplex run finished",
                               {"status": "success", "external_run_id": run.id}, moment)

    def _begin_streaming(self, run: Run, moment: datetime) -> None:
        repo = self.repos[run.repo_id]
        sandbox = self.reusable_sandbox(run.user_id, repo.id, run.working_branch, run.root_directory)
        if sandbox is None and self.outside.sandbox_service == "unavailable":
            self._fail(run, SANDBOX_SERVICE_DOWN, moment)
            return
        if sandbox is None:
            sandbox = self.boot_sandbox(run.user_id, repo, run.base_branch, run.working_branch,
                                        run.root_directory, moment)
        if sandbox.status == "error":
            self._fail(run, f"Sandbox launch failed: {sandbox.error}", moment)
            return
        sandbox.last_active_at = moment
        run.sandbox_record_id, run.sandbox_id = sandbox.id, sandbox.sandbox_id
        run.status, run.error, run.updated_at = "streaming", None, moment
        self.changes.publish("ai_calls", "UPDATE", run.user_id)
        self._append_event(run, "status_changed", None, "Run status changed to streaming", {
            "from": "pending", "to": "streaming", "sandbox_id": sandbox.sandbox_id,
        }, moment)

    def _finish(self, run: Run, status: str, error: str | None, moment: datetime) -> None:
        run.status, run.error, run.updated_at = status, error, moment
        self.changes.publish("ai_calls", "UPDATE", run.user_id)

    def _fail(self, run: Run, error: str, moment: datetime) -> None:
        self._finish(run, "failed", error, moment)
        self._append_event(run, "failed", None, "External Mogplex run failed", {"error": error}, moment)

    def cancel_run(self, run: Run, now: datetime) -> bool:
        """Cancel a live run; False when it had already reached a terminal status."""
        if run.terminal:
            return False
        payload = {"external_run_id": run.id,
                   "runtime_command_id": self.ids.short("cmd_", 16) if run.status == "streaming" else None}
        if not run.cancel_requested:
            run.cancel_requested = True
            self._append_event(run, "cancel_requested", None, "Cancellation requested", payload, now)
        self._finish(run, "cancelled", None, now)
        self._append_event(run, "cancelled", None, "External Mogplex run cancelled", payload, now)
        self.live_runs.pop(run.id, None)
        return True

    def _append_event(self, run: Run, event_type: str, tool_name: str | None, message: str | None,
                      payload: dict[str, Any], moment: datetime) -> None:
        run.events.append(RunEvent(self.ids.uuid(), event_type, tool_name, message,
                                   copy.deepcopy(payload), moment))


def _ilike(query: str) -> re.Pattern[str]:
    """SQL ILIKE %query%: `%` and `_` stay wildcards, everything else is literal."""
    parts = []
    for char in query:
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
