"""The effects of the Stripe events the server handles, on the world's billing accounts
and ledger, read from the event's parsed JSON as the server's JavaScript reads it: a
field of null throws, a missing field is undefined. Anything the server's handler would
throw (a TypeError, a Stripe object Stripe does not have, a refused write, a top-up
without its credit stamp) raises ProcessingFailed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mockplex import jsonio
from mockplex.ids import pg_uuid
from mockplex.jsvalues import JS_EPOCH, js_number, js_string, js_truthy
from mockplex.world.billing import BillingAccount, LedgerEntry
from mockplex.world import billing_writes as writes

UNDEFINED = object()
PLAN_TIERS = {"pro_monthly": "pro", "pro_annual": "pro", "team_monthly": "team", "team_annual": "team",
              "business_monthly": "business", "business_annual": "business"}
INCLUDED_CENTS = {"pro": 2000, "team": 10000, "business": 20000}
MAX_JS_DATE_MS = 8.64e15


class ProcessingFailed(Exception):
    pass


# -- JavaScript reads of parsed JSON -------------------------------------------------------------

def get(value: Any, key: str | int) -> Any:
    """`value.key`: throws on null and undefined."""
    if value is None or value is UNDEFINED:
        raise ProcessingFailed(f"Cannot read properties of {js_text(value)} (reading '{key}')")
    if isinstance(value, dict) and isinstance(key, str):
        return value.get(key, UNDEFINED)
    if isinstance(value, list) and isinstance(key, int):
        return value[key] if key < len(value) else UNDEFINED
    return UNDEFINED


def maybe(value: Any, key: str | int) -> Any:
    """`value?.key`."""
    return UNDEFINED if value is None or value is UNDEFINED else get(value, key)


def truthy(value: Any) -> bool:
    return value is not UNDEFINED and js_truthy(value)


def js_text(value: Any) -> str:
    """`${value}`."""
    return "undefined" if value is UNDEFINED else js_string(value)


def customer_id_of(customer: Any) -> Any:
    if not truthy(customer):
        return None
    return customer if isinstance(customer, str) else get(customer, "id")


def stored_text(value: Any) -> str | None:
    """A JSON value written to a text column: strings as they are, anything else as its JSON."""
    if value is None or value is UNDEFINED or isinstance(value, str):
        return None if value is UNDEFINED else value
    return jsonio.dumps(value).decode()


@dataclass(frozen=True)
class Plan:
    lookup_key: str
    tier: str
    included_cents: int


def find_plan(lookup_key: Any) -> Plan | None:
    if not truthy(lookup_key) or not isinstance(lookup_key, str) or lookup_key not in PLAN_TIERS:
        return None
    tier = PLAN_TIERS[lookup_key]
    return Plan(lookup_key, tier, INCLUDED_CENTS[tier])


# -- the events --------------------------------------------------------------------------------

class StripeEventEffects:
    def __init__(self, world: Any, now: datetime) -> None:
        self.world, self.billing, self.now = world, world.billing, now
        self.stripe = world.stripe_webhooks

    def apply(self, event: dict[str, Any]) -> None:
        handlers = {"checkout.session.completed": self.checkout_completed, "invoice.paid": self.invoice_paid,
                    "payment_intent.succeeded": self.payment_intent_succeeded,
                    "customer.subscription.updated": self.sync_subscription,
                    "customer.subscription.deleted": self.sync_subscription,
                    "charge.refunded": self.charge_refunded, "charge.dispute.created": self.dispute_created}
        event_type = event.get("type")
        if event_type == "invoice.payment_failed":
            self.invoice_payment_failed(get(get(event, "data"), "object"), get(event, "created"))
        elif isinstance(event_type, str) and event_type in handlers:
            handlers[event_type](get(get(event, "data"), "object"))
        # any other type is acknowledged and ignored

    # lookups and writes, failing where the server's database call throws

    def account_by_id(self, account_id: Any) -> BillingAccount | None:
        canonical = pg_uuid(js_text(account_id))
        if canonical is None:
            raise ProcessingFailed("billing_accounts lookup failed: invalid input syntax for type uuid")
        return writes.by_id(self.billing, canonical)

    def customer_account(self, stripe_object: Any) -> BillingAccount | None:
        """The account linked to the object's Stripe customer, if it names one."""
        customer_id = customer_id_of(get(stripe_object, "customer"))
        return writes.by_customer(self.billing, js_text(customer_id)) if truthy(customer_id) else None

    def topup_account(self, intent: Any, metadata_optional: bool) -> BillingAccount | None:
        """A top-up payment's account: `metadata.kind` (or `metadata?.kind`), then its account id."""
        metadata = get(intent, "metadata")
        if (maybe if metadata_optional else get)(metadata, "kind") != "topup":
            return None
        account_id = get(metadata, "billing_account_id")
        return self.account_by_id(account_id) if truthy(account_id) else None

    def update(self, account: BillingAccount, **changes: Any) -> None:
        try:
            writes.update(self.billing, account, self.now, **changes)
        except writes.BillingWriteFailed as refused:
            raise ProcessingFailed(f"billing_accounts update failed: {refused}") from refused

    def retrieve(self, kind: str, object_id: Any) -> dict[str, Any]:
        found = None if self.world.outside.stripe == "failing" else self.stripe.retrieve(kind, object_id)
        if found is None:
            raise ProcessingFailed(f"No such {kind}: '{js_text(object_id)}'")
        return found

    def post(self, account: BillingAccount, entry: LedgerEntry) -> bool:
        return writes.post(self.billing, account, entry)

    # the handlers

    def checkout_completed(self, session: Any) -> None:
        # A top-up (mode=payment) credits on payment_intent.succeeded, never on completion.
        if get(session, "mode") != "subscription":
            return
        account_id, customer_id = get(session, "client_reference_id"), customer_id_of(get(session, "customer"))
        if not truthy(account_id) or not truthy(customer_id):
            return
        account = self.account_by_id(account_id)
        if account is None or account.stripe_customer_id:
            return  # an old completion never replaces a current customer link
        self.update(account, stripe_customer_id=stored_text(customer_id))

    def invoice_paid(self, invoice: Any) -> None:
        account = self.customer_account(invoice)
        if account is None:
            return
        reference = maybe(maybe(get(invoice, "parent"), "subscription_details"), "subscription")
        subscription_id = reference if isinstance(reference, str) else maybe(reference, "id")
        if not truthy(subscription_id):
            return  # a one-off invoice
        subscription = self.retrieve("subscription", subscription_id)
        item = get(get(get(subscription, "items"), "data"), 0)
        plan = find_plan(lookup_key_of(item))
        if plan is None or not truthy(item):
            raise ProcessingFailed(f"paid invoice {js_text(get(invoice, 'id'))} references an unknown price")
        period_start = js_date(js_number(_defined(get(item, "current_period_start"))) * 1000)
        period = period_start.strftime("%Y-%m")
        sub_id = js_text(get(subscription, "id"))
        granted = writes.post_period_grant(self.billing, account, plan.included_cents,
                                           f"grant:{account.id}:{period}:{sub_id}",
                                           f"grantexp:{account.id}:{period}:{sub_id}")
        prior = INCLUDED_CENTS.get(account.tier)
        if (not granted and account.tier not in ("free", plan.tier) and prior is not None
                and plan.included_cents > prior):
            # a same-period upgrade: only the entitlement's difference
            self.post(account, LedgerEntry("included", "grant_adjustment", plan.included_cents - prior,
                                           f"grantadj:{account.id}:{sub_id}:{period}:{plan.lookup_key}"))
        changes = {"tier": plan.tier, "period_anchor": period_start.strftime("%Y-%m-%d")}
        changes.update(self._subscription_id(get(subscription, "id")))
        if account.status != "frozen_topups":  # a dispute freeze outlives a renewal
            changes["status"] = "active"
        self.update(account, **changes)

    def invoice_payment_failed(self, invoice: Any, event_created: Any) -> None:
        account = self.customer_account(invoice)
        if account is None:
            return
        updated = math.floor((account.updated_at or account.created_at).timestamp() * 1000) / 1000
        if event_created is not UNDEFINED and updated > js_number(event_created):
            return  # an older failure than the account's last change
        if account.status != "frozen_topups":
            self.update(account, status="past_due")

    def payment_intent_succeeded(self, intent: Any) -> None:
        account = self.topup_account(intent, metadata_optional=True)
        if account is None:
            return
        credit = stamped_credit(intent)
        self.post(account, LedgerEntry("purchased", "topup", credit, f"topup:{js_text(get(intent, 'id'))}"))

    def sync_subscription(self, subscription: Any) -> None:
        account = self.customer_account(subscription)
        if account is None:
            return
        if get(subscription, "status") == "canceled":
            source = f"grantexp:{account.id}:cancel:{js_text(get(subscription, 'id'))}"
            writes.expire_included(self.billing, account, source, self.now)
            changes = {"tier": "free", "stripe_subscription_id": None}
            if account.status != "frozen_topups":
                changes["status"] = "active"
            self.update(account, **changes)
            return
        if find_plan(lookup_key_of(get(get(get(subscription, "items"), "data"), 0))) is None:
            raise ProcessingFailed(f"subscription {js_text(get(subscription, 'id'))} references an unknown price")
        # invoice.paid, not this update, changes the tier once the invoice is paid
        self.update(account, **self._subscription_id(get(subscription, "id")))

    def charge_refunded(self, charge: Any) -> None:
        reference = get(charge, "payment_intent")
        intent_id = reference if isinstance(reference, str) else maybe(reference, "id")
        if not truthy(intent_id):
            return
        intent = self.retrieve("payment_intent", intent_id)
        account = self.topup_account(intent, metadata_optional=False)
        if account is None:
            return
        credited, gross = stamped_credit(intent), get(intent, "amount_received")
        refunds = sorted((refund for refund in self.stripe.refunds_of(get(charge, "id"))
                          if refund.get("status") == "succeeded"),
                         key=lambda refund: (js_number(refund.get("created")), js_text(refund.get("id", UNDEFINED))))
        for refund, reversal in zip(refunds, reversals(refunds, credited, gross), strict=True):
            self.post(account, LedgerEntry("purchased", "refund", -reversal if reversal else 0,
                                           f"refund:{js_text(refund.get('id', UNDEFINED))}"))

    def dispute_created(self, dispute: Any) -> None:
        reference = get(dispute, "charge")
        charge = self.retrieve("charge", reference if isinstance(reference, str) else get(reference, "id"))
        account = self.customer_account(charge)
        if account is not None:
            self.update(account, status="frozen_topups")  # top-ups only, until adjudication

    @staticmethod
    def _subscription_id(value: Any) -> dict[str, Any]:
        """An undefined id drops out of the update's JSON."""
        return {} if value is UNDEFINED else {"stripe_subscription_id": stored_text(value)}


def lookup_key_of(item: Any) -> Any:
    """`item?.price.lookup_key`."""
    return UNDEFINED if item is None or item is UNDEFINED else get(get(item, "price"), "lookup_key")


def stamped_credit(intent: Any) -> int:
    """metadata.credit_cents, the pre-tax credit stamped at checkout: a positive integer."""
    credit = js_number(_defined(get(get(intent, "metadata"), "credit_cents")))
    if not math.isfinite(credit) or not credit.is_integer() or credit <= 0:
        raise ProcessingFailed(f"top-up PaymentIntent {js_text(get(intent, 'id'))} has no valid credit_cents stamp")
    return int(credit)


def reversals(refunds: list[dict[str, Any]], credited: int, gross: Any) -> list[int]:
    """Each succeeded refund's share of the credited (pre-tax) amount, cumulatively rounded."""
    gross_cents = js_number(_defined(gross))
    total_refunded, total_reversed, shares = 0.0, 0, []
    for refund in refunds:
        total_refunded += js_number(_defined(refund.get("amount", UNDEFINED)))
        if gross_cents > 0:
            target = math.floor(min(total_refunded, gross_cents) * credited / gross_cents + 0.5)
        else:
            target = total_refunded
        shares.append(target - total_reversed)
        total_reversed = target
    for share in shares:
        if not math.isfinite(share) or not float(share).is_integer():
            raise ProcessingFailed(f"ledger delta must be integer cents, got {share}")
    return [int(share) for share in shares]


def js_date(milliseconds: float) -> datetime:
    """new Date(ms), which toISOString refuses when invalid."""
    if not math.isfinite(milliseconds) or abs(milliseconds) > MAX_JS_DATE_MS:
        raise ProcessingFailed("Invalid time value")
    try:
        return JS_EPOCH + timedelta(milliseconds=math.trunc(milliseconds))
    except OverflowError as beyond:  # years JavaScript writes with six digits
        raise ProcessingFailed("date beyond the world's calendar") from beyond


def _defined(value: Any) -> Any:
    """Number(undefined) is NaN."""
    return float("nan") if value is UNDEFINED else value
