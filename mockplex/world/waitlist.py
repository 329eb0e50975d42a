"""The waitlist: access codes (`waitlist_codes`), access requests (`waitlist_requests`),
the per-IP windows of the public waitlist routes, and the replacement-code emails the
server sends (the outbox stands in for the email provider's inbox)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mockplex.ids import IdGenerator
from mockplex.jsvalues import JS_EPOCH

REPLACEMENT_LIFETIME = timedelta(hours=24)
_LAUNCH = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@dataclass
class WaitlistCode:
    code: str
    note: str | None = None
    max_uses: int | None = None
    uses: int = 0
    expires_at: datetime | None = None
    created_at: datetime = _LAUNCH


@dataclass
class WaitlistRequest:
    email: str
    name: str | None
    company: str | None
    use_case: str | None
    source: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SentEmail:
    to: str
    subject: str
    code: str


def _seeded_codes() -> dict[str, WaitlistCode]:
    codes = (
        WaitlistCode("HARBOR-LAUNCH", "shared launch code"),
        WaitlistCode("MPX-ONCE-0001", "single-use invite for a design partner", max_uses=1),
        WaitlistCode("MPX-SPENT-0001", "single-use invite, already redeemed", max_uses=1, uses=1),
        WaitlistCode("MPX-EXPIRED-0001", "pilot code that has run out", expires_at=datetime(2026, 1, 31, tzinfo=UTC)),
    )
    return {code.code: code for code in codes}


@dataclass
class Window:
    count: int
    reset_at: datetime


@dataclass
class Waitlist:
    codes: dict[str, WaitlistCode] = field(default_factory=_seeded_codes)
    requests: dict[str, WaitlistRequest] = field(default_factory=dict)
    outbox: list[SentEmail] = field(default_factory=list)
    windows: dict[str, Window] = field(default_factory=dict)

    def admit(self, key: str, limit: int, window: timedelta, now: datetime) -> int | None:
        """The in-process limiter: None when admitted, else the seconds to wait."""
        current = self.windows.get(key)
        if current is None or current.reset_at <= now:
            self.windows[key] = Window(1, now + window)
            return None
        if current.count >= limit:
            return max(1, math.ceil((current.reset_at - now).total_seconds()))
        current.count += 1
        return None

    def redeem(self, code: str, now: datetime) -> str | None:
        """redeem_waitlist_code: None when a use was claimed, else why not."""
        found = self.codes.get(code)
        if found is None:
            return "invalid"
        expired = found.expires_at is not None and found.expires_at <= now
        if not expired and (found.max_uses is None or found.uses < found.max_uses):
            found.uses += 1
            return None
        return "expired" if expired else "exhausted"

    def mint_replacement(self, email: str, ids: IdGenerator, now: datetime) -> str:
        """mint_waitlist_replacement_code for a known user: earlier live replacement codes
        of the address expire, and a single-use 24-hour code is minted."""
        note = f"replacement for {email.lower()}"
        for earlier in self.codes.values():
            if earlier.note == note and earlier.expires_at is not None and earlier.expires_at > now:
                earlier.expires_at = now
        code = "r-" + ids.random_bytes(8).hex()
        self.codes[code] = WaitlistCode(code, note, max_uses=1, expires_at=now + REPLACEMENT_LIFETIME, created_at=now)
        return code

    def expire(self, code: str) -> None:
        self.codes[code].expires_at = JS_EPOCH

    def record_request(self, fields: dict[str, str | None], now: datetime) -> bool:
        """record_waitlist_request: True when the address is new; a repeat keeps the stored
        optional fields the new one leaves out."""
        email = fields["email"]
        earlier = self.requests.get(email)
        if earlier is None:
            self.requests[email] = WaitlistRequest(email, fields["name"], fields["company"], fields["use_case"],
                                                   fields["source"], now, now)
            return True
        earlier.name = fields["name"] or earlier.name
        earlier.company = fields["company"] or earlier.company
        earlier.use_case = fields["use_case"] or earlier.use_case
        earlier.source, earlier.updated_at = fields["source"], now
        return False
