"""The billing writes Stripe's webhook makes, as the server's database makes them: account
lookups and updates (`stripe_customer_id` is unique) and the ledger functions, whose
`source_ref` is unique across every account, so a re-posted entry is a silent no-op."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mockplex.world.billing import Billing, BillingAccount, LedgerEntry


class BillingWriteFailed(Exception):
    """The database refused the write (a unique violation)."""


def by_customer(billing: Billing, customer_id: str) -> BillingAccount | None:
    return next((account for account in billing.accounts if account.stripe_customer_id == customer_id), None)


def by_id(billing: Billing, account_id: str) -> BillingAccount | None:
    return next((account for account in billing.accounts if account.id == account_id), None)


def update(billing: Billing, account: BillingAccount, now: datetime, **changes: Any) -> None:
    customer = changes.get("stripe_customer_id")
    if customer is not None and any(other is not account and other.stripe_customer_id == customer
                                    for other in billing.accounts):
        raise BillingWriteFailed("billing_accounts_stripe_customer_id_key")
    for name, value in changes.items():
        setattr(account, name, value)
    account.updated_at = now


def post(billing: Billing, account: BillingAccount, entry: LedgerEntry) -> bool:
    """post_credit_ledger_entry: whether the entry was inserted."""
    if any(posted.source_ref == entry.source_ref for other in billing.accounts for posted in other.ledger):
        return False
    account.ledger.append(entry)
    return True


def post_period_grant(billing: Billing, account: BillingAccount, cents: int, grant_ref: str, expiry_ref: str) -> bool:
    """post_billing_period_grant: the grant, then the expiry of what was included before it."""
    included_before = account.balance()["includedCents"]
    if not post(billing, account, LedgerEntry("included", "grant", cents, grant_ref)):
        return False
    if included_before > 0:
        post(billing, account, LedgerEntry("included", "grant_expiry", -included_before, expiry_ref))
    return True


def expire_included(billing: Billing, account: BillingAccount, source_ref: str, now: datetime) -> None:
    """expire_billing_included_credit: once per source_ref, even at zero, and each time it
    posts a later subscription checkout gets a fresh idempotency key."""
    included = account.balance()["includedCents"]
    if post(billing, account, LedgerEntry("included", "grant_expiry", -max(included, 0), source_ref)):
        account.subscription_checkout_generation += 1
        account.updated_at = now
