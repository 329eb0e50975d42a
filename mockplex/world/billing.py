"""Billing: one account per scope (a user's personal scope or a product team), its
append-only credit ledger, and the Stripe objects the server creates for it.

The server keeps these in `billing_accounts` and `credit_ledger`; a balance is the sum of
the ledger by bucket. Stripe is played here: customers, Checkout sessions (one per
idempotency key, as Stripe replays a key) and Customer Portal sessions, each answering a
plausible URL on an invented host. Credit only ever comes from Stripe's webhook, never
from a checkout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mockplex.ids import IdGenerator
from mockplex.world.fixtures import Entry

TIERS = ("free", "pro", "team", "business")
STATUSES = ("active", "past_due", "frozen_topups")
BUCKETS = ("included", "purchased")
LEDGER_KINDS = ("grant", "grant_adjustment", "grant_expiry", "topup", "usage_tokens", "usage_sandbox", "refund",
                "adjustment", "beta_credit")
CHECKOUT_HOST = "https://checkout.stripe.mock/c/pay/"
PORTAL_HOST = "https://billing.stripe.mock/p/session/"


@dataclass(frozen=True)
class LedgerEntry:
    bucket: str
    kind: str
    delta_cents: int
    source_ref: str


@dataclass
class BillingAccount:
    id: str
    owner_user_id: str | None  # set for a personal account
    product_team_id: str | None  # set for a team account
    created_at: datetime
    stripe_customer_id: str | None = None
    stripe_subscription_id: str | None = None
    tier: str = "free"
    status: str = "active"
    subscription_checkout_generation: int = 0
    ledger: list[LedgerEntry] = field(default_factory=list)
    period_anchor: str | None = None  # the paid period's first day, set by Stripe's invoice.paid
    updated_at: datetime | None = None  # None: never updated since created_at

    def balance(self) -> dict[str, int]:
        """billing_balance: the ledger summed per bucket, and in all."""
        included = sum(entry.delta_cents for entry in self.ledger if entry.bucket == "included")
        purchased = sum(entry.delta_cents for entry in self.ledger if entry.bucket == "purchased")
        return {"includedCents": included, "purchasedCents": purchased, "totalCents": included + purchased}


@dataclass(frozen=True)
class CheckoutSession:
    url: str
    request: tuple  # what Stripe was asked: a replayed key must ask the same


class Billing:
    def __init__(self, accounts: list[BillingAccount]) -> None:
        self.accounts: list[BillingAccount] = accounts
        self.checkouts: dict[str, CheckoutSession] = {}  # by idempotency key

    def for_scope(self, user_id: str, team_id: str | None) -> BillingAccount | None:
        for account in self.accounts:
            if (account.product_team_id == team_id) if team_id else (account.owner_user_id == user_id):
                return account
        return None

    def get_or_create(self, user_id: str, team_id: str | None, ids: IdGenerator, now: datetime) -> BillingAccount:
        account = self.for_scope(user_id, team_id)
        if account is None:
            account = BillingAccount(ids.uuid(), None if team_id else user_id, team_id, now)
            self.accounts.append(account)
        return account

    def ensure_customer(self, account: BillingAccount, ids: IdGenerator) -> str:
        if account.stripe_customer_id is None:
            account.stripe_customer_id = ids.short("cus_", 14)
        return account.stripe_customer_id

    def checkout(self, idempotency_key: str, request: tuple, ids: IdGenerator) -> CheckoutSession | None:
        """Stripe's sessions.create under an idempotency key: the first call mints the
        session, a replay with the same request answers it again, a different request
        under the same key is refused (None)."""
        session = self.checkouts.get(idempotency_key)
        if session is None:
            session = CheckoutSession(CHECKOUT_HOST + ids.short("cs_test_", 58), request)
            self.checkouts[idempotency_key] = session
        return session if session.request == request else None

    @staticmethod
    def portal_url(ids: IdGenerator) -> str:
        return PORTAL_HOST + ids.short("test_", 24)


def read_billing_account(entry: Entry) -> BillingAccount:
    user_id = entry.get("owner_user", str, None)
    team_id = entry.get("product_team", str, None)
    if (user_id is None) == (team_id is None):
        raise entry.fail(None, "give exactly one of 'owner_user' (a personal account) or 'product_team'")
    ledger = [_ledger_entry(item) for item in entry.entries("ledger", "ledger")]
    return BillingAccount(
        id=entry.get("id", str), owner_user_id=user_id, product_team_id=team_id and team_id.lower(),
        created_at=entry.get("created_at", datetime),
        stripe_customer_id=entry.get("stripe_customer_id", str, None),
        stripe_subscription_id=entry.get("stripe_subscription_id", str, None),
        tier=entry.choice("tier", TIERS, "free"), status=entry.choice("status", STATUSES, "active"),
        subscription_checkout_generation=entry.get("subscription_checkout_generation", int, 0), ledger=ledger,
    )


def _ledger_entry(entry: Entry) -> LedgerEntry:
    item = LedgerEntry(entry.choice("bucket", BUCKETS), entry.choice("kind", LEDGER_KINDS),
                       entry.get("delta_cents", int), entry.get("source_ref", str))
    entry.finish()
    return item
