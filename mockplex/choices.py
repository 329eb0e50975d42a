"""Settings are assembled here, and only here: the user's choices (the `serve` flags, or a
pytest marker) over mockplex.yaml over the defaults, checked before anything binds."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockplex.clock import Clock, parse_clock
from mockplex.config import FileConfig, credential_pairs, load_config
from mockplex.listener import HEADER_TIMEOUT
from mockplex.routes import FAMILIES
from mockplex.settings import DEFAULT_E2E_SECRET, DEFAULT_HOST, DEFAULT_PORT, MODES, Settings

DEFAULT_CASSETTE_DIR = "cassettes"
# A seed asks for the same bytes from the same requests, which a wall clock would break:
# unless a clock is chosen too, time starts at the default epoch and moves 1 s a request.
SEEDED_CLOCK = "step:1"


class ChoiceError(ValueError):
    """A choice that cannot be served, naming the flag it was given with."""

    def __init__(self, message: str, flag: str) -> None:
        super().__init__(message)
        self.flag = flag


@dataclass(frozen=True)
class Choices:
    """What the user asked for. None (or empty) where they said nothing and mockplex.yaml
    may still say something; elsewhere the default is the Settings default."""

    # where it listens and the world it serves (serve's world options)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    header_timeout: float = HEADER_TIMEOUT
    seed: int | None = None  # None: 0
    clock: Clock | None = None  # None: the real clock, or SEEDED_CLOCK when a seed is given
    fixtures_dir: Path | None = None
    state_dir: Path | None = None
    no_source_header: bool = False
    no_rate_limits: bool = False
    # the server's secrets and test mode
    mcp_allowed_origins: str = ""  # comma-separated
    test_mode: bool = False
    e2e_secret: str = DEFAULT_E2E_SECRET
    cron_secret: str | None = None
    internal_secret: str | None = None
    github_webhook_secret: str | None = None
    # mockplex's own controls
    faults: tuple[dict[str, Any], ...] = ()
    admin_token: str | None = None
    config_path: Path | None = None
    # who answers: modes and the cassette
    mode: str | None = None
    family_modes: tuple[str, ...] = ()  # FAMILY=MODE
    cassette: str | None = None
    cassette_dir: Path | None = None
    # replay
    on_exhausted: str | None = None
    replay_timing: str | None = None
    fallback: str | None = None
    credentials: tuple[str, ...] = ()  # [CASSETTE:]N=TOKEN
    ignore_fields: tuple[str, ...] = ()
    ignore_headers: tuple[str, ...] = ()
    ignore_query: tuple[str, ...] = ()
    ordered: tuple[str, ...] = ()
    # record and passthrough
    upstream: str | None = None
    record_mode: str | None = None


def assemble(choices: Choices) -> Settings:
    """The Settings one server starts with. Raises FixtureError for a bad config file and
    ChoiceError for a choice that cannot be served."""
    config = load_config(choices.config_path) if choices.config_path else FileConfig(None)
    modes = ServeModes(
        # A cassette given on the command line is one the user wants served.
        default=choices.mode or config.mode or ("replay" if choices.cassette else "fixture"),
        families={**config.families, **_family_modes(choices.family_modes)}, routes=config.routes,
        cassette=choices.cassette or config.cassette,
        cassette_dir=choices.cassette_dir or Path(config.cassette_dir or DEFAULT_CASSETTE_DIR))
    replay = _replay_settings(choices, modes, config)
    forwarding = _forwarding_settings(choices, modes, config)
    return Settings(
        fixtures_dir=choices.fixtures_dir, state_dir=choices.state_dir, seed=choices.seed or 0,
        clock=choices.clock or parse_clock("real" if choices.seed is None else SEEDED_CLOCK), source_header=not choices.no_source_header,
        rate_limits=not choices.no_rate_limits,
        mcp_allowed_origins=tuple(o.strip() for o in choices.mcp_allowed_origins.split(",") if o.strip()),
        test_mode=choices.test_mode, e2e_secret=choices.e2e_secret,
        cron_secret=choices.cron_secret, internal_secret=choices.internal_secret,
        github_webhook_secret=choices.github_webhook_secret, default_mode=modes.default,
        family_modes=modes.families, route_modes=modes.routes, replay=replay, forwarding=forwarding,
        config_file=choices.config_path, cassette_dir=modes.cassette_dir, admin_token=choices.admin_token,
        faults=config.faults + list(choices.faults), host=choices.host, port=choices.port,
        header_timeout=choices.header_timeout)


def _family_modes(pairs: tuple[str, ...]) -> dict[str, str]:
    modes = {}
    for pair in pairs:
        family, _, mode = pair.partition("=")
        if family not in FAMILIES or mode not in MODES:
            raise ChoiceError(f"{pair!r}: expected FAMILY=MODE with MODE one of {', '.join(MODES)} and FAMILY one "
                              f"of {', '.join(FAMILIES)}", "--family")
        modes[family] = mode
    return modes


@dataclass
class ServeModes:
    default: str
    families: dict[str, str]
    routes: dict[str, str]
    cassette: str | None
    cassette_dir: Path

    def in_use(self) -> set[str]:
        return {self.default, *self.families.values(), *self.routes.values()}

    def cassette_path(self) -> Path:
        from mockplex.recording.names import CassetteNameError, cassette_argument

        if not self.cassette:
            raise ChoiceError("replaying or recording needs --cassette NAME", "--cassette")
        try:
            return cassette_argument(self.cassette_dir, self.cassette)
        except CassetteNameError as error:
            raise ChoiceError(str(error), "--cassette") from None


def _replay_settings(choices: Choices, modes: ServeModes, config: FileConfig):
    from mockplex.recording.names import cassette_name_of
    from mockplex.replay.callers import CALLER_PLACEHOLDER
    from mockplex.replay.route import TIMINGS_HELP, ReplaySettings
    from mockplex.replay.store import Matching

    if "replay" not in modes.in_use():
        return None
    timing = str(choices.replay_timing or config.replay.get("timing") or "recorded")
    if timing not in ("recorded", "none"):
        try:
            assert float(timing) > 0
        except (ValueError, AssertionError):
            raise ChoiceError(f"{timing!r}: expected {TIMINGS_HELP}", "--replay-timing") from None
    path = modes.cassette_path()
    if not path.is_file():
        raise ChoiceError(f"no cassette at {path}", "--cassette")
    # Each of Matching's knobs: the flag wins over the file's key of the same name.
    knobs = {"ignore_fields": choices.ignore_fields, "ignore_headers": choices.ignore_headers,
             "ignore_query": choices.ignore_query, "ordered": choices.ordered}
    try:
        credentials = credential_pairs(choices.credentials)
    except ValueError as error:
        raise ChoiceError(str(error), "--credential") from None
    name = cassette_name_of(modes.cassette_dir, path)
    return ReplaySettings(path, name, choices.on_exhausted or config.replay.get("on_exhausted") or "repeat",
                          timing, choices.fallback or config.replay.get("fallback") or "error",
                          Matching(**{knob: frozenset(flags or config.replay.get(knob) or ())
                                      for knob, flags in knobs.items()}),
                          {token: CALLER_PLACEHOLDER.fullmatch(placeholder).group(1)
                           for (cassette, placeholder), token in credentials.items()
                           if cassette in ("", name)})


def _forwarding_settings(choices: Choices, modes: ServeModes, config: FileConfig):
    if not modes.in_use() & {"record", "passthrough"}:
        return None
    from vcr.record_mode import RecordMode  # what a forwarding server needs, and no other

    from mockplex.recording.app import RecordSettings
    from mockplex.recording.modes import DEFAULT_UPSTREAM
    from mockplex.recording.redaction import Redactor

    record = config.record
    redactor = Redactor(frozenset(h.lower() for h in record.get("redact_headers") or ()),
                        frozenset(record.get("redact_json_keys") or ()),
                        tuple(re.compile(pattern) for pattern in record.get("redact_regexes") or ()))
    recording = "record" in modes.in_use()
    path = modes.cassette_path() if recording else Path(os.devnull)
    mode = (choices.record_mode or record.get("mode") or RecordMode.ONCE.value) if recording else RecordMode.NONE.value
    return RecordSettings(choices.upstream or config.upstream or DEFAULT_UPSTREAM, path, mode,
                          bool(record.get("errors")), redactor=redactor)
