"""Automations (v1 spec §8): list, create, read, update, publish, model, trigger, runs."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from datetime import datetime
from typing import Any, Awaitable, Callable

from aiohttp import web

from mockplex.world import flows
from mockplex.call import Call
from mockplex.clock import format_timestamp, parse_timestamp
from mockplex.ids import b64url, is_strict_uuid, pg_uuid
from mockplex.jsonio import NOT_JSON
from mockplex.render import v1
from mockplex.responses import ApiError, EmptyResponse, bad_request, internal, not_found, ok
from mockplex.validation import Page, trimmed_string
from mockplex.world.automations import Automation, FlowError

_CURSOR_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_FLOW_ERROR_STATUS = {"not_found": (404, "NOT_FOUND"), "conflict": (409, "CONFLICT"),
                      "bad_request": (400, "BAD_REQUEST")}
MAX_SAFE_INTEGER = 2**53 - 1
AUTOMATIONS_PAGE = Page(50, 100)
AUTOMATION_RUNS_PAGE = Page(20, 50)


def maps_flow_errors(handler: Callable[[Call], Awaitable[web.Response]]):
    """The route layer's mapping of automation errors to envelopes (§9)."""
    @functools.wraps(handler)
    async def mapped(call: Call) -> web.Response:
        try:
            return await handler(call)
        except FlowError as error:
            status, code = _FLOW_ERROR_STATUS[error.kind]
            raise ApiError(status, code, error.message) from None
    return mapped


def encode_cursor(automation: Automation) -> str:
    text = json.dumps({"createdAt": format_timestamp(automation.created_at), "id": automation.id},
                      separators=(",", ":"))
    return b64url(text.encode())


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        created_at, automation_id = decoded["createdAt"], decoded["id"]
        if not (isinstance(created_at, str) and _CURSOR_TIME.match(created_at)
                and isinstance(automation_id, str) and is_strict_uuid(automation_id)):
            raise ValueError(cursor)
        return parse_timestamp(created_at), automation_id.lower()
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise bad_request("Invalid cursor") from None


def _positive_integer(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
        return None
    return int(value) if 0 < value <= MAX_SAFE_INTEGER else None


async def _object_body(call: Call) -> dict[str, Any]:
    """Create/update bodies: falsy JSON is invalid; a truthy non-object crashes the handler."""
    body = await call.body()
    if body is NOT_JSON or body in (None, False, 0, ""):
        raise bad_request("Invalid JSON body")
    if not isinstance(body, (dict, list)):
        raise EmptyResponse(500)
    return body if isinstance(body, dict) else {}


def _graph(body: dict[str, Any]) -> dict[str, Any] | None:
    if "graph" not in body:
        return None
    problem = flows.graph_request_error(body["graph"])
    if problem is not None:
        raise bad_request(problem)
    return body["graph"]


def _text_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = {key: body[key] for key in ("description", "notes")
              if key in body and (body[key] is None or isinstance(body[key], str))}
    name = trimmed_string(body.get("name"))
    if name:
        fields["name"] = name
    return fields


def _automation(call: Call, failure: str) -> Automation:
    automation_id = pg_uuid(call.params["automationId"])
    if automation_id is None:
        raise internal(failure)
    automation = call.world.flows.owned(call.user_id, automation_id)
    if automation is None:
        raise not_found("Automation not found")
    return automation


async def list_automations(call: Call) -> web.Response:
    cursor = call.query("cursor")
    after = decode_cursor(cursor) if cursor else None
    page, more = call.world.flows.page(call.user_id, after, AUTOMATIONS_PAGE.size(call.query("limit")))
    return ok({"automations": [v1.automation_summary(automation) for automation in page],
               "nextCursor": encode_cursor(page[-1]) if more and page else None})


@maps_flow_errors
async def create_automation(call: Call) -> web.Response:
    body = await _object_body(call)
    graph = _graph(body)
    installation_id = _positive_integer(body.get("installationId"))
    if installation_id is None:
        raise bad_request("installationId must be a positive integer")
    service = call.world.flows
    if not service.installation_owned(call.user_id, installation_id):
        raise not_found("Installation not found")
    automation = service.create(call.user_id, installation_id, _text_fields(body), None, call.now)
    # Not atomic, as on the server: a failed graph or publish leaves the automation behind.
    if graph is not None:
        service.update(automation, {}, graph, call.now)
    if body.get("publish") is True:
        service.publish(automation, call.now)
    return ok({"automation": v1.automation(automation)}, status=201)


async def get_automation(call: Call) -> web.Response:
    return ok({"automation": v1.automation(_automation(call, "Failed to load automation"))})


@maps_flow_errors
async def update_automation(call: Call) -> web.Response:
    body = await _object_body(call)
    graph = _graph(body)
    fields = _text_fields(body)
    if "installationId" in body:
        fields["installationId"] = _positive_integer(body["installationId"])
        if fields["installationId"] is None:
            raise bad_request("installationId must be a positive integer")
    automation = _automation(call, "Failed to update automation")
    call.world.flows.update(automation, fields, graph, call.now)
    return ok({"automation": v1.automation(automation)})


@maps_flow_errors
async def publish_automation(call: Call) -> web.Response:
    automation = _automation(call, "Failed to publish automation")
    call.world.flows.publish(automation, call.now)
    return ok({"automation": v1.automation(automation)})


@maps_flow_errors
async def set_automation_model(call: Call) -> web.Response:
    body = await call.body()
    if not isinstance(body, dict) or not isinstance(body.get("nodeId"), str) or not body["nodeId"]:
        raise bad_request("nodeId is required")
    if "modelId" not in body or not (body["modelId"] is None or isinstance(body["modelId"], str)):
        raise bad_request("modelId must be a model id or null")
    model_id = body["modelId"]
    automation = _automation(call, "Failed to update automation model")
    if model_id and model_id not in {model.id for model in call.world.available_models(call.user_id)}:
        raise bad_request("Model is not enabled and available for this user")
    call.world.flows.set_model(automation, body["nodeId"], model_id, call.now)
    if body.get("publish") is True:
        call.world.flows.publish(automation, call.now)
    return ok({"automation": v1.automation(automation)})


async def trigger_automation(call: Call) -> web.Response:
    body = await call.body()
    repo_id = trimmed_string(body.get("repoId")) if isinstance(body, dict) else None
    if repo_id is None:
        raise bad_request("repoId is required")
    if "input" in body and not isinstance(body["input"], dict):
        raise bad_request("input must be an object")
    automation = _automation(call, "Failed to trigger automation")
    if automation.published_version is None:
        raise ApiError(409, "CONFLICT", "Publish the automation before triggering it")
    if automation.status != "active":
        raise ApiError(409, "CONFLICT", "Activate the automation before triggering it")
    if pg_uuid(repo_id) is None:
        raise internal("Failed to trigger automation")
    repo = call.world.owned_repo(call.user_id, pg_uuid(repo_id))
    if repo is None:
        raise not_found("Repository not found")
    if repo.installation_id != automation.installation_id:
        raise bad_request("Repository is outside this automation's GitHub installation")
    run = call.world.flows.trigger(automation, repo, call.idempotency_key, body.get("input") or {}, call.now)
    return ok({"run": run}, status=202)


async def list_automation_runs(call: Call) -> web.Response:
    automation = _automation(call, "Failed to list automation runs")
    runs = call.world.flows.runs_of(automation, call.now)[:AUTOMATION_RUNS_PAGE.size(call.query("limit"))]
    return ok({"runs": [v1.job_run(run) for run in runs]})


async def automation_run_logs(call: Call) -> web.Response:
    failure = "Failed to load automation run logs"
    automation = _automation(call, failure)
    run_id = pg_uuid(call.params["runId"])
    if run_id is None:
        raise internal(failure)
    run = next((run for run in call.world.flows.runs_of(automation, call.now) if run.id == run_id), None)
    if run is None:
        raise not_found("Run not found")
    return ok({"run": v1.job_run(run, detail=True)})
