"""Settings → Billing (GET /api/billing): the scope's tier, status and ledger balance, and
the product-scope resolution every billing route shares.

The billing routes ask for Stripe's key before anything else: without it the summary is
`{"enabled": false}` and the Stripe routes 503, whoever is calling.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from mockplex.call import Call
from mockplex.ids import is_strict_uuid
from mockplex.responses import flat_error, json_response
from mockplex.validation import js_trim
from mockplex.world.teams import has_capability

MANAGE_BILLING = "billing.manage"
NO_BALANCE = {"includedCents": 0, "purchasedCents": 0, "totalCents": 0}


@dataclass(frozen=True)
class BillingScope:
    user_id: str
    team_id: str | None  # None: the caller's personal scope
    can_manage: bool


def billing_enabled(call: Call) -> bool:
    return call.world.outside.stripe != "not_configured"


def resolve_scope(call: Call, user_id: str, required: str | None = None) -> BillingScope:
    """resolveProductResourceScope: a well-formed x-mogplex-team-id picks that team (the
    caller must be a member, holding `required` when asked); anything else is personal."""
    team_id = js_trim(call.request.headers.get("x-mogplex-team-id", ""))
    if not is_strict_uuid(team_id):
        return BillingScope(user_id, None, True)
    team_id = team_id.lower()
    role = call.world.teams.role_of(user_id, team_id)
    if role is None or (required is not None and not has_capability(role, required)):
        raise flat_error(403, "Forbidden")
    return BillingScope(user_id, team_id, has_capability(role, MANAGE_BILLING))


async def summary(call: Call) -> web.Response:
    if not billing_enabled(call):
        return json_response({"enabled": False})
    user_id = call.require_user()
    scope = resolve_scope(call, user_id)
    account = call.world.billing.for_scope(user_id, scope.team_id)
    return json_response({
        "enabled": True,
        "canManageBilling": scope.can_manage,
        "tier": account.tier if account else "free",
        "status": account.status if account else "active",
        "hasSubscription": bool(account and account.stripe_subscription_id),
        "hasStripeCustomer": bool(account and account.stripe_customer_id),
        "balance": account.balance() if account else dict(NO_BALANCE),
    })
