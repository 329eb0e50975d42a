"""Checking one answer against the published contract: its status is documented for its
route, and its body validates against that status's schema. Lint, verify and the
reliability suite all judge answers with this one checker."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from mockplex import routes
from mockplex.contract import openapi

CONTRACT_FAMILIES = ("v1", "discovery")
_MESSAGE_LIMIT = 160


@dataclass(frozen=True)
class Finding:
    """One way an answer breaks the contract; `field` is a dotted path into the body."""

    field: str
    message: str
    record_ids: tuple[str, ...] = ()  # ids of the objects enclosing the field, outermost first

    def describe(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def route_of(method: str, path: str) -> routes.RouteSpec | None:
    """The contract route an answer belongs to, or None when the contract says nothing of it."""
    spec = routes.TABLE.spec_for(method, path)
    return spec if spec is not None and spec.family in CONTRACT_FAMILIES else None


def check_answer(method: str, path: str, status: int, content_type: str, body: bytes) -> list[Finding]:
    spec = route_of(method, path)
    if spec is None or 300 <= status < 400 or status == 405:
        return []  # framework answers (redirects, 405) and unknown paths are not the contract's
    documented = _responses(spec.template, spec.method).get(str(status))
    if documented is None:
        return [Finding("status", f"{status} is not a documented answer of {spec.method} {spec.template}")]
    if "content" not in documented:
        return [] if not body else [Finding("body", f"a {status} carries no body here, got {len(body)} bytes")]
    if not body and status == 500:
        return []  # an exception escaping a handler: the framework's empty 500 (spec §1.1)
    if "application/json" not in content_type:
        return [Finding("content-type", f"expected application/json, got {content_type or 'none'}")]
    try:
        payload = json.loads(body)
    except ValueError:
        return [Finding("body", "not JSON")]
    validator = _validator(spec.template, spec.method, str(status))
    return [_finding(error, payload) for error in validator.iter_errors(payload)]


def _finding(error: ValidationError, payload: Any) -> Finding:
    deepest = _deepest(error)
    where = ".".join(str(part) for part in deepest.absolute_path)
    message = deepest.message
    if len(message) > _MESSAGE_LIMIT:
        message = message[:_MESSAGE_LIMIT] + "…"
    return Finding(where, message, _ids_on_path(payload, deepest.absolute_path))


def _ids_on_path(payload: Any, path: Iterable[Any]) -> tuple[str, ...]:
    ids, node = [], payload
    for part in [*path, None]:
        if isinstance(node, dict):
            record_id = node.get("id", node.get("runId"))
            if isinstance(record_id, str):
                ids.append(record_id)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    return tuple(ids)


def _deepest(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf failures, the branch that got furthest says what is wrong."""
    if not error.context:
        return error
    return _deepest(max(error.context, key=lambda sub: (len(sub.absolute_path), -len(sub.message))))


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    return openapi.build()


def _responses(template: str, method: str) -> dict[str, Any]:
    return document()["paths"][template][method.lower()]["responses"]


@lru_cache(maxsize=None)
def _validator(template: str, method: str, status: str) -> Draft202012Validator:
    schema = _responses(template, method)[status]["content"]["application/json"]["schema"]
    # Refs point at #/components/...; carrying the components along makes them resolve.
    rooted = {**schema, "components": document()["components"]}
    return Draft202012Validator(rooted, format_checker=Draft202012Validator.FORMAT_CHECKER)
