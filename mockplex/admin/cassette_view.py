"""`GET /__mockplex/cassettes[/NAME[/N]]`: the cassette folder, a cassette's interactions
(the table `mockplex cassettes show` prints) with its lint findings, and one interaction
whole, masked as the journal masks. Cassettes are read off the event loop: a large one
takes a while to parse."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from mockplex import state
from mockplex.admin.journal import masked_bytes, masked_headers, masked_text
from mockplex.recording.inspect import (LoadedCassette, body_bytes, cassette_files, content_type, interaction, load,
                                        summaries)
from mockplex.recording.names import CassetteNameError, cassette_path
from mockplex.recording.redaction import leaked_tokens
from mockplex.replay.reading import CassetteLoadError
from mockplex.responses import json_response

DEFAULT_FOLDER = Path("cassettes")


def _folder(request: web.Request) -> Path:
    return request.app[state.SETTINGS].cassette_dir or DEFAULT_FOLDER


def _listing(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        return {"folder": str(folder), "cassettes": [], "error": f"{folder}: no such cassette folder"}
    shown = []
    for path in cassette_files(folder):
        name = path.relative_to(folder).with_suffix("").as_posix()
        try:
            cassette = load(path)
        except CassetteLoadError as error:
            shown.append({"name": name, "interactions": None, "error": error.reason})
            continue
        provenance = cassette.metadata.get("mockplex", {})
        shown.append({"name": name, "interactions": len(cassette.requests),
                      "upstream": provenance.get("upstream"), "recorded_at": provenance.get("recorded_at")})
    return {"folder": str(folder), "cassettes": shown}


def _findings(cassette: LoadedCassette) -> list[dict[str, Any]]:
    """Lint's findings, per interaction: a secret that survived, an answer off the contract."""
    from mockplex.contract.conformance import check_answer  # the contract reads the route table, which reads us

    found = []
    for index, (request, response) in enumerate(zip(cassette.requests, cassette.responses, strict=True), 1):
        for place in leaked_tokens({"request": request._to_dict(), "response": response}):
            found.append({"index": index, "level": "error", "message": f"a secret survived: {place}"})
        status, path = response["status"]["code"], urlsplit(request.uri).path
        for finding in check_answer(request.method, path, status, content_type(response), body_bytes(response)):
            found.append({"index": index, "level": "error",
                          "message": f"{finding.field or 'body'}: {finding.message}"})
    return found


def _table(name: str, path: Path) -> dict[str, Any]:
    try:
        cassette = load(path)
    except CassetteLoadError as error:
        return {"name": name, "interactions": [], "findings": [{"index": None, "level": "error",
                                                                "message": error.reason}]}
    rows = [{"index": row["number"], "method": row["method"], "uri": masked_text(request.uri),
             "request": masked_text(row["request"]), "status": row["status"], "bytes": row["bytes"],
             "chunks": row["chunks"]}
            for row, request in zip(summaries(cassette), cassette.requests, strict=True)]
    return {"name": name, "interactions": rows, "findings": _findings(cassette)}


def _side(side: dict[str, Any], kind: str) -> dict[str, Any]:
    """One side of an interaction, its headers and body masked; an event stream also as
    its events."""
    headers = tuple((name, str(value)) for name, values in side["headers"].items()
                    for value in (values if isinstance(values, list) else [values]))
    media = next((value for name, value in headers if name.lower() == "content-type"), "")
    body = masked_bytes(side["body"].encode("utf-8"), media) if side["body"] else ""
    shown = {**{key: value for key, value in side.items() if key not in ("headers", "body", "json")},
             "headers": masked_headers(headers), "body": body}
    try:
        shown["json"] = json.loads(body)
    except ValueError:
        pass
    if kind == "response" and "text/event-stream" in media.lower():
        shown["events"] = [event for event in body.replace("\r\n", "\n").split("\n\n") if event.strip()]
    return shown


def _interaction(name: str, path: Path, number: int) -> dict[str, Any] | None:
    cassette = load(path)
    if not 1 <= number <= len(cassette.requests):
        return None
    whole = interaction(cassette, number)
    request = _side(whole["request"], "request")
    request["uri"] = masked_text(request["uri"])
    return {"name": name, "index": number, "of": whole["of"], "request": request,
            "response": _side(whole["response"], "response")}


async def list_cassettes(request: web.Request, admin: Any) -> web.Response:
    return json_response(await asyncio.to_thread(_listing, _folder(request)))


async def cassette_detail(request: web.Request, admin: Any, rest: str) -> web.Response:
    """`NAME` (the table and findings) or `NAME/N` (interaction N, from 1)."""
    folder = _folder(request)
    name, _, last = rest.rpartition("/")
    try:
        whole = cassette_path(folder, rest) if rest else None
        if whole is not None and whole.is_file():
            return json_response(await asyncio.to_thread(_table, rest, whole))
        path = cassette_path(folder, name) if last.isdigit() and name else None
    except CassetteNameError as error:
        return json_response({"error": str(error)}, 400)
    if path is None or not path.is_file():
        return json_response({"error": f"no cassette {rest!r} in {folder}"}, 404)
    try:
        shown = await asyncio.to_thread(_interaction, name, path, int(last))
    except CassetteLoadError as error:
        return json_response({"error": error.reason}, 422)
    if shown is None:
        return json_response({"error": f"cassette {name!r} has no interaction {last}"}, 404)
    return json_response(shown)
