"""Secrets never reach disk: every interaction is redacted before it is kept.

The same secret always becomes the same placeholder within a cassette (so replay
matching still works), and placeholders never look like a token.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

PAT_PATTERN = re.compile(r"mog_[A-Za-z0-9]{8,}")
PLACEHOLDER_NUMBER = re.compile(r"<redacted:[a-z_-]+:(\d+)>")
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-mogplex-e2e-auth", "proxy-authorization",
                            "x-hub-signature-256", "x-slack-signature", "x-mogplex-signature", "stripe-signature"})
# JSON keys whose string values are secrets wherever they appear.
SECRET_JSON_KEYS = frozenset({"value", "token", "key", "secret", "envSecrets", "headerSecrets", "credentials"})
# JSON keys whose every member value is a secret (resolved MCP server env and headers).
SECRET_JSON_MAPS = frozenset({"env", "http_headers", "envPlain", "headerPlain"})


@dataclass
class Redactor:
    extra_headers: frozenset[str] = frozenset()
    extra_json_keys: frozenset[str] = frozenset()
    extra_patterns: tuple[re.Pattern[str], ...] = ()
    _placeholders: dict[str, str] = field(default_factory=dict)
    _numbered: int = 0

    def placeholder(self, secret: str, kind: str) -> str:
        if secret not in self._placeholders:
            self._numbered += 1
            self._placeholders[secret] = f"<redacted:{kind}:{self._numbered}>"
        return self._placeholders[secret]

    def continue_after(self, existing_text: str) -> None:
        """Number new placeholders after those already in a cassette being extended, so
        a new secret never shares a placeholder with an old, different one."""
        numbers = [int(found) for found in PLACEHOLDER_NUMBER.findall(existing_text)]
        self._numbered = max([self._numbered, *numbers])

    # -- pieces of an interaction -------------------------------------------------------

    def text(self, value: str) -> str:
        value = PAT_PATTERN.sub(lambda match: self.placeholder(match.group(0), "pat"), value)
        for pattern in self.extra_patterns:
            value = pattern.sub(lambda match: self.placeholder(match.group(0), "custom"), value)
        return value

    def header(self, name: str, value: str) -> str:
        lowered = name.lower()
        if lowered in SECRET_HEADERS or lowered in self.extra_headers:
            if lowered in ("authorization", "proxy-authorization") and " " in value:
                scheme, _, credential = value.partition(" ")
                return f"{scheme} {self.placeholder(credential, 'credential')}"
            return self.placeholder(value, lowered.replace("-", "_"))
        return self.text(value)

    def headers(self, headers: dict[str, list[str]]) -> dict[str, list[str]]:
        return {name: [self.header(name, value) for value in values] for name, values in headers.items()}

    def url(self, url: str) -> str:
        """Tokens are URL-safe, so the raw URL is redacted as text and otherwise kept exactly."""
        return self.text(url)

    def body(self, body: bytes | None) -> bytes | None:
        if not body:
            return body
        try:
            parsed = json.loads(body)
        except ValueError:
            try:
                return self.text(body.decode("utf-8")).encode("utf-8")
            except UnicodeDecodeError:
                return body
        redacted = self.json(parsed)
        if redacted == parsed:
            return body  # nothing secret: keep the upstream's exact bytes
        return json.dumps(redacted, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def json(self, value: Any, key: str | None = None) -> Any:
        secret_keys = SECRET_JSON_KEYS | self.extra_json_keys
        if isinstance(value, dict):
            if key in SECRET_JSON_MAPS:
                return {name: self.placeholder(str(item), "value") if item not in (None, "") else item
                        for name, item in value.items()}
            return {name: self.json(item, name) for name, item in value.items()}
        if isinstance(value, list):
            return [self.json(item, key) for item in value]
        if isinstance(value, str):
            if key in secret_keys and value:
                return self.placeholder(value, key)
            return self.text(value)
        return value

    def chunk_text(self, value: str) -> str:
        """Event-stream text: each `data:` line may hold JSON; redact it line by line."""
        lines = []
        for line in value.split("\n"):
            if line.startswith("data: ") and line[6:].strip() not in ("", "[DONE]"):
                payload = self.body(line[6:].encode("utf-8"))
                lines.append("data: " + payload.decode("utf-8"))
            else:
                lines.append(self.text(line))
        return "\n".join(lines)


def leaked_tokens(value: Any, where: str = "") -> list[str]:
    """Every place a token-shaped string survives: the last guard before a write."""
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in leaked_tokens(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in leaked_tokens(item, f"{where}[{index}]")]
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and PAT_PATTERN.search(value):
        return [where.lstrip(".")]
    return []
