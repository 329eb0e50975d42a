"""The Vercel project picker (GET and POST /api/vercel/targets).

Sign in with Vercel is an identity grant, not an API-capable integration, so the server
keeps listing and creating Vercel projects switched off: both methods answer 501 before
reading any credential or body.
"""

from __future__ import annotations

from aiohttp import web

from mockplex.call import Call
from mockplex.responses import JsonError

INTEGRATION_REQUIRED = {
    "error": "VERCEL_INTEGRATION_REQUIRED",
    "message": "Vercel project actions require an API-capable Vercel integration and are not available.",
}


async def targets(call: Call) -> web.Response:
    raise JsonError(501, dict(INTEGRATION_REQUIRED))
