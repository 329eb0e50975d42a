"""One cassette on disk, in vcrpy's own format, written atomically and often.

Interactions are kept in arrival order; the file is rewritten whole (temp file, fsync,
rename) at a bounded interval and on close, so a kill at any moment leaves either the
previous complete file or the new one — always loadable, always a prefix of what
completed. Before each write the last guard looks for token-shaped strings; if one
survived redaction the write is refused and the previous file kept.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vcr.serialize
from vcr.request import Request
from vcr.serializers import yamlserializer

from mockplex.recording.redaction import leaked_tokens
from mockplex.world.state_files import write_atomically

log = logging.getLogger("mockplex.record")


class CassetteError(Exception):
    """A cassette that cannot be recorded into; the message names the file."""


class CassetteExists(CassetteError):
    pass


class CassetteUnwritable(CassetteError):
    """The cassette's folder refuses writes (read-only, full, not a folder): said before
    anything is forwarded, so nothing is recorded only to be lost."""


@dataclass
class Interaction:
    sequence: int
    request: Request
    response: dict[str, Any]


@dataclass
class CassetteFile:
    path: Path
    metadata: dict[str, Any]
    interactions: list[Interaction] = field(default_factory=list)
    dirty: bool = False
    written: int = 0
    refused: int = 0
    failure: str | None = None  # why the last write failed; the interactions stay in memory
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, path: Path, mode: str, metadata: dict[str, Any]) -> "CassetteFile":
        """Start a cassette for a record mode: once, new_episodes, all or none."""
        cassette = cls(path, metadata)
        if mode != "none":
            _check_writable(path)
        if path.exists() and mode == "once":
            raise CassetteExists(f"{path} exists and record mode 'once' never changes it; "
                                 "use --record-mode new_episodes to add or all to rewrite")
        if path.exists() and mode == "new_episodes":
            requests, responses, *_ = vcr.serialize.deserialize(path.read_text(encoding="utf-8"), yamlserializer)
            cassette.interactions = [Interaction(index, request, response)
                                     for index, (request, response) in enumerate(zip(requests, responses, strict=True))]
        return cassette

    def add(self, sequence: int, request: Request, response: dict[str, Any]) -> None:
        with self._lock:
            self.interactions.append(Interaction(sequence, request, response))
            self.dirty = True

    def flush(self) -> bool:
        """Write the file if anything changed; False when the last guard refused it."""
        with self._lock:
            if not self.dirty:
                return True
            ordered = sorted(self.interactions, key=lambda interaction: interaction.sequence)
            leaks = [(index, place) for index, item in enumerate(ordered)
                     for place in leaked_tokens({"request": item.request._to_dict(), "response": item.response})]
            if leaks:
                index, place = leaks[0]
                self.refused += 1
                log.error("not writing %s: interaction %d still holds a token-shaped string at %s; "
                          "the previous file is kept", self.path, index + 1, place)
                return False
            text = vcr.serialize.serialize({
                "requests": [item.request for item in ordered], "responses": [item.response for item in ordered],
                "metadata": self.metadata,
            }, yamlserializer)
            try:
                write_atomically(self.path, text, 0o644)
            except OSError as error:
                self._failed(error, len(ordered))
                return False
            if self.failure is not None:
                log.warning("wrote %s again after the earlier failure", self.path)
            self.dirty, self.failure, self.written = False, None, len(ordered)
            return True

    def _failed(self, error: OSError, held: int) -> None:
        cause = error.strerror or str(error)
        if cause != self.failure:  # once per cause, not once a second
            log.error("cannot write %s: %s; the previous file is untouched and %d interaction(s) are held "
                      "in memory, retried every flush", self.path, cause, held)
        self.failure = cause


def _check_writable(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".probe")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise CassetteUnwritable(f"cannot record into {path}: {path.parent} is not writable "
                                 f"({error.strerror or error})") from None
