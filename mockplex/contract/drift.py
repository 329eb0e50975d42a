"""How a live answer differs from a recorded one, field by field.

Status, error code, added and removed fields and type changes are always drift. Scalar
values are compared too, except volatile ones, which are ignored by rule: ids, timestamps,
URLs that embed ids, redaction placeholders and any field the caller names. So a rerun
that mints new ids and times reports nothing, and a run that now ends `failed` does.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from mockplex.ids import is_strict_uuid
from mockplex.recording.redaction import PLACEHOLDER_NUMBER

VOLATILE_KEYS = frozenset({"id", "createdAt", "updatedAt", "eventsUrl", "cancelUrl", "nextCursor", "replayed"})
_VOLATILE_KEY = re.compile(r"(^|_)id$|Id$|_at$|At$|_url$|Url$", re.ASCII)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


@dataclass(frozen=True)
class Drift:
    kind: str  # status, error-code, added, removed, type, value, length, body
    field: str
    recorded: Any = None
    live: Any = None

    def describe(self) -> str:
        where = f"{self.field}: " if self.field else ""
        if self.kind == "added":
            return f"{where}added ({_short(self.live)})"
        if self.kind == "removed":
            return f"{where}removed (was {_short(self.recorded)})"
        if self.kind == "body":  # recorded and live are words: "JSON", "empty", "HTML"
            return f"body: {self.recorded} → {self.live}"
        return f"{where}{self.kind} {_short(self.recorded)} → {_short(self.live)}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) or value else '""'
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        if "json" not in self.content_type or not self.body:
            return _NOT_JSON
        try:
            return json.loads(self.body)
        except ValueError:
            return _NOT_JSON


_NOT_JSON = object()


def compare(recorded: Answer, live: Answer, ignored: frozenset[str] = frozenset(),
            values: bool = True) -> list[Drift]:
    found: list[Drift] = []
    if recorded.status != live.status:
        found.append(Drift("status", "", recorded.status, live.status))
    before, after = recorded.json(), live.json()
    if before is _NOT_JSON or after is _NOT_JSON:
        if (before is _NOT_JSON) != (after is _NOT_JSON):
            found.append(Drift("body", "", _media(recorded), _media(live)))
        return found
    code_before, code_after = _error_code(before), _error_code(after)
    if code_before != code_after:
        found.append(Drift("error-code", "error.code", code_before, code_after))
    _walk(before, after, "", _Rules(VOLATILE_KEYS | ignored, values), found)
    return found


_MEDIA_WORDS = {"text/html": "HTML", "text/plain": "text", "text/event-stream": "an event stream",
                "application/octet-stream": "binary"}


def _media(answer: Answer) -> str:
    """What a body is, in words: JSON, empty, HTML, text, or its media type."""
    if not answer.body:
        return "empty"
    media = answer.content_type.split(";")[0].strip().lower()
    if "json" in media:
        return "JSON that does not parse" if answer.json() is _NOT_JSON else "JSON"
    return _MEDIA_WORDS.get(media) or media or f"{len(answer.body)} bytes without a Content-Type"


def _error_code(payload: Any) -> Any:
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        return payload["error"].get("code")
    return None


@dataclass(frozen=True)
class _Rules:
    ignored: frozenset[str]
    values: bool

    def volatile(self, key: str, value: Any) -> bool:
        if key in self.ignored or _VOLATILE_KEY.search(key):
            return True
        return isinstance(value, str) and bool(
            is_strict_uuid(value) or _TIMESTAMP.match(value) or PLACEHOLDER_NUMBER.search(value))


def _walk(before: Any, after: Any, where: str, rules: _Rules, found: list[Drift]) -> None:
    if where == "error.code":
        return  # compare() reports it as its own kind, values compared or not
    key = where.rsplit(".", 1)[-1]
    if before is None or after is None:
        if (before is None) != (after is None) and rules.values and not rules.volatile(key, before or after):
            found.append(Drift("value", where, before, after))
        return
    if _json_type(before) != _json_type(after):
        found.append(Drift("type", where, _json_type(before), _json_type(after)))
    elif isinstance(before, dict):
        _walk_object(before, after, where, rules, found)
    elif isinstance(before, list):
        if len(before) != len(after):
            found.append(Drift("length", where, len(before), len(after)))
        for index, (old, new) in enumerate(zip(before, after, strict=False)):
            _walk(old, new, f"{where}.{index}" if where else str(index), rules, found)
    elif before != after and rules.values and not rules.volatile(key, before) and not rules.volatile(key, after):
        found.append(Drift("value", where, before, after))


def _walk_object(before: dict, after: dict, where: str, rules: _Rules, found: list[Drift]) -> None:
    for name in [*before, *(name for name in after if name not in before)]:
        path = f"{where}.{name}" if where else name
        if name not in after:
            found.append(Drift("removed", path, recorded=before[name]))
        elif name not in before:
            found.append(Drift("added", path, live=after[name]))
        else:
            _walk(before[name], after[name], path, rules, found)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "null")
