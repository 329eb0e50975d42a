"""One cassette on disk, in vcrpy's own format, written atomically and often.

Interactions are kept in arrival order; the file is rewritten whole (temp file, fsync,
rename) at a bounded interval and on close, so a kill at any moment leaves either the
previous complete file or the new one — always loadable, always a prefix of what
completed. Each new interaction passes the last guard once, before its first write: one
in which a secret survived redaction (read every way it can be decoded) is refused and
logged, and never keeps the others off disk. A write runs off the event loop on a
snapshot, so adding never waits for one, and one write at a time; each interaction is
turned into YAML once, in its own short step, so even the first write of a huge cassette
never holds the interpreter for long.
"""

from __future__ import annotations

import copy
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import vcr.serialize
import yaml
from vcr.record_mode import RecordMode
from vcr.request import Request
from vcr.serializers import compat

from mockplex.recording.redaction import leaked_tokens
from mockplex.replay.reading import CassetteLoadError, read_cassette
from mockplex.atomic_file import write_atomically

log = logging.getLogger("mockplex.record")


class _InteractionDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """vcrpy's YAML for one interaction: safe tags only, so the safe loader always reads
    it back, and no anchors, which would clash between separately dumped interactions."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class RefusedInteraction(Exception):
    """One interaction that must not be written; the message says why."""


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
    refusal: str | None = None  # why it is kept off disk
    on_disk: bool = False  # loaded from the cassette being extended: guarding it would protect nothing
    made_entry: str | None = None

    def entry(self) -> str:
        """Its entry in the file's `interactions:` list, made once, after the last guard."""
        if self.made_entry is None:
            leaks = [] if self.on_disk else leaked_tokens({"request": self.request._to_dict(),
                                                           "response": self.response})
            if leaks:
                raise RefusedInteraction(f"a secret survived redaction: {'; '.join(leaks)}")
            pair = {"request": compat.convert_to_unicode(self.request._to_dict()),
                    "response": compat.convert_to_unicode(self.response)}
            self.made_entry = yaml.dump([pair], Dumper=_InteractionDumper)
        return self.made_entry


@dataclass
class CassetteFile:
    path: Path
    metadata: dict[str, Any]
    interactions: list[Interaction] = field(default_factory=list)
    dirty: bool = False
    written: int = 0
    write_failure: str | None = None  # why the last write failed; the interactions stay in memory
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _writing: threading.Lock = field(default_factory=threading.Lock)

    @property
    def failure(self) -> str | None:
        """Why some completed interactions are not on disk; None when all are."""
        refused = sum(interaction.refusal is not None for interaction in self.interactions)
        if self.write_failure is None and refused:
            return f"{refused} refused, each logged with its reason"
        return self.write_failure

    @classmethod
    def open(cls, path: Path, mode: str, metadata: dict[str, Any]) -> "CassetteFile":
        """Start a cassette for a record mode: once, new_episodes, all or none."""
        cassette = cls(path, metadata)
        if mode != RecordMode.NONE:
            _check_writable(path)
        if path.exists() and mode == RecordMode.ONCE:
            raise CassetteExists(f"{path} exists and record mode 'once' never changes it; "
                                 "use --record-mode new_episodes to add or all to rewrite")
        if path.exists() and mode == RecordMode.NEW_EPISODES:
            try:
                existing = read_cassette(path)
            except CassetteLoadError as error:
                raise CassetteError(str(error)) from None
            pairs = zip(existing.requests, existing.responses, strict=True)
            cassette.interactions = [Interaction(index, request, response, on_disk=True)
                                     for index, (request, response) in enumerate(pairs)]
            cassette.metadata["mockplex"]["callers"] = existing.metadata.get("mockplex", {}).get("callers", {})
        return cassette

    def add(self, sequence: int, request: Request, response: dict[str, Any]) -> None:
        with self._lock:
            self.interactions.append(Interaction(sequence, request, response))
            self.dirty = True

    def update_metadata(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Change the metadata while no write is copying it."""
        with self._lock:
            change(self.metadata)
            self.dirty = True

    def refuse(self, sequence: int, request: Request, reason: str) -> bool:
        with self._lock:
            self.interactions.append(_refused(Interaction(sequence, request, {}), reason))
        return False

    def flush(self) -> bool:
        """Write the file if anything changed; False when the write failed."""
        with self._writing:
            with self._lock:
                if not self.dirty:
                    return True
                ordered = sorted((item for item in self.interactions if item.refusal is None),
                                 key=lambda interaction: interaction.sequence)
                metadata = copy.deepcopy(self.metadata)
                self.dirty = False
            entries = _entries(ordered)
            try:
                write_atomically(self.path, self._text(entries, metadata), 0o644)
            except OSError as error:
                self._failed(error, len(entries))
                return False
            if self.write_failure is not None:
                log.warning("wrote %s again after the earlier failure", self.path)
            self.write_failure, self.written = None, len(entries)
            return True

    @staticmethod
    def _text(entries: list[str], metadata: dict[str, Any]) -> str:
        """The file as vcrpy writes it (keys sorted)."""
        listed = "interactions:\n" + "".join(entries) if entries else "interactions: []\n"
        return listed + yaml.dump({"metadata": metadata, "version": vcr.serialize.CASSETTE_FORMAT_VERSION},
                                  Dumper=_InteractionDumper)

    def _failed(self, error: OSError, held: int) -> None:
        with self._lock:
            self.dirty = True
        cause = error.strerror or str(error)
        if cause != self.write_failure:  # once per cause, not once a second
            log.error("cannot write %s: %s; the previous file is untouched and %d interaction(s) are held "
                      "in memory, retried every flush", self.path, cause, held)
        self.write_failure = cause


def _entries(ordered: list[Interaction]) -> list[str]:
    entries = []
    for item in ordered:
        try:
            entries.append(item.entry())
        except RefusedInteraction as refusal:
            _refused(item, str(refusal))
        except (yaml.YAMLError, UnicodeError) as error:  # e.g. a surrogate-escaped byte in a header
            _refused(item, f"it cannot be written as YAML ({error})")
    return entries


def _refused(interaction: Interaction, reason: str) -> Interaction:
    log.error("not recording %s %s: %s; every other interaction is still written",
              interaction.request.method, interaction.request.path, reason)
    interaction.refusal = reason
    return interaction


def _check_writable(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".probe")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise CassetteUnwritable(f"cannot record into {path}: {path.parent} is not writable "
                                 f"({error.strerror or error})") from None
