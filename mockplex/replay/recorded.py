"""One recorded interaction as replay keeps it: what the request was matched on, and its
response, which a large cassette's index keeps as JSON text until it is first served."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from mockplex.replay.reading import check_response


@dataclass
class Recorded:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any
    idempotency_key: str | None
    stored_response: dict[str, Any] | bytes  # the vcrpy response, or its JSON form (as_json) from the index
    caller: str
    stored_in: Path | None = None  # the index the JSON form came from
    # The answer as sent, once per origin a caller used (replay.answer): the recording
    # never changes, so neither does its answer to a given origin.
    sent: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def response(self) -> dict[str, Any]:
        """The vcrpy response; parsed on first use when it came from the index, since most
        of a large cassette's answers are never asked for in one run."""
        stored = self.stored_response
        if not isinstance(stored, dict):
            stored = self.stored_response = self._parsed(stored)
        return stored

    def _parsed(self, text: bytes) -> dict[str, Any]:
        """The index's answer, checked as a cassette's is. One that fails was not written by
        mockplex: the index goes, so the next start rebuilds it from the cassette."""
        try:
            response = from_json(text)
            check_response(response)
            return response
        except (ValueError, RecursionError) as error:  # Malformed is a ValueError
            if self.stored_in is not None:
                self.stored_in.unlink(missing_ok=True)
            raise IndexDamaged(f"{self.stored_in}: an answer in this replay index is not as mockplex wrote it "
                               f"({error}); the index is removed, and the next start rebuilds it") from None


class IndexDamaged(Exception):
    pass


def as_json(value: Any) -> bytes:
    """Cassette data as compact JSON: bytes become {"$text": ...} or {"$bytes": base64}.
    (orjson writes it, asking `_bytes_form` for each bytes; what it refuses, the json
    module writes.)"""
    try:
        return orjson.dumps(value, default=_bytes_form)
    except orjson.JSONEncodeError:
        return json.dumps(_encoded(value), separators=(",", ":")).encode()


def _bytes_form(value: Any) -> dict[str, str]:
    if isinstance(value, bytes):
        return _encoded(value)
    raise TypeError(type(value).__name__)


def from_json(text: bytes) -> Any:
    return json.loads(text, object_hook=_decoded)


def _encoded(value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            return {"$text": value.decode("utf-8")}
        except UnicodeDecodeError:
            return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {key: _encoded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encoded(item) for item in value]
    return value


def _decoded(value: dict[str, Any]) -> Any:
    """Each object as it is parsed: bytes come back from their `_encoded` form."""
    if len(value) == 1:
        if "$text" in value:
            return value["$text"].encode("utf-8")
        if "$bytes" in value:
            return base64.b64decode(value["$bytes"])
    return value
