"""A replay miss kept for later: the question replay could not answer, so a reader (the
journal, the inspector) can ask the cassette what came closest without a request paying
for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from mockplex.replay.store import ReplayStore, parse_body


@dataclass(frozen=True, slots=True)
class ReplayMiss:
    store: ReplayStore
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    raw_body: bytes  # parsed only when diagnosed: a journal full of parsed bodies would not fit its budget
    idempotency_key: str | None
    caller: str | None
    template: str

    def diagnosis(self) -> dict[str, Any]:
        """`{"closest": the recorded request most like this one or None, "differences": [...],
        "would_match_with": flags or None, "exhausted": answers recorded when all were used}`,
        unmasked: the caller masks what it shows."""
        store = self.store
        asked = (self.method, self.path, self.query, parse_body(self.raw_body), self.idempotency_key, self.caller)
        used = store.used_up(*asked, self.template)
        found = store.closest(*asked)
        if found is None:
            return {"closest": None, "differences": [f"the cassette '{store.name}' is empty"],
                    "would_match_with": None, "exhausted": 0}
        recorded, _, flags = found
        differences = [text for text, _ in store.differences(recorded, *asked)]
        if used:
            differences = [f"recorded, and its {used} recorded answer(s) were all used"]
            flags = "--on-exhausted repeat"
        return {"closest": {"method": recorded.method, "path": recorded.path, "query": urlencode(recorded.query),
                            "caller": recorded.caller, "idempotency_key": recorded.idempotency_key,
                            "status": recorded.response.get("status", {}).get("code")},
                "differences": differences or ["nothing the match compares"], "would_match_with": flags,
                "exhausted": used}
