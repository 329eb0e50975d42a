"""The web app's routes (the unversioned /api/* families): each row says where it lives,
that the shared resolver finds its caller, and its handler. A real route the world does
not answer yet is listed as unmodeled."""

from __future__ import annotations

from mockplex.handlers import (
    agents_web, connections, identity, observability, plumbing, projects, reusable, routing, runtime, sandbox_web,
    tables, unmodeled,
)
from mockplex.routes.table import RouteSpec


def _internal(family: str, name: str, method: str, path: str, handler, team_scope: bool = False) -> RouteSpec:
    return RouteSpec(family, name, method, path, handler, "internal", team_scope=team_scope)


def _unmodeled(family: str, method: str, path: str, team_scope: bool = False) -> RouteSpec:
    """A real route the world does not answer yet: the family's not-found, marked unmodeled."""
    return RouteSpec(family, f"unmodeled {method} {path}", method, path, unmodeled.not_modeled, "internal",
                     team_scope=team_scope)


IDENTITY_ROUTES: tuple[RouteSpec, ...] = (
    _internal("identity", "auth.user", "GET", "/api/auth/user", identity.auth_user),
    _unmodeled("identity", "GET", "/api/auth/{rest*}"),
    _unmodeled("identity", "POST", "/api/auth/{rest*}"),
    _internal("identity", "auth.logout", "POST", "/api/auth/logout", identity.logout),
    _internal("identity", "auth.logout.page", "GET", "/api/auth/logout", identity.logout_redirect),
    _internal("identity", "settings.get", "GET", "/api/settings", identity.get_settings),
    _internal("identity", "settings.patch", "PATCH", "/api/settings", identity.patch_settings),
    _internal("identity", "api_keys.list", "GET", "/api/settings/api-keys", identity.list_api_keys),
    _internal("identity", "api_keys.create", "POST", "/api/settings/api-keys", identity.create_api_key),
    _internal("identity", "api_keys.revoke", "DELETE", "/api/settings/api-keys/{id}", identity.revoke_api_key),
    _internal("identity", "provider_keys.list", "GET", "/api/settings/keys", identity.list_provider_keys),
    _internal("identity", "provider_keys.put", "PUT", "/api/settings/keys", identity.put_provider_key),
    _internal("identity", "provider_keys.delete", "DELETE", "/api/settings/keys", identity.delete_provider_key),
    _internal("identity", "provider_keys.verify", "POST", "/api/settings/keys/verify", identity.verify_provider_key),
    _internal("identity", "models.get", "GET", "/api/models", identity.get_models, team_scope=True),
    _internal("identity", "models.patch", "PATCH", "/api/models", identity.patch_models, team_scope=True),
    _unmodeled("identity", "GET", "/api/models/new-arrivals"),
    _unmodeled("identity", "GET", "/api/models/provider-icons"),
)

PROJECT_ROUTES: tuple[RouteSpec, ...] = (
    _internal("projects", "github.installations", "GET", "/api/github/installations", projects.list_installations),
    _internal("projects", "github.owners", "GET", "/api/github/owners", projects.list_owners),
    _internal("projects", "github.repos", "GET", "/api/github/repos", projects.github_repos, team_scope=True),
    _internal("projects", "github.pulls", "GET", "/api/github/pulls", projects.github_pulls),
    _unmodeled("projects", "GET", "/api/github/installations/{installationId}/org-members"),
    _unmodeled("projects", "GET", "/api/repos/{id}/monorepo"),
    _unmodeled("projects", "POST", "/api/repos/{id}/subproject"),
    _unmodeled("projects", "GET", "/api/repos/{id}/launch-presets"),
    _unmodeled("projects", "GET", "/api/repos/{id}/connections"),
    _unmodeled("projects", "GET", "/api/repos/{id}/rules", team_scope=True),
    _unmodeled("projects", "GET", "/api/repos/{id}/skills", team_scope=True),
    _unmodeled("projects", "GET", "/api/repos/{id}/models", team_scope=True),
    _unmodeled("projects", "GET", "/api/repos/{id}/env-vars"),
    _unmodeled("projects", "GET", "/api/repos/{id}/secrets", team_scope=True),
    _unmodeled("projects", "GET", "/api/repos/{id}/snapshot"),
    _unmodeled("projects", "POST", "/api/workspaces/{id}/repos", team_scope=True),
    _internal("projects", "repos.list", "GET", "/api/repos", projects.list_repos, team_scope=True),
    _internal("projects", "repos.create", "POST", "/api/repos", projects.create_repo, team_scope=True),
    _internal("projects", "repos.update", "PATCH", "/api/repos", projects.update_repo, team_scope=True),
    _internal("projects", "repos.delete", "DELETE", "/api/repos", projects.delete_repo, team_scope=True),
    _internal("projects", "workspaces.list", "GET", "/api/workspaces", projects.list_workspaces, team_scope=True),
    _internal("projects", "workspaces.create", "POST", "/api/workspaces", projects.create_workspace, team_scope=True),
    _internal("projects", "workspaces.update", "PATCH", "/api/workspaces/{id}", projects.update_workspace,
              team_scope=True),
    _internal("projects", "workspaces.delete", "DELETE", "/api/workspaces/{id}", projects.delete_workspace,
              team_scope=True),
)

REUSABLE_ROUTES: tuple[RouteSpec, ...] = (
    _internal("reusable", "mcp_servers.list", "GET", "/api/mcp-servers", reusable.list_mcp_servers),
    _internal("reusable", "mcp_servers.create", "POST", "/api/mcp-servers", reusable.create_mcp_server),
    _internal("reusable", "agents.list", "GET", "/api/agents", agents_web.list_agents),
    _internal("reusable", "agents.create", "POST", "/api/agents", agents_web.create_agent),
    _internal("reusable", "agents.update", "PUT", "/api/agents", agents_web.update_agent),
    _internal("reusable", "agents.delete", "DELETE", "/api/agents", agents_web.delete_agent),
    _internal("reusable", "agents.roster", "GET", "/api/agents/roster", agents_web.roster),
    _internal("reusable", "agents.roster.summary", "GET", "/api/agents/roster/summary", agents_web.roster_summary),
    RouteSpec("reusable", "agents.generate", "POST", "/api/agents/generate", agents_web.generate, "internal",
              streaming=True),
    _unmodeled("reusable", "GET", "/api/agent-categories"),
    _internal("reusable", "skills.list", "GET", "/api/skills", tables.lister(tables.fixed(tables.SKILLS))),
    _internal("reusable", "skills.create", "POST", "/api/skills", tables.creator(tables.fixed(tables.SKILLS))),
    _internal("reusable", "skills.update", "PUT", "/api/skills", tables.updater(tables.fixed(tables.SKILLS))),
    _internal("reusable", "skills.delete", "DELETE", "/api/skills", tables.deleter(tables.fixed(tables.SKILLS))),
    _internal("reusable", "rules.list", "GET", "/api/rules", tables.lister(tables.rules_table)),
    _internal("reusable", "rules.create", "POST", "/api/rules", tables.creator(tables.rules_table)),
    _internal("reusable", "rules.update", "PUT", "/api/rules", tables.updater(tables.rules_table)),
    _internal("reusable", "rules.delete", "DELETE", "/api/rules", tables.deleter(tables.rules_table)),
    _internal("reusable", "connections.list", "GET", "/api/connections", connections.list_connections),
    _internal("reusable", "connections.create", "POST", "/api/connections", connections.create_connection),
    _internal("reusable", "connections.update", "PATCH", "/api/connections", connections.update_connection),
    _internal("reusable", "connections.delete", "DELETE", "/api/connections", connections.delete_connection),
    _internal("reusable", "connections.test", "POST", "/api/connections/{id}/test", connections.test_connection),
)

ROUTING_ROUTES: tuple[RouteSpec, ...] = (
    _internal("routing", "flows.list", "GET", "/api/flows", routing.list_flows, team_scope=True),
    _internal("routing", "flows.create", "POST", "/api/flows", routing.create_flow, team_scope=True),
    _internal("routing", "flows.get", "GET", "/api/flows/{id}", routing.get_flow, team_scope=True),
    _internal("routing", "flows.update", "PUT", "/api/flows/{id}", routing.update_flow, team_scope=True),
    _internal("routing", "flows.delete", "DELETE", "/api/flows/{id}", routing.delete_flow, team_scope=True),
    _internal("routing", "flows.runs", "GET", "/api/flows/{id}/runs", routing.list_flow_runs),
    _internal("routing", "flows.run", "GET", "/api/flows/{id}/runs/{runId}", routing.flow_run_detail),
    _unmodeled("routing", "POST", "/api/flows/{id}/publish", team_scope=True),
    _unmodeled("routing", "POST", "/api/flows/{id}/duplicate", team_scope=True),
    _unmodeled("routing", "POST", "/api/flows/{id}/test-trigger"),
    _unmodeled("routing", "POST", "/api/flows/{id}/webhook-secret"),
    _internal("routing", "triggers.list", "GET", "/api/triggers", routing.list_triggers),
    _internal("routing", "triggers.create", "POST", "/api/triggers", routing.create_trigger),
    _internal("routing", "triggers.update", "PUT", "/api/triggers", routing.update_trigger),
    _internal("routing", "triggers.delete", "DELETE", "/api/triggers", routing.delete_trigger),
    _internal("routing", "assignments.list", "GET", "/api/assignments", routing.list_assignments),
    _internal("routing", "assignments.create", "POST", "/api/assignments", routing.create_assignment),
    _internal("routing", "assignments.update", "PUT", "/api/assignments", routing.update_assignment),
    _internal("routing", "assignments.delete", "DELETE", "/api/assignments", routing.delete_assignment),
)

RUNTIME_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("runtime", "chat", "POST", "/api/chat", runtime.chat, "internal", streaming=True),
    RouteSpec("runtime", "realtime.events", "GET", "/api/realtime/events", runtime.realtime_events, "internal",
              streaming=True),
    _internal("runtime", "sandbox.list", "GET", "/api/sandbox", sandbox_web.list_sandboxes),
    RouteSpec("runtime", "sandbox.create", "POST", "/api/sandbox", sandbox_web.create_sandbox, "internal",
              streaming=True),
    _internal("runtime", "sandbox.get", "GET", "/api/sandbox/{id}", sandbox_web.get_sandbox),
    _internal("runtime", "sandbox.delete", "DELETE", "/api/sandbox/{id}", sandbox_web.delete_sandbox),
    RouteSpec("runtime", "sandbox.exec", "POST", "/api/sandbox/{id}/exec", sandbox_web.exec_command, "internal",
              streaming=True),
    _unmodeled("runtime", "POST", "/api/sandbox/{id}/resume", team_scope=True),
    _unmodeled("runtime", "POST", "/api/sandbox/{id}/restart", team_scope=True),
    _unmodeled("runtime", "POST", "/api/sandbox/{id}/harness", team_scope=True),
    _unmodeled("runtime", "POST", "/api/sandbox/{id}/stop", team_scope=True),
    _unmodeled("runtime", "POST", "/api/sandbox/{id}/pause", team_scope=True),
    _unmodeled("runtime", "GET", "/api/sandbox/{id}/health", team_scope=True),
    _unmodeled("runtime", "GET", "/api/conversations"),
    _unmodeled("runtime", "GET", "/api/memories", team_scope=True),
    _unmodeled("runtime", "POST", "/api/control/chat"),
    _internal("runtime", "observability.stats", "GET", "/api/observability/stats", observability.stats),
    _internal("runtime", "observability.calls", "GET", "/api/observability/calls", observability.list_calls),
    _internal("runtime", "observability.call_events", "GET", "/api/observability/call-events",
              observability.call_events),
    _internal("runtime", "observability.jobs", "GET", "/api/observability/jobs", observability.list_jobs),
    _internal("runtime", "observability.job", "GET", "/api/observability/jobs/{id}", observability.job_detail),
    _internal("runtime", "observability.automation_events", "GET", "/api/observability/automation-events",
              observability.automation_events),
    _internal("runtime", "observability.automation_failures", "GET", "/api/observability/automation-failures",
              observability.automation_failures),
    _internal("runtime", "observability.tool_calls", "GET", "/api/observability/tool-calls",
              observability.tool_calls),
    _internal("runtime", "commands.list", "GET", "/api/commands", tables.lister(tables.fixed(tables.COMMANDS))),
    _internal("runtime", "commands.create", "POST", "/api/commands", tables.creator(tables.fixed(tables.COMMANDS))),
    _internal("runtime", "commands.delete", "DELETE", "/api/commands", tables.deleter(tables.fixed(tables.COMMANDS))),
)

SYSTEM_ROUTES: tuple[RouteSpec, ...] = (
    _internal("system", "jobs.process", "POST", "/api/jobs/process", plumbing.process_job),
    _internal("system", "agent.review", "POST", "/api/agent/review", plumbing.review_job),
    _unmodeled("system", "GET", "/api/cron/{job}"),
    RouteSpec("system", "webhooks.github", "POST", "/api/webhooks/github", plumbing.github_webhook, "public"),
    RouteSpec("system", "webhooks.stripe", "POST", "/api/webhooks/stripe", plumbing.stripe_webhook, "public"),
    RouteSpec("system", "webhooks.slack", "POST", "/api/webhooks/slack", plumbing.slack_webhook, "public"),
    RouteSpec("system", "webhooks.flow", "POST", "/api/webhooks/flows/{id}", plumbing.flow_webhook, "public"),
    _internal("system", "e2e.flows.get", "GET", "/api/test/e2e/flows", plumbing.e2e_flows_snapshot),
    _internal("system", "e2e.flows.post", "POST", "/api/test/e2e/flows", plumbing.e2e_flows_seed),
    _internal("system", "e2e.flows.delete", "DELETE", "/api/test/e2e/flows", plumbing.e2e_flows_reset),
    _internal("system", "migrate", "POST", "/api/migrate", plumbing.retired),
)

INTERNAL_ROUTES = (IDENTITY_ROUTES + PROJECT_ROUTES + REUSABLE_ROUTES + ROUTING_ROUTES + RUNTIME_ROUTES
                   + SYSTEM_ROUTES)
