"""Shared benchmark plumbing: start servers as subprocesses, drive them, report."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from pathlib import Path

import aiohttp

REPO_ROOT = Path(__file__).resolve().parents[1]


WRK = shutil.which("wrk")
TASKSET = shutil.which("taskset")
PINNED = bool(WRK and TASKSET and (os.cpu_count() or 1) >= 2)
SERVER_CORE, LOAD_CORE = "1", "0"  # the server under load on one core, wrk on the other
CONCURRENCY = 32  # requests the load keeps in flight (wrk -c), in every wall-clock benchmark
P99_GOAL_MS = 3.0  # the p99 the project aims for at CONCURRENCY (README, Benchmarks)
GENERATOR = "wrk (C), pinned" if PINNED else "wrk (C)" if WRK else "Python aiohttp client (fallback: install wrk)"


@dataclass
class Result:
    label: str
    concurrency: int
    ok: int
    other: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_us: float = float("nan")  # the server's CPU time (user and system) per request, where /proc tells it

    @property
    def rps(self) -> float:
        return self.ok / self.seconds

    def row(self) -> str:
        return (f"{self.label:<26} c={self.concurrency:<3} {self.rps:9.0f} req/s   p50 {self.p50_ms:6.2f} ms"
                f"   p99 {self.p99_ms:6.2f} ms   cpu {self.cpu_us:6.1f} µs/req   ({self.ok} x 2xx, {self.other} other)")


class Server:
    """A server subprocess that prints a line matching `ready` with its base URL; `pin`
    puts it on the server core, away from the load generator's."""

    def __init__(self, command: list[str], ready: str, pin: bool = False) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        command = ["taskset", "-c", SERVER_CORE, *command] if pin and PINNED else command
        # Run from the checkout too: `python -m` looks in the working directory before PYTHONPATH.
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True, env=env, cwd=REPO_ROOT)
        for line in self.process.stdout:
            found = re.search(ready, line)
            if found:
                self.url = found.group(1)
                return
        raise RuntimeError(f"server did not start: {command}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far, user and system (NaN where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


async def load_server(label: str, server: Server, path: str, headers: dict[str, str], concurrency: int,
                      seconds: float, expect: bytes | None = None) -> Result:
    """`load` on one of our server subprocesses, with the CPU it spent a request: unlike
    requests/s, that leaves out the time it waited for the machine."""
    before = cpu_seconds(server.process.pid)
    result = await load(label, server.url + path, headers, concurrency, seconds, expect)
    result.cpu_us = (cpu_seconds(server.process.pid) - before) * 1e6 / max(1, result.ok + result.other)
    return result


async def load(label: str, url: str, headers: dict[str, str], concurrency: int, seconds: float,
               expect: bytes | None = None) -> Result:
    """One measurement: wrk when it is installed, else the Python client. wrk does not
    read bodies, so the body is checked once here before the load starts."""
    if WRK is None:
        return await drive(label, url, headers, concurrency, seconds, expect)
    if expect is not None:
        async with aiohttp.ClientSession(headers=headers) as session, session.get(url) as response:
            if await response.read() != expect:
                raise RuntimeError(f"{label}: {url} does not answer the expected body")
    return await asyncio.to_thread(_wrk, label, url, headers, concurrency, seconds)


def _wrk(label: str, url: str, headers: dict[str, str], concurrency: int, seconds: float) -> Result:
    command = [*(["taskset", "-c", LOAD_CORE] if PINNED else []), WRK, "-t1", f"-c{concurrency}",
               f"-d{max(1, round(seconds))}s", "--latency", *[part for name, value in headers.items()
                                                  for part in ("-H", f"{name}: {value}")], url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", out)
    requests, elapsed = int(done.group(1)), _seconds(float(done.group(2)), done.group(3))
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    not_ok = int(refused.group(1)) if refused else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    broken = sum(map(int, errors.groups())) if errors else 0
    return Result(label, concurrency, requests - not_ok, not_ok + broken, elapsed, _latency(out, "50"),
                  _latency(out, "99"))


def _latency(out: str, percent: str) -> float:
    value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _seconds(value: float, unit: str) -> float:
    return value * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


async def drive(label: str, url: str, headers: dict[str, str], concurrency: int, seconds: float,
                expect: bytes | None = None) -> Result:
    latencies: list[float] = []
    counts = {"ok": 0, "other": 0}
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        for _ in range(50):  # warm the connections and the server
            async with session.get(url) as response:
                await response.read()
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.get(url) as response:
                    body = await response.read()
                if response.status == 200 and (expect is None or body == expect):
                    counts["ok"] += 1
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    counts["other"] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return Result(label, concurrency, counts["ok"], counts["other"], elapsed, _percentile(latencies, 0.5),
                  _percentile(latencies, 0.99))


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else float("nan")


def median_rps(results: list[Result]) -> float:
    return statistics.median(result.rps for result in results)


def median_ratio(results: list[Result], baseline: list[Result], figure: str = "rps") -> float:
    """The median of the rounds' ratios of a figure (requests/s unless named: "p99_ms",
    "cpu_us"): each round's pair ran back to back, so a drift in the VM's speed between
    rounds cancels out, where a ratio of two medians keeps it."""
    return statistics.median(getattr(result, figure) / getattr(base, figure)
                             for result, base in zip(results, baseline, strict=True))


async def alternate(targets: dict[str, tuple[Server, str, bytes | None]], headers: dict[str, str], seconds: float,
                    rounds: int) -> dict[str, list[Result]]:
    """Each round measures every target once at CONCURRENCY, the first being the baseline,
    starting one target later each round so that no target always runs right after another
    (a VM's speed drifts); each row shows its ratio to the baseline's figure of the same round.
    Then the medians, the median of each target's ratios, and how many rounds met the p99
    goal (P99_GOAL_MS)."""
    print(f"load: {GENERATOR}; c={CONCURRENCY}; {rounds} alternating rounds of {seconds:g} s per target\n")
    results: dict[str, list[Result]] = {label: [] for label in targets}
    labels = list(targets)
    baseline = labels[0]
    for number in range(1, rounds + 1):
        start = (number - 1) % len(labels)
        measured = {}
        for label in labels[start:] + labels[:start]:
            server, path, expect = targets[label]
            measured[label] = await load_server(label, server, path, headers, CONCURRENCY, seconds, expect)
        for label in labels:
            results[label].append(measured[label])
            ratio = measured[label].rps / measured[baseline].rps
            print(f"round {number}  {measured[label].row()}" + ("" if label == baseline else f"   {ratio:.2f}x"))
    print("\nmedians of the rounds:")
    for label, rows in results.items():
        ratio = median_ratio(rows, results[baseline])
        print(f"  {label:<26} {median_rps(rows):9.0f} req/s   p50 {statistics.median(r.p50_ms for r in rows):6.2f} ms"
              f"   p99 {statistics.median(r.p99_ms for r in rows):6.2f} ms"
              f"   cpu {statistics.median(r.cpu_us for r in rows):6.1f} µs/req   {ratio:.2f}x {baseline}")
    # At c=N a closed loop keeps N requests in flight: the mean latency is N over the
    # requests/s, so a p99 is read best against the baseline's, measured beside it; and CPU
    # time a request leaves out what a server waited for a busy machine.
    for figure, name in (("p99_ms", "p99"), ("cpu_us", "CPU a request")):
        print(f"  {name} against {baseline}'s, round by round: " + "; ".join(
            f"{label} {median_ratio(rows, results[baseline], figure):.2f}x"
            for label, rows in results.items() if label != baseline))
    # A p99 goal is a figure in absolute time, which a machine's speed moves: the baseline's
    # count says how often the machine itself allowed it.
    print(f"  rounds with a p99 of at most {P99_GOAL_MS:g} ms: " + "; ".join(
        f"{label} {sum(result.p99_ms <= P99_GOAL_MS for result in rows)} of {len(rows)}"
        for label, rows in results.items()))
    return results


def python() -> str:
    return sys.executable


def run_measurement(doc: str, measure: Callable[..., Awaitable[None]], **options: tuple[type, Any, str]) -> None:
    """Read each `--name` option (its type, default and help) and run `measure` with them."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, (kind, default, text) in options.items():
        parser.add_argument(f"--{name}", type=kind, default=default, help=text)
    asyncio.run(measure(**vars(parser.parse_args())))
