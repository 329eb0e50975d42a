"""What Stripe's webhook leaves in the world: the claimed event ids (the server's
`billing_events`, its idempotency on the event id) and the Stripe objects the world's
Stripe holds.

The world plays Stripe from what Stripe itself delivered: every signed event carries its
object (a subscription, a payment intent, a charge with its refunds), and a later
retrieve of that object answers the latest copy delivered. An object no signed event
carried is one Stripe does not have (its 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# An unprocessed claim older than this belongs to a crashed delivery and may be taken over.
CLAIM_TAKEOVER = timedelta(minutes=10)


@dataclass
class EventClaim:
    event_type: str
    received_at: datetime
    processed_at: datetime | None = None


class StripeWebhookState:
    def __init__(self) -> None:
        self.claims: dict[str, EventClaim] = {}  # by Stripe event id
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}  # by (object kind, id)

    def claim(self, event_id: str, event_type: str, now: datetime) -> str:
        """claimed (first delivery, or a stale claim taken over), processed or in_progress."""
        existing = self.claims.get(event_id)
        if existing is None:
            self.claims[event_id] = EventClaim(event_type, now)
            return "claimed"
        if existing.processed_at is None and existing.received_at < now - CLAIM_TAKEOVER:
            existing.received_at = now
            return "claimed"
        return "processed" if existing.processed_at else "in_progress"

    def mark_processed(self, event_id: str, now: datetime) -> None:
        self.claims[event_id].processed_at = now

    def learn(self, carried: Any) -> None:
        """Keep the object an event carried, and a charge's refunds listed with it."""
        if not isinstance(carried, dict):
            return
        kind, object_id = carried.get("object"), carried.get("id")
        if isinstance(kind, str) and isinstance(object_id, str):
            self.objects[(kind, object_id)] = carried
        refunds = carried.get("refunds")
        listed = refunds.get("data") if isinstance(refunds, dict) else None
        for refund in listed if isinstance(listed, list) else ():
            self.learn(refund)

    def retrieve(self, kind: str, object_id: Any) -> dict[str, Any] | None:
        return self.objects.get((kind, object_id)) if isinstance(object_id, str) else None

    def refunds_of(self, charge_id: Any) -> list[dict[str, Any]]:
        """refunds.list({charge}): newest first, at most 100."""
        found = [item for (kind, _), item in self.objects.items()
                 if kind == "refund" and item.get("charge") == charge_id]
        return list(reversed(found))[:100]
