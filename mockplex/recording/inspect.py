"""Looking inside cassettes: listing, showing and linting them (for people and for CI)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mockplex.recording.redaction import leaked_tokens
from mockplex.replay.reading import read_cassette


@dataclass
class LoadedCassette:
    path: Path
    requests: list[Any]
    responses: list[dict[str, Any]]
    metadata: dict[str, Any]


def load(path: Path) -> LoadedCassette:
    """The cassette at `path`, or CassetteLoadError: one line naming the file (and the
    interaction and field, or the line of an alias bomb)."""
    cassette = read_cassette(path)
    return LoadedCassette(path, cassette.requests, cassette.responses, cassette.metadata)


def cassette_files(directory: Path) -> list[Path]:
    return cassettes_inside_and_links_out(directory)[0]


def cassettes_inside_and_links_out(directory: Path) -> tuple[list[Path], list[Path]]:
    """The *.yaml files below `directory` (hidden ones aside), and apart from them the
    links among them that lead out of it: a shared folder must not reach elsewhere."""
    root = directory.resolve()
    inside, outside = [], []
    for path in sorted(directory.rglob("*.yaml")):
        if not path.name.startswith("."):
            (inside if root in path.resolve().parents else outside).append(path)
    return inside, outside


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
    return [f"interaction {index}: {place}"
            for index, (request, response) in enumerate(zip(cassette.requests, cassette.responses, strict=True), 1)
            for place in leaked_tokens({"request": request._to_dict(), "response": response})]
