"""Shared test plumbing: a real mockplex app on a loopback port, and its dev tokens."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from mockplex.app import build_app
from mockplex.connection import InlineAppRunner
from mockplex.clock import parse_clock
from mockplex.settings import Settings

pytest_plugins = ["pytester"]

REPO_ROOT = Path(__file__).resolve().parents[1]
V1 = "/api/v1/mogplex"
# The examples the project ships; a user's own recordings sit beside them in cassettes/.
EXAMPLES = REPO_ROOT / "cassettes" / "examples"

RW = "mog_mockplexDevReadWrite0001"
READ_ONLY = "mog_mockplexDevReadOnly00001"
WRITE_ONLY = "mog_mockplexDevWriteOnly0001"
EXPIRED = "mog_mockplexDevExpired000001"
REVOKED = "mog_mockplexDevRevoked000001"
OTHER_USER = "mog_mockplexDevOtherUser0001"
OAUTH = "mpx_oauth_dev_access_token_0001"
OAUTH_NO_SCOPES = "mpx_oauth_dev_profile_only_0001"

DANA_SESSION = "mpx_session_dana_dev_0001"
SESSION_COOKIE = "better-auth.session_token"

WEB_REPO = "0b6c4d2e-7a1f-4e3b-9c5d-8f2a6b1e3c70"
API_REPO = "1c7d5e3f-8b2a-4f4c-8d6e-9a3b7c2f4d81"
DESIGN_REPO = "2d8e6f4a-9c3b-4a5d-9e7f-ab4c8d3a5e92"
NOTES_REPO = "5ab19c7d-cf6e-4d80-a1a2-de7fb06d81c5"
OTHER_USERS_REPO = "6bc2ad8e-d07f-4e91-b2b3-ef80c17e92d6"
SUCCESS_RUN = "9a7e1c3d-5b2f-4d6a-8e0c-1f3b5d7a9c20"
RUNNING_SANDBOX = "5e1f3a7b-2c4d-4e6f-8a9b-0c1d2e3f4a5b"


class InlineTestServer(TestServer):
    """aiohttp's test server on the connection protocol `mockplex serve` uses."""

    async def _make_runner(self, **kwargs: Any) -> web.AppRunner:
        return InlineAppRunner(self.app, **kwargs)


@pytest.fixture
def aiohttp_client(aiohttp_client):
    """pytest-aiohttp's client; an app it is given is served as `mockplex serve` serves it."""
    async def client_for(app, *args, server_kwargs: dict[str, Any] | None = None, **kwargs):
        if isinstance(app, web.Application):
            app = InlineTestServer(app, **(server_kwargs or {}))
        return await aiohttp_client(app, *args, **kwargs)
    return client_for


async def drip_events(request):
    """An upstream handler streaming three event-stream frames 60 ms apart."""
    import asyncio

    from aiohttp import web

    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for index in range(3):
        await response.write(f"data: {{\"n\":{index}}}\n\n".encode())
        await asyncio.sleep(0.06)
    await response.write_eof()
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


class Api:
    """A thin client over aiohttp's TestClient that speaks the v1 API's habits."""

    def __init__(self, client) -> None:
        self.client = client

    @property
    def origin(self) -> str:
        return f"http://{self.client.server.host}:{self.client.server.port}"

    async def call(self, method: str, path: str, token: str | None = RW, *, json_body: Any = None,
                   data: bytes | str | None = None, headers: dict[str, str] | None = None,
                   allow_redirects: bool = False):
        sent = dict(headers or {})
        if token is not None:
            sent.update(bearer(token))
        if isinstance(json_body, (bytes, str)):
            data = json_body
        elif json_body is not None:
            data = json.dumps(json_body)
            sent.setdefault("Content-Type", "application/json")
        response = await self.client.request(method, path, data=data, headers=sent,
                                             allow_redirects=allow_redirects)
        response.raw_body = await response.read()
        return response

    async def internal(self, method: str, path: str, *, session: str | None = DANA_SESSION, token: str | None = None,
                       **kwargs):
        """An unversioned /api call, signed in with a browser session by default."""
        headers = dict(kwargs.pop("headers", None) or {})
        if session is not None:
            headers["Cookie"] = f"{SESSION_COOKIE}={session}"
        return await self.call(method, path, token, headers=headers, **kwargs)

    async def get(self, path: str, token: str | None = RW, **kwargs):
        return await self.call("GET", V1 + path, token, **kwargs)

    async def post(self, path: str, body: Any = None, token: str | None = RW, **kwargs):
        return await self.call("POST", V1 + path, token, json_body=body, **kwargs)

    async def start_run(self, body: dict[str, Any], key: str = "key-1", token: str = RW):
        return await self.post("/runs", body, token, headers={"Idempotency-Key": key})


def body_of(response) -> Any:
    return json.loads(response.raw_body)


def make_settings(tmp_path: Path, clock: str = "frozen", **overrides) -> Settings:
    return Settings(state_dir=tmp_path / "state", clock=parse_clock(clock), **overrides)


@pytest.fixture(autouse=True)
def private_replay_index_cache(tmp_path_factory, monkeypatch):
    """Replay's parsed-index cache lives per user; tests keep theirs out of the home folder."""
    monkeypatch.setenv("MOCKPLEX_CACHE_DIR", str(tmp_path_factory.mktemp("replay-index-cache")))


@pytest.fixture
def shipped_cassettes(tmp_path) -> Path:
    """A cassette folder holding only the shipped examples (as `examples/`), so whatever
    a user recorded into the project's cassettes/ cannot change what a test sees."""
    folder = tmp_path / "shipped-cassettes"
    shutil.copytree(EXAMPLES, folder / "examples")
    return folder


@pytest.fixture
async def world_api(aiohttp_client, tmp_path):
    """An Api over a copy of the default world whose world.yaml holds only the given settings."""
    async def make(**settings: str) -> Api:
        world = tmp_path / "world"
        shutil.copytree(REPO_ROOT / "fixtures", world)
        (world / "world.yaml").write_text("name: settings\n" + "".join(f"{k}: {v}\n" for k, v in settings.items()))
        return Api(await aiohttp_client(build_app(make_settings(tmp_path, fixtures_dir=world))))
    return make


@pytest.fixture
async def make_api(aiohttp_client, tmp_path):
    async def make(clock: str = "frozen", **overrides) -> Api:
        app = build_app(make_settings(tmp_path, clock, **overrides))
        return Api(await aiohttp_client(app))
    return make


@pytest.fixture
async def api(make_api) -> Api:
    return await make_api()


@pytest.fixture
async def working_env_api(aiohttp_client, tmp_path) -> Api:
    """The default world with env_vars: working (the server's latent flag-on mode)."""
    world = tmp_path / "world"
    shutil.copytree(REPO_ROOT / "fixtures", world)
    (world / "world.yaml").write_text("name: working-env\nenv_vars: working\n")
    return Api(await aiohttp_client(build_app(make_settings(tmp_path, fixtures_dir=world))))


@pytest.fixture
def inspector(tmp_path):
    """Call with `mockplex serve` flags: that server's web inspector open in a headless
    Chromium (tests/browser.py); both are stopped after the test."""
    from browser import Inspectors

    opened = Inspectors(tmp_path)
    yield opened
    opened.close()
