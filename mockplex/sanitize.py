"""Run-event payload sanitization at read time (v1 spec §7.3), in the server's order."""

from __future__ import annotations

import json
import re
from typing import Any

_REDACTED = "[redacted]"
_TRUNCATED = "[truncated]"
_ENV_KEYS = frozenset({
    "env", "environment", "envvars", "runtimeenv", "runtimeenvironment", "githubtoken",
    "ghtoken", "aibillingsource", "mogplexaibillingsource",
})
_SENSITIVE_KEY = re.compile(
    r"authorization|api_key|api-key|apikey|token|secret|password|cookie|credential|"
    r"client_secret|access_token|refresh_token|session|jwt",
    re.IGNORECASE,
)
_STRING_RULES = (
    (re.compile(r"bearer\s+[^\s\"',;]+", re.IGNORECASE), "Bearer [redacted]"),
    (re.compile(r"x-access-token:[^@\s]+@"), "x-access-token:[redacted]@"),
    (re.compile(r"\bgh[oprsu]_[A-Za-z0-9]+"), _REDACTED),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]+"), _REDACTED),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), _REDACTED),
    (re.compile(r"\bsb_secret_[A-Za-z0-9_-]+"), _REDACTED),
)
MAX_STRING = 2000
MAX_ITEMS = 25
MAX_DEPTH = 3
MAX_PAYLOAD_TEXT = 20_000


def sanitize_event_payload(payload: dict[str, Any]) -> dict[str, Any]:
    cleaned = _sanitize(_redact_env_keys(payload), 0)
    text = json.dumps(cleaned, separators=(",", ":"), ensure_ascii=False)
    if len(text) > MAX_PAYLOAD_TEXT:
        return {"truncated": True, "payloadPreview": text[:MAX_PAYLOAD_TEXT]}
    return cleaned


def _redact_env_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _REDACTED if _alnum(key) in _ENV_KEYS else _redact_env_keys(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_env_keys(item) for item in value]
    return value


def _alnum(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _sanitize(value: Any, depth: int) -> Any:
    if isinstance(value, (dict, list)) and depth >= MAX_DEPTH:
        return _TRUNCATED
    if isinstance(value, dict):
        return {key: _REDACTED if _SENSITIVE_KEY.search(key) else _sanitize(item, depth + 1)
                for key, item in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, list):
        return [_sanitize(item, depth + 1) for item in value[:MAX_ITEMS]]
    if isinstance(value, str):
        return _sanitize_string(value, depth)
    return value


def _sanitize_string(text: str, depth: int) -> str:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            nested = json.loads(stripped)
        except ValueError:
            nested = None
        if isinstance(nested, (dict, list)):
            text = json.dumps(_sanitize(nested, depth), separators=(",", ":"), ensure_ascii=False)
    for pattern, replacement in _STRING_RULES:
        text = pattern.sub(replacement, text)
    if len(text) > MAX_STRING:
        text = text[:MAX_STRING] + f"\n...[truncated {len(text) - MAX_STRING} chars]"
    return text
