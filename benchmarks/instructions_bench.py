"""Instructions per request, counted by valgrind's callgrind, next to a bare aiohttp server.

Requests/s under wrk (serve_bench.py, replay_bench.py) are what a user sees, but on a
shared machine they drift by a fifth from one run to the next, so a change of a few
percent cannot be judged from them. An instruction count can: it moves by about 1 % from
run to run of the same code (hash seeds, when the collector runs). Each target runs in its
own process under callgrind, which counts only while the authenticated GETs are fed
straight to the server's connection protocol, over 32 connections as wrk's c=32 (no
sockets, no load generator): the server's own work per request, the event loop's included.
Next to each target, a bare aiohttp server answers with the same bytes. The ratio is bare
aiohttp's count over the target's, as a throughput ratio reads; it is not one of
requests/s (memory stalls and the kernel's share differ: mockplex's wall-clock ratios run
lower), so the two kinds of figure are reported side by side, never one for the other. The
row "mockplex's stack, no layers" is mockplex's listener and connection protocol answering
the fixture's bytes from one handler, with none of mockplex's layers (the clock, the
journal, the rules, the answering mode): what the layers cost is the difference.

    python benchmarks/instructions_bench.py [--requests 4000]
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import CONCURRENCY, REPO_ROOT, python, run_measurement  # noqa: E402
from replay_bench import TARGET as REPLAYED_PATH, TOKEN, write_cassette  # noqa: E402

FIXTURE_PATH = "/api/v1/mogplex/repos"
WARM_UP = 10  # rounds, one request on each connection
CONNECTIONS = CONCURRENCY  # as wrk keeps open in the wall-clock benchmarks
TARGETS = {  # label: (what the child serves, the path it is asked for)
    "mockplex fixture, --quiet": ("fixture", FIXTURE_PATH),
    # mockplex's listener and connection protocol with one handler returning the fixture's
    # bytes and none of its layers: what the layers themselves cost is the difference.
    "mockplex's stack, no layers": ("stack", FIXTURE_PATH),
    "mockplex fixture, logging on": ("fixture-logged", FIXTURE_PATH),
    "mockplex replay, 10 recorded": ("replay", REPLAYED_PATH),
}


class Tally:
    writes = 0


class CountingTransport:
    """Where a connection's answers go: counted in a tally all connections share; the last kept."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.last = b""

    def write(self, data: bytes) -> None:
        self.tally.writes += 1
        self.last = data

    def writelines(self, pieces) -> None:
        self.write(b"".join(pieces))

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default=None):
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8080)}.get(name, default)

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


def counting(switch: str) -> None:
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True, stdout=subprocess.DEVNULL)


async def feed(factory: Callable[[], object], path: str, count: int, counted: bool) -> bytes:
    """Sends `count` requests over CONNECTIONS connections, as wrk does at that concurrency:
    a request on each, the loop going round until all are answered, and once more; returns
    the last answer as written."""
    tally = Tally()
    transports = [CountingTransport(tally) for _ in range(CONNECTIONS)]
    protocols = [factory() for _ in transports]
    for protocol, transport in zip(protocols, transports, strict=True):
        protocol.connection_made(transport)
    await asyncio.sleep(0)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
    for phase, rounds in (("warm-up", WARM_UP), ("counted", count // CONNECTIONS)):
        if counted and phase == "counted":
            counting("on")
        for _ in range(rounds):
            answered = tally.writes + CONNECTIONS
            for protocol in protocols:
                protocol.data_received(request)
            while tally.writes < answered:  # aiohttp's own protocol answers in tasks
                await asyncio.sleep(0)
            await asyncio.sleep(0)
    if counted:
        counting("off")
    return transports[-1].last


async def bare_protocol(body: bytes) -> Callable[[], object]:
    from aiohttp import web

    from bare_server import bare_app

    runner = web.AppRunner(bare_app(body), access_log=None)
    await runner.setup()
    return runner.server


async def stack_protocol(body: bytes) -> Callable[[], object]:
    from mockplex.listener import HeaderGuard, make_runner

    from bare_server import bare_app

    runner = make_runner(bare_app(body, catch_all=True))
    await runner.setup()
    gc.freeze()
    return lambda: HeaderGuard(runner.server(), 60.0)


async def mockplex_protocol(kind: str, cassettes: Path) -> Callable[[], object]:
    from mockplex.app import build_app
    from mockplex.clock import parse_clock
    from mockplex.listener import HeaderGuard, make_runner
    from mockplex.replay.route import ReplaySettings
    from mockplex.server import configure_logging
    from mockplex.settings import Settings

    configure_logging(quiet=kind != "fixture-logged")
    replay = {"default_mode": "replay", "replay": ReplaySettings(cassettes / "small.yaml", "small")} \
        if kind == "replay" else {}
    runner = make_runner(build_app(Settings(clock=parse_clock("frozen"), **replay)))
    await runner.setup()
    gc.freeze()  # as mockplex.server.run does once the app is built
    return lambda: HeaderGuard(runner.server(), 60.0)


async def child(kind: str, path: str, count: int, workdir: Path) -> None:
    """Runs one target, under callgrind; the answer's body goes to `workdir`, where the
    bare server and the stack take the body they answer with."""
    if kind == "bare":
        factory = await bare_protocol((workdir / "body").read_bytes())
    elif kind == "stack":
        factory = await stack_protocol((workdir / "body").read_bytes())
    else:
        factory = await mockplex_protocol(kind, workdir)
    with open(os.devnull, "w") as nowhere:
        sys.stderr = nowhere  # log lines are formatted and written, to nowhere
        try:
            answer = await feed(factory, path, count, counted=bool(os.environ.get("UNDER_CALLGRIND")))
        finally:
            sys.stderr = sys.__stderr__
    (workdir / "body").write_bytes(answer.split(b"\r\n\r\n", 1)[1])


def counted_instructions(kind: str, path: str, count: int, workdir: Path) -> float:
    completed = subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={workdir / 'callgrind.out'}",
         python(), __file__, "--child", kind, "--path", path, "--requests", str(count), "--workdir", str(workdir)],
        capture_output=True, text=True, env={**os.environ, "UNDER_CALLGRIND": "1"}, cwd=REPO_ROOT)
    found = re.search(r"Collected : (\d+)", completed.stderr)
    if completed.returncode != 0 or not found:
        raise SystemExit(f"{kind} under callgrind failed:\n{completed.stderr[-2000:]}")
    return int(found.group(1)) / (count // CONNECTIONS * CONNECTIONS)


async def measure(requests: int) -> None:
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        raise SystemExit("instructions_bench needs valgrind (Debian: apt install valgrind)")
    print(f"instructions per request: callgrind, {requests // CONNECTIONS * CONNECTIONS} requests fed to each "
          f"server's protocol over {CONNECTIONS} connections, no sockets")
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        write_cassette(workdir / "small.yaml", 10)
        for label, (kind, path) in TARGETS.items():
            count = counted_instructions(kind, path, requests, workdir)
            bare = counted_instructions("bare", path, requests, workdir)  # answering with the body just written
            print(f"  {label:<30} {count:>9,.0f}   bare aiohttp, same answer: {bare:>9,.0f}   "
                  f"{bare / count:.2f}x bare aiohttp", flush=True)


def main() -> None:
    if "--child" in sys.argv:
        arguments = dict(zip(sys.argv[1::2], sys.argv[2::2], strict=True))
        asyncio.run(child(arguments["--child"], arguments["--path"], int(arguments["--requests"]),
                          Path(arguments["--workdir"])))
        return
    run_measurement(__doc__, measure,
                    requests=(int, 4000, "requests counted per target (more average out the collector better)"))


if __name__ == "__main__":
    main()
