"""The v1 REST routes (/api/v1/mogplex/...), each defined once: where it lives and how it is
guarded, its published contract (what `mockplex openapi`, lint and the contract tests
read: summary, success status and `data`, documented errors, body, query) and, when it
has one, the MCP tool that calls it (v1 spec §3–§8, §10.4, §11)."""

from __future__ import annotations

from typing import Any

from mockplex.contract import payloads as p
from mockplex.contract.operations import Query, holding, limit, listing
from mockplex.handlers import automations, catalog, env_vars, runs, sandboxes
from mockplex.mcp import params as arg
from mockplex.mcp.tool import Tool
from mockplex.names import READ, V1_PREFIX, WRITE
from mockplex.routes.table import RouteSpec
from mockplex.rules.auth import MAX_IDEMPOTENCY_KEY
from mockplex.rules.steps import run_start_budget
from mockplex.schema import optional, strict_object
from mockplex.validation import ANY_ENV_KEY, ENV_KEY, ENV_STORAGE, ENV_TARGET_LIST, ENV_VALUE, Page


def _v1(name: str, method: str, path: str, handler, scope: str | None, idempotency: bool = False,
        tool: Tool | None = None, **contract: Any) -> RouteSpec:
    template = V1_PREFIX + path
    called = tool.calling(method, template, idempotency) if tool else None
    return RouteSpec("v1", name, method, template, handler, "bearer", scope, idempotency, tool=called, **contract)


def _entries(count: int) -> str:
    return "entry" if count == 1 else "entries"


def _latest(events: list[dict[str, Any]]) -> str:
    if not events:
        return "none"
    last = events[-1]
    return last["message"] if last["message"] is not None else last["type"] or "none"


REPO_ID = arg.ident("A Mogplex repo id from mogplex_list_repos.")
RUN_ID = arg.ident("The runId returned when the run was started.")
AUTOMATION_ID = arg.ident("An automation id from mogplex_list_automations.")
ROOT_DIRECTORY = optional(arg.nullable_ident("Repo-relative app directory; null for the repo root."))
_ENV_ERRORS = (400, 404, 409, 500, 501, 502)
_AUTOMATION = holding("automation", p.ref("Automation"))
_RUN = holding("run", p.ref("RunDetail"))


def _page_size(page: Page):
    return arg.integer("Maximum number of items to return.", 1, page.maximum)


def _idempotency_key(description: str):
    return optional(arg.ident(description, max_length=MAX_IDEMPOTENCY_KEY))


REPO_ROUTES: tuple[RouteSpec, ...] = (
    _v1("repos.list", "GET", "/repos", catalog.list_repos, None, summary="List the caller's repos",
        data=listing("repos", p.ref("Repo")),
        query=(Query("q", p.STRING, "Case-insensitive substring of full_name."),
               Query("id", p.STRING, "One repo id; q is ignored when set."), limit(catalog.REPOS_PAGE)),
        tool=Tool("mogplex_list_repos", "List Mogplex Repos",
                  "List the GitHub repositories imported into Mogplex, optionally filtered by name.",
                  strict_object(query=optional(arg.ident("Case-insensitive substring of owner/repo.")),
                                limit=optional(_page_size(catalog.REPOS_PAGE))),
                  lambda d, a: f"Found {len(d['repos'])} Mogplex repos.",
                  query=("query", "limit"), renamed={"query": "q"})),
    _v1("env_vars.list", "GET", "/repos/{repoId}/env-vars", env_vars.list_env_vars, READ,
        summary="List a repo's env vars (answers 501 while the integration is off)", data=p.ENV_VAR_LIST,
        errors=_ENV_ERRORS,
        tool=Tool("mogplex_list_env_vars", "List Mogplex Env Vars",
                  "List the environment variable names on a repo's linked Vercel project (values are never "
                  "returned).", strict_object(repoId=REPO_ID),
                  lambda d, a: f"Found {len(d['envVars'])} env vars on the linked Vercel project. "
                               "Values are not returned.")),
    _v1("env_vars.set", "POST", "/repos/{repoId}/env-vars", env_vars.set_env_var, WRITE,
        summary="Create or update an env var (answers 501 while the integration is off)", data=p.ENV_VAR_SET,
        errors=_ENV_ERRORS, body=env_vars.SET_BODY.json_schema(),
        tool=Tool("mogplex_set_env_var", "Set Mogplex Env Var",
                  "Create or update an environment variable on a repo's linked Vercel project.",
                  strict_object(repoId=REPO_ID, key=ENV_KEY.describe("Variable name: letters, digits and underscores."),
                                value=ENV_VALUE.describe("Variable value."),
                                target=optional(ENV_TARGET_LIST.describe("Deployment targets to set it for.")),
                                type=optional(ENV_STORAGE.describe("How Vercel stores the value."))),
                  lambda d, a: (f"Created env var {d['key']} on the linked Vercel project." if d["action"] == "created"
                                else f"Updated {d['updatedCount']} {d['key']} env var "
                                     f"{_entries(d['updatedCount'])} on the linked Vercel project."),
                  body=("key", "value", "target", "type"), write=(True, True))),
    _v1("env_vars.delete", "DELETE", "/repos/{repoId}/env-vars", env_vars.delete_env_var, WRITE,
        summary="Delete an env var (answers 501 while the integration is off)", data=p.ENV_VAR_DELETE,
        errors=_ENV_ERRORS, body=env_vars.DELETE_BODY.json_schema(),
        tool=Tool("mogplex_delete_env_var", "Delete Mogplex Env Var",
                  "Delete every entry of an environment variable from a repo's linked Vercel project.",
                  strict_object(repoId=REPO_ID, key=ANY_ENV_KEY.describe("Variable name to delete.")),
                  lambda d, a: f"Deleted {d['deletedCount']} {d['key']} env var {_entries(d['deletedCount'])} "
                               "from the linked Vercel project.",
                  body=("key",), write=(True, True))),
)

CATALOG_ROUTES: tuple[RouteSpec, ...] = (
    _v1("agents.list", "GET", "/agents", catalog.list_agents, READ, summary="List preset and own agents",
        data=listing("agents", p.ref("Agent")),
        tool=Tool("mogplex_list_agents", "List Mogplex Agents",
                  "List the preset agents and the caller's own agents that automations can use.", strict_object(),
                  lambda d, a: f"Found {len(d['agents'])} Mogplex agents.")),
    _v1("models.list", "GET", "/models", catalog.list_models, READ, summary="List the models available to the caller",
        data=listing("models", p.ref("Model")),
        tool=Tool("mogplex_list_models", "List Mogplex Models",
                  "List the models that are enabled and reachable for the caller.", strict_object(),
                  lambda d, a: f"Found {len(d['models'])} enabled Mogplex models.")),
)

SANDBOX_ROUTES: tuple[RouteSpec, ...] = (
    _v1("sandboxes.list", "GET", "/sandboxes", sandboxes.list_sandboxes, None,
        summary="List sandboxes, most recently active first", data=listing("sandboxes", p.ref("Sandbox")),
        query=(Query("repo_id", p.UUID, "Only this repo's sandboxes."),
               Query("status", p.STRING, "Only sandboxes in this status."), limit(sandboxes.SANDBOXES_PAGE)),
        tool=Tool("mogplex_list_sandboxes", "List Mogplex Sandboxes",
                  "List the caller's sandboxes, most recently active first.",
                  strict_object(repoId=optional(arg.ident("Only sandboxes of this repo.")),
                                status=optional(arg.ident("Only sandboxes in this status.")),
                                limit=optional(_page_size(sandboxes.SANDBOXES_PAGE))),
                  lambda d, a: f"Found {len(d['sandboxes'])} Mogplex sandboxes.",
                  query=("repoId", "status", "limit"), renamed={"repoId": "repo_id"})),
    _v1("sandboxes.create", "POST", "/sandboxes", sandboxes.create_sandbox, WRITE,
        summary="Reuse an active sandbox or boot a new one", data=holding("sandbox", p.ref("Sandbox")), status=202,
        errors=(400, 404, 409, 429, 500, 502, 503), body=p.SANDBOX_CREATE_BODY,
        tool=Tool("mogplex_create_sandbox", "Create Mogplex Sandbox",
                  "Create a sandbox for a repo branch, or reuse the active one that already matches.",
                  strict_object(repoId=REPO_ID, baseBranch=optional(arg.ident("Branch to start from.")),
                                workingBranch=optional(arg.ident("Branch the sandbox works on.")),
                                createBranch=optional(arg.flag("Create workingBranch from baseBranch.")),
                                rootDirectory=ROOT_DIRECTORY),
                  lambda d, a: f"Mogplex sandbox {d['sandbox']['id']} is {d['sandbox']['status']} on branch "
                               f"{d['sandbox']['working_branch']}.",
                  body=("repoId", "baseBranch", "workingBranch", "createBranch", "rootDirectory"),
                  write=(False, True))),
    _v1("sandboxes.logs", "GET", "/sandboxes/{sandboxId}/logs", sandboxes.sandbox_logs, READ,
        summary="A sandbox with its logs and lifecycle events",
        data=p.closed({"sandbox": p.ref("SandboxWithLogs"), "lifecycle_events": p.array(p.ref("LifecycleEvent"))}),
        errors=(404, 500),
        tool=Tool("mogplex_get_sandbox_logs", "Get Mogplex Sandbox Logs",
                  "Read a sandbox's install and dev-server logs and its lifecycle events.",
                  strict_object(sandboxId=arg.ident("The Mogplex sandbox record id (not the provider id).")),
                  lambda d, a: f"Loaded sandbox logs and {len(d['lifecycle_events'])} lifecycle events for "
                               f"{d['sandbox']['id']}.")),
)

AUTOMATION_ROUTES: tuple[RouteSpec, ...] = (
    _v1("automations.list", "GET", "/automations", automations.list_automations, READ,
        summary="List automations, newest first",
        data=p.closed({"automations": p.array(p.ref("AutomationSummary")), "nextCursor": p.nullable(p.STRING)}),
        errors=(400, 500), query=(Query("cursor", p.STRING, "The nextCursor of the previous page."),
               limit(automations.AUTOMATIONS_PAGE)),
        tool=Tool("mogplex_list_automations", "List Mogplex Automations",
                  "List automation summaries, newest first, one page at a time.",
                  strict_object(limit=optional(_page_size(automations.AUTOMATIONS_PAGE)),
                                cursor=optional(arg.ident("nextCursor from the previous page."))),
                  lambda d, a: f"Found {len(d['automations'])} Mogplex automation summaries."
                               + (" More are available with nextCursor." if d["nextCursor"] else ""),
                  query=("limit", "cursor"))),
    _v1("automations.get", "GET", "/automations/{automationId}", automations.get_automation, READ,
        summary="One automation", data=_AUTOMATION, errors=(404, 500),
        tool=Tool("mogplex_get_automation", "Get Mogplex Automation",
                  "Read one automation with its complete draft and published graphs.",
                  strict_object(automationId=AUTOMATION_ID),
                  lambda d, a: f"Mogplex automation {d['automation']['name']} is {d['automation']['status']}.")),
    _v1("automations.create", "POST", "/automations", automations.create_automation, WRITE,
        summary="Create an automation", data=_AUTOMATION, status=201, errors=(400, 404, 500),
        body=p.AUTOMATION_CREATE_BODY,
        tool=Tool("mogplex_create_automation", "Create Mogplex Automation",
                  "Create an automation draft on a GitHub installation, optionally publishing it.",
                  strict_object(installationId=arg.integer("GitHub installation id from mogplex_list_repos.", 1),
                                name=optional(arg.ident("Display name.")),
                                description=optional(arg.nullable_text("Short description.")),
                                notes=optional(arg.nullable_text("Free-form notes.")),
                                graph=optional(arg.graph("Complete flow graph for the draft.")),
                                publish=optional(arg.flag("Publish right after creating."))),
                  lambda d, a: f"Created Mogplex automation {d['automation']['id']} ({d['automation']['name']}). "
                               f"Status: {d['automation']['status']}.",
                  body=("installationId", "name", "description", "notes", "graph", "publish"),
                  write=(False, False))),
    _v1("automations.update", "PUT", "/automations/{automationId}", automations.update_automation, WRITE,
        summary="Update an automation's draft and details", data=_AUTOMATION, errors=(400, 404, 500),
        body=p.AUTOMATION_UPDATE_BODY,
        tool=Tool("mogplex_update_automation", "Update Mogplex Automation",
                  "Update an automation's metadata or replace its whole draft graph.",
                  strict_object(automationId=AUTOMATION_ID, name=optional(arg.ident("Display name.")),
                                description=optional(arg.nullable_text("Short description.")),
                                notes=optional(arg.nullable_text("Free-form notes.")),
                                installationId=optional(arg.integer("Move the automation to this GitHub "
                                                                   "installation.", 1)),
                                graph=optional(arg.graph("Complete replacement for the draft graph."))),
                  lambda d, a: f"Updated draft for Mogplex automation {d['automation']['id']}.",
                  body=("name", "description", "notes", "installationId", "graph"), write=(False, True))),
    _v1("automations.publish", "POST", "/automations/{automationId}/publish", automations.publish_automation, WRITE,
        summary="Publish the draft as a new version", data=_AUTOMATION, errors=(400, 404, 500),
        tool=Tool("mogplex_publish_automation", "Publish Mogplex Automation",
                  "Validate the draft, publish it as a new version and activate the automation.",
                  strict_object(automationId=AUTOMATION_ID),
                  lambda d, a: f"Published and activated Mogplex automation {d['automation']['id']}.",
                  write=(False, False))),
    _v1("automations.model", "PUT", "/automations/{automationId}/model", automations.set_automation_model, WRITE,
        summary="Set an agent node's model override", data=_AUTOMATION, errors=(400, 404, 500),
        body=p.AUTOMATION_MODEL_BODY,
        tool=Tool("mogplex_set_automation_model", "Set Automation Model",
                  "Set or clear the model override of one agent node in an automation's draft.",
                  strict_object(automationId=AUTOMATION_ID, nodeId=arg.ident("The agent node's id in the draft graph."),
                                modelId=arg.nullable_ident("A model id from mogplex_list_models, or null to clear."),
                                publish=optional(arg.flag("Publish the draft afterwards."))),
                  lambda d, a: f"Updated model for node {a['nodeId']} in automation {d['automation']['id']}"
                               + (" and published it" if a.get("publish") else "") + ".",
                  body=("nodeId", "modelId", "publish"), write=(False, True))),
    _v1("automations.trigger", "POST", "/automations/{automationId}/trigger", automations.trigger_automation, WRITE,
        idempotency=True, summary="Queue a run of a published automation",
        data=holding("run", p.ref("TriggerResult")), status=202, errors=(400, 404, 409, 500),
        body=p.AUTOMATION_TRIGGER_BODY,
        tool=Tool("mogplex_trigger_automation", "Trigger Mogplex Automation",
                  "Trigger a published, active automation on one of its installation's repos.",
                  strict_object(automationId=AUTOMATION_ID, repoId=REPO_ID,
                                input=optional(arg.any_object("Extra values passed to the run.")),
                                idempotencyKey=_idempotency_key("Reuse to avoid duplicate runs; generated when "
                                                                "omitted.")),
                  lambda d, a: f"Automation {d['run']['automationId']} trigger outcome: {d['run']['outcome']}. "
                               f"Job run: {d['run']['jobRunId'] or 'none'}.",
                  body=("repoId", "input"), write=(False, True))),
    _v1("automations.runs", "GET", "/automations/{automationId}/runs", automations.list_automation_runs, READ,
        summary="An automation's job runs, newest first", data=listing("runs", p.ref("JobRun")), errors=(404, 500),
        query=(limit(automations.AUTOMATION_RUNS_PAGE),),
        tool=Tool("mogplex_list_automation_runs", "List Automation Runs",
                  "List an automation's recent runs, newest first.",
                  strict_object(automationId=AUTOMATION_ID,
                                limit=optional(_page_size(automations.AUTOMATION_RUNS_PAGE))),
                  lambda d, a: f"Found {len(d['runs'])} runs for automation {a['automationId']}.",
                  query=("limit",))),
    _v1("automations.run", "GET", "/automations/{automationId}/runs/{runId}", automations.automation_run_logs, READ,
        summary="One job run with its logs", data=holding("run", p.ref("JobRunDetail")), errors=(404, 500),
        tool=Tool("mogplex_get_automation_run_logs", "Get Automation Run Logs",
                  "Read one automation run with its dispatch events, AI calls and node runs.",
                  strict_object(automationId=AUTOMATION_ID,
                                runId=arg.ident("A run id from mogplex_list_automation_runs.")),
                  lambda d, a: f"Loaded logs for automation run {d['run']['id']}. Status: {d['run']['status']}.")),
)

RUN_ROUTES: tuple[RouteSpec, ...] = (
    _v1("runs.start", "POST", "/runs", runs.start_run, WRITE, idempotency=True, summary="Start an agent run",
        steps=(run_start_budget,),
        data=p.with_fields(p.RUN_DETAIL, replayed=p.BOOLEAN), status=202, errors=(400, 404, 409, 429, 500, 503),
        body=p.RUN_START_BODY,
        tool=Tool("mogplex_start_agent_run", "Start Mogplex Agent Run",
                  "Start a one-off Codex or Claude Code run against a repo branch.",
                  strict_object(repoId=REPO_ID,
                                prompt=arg.ident("What the agent should do.", max_length=runs.MAX_PROMPT),
                                harness=optional(arg.choice("Agent harness to run.", *runs.HARNESSES)),
                                baseBranch=optional(arg.ident("Branch to start from.")),
                                workingBranch=optional(arg.ident("Branch to work on.")),
                                createBranch=optional(arg.flag("Create a new working branch.")),
                                rootDirectory=ROOT_DIRECTORY,
                                idempotencyKey=_idempotency_key("Reuse to retry safely; generated when omitted.")),
                  lambda d, a: f"Started Mogplex run {d['runId']} on branch {d['branch']['working']}. "
                               f"Status: {d['status']}.",
                  body=("repoId", "prompt", "harness", "baseBranch", "workingBranch", "createBranch", "rootDirectory"),
                  write=(False, True), wraps_run=True)),
    _v1("runs.get", "GET", "/runs/{runId}", runs.get_run, None, summary="One run", data=_RUN, errors=(404, 500),
        tool=Tool("mogplex_get_run", "Get Mogplex Run", "Read the current state of an agent run.",
                  strict_object(runId=RUN_ID),
                  lambda d, a: f"Mogplex run {d['run']['runId']} is {d['run']['status']} on branch "
                               f"{d['run']['branch']['working']}.")),
    _v1("runs.events", "GET", "/runs/{runId}/events", runs.run_events, None, summary="A run with its oldest events",
        data=p.closed({"run": p.ref("RunDetail"), "events": p.array(p.ref("RunEvent"))}), errors=(404, 500),
        query=(limit(runs.EVENTS_PAGE),),
        tool=Tool("mogplex_get_run_events", "Get Mogplex Run Events",
                  "Read an agent run's structured events, oldest first.",
                  strict_object(runId=RUN_ID, limit=optional(_page_size(runs.EVENTS_PAGE))),
                  lambda d, a: f"Found {len(d['events'])} events for Mogplex run {d['run']['runId']}. Latest: "
                               f"{_latest(d['events'])}.",
                  query=("limit",))),
    _v1("runs.cancel", "POST", "/runs/{runId}/cancel", runs.cancel_run, WRITE, summary="Cancel a run",
        data=p.closed({"run": p.ref("RunDetail"), "status": p.one_of(*p.RUN_STATUSES),
                       "alreadyTerminal": p.BOOLEAN}),
        errors=(400, 404, 409, 500),
        tool=Tool("mogplex_cancel_run", "Cancel Mogplex Run", "Cancel an agent run that is still active.",
                  strict_object(runId=RUN_ID),
                  lambda d, a: f"Cancellation requested for Mogplex run {d['run']['runId']}. Status: {d['status']}.",
                  write=(True, True))),
    _v1("mcp.servers", "GET", "/mcp/servers", catalog.list_mcp_servers, READ,
        summary="The caller's external MCP servers", data=listing("servers", p.ref("McpServer"))),
)

V1_ROUTES = REPO_ROUTES + CATALOG_ROUTES + SANDBOX_ROUTES + AUTOMATION_ROUTES + RUN_ROUTES
