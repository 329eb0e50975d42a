"""JSON the way the real server reads and writes it (JavaScript's JSON semantics)."""

from __future__ import annotations

import decimal
import json
import math
import operator
from typing import Any, Callable

import orjson

NOT_JSON = object()


def dumps(value: Any) -> bytes:
    """Compact JSON.stringify-alike: no spaces, UTF-8, integral floats as ints, no Infinity,
    and JavaScript's number text (0.000003, 1e-7, 1e+21) where Python's would differ.
    An orjson.Fragment goes in as the text it holds: only encoded_records makes them, from
    text dumps wrote.

    Most answers are dicts, lists, strings, ints, bools and None, and nothing else: orjson
    writes those, the same bytes at a twentieth of the cost. Anything else (a float, a
    tuple, a subclass, any other type), and what orjson refuses (a key that is not a
    string, an int beyond 64 bits, a lone surrogate, nesting past 254), is written, or
    refused, by the json module as before."""
    if _all_plain(value):
        try:
            # orjson's bytes keep the buffer it grew (4 KiB for a 1 KiB answer): a copy the
            # size of the text is what the journal and the idempotency store then keep.
            return bytes(memoryview(orjson.dumps(value)))
        except orjson.JSONEncodeError:
            pass
    return dumps_with_json(value)


def dumps_with_json(value: Any) -> bytes:
    """dumps by the json module alone."""
    needs_js_text: list[bool] = []
    value = _js_numbers(value, needs_js_text)
    if needs_js_text:
        text = "".join(_JsFloatEncoder(separators=(",", ":"), ensure_ascii=False).iterencode(value))
    else:
        text = _COMPACT.encode(value)
    # Lone surrogates (only reachable through \ud800-style escapes in input) become
    # the same \uXXXX escapes JSON.stringify writes.
    return text.encode("utf-8", "backslashreplace")


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def js_float_text(number: float) -> str:
    """Number.prototype.toString for a finite float that is not a small integer."""
    text = repr(number)
    if "e" not in text:
        return text
    magnitude = abs(number)
    if 1e-6 <= magnitude < 1e21:
        return format(decimal.Decimal(text), "f")
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{'+' if int(exponent) > 0 else '-'}{abs(int(exponent))}"


class _JsFloatEncoder(json.JSONEncoder):
    """The pure-Python encoder with JavaScript float text; used only when it matters."""

    def iterencode(self, o: Any, _one_shot: bool = False):
        encoder = json.encoder.encode_basestring if self.ensure_ascii is False else json.encoder.encode_basestring_ascii
        return json.encoder._make_iterencode(
            {}, self.default, encoder, self.indent, lambda number: js_float_text(number),
            self.key_separator, self.item_separator, self.sort_keys, self.skipkeys, _one_shot)(o, 0)


def canonical(value: Any) -> str:
    """Sorted keys, no whitespace: the text the server hashes for idempotency."""
    return json.dumps(_js_numbers(value, []), separators=(",", ":"), ensure_ascii=False, sort_keys=True)


_PLAIN = frozenset({str, int, bool, type(None)})  # leaves JSON.stringify writes as Python's encoder does
_PLAIN_OR_ENCODED = _PLAIN | {orjson.Fragment}  # a Fragment: text dumps wrote (encoded_records)
_CONTAINERS = frozenset({dict, list})


def _all_plain(value: Any) -> bool:
    """Whether the value is built of plain dicts and lists of _PLAIN leaves alone (exact
    types: a subclass may write itself otherwise)."""
    kind = type(value)
    if kind is dict:
        members = value.values()
    elif kind is list:
        members = value
    else:
        return kind in _PLAIN_OR_ENCODED
    for member in members:
        kind = type(member)
        if kind not in _PLAIN_OR_ENCODED and (kind not in _CONTAINERS or not _all_plain(member)):
            return False
    return True


def _js_numbers(value: Any, needs_js_text: list[bool]) -> Any:
    """The value with JavaScript's number semantics, the very same object when it holds no
    float (most answers), so a walk costs no copies; `needs_js_text` gets an entry when
    some float's text differs from Python's."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is orjson.Fragment:  # text dumps wrote: read back, it is written the same
        return _js_numbers(json.loads(orjson.dumps(value)), needs_js_text)
    if kind is float:
        if math.isinf(value) or math.isnan(value):
            return None  # JSON.stringify writes Infinity and NaN as null
        if value.is_integer() and abs(value) < 1e21:
            return int(value)
        if "e" in repr(value):
            needs_js_text.append(True)
        return value
    if isinstance(value, dict):
        return _with_js_members(value, value.items(), dict, needs_js_text)
    if isinstance(value, list):
        return _with_js_members(value, enumerate(value), list, needs_js_text)
    return value


MAX_ENCODED_RECORDS = 4096  # the encodings an encoded_records keeps (of as many distinct records); then afresh


def encoded_records(*fields: str) -> Callable[[Any], orjson.Fragment]:
    """What renders a record's `fields` as a JSON object keyed by their names, in their
    order, as JSON text that dumps puts in as it is. Each distinct set of values is encoded
    once: a listing of unchanged records costs a lookup each, and a record whose fields
    changed is encoded afresh, its values being the key. So the fields hold strings,
    numbers or None: a list or a dict cannot be a key (TypeError), and a boolean would
    share one with the number it equals (True == 1), so a record found holding one when it
    is first encoded is refused with a TypeError."""
    getter = operator.attrgetter(*fields)  # a tuple for two or more fields, the value for one
    values_of = getter if len(fields) > 1 else lambda record: (getter(record),)
    encoded: dict[tuple[Any, ...], orjson.Fragment] = {}

    def encode(record: Any) -> orjson.Fragment:
        values = values_of(record)
        text = encoded.get(values)
        if text is None:
            if any(type(value) is bool for value in values):
                raise TypeError(f"encoded_records{fields}: a boolean value would share its key with a number")
            if len(encoded) >= MAX_ENCODED_RECORDS:
                encoded.clear()
            text = encoded[values] = orjson.Fragment(dumps(dict(zip(fields, values, strict=True))))
        return text
    return encode


def _with_js_members(container: Any, members, copy: Callable[[Any], Any], needs_js_text: list[bool]) -> Any:
    """The container, or a copy with the members whose numbers changed replaced."""
    changed = None
    for slot, item in members:
        if type(item) not in _PLAIN:
            fixed = _js_numbers(item, needs_js_text)
            if fixed is not item:
                changed = changed if changed is not None else copy(container)
                changed[slot] = fixed
    return container if changed is None else changed


def parse_body(raw: bytes) -> Any:
    """`await request.json()`: lenient UTF-8 decoding, then a strict JSON parse.

    Returns NOT_JSON when the text is not JSON (empty bodies included).
    """
    text = raw.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return NOT_JSON


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")



def js_type(value: Any) -> str:
    """The type name zod 3 reports in `Expected X, received Y`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
