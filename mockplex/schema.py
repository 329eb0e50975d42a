"""A small zod-3 workalike: the server validates bodies with zod and returns its messages
verbatim, so the mock validates with the same rules and words.

A schema is a callable `(value, path, issues) -> parsed value`; issues collect in
zod's order, and `message()` joins them the way the server does.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from mockplex.jsonio import js_type

MISSING = object()
Issue = tuple[tuple[str | int, ...], str]
Schema = Callable[[Any, tuple, list], Any]


class SchemaError(Exception):
    def __init__(self, issues: list[Issue], root: str) -> None:
        self.issues = issues
        super().__init__(message(issues, root))


def message(issues: list[Issue], root: str) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in path) or root}: {text}" for path, text in issues)


def parse(schema: Schema, value: Any, root: str) -> Any:
    issues: list[Issue] = []
    parsed = schema(value, (), issues)
    if issues:
        raise SchemaError(issues, root)
    return parsed


def _type_issue(value: Any, expected: str, path: tuple, issues: list) -> None:
    received = "undefined" if value is MISSING else js_type(value)
    issues.append((path, "Required" if value is MISSING else f"Expected {expected}, received {received}"))


def string(*, trim: bool = False, min_length: int | None = None, max_length: int | None = None,
           pattern: str | None = None, pattern_message: str = "Invalid") -> Schema:
    regex = re.compile(pattern) if pattern else None

    def check(value: Any, path: tuple, issues: list) -> Any:
        if not isinstance(value, str):
            _type_issue(value, "string", path, issues)
            return value
        text = value.strip() if trim else value
        if min_length is not None and len(text) < min_length:
            issues.append((path, f"String must contain at least {min_length} character(s)"))
        if max_length is not None and len(text) > max_length:
            issues.append((path, f"String must contain at most {max_length} character(s)"))
        if regex is not None and not regex.search(text):
            issues.append((path, pattern_message))
        return text
    return check


def enum(*choices: str) -> Schema:
    expected = " | ".join(f"'{choice}'" for choice in choices)

    def check(value: Any, path: tuple, issues: list) -> Any:
        if value in choices and isinstance(value, str):
            return value
        if isinstance(value, str):
            issues.append((path, f"Invalid enum value. Expected {expected}, received '{value}'"))
        else:
            _type_issue(value, expected, path, issues)
        return value
    return check


def array(item: Schema, *, min_items: int | None = None) -> Schema:
    def check(value: Any, path: tuple, issues: list) -> Any:
        if not isinstance(value, list):
            _type_issue(value, "array", path, issues)
            return value
        parsed = [item(element, path + (index,), issues) for index, element in enumerate(value)]
        if min_items is not None and len(value) < min_items:
            issues.append((path, f"Array must contain at least {min_items} element(s)"))
        return parsed
    return check


def number(*, integer: bool = False, minimum: float | None = None, maximum: float | None = None,
           greater_than: float | None = None) -> Schema:
    def check(value: Any, path: tuple, issues: list) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _type_issue(value, "number", path, issues)
            return value
        if not math.isfinite(value):
            issues.append((path, "Number must be finite"))
            return value
        if integer and not float(value).is_integer():
            issues.append((path, "Expected integer, received float"))
        if minimum is not None and value < minimum:
            issues.append((path, f"Number must be greater than or equal to {_js_number(minimum)}"))
        if greater_than is not None and value <= greater_than:
            issues.append((path, f"Number must be greater than {_js_number(greater_than)}"))
        if maximum is not None and value > maximum:
            issues.append((path, f"Number must be less than or equal to {_js_number(maximum)}"))
        return value
    return check


def _js_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _of_type(kind: type, expected: str) -> Schema:
    def check(value: Any, path: tuple, issues: list) -> Any:
        if not isinstance(value, kind):
            _type_issue(value, expected, path, issues)
        return value
    return check


def boolean() -> Schema:
    return _of_type(bool, "boolean")


def record() -> Schema:
    """z.record(z.unknown()): any plain object."""
    return _of_type(dict, "object")


def nullable(inner: Schema) -> Schema:
    def check(value: Any, path: tuple, issues: list) -> Any:
        return None if value is None else inner(value, path, issues)
    return check


def optional(inner: Schema) -> Schema:
    def check(value: Any, path: tuple, issues: list) -> Any:
        return MISSING if value is MISSING else inner(value, path, issues)
    return check


@dataclass
class _Object:
    shape: dict[str, Schema]
    strict: bool

    def __call__(self, value: Any, path: tuple, issues: list) -> Any:
        if not isinstance(value, dict):
            _type_issue(value, "object", path, issues)
            return value
        parsed = {}
        for key, schema in self.shape.items():
            result = schema(value.get(key, MISSING), path + (key,), issues)
            if result is not MISSING:
                parsed[key] = result
        extra = [key for key in value if key not in self.shape]
        if not self.strict:
            parsed.update({key: value[key] for key in extra})
        elif extra:
            names = ", ".join(f"'{key}'" for key in extra)
            issues.append((path, f"Unrecognized key(s) in object: {names}"))
        return parsed


def strict_object(**shape: Schema) -> Schema:
    return _Object(shape, strict=True)


def loose_object(**shape: Schema) -> Schema:
    """An object schema that lets unknown keys through (zod's passthrough)."""
    return _Object(shape, strict=False)
