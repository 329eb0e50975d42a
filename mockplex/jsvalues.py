"""How JavaScript reads a parsed JSON value where a route tests it (`!value`) or stringifies
it (`String(value)`, `Number(value)`) instead of checking its type, and how it escapes
text for a URL (encodeURIComponent, URLSearchParams)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Iterable
from urllib.parse import quote, quote_plus

from mockplex.jsonio import js_float_text


JS_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
JS_RADIX = {"0x": 16, "0o": 8, "0b": 2}
URI_COMPONENT_SAFE = "-_.!~*'()"


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


def js_number(value: Any) -> float:
    """Number(value) for a parsed JSON value: NaN where JavaScript gives NaN."""
    if isinstance(value, (bool, int, float)):
        return float(value)
    if value is None:
        return 0.0
    if isinstance(value, dict):
        return float("nan")
    text = (js_string(value) if isinstance(value, list) else value).strip()
    if not text:
        return 0.0
    if JS_DECIMAL.fullmatch(text):
        return float(text.replace("Infinity", "inf"))
    radix = JS_RADIX.get(text[:2].lower())
    try:
        return float(int(text[2:], radix)) if radix and text[2:].isalnum() else float("nan")
    except ValueError:
        return float("nan")


def js_iso(moment: datetime) -> str:
    """Date.prototype.toISOString: UTC, milliseconds and a Z."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def uri_component(text: str) -> str:
    """encodeURIComponent."""
    return quote(text, safe=URI_COMPONENT_SAFE)


def search_param(text: str) -> str:
    """A name or value as URLSearchParams writes it (`*-._` kept, space as `+`, `~` escaped)."""
    return quote_plus(text, safe="*").replace("~", "%7E")


def search_params(pairs: Iterable[tuple[str, str]]) -> str:
    """URLSearchParams' serialisation of `pairs`."""
    return "&".join(f"{search_param(name)}={search_param(value)}" for name, value in pairs)
