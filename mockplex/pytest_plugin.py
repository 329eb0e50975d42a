"""The pytest plugin (registered through the `pytest11` entry point): a `mockplex`
fixture that serves the world in-process on a free loopback port.

One server per test session (per worker under pytest-xdist), its world reset before each
test; a test marked `@pytest.mark.mockplex(cassette=..., mode=..., seed=..., families=...,
faults=[...])` gets a server of its own with that configuration.
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
    group.addoption("--mockplex-mode", choices=MODES, default=None, help="Force one mode for the whole run.")
    group.addoption("--mockplex-cassette-dir", default="cassettes", help="Where marked tests' cassettes live.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mockplex(cassette=None, mode=None, seed=None, families=None, faults=None): "
                                       "serve this test from its own mockplex configuration")


def settings_for(config: pytest.Config, options: dict[str, Any]) -> Settings:
    """The settings for a marker's options (none for the shared server), under the run's
    command-line options. A test's cassette replays unless the run records or forces a mode."""
    from vcr.record_mode import RecordMode

    from mockplex.choices import Choices, assemble

    cassette = options.get("cassette")
    mode = config.getoption("--mockplex-mode") or options.get("mode") or ("replay" if cassette else "fixture")
    if config.getoption("--mockplex-record") and cassette:
        mode = "record"
    families = options.get("families") or {}
    return assemble(Choices(
        seed=int(options.get("seed", 0)), clock=parse_clock(options.get("clock", "step:1")), mode=mode,
        family_modes=tuple(f"{family}={family_mode}" for family, family_mode in families.items()),
        faults=tuple(options.get("faults") or ()), cassette=cassette,
        cassette_dir=Path(config.rootpath) / config.getoption("--mockplex-cassette-dir"),
        upstream=os.environ.get("MOCKPLEX_UPSTREAM"), record_mode=RecordMode.ALL.value))


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
        server = Mockplex(settings_for(pytestconfig, options)).start()
        yield server
        server.stop()
        return
    shared = request.getfixturevalue("_mockplex_shared")
    shared.reset()
    yield shared
