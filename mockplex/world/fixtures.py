"""Reading YAML fixture files with line numbers, so a bad world names file and line."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

try:
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

REQUIRED = object()


class FixtureError(Exception):
    """A problem in a file the server reads at start-up, located to its line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class LocatedMap(dict):
    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(_BaseLoader):
    pass


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> LocatedMap:
    mapping = LocatedMap()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)


def load_yaml(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            return yaml.load(handle, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise FixtureError(path, mark.line + 1 if mark else None, str(exc.problem or exc)) from None
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FixtureError(path, None, f"cannot read: {exc}") from None


class Entry:
    """One mapping from a fixture file, read field by field with located errors."""

    def __init__(self, path: Path, mapping: Any, what: str) -> None:
        self.path = path
        self.what = what
        if not isinstance(mapping, dict):
            line = getattr(mapping, "line", None)
            raise FixtureError(path, line, f"{what} must be a mapping")
        self.mapping = mapping
        self._read: set[str] = set()

    def line_of(self, key: str | None = None) -> int | None:
        key_lines = getattr(self.mapping, "key_lines", {})
        return key_lines.get(key) if key else getattr(self.mapping, "line", None)

    def fail(self, key: str | None, message: str) -> FixtureError:
        return FixtureError(self.path, self.line_of(key) or self.line_of(), f"{self.what}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = REQUIRED) -> Any:
        self._read.add(key)
        if key not in self.mapping or (self.mapping[key] is None and default is not REQUIRED):
            if default is REQUIRED:
                raise self.fail(None, f"missing required field '{key}'")
            return default
        value = self.mapping[key]
        if kind is datetime:
            return self._timestamp(key, value)
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
            raise self.fail(key, f"'{key}' must be {_describe(kind)}, got {type(value).__name__}")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: Any = REQUIRED) -> Any:
        value = self.get(key, str, default)
        if value is not default and value not in allowed:
            raise self.fail(key, f"'{key}' must be one of {', '.join(allowed)}; got {value!r}")
        return value

    def entries(self, key: str, what: str) -> list["Entry"]:
        items = self.get(key, list, [])
        return [Entry(self.path, item, f"{what}[{index}]") for index, item in enumerate(items)]

    def finish(self) -> None:
        """Reject keys nobody read: a typo in a fixture must not pass silently."""
        unknown = [key for key in self.mapping if key not in self._read]
        if unknown:
            raise self.fail(str(unknown[0]), f"unknown field '{unknown[0]}'; known: {', '.join(sorted(self._read))}")

    def _timestamp(self, key: str, value: Any) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        raise self.fail(key, f"'{key}' must be an ISO-8601 timestamp, got {value!r}")


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _describe(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "a mapping", type(None): "null"}
    return " or ".join(names.get(item, item.__name__) for item in _kinds(kind))


def open_fixture(path: Path) -> Entry | None:
    """The top-level mapping of a fixture file, or None when the file is absent or empty."""
    if not path.exists():
        return None
    document = load_yaml(path)
    if document is None:
        return None
    return Entry(path, document, path.name)
