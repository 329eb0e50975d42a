"""Everything one server instance is started with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockplex.clock import Clock, parse_clock
from mockplex.listener import HEADER_TIMEOUT

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_E2E_SECRET = "playwright-auth-bypass"
# How a route is answered: from the world, from a cassette, forwarded and recorded, forwarded.
MODES = ("fixture", "replay", "record", "passthrough")
# Vercel refuses request bodies over 4.5 MB before the app sees them.
MAX_BODY_BYTES = 4_718_592


@dataclass
class Settings:
    fixtures_dir: Path | None = None
    state_dir: Path | None = None
    seed: int = 0
    clock: Clock = field(default_factory=lambda: parse_clock("real"))
    source_header: bool = True
    rate_limits: bool = True
    mcp_allowed_origins: tuple[str, ...] = ()
    # The real server's test mode (PLAYWRIGHT=1): honours the end-to-end auth headers.
    test_mode: bool = False
    # Secrets, like admin_token below: no repr (an error, a log line) shows them.
    e2e_secret: str = field(default=DEFAULT_E2E_SECRET, repr=False)
    cron_secret: str | None = field(default=None, repr=False)
    internal_secret: str | None = field(default=None, repr=False)
    github_webhook_secret: str | None = field(default=None, repr=False)
    # How each route is answered: "fixture" (the world), "replay" (a cassette), "record"
    # (forward upstream and record) or "passthrough" (forward only). A route's own mode
    # ("METHOD /template") wins over its family's, which wins over the default.
    default_mode: str = "fixture"
    family_modes: dict[str, str] = field(default_factory=dict)
    route_modes: dict[str, str] = field(default_factory=dict)
    replay: Any = None  # ReplaySettings when anything replays
    forwarding: Any = None  # RecordSettings when anything records or passes through
    config_file: Path | None = None
    cassette_dir: Path | None = None  # the folder the inspector lists; None: ./cassettes
    admin_token: str | None = field(default=None, repr=False)
    faults: list[dict[str, Any]] = field(default_factory=list)  # fault rules active from the start
    header_timeout: float = HEADER_TIMEOUT  # seconds a client may take to send its headers (Node's headersTimeout)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    def mode_for(self, spec: Any) -> str:
        return self.route_modes.get(spec.key) or self.family_modes.get(spec.family, self.default_mode)

    def modes_in_use(self) -> set[str]:
        return {self.default_mode, *self.family_modes.values(), *self.route_modes.values()}
