"""Looking inside cassettes: listing, showing and linting them (for people and for CI)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import vcr.serialize
from vcr.serializers import yamlserializer

from mockplex.recording.redaction import leaked_tokens

_UNREDACTED_CREDENTIAL = re.compile(r"^(Bearer|Basic) (?!<redacted:)\S+")


@dataclass
class LoadedCassette:
    path: Path
    requests: list[Any]
    responses: list[dict[str, Any]]
    metadata: dict[str, Any]


def load(path: Path) -> LoadedCassette:
    requests, responses, *metadata = vcr.serialize.deserialize(path.read_text(encoding="utf-8"), yamlserializer)
    return LoadedCassette(path, requests, responses, metadata[0] if metadata else {})


def cassette_files(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*.yaml") if not path.name.startswith("."))


def body_bytes(response: dict[str, Any]) -> bytes:
    body = response.get("body", {}).get("string", b"")
    return body.encode("utf-8") if isinstance(body, str) else (body or b"")


def rows(cassette: LoadedCassette) -> list[tuple[str, ...]]:
    table = []
    for index, (request, response) in enumerate(zip(cassette.requests, cassette.responses, strict=True), 1):
        parts = urlsplit(request.uri)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        chunks = len(response.get("mockplex", {}).get("chunks") or [1])
        table.append((str(index), request.method, target, str(response["status"]["code"]),
                      f"{len(body_bytes(response))} B" + (f" in {chunks} chunks" if chunks > 1 else "")))
    return table


def content_type(response: dict[str, Any]) -> str:
    return ",".join(value for name, values in response.get("headers", {}).items()
                    if name.lower() == "content-type" for value in values)


def leaks(cassette: LoadedCassette) -> list[str]:
    """Every secret that survived redaction, as 'interaction N: what' (empty means clean)."""
    problems = []
    for index, (request, response) in enumerate(zip(cassette.requests, cassette.responses, strict=True), 1):
        for place in leaked_tokens({"request": request._to_dict(), "response": response}):
            problems.append(f"interaction {index}: a token-shaped string at {place}")
        for name, values in request.headers.items():
            value = values if isinstance(values, str) else str(values)
            if name.lower() in ("authorization", "proxy-authorization") and _UNREDACTED_CREDENTIAL.match(value):
                problems.append(f"interaction {index}: request header {name} holds an unredacted credential")
            if name.lower() == "cookie" and not value.startswith("<redacted:"):
                problems.append(f"interaction {index}: request header Cookie is not redacted")
    return problems
