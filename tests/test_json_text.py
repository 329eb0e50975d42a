"""JSON text exactly as JSON.stringify writes it."""

from __future__ import annotations

import pytest

from mockplex import jsonio


@pytest.mark.parametrize("number, text", [
    (3e-06, "0.000003"), (1.25e-06, "0.00000125"), (2.5e-07, "2.5e-7"), (1e21, "1e+21"), (1e16, "10000000000000000"),
    (0.1, "0.1"), (5.0, "5"), (float("inf"), "null"),
])
def test_numbers_are_written_as_javascript_writes_them(number, text):
    assert jsonio.dumps([number]) == f"[{text}]".encode()
