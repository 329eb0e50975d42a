"""System plumbing (internal spec §2.6): refused exactly as the real server refuses an
unsigned or unauthorized caller. What lies past a valid signature is not modeled."""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from mockplex import state
from mockplex.call import Call
from mockplex.handlers.unmodeled import not_modeled
from mockplex.responses import flat_error, json_response
from mockplex.rules.edge import e2e_authorized


async def process_job(call: Call) -> web.Response:
    """POST /api/jobs/process and /api/agent/review, behind the cron secret at the gate."""
    body = await call.body()
    job_id = body.get("jobId") if isinstance(body, dict) else None
    if not job_id:
        raise flat_error(400, "Missing jobId")
    if job_id not in call.world.flows.job_runs:
        raise flat_error(404, "JOB_NOT_FOUND")
    return await not_modeled(call)


async def github_webhook(call: Call) -> web.Response:
    secret = call.request.app[state.SETTINGS].github_webhook_secret
    raw = await call.request.read()
    if not secret:
        return json_response({"ok": True, "skipped": True})
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    given = call.request.headers.get("x-hub-signature-256", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise flat_error(401, "Invalid signature")
    return json_response({"ok": True})


async def stripe_webhook(call: Call) -> web.Response:
    raise flat_error(503, "Billing is not enabled")


async def slack_webhook(call: Call) -> web.Response:
    raise flat_error(503, "Slack integration not configured")


async def flow_webhook(call: Call) -> web.Response:
    delivery = call.request.headers.get("x-mogplex-delivery", "")
    if not 1 <= len(delivery) <= 200:
        raise flat_error(400, "Missing or invalid x-mogplex-delivery")
    automation = call.world.flows.automations.get(call.params["id"])
    if automation is None or not automation.webhook_secret:
        raise flat_error(404, "Webhook is not configured")
    return await not_modeled(call)


async def e2e_flows(call: Call) -> web.Response:
    if not call.request.app[state.SETTINGS].test_mode:
        raise flat_error(404, "Not found")
    if not e2e_authorized(call.request):
        raise flat_error(401, "Unauthorized")
    return await not_modeled(call)


async def retired(call: Call) -> web.Response:
    raise flat_error(404, "Not found")
