"""GET /api/observability/automation-failures: control dispatch events as failure records."""

from __future__ import annotations

from typing import Any

CLASS_LABELS = {"timeout": "Timeout", "rate_limited": "Rate limited", "provider_unavailable": "Provider unavailable",
                "dependency_unavailable": "Dependency unavailable", "authentication": "Authentication",
                "configuration": "Configuration", "unknown": "Other"}
REASON_LABELS = {"AUTOMATION_COMPLETED": "Automation completed", "AUTOMATION_FAILED": "Automation failed"}
PROVIDER_LABELS = {"openai": "OpenAI", "anthropic": "Anthropic", "minimax": "MiniMax"}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _count(value: Any) -> int:
    number = _number(value)
    return int(number // 1) if number is not None and number >= 0 else 0


def _bucket(timeout_ms: float | None) -> tuple[str, str]:
    if timeout_ms is None or timeout_ms <= 0:
        return "unknown", "Unknown"
    if timeout_ms < 180_000:
        return "under_3m", "< 3m"
    return ("under_5m", "3m-4.9m") if timeout_ms < 300_000 else ("5m_plus", "5m+")


def diagnostics(metadata: Any, outcome: str) -> dict[str, Any]:
    meta = metadata if isinstance(metadata, dict) else {}
    failure_class = meta.get("model_failure_class") if meta.get("model_failure_class") in CLASS_LABELS else None
    if outcome == "failed" and failure_class is None:
        failure_class = "unknown"
    recovered = meta.get("model_recovered_from_failure_class")
    recovered = recovered if recovered in CLASS_LABELS else None
    timeout_ms = _number(meta.get("model_effective_timeout_ms"))
    bucket, bucket_label = _bucket(timeout_ms)
    return {
        "failureClass": failure_class, "failureLabel": CLASS_LABELS.get(failure_class),
        "failureMessage": _text(meta.get("model_failure_message")),
        "failureStatusCode": _number(meta.get("model_failure_status_code")),
        "executionPhase": _text(meta.get("model_execution_phase")), "effectiveTimeoutMs": timeout_ms,
        "timeoutBucket": bucket, "timeoutBucketLabel": bucket_label,
        "retryAttempted": meta.get("model_retry_attempted") is True, "retryCount": _count(meta.get("model_retry_count")),
        "attempts": _count(meta.get("model_attempts")), "recoveredFromFailureClass": recovered,
        "recoveredFromFailureLabel": CLASS_LABELS.get(recovered),
        "recoveredFromMessage": _text(meta.get("model_recovered_from_message")),
    }


def reason_label(reason: str | None) -> str:
    if not reason:
        return "—"
    return REASON_LABELS.get(reason) or reason.replace("_", " ").lower().title()


def provider_label(provider: str | None) -> str | None:
    if not provider:
        return None
    return PROVIDER_LABELS.get(provider) or " ".join(word[:1].upper() + word[1:] for word in provider.replace(
        "_", " ").split(" "))


def record(event: dict[str, Any], model: str | None) -> dict[str, Any]:
    provider = model.strip().split("/")[0].lower() or None if _text(model) else None
    return {
        "id": event["id"], "jobRunId": event["job_run_id"], "createdAt": event["created_at"],
        "sourceKind": event["source_kind"], "sourceType": event["source_type"], "reason": event["reason"],
        "reasonLabel": reason_label(event["reason"]), "outcome": event["outcome"],
        "repo": {"id": event["repo"]["id"], "fullName": event["repo"]["full_name"]},
        "agent": {**event["agent"], "model": model, "provider": provider},
        "diagnostics": diagnostics(event["metadata"], event["outcome"]), "metadata": event["metadata"],
    }


def matches(item: dict[str, Any], wanted: dict[str, str | None]) -> bool:
    keys = {"failure_class": item["diagnostics"]["failureClass"] or "unknown", "source_type": item["sourceType"],
            "provider": item["agent"]["provider"], "model": item["agent"]["model"]}
    return all(not value or keys[name] == value for name, value in wanted.items())


def _sorted(entries: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(({"key": key, **value} for key, value in entries.items()),
                  key=lambda entry: (-entry["count"], entry["label"].lower()))


def breakdowns(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in (
        "byFailureClass", "bySourceType", "byProvider", "byModel", "byTimeoutBucket")}
    for item in records:
        failure_class = item["diagnostics"]["failureClass"] or "unknown"
        agent = item["agent"]
        for name, key, label in (
                ("byFailureClass", failure_class, CLASS_LABELS.get(failure_class) or "Other"),
                ("bySourceType", item["sourceType"], item["sourceType"]),
                ("byProvider", agent["provider"] or "unknown", provider_label(agent["provider"]) or "Unknown"),
                ("byModel", agent["model"] or "unknown", agent["model"] or "Unknown"),
                ("byTimeoutBucket", item["diagnostics"]["timeoutBucket"], item["diagnostics"]["timeoutBucketLabel"])):
            groups[name].setdefault(key, {"label": label, "count": 0})["count"] += 1
    return {name: _sorted(entries) for name, entries in groups.items()}


def filter_options(records: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    options: dict[str, dict[str, str]] = {"failureClasses": {}, "sourceTypes": {}, "providers": {}, "models": {}}
    for item in records:
        failure_class = item["diagnostics"]["failureClass"] or "unknown"
        options["failureClasses"][failure_class] = CLASS_LABELS.get(failure_class) or "Other"
        if item["sourceType"]:
            options["sourceTypes"][item["sourceType"]] = item["sourceType"]
        if item["agent"]["provider"]:
            provider = item["agent"]["provider"]
            options["providers"][provider] = provider_label(provider) or provider
        if item["agent"]["model"]:
            options["models"][item["agent"]["model"]] = item["agent"]["model"]
    return {name: sorted(({"value": value, "label": label} for value, label in entries.items()),
                         key=lambda option: option["label"].lower()) for name, entries in options.items()}


def summary(records: list[dict[str, Any]]) -> dict[str, int]:
    failed = [item["diagnostics"] for item in records if item["outcome"] == "failed"]
    completed = [item["diagnostics"] for item in records if item["outcome"] == "completed"]
    classes = [item["failureClass"] for item in failed]
    return {
        "failedTotal": len(failed),
        "successfulRecoveries": sum(1 for item in completed if item["recoveredFromFailureClass"] is not None),
        "retriedFailures": sum(1 for item in failed if item["retryAttempted"]),
        "timeoutFailures": classes.count("timeout"), "authenticationFailures": classes.count("authentication"),
        "configurationFailures": classes.count("configuration"),
        "providerFailures": classes.count("provider_unavailable") + classes.count("rate_limited"),
        "dependencyFailures": classes.count("dependency_unavailable"),
    }
