"""The server's notion of time: real, frozen, accelerated or stepped per request.

Every timestamp the world writes and every rate-limit window reads this clock, so a
frozen or stepped clock makes responses reproducible byte for byte.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

DEFAULT_EPOCH = datetime(2026, 5, 17, 10, 0, 0, tzinfo=timezone.utc)

CLOCK_HELP = (
    "real | frozen[@START] | fast:FACTOR[@START] | step:SECONDS[@START], START being an "
    "ISO-8601 instant or 'now' (default 2026-05-17T10:00:00Z). "
    "frozen never moves; fast runs FACTOR times faster than wall time; step advances "
    "SECONDS on every request (deterministic and still lets runs progress)."
)


class ClockSpecError(ValueError):
    pass


@dataclass
class Clock:
    kind: str
    start: datetime
    factor: float = 1.0
    step_seconds: float = 0.0
    _origin_monotonic: float = 0.0
    _offset: float = 0.0
    # (offset, instant): a frozen or stepped clock's last answer, a cache and no part of its value
    _reading: tuple[float, datetime] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._origin_monotonic = time.monotonic()

    def now(self) -> datetime:
        if self.kind == "real":
            return datetime.now(timezone.utc) + timedelta(seconds=self._offset)
        elapsed = self._offset
        if self.kind == "fast":
            return self.start + timedelta(seconds=elapsed + (time.monotonic() - self._origin_monotonic) * self.factor)
        # Frozen and stepped clocks move only with the offset: one reading serves every request until it does.
        reading = self._reading
        if reading is None or reading[0] != elapsed:
            reading = self._reading = (elapsed, self.start + timedelta(seconds=elapsed))
        return reading[1]

    def reading_for_request(self) -> datetime:
        """The reading a request comes in at: a stepped clock steps first."""
        if self.kind == "step":
            self._offset += self.step_seconds
        return self.now()

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def describe(self) -> str:
        if self.kind == "real":
            return "real"
        start = format_timestamp(self.start)
        if self.kind == "frozen":
            return f"frozen at {start}"
        if self.kind == "fast":
            return f"fast x{self.factor:g} from {start}"
        return f"step {self.step_seconds:g}s per request from {start}"


def parse_clock(spec: str) -> Clock:
    spec = spec.strip()
    body, _, start_text = spec.partition("@")
    start = _parse_start(start_text) if start_text else DEFAULT_EPOCH
    kind, _, arg = body.partition(":")
    if kind == "real" and not arg and not start_text:
        return Clock("real", start)
    if kind == "frozen" and not arg:
        return Clock("frozen", start)
    if kind == "fast":
        return Clock("fast", start, factor=_positive(arg, spec))
    if kind == "step":
        return Clock("step", start, step_seconds=_positive(arg, spec))
    raise ClockSpecError(f"invalid clock {spec!r}; expected {CLOCK_HELP}")


def _positive(text: str, spec: str) -> float:
    try:
        value = float(text.rstrip("sx"))
    except ValueError:
        raise ClockSpecError(f"invalid clock {spec!r}: {text!r} is not a number") from None
    if value <= 0:
        raise ClockSpecError(f"invalid clock {spec!r}: {text!r} must be positive")
    return value


def _parse_start(text: str) -> datetime:
    if text == "now":
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ClockSpecError(f"invalid clock start {text!r}: not an ISO-8601 instant") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """Postgres timestamptz text: 0-6 fraction digits, trailing zeros dropped, +00:00."""
    moment = moment.astimezone(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "+00:00"


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
