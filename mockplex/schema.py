"""A small zod-3 workalike: the server validates bodies with zod and returns its messages
verbatim, so the mock validates with the same rules and words.

A schema is a callable `(value, path, issues) -> parsed value`; issues collect in
zod's order, and `message()` joins them the way the server does. The same object emits
the JSON Schema that is published for it (`json_schema()`), so a rule is written once
for both; `describe()` adds the description a published parameter carries.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from mockplex.jsonio import js_type

MISSING = object()
Issue = tuple[tuple[str | int, ...], str]
Json = dict[str, Any]


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


@dataclass(frozen=True)
class Schema:
    """One rule: validates when called, publishes itself with `json_schema()`."""

    def __call__(self, value: Any, path: tuple, issues: list) -> Any:
        raise NotImplementedError

    def json_schema(self) -> Json:
        raise NotImplementedError

    @property
    def may_be_absent(self) -> bool:
        return False

    def describe(self, description: str) -> Schema:
        return _Described(self, description)


@dataclass(frozen=True)
class _Wrapper(Schema):
    """A schema around another one: checks and publishes as it does, unless it says otherwise."""

    inner: Schema

    def __call__(self, value: Any, path: tuple, issues: list) -> Any:
        return self.inner(value, path, issues)

    def json_schema(self) -> Json:
        return self.inner.json_schema()

    @property
    def may_be_absent(self) -> bool:
        return self.inner.may_be_absent


@dataclass(frozen=True)
class _Described(_Wrapper):
    description: str

    def json_schema(self) -> Json:
        return {**self.inner.json_schema(), "description": self.description}


@dataclass(frozen=True)
class _String(Schema):
    trim: bool
    min_length: int | None
    max_length: int | None
    pattern: str | None
    pattern_message: str

    def __call__(self, value: Any, path: tuple, issues: list) -> Any:
        if not isinstance(value, str):
            _type_issue(value, "string", path, issues)
            return value
        text = value.strip() if self.trim else value
        if self.min_length is not None and len(text) < self.min_length:
            issues.append((path, f"String must contain at least {self.min_length} character(s)"))
        if self.max_length is not None and len(text) > self.max_length:
            issues.append((path, f"String must contain at most {self.max_length} character(s)"))
        if self.pattern is not None and not re.search(self.pattern, text):
            issues.append((path, self.pattern_message))
        return text

    def json_schema(self) -> Json:
        return _present(type="string", minLength=self.min_length, maxLength=self.max_length, pattern=self.pattern)


def string(*, trim: bool = False, min_length: int | None = None, max_length: int | None = None,
           pattern: str | None = None, pattern_message: str = "Invalid") -> Schema:
    return _String(trim, min_length, max_length, pattern, pattern_message)


def _present(**keywords: Any) -> Json:
    """JSON Schema keywords, leaving out the ones a rule does not set."""
    return {name: value for name, value in keywords.items() if value is not None}


@dataclass(frozen=True)
class _Enum(Schema):
    choices: tuple[str, ...]

    def __call__(self, value: Any, path: tuple, issues: list) -> Any:
        if value in self.choices and isinstance(value, str):
            return value
        expected = " | ".join(f"'{choice}'" for choice in self.choices)
        if isinstance(value, str):
            issues.append((path, f"Invalid enum value. Expected {expected}, received '{value}'"))
        else:
            _type_issue(value, expected, path, issues)
        return value

    def json_schema(self) -> Json:
        return {"type": "string", "enum": list(self.choices)}


def enum(*choices: str) -> Schema:
    return _Enum(choices)


@dataclass(frozen=True)
class _Array(Schema):
    item: Schema
    min_items: int | None

    def __call__(self, value: Any, path: tuple, issues: list) -> Any:
        if not isinstance(value, list):
            _type_issue(value, "array", path, issues)
            return value
        parsed = [self.item(element, path + (index,), issues) for index, element in enumerate(value)]
        if self.min_items is not None and len(value) < self.min_items:
            issues.append((path, f"Array must contain at least {self.min_items} element(s)"))
        return parsed

    def json_schema(self) -> Json:
        return _present(type="array", items=self.item.json_schema(), minItems=self.min_items)


def array(item: Schema, *, min_items: int | None = None) -> Schema:
    return _Array(item, min_items)


@dataclass(frozen=True)
class _Number(Schema):
    integer: bool
    minimum: float | None
    maximum: float | None
    greater_than: float | None

    def __call__(self, value: Any, path: tuple, issues: list) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _type_issue(value, "number", path, issues)
            return value
        if not math.isfinite(value):
            issues.append((path, "Number must be finite"))
            return value
        if self.integer and not float(value).is_integer():
            issues.append((path, "Expected integer, received float"))
        if self.minimum is not None and value < self.minimum:
            issues.append((path, f"Number must be greater than or equal to {_js_number(self.minimum)}"))
        if self.greater_than is not None and value <= self.greater_than:
            issues.append((path, f"Number must be greater than {_js_number(self.greater_than)}"))
        if self.maximum is not None and value > self.maximum:
            issues.append((path, f"Number must be less than or equal to {_js_number(self.maximum)}"))
        return value

    def json_schema(self) -> Json:
        return _present(type="integer" if self.integer else "number", minimum=self.minimum, maximum=self.maximum,
                        exclusiveMinimum=self.greater_than)


def number(*, integer: bool = False, minimum: float | None = None, maximum: float | None = None,
           greater_than: float | None = None) -> Schema:
    return _Number(integer, minimum, maximum, greater_than)


def _js_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class _OfType(Schema):
    kind: type
    expected: str
    published: tuple[tuple[str, Any], ...]

    def __call__(self, value: Any, path: tuple, issues: list) -> Any:
        if not isinstance(value, self.kind):
            _type_issue(value, self.expected, path, issues)
        return value

    def json_schema(self) -> Json:
        return dict(self.published)


def boolean() -> Schema:
    return _OfType(bool, "boolean", (("type", "boolean"),))


def record() -> Schema:
    """z.record(z.unknown()): any plain object."""
    return _OfType(dict, "object", (("type", "object"), ("additionalProperties", {})))


@dataclass(frozen=True)
class _Nullable(_Wrapper):
    def __call__(self, value: Any, path: tuple, issues: list) -> Any:
        return None if value is None else self.inner(value, path, issues)

    def json_schema(self) -> Json:
        published = self.inner.json_schema()
        return {**published, "type": [published["type"], "null"]}


def nullable(inner: Schema) -> Schema:
    return _Nullable(inner)


@dataclass(frozen=True)
class _Optional(_Wrapper):
    """May be absent from its object; published by leaving it out of `required`."""

    def __call__(self, value: Any, path: tuple, issues: list) -> Any:
        return MISSING if value is MISSING else self.inner(value, path, issues)

    @property
    def may_be_absent(self) -> bool:
        return True


def optional(inner: Schema) -> Schema:
    return _Optional(inner)


@dataclass(frozen=True)
class Object(Schema):
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

    def json_schema(self) -> Json:
        published: Json = {"type": "object"}
        if self.shape:
            published["properties"] = {key: schema.json_schema() for key, schema in self.shape.items()}
        required = [key for key, schema in self.shape.items() if not schema.may_be_absent]
        if required:
            published["required"] = required
        published["additionalProperties"] = not self.strict
        return published


def strict_object(**shape: Schema) -> Object:
    return Object(shape, strict=True)


def loose_object(**shape: Schema) -> Object:
    """An object schema that lets unknown keys through (zod's passthrough)."""
    return Object(shape, strict=False)
