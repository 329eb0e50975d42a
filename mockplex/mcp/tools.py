"""The 22 MCP tools in tools/list order: what each accepts, the REST call it makes,
and the sentence it answers with (v1 spec §10.4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

from mockplex.mcp import params as p

PREFIX = "/api/v1/mogplex"


@dataclass(frozen=True)
class RestRequest:
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    params: tuple[p.Param, ...]
    request: Callable[[dict[str, Any], Callable[[], str]], RestRequest]
    summary: Callable[[dict[str, Any], dict[str, Any]], str]
    write: tuple[bool, bool] | None = None  # (destructiveHint, idempotentHint); None = read-only
    wraps_run: bool = False

    @property
    def annotations(self) -> dict[str, Any]:
        if self.write is None:
            return {"readOnlyHint": True, "openWorldHint": False}
        destructive, idempotent = self.write
        return {"readOnlyHint": False, "destructiveHint": destructive, "idempotentHint": idempotent,
                "openWorldHint": False}

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description,
                "inputSchema": p.input_schema(self.params), "annotations": self.annotations}


def _seg(value: str) -> str:
    return quote(value, safe="-_.!~*'()")


def _pick(args: dict[str, Any], *names: str, rename: dict[str, str] | None = None) -> dict[str, Any]:
    rename = rename or {}
    return {rename.get(name, name): args[name] for name in names if name in args}


def _entries(count: int) -> str:
    return "entry" if count == 1 else "entries"


def _key(args: dict[str, Any], mint: Callable[[], str]) -> str:
    return args.get("idempotencyKey") or f"mcp:{mint()}"


REPO_ID = "A Mogplex repo id from mogplex_list_repos."
RUN_ID = "The runId returned when the run was started."
AUTOMATION_ID = "An automation id from mogplex_list_automations."
LIMIT = "Maximum number of items to return."

TOOLS: tuple[Tool, ...] = (
    Tool("mogplex_list_repos", "List Mogplex Repos",
         "List the GitHub repositories imported into Mogplex, optionally filtered by name.",
         (p.ident("query", "Case-insensitive substring of owner/repo.", required=False),
          p.integer("limit", LIMIT, 1, 200)),
         lambda a, _: RestRequest("GET", "/repos", _pick(a, "query", "limit", rename={"query": "q"})),
         lambda d, a: f"Found {len(d['repos'])} Mogplex repos."),
    Tool("mogplex_list_env_vars", "List Mogplex Env Vars",
         "List the environment variable names on a repo's linked Vercel project (values are never returned).",
         (p.ident("repoId", REPO_ID),),
         lambda a, _: RestRequest("GET", f"/repos/{_seg(a['repoId'])}/env-vars"),
         lambda d, a: f"Found {len(d['envVars'])} env vars on the linked Vercel project. Values are not returned."),
    Tool("mogplex_set_env_var", "Set Mogplex Env Var",
         "Create or update an environment variable on a repo's linked Vercel project.",
         (p.ident("repoId", REPO_ID), p.env_key("Variable name: letters, digits and underscores.", True),
          p.env_value("Variable value."), p.env_targets("Deployment targets to set it for."),
          p.choice("type", "How Vercel stores the value.", "encrypted", "plain", "sensitive")),
         lambda a, _: RestRequest("POST", f"/repos/{_seg(a['repoId'])}/env-vars",
                                  body=_pick(a, "key", "value", "target", "type")),
         lambda d, a: (f"Created env var {d['key']} on the linked Vercel project." if d["action"] == "created"
                       else f"Updated {d['updatedCount']} {d['key']} env var {_entries(d['updatedCount'])} "
                            "on the linked Vercel project."),
         write=(True, True)),
    Tool("mogplex_delete_env_var", "Delete Mogplex Env Var",
         "Delete every entry of an environment variable from a repo's linked Vercel project.",
         (p.ident("repoId", REPO_ID), p.env_key("Variable name to delete.", False)),
         lambda a, _: RestRequest("DELETE", f"/repos/{_seg(a['repoId'])}/env-vars", body=_pick(a, "key")),
         lambda d, a: f"Deleted {d['deletedCount']} {d['key']} env var {_entries(d['deletedCount'])} "
                      "from the linked Vercel project.",
         write=(True, True)),
    Tool("mogplex_list_agents", "List Mogplex Agents",
         "List the preset agents and the caller's own agents that automations can use.", (),
         lambda a, _: RestRequest("GET", "/agents"), lambda d, a: f"Found {len(d['agents'])} Mogplex agents."),
    Tool("mogplex_list_models", "List Mogplex Models",
         "List the models that are enabled and reachable for the caller.", (),
         lambda a, _: RestRequest("GET", "/models"), lambda d, a: f"Found {len(d['models'])} enabled Mogplex models."),
    Tool("mogplex_list_sandboxes", "List Mogplex Sandboxes",
         "List the caller's sandboxes, most recently active first.",
         (p.ident("repoId", "Only sandboxes of this repo.", required=False),
          p.ident("status", "Only sandboxes in this status.", required=False), p.integer("limit", LIMIT, 1, 200)),
         lambda a, _: RestRequest("GET", "/sandboxes", _pick(a, "repoId", "status", "limit",
                                                             rename={"repoId": "repo_id"})),
         lambda d, a: f"Found {len(d['sandboxes'])} Mogplex sandboxes."),
    Tool("mogplex_create_sandbox", "Create Mogplex Sandbox",
         "Create a sandbox for a repo branch, or reuse the active one that already matches.",
         (p.ident("repoId", REPO_ID), p.ident("baseBranch", "Branch to start from.", required=False),
          p.ident("workingBranch", "Branch the sandbox works on.", required=False),
          p.flag("createBranch", "Create workingBranch from baseBranch."),
          p.nullable_ident("rootDirectory", "Repo-relative app directory; null for the repo root.")),
         lambda a, _: RestRequest("POST", "/sandboxes", body=_pick(
             a, "repoId", "baseBranch", "workingBranch", "createBranch", "rootDirectory")),
         lambda d, a: f"Mogplex sandbox {d['sandbox']['id']} is {d['sandbox']['status']} on branch "
                      f"{d['sandbox']['working_branch']}.",
         write=(False, True)),
    Tool("mogplex_get_sandbox_logs", "Get Mogplex Sandbox Logs",
         "Read a sandbox's install and dev-server logs and its lifecycle events.",
         (p.ident("sandboxId", "The Mogplex sandbox record id (not the provider id)."),),
         lambda a, _: RestRequest("GET", f"/sandboxes/{_seg(a['sandboxId'])}/logs"),
         lambda d, a: f"Loaded sandbox logs and {len(d['lifecycle_events'])} lifecycle events for "
                      f"{d['sandbox']['id']}."),
    Tool("mogplex_list_automations", "List Mogplex Automations",
         "List automation summaries, newest first, one page at a time.",
         (p.integer("limit", LIMIT, 1, 100), p.ident("cursor", "nextCursor from the previous page.", required=False)),
         lambda a, _: RestRequest("GET", "/automations", _pick(a, "limit", "cursor")),
         lambda d, a: f"Found {len(d['automations'])} Mogplex automation summaries."
                      + (" More are available with nextCursor." if d["nextCursor"] else "")),
    Tool("mogplex_get_automation", "Get Mogplex Automation",
         "Read one automation with its complete draft and published graphs.",
         (p.ident("automationId", AUTOMATION_ID),),
         lambda a, _: RestRequest("GET", f"/automations/{_seg(a['automationId'])}"),
         lambda d, a: f"Mogplex automation {d['automation']['name']} is {d['automation']['status']}."),
    Tool("mogplex_create_automation", "Create Mogplex Automation",
         "Create an automation draft on a GitHub installation, optionally publishing it.",
         (p.integer("installationId", "GitHub installation id from mogplex_list_repos.", 1, required=True),
          p.ident("name", "Display name.", required=False), p.nullable_text("description", "Short description."),
          p.nullable_text("notes", "Free-form notes."), p.graph("Complete flow graph for the draft."),
          p.flag("publish", "Publish right after creating.")),
         lambda a, _: RestRequest("POST", "/automations", body=_pick(
             a, "installationId", "name", "description", "notes", "graph", "publish")),
         lambda d, a: f"Created Mogplex automation {d['automation']['id']} ({d['automation']['name']}). "
                      f"Status: {d['automation']['status']}.",
         write=(False, False)),
    Tool("mogplex_update_automation", "Update Mogplex Automation",
         "Update an automation's metadata or replace its whole draft graph.",
         (p.ident("automationId", AUTOMATION_ID), p.ident("name", "Display name.", required=False),
          p.nullable_text("description", "Short description."), p.nullable_text("notes", "Free-form notes."),
          p.integer("installationId", "Move the automation to this GitHub installation.", 1),
          p.graph("Complete replacement for the draft graph.")),
         lambda a, _: RestRequest("PUT", f"/automations/{_seg(a['automationId'])}", body=_pick(
             a, "name", "description", "notes", "installationId", "graph")),
         lambda d, a: f"Updated draft for Mogplex automation {d['automation']['id']}.",
         write=(False, True)),
    Tool("mogplex_publish_automation", "Publish Mogplex Automation",
         "Validate the draft, publish it as a new version and activate the automation.",
         (p.ident("automationId", AUTOMATION_ID),),
         lambda a, _: RestRequest("POST", f"/automations/{_seg(a['automationId'])}/publish"),
         lambda d, a: f"Published and activated Mogplex automation {d['automation']['id']}.",
         write=(False, False)),
    Tool("mogplex_set_automation_model", "Set Automation Model",
         "Set or clear the model override of one agent node in an automation's draft.",
         (p.ident("automationId", AUTOMATION_ID), p.ident("nodeId", "The agent node's id in the draft graph."),
          p.nullable_ident("modelId", "A model id from mogplex_list_models, or null to clear.", required=True),
          p.flag("publish", "Publish the draft afterwards.")),
         lambda a, _: RestRequest("PUT", f"/automations/{_seg(a['automationId'])}/model",
                                  body=_pick(a, "nodeId", "modelId", "publish")),
         lambda d, a: f"Updated model for node {a['nodeId']} in automation {d['automation']['id']}"
                      + (" and published it" if a.get("publish") else "") + ".",
         write=(False, True)),
    Tool("mogplex_trigger_automation", "Trigger Mogplex Automation",
         "Trigger a published, active automation on one of its installation's repos.",
         (p.ident("automationId", AUTOMATION_ID), p.ident("repoId", REPO_ID),
          p.any_object("input", "Extra values passed to the run."),
          p.ident("idempotencyKey", "Reuse to avoid duplicate runs; generated when omitted.", required=False,
                  max_length=200)),
         lambda a, mint: RestRequest("POST", f"/automations/{_seg(a['automationId'])}/trigger",
                                     body=_pick(a, "repoId", "input"), idempotency_key=_key(a, mint)),
         lambda d, a: f"Automation {d['run']['automationId']} trigger outcome: {d['run']['outcome']}. "
                      f"Job run: {d['run']['jobRunId'] or 'none'}.",
         write=(False, True)),
    Tool("mogplex_list_automation_runs", "List Automation Runs",
         "List an automation's recent runs, newest first.",
         (p.ident("automationId", AUTOMATION_ID), p.integer("limit", LIMIT, 1, 50)),
         lambda a, _: RestRequest("GET", f"/automations/{_seg(a['automationId'])}/runs", _pick(a, "limit")),
         lambda d, a: f"Found {len(d['runs'])} runs for automation {a['automationId']}."),
    Tool("mogplex_get_automation_run_logs", "Get Automation Run Logs",
         "Read one automation run with its dispatch events, AI calls and node runs.",
         (p.ident("automationId", AUTOMATION_ID), p.ident("runId", "A run id from mogplex_list_automation_runs.")),
         lambda a, _: RestRequest("GET", f"/automations/{_seg(a['automationId'])}/runs/{_seg(a['runId'])}"),
         lambda d, a: f"Loaded logs for automation run {d['run']['id']}. Status: {d['run']['status']}."),
    Tool("mogplex_start_agent_run", "Start Mogplex Agent Run",
         "Start a one-off Codex or Claude Code run against a repo branch.",
         (p.ident("repoId", REPO_ID), p.ident("prompt", "What the agent should do.", max_length=100_000),
          p.choice("harness", "Agent harness to run.", "codex", "claude-code"),
          p.ident("baseBranch", "Branch to start from.", required=False),
          p.ident("workingBranch", "Branch to work on.", required=False),
          p.flag("createBranch", "Create a new working branch."),
          p.nullable_ident("rootDirectory", "Repo-relative app directory; null for the repo root."),
          p.ident("idempotencyKey", "Reuse to retry safely; generated when omitted.", required=False,
                  max_length=200)),
         lambda a, mint: RestRequest("POST", "/runs", body=_pick(
             a, "repoId", "prompt", "harness", "baseBranch", "workingBranch", "createBranch", "rootDirectory"),
             idempotency_key=_key(a, mint)),
         lambda d, a: f"Started Mogplex run {d['runId']} on branch {d['branch']['working']}. Status: {d['status']}.",
         write=(False, True), wraps_run=True),
    Tool("mogplex_get_run", "Get Mogplex Run", "Read the current state of an agent run.",
         (p.ident("runId", RUN_ID),),
         lambda a, _: RestRequest("GET", f"/runs/{_seg(a['runId'])}"),
         lambda d, a: f"Mogplex run {d['run']['runId']} is {d['run']['status']} on branch "
                      f"{d['run']['branch']['working']}."),
    Tool("mogplex_get_run_events", "Get Mogplex Run Events", "Read an agent run's structured events, oldest first.",
         (p.ident("runId", RUN_ID), p.integer("limit", LIMIT, 1, 200)),
         lambda a, _: RestRequest("GET", f"/runs/{_seg(a['runId'])}/events", _pick(a, "limit")),
         lambda d, a: f"Found {len(d['events'])} events for Mogplex run {d['run']['runId']}. Latest: "
                      f"{_latest(d['events'])}."),
    Tool("mogplex_cancel_run", "Cancel Mogplex Run", "Cancel an agent run that is still active.",
         (p.ident("runId", RUN_ID),),
         lambda a, _: RestRequest("POST", f"/runs/{_seg(a['runId'])}/cancel"),
         lambda d, a: f"Cancellation requested for Mogplex run {d['run']['runId']}. Status: {d['status']}.",
         write=(True, True)),
)


def _latest(events: list[dict[str, Any]]) -> str:
    if not events:
        return "none"
    last = events[-1]
    return last["message"] if last["message"] is not None else last["type"] or "none"


BY_NAME = {tool.name: tool for tool in TOOLS}
DEFINITIONS = [tool.definition() for tool in TOOLS]
VALIDATORS = {tool.name: p.validator(tool.params) for tool in TOOLS}
