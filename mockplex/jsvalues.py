"""How JavaScript reads a parsed JSON value where a route tests it (`!value`) or stringifies
it (`String(value)`) instead of checking its type."""

from __future__ import annotations

from typing import Any

from mockplex.jsonio import js_float_text


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness: an empty list or object is true, 0 and "" are false."""
    if isinstance(value, (list, dict)):
        return True
    return bool(value)


def js_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else js_float_text(value)
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)
