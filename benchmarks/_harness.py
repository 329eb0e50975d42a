"""Shared benchmark plumbing: start servers as subprocesses, drive them, report."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from pathlib import Path

import aiohttp

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    label: str
    concurrency: int
    ok: int
    other: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.ok / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else float("nan")

    def row(self) -> str:
        return (f"{self.label:<22} c={self.concurrency:<3} {self.rps:9.0f} req/s   p50 {self.percentile(0.5):6.2f} ms"
                f"   p99 {self.percentile(0.99):6.2f} ms   ({self.ok} x 200, {self.other} other)")


class Server:
    """A server subprocess that prints a line matching `ready` with its base URL."""

    def __init__(self, command: list[str], ready: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True, env=env)
        for line in self.process.stdout:
            found = re.search(ready, line)
            if found:
                self.url = found.group(1)
                return
        raise RuntimeError(f"server did not start: {command}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


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
    return Result(label, concurrency, counts["ok"], counts["other"], elapsed, latencies)


def median_rps(results: list[Result]) -> float:
    return statistics.median(result.rps for result in results)


def python() -> str:
    return sys.executable


def run_measurement(doc: str, measure: Callable[..., Awaitable[None]], **options: tuple[type, Any, str]) -> None:
    """Read each `--name` option (its type, default and help) and run `measure` with them."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, (kind, default, text) in options.items():
        parser.add_argument(f"--{name}", type=kind, default=default, help=text)
    asyncio.run(measure(**vars(parser.parse_args())))
