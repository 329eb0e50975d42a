"""What each v1 route takes and answers, keyed by its name in the route table.

The route table says where a route lives and how it is guarded (method, path, auth, scope,
idempotency); this table adds its query parameters, body, success status and payload,
and the error statuses its handler can answer (spec §3–§8, §10, §11). The OpenAPI
export, lint and the contract tests read both; a v1 route without an entry here fails
the export.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockplex.contract import payloads as p
from mockplex.contract.payloads import Json


@dataclass(frozen=True)
class Query:
    name: str
    schema: Json
    description: str


@dataclass(frozen=True)
class Operation:
    summary: str
    data: Json | None
    status: int = 200
    errors: tuple[int, ...] = (500,)
    body: Json | None = None
    query: tuple[Query, ...] = ()


def limit(default: int, maximum: int) -> Query:
    return Query("limit", {"type": "string"},
                 f"Page size, parsed like parseInt and clamped to 1..{maximum}; default {default}. Never an error.")


def listing(key: str, item: Json) -> Json:
    return p.closed({key: p.array(item)})


def holding(key: str, item: Json) -> Json:
    return p.closed({key: item})


_ENV_ERRORS = (400, 404, 409, 500, 501, 502)
_AUTOMATION = holding("automation", p.ref("Automation"))
_RUN = holding("run", p.ref("RunDetail"))

OPERATIONS: dict[str, Operation] = {
    "repos.list": Operation(
        "List the caller's repos", listing("repos", p.ref("Repo")),
        query=(Query("q", {"type": "string"}, "Case-insensitive substring of full_name."),
               Query("id", {"type": "string"}, "One repo id; q is ignored when set."), limit(100, 200))),
    "env_vars.list": Operation("List a repo's env vars (answers 501 while the integration is off)",
                               p.ENV_VAR_LIST, errors=_ENV_ERRORS),
    "env_vars.set": Operation("Create or update an env var (answers 501 while the integration is off)",
                              p.ENV_VAR_SET, errors=_ENV_ERRORS, body=p.ENV_VAR_SET_BODY),
    "env_vars.delete": Operation("Delete an env var (answers 501 while the integration is off)",
                                 p.ENV_VAR_DELETE, errors=_ENV_ERRORS, body=p.ENV_VAR_DELETE_BODY),
    "agents.list": Operation("List preset and own agents", listing("agents", p.ref("Agent"))),
    "models.list": Operation("List the models available to the caller", listing("models", p.ref("Model"))),
    "sandboxes.list": Operation(
        "List sandboxes, most recently active first", listing("sandboxes", p.ref("Sandbox")),
        query=(Query("repo_id", p.UUID, "Only this repo's sandboxes."),
               Query("status", {"type": "string"}, "Only sandboxes in this status."), limit(100, 200))),
    "sandboxes.create": Operation(
        "Reuse an active sandbox or boot a new one", holding("sandbox", p.ref("Sandbox")), status=202,
        errors=(400, 404, 409, 429, 500, 502, 503), body=p.SANDBOX_CREATE_BODY),
    "sandboxes.logs": Operation(
        "A sandbox with its logs and lifecycle events",
        p.closed({"sandbox": p.ref("SandboxWithLogs"), "lifecycle_events": p.array(p.ref("LifecycleEvent"))}),
        errors=(404, 500)),
    "automations.list": Operation(
        "List automations, newest first",
        p.closed({"automations": p.array(p.ref("AutomationSummary")), "nextCursor": p.nullable(p.STRING)}),
        errors=(400, 500),
        query=(Query("cursor", {"type": "string"}, "The nextCursor of the previous page."), limit(50, 100))),
    "automations.create": Operation("Create an automation", _AUTOMATION, status=201, errors=(400, 404, 500),
                                    body=p.AUTOMATION_CREATE_BODY),
    "automations.get": Operation("One automation", _AUTOMATION, errors=(404, 500)),
    "automations.update": Operation("Update an automation's draft and details", _AUTOMATION,
                                    errors=(400, 404, 500), body=p.AUTOMATION_UPDATE_BODY),
    "automations.publish": Operation("Publish the draft as a new version", _AUTOMATION, errors=(400, 404, 500)),
    "automations.model": Operation("Set an agent node's model override", _AUTOMATION, errors=(400, 404, 500),
                                   body=p.AUTOMATION_MODEL_BODY),
    "automations.trigger": Operation("Queue a run of a published automation", holding("run", p.ref("TriggerResult")),
                                     status=202, errors=(400, 404, 409, 500), body=p.AUTOMATION_TRIGGER_BODY),
    "automations.runs": Operation("An automation's job runs, newest first", listing("runs", p.ref("JobRun")),
                                  errors=(404, 500), query=(limit(20, 50),)),
    "automations.run": Operation("One job run with its logs", holding("run", p.ref("JobRunDetail")),
                                 errors=(404, 500)),
    "runs.start": Operation("Start an agent run", p.with_fields(p.RUN_DETAIL, replayed=p.BOOLEAN), status=202,
                            errors=(400, 404, 409, 429, 500, 503), body=p.RUN_START_BODY),
    "runs.get": Operation("One run", _RUN, errors=(404, 500)),
    "runs.events": Operation("A run with its oldest events",
                             p.closed({"run": p.ref("RunDetail"), "events": p.array(p.ref("RunEvent"))}),
                             errors=(404, 500), query=(limit(100, 200),)),
    "runs.cancel": Operation(
        "Cancel a run", p.closed({"run": p.ref("RunDetail"), "status": p.one_of(*p.RUN_STATUSES),
                                  "alreadyTerminal": p.BOOLEAN}),
        errors=(400, 404, 409, 500)),
    "mcp.servers": Operation("The caller's external MCP servers", listing("servers", p.ref("McpServer"))),
}
