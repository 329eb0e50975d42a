"""POST /api/webhooks/stripe: Stripe's events, signed with the endpoint's signing secret.

The `stripe-signature` header is `t={unix seconds},v1={hex}`: HMAC-SHA256 of
`{t}.{raw body}` with the secret, refused when more than five minutes old (a timestamp
in the future is not refused, as Stripe's library does not). The event id is claimed
before the event is handled: a delivery of a processed event is acknowledged as a
duplicate, one of an event still being handled (or whose handling failed, within ten
minutes) is refused so that Stripe retries it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.stripe_events import ProcessingFailed, StripeEventEffects
from mockplex.jsonio import js_float_text
from mockplex.responses import EmptyResponse, flat_error, json_response

# The world's Stripe webhook endpoint secret (the server's STRIPE_WEBHOOK_SECRET).
STRIPE_WEBHOOK_SECRET = "whsec_mockplex_dev_0001"
TOLERANCE_SECONDS = 300
WITHOUT_WEBHOOK = ("not_configured", "webhook_secret_missing")
# parseInt(text, 10): JavaScript's leading whitespace, a sign, digits.
_LEADING_DIGITS = re.compile(r"[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*"
                             r"([+-]?)(\d*)")


class InvalidSignature(Exception):
    pass


async def receive(call: Call) -> web.Response:
    if call.world.outside.stripe in WITHOUT_WEBHOOK:
        raise flat_error(503, "Billing is not enabled")
    signature = ", ".join(call.request.headers.getall("stripe-signature", []))
    if not signature:
        raise flat_error(400, "Missing signature")
    # request.text(): UTF-8 with replacement, a leading byte-order mark dropped
    payload = (await call.request.read()).decode("utf-8", "replace").removeprefix("\ufeff")
    try:
        event = construct_event(payload, signature, int(call.now.timestamp()))
    except InvalidSignature:
        raise flat_error(400, "Invalid signature") from None
    state = call.world.stripe_webhooks
    if isinstance(event, dict):
        state.learn(_field(event.get("data"), "object"))
    event_id, event_type = _claim_columns(event)
    claim = state.claim(event_id, event_type, call.now)
    if claim == "processed":
        return json_response({"received": True, "duplicate": True})
    if claim == "in_progress":
        raise flat_error(409, "Event processing is already in progress")
    try:
        StripeEventEffects(call.world, call.now).apply(event)
    except ProcessingFailed:
        raise flat_error(500, "Processing failed") from None  # the claim stays unprocessed
    state.mark_processed(event_id, call.now)
    return json_response({"received": True})


def construct_event(payload: str, header: str, now_seconds: int) -> Any:
    """Stripe's constructEventAsync: the header, the signature, its age, then the JSON."""
    if not payload:
        raise InvalidSignature("No webhook payload was provided.")
    timestamp, signatures = _parse_header(header)
    if timestamp == -1:
        raise InvalidSignature("Unable to extract timestamp and signatures from header")
    if not signatures:
        raise InvalidSignature("No signatures found with expected scheme")
    signed = f"{_number_text(timestamp)}.{payload}".encode("utf-8", "surrogatepass")
    expected = hmac.new(STRIPE_WEBHOOK_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    if not any(candidate is not None and hmac.compare_digest(expected.encode(), candidate.encode("utf-8", "replace"))
               for candidate in signatures):
        raise InvalidSignature("No signatures found matching the expected signature for payload.")
    if now_seconds - timestamp > TOLERANCE_SECONDS:  # NaN never is
        raise InvalidSignature("Timestamp outside the tolerance zone")
    try:
        event = json.loads(payload, parse_constant=_not_json)
    except (ValueError, RecursionError):
        raise InvalidSignature("not JSON") from None
    if isinstance(event, dict) and event.get("object") == "v2.core.event":
        raise InvalidSignature("a thin event notification")
    return event


def _parse_header(header: str) -> tuple[float, list[str | None]]:
    timestamp, signatures = -1.0, []
    for item in header.split(","):
        key, *rest = item.split("=")
        value = rest[0] if rest else None
        if key == "t":
            timestamp = _parse_int(value)
        if key == "v1":
            signatures.append(value)
    return timestamp, signatures


def _parse_int(text: str | None) -> float:
    match = _LEADING_DIGITS.match(text or "")
    if text is None or not match.group(2):
        return math.nan
    try:
        number = float(int(match.group(2)))
    except OverflowError:
        number = math.inf
    return -number if match.group(1) == "-" else number


def _number_text(number: float) -> str:
    """String(number) for parseInt's result."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return str(int(number)) if abs(number) < 2 ** 53 else js_float_text(number)


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _field(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _claim_columns(event: Any) -> tuple[str, str]:
    """The billing_events row: reading a field of null throws, and a missing id or type
    (or text Postgres refuses in the jsonb payload) fails the insert: Next's empty 500."""
    if event is None:
        raise EmptyResponse(500)
    columns = [_field(event, "id"), _field(event, "type")]
    if any(value is None for value in columns) or not _jsonb_storable(event):
        raise EmptyResponse(500)
    return tuple(value if isinstance(value, str) else json.dumps(value, separators=(",", ":")) for value in columns)


def _jsonb_storable(value: Any) -> bool:
    """jsonb refuses \\u0000 and lone surrogates in any string."""
    if isinstance(value, str):
        return "\x00" not in value and not any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return all(_jsonb_storable(key) and _jsonb_storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_jsonb_storable(item) for item in value)
    return True
