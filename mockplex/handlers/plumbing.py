"""System plumbing (internal spec §2.6): machine routes, webhooks, the Playwright-mode
flows store and the retired migrate route, answered as the server's handlers answer.
What lies past a point the world cannot reach (a GitHub sync, a flow dispatch) is
reported as unmodeled."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from aiohttp import web

from mockplex import jsonio, state
from mockplex.call import Call
from mockplex.handlers.unmodeled import not_modeled
from mockplex.ids import pg_uuid
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.rules.edge import configured, e2e_authorized
from mockplex.world.e2e_flows import js_field, js_truthy

FLOW_WEBHOOK_MAX_BYTES = 1_000_000
JOB_RUN_CANCELLED = "JOB_RUN_CANCELLED"
# GitHub events the server syncs state for, and those it routes to flows.
GITHUB_SYNC_EVENTS = frozenset({"installation", "installation_repositories", "repository"})
GITHUB_FLOW_EVENTS = frozenset({"pull_request", "push", "issues", "check_run", "workflow_run", "issue_comment",
                                "pull_request_review_comment", "commit_comment"})


# -- machine routes: the cron secret is checked at the gate ------------------------------------

async def process_job(call: Call) -> web.Response:
    """POST /api/jobs/process: a repair start of one job run."""
    return await _start_job_run(call, "jobId", "JOB_NOT_FOUND")


async def review_job(call: Call) -> web.Response:
    """POST /api/agent/review: a manual-retry start of one job run."""
    return await _start_job_run(call, "jobRunId", "Job not found")


async def _start_job_run(call: Call, field: str, not_found: str) -> web.Response:
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)  # the handler destructures the parsed body unguarded
    value = body.get(field) if isinstance(body, dict) else None
    if not js_truthy(value):
        raise flat_error(400, f"Missing {field}")
    text = _js_string(value)
    job_id = pg_uuid(text)
    if job_id is None:
        raise flat_error(500, f'Failed to load job run: invalid input syntax for type uuid: "{text}"')
    run = call.world.flows.job_runs.get(job_id)
    if run is None:
        raise flat_error(404, not_found)
    run.advance(call.now)
    if run.status == "pending":
        return await not_modeled(call)  # the world's job runs start when they are queued
    provider = "trigger" if run.runtime_run_id else None
    reason = JOB_RUN_CANCELLED if run.status == "cancelled" else None
    return json_response({"ok": True, "started": False, "deferred": False, "reason": reason, "status": run.status,
                          "runtimeProvider": provider, "runtimeRunId": run.runtime_run_id, "workflowRunId": None})


def _js_string(value: Any) -> str:
    """String(value) for a parsed JSON value, as the query builder writes it into the filter."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return jsonio.dumps(value).decode()
    if isinstance(value, list):
        return ",".join("" if item is None else _js_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return value


# -- webhooks -------------------------------------------------------------------------------------

def _signed(secret: str, payload: bytes, signature: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode())


async def github_webhook(call: Call) -> web.Response:
    """Without GITHUB_WEBHOOK_SECRET the server checks the signature against the delivery's
    repo rows, and skips a delivery for a repo it does not know."""
    headers = call.request.headers
    payload = (await call.request.read()).decode("utf-8", "replace").encode()
    signature = headers.get("x-hub-signature-256", "")
    secret = configured(call.request.app[state.SETTINGS].github_webhook_secret)
    if secret and not _signed(secret, payload, signature):
        raise flat_error(401, "Invalid signature")
    body = jsonio.parse_body(payload)
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)
    if not secret:
        if not _webhook_repos(call, body):
            return json_response({"ok": True, "skipped": True})
        raise flat_error(401, "Invalid signature")  # the world's repos hold no webhook secret
    event = headers.get("x-github-event")
    if event in GITHUB_FLOW_EVENTS or (event in GITHUB_SYNC_EVENTS and _may_sync(event, body)):
        return await not_modeled(call)
    return json_response({"ok": True, "skipped": True, "flow_waits": None,
                          "sync": {"handled": False, "matchedUsers": 0}})


def _webhook_repos(call: Call, body: Any) -> list:
    repo_id = js_field(js_field(body, "repository"), "id")
    if isinstance(repo_id, bool) or not isinstance(repo_id, (int, float)) or not repo_id:
        return []
    installation = js_field(js_field(body, "installation"), "id")
    repos = [repo for repo in call.world.repos.values() if repo.github_id == repo_id]
    if not js_truthy(installation):
        return repos
    return [repo for repo in repos if str(repo.installation_id) == _js_string(installation).strip()]


def _may_sync(event: str, body: Any) -> bool:
    """Whether the server's sync plan could be more than none: it needs a finite
    installation id (Number(undefined) and Number of an object are NaN)."""
    installation = js_field(body, "installation")
    if not isinstance(installation, dict) or "id" not in installation or isinstance(installation["id"], dict):
        return False
    return event != "repository" or bool(js_field(body, "repository"))


async def flow_webhook(call: Call) -> web.Response:
    headers = call.request.headers
    delivery = headers.get("x-mogplex-delivery", "").strip()
    if not delivery or len(delivery) > 200:
        raise flat_error(400, "Missing or invalid x-mogplex-delivery")
    declared = call.request.content_length
    raw = await call.request.read()
    if declared is not None and declared > FLOW_WEBHOOK_MAX_BYTES or len(raw) > FLOW_WEBHOOK_MAX_BYTES:
        raise flat_error(413, "Payload too large")
    flow_id = pg_uuid(call.params["id"])
    if flow_id is None:
        raise EmptyResponse(500)  # the secret lookup takes a uuid; Postgres refuses the text
    automation = call.world.flows.automations.get(flow_id)
    if automation is None or not automation.webhook_secret:
        raise flat_error(404, "Webhook is not configured")
    # A fixture flow's secret was never handed out, so no delivery can carry its signature.
    text = raw.decode("utf-8", "replace")
    if not automation.signing_secret or not _signed(automation.signing_secret, text.encode(),
                                                    headers.get("x-mogplex-signature", "")):
        raise flat_error(401, "Invalid signature")
    payload = jsonio.parse_body(text.encode())
    if payload is jsonio.NOT_JSON:
        raise flat_error(400, "Payload must be valid JSON")
    if not isinstance(payload, dict):
        raise flat_error(400, "Payload must be a JSON object")
    result = call.world.flows.dispatch(automation.id, "webhook", f"flow-webhook:{call.params['id']}:{delivery}",
                                       payload, call.world.repos.values(), "webhook", call.now)
    if not result["matched"]:
        raise flat_error(404, "Active webhook workflow not found")
    return json_response(result, 202 if result["outcome"] == "queued" else 200)


# -- the Playwright-mode flows store --------------------------------------------------------------

def _e2e_access(call: Call) -> None:
    if not call.request.app[state.SETTINGS].test_mode:
        raise flat_error(404, "Not found")
    if not e2e_authorized(call.request):
        raise flat_error(401, "Unauthorized")


async def e2e_flows_snapshot(call: Call) -> web.Response:
    _e2e_access(call)
    return json_response(call.world.e2e_flows.snapshot())


async def e2e_flows_seed(call: Call) -> web.Response:
    _e2e_access(call)
    body = await call.body()
    body = {} if body is jsonio.NOT_JSON else body
    seed = js_field(body, "state")
    return json_response(call.world.e2e_flows.reset(seed if js_truthy(seed) else body))


async def e2e_flows_reset(call: Call) -> web.Response:
    _e2e_access(call)
    return json_response(call.world.e2e_flows.reset())


async def retired(call: Call) -> web.Response:
    raise flat_error(404, "Not found")
