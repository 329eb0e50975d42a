"""Routing (internal spec §2.4): /api/flows, the web app's view of automations.

Same records as v1's automations, in the web app's snake_case shape with run summaries.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from mockplex.world import flows
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.ids import pg_uuid
from mockplex.render import v1
from mockplex.responses import JsonError, flat_error, json_response
from mockplex.validation import parse_limit
from mockplex.world.automations import ACTIVE_JOB_STATUSES, Automation, FlowError, JobRun

TEMPLATES = ("blank", "pr-review", "dependabot-autopilot", "issue-triage")
SOURCE_KINDS = {"schedule": "schedule", "webhook": "webhook", "slack": "slack"}


def _source_kind(automation: Automation) -> str:
    start = next((node for node in automation.draft_graph["nodes"] if node["type"] == "start"), None)
    return SOURCE_KINDS.get(start["data"].get("event") if start else None, "github")


def _summary(runs: list[JobRun], now: datetime) -> dict[str, Any]:
    last = runs[0] if runs else None
    day_ago = now - timedelta(days=1)
    return {
        "last_job_run_id": last.id if last else None, "last_run_status": last.status if last else None,
        "last_run_started_at": format_timestamp(last.started_at) if last and last.started_at else None,
        "last_run_error": last.error if last else None,
        "running_count": sum(1 for run in runs if run.status == "running"),
        "pending_count": sum(1 for run in runs if run.status == "pending"),
        "failed_24h": sum(1 for run in runs if run.status == "failed" and run.created_at > day_ago),
        "last_run_repairable": False, "last_run_requeueable": bool(last and last.status == "failed"),
        "last_run_cancelable": bool(last and last.status in ACTIVE_JOB_STATUSES),
        "suppressed_24h": 0, "deferred_24h": 0, "start_failed_24h": 0,
        "last_pressure_reason": None, "last_pressure_at": None,
    }


def flow_record(call: Call, automation: Automation) -> dict[str, Any]:
    published = automation.published_version
    return {
        "id": automation.id, "user_id": automation.user_id, "installation_id": automation.installation_id,
        "name": automation.name, "description": automation.description, "notes": automation.notes,
        "source_kind": _source_kind(automation), "status": automation.status,
        "draft_graph": automation.draft_graph, "published_version_id": automation.published_version_id,
        "trigger_schedule_id": None, "webhook_configured": automation.webhook_secret,
        "published_version": {"id": published.id, "flow_id": automation.id,
                              "version_number": published.version_number, "graph": published.graph,
                              "created_at": format_timestamp(published.created_at)} if published else None,
        "created_at": format_timestamp(automation.created_at), "updated_at": format_timestamp(automation.updated_at),
    }


async def list_flows(call: Call) -> web.Response:
    user_id = call.require_user()
    service = call.world.flows
    owned, _ = service.page(user_id, None, len(service.automations) + 1)
    return json_response([{**flow_record(call, automation), **_summary(service.runs_of(automation, call.now), call.now)}
                          for automation in owned])


async def create_flow(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    installation_id = body.get("installation_id")
    if installation_id is None or installation_id == "":
        raise flat_error(400, "installation_id is required")
    template = body.get("template_id", "blank")
    if template not in TEMPLATES:
        raise flat_error(400, "Unknown workflow template")
    if isinstance(installation_id, bool) or not isinstance(installation_id, int) or installation_id <= 0:
        raise JsonError(400, {"error": "Invalid installation id", "code": "FLOW_INVALID_INSTALLATION_ID"})
    service = call.world.flows
    if not service.installation_owned(user_id, installation_id):
        raise JsonError(404, {"error": "Installation not found", "code": "FLOW_INSTALLATION_NOT_FOUND"})
    name = body.get("name").strip() if isinstance(body.get("name"), str) else ""
    automation = service.create(user_id, installation_id, {"name": name}, None, call.now)
    if template == "blank":
        automation.draft_graph = flows.normalize_graph({
            "nodes": [{"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {"event": "mention"}},
                      {"id": "end", "type": "end", "position": {"x": 0, "y": 160}, "data": {"label": "Done"}}],
            "edges": [{"id": "start-end", "source": "start", "target": "end"}]})
    return json_response(flow_record(call, automation), 201)


def _owned_flow(call: Call) -> Automation:
    user_id = call.require_user()
    flow_id = pg_uuid(call.params["id"])
    automation = call.world.flows.owned(user_id, flow_id) if flow_id else None
    if automation is None:
        raise JsonError(404, {"error": "Flow not found", "code": "FLOW_NOT_FOUND"})
    return automation


async def get_flow(call: Call) -> web.Response:
    return json_response(flow_record(call, _owned_flow(call)))


async def list_flow_runs(call: Call) -> web.Response:
    automation = _owned_flow(call)
    runs = call.world.flows.runs_of(automation, call.now)[:parse_limit(call.query("limit"), 12, 50)]
    return json_response({"runs": [v1.job_run(run) for run in runs]})




# -- /api/flows/[id] writes and run detail ----------------------------------------------------

async def update_flow(call: Call) -> web.Response:
    automation = _owned_flow(call)
    body = await call.unguarded_body()
    if "status" in body:
        if body["status"] not in ("active", "inactive"):
            raise flat_error(400, "Invalid status")
        if body["status"] == "active" and automation.published_version is None:
            raise JsonError(400, {"error": "Publish the flow before activating it",
                                  "code": "FLOW_UNPUBLISHED_ACTIVATION"})
        automation.status = body["status"]
        automation.updated_at = call.now
        return json_response(flow_record(call, automation))
    fields = {key: body[key] for key in ("description", "notes") if key in body
              and (body[key] is None or isinstance(body[key], str))}
    if isinstance(body.get("name"), str) and body["name"].strip():
        fields["name"] = body["name"].strip()
    if isinstance(body.get("installation_id"), int):
        fields["installationId"] = body["installation_id"]
    try:
        call.world.flows.update(automation, fields, body.get("draft_graph"), call.now)
    except FlowError as error:
        raise JsonError(404 if error.kind == "not_found" else 400, {"error": error.message}) from None
    return json_response(flow_record(call, automation))


async def delete_flow(call: Call) -> web.Response:
    automation = _owned_flow(call)
    call.world.flows.delete(automation)
    return json_response({"ok": True})


async def flow_run_detail(call: Call) -> web.Response:
    automation = _owned_flow(call)
    run_id = pg_uuid(call.params["runId"])
    run = next((run for run in call.world.flows.runs_of(automation, call.now) if run.id == run_id), None)
    if run is None:
        raise JsonError(404, {"error": "Run not found", "code": "FLOW_RUN_NOT_FOUND"})
    return json_response({"run": v1.job_run(run, detail=True)})



# -- /api/triggers and the legacy /api/assignments --------------------------------------------

TRIGGERS = "triggers"
TRIGGER_EVENTS = ("mention", "pr_opened", "issue_opened", "pr_comment", "issue_comment", "push", "ci_failure",
                  "labeled", "tag_push", "schedule", "webhook", "slack_mention")
ASSIGNMENTS_GONE = ("Assignments have been replaced by automations. Create a flow in the automations editor "
                    "instead.")


def _trigger_row(call: Call, trigger: dict[str, Any]) -> dict[str, Any]:
    agent = call.world.agents.get(trigger["agent_id"])
    return {**trigger, "agents": {"id": agent.id, "name": agent.name, "slug": agent.slug, "model": agent.model}
            if agent else None, **_summary([], call.now)}


async def list_triggers(call: Call) -> web.Response:
    user_id = call.require_user()
    return json_response([_trigger_row(call, row) for row in call.world.tables.rows(TRIGGERS, user_id)])


async def create_trigger(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    if not body.get("installation_id") or not body.get("event"):
        raise flat_error(400, "Missing required fields")
    if not body.get("agent_id"):
        raise flat_error(400, "agent_id is required")
    if not call.world.flows.installation_owned(user_id, body["installation_id"]):
        raise flat_error(404, "Installation not found")
    if call.world.agents.owned(user_id, body["agent_id"]) is None:
        raise flat_error(404, "Agent not found")
    if body["event"] not in TRIGGER_EVENTS:
        raise flat_error(400, "Invalid event")
    row = {"id": call.world.ids.uuid(), "user_id": user_id, "installation_id": body["installation_id"],
           "agent_id": body["agent_id"], "event": body["event"], "is_default": body.get("is_default") is True,
           "enabled": True, "created_at": format_timestamp(call.now)}
    call.world.tables.insert(TRIGGERS, row)
    return json_response(_trigger_row(call, row), 201)


async def update_trigger(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    if not body.get("id"):
        raise flat_error(400, "Missing trigger id")
    row = call.world.tables.find(TRIGGERS, user_id, body["id"])
    if row is None:
        raise flat_error(404, "Trigger not found")
    for key in ("enabled", "is_default"):
        if isinstance(body.get(key), bool):
            row[key] = body[key]
    if body.get("event") in TRIGGER_EVENTS:
        row["event"] = body["event"]
    if call.world.agents.owned(user_id, body.get("agent_id")) is not None:
        row["agent_id"] = body["agent_id"]
    return json_response(_trigger_row(call, row))


async def delete_trigger(call: Call) -> web.Response:
    user_id = call.require_user()
    if not call.query("id"):
        raise flat_error(400, "Missing id")
    call.world.tables.delete(TRIGGERS, user_id, call.query("id"))
    return json_response({"ok": True})


async def create_assignment(call: Call) -> web.Response:
    raise flat_error(410, ASSIGNMENTS_GONE)


async def list_assignments(call: Call) -> web.Response:
    call.require_user()
    return json_response([])


async def update_assignment(call: Call) -> web.Response:
    call.require_user()
    body = await call.unguarded_body()
    if not body.get("id"):
        raise flat_error(400, "Missing id")
    raise flat_error(404, "Not found")


async def delete_assignment(call: Call) -> web.Response:
    call.require_user()
    raise flat_error(404, "Not found")
