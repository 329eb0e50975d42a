"""Human approvals: a flow run's paused waits (/api/flows/approvals) and the control chat's
tool approvals (/api/control/approvals), listed and resolved."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.ids import pg_uuid
from mockplex.responses import flat_error, json_response
from mockplex.validation import js_length, js_trim

NOTE_LIMIT = 2000
FLOW_PAGE = 50
WAIT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
DECISIONS = ("approve", "deny")
LISTED_WAIT_COLUMNS = ("id", "job_run_id", "flow_id", "node_id", "wait_config", "created_at", "expires_at")


def _decision_problem(body: Any) -> str | None:
    """The checks both resolve routes share, in their order (a JSON array counts as an object)."""
    if not isinstance(body, (dict, list)):
        return "Request body must be a JSON object"
    fields = body if isinstance(body, dict) else {}
    if fields.get("decision") not in DECISIONS:
        return 'decision must be "approve" or "deny"'
    note = fields.get("note")
    if note is not None and not isinstance(note, str):
        return "note must be a string"
    if isinstance(note, str) and js_length(js_trim(note)) > NOTE_LIMIT:
        return f"note must be at most {NOTE_LIMIT} characters"
    return None


def _note(body: Any) -> str | None:
    note = body.get("note") if isinstance(body, dict) else None
    return js_trim(note) or None if isinstance(note, str) else None


async def _decision_body(call: Call, unreadable: str) -> Any:
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise flat_error(400, unreadable)
    problem = _decision_problem(body)
    if problem:
        raise flat_error(400, problem)
    return body


# -- flow waits ---------------------------------------------------------------------------------

def _listed_wait(call: Call, wait: dict[str, Any]) -> dict[str, Any]:
    job = call.world.flows.job_runs.get(wait["job_run_id"])
    row = {**wait, "flow_id": job.flow_id if job else None}
    return {column: row[column] for column in LISTED_WAIT_COLUMNS}


async def list_flow_approvals(call: Call) -> web.Response:
    user_id = call.require_user()
    pending = call.world.waiting_work.pending_flow_approvals(user_id, format_timestamp(call.now))
    return json_response({"approvals": [_listed_wait(call, wait) for wait in pending[:FLOW_PAGE]],
                          "hasMore": len(pending) > FLOW_PAGE})


async def resolve_flow_approval(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _decision_body(call, "Request body must be valid JSON")
    wait_id = call.params["id"]
    wait = call.world.waiting_work.owned_flow_approval(user_id, wait_id.lower()) if WAIT_ID.match(wait_id) else None
    if wait is None:
        raise flat_error(404, "Approval not found")
    decided_at = format_timestamp(call.now)
    if wait["status"] != "waiting" or (wait["expires_at"] is not None and wait["expires_at"] <= decided_at):
        raise flat_error(409, "Approval is no longer pending")
    if call.world.outside.trigger_runtime == "missing":
        # Completing the run's wait token fails, so the wait is rolled back to waiting.
        raise flat_error(502, "Failed to deliver the decision; try again")
    wait.update(status="resumed", resumed_at=decided_at, resume_payload={
        "decision": body["decision"], "note": _note(body), "decided_by": user_id, "decided_at": decided_at})
    return json_response({"ok": True, "decision": body["decision"]})


# -- control approvals --------------------------------------------------------------------------

async def list_control_approvals(call: Call) -> web.Response:
    user_id = call.require_user()
    run_id = call.query("runId") or None
    if run_id is not None and pg_uuid(run_id) is None:
        raise flat_error(500, "Failed to load approvals")  # Postgres refuses the uuid filter
    approvals = call.world.waiting_work.pending_control_approvals(user_id, run_id and pg_uuid(run_id))
    return json_response({"approvals": approvals})


async def resolve_control_approval(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _decision_body(call, "Request body must be JSON")
    approval_id = pg_uuid(call.params["id"])
    if approval_id is None:
        raise flat_error(500, "Failed to resolve approval")  # the RPC's uuid argument does not cast
    now = format_timestamp(call.now)
    row = next((row for row in call.world.waiting_work.control_approvals if row["id"] == approval_id), None)
    if (row is None or row["user_id"] != user_id or row["status"] != "pending"
            or (row["expires_at"] is not None and row["expires_at"] <= now)):
        raise flat_error(409, "Approval is no longer pending")
    decision = "approved" if body["decision"] == "approve" else "denied"
    row.update(status=decision, resolved_at=now, resolved_by=user_id, resolution_source="api",
               resolution_note=_note(body))
    return json_response({"ok": True, "decision": decision})
