"""GitHub App installations attached to a team: /api/teams/{teamId}/installations and
/installations/{installationId}. A team manager attaches one of their own installations
(one team at a time); any manager of the team may detach it, whoever attached it."""

from __future__ import annotations

import math
import re
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.team_access import managing_access, record_team_event
from mockplex.handlers.web_bodies import guarded_fields
from mockplex.jsvalues import js_string
from mockplex.responses import flat_error, json_response
from mockplex.world.database_errors import invalid_input
from mockplex.world.records import Installation

_DIGITS = re.compile(r"[0-9]+")
_INTEGER_TEXT = re.compile(r"-?[0-9]+")
BIGINT_MAX = 2**63 - 1


def _attached(installation: Installation, team_id: str) -> dict[str, Any]:
    return {"id": installation.row_id, "installation_id": installation.id, "account_login": installation.account,
            "account_type": installation.account_type, "target_type": installation.account_type,
            "product_team_id": team_id, "attached_by_user_id": installation.user_id}


def _audit_payload(installation: Installation) -> dict[str, Any]:
    return {"installation_id": installation.id, "account_login": installation.account}


async def list_team_installations(call: Call) -> web.Response:
    user_id = call.require_user()
    access = managing_access(call, user_id)
    world = call.world
    attached = [_attached(world.installations[installation_id], access.team_id)
                for installation_id in world.team_settings.attached_to(access.team_id)]
    return json_response({"installations": attached})


def _requested_number(value: Any) -> float:
    """A JSON number as given, a string of digits as its Number; anything else NaN."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # JSON.parse reads a huge literal as Infinity
            return math.inf
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return float(value)
    return math.nan


def _bigint(number: float) -> int:
    """How Postgres reads the number's text in `.eq("installation_id", n)`: a fraction or an
    exponent is bad input, a value past bigint is out of range (both the lookup's 500)."""
    text = js_string(number)
    if not _INTEGER_TEXT.fullmatch(text):
        raise flat_error(500, invalid_input("bigint", text))
    if abs(int(text)) > BIGINT_MAX:
        raise flat_error(500, f'value "{text}" is out of range for type bigint')
    return int(text)


async def attach_installation(call: Call) -> web.Response:
    user_id = call.require_user()
    access = managing_access(call, user_id)
    number = _requested_number((await guarded_fields(call)).get("installation_id"))
    if not math.isfinite(number):
        raise flat_error(422, "installation_id must be a positive integer")
    installation = call.world.installations.get(_bigint(number))
    if installation is None or installation.user_id != user_id:
        raise flat_error(404, "Installation not found for this user")
    settings = call.world.team_settings
    current = settings.team_of(installation.id)
    # The stored id is compared with the path's text as given, and the answer echoes that
    # text: an upper-case or brace-wrapped id of the same team reads as a different team.
    as_given = call.params["teamId"]
    if current is not None and current != as_given:
        raise flat_error(409, "Installation is already attached to a different team")
    if current is None:
        settings.attach(installation.id, access.team_id)
        record_team_event(call, access.team_id, user_id, "team.installation.attached", "github_installation",
                          installation.row_id, _audit_payload(installation))
    return json_response({"attached": _attached(installation, as_given)}, 200 if current else 201)


async def detach_installation(call: Call) -> web.Response:
    user_id = call.require_user()
    number = _requested_number(call.params["installationId"])
    if not math.isfinite(number):
        raise flat_error(422, "installationId must be numeric")
    access = managing_access(call, user_id)
    installation_id = _bigint(number)
    settings = call.world.team_settings
    if settings.team_of(installation_id) != access.team_id:
        raise flat_error(404, "Installation not attached to this team")
    installation = call.world.installations[installation_id]
    settings.detach(installation_id)
    record_team_event(call, access.team_id, user_id, "team.installation.detached", "github_installation",
                      installation.row_id, _audit_payload(installation))
    return json_response({"detached": True})
