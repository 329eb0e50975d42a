"""mockplex.yaml: per-family and per-route modes, and the replay and record knobs.

Every key and value is checked on load; a wrong one fails fast with the file, the line
and the allowed values. Command-line flags override what the file says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mockplex.admin.faults import FaultError, FaultSet
from mockplex.routes import FAMILIES, ROUTES
from mockplex.world.fixtures import Entry, FixtureError, open_fixture

MODES = ("fixture", "replay", "record", "passthrough")
ROUTE_KEYS = frozenset(f"{spec.method} {spec.template}" for spec in ROUTES)


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
    families = Entry(path, top.get("families", dict, {}), "families")
    for family in list(families.mapping):
        if family not in FAMILIES:
            raise families.fail(family, f"unknown family '{family}'; families are {', '.join(FAMILIES)}")
        config.families[family] = families.choice(family, MODES)
    routes = Entry(path, top.get("routes", dict, {}), "routes")
    for route in list(routes.mapping):
        if route not in ROUTE_KEYS:
            raise routes.fail(route, f"unknown route '{route}'; write it as in `mockplex routes`, "
                                     "e.g. 'GET /api/v1/mogplex/repos'")
        config.routes[route] = routes.choice(route, MODES)
    replay = Entry(path, top.get("replay", dict, {}), "replay")
    config.replay = {
        "on_exhausted": replay.choice("on_exhausted", ("repeat", "fail"), None),
        "timing": replay.get("timing", (str, int, float), None),
        "fallback": replay.choice("fallback", ("error", "fixture"), None),
        "ignore_fields": replay.get("ignore_fields", list, None),
    }
    record = Entry(path, top.get("record", dict, {}), "record")
    config.record = {
        "mode": record.choice("mode", ("once", "new_episodes", "all", "none"), None),
        "errors": record.get("errors", bool, None),
        "redact_headers": record.get("redact_headers", list, None),
        "redact_json_keys": record.get("redact_json_keys", list, None),
        "redact_regexes": record.get("redact_regexes", list, None),
    }
    for rule in top.entries("faults", "faults"):
        try:
            FaultSet().add(dict(rule.mapping))
        except FaultError as error:
            raise rule.fail(None, str(error)) from None
        config.faults.append(dict(rule.mapping))
    for section in (families, routes, replay, record, top):
        section.finish()
    return config
