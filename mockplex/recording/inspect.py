"""Looking inside cassettes: listing, showing and linting them (for people and for CI)."""

from __future__ import annotations

import json
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
    return _as_bytes(response.get("body", {}).get("string", b""))


def summaries(cassette: LoadedCassette) -> list[dict[str, Any]]:
    """One line's worth per interaction, numbered from 1: what `cassettes show` tabulates."""
    table = []
    for number, (request, response) in enumerate(zip(cassette.requests, cassette.responses, strict=True), 1):
        parts = urlsplit(request.uri)
        table.append({"number": number, "method": request.method,
                      "request": parts.path + (f"?{parts.query}" if parts.query else ""),
                      "status": response["status"]["code"], "bytes": len(body_bytes(response)),
                      "chunks": len(_chunks(response))})
    return table


def rows(cassette: LoadedCassette) -> list[tuple[str, ...]]:
    return [(str(row["number"]), row["method"], row["request"], str(row["status"]),
             f"{row['bytes']} B" + (f" in {row['chunks']} chunks" if row["chunks"] > 1 else ""))
            for row in summaries(cassette)]


def interaction(cassette: LoadedCassette, number: int) -> dict[str, Any]:
    """Interaction `number` (from 1) whole, as JSON-ready data: each body as text, and
    parsed under "json" too where it is JSON."""
    request, response = cassette.requests[number - 1], cassette.responses[number - 1]
    status = response["status"]
    return {"number": number, "of": len(cassette.requests),
            "request": {"method": request.method, "uri": request.uri, "headers": request._to_dict()["headers"],
                        **_body(request.body)},
            "response": {"status": status["code"], "message": status.get("message", ""),
                         "headers": response.get("headers", {}), **_body(body_bytes(response)),
                         "chunks": _chunks(response)}}


def interaction_text(cassette: LoadedCassette, number: int) -> str:
    """Interaction `number` for people: each side's first line, headers, a blank line and the
    body, JSON pretty-printed and a streamed body chunk by chunk as it was recorded."""
    shown = interaction(cassette, number)
    request, response = shown["request"], shown["response"]
    request_raw = _as_bytes(cassette.requests[number - 1].body)
    return "\n".join([
        f"interaction {number} of {shown['of']}", "", "--- request ---", f"{request['method']} {request['uri']}",
        *_header_lines(request["headers"]), "", _body_text(request, [[len(request_raw), 0]], request_raw),
        "", "--- response ---", f"{response['status']} {response['message']}".rstrip(),
        *_header_lines(response["headers"]), "",
        _body_text(response, response["chunks"], body_bytes(cassette.responses[number - 1]))])


def _as_bytes(body: bytes | str | None) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else (body or b"")


def _chunks(response: dict[str, Any]) -> list[list[float]]:
    return response.get("mockplex", {}).get("chunks") or [[len(body_bytes(response)), 0]]


def _body(body: bytes | str | None) -> dict[str, Any]:
    text = _as_bytes(body).decode("utf-8", "replace")
    try:
        return {"body": text, "json": json.loads(text)}
    except ValueError:
        return {"body": text}


def _header_lines(headers: dict[str, Any]) -> list[str]:
    return [f"{name}: {value}" for name, values in headers.items()
            for value in (values if isinstance(values, list) else [values])]


def _body_text(side: dict[str, Any], chunks: list[list[float]], raw: bytes) -> str:
    if not raw:
        return "(no body)"
    if len(chunks) > 1 and sum(size for size, _ in chunks) == len(raw):
        return "\n".join(_chunk_lines(chunks, raw))
    if "json" in side:
        return json.dumps(side["json"], indent=2, ensure_ascii=False)
    return side["body"]


def _chunk_lines(chunks: list[list[float]], raw: bytes) -> list[str]:
    lines, start = [], 0
    for index, (size, delay_ms) in enumerate(chunks, 1):
        size = int(size)
        lines += [f"~~~ chunk {index} of {len(chunks)}: {size} B after {delay_ms:g} ms ~~~",
                  raw[start:start + size].decode("utf-8", "replace")]
        start += size
    return lines


def content_type(response: dict[str, Any]) -> str:
    return ",".join(value for name, values in response.get("headers", {}).items()
                    if name.lower() == "content-type" for value in values)


def leaks(cassette: LoadedCassette) -> list[str]:
    """Every secret that survived redaction, as 'interaction N: what' (empty means clean)."""
    return [f"interaction {index}: {place}"
            for index, (request, response) in enumerate(zip(cassette.requests, cassette.responses, strict=True), 1)
            for place in leaked_tokens({"request": request._to_dict(), "response": response})]
