"""JSON the way the real server reads and writes it (JavaScript's JSON semantics)."""

from __future__ import annotations

import decimal
import json
import math
from typing import Any

NOT_JSON = object()


def dumps(value: Any) -> bytes:
    """Compact JSON.stringify-alike: no spaces, UTF-8, integral floats as ints, no Infinity,
    and JavaScript's number text (0.000003, 1e-7, 1e+21) where Python's would differ."""
    value = _js_numbers(value)
    if _needs_js_float_text(value):
        text = "".join(_JsFloatEncoder(separators=(",", ":"), ensure_ascii=False).iterencode(value))
    else:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    # Lone surrogates (only reachable through \ud800-style escapes in input) become
    # the same \uXXXX escapes JSON.stringify writes.
    return text.encode("utf-8", "backslashreplace")


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


def _needs_js_float_text(value: Any) -> bool:
    if isinstance(value, float):
        return "e" in repr(value)
    if isinstance(value, dict):
        return any(_needs_js_float_text(item) for item in value.values())
    if isinstance(value, list):
        return any(_needs_js_float_text(item) for item in value)
    return False


class _JsFloatEncoder(json.JSONEncoder):
    """The pure-Python encoder with JavaScript float text; used only when it matters."""

    def iterencode(self, o: Any, _one_shot: bool = False):
        encoder = json.encoder.encode_basestring if self.ensure_ascii is False else json.encoder.encode_basestring_ascii
        return json.encoder._make_iterencode(
            {}, self.default, encoder, self.indent, lambda number: js_float_text(number),
            self.key_separator, self.item_separator, self.sort_keys, self.skipkeys, _one_shot)(o, 0)


def canonical(value: Any) -> str:
    """Sorted keys, no whitespace: the text the server hashes for idempotency."""
    return json.dumps(_js_numbers(value), separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return None  # JSON.stringify writes Infinity and NaN as null
        return int(value) if value.is_integer() and abs(value) < 1e21 else value
    if isinstance(value, dict):
        return {key: _js_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_js_numbers(item) for item in value]
    return value


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
