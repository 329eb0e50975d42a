"""What the inspector's traffic view adds to a journal entry, worked out when the entry is
read (never while the request is answered): who called, by name; a curl command that sends
the request again; and, for a replay miss, what the cassette held closest."""

from __future__ import annotations

import shlex
from typing import Any, Callable

from mockplex import jsonio
from mockplex.admin.journal import JournalEntry, masked_bytes, masked_text
from mockplex.world.tokens import Identity
from mockplex.world.world import World

# Headers curl works out for itself, or that only describe this one connection.
LEFT_TO_CURL = frozenset({"host", "content-length", "connection", "keep-alive", "transfer-encoding",
                          "accept-encoding", "te", "upgrade"})


class CallerNames:
    """Names for the identities the rules resolved: a token's name, an OAuth client, a
    signed-in user. Never the credential itself, which an identity does not carry."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._token_names: dict[str, str] | None = None

    def name(self, identity: Identity | None) -> str | None:
        if identity is None:
            return None
        if identity.kind == "pat":
            if self._token_names is None:
                self._token_names = {pat.id: pat.name for pat in self.world.tokens.pats()}
            return self._token_names.get(identity.key_id, f"token {identity.key_id}")
        if identity.kind == "oauth":
            return f"OAuth client {identity.key_id}"
        if identity.kind == "replay":
            return f"recorded caller {identity.key_id}"
        return f"{identity.kind} {self._user(identity.user_id)}"

    def _user(self, user_id: str) -> str:
        user = self.world.users.get(user_id)
        return user.email if user is not None else user_id


def curl_command(entry: JournalEntry, origin: str) -> str:
    """A curl command sending the request again to `origin`, with the entry's masking."""
    masked = entry.masked
    words = ["curl", "-sS"]
    if entry.method == "HEAD":
        words.append("-I")
    elif entry.method != "GET":
        words += ["-X", entry.method]
    for name, value in masked.request_headers:
        if name.lower() not in LEFT_TO_CURL:
            words += ["-H", f"{name}: {value}"]
    body = masked.body
    if body is jsonio.NOT_JSON and entry.body is not None:
        body = masked_bytes(entry.body)
    if isinstance(body, str):
        words += ["--data-raw", body]
    words.append(origin + masked.path + (f"?{masked.query}" if masked.query else ""))
    return " ".join(shlex.quote(word) for word in words)


def miss_report(entry: JournalEntry) -> dict[str, Any] | None:
    """The replay miss's diagnosis, its texts masked: a difference quotes what was sent."""
    miss = entry.flow.replay_miss  # the question, diagnosed only now that it is read
    if miss is None:
        return None
    report = miss.diagnosis()
    closest = report["closest"]
    if closest is not None:
        report["closest"] = {**closest, "path": masked_text(closest["path"]), "query": masked_text(closest["query"])}
    report["differences"] = [masked_text(text) for text in report["differences"]]
    return report


def traffic_fields(world: World, origin: str) -> Callable[[JournalEntry], dict[str, Any]]:
    """The fields the traffic view reads beside an entry's own."""
    names = CallerNames(world)

    def described(entry: JournalEntry) -> dict[str, Any]:
        return {"caller": names.name(entry.flow.identity), "source": entry.flow.source, "duration_ms": entry.latency_ms,
                "miss": miss_report(entry), "curl": curl_command(entry, origin)}
    return described
