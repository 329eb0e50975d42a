"""POST /api/oauth/decision: the consent page's form (public at the edge). A same-origin,
signed-in user approves or denies an MCP client's pending authorization request; every
answer is a 303. The world's `mcp_oauth_server` setting makes the client admission or
the consent call fail."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from mockplex.call import Call
from mockplex.names import MCP_PATH
from mockplex.responses import flat_error, request_origin
from mockplex.rules.edge import url_origin

AUTHORIZATION_ID = re.compile(r"[A-Za-z0-9_-]{1,512}")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def consent_path(authorization_id: str, decision_error: str | None = None) -> str:
    params = {"authorization_id": authorization_id, **({"decision_error": decision_error} if decision_error else {})}
    return "/oauth/consent?" + urlencode(params)


def _same_origin(call: Call) -> bool:
    expected = request_origin(call.request)
    origin = call.request.headers.get("origin")
    if origin:
        return origin == expected
    referer = call.request.headers.get("referer")
    return bool(referer) and url_origin(referer) == url_origin(expected + "/")


async def _form(call: Call) -> dict[str, Any]:
    """request.formData(): a urlencoded or multipart body, else a 400; first values win."""
    media = call.request.content_type
    if media not in FORM_TYPES:
        raise flat_error(400, "Invalid form")
    try:
        form = await call.request.post()
    except (ValueError, LookupError, AssertionError, web.HTTPException):  # a body the parser refuses
        raise flat_error(400, "Invalid form") from None
    return {name: form.getone(name) for name in form}


async def decide(call: Call) -> web.Response:
    if not _same_origin(call):
        raise flat_error(403, "Forbidden")
    form = await _form(call)
    authorization_id, decision = form.get("authorization_id"), form.get("decision")
    if not isinstance(authorization_id, str) or not AUTHORIZATION_ID.fullmatch(authorization_id) \
            or decision not in ("approve", "deny"):
        raise flat_error(400, "Invalid decision")
    origin = request_origin(call.request)
    identity = call.identity
    if identity is None or identity.kind != "session":  # the server asks Supabase's session cookie only
        return _see_other(f"{origin}/login?next={quote(consent_path(authorization_id), safe='')}")
    world = call.world
    server = world.oauth_authorizations
    request = server.details(authorization_id, identity.user_id, call.now)
    if request is None:
        return _see_other(origin + consent_path(authorization_id, "request_expired"))
    if server.consented(request):  # Supabase approves on sight and hands back the client's redirect
        return _see_other(server.approve(request, world.ids))
    admitted = None
    if decision == "approve":
        if world.outside.mcp_oauth_server == "registration_fails":
            return _see_other(origin + consent_path(authorization_id, "client_registration_failed"))
        admitted = server.admit(request, origin + MCP_PATH, call.now)
    if world.outside.mcp_oauth_server == "consent_fails":
        if admitted is not None:
            server.withdraw(admitted)
        return _see_other(origin + "/oauth/consent?decision_error=consent_failed")
    return _see_other(server.approve(request, world.ids) if decision == "approve" else server.deny(request))
