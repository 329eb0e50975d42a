"""The web app's routes (the unversioned /api/* families): each row says where it lives,
that the shared resolver finds its caller, and its handler."""

from __future__ import annotations

from mockplex.handlers import tables  # its tables are built with the route rows
from mockplex.routes.lazy import HandlerModule
from mockplex.routes.table import RouteSpec

agent_categories = HandlerModule("agent_categories")
agents_web = HandlerModule("agents_web")
api_keys = HandlerModule("api_keys")
approvals = HandlerModule("approvals")
automation_extras = HandlerModule("automation_extras")
automation_sandbox_test = HandlerModule("automation_sandbox_test")
connections = HandlerModule("connections")
control_chat = HandlerModule("control_chat")
conversations = HandlerModule("conversations")
cron = HandlerModule("cron")
flow_actions = HandlerModule("flow_actions")
flow_assistant = HandlerModule("flow_assistant")
github_org_members = HandlerModule("github_org_members")
identity = HandlerModule("identity")
mcp_server_detail = HandlerModule("mcp_server_detail")
memory = HandlerModule("memory")
model_extras = HandlerModule("model_extras")
model_sync = HandlerModule("model_sync")
models_web = HandlerModule("models_web")
observability = HandlerModule("observability")
observability_actions = HandlerModule("observability_actions")
observability_jobs = HandlerModule("observability_jobs")
observability_stats = HandlerModule("observability_stats")
plumbing = HandlerModule("plumbing")
projects = HandlerModule("projects")
provider_keys = HandlerModule("provider_keys")
repo_layout = HandlerModule("repo_layout")
repo_resources = HandlerModule("repo_resources")
repo_secrets = HandlerModule("repo_secrets")
repo_snapshots = HandlerModule("repo_snapshots")
reusable = HandlerModule("reusable")
routing = HandlerModule("routing")
runtime = HandlerModule("runtime")
sandbox_files = HandlerModule("sandbox_files")
sandbox_harness = HandlerModule("sandbox_harness")
sandbox_lifecycle = HandlerModule("sandbox_lifecycle")
sandbox_terminal = HandlerModule("sandbox_terminal")
sandbox_web = HandlerModule("sandbox_web")
skill_registries = HandlerModule("skill_registries")
workspace_repos = HandlerModule("workspace_repos")
invite_accept = HandlerModule("invite_accept")
team_invites = HandlerModule("team_invites")
auth_library = HandlerModule("auth_library")
github_auth = HandlerModule("github_auth")
unsubscribe = HandlerModule("unsubscribe")
team_installations = HandlerModule("team_installations")
team_keys = HandlerModule("team_keys")
team_models = HandlerModule("team_models")
team_audit_events = HandlerModule("team_audit_events")
team_icon = HandlerModule("team_icon")
team_members = HandlerModule("team_members")
teams = HandlerModule("teams")
slack_installations = HandlerModule("slack_installations")
slack_links = HandlerModule("slack_links")
slack_oauth = HandlerModule("slack_oauth")
slack_webhook = HandlerModule("slack_webhook")
billing = HandlerModule("billing")
stripe_sessions = HandlerModule("stripe_sessions")
vercel_auth = HandlerModule("vercel_auth")
vercel_billing = HandlerModule("vercel_billing")
vercel_targets = HandlerModule("vercel_targets")
stripe_webhook = HandlerModule("stripe_webhook")
cli_completions = HandlerModule("cli_completions")
cli_latest = HandlerModule("cli_latest")
connection_oauth = HandlerModule("connection_oauth")
managed_auth = HandlerModule("managed_auth")
oauth_decision = HandlerModule("oauth_decision")
waitlist = HandlerModule("waitlist")


def _internal(family: str, name: str, method: str, path: str, handler, team_scope: bool = False) -> RouteSpec:
    return RouteSpec(family, name, method, path, handler, "internal", team_scope=team_scope)


IDENTITY_ROUTES: tuple[RouteSpec, ...] = (
    _internal("identity", "auth.user", "GET", "/api/auth/user", identity.auth_user),
    RouteSpec("identity", "auth.library", "GET", "/api/auth/{all*}", auth_library.catch_all, "public"),
    RouteSpec("identity", "auth.library.post", "POST", "/api/auth/{all*}", auth_library.catch_all, "public"),
    _internal("identity", "auth.logout", "POST", "/api/auth/logout", identity.logout),
    _internal("identity", "auth.logout.page", "GET", "/api/auth/logout", identity.logout_redirect),
    _internal("identity", "settings.get", "GET", "/api/settings", identity.get_settings),
    _internal("identity", "settings.patch", "PATCH", "/api/settings", identity.patch_settings),
    _internal("identity", "api_keys.list", "GET", "/api/settings/api-keys", api_keys.list_api_keys),
    _internal("identity", "api_keys.create", "POST", "/api/settings/api-keys", api_keys.create_api_key),
    _internal("identity", "api_keys.revoke", "DELETE", "/api/settings/api-keys/{id}", api_keys.revoke_api_key),
    _internal("identity", "provider_keys.list", "GET", "/api/settings/keys", provider_keys.list_provider_keys),
    _internal("identity", "provider_keys.put", "PUT", "/api/settings/keys", provider_keys.put_provider_key),
    _internal("identity", "provider_keys.delete", "DELETE", "/api/settings/keys", provider_keys.delete_provider_key),
    _internal("identity", "provider_keys.verify", "POST", "/api/settings/keys/verify", provider_keys.verify_provider_key),
    _internal("identity", "models.get", "GET", "/api/models", models_web.get_models, team_scope=True),
    _internal("identity", "models.patch", "PATCH", "/api/models", models_web.patch_models, team_scope=True),
    _internal("identity", "models.new_arrivals", "GET", "/api/models/new-arrivals", model_extras.new_arrivals),
    _internal("identity", "models.provider_icons", "GET", "/api/models/provider-icons", model_extras.provider_icons),
    _internal("identity", "auth.github", "GET", "/api/auth/github", github_auth.connect),
    _internal("identity", "auth.github.callback", "GET", "/api/auth/github/callback", github_auth.connect_callback),
    _internal("identity", "auth.login.github", "GET", "/api/auth/login/github", github_auth.login),
    _internal("identity", "auth.vercel", "GET", "/api/auth/vercel", vercel_auth.authorize),
    _internal("identity", "auth.vercel.callback", "GET", "/api/auth/vercel/callback", vercel_auth.callback),
    _internal("identity", "auth.vercel.token.store", "POST", "/api/auth/vercel/token", vercel_auth.store_token),
    _internal("identity", "auth.vercel.token.delete", "DELETE", "/api/auth/vercel/token", vercel_auth.delete_token),
    RouteSpec("identity", "waitlist.new_code", "POST", "/api/auth/waitlist/new-code", waitlist.new_code, "public"),
    RouteSpec("identity", "waitlist.request", "POST", "/api/auth/waitlist/request", waitlist.request_access, "public"),
    RouteSpec("identity", "waitlist.validate", "POST", "/api/auth/waitlist/validate", waitlist.validate_code, "public"),
    _internal("identity", "models.new_arrivals.act", "POST", "/api/models/new-arrivals", model_extras.act_on_arrivals),
    _internal("identity", "models.new_arrivals.auto_enable", "PATCH", "/api/models/new-arrivals",
              model_extras.set_auto_enable),
)

PROJECT_ROUTES: tuple[RouteSpec, ...] = (
    _internal("projects", "github.installations", "GET", "/api/github/installations", projects.list_installations),
    _internal("projects", "github.owners", "GET", "/api/github/owners", projects.list_owners),
    _internal("projects", "github.repos", "GET", "/api/github/repos", projects.github_repos, team_scope=True),
    _internal("projects", "github.pulls", "GET", "/api/github/pulls", projects.github_pulls),
    _internal("projects", "github.org_members", "GET", "/api/github/installations/{installationId}/org-members",
              github_org_members.org_members),
    _internal("projects", "repos.monorepo", "GET", "/api/repos/{id}/monorepo", repo_layout.monorepo),
    _internal("projects", "repos.subproject", "POST", "/api/repos/{id}/subproject", repo_layout.create_subproject),
    _internal("projects", "repos.launch_presets.list", "GET", "/api/repos/{id}/launch-presets",
              repo_layout.list_launch_presets),
    _internal("projects", "repo.connections.list", "GET", "/api/repos/{id}/connections",
              repo_resources.list_connections),
    _internal("projects", "repo.rules.list", "GET", "/api/repos/{id}/rules", repo_resources.list_rules),
    _internal("projects", "repo.skills.list", "GET", "/api/repos/{id}/skills", repo_resources.list_skills),
    _internal("projects", "repo.models.list", "GET", "/api/repos/{id}/models", repo_resources.list_models),
    _internal("projects", "repo.env_vars.list", "GET", "/api/repos/{id}/env-vars", repo_secrets.list_env_vars),
    _internal("projects", "repo.secrets.list", "GET", "/api/repos/{id}/secrets", repo_secrets.list_secrets),
    _internal("projects", "repos.snapshot.get", "GET", "/api/repos/{id}/snapshot", repo_snapshots.get_snapshot),
    _internal("projects", "workspaces.repos.create", "POST", "/api/workspaces/{id}/repos",
              workspace_repos.create_workspace_repo, team_scope=True),
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
    _internal("projects", "repo.connections.override", "POST", "/api/repos/{id}/connections",
              repo_resources.set_connection_override),
    _internal("projects", "repo.connections.unoverride", "DELETE", "/api/repos/{id}/connections",
              repo_resources.delete_connection_override),
    _internal("projects", "repo.env_vars.create", "POST", "/api/repos/{id}/env-vars", repo_secrets.create_env_var),
    _internal("projects", "repo.env_vars.update", "PATCH", "/api/repos/{id}/env-vars", repo_secrets.update_env_var),
    _internal("projects", "repo.env_vars.delete", "DELETE", "/api/repos/{id}/env-vars", repo_secrets.delete_env_var),
    _internal("projects", "repos.launch_presets.save", "POST", "/api/repos/{id}/launch-presets",
              repo_layout.save_launch_preset),
    _internal("projects", "repos.launch_presets.delete", "DELETE", "/api/repos/{id}/launch-presets/{presetId}",
              repo_layout.delete_launch_preset),
    _internal("projects", "repo.models.override", "POST", "/api/repos/{id}/models", repo_resources.set_model_override),
    _internal("projects", "repo.rules.override", "POST", "/api/repos/{id}/rules", repo_resources.add_rule_override),
    _internal("projects", "repo.rules.unoverride", "DELETE", "/api/repos/{id}/rules",
              repo_resources.delete_rule_override),
    _internal("projects", "repo.secrets.put", "PUT", "/api/repos/{id}/secrets", repo_secrets.put_secret),
    _internal("projects", "repo.secrets.delete", "DELETE", "/api/repos/{id}/secrets", repo_secrets.delete_secret),
    _internal("projects", "repo.skills.override", "POST", "/api/repos/{id}/skills", repo_resources.add_skill_override),
    _internal("projects", "repo.skills.unoverride", "DELETE", "/api/repos/{id}/skills",
              repo_resources.delete_skill_override),
    _internal("projects", "repos.snapshot.build", "POST", "/api/repos/{id}/snapshot", repo_snapshots.create_snapshot),
    _internal("projects", "repos.snapshot.delete", "DELETE", "/api/repos/{id}/snapshot",
              repo_snapshots.delete_snapshot),
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
    _internal("reusable", "agent_categories.list", "GET", "/api/agent-categories", agent_categories.list_categories),
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
    _internal("reusable", "agent_categories.create", "POST", "/api/agent-categories", agent_categories.create_category),
    _internal("reusable", "agent_categories.delete", "DELETE", "/api/agent-categories", agent_categories.delete_category),
    _internal("reusable", "connections.managed_auth", "GET", "/api/connections/managed-auth",
              managed_auth.start_managed_auth),
    _internal("reusable", "connections.managed_auth.webhook", "POST", "/api/connections/managed-auth/webhook",
              managed_auth.managed_auth_webhook),
    _internal("reusable", "connections.oauth", "GET", "/api/connections/oauth", connection_oauth.start_oauth),
    _internal("reusable", "connections.oauth.callback", "GET", "/api/connections/oauth/callback",
              connection_oauth.oauth_callback),
    _internal("reusable", "mcp_servers.get", "GET", "/api/mcp-servers/{id}", mcp_server_detail.get_mcp_server),
    _internal("reusable", "mcp_servers.update", "PATCH", "/api/mcp-servers/{id}", mcp_server_detail.patch_mcp_server),
    _internal("reusable", "mcp_servers.delete", "DELETE", "/api/mcp-servers/{id}", mcp_server_detail.delete_mcp_server),
    _internal("reusable", "skills.registry", "GET", "/api/skills/registry", skill_registries.list_registry_skills),
    _internal("reusable", "skills.registry.skill", "GET", "/api/skills/registry/{path*}", skill_registries.registry_skill),
    _internal("reusable", "skills.vercel_docs", "GET", "/api/skills/vercel-docs", skill_registries.list_vercel_docs),
    _internal("reusable", "skills.vercel_docs.doc", "GET", "/api/skills/vercel-docs/{path*}", skill_registries.vercel_doc),
)

ROUTING_ROUTES: tuple[RouteSpec, ...] = (
    _internal("routing", "flows.list", "GET", "/api/flows", routing.list_flows, team_scope=True),
    _internal("routing", "flows.create", "POST", "/api/flows", routing.create_flow, team_scope=True),
    _internal("routing", "flows.get", "GET", "/api/flows/{id}", routing.get_flow, team_scope=True),
    _internal("routing", "flows.update", "PUT", "/api/flows/{id}", routing.update_flow, team_scope=True),
    _internal("routing", "flows.delete", "DELETE", "/api/flows/{id}", routing.delete_flow, team_scope=True),
    _internal("routing", "flows.runs", "GET", "/api/flows/{id}/runs", routing.list_flow_runs),
    _internal("routing", "flows.run", "GET", "/api/flows/{id}/runs/{runId}", routing.flow_run_detail),
    _internal("routing", "flows.publish", "POST", "/api/flows/{id}/publish", flow_actions.publish_flow, team_scope=True),
    _internal("routing", "flows.duplicate", "POST", "/api/flows/{id}/duplicate", flow_actions.duplicate_flow,
              team_scope=True),
    _internal("routing", "flows.test_trigger", "POST", "/api/flows/{id}/test-trigger", flow_actions.test_trigger),
    _internal("routing", "flows.webhook_secret", "POST", "/api/flows/{id}/webhook-secret",
              flow_actions.generate_webhook_secret),
    _internal("routing", "triggers.list", "GET", "/api/triggers", routing.list_triggers),
    _internal("routing", "triggers.create", "POST", "/api/triggers", routing.create_trigger),
    _internal("routing", "triggers.update", "PUT", "/api/triggers", routing.update_trigger),
    _internal("routing", "triggers.delete", "DELETE", "/api/triggers", routing.delete_trigger),
    _internal("routing", "assignments.list", "GET", "/api/assignments", routing.list_assignments),
    _internal("routing", "assignments.create", "POST", "/api/assignments", routing.create_assignment),
    _internal("routing", "assignments.update", "PUT", "/api/assignments", routing.update_assignment),
    _internal("routing", "assignments.delete", "DELETE", "/api/assignments", routing.delete_assignment),
    _internal("routing", "automations.harnesses", "GET", "/api/automations/harnesses", automation_extras.harnesses),
    _internal("routing", "automations.sandbox_test", "POST", "/api/automations/sandbox-test",
              automation_sandbox_test.sandbox_test, team_scope=True),
    _internal("routing", "flows.approvals.list", "GET", "/api/flows/approvals", approvals.list_flow_approvals),
    _internal("routing", "flows.approvals.resolve", "POST", "/api/flows/approvals/{id}",
              approvals.resolve_flow_approval),
    _internal("routing", "flows.templates.list", "GET", "/api/flows/templates", flow_actions.list_templates,
              team_scope=True),
    _internal("routing", "flows.templates.create", "POST", "/api/flows/templates", flow_actions.create_template,
              team_scope=True),
    _internal("routing", "flows.templates.delete", "DELETE", "/api/flows/templates/{id}",
              flow_actions.delete_template, team_scope=True),
    _internal("routing", "flows.assistant", "POST", "/api/flows/{id}/assistant", flow_assistant.suggest),
    RouteSpec("routing", "flows.chat", "POST", "/api/flows/{id}/chat", flow_assistant.chat, "internal",
              streaming=True),
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
    _internal("runtime", "sandbox.resume", "POST", "/api/sandbox/{id}/resume", sandbox_lifecycle.resume_sandbox),
    RouteSpec("runtime", "sandbox.restart", "POST", "/api/sandbox/{id}/restart", sandbox_lifecycle.restart_sandbox,
              "internal", streaming=True),
    RouteSpec("runtime", "sandbox.harness", "POST", "/api/sandbox/{id}/harness", sandbox_harness.run_harness,
              "internal", streaming=True),
    _internal("runtime", "sandbox.stop", "POST", "/api/sandbox/{id}/stop", sandbox_lifecycle.stop_sandbox),
    _internal("runtime", "sandbox.pause", "POST", "/api/sandbox/{id}/pause", sandbox_lifecycle.pause_sandbox),
    _internal("runtime", "sandbox.health", "GET", "/api/sandbox/{id}/health", sandbox_lifecycle.sandbox_health),
    RouteSpec("runtime", "control.chat", "POST", "/api/control/chat", control_chat.control_chat, "internal",
              streaming=True),
    _internal("runtime", "observability.stats", "GET", "/api/observability/stats", observability_stats.stats),
    _internal("runtime", "observability.calls", "GET", "/api/observability/calls", observability.list_calls),
    _internal("runtime", "observability.call_events", "GET", "/api/observability/call-events",
              observability.call_events),
    _internal("runtime", "observability.jobs", "GET", "/api/observability/jobs", observability_jobs.list_jobs),
    _internal("runtime", "observability.job", "GET", "/api/observability/jobs/{id}", observability_jobs.job_detail),
    _internal("runtime", "observability.automation_events", "GET", "/api/observability/automation-events",
              observability_jobs.automation_events),
    _internal("runtime", "observability.automation_failures", "GET", "/api/observability/automation-failures",
              observability_jobs.automation_failures),
    _internal("runtime", "observability.tool_calls", "GET", "/api/observability/tool-calls",
              observability.tool_calls),
    _internal("runtime", "commands.list", "GET", "/api/commands", tables.lister(tables.fixed(tables.COMMANDS))),
    _internal("runtime", "commands.create", "POST", "/api/commands", tables.creator(tables.fixed(tables.COMMANDS))),
    _internal("runtime", "commands.delete", "DELETE", "/api/commands", tables.deleter(tables.fixed(tables.COMMANDS))),
    _internal("runtime", "control.approvals.list", "GET", "/api/control/approvals",
              approvals.list_control_approvals),
    _internal("runtime", "control.approvals.resolve", "POST", "/api/control/approvals/{id}",
              approvals.resolve_control_approval),
    _internal("runtime", "observability.call.cancel", "POST", "/api/observability/calls/{id}/cancel",
              observability_actions.cancel_call),
    _internal("runtime", "observability.job.cancel", "POST", "/api/observability/jobs/{id}/cancel",
              observability_actions.cancel_job),
    _internal("runtime", "observability.job.repair", "POST", "/api/observability/jobs/{id}/repair",
              observability_actions.repair_job),
    _internal("runtime", "observability.job.requeue", "POST", "/api/observability/jobs/{id}/requeue",
              observability_actions.requeue_job),
    _internal("runtime", "observability.finding.issue", "POST",
              "/api/observability/jobs/{id}/review-findings/{findingId}/issue", observability_actions.create_finding_issue),
    _internal("runtime", "sandbox.exec.cancel", "POST", "/api/sandbox/{id}/exec/cancel", sandbox_terminal.cancel_exec),
    _internal("runtime", "sandbox.extend", "POST", "/api/sandbox/{id}/extend", sandbox_lifecycle.extend_sandbox),
    _internal("runtime", "sandbox.files.read", "GET", "/api/sandbox/{id}/files", sandbox_files.read_file),
    _internal("runtime", "sandbox.files.list", "POST", "/api/sandbox/{id}/files", sandbox_files.list_directory),
    _internal("runtime", "sandbox.files.write", "PUT", "/api/sandbox/{id}/files", sandbox_files.write_file),
    _internal("runtime", "sandbox.presence", "POST", "/api/sandbox/{id}/presence", sandbox_lifecycle.sandbox_presence),
    _internal("runtime", "sandbox.reconcile", "POST", "/api/sandbox/{id}/reconcile",
              sandbox_lifecycle.reconcile_sandbox),
    _internal("runtime", "sandbox.terminal.connect", "GET", "/api/sandbox/{id}/terminal/connect",
              sandbox_terminal.connect_terminal),
    _internal("runtime", "sandbox.terminal.connect_post", "POST", "/api/sandbox/{id}/terminal/connect",
              sandbox_terminal.connect_terminal),
    _internal("runtime", "sandbox.terminal.session", "POST", "/api/sandbox/{id}/terminal/session",
              sandbox_terminal.control_session),
    _internal("runtime", "sandbox.tree.list", "GET", "/api/sandbox/{id}/tree", sandbox_files.tree),
    _internal("runtime", "sandbox.tree.create", "POST", "/api/sandbox/{id}/tree", sandbox_files.create_tree_entry),
    _internal("runtime", "sandbox.tree.move", "PATCH", "/api/sandbox/{id}/tree", sandbox_files.move_tree_entries),
    _internal("runtime", "sandbox.tree.delete", "DELETE", "/api/sandbox/{id}/tree", sandbox_files.delete_tree_entry),
)

SYSTEM_ROUTES: tuple[RouteSpec, ...] = (
    _internal("system", "jobs.process", "POST", "/api/jobs/process", plumbing.process_job),
    _internal("system", "agent.review", "POST", "/api/agent/review", plumbing.review_job),
    RouteSpec("system", "webhooks.github", "POST", "/api/webhooks/github", plumbing.github_webhook, "public"),
    RouteSpec("system", "webhooks.stripe", "POST", "/api/webhooks/stripe", stripe_webhook.receive, "public"),
    RouteSpec("system", "webhooks.slack", "POST", "/api/webhooks/slack", slack_webhook.receive, "public"),
    RouteSpec("system", "webhooks.flow", "POST", "/api/webhooks/flows/{id}", plumbing.flow_webhook, "public"),
    _internal("system", "e2e.flows.get", "GET", "/api/test/e2e/flows", plumbing.e2e_flows_snapshot),
    _internal("system", "e2e.flows.post", "POST", "/api/test/e2e/flows", plumbing.e2e_flows_seed),
    _internal("system", "e2e.flows.delete", "DELETE", "/api/test/e2e/flows", plumbing.e2e_flows_reset),
    _internal("system", "migrate", "POST", "/api/migrate", plumbing.retired),
    _internal("system", "cron.production_smoke", "GET", "/api/cron/production-smoke", cron.production_smoke),
    _internal("system", "cron.reconcile_job_runs", "GET", "/api/cron/reconcile-job-runs", cron.reconcile_job_runs),
    _internal("system", "cron.reconcile_vercel_links", "GET", "/api/cron/reconcile-vercel-links",
              cron.reconcile_vercel_links),
    _internal("system", "cron.repair_jobs", "GET", "/api/cron/repair-jobs", cron.repair_jobs),
    _internal("system", "cron.sandbox_reaper", "GET", "/api/cron/sandbox-reaper", cron.sandbox_reaper),
    _internal("system", "cron.sync_models", "GET", "/api/cron/sync-models", model_sync.sync_models),
    _internal("system", "cron.zombie_row_reaper", "GET", "/api/cron/zombie-row-reaper", cron.zombie_row_reaper),
)

MEMORY_ROUTES: tuple[RouteSpec, ...] = (
    _internal("memory", "conversations.get", "GET", "/api/conversations", conversations.list_or_read),
    _internal("memory", "conversations.put", "PUT", "/api/conversations", conversations.save),
    _internal("memory", "conversations.delete", "DELETE", "/api/conversations", conversations.delete),
    _internal("memory", "memories.get", "GET", "/api/memories", memory.read),
    _internal("memory", "memories.create", "POST", "/api/memories", memory.create),
    _internal("memory", "memories.edit", "PATCH", "/api/memories", memory.edit),
    _internal("memory", "memories.delete", "DELETE", "/api/memories", memory.forget),
    _internal("memory", "memories.actions", "POST", "/api/memories/actions", memory.act),
)

ACCOUNT_ROUTES: tuple[RouteSpec, ...] = (
    _internal("accounts", "billing.get", "GET", "/api/billing", billing.summary),
    _internal("accounts", "invites.lookup", "GET", "/api/invites/{token}", invite_accept.lookup_invite),
    _internal("accounts", "invites.accept", "POST", "/api/invites/{token}", invite_accept.accept_invite),
    _internal("accounts", "memberships.list", "GET", "/api/memberships", teams.list_memberships),
    _internal("accounts", "profile.vercel_billing", "PATCH", "/api/profile/vercel-billing",
              vercel_billing.set_default_project),
    _internal("accounts", "stripe.checkout", "POST", "/api/stripe/checkout", stripe_sessions.checkout),
    _internal("accounts", "stripe.portal", "POST", "/api/stripe/portal", stripe_sessions.portal),
    _internal("accounts", "teams.create", "POST", "/api/teams", teams.create_team),
    _internal("accounts", "teams.slug_check", "GET", "/api/teams/slug-check", teams.check_slug),
    _internal("accounts", "team_audit_events.list", "GET", "/api/teams/{teamId}/audit-events",
              team_audit_events.list_audit_events),
    _internal("accounts", "team_icon.upload", "POST", "/api/teams/{teamId}/icon", team_icon.upload_icon),
    _internal("accounts", "team_icon.remove", "DELETE", "/api/teams/{teamId}/icon", team_icon.remove_icon),
    _internal("accounts", "team_installations.list", "GET", "/api/teams/{teamId}/installations",
              team_installations.list_team_installations),
    _internal("accounts", "team_installations.attach", "POST", "/api/teams/{teamId}/installations",
              team_installations.attach_installation),
    _internal("accounts", "team_installations.detach", "DELETE", "/api/teams/{teamId}/installations/{installationId}",
              team_installations.detach_installation),
    _internal("accounts", "team_invites.create", "POST", "/api/teams/{teamId}/invites", team_invites.create_invite),
    _internal("accounts", "team_invites.bulk", "POST", "/api/teams/{teamId}/invites/bulk", team_invites.bulk_invite),
    _internal("accounts", "team_invites.resend", "POST", "/api/teams/{teamId}/invites/{inviteId}",
              team_invites.resend_invite),
    _internal("accounts", "team_invites.revoke", "DELETE", "/api/teams/{teamId}/invites/{inviteId}",
              team_invites.revoke_invite),
    _internal("accounts", "team_keys.list", "GET", "/api/teams/{teamId}/keys", team_keys.list_team_keys),
    _internal("accounts", "team_keys.put", "PUT", "/api/teams/{teamId}/keys", team_keys.put_team_key),
    _internal("accounts", "team_keys.delete", "DELETE", "/api/teams/{teamId}/keys", team_keys.delete_team_key),
    _internal("accounts", "team_members.list", "GET", "/api/teams/{teamId}/members", team_members.list_members),
    _internal("accounts", "team_members.change_role", "PATCH", "/api/teams/{teamId}/members/{memberUserId}",
              team_members.change_member_role),
    _internal("accounts", "team_members.remove", "DELETE", "/api/teams/{teamId}/members/{memberUserId}",
              team_members.remove_member),
    _internal("accounts", "team_models.get", "GET", "/api/teams/{teamId}/models", team_models.get_team_models),
    _internal("accounts", "team_models.patch", "PATCH", "/api/teams/{teamId}/models", team_models.patch_team_models),
    _internal("accounts", "team_ownership.transfer", "POST", "/api/teams/{teamId}/ownership",
              team_members.transfer_ownership),
    RouteSpec("accounts", "unsubscribe.page", "GET", "/api/unsubscribe", unsubscribe.confirm_page, "public"),
    RouteSpec("accounts", "unsubscribe.one_click", "POST", "/api/unsubscribe", unsubscribe.one_click, "public"),
    _internal("accounts", "vercel.targets.get", "GET", "/api/vercel/targets", vercel_targets.targets),
    _internal("accounts", "vercel.targets.create", "POST", "/api/vercel/targets", vercel_targets.targets),
)

INTEGRATION_ROUTES: tuple[RouteSpec, ...] = (
    _internal("integrations", "slack.callback", "GET", "/api/integrations/slack/callback", slack_oauth.callback),
    _internal("integrations", "slack.install", "GET", "/api/integrations/slack/install", slack_oauth.install),
    _internal("integrations", "slack.installations.list", "GET", "/api/integrations/slack/installations",
              slack_installations.list_installations),
    _internal("integrations", "slack.installations.patch", "PATCH", "/api/integrations/slack/installations/{teamId}",
              slack_installations.patch_installation),
    _internal("integrations", "slack.installations.delete", "DELETE", "/api/integrations/slack/installations/{teamId}",
              slack_installations.delete_installation),
    _internal("integrations", "slack.channels", "GET", "/api/integrations/slack/installations/{teamId}/channels",
              slack_installations.list_channels),
    _internal("integrations", "slack.links.list", "GET", "/api/integrations/slack/installations/{teamId}/links",
              slack_links.list_links),
    _internal("integrations", "slack.links.create", "POST", "/api/integrations/slack/installations/{teamId}/links",
              slack_links.create_link),
    _internal("integrations", "slack.links.delete", "DELETE",
              "/api/integrations/slack/installations/{teamId}/links/{linkId}", slack_links.delete_link),
    _internal("integrations", "oauth.decision", "POST", "/api/oauth/decision", oauth_decision.decide),
)

CLI_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("cli", "cli.inference.chat_completions", "POST", "/api/cli/inference/chat/completions",
              cli_completions.chat_completions, "internal", streaming=True),
    RouteSpec("cli", "cli.latest", "GET", "/api/cli/latest", cli_latest.latest, "public"),
    RouteSpec("cli", "cli.openai.chat_completions", "POST", "/api/cli/openai/chat/completions",
              cli_completions.chat_completions, "internal", streaming=True),
)

INTERNAL_ROUTES = (IDENTITY_ROUTES + PROJECT_ROUTES + REUSABLE_ROUTES + ROUTING_ROUTES + RUNTIME_ROUTES
                   + MEMORY_ROUTES + SYSTEM_ROUTES + ACCOUNT_ROUTES + INTEGRATION_ROUTES + CLI_ROUTES)
