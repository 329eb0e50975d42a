"""JSON Schemas of the v1 payloads: what each route's `data` holds and what its body takes.

Response shapes are closed (`additionalProperties: false`) because the server builds them
key by key (spec §4–§8); a new or missing field is drift, and lint and verify report it.
Free-form parts (event payloads, MCP server config, run metadata) stay open. Request
bodies that a handler validates with a schema object are emitted from that object (the
env-var routes, the automation graph); the rest name the handler's own constants.
"""

from __future__ import annotations

from typing import Any

from mockplex.handlers.runs import HARNESSES, MAX_PROMPT
from mockplex.responses import ERROR_CODES
from mockplex.world import flows
from mockplex.world.loader import RUN_EVENT_TYPES, SANDBOX_STATUSES

Json = dict[str, Any]

STRING: Json = {"type": "string"}
INTEGER: Json = {"type": "integer"}
NUMBER: Json = {"type": "number"}
BOOLEAN: Json = {"type": "boolean"}
UUID: Json = {"type": "string", "format": "uuid"}
# Postgres timestamptz text: ISO-8601, 0-6 fractional digits, a +00:00 offset.
TIMESTAMP: Json = {"type": "string", "format": "date-time"}
OPEN_OBJECT: Json = {"type": "object", "additionalProperties": True}


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Json) -> Json:
    return {"anyOf": [schema, {"type": "null"}]}


def one_of(*choices: str | None) -> Json:
    return {"enum": list(choices)}


def array(items: Json) -> Json:
    return {"type": "array", "items": items}


def closed(properties: Json, optional: tuple[str, ...] = ()) -> Json:
    """An object with exactly these keys; all required but the optional ones."""
    return {"type": "object", "properties": properties,
            "required": [name for name in properties if name not in optional],
            "additionalProperties": False}


def with_fields(base: Json, **extra: Json) -> Json:
    return closed({**base["properties"], **extra})


RUN_STATUSES = ("pending", "streaming", "success", "failed", "cancelled")
JOB_RUN_STATUSES = ("pending", "running", "success", "failed", "cancelled")

REPO = closed({"id": UUID, "full_name": STRING, "installation_id": INTEGER,
               "default_branch": nullable(STRING), "root_directory": nullable(STRING)})
AGENT = closed({"id": STRING, "name": STRING, "slug": nullable(STRING), "model": STRING,
                "description": nullable(STRING), "category": nullable(STRING), "preset": BOOLEAN})
MODEL = closed({"id": STRING, "provider": STRING, "name": STRING, "contextLength": nullable(INTEGER),
                "capabilities": array(STRING),
                "pricing": closed({"input": nullable(NUMBER), "output": nullable(NUMBER)})})
MCP_SERVER = closed({"name": STRING, "enabled": BOOLEAN, "config": OPEN_OBJECT})
SANDBOX = closed({
    "id": UUID, "sandbox_id": nullable(STRING), "repo_id": UUID,
    "status": one_of(*SANDBOX_STATUSES, "unknown"), "base_branch": STRING, "working_branch": STRING,
    "root_directory": nullable(STRING), "preview_url": nullable(STRING), "created_at": TIMESTAMP,
    "last_active_at": TIMESTAMP, "error": nullable(STRING)})
SANDBOX_WITH_LOGS = with_fields(SANDBOX, install_log=nullable(STRING), dev_log=nullable(STRING))
LIFECYCLE_EVENT = closed({"id": UUID, "event_type": STRING, "decision_code": nullable(STRING),
                          "worker_run_id": nullable(STRING), "payload": OPEN_OBJECT, "created_at": TIMESTAMP})
RUN_DETAIL = closed({
    "runId": UUID, "aiCallId": UUID, "sandboxRecordId": nullable(STRING), "sandboxId": nullable(STRING),
    "repoId": UUID, "harness": one_of(*HARNESSES), "status": one_of(*RUN_STATUSES),
    "branch": closed({"base": STRING, "working": STRING, "createBranch": BOOLEAN}),
    "rootDirectory": nullable(STRING), "eventsUrl": STRING, "cancelUrl": STRING,
    "createdAt": TIMESTAMP, "updatedAt": TIMESTAMP, "error": nullable(STRING),
    "runtime": closed({"provider": nullable(STRING), "runId": nullable(STRING)})})
RUN_EVENT = closed({"id": UUID, "type": one_of(*RUN_EVENT_TYPES), "toolName": nullable(STRING),
                    "message": nullable(STRING), "payload": OPEN_OBJECT, "createdAt": TIMESTAMP})

_POINT = closed({"x": NUMBER, "y": NUMBER})
GRAPH = closed({
    "nodes": array(closed({"id": STRING, "type": one_of(*flows.NODE_TYPES), "position": _POINT,
                           "data": OPEN_OBJECT})),
    "edges": array(closed({"id": STRING, "source": STRING, "target": STRING,
                           "sourceHandle": nullable(STRING), "targetHandle": nullable(STRING)})),
    "viewport": closed({"x": NUMBER, "y": NUMBER, "zoom": NUMBER})})
_AUTOMATION_STATUS = one_of("active", "inactive")
AUTOMATION_SUMMARY = closed({
    "id": UUID, "installationId": INTEGER, "name": STRING, "description": nullable(STRING),
    "status": _AUTOMATION_STATUS, "publishedVersionId": nullable(UUID), "createdAt": TIMESTAMP,
    "updatedAt": TIMESTAMP})
AUTOMATION = closed({
    "id": UUID, "installationId": INTEGER, "name": STRING, "description": nullable(STRING),
    "notes": nullable(STRING), "status": _AUTOMATION_STATUS, "draftGraph": ref("Graph"),
    "publishedVersion": nullable(closed({"id": UUID, "versionNumber": INTEGER, "graph": ref("Graph"),
                                         "createdAt": TIMESTAMP})),
    "createdAt": TIMESTAMP, "updatedAt": TIMESTAMP,
    "runSummary": closed({"lastRunId": nullable(STRING), "lastRunStatus": nullable(STRING),
                          "runningCount": INTEGER, "pendingCount": INTEGER, "failed24h": INTEGER})})
TRIGGER_RESULT = closed({
    "automationId": UUID, "jobRunId": nullable(UUID), "outcome": one_of("queued", "suppressed"),
    "reason": nullable(STRING), "started": BOOLEAN, "status": nullable(STRING),
    "runtime": nullable(closed({"provider": STRING, "runId": nullable(STRING)}))})

_NULLABLE_TEXT = nullable(STRING)
_NULLABLE_TIME = nullable(TIMESTAMP)
_NULLABLE_INT = nullable(INTEGER)
JOB_RUN = closed({
    "id": UUID, "assignment_id": nullable(UUID), "trigger_id": nullable(UUID), "flow_id": UUID,
    "flow_version_id": nullable(UUID), "runtime_provider": _NULLABLE_TEXT, "runtime_run_id": _NULLABLE_TEXT,
    "workflow_run_id": _NULLABLE_TEXT, "retry_of_job_run_id": nullable(UUID),
    "status": one_of(*JOB_RUN_STATUSES), "created_at": TIMESTAMP, "started_at": _NULLABLE_TIME,
    "completed_at": _NULLABLE_TIME, "input_tokens": _NULLABLE_INT, "output_tokens": _NULLABLE_INT,
    "duration_ms": _NULLABLE_INT, "error": _NULLABLE_TEXT, "start_attempts": INTEGER,
    "last_start_attempt_at": _NULLABLE_TIME, "last_start_error": _NULLABLE_TEXT,
    "last_start_source": _NULLABLE_TEXT, "cancel_requested_at": _NULLABLE_TIME, "cancelled_at": _NULLABLE_TIME,
    "cancel_reason": _NULLABLE_TEXT, "cancel_error": _NULLABLE_TEXT, "metadata": OPEN_OBJECT,
    "source_kind": STRING, "source_type": STRING, "repo": closed({"id": UUID, "full_name": STRING}),
    "agent": closed({"id": _NULLABLE_TEXT, "name": _NULLABLE_TEXT, "slug": _NULLABLE_TEXT}),
    "cost_usd": nullable(NUMBER), "latest_ai_call": nullable(OPEN_OBJECT), "repairable": BOOLEAN,
    "requeueable": BOOLEAN, "cancelable": BOOLEAN, "active_wait_count": INTEGER,
    "latest_dispatch_event": nullable(OPEN_OBJECT), "node_runs": array(OPEN_OBJECT)})
JOB_RUN_DETAIL = with_fields(
    JOB_RUN, dispatch_events=array(OPEN_OBJECT), ai_calls=array(OPEN_OBJECT),
    review_findings=array(OPEN_OBJECT), waits=array(OPEN_OBJECT))

# Env vars: every route answers 501 today (spec §5.2); these are the flag-on shapes.
ENV_VAR_LIST = closed({"envVars": array(closed({
    "id": _NULLABLE_TEXT, "key": STRING, "target": array(STRING), "type": STRING, "updatedAt": _NULLABLE_INT}))})
ENV_VAR_SET = closed({"action": one_of("created", "updated"), "key": STRING, "updatedCount": INTEGER})
ENV_VAR_DELETE = closed({"key": STRING, "deletedCount": INTEGER})

ERROR_ENVELOPE = closed({"ok": {"const": False},
                         "error": closed({"code": one_of(*ERROR_CODES), "message": STRING})})


def success_envelope(data: Json) -> Json:
    return closed({"ok": {"const": True}, "data": data})


COMPONENTS: dict[str, Json] = {
    "Repo": REPO, "Agent": AGENT, "Model": MODEL, "McpServer": MCP_SERVER, "Sandbox": SANDBOX,
    "SandboxWithLogs": SANDBOX_WITH_LOGS, "LifecycleEvent": LIFECYCLE_EVENT, "RunDetail": RUN_DETAIL,
    "RunEvent": RUN_EVENT, "Graph": GRAPH, "AutomationSummary": AUTOMATION_SUMMARY, "Automation": AUTOMATION,
    "TriggerResult": TRIGGER_RESULT, "JobRun": JOB_RUN, "JobRunDetail": JOB_RUN_DETAIL,
    "ErrorEnvelope": ERROR_ENVELOPE,
}

# --- request bodies -------------------------------------------------------------------

_BRANCH = {"type": "string", "minLength": 1, "maxLength": 255}

# Run and sandbox bodies ignore unknown fields, so they stay open.
RUN_START_BODY: Json = {
    "type": "object",
    "properties": {
        "repoId": UUID, "prompt": {"type": "string", "minLength": 1, "maxLength": MAX_PROMPT},
        "harness": one_of(*HARNESSES), "baseBranch": _BRANCH, "workingBranch": _BRANCH,
        "createBranch": BOOLEAN, "rootDirectory": nullable(STRING), "conversationId": STRING,
        "workspaceSessionId": STRING, "mode": STRING},
    "required": ["repoId", "prompt"],
}
SANDBOX_CREATE_BODY: Json = {
    "type": "object",
    "properties": {
        "repoId": UUID, "baseBranch": _BRANCH, "workingBranch": _BRANCH, "createBranch": BOOLEAN,
        "rootDirectory": nullable(STRING), "restoreSnapshotId": STRING, "restoreSnapshotProjectId": STRING,
        "restoreSnapshotTeamId": STRING},
    "required": ["repoId"],
}
AUTOMATION_CREATE_BODY: Json = {
    "type": "object",
    "properties": {
        "installationId": {"type": "integer", "minimum": 1}, "name": STRING, "description": nullable(STRING),
        "notes": nullable(STRING), "graph": flows.GRAPH_SCHEMA.json_schema(), "publish": BOOLEAN},
    "required": ["installationId"],
}
AUTOMATION_UPDATE_BODY: Json = {
    "type": "object",
    "properties": {key: value for key, value in AUTOMATION_CREATE_BODY["properties"].items() if key != "publish"},
}
AUTOMATION_MODEL_BODY: Json = {
    "type": "object",
    "properties": {"nodeId": STRING, "modelId": nullable(STRING), "publish": BOOLEAN},
    "required": ["nodeId", "modelId"],
}
AUTOMATION_TRIGGER_BODY: Json = {
    "type": "object",
    "properties": {"repoId": UUID, "input": OPEN_OBJECT},
    "required": ["repoId"],
}
