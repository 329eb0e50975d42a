"""GET /api/github/installations/{installationId}/org-members: the members of the caller's
organization installation, with the public emails GitHub shows, for a bulk team invite.
GitHub's answer is the world's (world/github_org_members.py); the github_org_members
setting makes GitHub deny or rate-limit the listing, and github_api: failing fails it."""

from __future__ import annotations

import re

from aiohttp import web

from mockplex.call import Call
from mockplex.responses import flat_error, json_response
from mockplex.world.github_org_members import members_of

_DIGITS = re.compile(r"[0-9]+")
GITHUB_REFUSALS = {
    "denied": (403, "GitHub denied the request. The org admin may need to re-accept the App's Members permission.",
               {}),
    "rate_limited": (429, "GitHub rate limited the request. Try again shortly.", {"Retry-After": "60"}),
    "failing": (502, "GitHub request failed", {}),
}


def _github_refusal(call: Call) -> str | None:
    if call.world.outside.github_api == "failing":
        return "failing"
    outcome = call.world.outside.github_org_members
    return outcome if outcome in GITHUB_REFUSALS else None


async def org_members(call: Call) -> web.Response:
    user_id = call.require_user()
    raw_id = call.params["installationId"]
    if not _DIGITS.fullmatch(raw_id):
        raise flat_error(422, "installationId must be numeric")
    installation = call.world.installations.get(int(raw_id))
    if installation is None or installation.user_id != user_id:
        raise flat_error(404, "Installation not found")
    if "org" not in installation.account_type.lower():
        raise flat_error(400, "Installation is not an organization")
    refusal = _github_refusal(call)
    if refusal is not None:
        status, message, headers = GITHUB_REFUSALS[refusal]
        return json_response({"error": message}, status, headers=headers)
    members = [{"login": login, "email": email} for login, email in members_of(installation.account)]
    return json_response({"members": members, "no_email_count": sum(1 for m in members if m["email"] is None)})
