"""The server's repo-settings normalizers: what a POST stores for every setting, and what
a PATCH stores for the settings its body names. Nothing here rejects a value."""

from __future__ import annotations

import json
import math
import re
from typing import Any

DEFAULT_DEV_PORT = 3000
MIN_TIMEOUT_MS = 10 * 60 * 1000
MAX_TIMEOUT_MS = 5 * 60 * 60 * 1000
RUNTIMES = ("node22", "node24", "python3.13")
VERCEL_LINK_KEYS = ("sandbox_billing_mode_override", "vercel_project_id", "vercel_team_id")


def text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def js_number(value: Any) -> float:
    """JavaScript's Number(value) for JSON values; NaN where it has none."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if value is None:
        return 0.0
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return 0.0
        try:
            return float(stripped) if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?Infinity",
                                                  stripped) else float(int(stripped, 0))
        except ValueError:
            return math.nan
    if isinstance(value, list) and len(value) <= 1:
        return js_number(value[0]) if value else 0.0
    return math.nan


def js_string(value: Any) -> str:
    """JavaScript's String(value ?? "") for JSON values."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(js_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def root_directory(value: Any) -> str | None:
    trimmed = text(value)
    if trimmed is None:
        return None
    stripped = re.sub(r"/+$", "", re.sub(r"/+", "/", re.sub(r"^/+", "", re.sub(r"^\./+", "", trimmed))))
    return None if stripped in ("", ".") else stripped


def dev_port(value: Any) -> int:
    parsed = js_number(value)
    return DEFAULT_DEV_PORT if not math.isfinite(parsed) or parsed < 1 else math.floor(parsed)


def dev_port_auto(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return True


def timeout_ms(value: Any) -> int:
    """Clamped to 10 minutes .. 5 hours; the default (5 hours) where it is no number."""
    parsed = js_number(value)
    if not math.isfinite(parsed):
        return MAX_TIMEOUT_MS
    return min(max(math.floor(parsed), MIN_TIMEOUT_MS), MAX_TIMEOUT_MS)


def optional_timeout_ms(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return timeout_ms(value)


def _env_value(value: Any) -> str:
    raw = js_string(value)
    trimmed = raw.strip()
    if len(trimmed) < 2 or trimmed[0] not in "\"'" or trimmed[-1] != trimmed[0]:
        return raw
    inner = trimmed[1:-1]
    if trimmed[0] == '"':
        escapes = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
        return re.sub(r'\\([\\nrt"])', lambda match: escapes[match.group(1)], inner)
    return re.sub(r"\\([\\'])", lambda match: match.group(1), inner)


def env_vars(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {key.strip(): _env_value(raw) for key, raw in value.items() if key.strip()}


def env_sync_mode(value: Any) -> str:
    # vercel-project is a valid mode the server does not offer yet: it reads as the default.
    return "sandbox-and-preview" if value == "sandbox-and-preview" else "sandbox-only"


def runtime(value: Any) -> str | None:
    trimmed = text(value)
    return trimmed if trimmed in RUNTIMES else None


_NORMALIZERS = {
    "default_branch": lambda value: text(value) or "main",
    "vercel_team_id": lambda value: None,
    "vercel_project_id": lambda value: None,
    "sandbox_billing_target": lambda value: "personal",
    "sandbox_billing_mode_override": lambda value: "platform" if value == "platform" else None,
    "env_sync_mode": env_sync_mode,
    "root_directory": root_directory,
    "install_command": text,
    "dev_command": text,
    "dev_port": dev_port,
    "dev_port_auto": dev_port_auto,
    "sandbox_timeout_ms": optional_timeout_ms,
    "sandbox_env_vars": env_vars,
    "runtime": runtime,
}
# A POST stores these as given (vercel ids) rather than the PATCH's forced null.
_CREATE_ONLY = {"vercel_team_id": text, "vercel_project_id": text,
                "sandbox_billing_target": lambda value: "team" if value == "team" else "personal"}


def for_create(body: dict[str, Any]) -> dict[str, Any]:
    return {key: _CREATE_ONLY.get(key, normalize)(body.get(key)) for key, normalize in _NORMALIZERS.items()}


def for_update(body: dict[str, Any]) -> dict[str, Any]:
    updates = {key: normalize(body[key]) for key, normalize in _NORMALIZERS.items() if key in body}
    for key in ("is_favorite", "is_hidden"):
        if key in body:
            updates[key] = truthy(body[key])
    return updates


def truthy(value: Any) -> bool:
    """JavaScript's Boolean(value) for JSON values."""
    return value not in (None, False, 0, "") and not (isinstance(value, float) and math.isnan(value))


def resets_vercel_link(body: dict[str, Any]) -> bool:
    return any(key in body for key in VERCEL_LINK_KEYS)


def as_json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
