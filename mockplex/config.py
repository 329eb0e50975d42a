"""mockplex.yaml: per-family and per-route modes, and the replay and record knobs.

Every key and value is checked on load; a wrong one fails fast with the file, the line
and the allowed values. Command-line flags override what the file says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from mockplex.admin.faults import FaultError, check_fault
from mockplex.names import V1_PREFIX
from mockplex.recording.modes import RECORD_MODES
from mockplex.replay.store import IDEMPOTENCY_HEADER
from mockplex.routes import FAMILIES, ROUTES
from mockplex.settings import MODES
from mockplex.world.fixtures import Entry, FixtureError, open_fixture

ROUTE_KEYS = frozenset(spec.key for spec in ROUTES)


@dataclass
class FileConfig:
    path: Path
    mode: str | None = None
    families: dict[str, str] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)
    cassette: str | None = None
    cassette_dir: str | None = None
    upstream: str | None = None
    replay: dict[str, object] = field(default_factory=dict)
    record: dict[str, object] = field(default_factory=dict)
    faults: list[dict[str, object]] = field(default_factory=list)


def load_config(path: Path) -> FileConfig:
    top = open_fixture(path)
    if top is None:
        raise FixtureError(path, None, "the config file is empty")
    config = FileConfig(path, mode=top.choice("mode", MODES, None), cassette=top.get("cassette", str, None),
                        cassette_dir=top.get("cassette_dir", str, None), upstream=top.get("upstream", str, None))
    if config.upstream is not None:
        _checked(top, "upstream", upstream_url, config.upstream)
    families = Entry(path, top.get("families", dict, {}), "families")
    for family in list(families.mapping):
        if family not in FAMILIES:
            raise families.fail(family, f"unknown family '{family}'; families are {', '.join(FAMILIES)}")
        config.families[family] = families.choice(family, MODES)
    routes = Entry(path, top.get("routes", dict, {}), "routes")
    for route in list(routes.mapping):
        if route not in ROUTE_KEYS:
            raise routes.fail(route, f"unknown route '{route}'; write it as in `mockplex routes`, "
                                     f"e.g. 'GET {V1_PREFIX}/repos'")
        config.routes[route] = routes.choice(route, MODES)
    replay = Entry(path, top.get("replay", dict, {}), "replay")
    config.replay = {
        "on_exhausted": replay.choice("on_exhausted", ("repeat", "fail"), None),
        "timing": replay.get("timing", (str, int, float), None),
        "fallback": replay.choice("fallback", ("error", "fixture"), None),
        "ignore_fields": _listed(replay, "ignore_fields", field_name),
        "ignore_headers": _listed(replay, "ignore_headers", ignorable_header),
        "ignore_query": _listed(replay, "ignore_query", query_key),
        "ordered": _listed(replay, "ordered", route_key),
    }
    record = Entry(path, top.get("record", dict, {}), "record")
    config.record = {
        "mode": record.choice("mode", RECORD_MODES, None),
        "errors": record.get("errors", bool, None),
        "redact_headers": record.get("redact_headers", list, None),
        "redact_json_keys": record.get("redact_json_keys", list, None),
        "redact_regexes": [pattern.pattern for pattern in _listed(record, "redact_regexes", redact_pattern)],
    }
    for rule in top.entries("faults", "faults"):
        try:
            config.faults.append(check_fault(dict(rule.mapping)))
        except FaultError as error:
            raise rule.fail(None, str(error)) from None
    for section in (families, routes, replay, record, top):
        section.finish()
    return config


def _checked(entry: Entry, key: str, check: Callable[[Any], Any], value: Any) -> Any:
    try:
        return check(value)
    except ValueError as error:
        raise entry.fail(key, f"'{key}' {error}") from None


def _listed(entry: Entry, key: str, check: Callable[[Any], Any]) -> list[Any]:
    """A list whose every item `check` passes (and returns as kept)."""
    return [_checked(entry, key, check, item) for item in entry.get(key, list, None) or ()]


def ignorable_header(name: Any) -> str:
    """A request header replay's match can leave out, spelled as the match spells it."""
    if not isinstance(name, str) or name.lower() != IDEMPOTENCY_HEADER.lower():
        raise ValueError(f"must be {IDEMPOTENCY_HEADER}, the one request header replay matches on "
                         f"(the caller is matched by its credential), got {name!r}")
    return IDEMPOTENCY_HEADER


def query_key(name: Any) -> str:
    return _name(name, "a query key")


def field_name(name: Any) -> str:
    return _name(name, "a body field name")


def _name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"must be {what}, got {name!r}")
    return name


def route_key(text: Any) -> str:
    if not isinstance(text, str) or text not in ROUTE_KEYS:
        raise ValueError(f"must be a route as `mockplex routes` prints it, e.g. 'POST {V1_PREFIX}/runs', "
                         f"got {text!r}")
    return text


def upstream_url(text: str) -> str:
    """Where forwarded requests go: http(s)://host[:port], refused at start rather than
    failing every forwarded request later."""
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None
            or parts.path not in ("", "/") or parts.query or parts.fragment):
        raise ValueError(f"must be http(s)://host[:port], got {text!r}")
    return text


def redact_pattern(text: Any) -> re.Pattern[str]:
    """A user's redaction regex, compiled once at start."""
    if not isinstance(text, str):
        raise ValueError(f"must be a regular expression as text, got {text!r}")
    try:
        return re.compile(text)
    except re.error as error:
        raise ValueError(f"must be a regular expression: {error}, got {text!r}") from None


def credential_pairs(pairs: tuple[str, ...], kind: str = "credential",
                     example: str = "errors:2=mog_...") -> dict[tuple[str, str], str]:
    """`[CASSETTE:]N=VALUE` flags as (cassette or "", `<redacted:KIND:N>`) -> value."""
    chosen = {}
    for pair in pairs:
        place, _, value = pair.partition("=")
        cassette, _, number = place.rpartition(":")
        if not number.isdigit() or not value:
            shape = "TOKEN" if kind == "credential" else kind.upper()
            raise ValueError(f"{pair!r}: expected [CASSETTE:]N={shape}, e.g. {example}")
        chosen[(cassette.removesuffix(".yaml"), f"<redacted:{kind}:{number}>")] = value
    return chosen
