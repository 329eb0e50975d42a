"""A team's audit trail for its managers (`GET /api/teams/{teamId}/audit-events`): newest
first, 25 a page, continued by an opaque keyset cursor over (created_at, id)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.team_access import managing_access
from mockplex.ids import b64url, is_strict_uuid
from mockplex.responses import flat_error, json_response
from mockplex.world.jsonb import jsonb
from mockplex.world.team_audit import TeamAuditEvent

PAGE_SIZE = 25
MAX_UUID = "ffffffff-ffff-ffff-ffff-ffffffffffff"
CURSOR_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
                         r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))")
BASE64_DIGITS = {char: value for value, char in enumerate(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")} | {"-": 62, "_": 63}
CORRELATIONS = (("repoId", "repo_id"), ("sandboxRecordId", "sandbox_record_id"), ("aiCallId", "ai_call_id"),
                ("jobRunId", "job_run_id"), ("requestId", "request_id"), ("authSource", "auth_source"))


class InvalidCursor(Exception):
    pass


def _cursor_moment(value: Any) -> datetime | None:
    """The instant a cursor's date names, when `new Date()` reads it; Postgres then refuses
    what V8 rolls over (the 30th of February): the query's 500."""
    match = CURSOR_DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    fraction = match.group(7) or "0"
    sign, offset_hours, offset_minutes = match.group(8), int(match.group(9) or 0), int(match.group(10) or 0)
    midnight_24 = hour == 24 and minute == second == 0 and not fraction.strip("0")
    if (not 1 <= month <= 12 or not 1 <= day <= 31 or (hour > 23 and not midnight_24) or minute > 59 or second > 59
            or offset_hours > 23 or offset_minutes > 59):
        return None
    try:
        moment = datetime(year, month, day, 0, minute, second, tzinfo=timezone.utc)
    except ValueError:
        raise flat_error(500, "Internal server error") from None
    offset = timedelta(hours=offset_hours, minutes=offset_minutes) * (-1 if sign == "-" else 1)
    micros = round(float(f"0.{fraction}") * 1_000_000)  # Postgres keeps microseconds
    return moment + timedelta(hours=hour, microseconds=micros) - offset


def _node_base64(text: str) -> bytes:
    """Buffer.from(text, "base64url"): either alphabet, other characters skipped, '=' ends it."""
    digits = [BASE64_DIGITS[char] for char in text.split("=", 1)[0] if char in BASE64_DIGITS]
    bits = "".join(f"{digit:06b}" for digit in digits)
    return bytes(int(bits[at:at + 8], 2) for at in range(0, len(bits) - 7, 8))


def read_cursor(raw: str | None) -> tuple[datetime, str] | None:
    """The keyset position a cursor names; a pre-opaque raw timestamp is still accepted."""
    if not raw:
        return None
    parsed = jsonio.parse_body(_node_base64(raw))
    if parsed is jsonio.NOT_JSON or parsed is None:
        moment = _cursor_moment(raw)
        if moment is None:
            raise InvalidCursor
        return moment, MAX_UUID
    fields = parsed if isinstance(parsed, dict) else {}
    moment = _cursor_moment(fields.get("createdAt"))
    cursor_id = fields.get("id")
    if moment is None or not isinstance(cursor_id, str) or not is_strict_uuid(cursor_id):
        raise InvalidCursor
    return moment, cursor_id.lower()


def encode_cursor(event: TeamAuditEvent) -> str:
    text = json.dumps({"createdAt": format_timestamp(event.created_at), "id": event.id}, separators=(",", ":"))
    return b64url(text.encode())


def _event_row(event: TeamAuditEvent) -> dict:
    return {
        "id": event.id, "action": event.action, "decisionCode": event.decision_code,
        "targetType": event.target_type, "targetId": event.target_id, "actorUserId": event.actor_user_id,
        **{key: event.correlations.get(column) for key, column in CORRELATIONS},
        "payload": jsonb(event.payload), "createdAt": format_timestamp(event.created_at),
    }


async def list_audit_events(call: Call) -> web.Response:
    user_id = call.require_user()
    try:
        cursor = read_cursor(call.query("cursor"))
    except InvalidCursor:
        raise flat_error(400, "Invalid cursor") from None
    access = managing_access(call, user_id)
    events = sorted(call.world.team_audit.of_team(access.team_id), key=lambda event: (event.created_at, event.id),
                    reverse=True)
    if cursor is not None:
        events = [event for event in events if (event.created_at, event.id) < cursor]
    page = events[:PAGE_SIZE]
    return json_response({
        "events": [_event_row(event) for event in page],
        "nextCursor": encode_cursor(page[-1]) if len(events) > PAGE_SIZE else None,
        "viewer": {"canManage": True},
    })
