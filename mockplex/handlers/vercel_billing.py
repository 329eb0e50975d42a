"""The account's default Vercel billing project (PATCH /api/profile/vercel-billing).

Clearing it (`projectId: null`) works without a Vercel connection; setting one is switched
off on the server (user-owned Vercel billing needs an API-capable integration), so it
answers 501 before any Vercel token is read.
"""

from __future__ import annotations

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.responses import JsonError, flat_error, json_response
from mockplex.validation import js_trim

INTEGRATION_REQUIRED = JsonError(501, {
    "error": "VERCEL_INTEGRATION_REQUIRED",
    "message": "User-owned Vercel billing requires an API-capable Vercel integration and is not available.",
})


async def set_default_project(call: Call) -> web.Response:
    user = call.world.users[call.require_user()]
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise flat_error(400, "Invalid JSON body")
    if not isinstance(body, dict):
        raise flat_error(400, "Body must be a JSON object")
    if "projectId" not in body:
        raise flat_error(400, "projectId is required (use null to clear)")
    project_id = body["projectId"]
    if project_id is not None:
        if not isinstance(project_id, str):
            raise flat_error(400, "projectId must be a string or null")
        if not js_trim(project_id):
            raise flat_error(400, "projectId must be a non-empty string or null")
        raise INTEGRATION_REQUIRED
    user.account_vercel_project_id = None
    user.account_vercel_team_id = None
    return json_response({"projectId": None, "teamId": None, "projectName": None})
