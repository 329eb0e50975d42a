"""Stripe Checkout and the Customer Portal (POST /api/stripe/checkout, /api/stripe/portal).

Both need billing.manage in a team scope, create the scope's billing account on first
use and answer `{"url": ...}`. A checkout never credits the balance: top-up credit is
posted by Stripe's payment webhook, not by the redirect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.billing import MANAGE_BILLING, BillingScope, billing_enabled, resolve_scope
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response
from mockplex.validation import js_length
from mockplex.world.billing import BillingAccount

PLAN_LOOKUP_KEYS = ("pro_monthly", "pro_annual", "team_monthly", "team_annual", "business_monthly", "business_annual")
TOPUP_PRESETS = {"topup_10": 1000, "topup_25": 2500, "topup_100": 10000, "topup_250": 25000, "topup_500": 50000,
                 "topup_1000": 100000}
TOPUP_MIN_CENTS = 1000
TOPUP_MAX_CENTS = 100000
SAFE_RETURN_PATH = re.compile(r"/[\w\-./]*(?:\?[\w%+.,:=&-]*)?", re.ASCII)
CHECKOUT_ATTEMPT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", re.I)
BILLING_DISABLED = "Billing is not enabled"
TOPUPS_PAUSED = "Top-ups are paused on this account — contact support"
ALREADY_SUBSCRIBED = "This account already has a subscription — manage your plan from the billing portal"
SUBSCRIPTION_SESSION_COMPLETE = ("This Checkout session is already complete — refresh billing to see the updated "
                                 "subscription")
TOPUP_SESSION_UNAVAILABLE = "This Checkout session can no longer be used — try again to create a new session"


@dataclass(frozen=True)
class CheckoutRequest:
    kind: str  # "subscribe" or "topup"
    item: str | int  # the plan or preset lookup key, or a custom amount in cents
    return_path: str
    attempt_id: str | None = None


def sanitize_return_path(value: Any) -> str:
    """Same-app paths only: anything else returns to the root."""
    if (isinstance(value, str) and js_length(value) <= 200 and not value.startswith("//")
            and SAFE_RETURN_PATH.fullmatch(value)):
        return value
    return "/"


def validate_checkout(body: Any) -> CheckoutRequest:
    if not isinstance(body, (dict, list)):  # an array is an object too: it has no kind
        raise flat_error(400, "Invalid request body")
    fields = body if isinstance(body, dict) else {}
    kind, return_path = fields.get("kind"), sanitize_return_path(fields.get("returnPath"))
    if kind == "subscribe":
        plan = fields.get("plan")
        if not isinstance(plan, str) or plan not in PLAN_LOOKUP_KEYS:
            raise flat_error(400, "Unknown plan")
        return CheckoutRequest("subscribe", plan, return_path)
    if kind != "topup":
        raise flat_error(400, "Unknown checkout kind")
    attempt_id, preset = fields.get("attemptId"), fields.get("preset")
    if not isinstance(attempt_id, str) or not CHECKOUT_ATTEMPT_ID.fullmatch(attempt_id):
        raise flat_error(400, "Invalid checkout attempt")
    if isinstance(preset, str):
        if preset not in TOPUP_PRESETS:
            raise flat_error(400, "Unknown top-up preset")
        return CheckoutRequest("topup", preset, return_path, attempt_id)
    return CheckoutRequest("topup", _custom_amount(fields.get("amountCents")), return_path, attempt_id)


def _custom_amount(amount: Any) -> int:
    integral = isinstance(amount, int) or isinstance(amount, float) and amount.is_integer()
    if isinstance(amount, bool) or not integral:
        raise flat_error(400, "Top-up amount must be integer cents")
    if amount < TOPUP_MIN_CENTS:
        raise flat_error(400, f"Minimum top-up is ${TOPUP_MIN_CENTS / 100:.2f}")
    if amount > TOPUP_MAX_CENTS:
        raise flat_error(400, f"Top-ups above ${TOPUP_MAX_CENTS // 100} require a support request")
    return int(amount)


def _managing_scope(call: Call) -> BillingScope:
    """The checks both routes make first: Stripe's key, a caller, billing.manage in a team."""
    if not billing_enabled(call):
        raise flat_error(503, BILLING_DISABLED)
    return resolve_scope(call, call.require_user(), MANAGE_BILLING)


def _account(call: Call, scope: BillingScope) -> BillingAccount:
    return call.world.billing.get_or_create(scope.user_id, scope.team_id, call.world.ids, call.now)


def _stripe_reachable(call: Call) -> None:
    if call.world.outside.stripe == "failing":
        raise EmptyResponse(500)  # the Stripe client throws; the handler does not catch it


async def checkout(call: Call) -> web.Response:
    scope = _managing_scope(call)
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise flat_error(400, "Invalid JSON body")
    request = validate_checkout(body)
    account = _account(call, scope)
    if request.kind == "topup" and account.status == "frozen_topups":
        raise flat_error(403, TOPUPS_PAUSED)
    _stripe_reachable(call)
    customer = call.world.billing.ensure_customer(account, call.world.ids)
    if request.kind == "subscribe" and account.tier != "free":
        raise flat_error(409, ALREADY_SUBSCRIBED)
    if request.kind == "subscribe":
        key = f"billing-subscribe:{account.id}:{account.subscription_checkout_generation}"
    else:
        key = f"billing-topup:{account.id}:{request.attempt_id}"
    session = call.world.billing.checkout(key, (customer, request.item, request.return_path), call.world.ids)
    if session is None:
        raise EmptyResponse(500)  # Stripe refuses a key reused with different parameters
    if call.world.outside.stripe == "sessions_closed":
        if request.kind == "subscribe":
            raise flat_error(409, SUBSCRIPTION_SESSION_COMPLETE)
        raise JsonError(409, {"error": TOPUP_SESSION_UNAVAILABLE, "code": "checkout_session_unavailable"})
    return json_response({"url": session.url})


async def portal(call: Call) -> web.Response:
    account = _account(call, _managing_scope(call))
    if not account.stripe_customer_id:
        raise flat_error(404, "No billing history yet")
    # The body's returnPath only reaches Stripe's session (its return URL), and a body
    # that is not JSON falls back to the root: nothing the caller sees depends on it.
    _stripe_reachable(call)
    return json_response({"url": call.world.billing.portal_url(call.world.ids)})
