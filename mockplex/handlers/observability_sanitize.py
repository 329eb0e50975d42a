"""The server's user-facing-error pass over observability payloads.

Failed records have their prose diagnostics replaced by a canned sentence that names an
incident id (`MOG-<KIND>-<ID>`); safe fields (ids, timestamps, enum codes) survive. The
patterns are the server's, so a client sees the same rewrites it sees in production.
"""

from __future__ import annotations

import re
from typing import Any

_I = re.IGNORECASE
ERROR_KEY = re.compile(r"(?:^|_)(?:error|errors|exception|stack|stacktrace|stderr|failure|failure_message|"
                       r"last_start_error|cancel_error)(?:$|_)", _I)
ENV_CONFIGURATION = re.compile(r"\b[A-Z][A-Z0-9_]{2,}\b.{0,80}\b(?:required|missing|unset|not configured)\b", _I)
STACK_TRACE = re.compile(r"(?:^|\n)\s*at\s+[^\n]+(?:\(|:\d+:\d+)", re.MULTILINE)
INTERNAL_URL = re.compile(r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|[^\s/]+\.(?:internal|local))(?:[/:\s]|$)",
                          _I)
INTERNAL_PROVIDER = re.compile(r"\b(?:postgres|postgrest|database|supabase|neon|stripe|vercel|trigger\.dev)\b.{0,100}"
                               r"\b(?:error|failed|failure|unavailable|denied|timeout)\b", _I)
FAILURE_SIGNAL = re.compile(r"\b(?:error|failed|failure|exception|invalid|unavailable|denied|timeout|timed out|429|"
                            r"rate limit|cancelled|canceled|aborted)\b", _I)
FAILURE_STATE = re.compile(r"^(?:failed|failure|start_failed|cancel_failed|error|errored)$", _I)
MACHINE_CODE = re.compile(r"^[A-Z][A-Z0-9_]{2,80}$")
CODE_KEY = re.compile(r"(?:^|_)(?:code|error_code)(?:$|_)", _I)
ENUM_KEY = re.compile(r"(?:^|_)(?:reason|code|outcome|class)$")
SAFE_FIELD_SUFFIX = re.compile(r"_(?:id|type|at|ref|sha|title|author|login|full_name|label|provider|phase|source)$")
FAILURE_CLASSES = {"authentication", "authorization", "cancelled", "canceled", "configuration",
                   "dependency_unavailable", "internal", "provider_unavailable", "rate_limited", "timeout", "unknown"}
SAFE_FIELDS = {"id", "status", "state", "type", "event_type", "event_kind", "outcome", "source", "source_kind",
               "source_type", "model", "name", "slug", "path", "line", "severity", "branch", "review_dedup_key"}
# Nested records that start a fresh context: a failed job's repo or agent is not a diagnostic.
CONTEXT_RESET_KEYS = {"agent", "ai_calls", "dispatch_events", "events", "latest_ai_call", "latest_dispatch_event",
                      "node_runs", "repo", "review_findings", "sandbox_context", "tool_calls", "input",
                      "input_preview"}

_KINDS = (
    (re.compile(r"\b(?:cancelled|canceled|cancel requested|aborted)\b", _I),
     "The run was cancelled before it completed. Incident {}."),
    (re.compile(r"\b(?:timeout|timed out|deadline|time limit)\b", _I),
     "The run exceeded its time limit. Retry it or reduce the task scope. Incident {}."),
    (re.compile(r"\b(?:429|rate limit|quota|too many requests)\b", _I),
     "The AI provider rate limit or quota was reached. Retry later or check provider usage. Incident {}."),
    (re.compile(r"\b(?:unauthorized|forbidden|permission|access denied|not installed|reconnect)\b", _I),
     "A required connection is not authorized. Reconnect it in Settings and retry. Incident {}."),
)
_CONFIGURATION = re.compile(r"\b(?:model|provider|credential|api key|configuration|configured)\b.{0,80}"
                            r"\b(?:missing|required|invalid|unavailable|not configured)\b", _I)


def incident_id(kind: str, entity_id: str) -> str:
    def part(value: str) -> str:
        return re.sub(r"[^a-z0-9]", "", value, flags=_I).upper()[:10] or "UNKNOWN"
    return f"MOG-{part(kind)}-{part(entity_id)}"


def present_failure(raw: Any, incident: str) -> str:
    text = raw if isinstance(raw, str) else ""
    for pattern, sentence in _KINDS:
        if pattern.search(text):
            return sentence.format(incident)
    if ENV_CONFIGURATION.search(text) or _CONFIGURATION.search(text):
        return f"This run needs additional model or provider configuration. Check Settings and retry. Incident {incident}."
    return ("The run failed because of an internal service error. Retry it; if it continues, contact support "
            f"with incident {incident}.")


def looks_internal(value: str) -> bool:
    return any(pattern.search(value) for pattern in (ENV_CONFIGURATION, STACK_TRACE, INTERNAL_URL, INTERNAL_PROVIDER))


def _safe_field(key: str) -> bool:
    key = key.lower()
    return key in SAFE_FIELDS or bool(SAFE_FIELD_SUFFIX.search(key))


def _benign(key: str | None, value: str) -> bool:
    if key is None:
        return False
    key = key.lower()
    if ENUM_KEY.search(key):
        return value in FAILURE_CLASSES or bool(MACHINE_CODE.match(value))
    return key.endswith("_url") and value.startswith("https://github.com/")


def _string(value: str, incident: str, key: str | None, failure: bool) -> str:
    if key and CODE_KEY.search(key) and MACHINE_CODE.match(value):
        return value
    if key and ERROR_KEY.search(key):
        return value if value in FAILURE_CLASSES else present_failure(value, incident)
    if looks_internal(value):
        return present_failure(value, incident)
    if failure and (not key or not _safe_field(key)):
        return value if _benign(key, value) else present_failure(value, incident)
    return value


def _is_failure_record(record: dict[str, Any]) -> bool:
    return any(isinstance(record.get(name), str) and FAILURE_STATE.match(record[name])
               for name in ("status", "state", "outcome", "event_type"))


def sanitize(value: Any, incident: str, kind: str, key: str | None = None, failure: bool = False) -> Any:
    if isinstance(value, str):
        return _string(value, incident, key, failure)
    if isinstance(value, list):
        return [sanitize(entry, incident, kind, key, failure) for entry in value]
    if not isinstance(value, dict):
        return value
    own = incident_id(kind, value["id"]) if isinstance(value.get("id"), str) else incident
    failing = failure or bool(key and ERROR_KEY.search(key)) or _is_failure_record(value)
    return {name: sanitize(entry, own, kind, name, failing and name not in CONTEXT_RESET_KEYS)
            for name, entry in value.items()}


def sanitize_payload(value: Any, kind: str, entity_id: str) -> Any:
    return sanitize(value, incident_id(kind, entity_id), kind)


def sanitize_event(event: dict[str, Any]) -> dict[str, Any]:
    incident = incident_id("EVENT", event["id"] if isinstance(event.get("id"), str) else "unknown")
    clean = sanitize(event, incident, "EVENT")
    message = event.get("message")
    if isinstance(message, str) and (event.get("event_type") == "failed"
                                     or (event.get("event_type") == "log" and looks_internal(message))):
        clean["message"] = present_failure(message, incident)
    return clean


def sanitize_tool_entry(entry: dict[str, Any]) -> dict[str, Any]:
    incident = incident_id("TOOL", entry["id"] if isinstance(entry.get("id"), str) else "unknown")
    clean = sanitize(entry, incident, "TOOL")
    for name in ("output", "output_preview"):
        original = entry.get(name)
        if isinstance(original, str) and (looks_internal(original) or FAILURE_SIGNAL.search(original)):
            clean[name] = present_failure(original, incident)
    return clean
