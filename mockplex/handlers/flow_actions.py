"""A flow's actions (publish, duplicate, test trigger, webhook secret) and saved workflow
templates, on the same automations v1 serves."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.repo_layout import json_object
from mockplex.handlers.routing import FlowLoadFailed, flow_record, load_flow
from mockplex.ids import b64url, is_strict_uuid, pg_uuid
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response
from mockplex.world import flows
from mockplex.world.automations import Automation, FlowError
from mockplex.world.flow_service import GRAPH_INVALID
from mockplex.world.flow_templates import REPOSITORY_BOUND_EVENTS, reconnects, template_graph
from mockplex.world.owner_scope import OwnerScope
from mockplex.world.teams import TEAM_RESOURCE_WRITE

FLOW_ERROR_STATUS = {"FLOW_NOT_FOUND": 404, "FLOW_INSTALLATION_NOT_FOUND": 404, "FLOW_AGENT_FORBIDDEN": 400,
                     "FLOW_GRAPH_INVALID": 400, "FLOW_ASSISTANT_INVALID_GRAPH": 400, "FLOW_STORAGE_FAILED": 500}
TEMPLATE_NAME_LIMIT = 80


def flow_service_error(code: str, message: str, details: list[str] | None = None) -> JsonError:
    """A FlowServiceError as the routes answer it: error, code, and details when it has them."""
    body: dict[str, Any] = {"error": message, "code": code}
    if details:
        body["details"] = details
    return JsonError(FLOW_ERROR_STATUS[code], body)


def owned_flow_or_error(call: Call) -> Automation:
    """loadOwnedFlow inside a service call: a storage failure or no row is a FlowServiceError."""
    try:
        automation = load_flow(call)
    except FlowLoadFailed as failure:
        raise flow_service_error("FLOW_STORAGE_FAILED", str(failure)) from None
    if automation is None:
        raise flow_service_error("FLOW_NOT_FOUND", "Flow not found")
    return automation


def owned_flow_or_none(call: Call) -> Automation | None:
    """loadOwnedFlow called bare by the handler: a storage failure is the framework's empty 500."""
    try:
        return load_flow(call)
    except FlowLoadFailed:
        raise EmptyResponse(500) from None


async def publish_flow(call: Call) -> web.Response:
    call.require_user()
    automation = owned_flow_or_error(call)
    try:
        call.world.flows.publish(automation, call.now)
    except FlowError as error:
        raise flow_service_error(error.code, error.message, error.details) from None
    return json_response(flow_record(automation))


async def duplicate_flow(call: Call) -> web.Response:
    call.require_user()
    automation = owned_flow_or_error(call)
    try:
        copied = call.world.flows.duplicate(automation, call.now)
    except FlowError as error:
        raise flow_service_error(error.code, error.message) from None
    return json_response(flow_record(copied), 201)


async def test_trigger(call: Call) -> web.Response:
    user_id = call.require_user()
    automation = owned_flow_or_none(call)
    published = automation.published_version if automation else None
    if automation is None or automation.status != "active" or published is None:
        raise flat_error(400, "Publish and activate this workflow before testing it.")
    start = next((node for node in published.graph["nodes"] if node["type"] == "start"), None)
    if start is None:
        raise flat_error(400, "Workflow trigger is missing.")
    body = await call.body()
    if body is None:
        raise EmptyResponse(500)  # the handler reads .payload off the parsed null
    payload = body.get("payload") if isinstance(body, dict) else None
    if not isinstance(payload, dict):
        payload = _test_event(call.now)
    world = call.world
    key = f"flow-test:{automation.id}:{world.ids.uuid()}"
    result = world.flows.dispatch(automation.id, start["data"].get("event"), key, payload, world.repos.values(),
                                  "api", call.now, expected_user=user_id)
    if not result["matched"]:
        raise flat_error(409, "The published trigger no longer matches this workflow.")
    return json_response(result, 202 if result["outcome"] == "queued" else 200)


def _test_event(now: datetime) -> dict[str, Any]:
    return {"test": True, "sent_at": format_timestamp(now), "message": "Test event from the Workflows editor"}


async def generate_webhook_secret(call: Call) -> web.Response:
    call.require_user()
    automation = owned_flow_or_none(call)
    if automation is None:
        raise flat_error(404, "Flow not found")
    ids = call.world.ids
    raw = uuid.UUID(ids.uuid()).bytes + uuid.UUID(ids.uuid()).bytes
    secret = "whsec_" + b64url(raw)
    call.world.flows.store_signing_secret(automation, secret)
    return json_response({"secret": secret})


# -- /api/flows/templates ---------------------------------------------------------------------

def _template_scope(call: Call, capability: str | None = None) -> OwnerScope:
    """The active team (a member's, checked at the gate) or the caller personally; a
    `capability` the member's role lacks is the resolver's 403."""
    team_id = call.request.headers.get("x-mogplex-team-id", "").strip()
    scope = OwnerScope(call.user_id, team_id if is_strict_uuid(team_id) else None)
    if capability and scope.team_id and not call.world.teams.can(call.user_id, scope.team_id, capability):
        raise flat_error(403, "Forbidden")
    return scope


def _cursor(raw: str | None) -> int:
    if raw is None:
        return 0
    if not raw.isdigit() or str(int(raw)) != raw or int(raw) > 2**53 - 1:
        raise flat_error(400, "cursor must be a non-negative integer")
    return int(raw)


async def list_templates(call: Call) -> web.Response:
    call.require_user()
    scope = _template_scope(call)
    page = call.world.flow_templates.page(scope, _cursor(call.request.query.get("cursor")))
    if scope.team_id is None:
        return json_response(page)
    return json_response({**page, "can_write": call.world.teams.can(scope.user_id, scope.team_id, TEAM_RESOURCE_WRITE)})


def _optional_text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


async def create_template(call: Call) -> web.Response:
    call.require_user()
    scope = _template_scope(call, TEAM_RESOURCE_WRITE)
    body = await json_object(call)
    flow_id, name = _optional_text(body.get("flow_id")), _optional_text(body.get("name"))
    if not flow_id:
        raise flat_error(400, "flow_id is required")
    if name and len(name) > TEMPLATE_NAME_LIMIT:
        raise flat_error(400, "Template names must be 80 characters or fewer")
    automation = _template_source(call, flow_id)
    graph = _template_graph(call, automation, scope.team_id is not None)
    start = next((node for node in graph["nodes"] if node["type"] == "start"), None)
    event = start["data"].get("event") if start else "mention"
    fields = {"name": name or automation.name, "description": automation.description, "graph": graph,
              "source_flow_id": None if scope.team_id else automation.id, "trigger_event": event,
              "reconnect": reconnects(graph), "requires_repository": event in REPOSITORY_BOUND_EVENTS}
    return json_response(call.world.flow_templates.add(call.world.ids.uuid(), scope, fields, call.now), 201)


def _template_source(call: Call, raw_id: str) -> Automation:
    flow_id = pg_uuid(raw_id)
    if flow_id is None:
        raise flow_service_error("FLOW_STORAGE_FAILED",
                                 f'Failed to load flow: invalid input syntax for type uuid: "{raw_id}"')
    automation = call.world.flows.owned(call.user_id, flow_id)
    if automation is None:
        raise flow_service_error("FLOW_NOT_FOUND", "Flow not found")
    return automation


def _template_graph(call: Call, automation: Automation, for_team: bool) -> dict[str, Any]:
    """The draft must be a runnable flow with the caller's own agents; the template keeps it unbound."""
    graph = automation.draft_graph
    errors = flows.executable_errors(graph)
    if errors:
        raise flow_service_error(GRAPH_INVALID, errors[0], errors)
    try:
        call.world.flows.resolve_agents(call.user_id, graph)
    except FlowError as error:
        raise flow_service_error(error.code, error.message) from None
    return template_graph(graph, for_team)


async def delete_template(call: Call) -> web.Response:
    call.require_user()
    scope = _template_scope(call, TEAM_RESOURCE_WRITE)
    template_id = pg_uuid(call.params["id"])
    if template_id is None:
        raise flat_error(500, "Failed to delete workflow template: "
                              f'invalid input syntax for type uuid: "{call.params["id"]}"')
    if not call.world.flow_templates.delete(scope, template_id):
        raise flat_error(404, "Workflow template not found")
    return json_response({"ok": True})
