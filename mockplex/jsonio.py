"""JSON the way the real server reads and writes it (JavaScript's JSON semantics)."""

from __future__ import annotations

import json
import math
from typing import Any

NOT_JSON = object()


def dumps(value: Any) -> bytes:
    """Compact JSON.stringify-alike: no spaces, UTF-8, integral floats as ints, no Infinity."""
    text = json.dumps(_js_numbers(value), separators=(",", ":"), ensure_ascii=False)
    # Lone surrogates (only reachable through \ud800-style escapes in input) become
    # the same \uXXXX escapes JSON.stringify writes.
    return text.encode("utf-8", "backslashreplace")


def canonical(value: Any) -> str:
    """Sorted keys, no whitespace: the text the server hashes for idempotency."""
    return json.dumps(_js_numbers(value), separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return None  # JSON.stringify writes Infinity and NaN as null
        return int(value) if value.is_integer() else value
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
