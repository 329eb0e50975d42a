"""Values as a jsonb column gives them back: duplicate keys already collapsed by parsing,
each object's keys ordered shorter first, then by their UTF-8 bytes."""

from __future__ import annotations

from typing import Any


def jsonb(value: Any) -> Any:
    if isinstance(value, dict):
        ordered = sorted(value, key=lambda key: (len(key.encode("utf-8")), key.encode("utf-8")))
        return {key: jsonb(value[key]) for key in ordered}
    if isinstance(value, list):
        return [jsonb(item) for item in value]
    return value
