"""POST /api/webhooks/slack: what the world's Slack app sends the server (Events API
deliveries as JSON, interactivity as a form with a `payload` field), signed with the
app's signing secret: `v0=` + hex HMAC-SHA256 of `v0:{x-slack-request-timestamp}:{body}`,
refused beyond five minutes of the server's clock either way.

An event the server would hand to its Slack task (an app mention, a DM, a thread reply
from a person, with a channel, a user and a ts) is queued on Trigger.dev; without the
runtime (`trigger_runtime: missing`) queueing throws and Slack is told to retry (503)."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.slack_oauth import SLACK_SIGNING_SECRET
from mockplex.responses import flat_error, json_response
from mockplex.validation import js_trim
from mockplex.world.e2e_flows import js_truthy

MAX_BODY_BYTES = 1_000_000
MAX_AGE_SECONDS = 300
FORM_TYPE = "application/x-www-form-urlencoded"
_LEADING_INT = re.compile(r"^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*([+-]?\d+)")


async def receive(call: Call) -> web.Response:
    if call.world.outside.slack == "not_configured":
        raise flat_error(503, "Slack integration not configured")
    # request.text(): UTF-8 with replacement, a leading byte-order mark dropped
    raw = (await call.request.read()).decode("utf-8", "replace").removeprefix("\ufeff")
    if len(raw.encode()) > MAX_BODY_BYTES:
        raise flat_error(413, "Payload too large")
    headers = call.request.headers
    if not _signed(raw, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature"),
                   int(call.now.timestamp())):
        raise flat_error(401, "Invalid signature")
    if FORM_TYPE in headers.get("content-type", ""):
        return _interactivity(raw)
    return _event(call, raw)


def _signed(raw: str, timestamp: str | None, signature: str | None, now_seconds: int) -> bool:
    if not timestamp or not signature:
        return False
    leading = _LEADING_INT.match(timestamp)  # Number.parseInt(timestamp, 10)
    if leading is None or abs(now_seconds - int(leading.group(1))) > MAX_AGE_SECONDS:
        return False
    base = f"v0:{timestamp}:{raw}".encode("utf-8", "surrogateescape")
    expected = "v0=" + hmac.new(SLACK_SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def _interactivity(raw: str) -> web.Response:
    """Acked before the action runs (after the response, its failures swallowed)."""
    fields = parse_qsl(raw.removeprefix("?"), keep_blank_values=True)
    payload_json = next((value for name, value in fields if name == "payload"), "")
    if not payload_json:
        raise flat_error(400, "Missing payload")
    payload = _json_parse(payload_json)
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise flat_error(400, "Invalid payload")
    return json_response({"ok": True})


def _event(call: Call, raw: str) -> web.Response:
    body = _json_parse(raw)
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise flat_error(400, "Invalid payload")
    if body["type"] == "url_verification":
        challenge = body.get("challenge")
        return json_response({} if "challenge" not in body else {"challenge": challenge})
    if body["type"] == "event_callback" and _identified(body) and _queued(body["event"]):
        if call.world.outside.trigger_runtime == "missing":
            raise flat_error(503, "Dispatch failed")
    return json_response({"ok": True})


def _identified(body: dict[str, Any]) -> bool:
    """A team id, an event id and an event type, each a non-blank string: anything less is
    acked and dropped, since Slack would only redeliver it unchanged."""
    event = body.get("event")
    event_type = event.get("type") if isinstance(event, dict) else None
    return all(isinstance(value, str) and js_trim(value) for value in (body.get("team_id"), body.get("event_id"),
                                                                       event_type))


def _queued(event: dict[str, Any]) -> bool:
    """What the server hands its Slack task: a person's app mention, DM or thread reply
    with a channel, a user and a ts."""
    if js_truthy(event.get("bot_id")) or js_truthy(event.get("bot_profile")) or event.get("subtype") == "bot_message":
        return False
    kind, channel_type, thread_ts = event["type"], event.get("channel_type"), event.get("thread_ts")
    direct = channel_type in ("im", "mpim")
    reply = (channel_type in ("channel", "group", "mpim") and isinstance(thread_ts, str) and thread_ts != ""
             and thread_ts != event.get("ts"))
    if not (kind == "app_mention" or (kind == "message" and (direct or reply))):
        return False
    return all(js_truthy(event.get(name)) for name in ("channel", "user", "ts"))


def _json_parse(text: str) -> Any:
    """JSON.parse of text already decoded: a byte-order mark left in it is a syntax error."""
    return jsonio.NOT_JSON if text.startswith("\ufeff") else jsonio.parse_body(text.encode())
