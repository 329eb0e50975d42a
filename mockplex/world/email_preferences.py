"""Who asked not to be emailed: the server's `email_unsubscribes` rows, one per address."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

UNSUBSCRIBE_SOURCES = ("landing_page", "one_click")


@dataclass
class Unsubscribe:
    email: str
    source: str
    created_at: datetime


@dataclass
class EmailPreferences:
    unsubscribes: dict[str, Unsubscribe] = field(default_factory=dict)

    def unsubscribe(self, email: str, source: str, now: datetime) -> None:
        """An upsert on the address: a repeat click keeps one row, with the latest source."""
        normalized = email.strip().lower()
        previous = self.unsubscribes.get(normalized)
        self.unsubscribes[normalized] = Unsubscribe(normalized, source, previous.created_at if previous else now)

    def is_unsubscribed(self, email: str) -> bool:
        return email.strip().lower() in self.unsubscribes
