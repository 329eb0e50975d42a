"""Load: 32 concurrent clients for 20 s over a mixed route set against a real `mockplex
serve` process, in fixture mode and in replay mode. Every answer must be the expected
one (no 5xx, no dropped connection), and the server's RSS after the run must be within
50 MB of its RSS after warm-up. MOCKPLEX_LOAD_SECONDS shortens or lengthens the run."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import yaml
from conftest import REPO_ROOT, RW, SUCCESS_RUN, V1, WEB_REPO
from test_cli import Served

pytestmark = pytest.mark.reliability

CLIENTS = 32
SECONDS = float(os.environ.get("MOCKPLEX_LOAD_SECONDS", "20"))
RSS_GROWTH_LIMIT_MB = 50
JSON_HEADERS = {"Authorization": f"Bearer {RW}", "Content-Type": "application/json"}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    expected: int
    body: object = None
    key: str | None = None  # an Idempotency-Key; "{n}" is filled from a small rotating set


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def client(session: aiohttp.ClientSession, base: str, plan: list[Call], offset: int, deadline: float,
                 tally: Counter) -> None:
    index = offset
    while time.monotonic() < deadline:
        call = plan[index % len(plan)]
        headers = dict(JSON_HEADERS)
        if call.key:
            headers["Idempotency-Key"] = call.key.format(n=index % 40)
        try:
            async with session.request(call.method, base + call.path, headers=headers, allow_redirects=False,
                                       data=json.dumps(call.body) if call.body is not None else None) as response:
                await response.read()
                tally["requests"] += 1
                if response.status != call.expected:
                    tally[f"unexpected {response.status} from {call.method} {call.path}"] += 1
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            tally[f"failed {call.method} {call.path}: {type(error).__name__}"] += 1
        index += 1


async def hammer(base: str, plan: list[Call], seconds: float) -> Counter:
    tally: Counter = Counter()
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(*(client(session, base, plan, offset, deadline, tally) for offset in range(CLIENTS)))
    return tally


def run_load(served: Served, plan: list[Call], label: str) -> dict:
    origin = served.base_url.removesuffix(V1)
    warm = asyncio.run(hammer(origin, plan, 2))
    before = rss_mb(served.process.pid)
    tally = asyncio.run(hammer(origin, plan, SECONDS))
    after = rss_mb(served.process.pid)
    errors = {key: count for key, count in (warm + tally).items() if key != "requests"}
    figures = {"mode": label, "requests": tally["requests"], "per_second": round(tally["requests"] / SECONDS),
               "errors": sum(errors.values()), "rss_before_mb": round(before, 1), "rss_after_mb": round(after, 1)}
    print(f"\nload {json.dumps(figures)}")
    assert not errors, errors
    assert after - before < RSS_GROWTH_LIMIT_MB, figures
    return figures


FIXTURE_PLAN = [
    Call("GET", f"{V1}/repos?limit=5", 200),
    Call("GET", f"{V1}/agents", 200),
    Call("GET", f"{V1}/models", 200),
    Call("GET", f"{V1}/sandboxes", 200),
    Call("GET", f"{V1}/runs/{SUCCESS_RUN}", 200),
    Call("GET", f"{V1}/runs/{SUCCESS_RUN}/events?limit=10", 200),
    Call("GET", f"{V1}/automations", 200),
    Call("GET", f"{V1}/mcp/servers", 200),
    Call("POST", f"{V1}/runs", 202, {"repoId": WEB_REPO, "prompt": "Tidy the README"}, key="load-{n}"),
    Call("POST", f"{V1}/runs/{SUCCESS_RUN}/cancel", 200),
    Call("POST", f"{V1}/mcp", 200, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
    Call("GET", f"{V1}/runs/not-a-uuid", 500),  # the server's cast error, by spec
    Call("GET", f"{V1}/nowhere", 404),
]


def test_fixture_mode_under_load(tmp_path):
    served = Served("--quiet", "--no-rate-limits", "--clock", "fast:30", cwd=tmp_path)
    try:
        run_load(served, FIXTURE_PLAN, "fixture")
    finally:
        code, stderr = served.stop()
    assert code == 0 and "Traceback" not in stderr


def merged_examples(target: Path) -> list[Call]:
    """All shipped example cassettes as one, and the plan of the requests they hold."""
    interactions, plan = [], []
    for name in ("catalog", "errors", "mcp-session", "run-lifecycle"):
        document = yaml.safe_load((REPO_ROOT / "cassettes" / "examples" / f"{name}.yaml").read_text())
        for interaction in document["interactions"]:
            request, response = interaction["request"], interaction["response"]
            interactions.append(interaction)
            refused_token = "mogplex/repos" in request["uri"] and response["status"]["code"] == 401
            if "Idempotency-Key" in request["headers"] or refused_token:
                continue  # requests whose answer depends on headers this plan does not vary
            path = request["uri"].split("//", 1)[1].split("/", 1)[1]
            body = json.loads(request["body"]) if request.get("body") else None
            plan.append(Call(request["method"], "/" + path, response["status"]["code"], body))
    target.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))
    return plan


def test_replay_mode_under_load(tmp_path):
    cassettes = tmp_path / "cassettes"
    cassettes.mkdir()
    plan = merged_examples(cassettes / "mixed.yaml")
    served = Served("--quiet", "--mode", "replay", "--cassette", "mixed", "--cassette-dir", str(cassettes),
                    "--on-exhausted", "repeat", "--replay-timing", "none", "--no-rate-limits", cwd=tmp_path)
    try:
        figures = run_load(served, plan, "replay")
    finally:
        code, stderr = served.stop()
    assert code == 0 and "Traceback" not in stderr
    assert figures["requests"] > 0
