"""Clock specs, as `--clock` reads them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mockplex.clock import DEFAULT_EPOCH, ClockSpecError, format_timestamp, parse_clock


def test_frozen_and_step_clocks():
    frozen = parse_clock("frozen@2026-01-02T03:04:05.5Z")
    assert format_timestamp(frozen.reading_for_request()) == "2026-01-02T03:04:05.5+00:00"
    assert format_timestamp(frozen.now()) == "2026-01-02T03:04:05.5+00:00"
    step = parse_clock("step:2.5")
    assert step.reading_for_request() == DEFAULT_EPOCH + timedelta(seconds=2.5)
    assert step.reading_for_request() == DEFAULT_EPOCH + timedelta(seconds=5)
    assert step.now() == DEFAULT_EPOCH + timedelta(seconds=5)


def test_now_as_a_start():
    before = datetime.now(timezone.utc) - timedelta(seconds=2)
    assert parse_clock("frozen@now").now() >= before


@pytest.mark.parametrize("spec", ["", "frozen:3", "fast", "fast:-1", "step:x", "real@2026-01-01", "frozen@soon"])
def test_bad_specs_are_refused(spec):
    with pytest.raises(ClockSpecError):
        parse_clock(spec)


def test_timestamps_drop_trailing_zeros_and_use_an_offset():
    moment = datetime(2026, 5, 17, 10, 14, 0, 201130, tzinfo=timezone.utc)
    assert format_timestamp(moment) == "2026-05-17T10:14:00.20113+00:00"
    assert format_timestamp(moment.replace(microsecond=0)) == "2026-05-17T10:14:00+00:00"

