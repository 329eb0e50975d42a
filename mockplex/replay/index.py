"""A cassette's parsed index, so that a large cassette starts fast after its first load.

It lives in the user's own cache, never beside the cassette (whoever sends a cassette
could send a forged index with it), named by the SHA-256 of the cassette's content. The
file is a header line, a checksum of the rest, the request side of every interaction as
one JSON line, then each response's JSON one after another. A start reads the request
side, which the match index needs, and slices each response's text out to be parsed when
it is first served. The checksum finds a damaged file (truncated, a flipped byte); the
request side's types and the answers' lengths are checked on every start, and each answer
as a cassette's is when it is first parsed. An index that fails is ignored and rebuilt (an
answer that fails removes its index, for the next start to rebuild).
"""

from __future__ import annotations

import logging
import os
import zlib
from pathlib import Path

from mockplex.atomic_file import write_atomically
from mockplex.replay.callers import RecordedCaller, checked_caller
from mockplex.replay.reading import Malformed
from mockplex.replay.recorded import Recorded, as_json, from_json

log = logging.getLogger("mockplex.replay")

INDEX_FORMAT = 6
MAGIC = b"mockplex replay index %d\n" % INDEX_FORMAT
CACHE_DIR_VARIABLE = "MOCKPLEX_CACHE_DIR"


def index_path(digest: str) -> Path:
    configured = os.environ.get(CACHE_DIR_VARIABLE)
    xdg = os.environ.get("XDG_CACHE_HOME")
    folder = Path(configured) if configured else (Path(xdg) if xdg else Path.home() / ".cache") / "mockplex"
    return folder / f"replay-index-{digest}"


def write_index(index: Path, digest: str, interactions: list[Recorded], callers: dict[str, RecordedCaller]) -> None:
    try:
        responses = [as_json(item.response) for item in interactions]
        requests = [[item.method, item.path, item.query, item.body, item.idempotency_key, item.caller, len(response)]
                    for item, response in zip(interactions, responses, strict=True)]
        head = as_json({"sha256": digest, "interactions": requests,
                        "callers": {name: {"sha256": caller.sha256, "scopes": caller.scopes}
                                    for name, caller in callers.items()}})
    except (TypeError, ValueError) as error:  # a field replay never reads holds what JSON cannot
        log.warning("could not write the replay index %s: %s", index, error)
        return
    sealed = b"".join(unit + b"\n" for unit in (head, *responses))
    try:
        index.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(index, MAGIC + b"%08x\n" % zlib.crc32(sealed) + sealed, 0o600)
        index.with_name(index.name + ".json").unlink(missing_ok=True)  # where index format 5 lived
    except OSError as error:  # an unwritable cache just means a slower start
        log.warning("could not write the replay index %s: %s", index, error)


def read_index(index: Path, digest: str) -> tuple[list[Recorded], dict[str, RecordedCaller]] | None:
    """The index's interactions and callers, or None when it is missing, stale, damaged or
    not what mockplex writes. Each answer is checked when it is first parsed (Recorded)."""
    try:
        raw = index.read_bytes()
    except OSError:
        return None
    start = len(MAGIC) + 9
    if not raw.startswith(MAGIC) or raw[len(MAGIC): start] != b"%08x\n" % zlib.crc32(memoryview(raw)[start:]):
        return None
    try:
        head_end = raw.index(b"\n", start)
        head = from_json(raw[start:head_end])
        if head["sha256"] != digest:
            return None
        interactions, offset = [], head_end + 1
        for method, path, query, body, key, caller, length in head["interactions"]:
            item = Recorded(method, path, tuple((name, value) for name, value in query), body, key,
                            raw[offset: offset + length], caller, index)
            _check_request_side(item, length)
            interactions.append(item)
            offset += length + 1
        if offset != len(raw):
            return None
        callers = {name: checked_caller(name, seen["sha256"], seen["scopes"]) for name, seen in head["callers"].items()}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):  # Malformed is a ValueError
        return None
    return interactions, callers


def _check_request_side(item: Recorded, length: object) -> None:
    texts = [item.method, item.path, item.caller, *(part for pair in item.query for part in pair)]
    if (not all(isinstance(text, str) for text in texts) or not isinstance(item.idempotency_key, (str, type(None)))
            or type(length) is not int or length < 0):
        raise Malformed("an index entry without the types mockplex writes")
