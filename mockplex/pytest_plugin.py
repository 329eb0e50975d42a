"""The pytest plugin (registered through the `pytest11` entry point): a `mockplex`
fixture that serves the world in-process on a free loopback port.

One server per test session (per worker under pytest-xdist), its world reset before each
test; a test marked `@pytest.mark.mockplex(cassette=..., mode=..., seed=..., clock=...,
families=..., faults=[...])` gets a server of its own with that configuration.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mockplex.clock import parse_clock
from mockplex.listener import GuardedSite, make_runner
from mockplex.names import ADMIN_PREFIX, MCP_PATH, V1_PREFIX
from mockplex.settings import MODES, Settings

DEV_TOKENS = {
    "read_write": "mog_mockplexDevReadWrite0001", "read_only": "mog_mockplexDevReadOnly00001",
    "write_only": "mog_mockplexDevWriteOnly0001", "expired": "mog_mockplexDevExpired000001",
    "revoked": "mog_mockplexDevRevoked000001", "other_user": "mog_mockplexDevOtherUser0001",
    "oauth": "mpx_oauth_dev_access_token_0001",
}
SESSION_COOKIE = "better-auth.session_token=mpx_session_dana_dev_0001"


class Mockplex:
    """A running mockplex: where it is, what to authenticate with, and its admin API."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tokens = dict(DEV_TOKENS)
        self.session_cookie = SESSION_COOKIE
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mockplex", daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> "Mockplex":
        from mockplex.app import build_app

        self._thread.start()

        async def up() -> int:
            self._runner = make_runner(build_app(self.settings))
            await self._runner.setup()
            await GuardedSite(self._runner, "127.0.0.1", 0, self.settings.header_timeout).start()
            return self._runner.addresses[0][1]

        self.port = asyncio.run_coroutine_threadsafe(up(), self._loop).result(timeout=60)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()

    # -- where it is ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def v1_url(self) -> str:
        return f"{self.base_url}{V1_PREFIX}"

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}{MCP_PATH}"

    # -- the admin API ----------------------------------------------------------------------

    def admin(self, method: str, name: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base_url}{ADMIN_PREFIX}{name}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        if self.settings.admin_token:
            request.add_header("X-Mockplex-Admin-Token", self.settings.admin_token)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        """A fresh world, empty journal, no faults, limits lifted from any trip."""
        self.admin("POST", "reset")
        self.admin("DELETE", "journal")
        self.admin("DELETE", "faults")

    def snapshot(self) -> str:
        return self.admin("POST", "snapshots")["snapshot"]

    def restore(self, snapshot: str) -> None:
        self.admin("POST", "restore", {"snapshot": snapshot})

    def journal(self) -> list[dict[str, Any]]:
        return self.admin("GET", "journal")["requests"]

    def verify(self, method: str | None = None, path: str | None = None, body: Any = None) -> int:
        pattern = {key: value for key, value in (("method", method), ("path", path)) if value is not None}
        if body is not None:
            pattern["body"] = body
        return self.admin("POST", "verify", pattern)["count"]

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        return self.admin("POST", "faults", rule)["fault"]

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def trip_rate_limit_after(self, calls: int | None) -> None:
        self.admin("POST", "limits", {"trip_after": calls})

    def advance_clock(self, seconds: float) -> None:
        self.admin("POST", "clock", {"seconds": seconds})


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockplex")
    group.addoption("--mockplex-record", action="store_true",
                    help="Re-record each marked test's cassette against the upstream (MOCKPLEX_UPSTREAM).")
    group.addoption("--mockplex-mode", choices=MODES, default=None,
                    help="Force one mode for the whole run; every test then gets a server of its own.")
    group.addoption("--mockplex-cassette-dir", default="cassettes",
                    help="Where marked tests' cassettes live, relative to the rootdir (default: cassettes).")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mockplex(cassette=None, mode=None, seed=None, clock=None, families=None, "
                                       "faults=None): serve this test from its own mockplex configuration")


NEEDS_A_CASSETTE = ("replay", "record")


def mode_for(config: pytest.Config, options: dict[str, Any]) -> str:
    """A test's cassette replays unless the run records or forces a mode."""
    cassette = options.get("cassette")
    if config.getoption("--mockplex-record") and cassette:
        return "record"
    return config.getoption("--mockplex-mode") or options.get("mode") or ("replay" if cassette else "fixture")


def cassette_dir_of(config: pytest.Config) -> Path:
    return Path(config.rootpath) / config.getoption("--mockplex-cassette-dir")


def settings_for(config: pytest.Config, options: dict[str, Any], mode: str | None = None) -> Settings:
    """The settings for a marker's options (none for the shared server), under the run's
    command-line options."""
    from vcr.record_mode import RecordMode

    from mockplex.choices import Choices, assemble

    families = options.get("families") or {}
    return assemble(Choices(
        seed=int(options.get("seed", 0)), clock=parse_clock(options.get("clock") or "step:1"),
        mode=mode or mode_for(config, options),
        family_modes=tuple(f"{family}={family_mode}" for family, family_mode in families.items()),
        faults=tuple(options.get("faults") or ()), cassette=options.get("cassette"),
        cassette_dir=cassette_dir_of(config),
        upstream=os.environ.get("MOCKPLEX_UPSTREAM"), record_mode=RecordMode.ALL.value))


def missing_cassette(config: pytest.Config, options: dict[str, Any], test: str) -> str | None:
    """Why this test has no cassette its modes need, naming the test and what would give it
    one; None when it has one (or needs none)."""
    from mockplex.recording.names import cassette_argument

    modes = {mode_for(config, options), *(options.get("families") or {}).values()}
    needed = [mode for mode in NEEDS_A_CASSETTE if mode in modes]
    if not needed:
        return None
    cassette, folder = options.get("cassette"), cassette_dir_of(config)
    if not cassette:
        forced = config.getoption("--mockplex-mode")
        source = f"--mockplex-mode {forced}" if forced in needed else "the mode in its mockplex marker"
        return (f"mockplex: {test} has no cassette to {needed[0]} ({source}): mark it "
                f"@pytest.mark.mockplex(cassette=\"NAME\") to use {folder}/NAME.yaml, or drop {source}")
    path = cassette_argument(folder, cassette)
    if "replay" in needed and not path.is_file():
        return (f"mockplex: {test} replays cassette '{cassette}', but {path} does not exist: record it with "
                f"`pytest --mockplex-record` (MOCKPLEX_UPSTREAM names the upstream), or fix the marker's "
                f"cassette= or --mockplex-cassette-dir")
    return None


def settings_answering_every_request_with(config: pytest.Config, options: dict[str, Any], message: str) -> Settings:
    """A server for a test whose cassette is missing: each request it makes is answered
    with the message, in its family's error shape, rather than failing the test's setup."""
    missing = {"kind": "error", "status": 404, "code": "NOT_FOUND", "message": message}
    plain = {**options, "cassette": None, "families": None, "faults": [missing, *(options.get("faults") or ())]}
    return settings_for(config, plain, mode="fixture")


@pytest.fixture(scope="session")
def _mockplex_shared(pytestconfig: pytest.Config):
    server = Mockplex(settings_for(pytestconfig, {})).start()
    yield server
    server.stop()


@pytest.fixture
def mockplex(request: pytest.FixtureRequest, pytestconfig: pytest.Config):
    """A running mockplex for this test: base_url, v1_url, tokens, and admin operations."""
    marker = request.node.get_closest_marker("mockplex")
    options = dict(marker.kwargs) if marker else {}
    if options or pytestconfig.getoption("--mockplex-mode"):
        server = Mockplex(_settings_for_test(request, options)).start()
        yield server
        server.stop()
        return
    shared = request.getfixturevalue("_mockplex_shared")
    shared.reset()
    yield shared


def _settings_for_test(request: pytest.FixtureRequest, options: dict[str, Any]) -> Settings:
    missing = missing_cassette(request.config, options, request.node.nodeid)
    if missing is None:
        return settings_for(request.config, options)
    request.node.add_report_section("setup", "mockplex", missing)
    return settings_answering_every_request_with(request.config, options, missing)
