"""Running the app on a socket: banner, one log line per request, clean shutdown."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from typing import Callable

from aiohttp import web

from mockplex import __version__, state
from mockplex.admin.api import admin_enabled
from mockplex.app import build_app
from mockplex.listener import HEADER_TIMEOUT, GuardedSite, make_runner
from mockplex.names import ADMIN_PREFIX, MCP_PATH, SCOPES, V1_PREFIX
from mockplex.replay.route import REPLAY_STORE
from mockplex.settings import Settings
from mockplex.world.world import World


def configure_logging(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Malformed HTTP is answered with a 400 by aiohttp itself; its traceback helps nobody.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)


def banner(world: World, settings: Settings, base: str) -> str:
    token = banner_token(world)
    lines = [
        f"mockplex {__version__} is serving the '{world.name}' world from {world.source}",
        f"  seed {settings.seed} | clock {settings.clock.describe()} | "
        f"rate limits {'on' if settings.rate_limits else 'off'}",
        f"  modes: {describe_modes(settings)}",
        *([f"  config: {settings.config_file}"] if settings.config_file else []),
        f"  admin API: {base}{ADMIN_PREFIX}" + ("" if admin_enabled(settings) else
                                               "  (off: bound beyond loopback without --admin-token)"),
        *([f"  inspector: {base}{ADMIN_PREFIX}" + ("#token=<your --admin-token>" if settings.admin_token else "")]
          if admin_enabled(settings) else []),
        *([f"  upstream for record/passthrough routes: {settings.forwarding.upstream}"] if settings.forwarding else []),
        f"  v1 API: {base}{V1_PREFIX}",
        f"  MCP:    {base}{MCP_PATH}",
        "",
        "Point a client at it:",
        f"  export MOGPLEX_BASE_URL={base}{V1_PREFIX}",
    ]
    if token:
        lines.append(f"  export MOGPLEX_TOKEN={token}")
    lines += ["", "More dev tokens: mockplex tokens list.  Stop with Ctrl-C.", ""]
    return "\n".join(lines)


def describe_modes(settings: Settings) -> str:
    from mockplex.routes import FAMILIES

    modes = ", ".join(f"{family}={settings.family_modes.get(family, settings.default_mode)}" for family in FAMILIES)
    modes += "".join(f"; {route} = {mode}" for route, mode in settings.route_modes.items())
    if settings.replay is None:
        return modes
    replay = settings.replay
    return (f"{modes}; replaying {replay.cassette} (on exhausted: {replay.on_exhausted}, timing: {replay.timing}, "
            f"misses: {replay.fallback})")


def banner_token(world: World) -> str | None:
    documented = [pat for pat in world.tokens.pats() if pat.documented_token and pat.revoked_at is None
                  and pat.expires_at is None]
    full = [pat for pat in documented if set(pat.scopes) == set(SCOPES)]
    chosen = (full or documented or [None])[0]
    return chosen.documented_token if chosen else None


async def serve(settings: Settings) -> None:
    # A cassette read cold gets its index written once the server is up: the first start
    # answers sooner, and the index is on disk by the time a second start looks for it.
    app = build_app(settings, defer_index=True)
    store = app.get(REPLAY_STORE)
    await run(app, settings.host, settings.port, lambda base: banner(app[state.WORLD], settings, base),
              settings.header_timeout, store.unwritten_index if store is not None else None)


async def run(app: web.Application, host: str, port: int, describe: Callable[[str], str],
              header_timeout: float = HEADER_TIMEOUT, once_up: Callable[[], None] | None = None) -> None:
    """Listen, print the banner for the bound address, and stop cleanly on Ctrl-C or SIGTERM.
    `once_up` runs in a worker thread after the banner; shutting down waits for it."""
    runner = make_runner(app, handle_signals=False)
    await runner.setup()
    site = GuardedSite(runner, host, port, header_timeout)
    try:
        await site.start()
    except OSError as exc:
        if state.COULD_NOT_LISTEN in app:
            app[state.COULD_NOT_LISTEN].set()
        await runner.cleanup()
        raise SystemExit(f"mockplex: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # before the banner: a script may stop us as soon as it reads it
        loop.add_signal_handler(signum, stop.set)
    # The world, the route table and any cassette live as long as the server: out of the
    # collector's sight, a collection walks only what requests make. (No collection first:
    # with a large cassette loaded it costs a tenth of a second of start-up, to free little.)
    # The collector is on from here, whether or not the command paused it while starting.
    gc.freeze()
    gc.enable()
    bound = runner.addresses[0][1]
    shown = host if ":" not in host else f"[{host}]"
    print(describe(f"http://{shown}:{bound}"), file=sys.stdout, flush=True)
    background = loop.run_in_executor(None, once_up) if once_up is not None else None
    try:
        await stop.wait()
    finally:
        logging.getLogger("mockplex.server").info("shutting down")
        await runner.cleanup()
        if background is not None:
            try:
                await background
            except Exception as error:  # what runs once up is a cache: failing costs a later start, no more
                logging.getLogger("mockplex.server").warning("after start-up: %s", error)


def record_banner(upstream: str, cassette: str, mode: str, answered_seconds: float, base: str) -> str:
    return "\n".join([
        f"mockplex {__version__} is recording {upstream} into {cassette} (record mode {mode})",
        f"  upstream {upstream} answered in {answered_seconds * 1000:.0f} ms",
        "",
        "Point a client at it, with your real token:",
        f"  export MOGPLEX_BASE_URL={base}{V1_PREFIX}",
        "",
        "Secrets are redacted before anything is written.  Stop with Ctrl-C.",
        "",
    ])
