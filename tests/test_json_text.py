"""JSON text exactly as JSON.stringify writes it."""

from __future__ import annotations

import random
import uuid
from collections import OrderedDict, defaultdict
from datetime import date, datetime, timezone
from enum import IntEnum

import pytest

from mockplex import jsonio
from mockplex.validation import Page


@pytest.mark.parametrize("number, text", [
    (3e-06, "0.000003"), (1.25e-06, "0.00000125"), (2.5e-07, "2.5e-7"), (1e21, "1e+21"), (1e16, "10000000000000000"),
    (0.1, "0.1"), (5.0, "5"), (float("inf"), "null"),
])
def test_numbers_are_written_as_javascript_writes_them(number, text):
    assert jsonio.dumps([number]) == f"[{text}]".encode()


def _random_text(rng) -> str:
    alphabet = [chr(code) for code in range(0x80)] + ["\u2028", "\u2029", "\ufeff", "é", "☃", "\U0001f600", "\ud800"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))


def _random_value(rng, depth: int = 0):
    kind = rng.randrange(9 if depth < 4 else 5)
    if kind == 0:
        return _random_text(rng)
    if kind == 1:
        return rng.choice([0, -1, 7, 2**53 + 1, -(2**63), 2**64 - 1, 2**64, -(2**70)])
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return rng.choice([IntEnum("Level", "LOW HIGH").HIGH, type("Name", (str,), {})("sub"), OrderedDict(a=1)])
    if kind == 4:
        return rng.choice(["", "plain", "a\"quote", "back\\slash", "\x00\x1f\x7f"])
    if kind in (5, 6):
        return {_random_text(rng): _random_value(rng, depth + 1) for _ in range(rng.randrange(4))}
    if kind == 7:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return rng.choice([(1, "tuple"), {1: "int key", None: "none key", False: "bool key"}, defaultdict(list, k=[])])


def test_the_fast_writer_gives_the_json_modules_bytes_for_every_plain_value():
    rng = random.Random(19)
    values = [_random_value(rng) for _ in range(3000)]
    deep = []
    for _ in range(300):  # deeper than orjson goes
        deep = [deep]
    for value in [*values, deep, {"text": "\ud83d\ude00 pair and \udc00 lone"}]:
        assert jsonio.dumps(value) == jsonio.dumps_with_json(value)


def test_encoded_records_are_written_as_the_values_they_encode():
    """Fragments inside an answer, on the fast writer's way and on the json module's (which
    a float elsewhere takes), give the bytes the plain values give."""
    class Row:
        def __init__(self, name, size):
            self.name, self.size = name, size

    encoded = jsonio.encoded_records("name", "size")
    rows = [Row("a\"quote", 1), Row("\u2028 line", None), Row("é", 2**53 + 1)]
    plain = [{"name": row.name, "size": row.size} for row in rows]
    for extra in (True, 0.5, 1e21, 3e-06):
        assert jsonio.dumps({"rows": [encoded(row) for row in rows], "x": extra}) == \
            jsonio.dumps_with_json({"rows": plain, "x": extra})
    assert jsonio.dumps(encoded(rows[0])) == b'{"name":"a\\"quote","size":1}'
    rows[0].size = 2
    assert jsonio.dumps([encoded(rows[0])]) == b'[{"name":"a\\"quote","size":2}]'
    assert jsonio.dumps([jsonio.encoded_records("name")(rows[2])]) == '[{"name":"é"}]'.encode()
    rows[1].size = True  # would share a key with 1
    with pytest.raises(TypeError, match="boolean"):
        encoded(rows[1])
    rows[1].size = ["not", "hashable"]
    with pytest.raises(TypeError, match="unhashable"):
        encoded(rows[1])


@pytest.mark.parametrize("value", [{"at": datetime(2026, 1, 1, tzinfo=timezone.utc)}, [uuid.UUID(int=7)],
                                   {"record": Page(1, 2)}, {"when": date(2026, 1, 1)}])
def test_what_the_json_module_refuses_is_still_refused(value):
    with pytest.raises(TypeError):
        jsonio.dumps(value)
