"""Routing (internal spec §2.4): /api/flows, the web app's view of automations.

Same records as v1's automations, in the web app's snake_case shape with run summaries.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from mockplex.world import flows
from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.ids import is_strict_uuid, pg_uuid
from mockplex.render import v1
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response
from mockplex.validation import parse_limit
from mockplex.world.flow_service import SOURCE_KINDS
from mockplex.world.automations import (
    ACTIVE_JOB_STATUSES, STARTERS, UNNAMED_STARTER, Automation, FlowError, JobRun, Starter,
)

STORAGE_FAILED = "FLOW_STORAGE_FAILED"


def _source_kind(automation: Automation) -> str:
    """The column publish writes from the published start event; a never-published flow says github."""
    if automation.source_kind:
        return automation.source_kind
    published = automation.published_version
    start = next((node for node in published.graph["nodes"] if node["type"] == "start"), None) \
        if published else None
    return SOURCE_KINDS.get(start["data"].get("event") if start else None, "github")


def _summary(runs: list[JobRun], now: datetime) -> dict[str, Any]:
    """The list's per-flow job-run and dispatch-pressure summary."""
    anchor = lambda run: run.started_at or run.created_at  # noqa: E731
    last = max(runs, key=anchor, default=None)
    day_ago = now - timedelta(days=1)
    events = sorted((event for run in runs for event in run.dispatch_events), key=lambda e: e["created_at"],
                    reverse=True)
    recent = [event for event in events if event["created_at"] >= format_timestamp(day_ago)]
    pressure = next((event for event in events if event["reason"]), None)
    return {
        "last_job_run_id": last.id if last else None, "last_run_status": last.status if last else None,
        "last_run_started_at": format_timestamp(anchor(last)) if last else None,
        "last_run_error": last.error if last else None,
        "running_count": sum(1 for run in runs if run.status == "running"),
        "pending_count": sum(1 for run in runs if run.status == "pending"),
        "failed_24h": sum(1 for run in runs if run.status == "failed" and anchor(run) >= day_ago),
        "last_run_repairable": False, "last_run_requeueable": bool(last and last.status == "failed"),
        "last_run_cancelable": bool(last and last.status in ACTIVE_JOB_STATUSES),
        **{f"{outcome}_24h": sum(1 for event in recent if event["outcome"] == outcome)
           for outcome in ("suppressed", "deferred", "start_failed")},
        "last_pressure_reason": pressure["reason"] if pressure else None,
        "last_pressure_at": pressure["created_at"] if pressure else None,
    }


def flow_record(automation: Automation) -> dict[str, Any]:
    """The flows row in its column order, the secret reference as a flag, the published version joined."""
    published = automation.published_version
    return {
        "id": automation.id, "user_id": automation.user_id, "installation_id": automation.installation_id,
        "name": automation.name, "description": automation.description, "notes": automation.notes,
        "source_kind": _source_kind(automation), "status": automation.status,
        "draft_graph": automation.draft_graph, "published_version_id": automation.published_version_id,
        "created_at": format_timestamp(automation.created_at), "updated_at": format_timestamp(automation.updated_at),
        "trigger_schedule_id": None, "webhook_configured": automation.webhook_secret,
        "published_version": {"id": published.id, "flow_id": automation.id,
                              "version_number": published.version_number, "graph": published.graph,
                              "created_at": format_timestamp(published.created_at)} if published else None,
    }


async def list_flows(call: Call) -> web.Response:
    user_id = call.require_user()
    service = call.world.flows
    owned, _ = service.page(user_id, None, len(service.automations) + 1)
    return json_response([{**flow_record(automation), **_summary(service.runs_of(automation, call.now), call.now)}
                          for automation in owned])


def _js_number(value: Any) -> float:
    """JavaScript's Number(value) for what JSON can carry."""
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, list):
        return _js_number(value[0] if len(value) == 1 else "" if not value else "x")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0
        try:
            return int(text, 16) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def _installation_number(value: Any) -> int | float | None:
    """A finite, positive Number(value), as an int when whole; None where the server refuses it."""
    number = _js_number(value)
    if not math.isfinite(number) or number <= 0:
        return None
    return int(number) if float(number).is_integer() else number


def _flow_error(status: int, message: str, code: str) -> JsonError:
    return JsonError(status, {"error": message, "code": code})


def _optional_string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _create_checks(call: Call, body: dict[str, Any]) -> tuple[int | float, Starter | None]:
    """The handler's own checks, in its order."""
    installation_id = _installation_number(body.get("installation_id"))
    if installation_id is None:
        raise flat_error(400, "installation_id is required")
    template_id = body.get("template_id")
    if template_id is not None and template_id not in STARTERS:
        raise flat_error(400, "Unknown workflow template")
    choices = [template_id, _optional_string(body.get("personal_template_id")),
               _optional_string(body.get("team_template_id"))]
    if sum(1 for choice in choices if choice) > 1:
        raise flat_error(400, "Choose one workflow template")
    if _optional_string(body.get("team_template_id")) and not is_strict_uuid(
            call.request.headers.get("x-mogplex-team-id", "").strip()):
        raise flat_error(400, "Team workflow template requires an active team")
    return installation_id, STARTERS.get(template_id) if template_id else None


async def create_flow(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _object_body(call)
    installation_id, starter = _create_checks(call, body)
    service = call.world.flows
    # A fractional id reaches the bigint column, errors, and reads as no installation.
    if not isinstance(installation_id, int) or not service.installation_owned(user_id, installation_id):
        raise _flow_error(404, "Installation not found", "FLOW_INSTALLATION_NOT_FOUND")
    repository = (_optional_string(body.get("repo_full_name")) or "").strip() or None
    if repository and not any(repo.user_id == user_id and repo.full_name == repository
                              and repo.installation_id == installation_id for repo in call.world.repos.values()):
        raise _flow_error(404, "Repository not found for this GitHub account", "FLOW_INSTALLATION_NOT_FOUND")
    if _optional_string(body.get("personal_template_id")) or _optional_string(body.get("team_template_id")):
        raise _flow_error(404, "Workflow template not found", "FLOW_NOT_FOUND")
    starter = starter or UNNAMED_STARTER
    name = (_optional_string(body.get("name")) or "").strip() or starter.name
    automation = service.create(user_id, installation_id, {"name": name, "description": starter.description},
                                None, call.now)
    automation.draft_graph = service.starter_draft(user_id, installation_id, starter, repository)
    return json_response(flow_record(automation), 201)


def load_flow(call: Call) -> Automation | None:
    """loadOwnedFlow: None when missing; a malformed id fails in the database."""
    flow_id = pg_uuid(call.params["id"])
    if flow_id is None:
        raise FlowLoadFailed(f'Failed to load flow: invalid input syntax for type uuid: "{call.params["id"]}"')
    return call.world.flows.owned(call.user_id, flow_id)


class FlowLoadFailed(Exception):
    """The storage error loadOwnedFlow throws."""


def _handler_flow(call: Call) -> Automation:
    """The [id] route's own lookup: outside its try, so a storage error is the framework's empty 500."""
    call.require_user()
    try:
        automation = load_flow(call)
    except FlowLoadFailed:
        raise EmptyResponse(500) from None
    if automation is None:
        raise flat_error(404, "Flow not found")
    return automation


def _service_flow(call: Call) -> Automation:
    """The run routes' lookup inside the flow service: its errors carry codes."""
    call.require_user()
    try:
        automation = load_flow(call)
    except FlowLoadFailed as failure:
        raise _flow_error(500, str(failure), STORAGE_FAILED) from None
    if automation is None:
        raise _flow_error(404, "Flow not found", "FLOW_NOT_FOUND")
    return automation


async def get_flow(call: Call) -> web.Response:
    return json_response(flow_record(_handler_flow(call)))


async def list_flow_runs(call: Call) -> web.Response:
    automation = _service_flow(call)
    runs = call.world.flows.runs_of(automation, call.now)[:parse_limit(call.query("limit"), 12, 50)]
    return json_response({"runs": [v1.job_run(run) for run in runs]})


# -- /api/flows/[id] writes and run detail ----------------------------------------------------

def _set_status(call: Call, automation: Automation, status: Any) -> web.Response:
    if status not in ("active", "inactive"):
        raise flat_error(400, "Invalid status")
    if status == "active" and automation.published_version is None:
        raise _flow_error(400, "A flow must be published before it can be activated.", "FLOW_UNPUBLISHED_ACTIVATION")
    automation.status = status
    automation.updated_at = call.now
    return json_response(flow_record(automation))


def _update_fields(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    fields = {key: _optional_string(body[key]) for key in ("description", "notes") if key in body}
    if isinstance(body.get("name"), str) and body["name"].strip():
        fields["name"] = body["name"].strip()
    if "installation_id" in body:
        installation_id = _installation_number(body["installation_id"])
        if installation_id is None:
            raise _flow_error(400, "Invalid installation_id", "FLOW_INVALID_INSTALLATION_ID")
        if not isinstance(installation_id, int) or not call.world.flows.installation_owned(call.user_id,
                                                                                             installation_id):
            raise _flow_error(404, "Installation not found", "FLOW_INSTALLATION_NOT_FOUND")
        fields["installationId"] = installation_id
    return fields


async def update_flow(call: Call) -> web.Response:
    automation = _handler_flow(call)
    body = await _object_body(call, probed_with_in=True)
    if "status" in body:
        return _set_status(call, automation, body["status"])
    fields = _update_fields(call, body)
    graph = flows.coerce_graph(body["draft_graph"]) if "draft_graph" in body else None
    try:
        call.world.flows.update(automation, fields, graph, call.now)
    except FlowError as error:
        raise _flow_error(400, error.message, "FLOW_AGENT_FORBIDDEN") from None
    return json_response(flow_record(automation))


async def delete_flow(call: Call) -> web.Response:
    automation = _handler_flow(call)
    call.world.flows.delete(automation)
    return json_response({"ok": True})


async def flow_run_detail(call: Call) -> web.Response:
    automation = _service_flow(call)
    run_id = pg_uuid(call.params["runId"])
    if run_id is None:
        raise flat_error(500, f'invalid input syntax for type uuid: "{call.params["runId"]}"')
    run = next((run for run in call.world.flows.runs_of(automation, call.now) if run.id == run_id), None)
    if run is None:
        raise _flow_error(404, "Run not found", "FLOW_RUN_NOT_FOUND")
    return json_response({"run": v1.job_run(run, detail=True)})


# -- /api/triggers and the legacy /api/assignments --------------------------------------------

TRIGGERS = "triggers"
# The triggers table's check constraint; the handler itself checks no event.
TRIGGER_EVENTS = ("mention", "pr_opened", "issue_opened", "pr_comment", "issue_comment", "push", "ci_failure")
EVENT_CHECK_FAILED = 'new row for relation "triggers" violates check constraint "triggers_event_check"'
NOT_ONE_ROW = "JSON object requested, multiple (or no) rows returned"
ASSIGNMENT_TYPES = ("pr_review", "cron_refactor", "cron", "push_review", "issue_triage", "ci_failure")
ASSIGNMENTS_GONE = ("Assignments have been replaced by automations. Create a flow in the automations editor "
                    "instead.")


def _trigger_row(call: Call, trigger: dict[str, Any]) -> dict[str, Any]:
    agent = call.world.agents.get(trigger["agent_id"])
    return {**trigger, "agents": {"id": agent.id, "name": agent.name, "slug": agent.slug, "model": agent.model}
            if agent else None}


async def list_triggers(call: Call) -> web.Response:
    user_id = call.require_user()
    rows = sorted(call.world.tables.rows(TRIGGERS, user_id), key=lambda row: row["created_at"], reverse=True)
    return json_response([{**_trigger_row(call, row), **_summary([], call.now)} for row in rows])


def _owned_trigger_agent(call: Call, agent_id: Any) -> str:
    """The agent a trigger may run: the caller's own; a slugless one gets its name's slug."""
    if not isinstance(agent_id, str) or not agent_id.strip():
        raise flat_error(400, "agent_id is required")
    agent = call.world.agents.owned(call.user_id, pg_uuid(agent_id)) if pg_uuid(agent_id) else None
    if agent is None:
        raise flat_error(404, "Agent not found")
    if not agent.slug:
        agent.slug = re.sub(r"^-|-$", "", re.sub(r"[^\da-z]+", "-", agent.name.lower()))
    return agent.id


def _bigint(value: Any) -> int | None:
    """What a bigint column makes of a filter value; None where Postgres refuses it."""
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    return None


def _check_event(event: Any) -> None:
    if event not in TRIGGER_EVENTS:
        raise flat_error(500, EVENT_CHECK_FAILED)


async def create_trigger(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _object_body(call)
    if not body.get("installation_id") or not body.get("agent_id") or not body.get("event"):
        raise flat_error(400, "Missing required fields")
    installation_id = _bigint(body["installation_id"])
    if installation_id is None or not call.world.flows.installation_owned(user_id, installation_id):
        raise flat_error(404, "Installation not found")
    agent_id = _owned_trigger_agent(call, body["agent_id"])
    _check_event(body["event"])
    is_default = body.get("is_default")
    row = {"id": call.world.ids.uuid(), "user_id": user_id, "installation_id": installation_id,
           "agent_id": agent_id, "event": body["event"],
           "is_default": is_default if isinstance(is_default, bool) else False,
           "enabled": True, "created_at": format_timestamp(call.now)}
    call.world.tables.insert(TRIGGERS, row)
    return json_response(_trigger_row(call, row), 201)


async def update_trigger(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _object_body(call)
    if not body.get("id"):
        raise flat_error(400, "Missing trigger id")
    changes = {key: body[key] for key in ("enabled", "event", "is_default") if key in body}
    if "agent_id" in body:
        changes["agent_id"] = _owned_trigger_agent(call, body["agent_id"])
    row = _trigger_by_id(call, user_id, body["id"])
    if "event" in changes:
        _check_event(changes["event"])
    row.update(changes)
    return json_response(_trigger_row(call, row))


def _trigger_by_id(call: Call, user_id: str, raw_id: Any) -> dict[str, Any]:
    """The row an `.eq("id", ...)...single()` reaches; anything else is the database's error."""
    row_id = _uuid_column(raw_id)
    row = call.world.tables.find(TRIGGERS, user_id, row_id)
    if row is None:
        raise flat_error(500, NOT_ONE_ROW)
    return row


def _uuid_column(raw: Any) -> str:
    text = raw if isinstance(raw, str) else json.dumps(raw)
    row_id = pg_uuid(text)
    if row_id is None:
        raise flat_error(500, f'invalid input syntax for type uuid: "{text}"')
    return row_id


async def delete_trigger(call: Call) -> web.Response:
    user_id = call.require_user()
    if not call.query("id"):
        raise flat_error(400, "Missing id")
    call.world.tables.delete(TRIGGERS, user_id, _uuid_column(call.query("id")))
    return json_response({"ok": True})


async def create_assignment(call: Call) -> web.Response:
    raise flat_error(410, ASSIGNMENTS_GONE)


async def list_assignments(call: Call) -> web.Response:
    call.require_user()
    # No assignment rows exist in the world: they can no longer be created.
    return json_response([])


async def update_assignment(call: Call) -> web.Response:
    call.require_user()
    body = await _object_body(call)
    if not body.get("id"):
        raise flat_error(400, "Missing id")
    valid = (isinstance(body.get("enabled"), bool), isinstance(body.get("cron_schedule"), str),
             body.get("type") in ASSIGNMENT_TYPES,
             "skill_id" in body and (body["skill_id"] is None or isinstance(body["skill_id"], str)))
    if not any(valid):
        raise flat_error(400, "No valid fields to update")
    raise flat_error(404, "Not found")


async def delete_assignment(call: Call) -> web.Response:
    call.require_user()
    if not call.query("id"):
        raise flat_error(400, "Missing id")
    raise flat_error(404, "Not found")


async def _object_body(call: Call, *, probed_with_in: bool = False) -> dict[str, Any]:
    """request.json() read as the handlers read it: malformed JSON, or a null whose fields are read, throws
    (the framework's empty 500), as does `"key" in body` on any primitive; an array has no fields."""
    body = await call.body()
    primitive = not isinstance(body, (dict, list))
    if body is jsonio.NOT_JSON or body is None or (probed_with_in and primitive):
        raise EmptyResponse(500)
    return body if isinstance(body, dict) else {}
