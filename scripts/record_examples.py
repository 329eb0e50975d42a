"""Re-record the example cassettes in cassettes/examples/ from the fixture world.

Starts the fixture world and `mockplex record` in front of it (both on free loopback
ports, in this process), drives a few scenarios a user would, and writes one cassette per
scenario. Run from the repository root:

    python scripts/record_examples.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mockplex.app import build_app  # noqa: E402
from mockplex.clock import parse_clock  # noqa: E402
from mockplex.recording.app import RecordSettings, build_record_app  # noqa: E402
from mockplex.settings import Settings  # noqa: E402

V1 = "/api/v1/mogplex"
TOKEN = {"Authorization": "Bearer mog_mockplexDevReadWrite0001"}
WEB_REPO = "0b6c4d2e-7a1f-4e3b-9c5d-8f2a6b1e3c70"


async def run_lifecycle(client: aiohttp.ClientSession, base: str) -> None:
    """Start a run, poll its events until it is streaming, cancel it, read it back."""
    started = await client.post(f"{base}{V1}/runs", headers={**TOKEN, "Idempotency-Key": "example-run-1"},
                                json={"repoId": WEB_REPO, "prompt": "Fix the flaky checkout test", "createBranch": True})
    run_id = (await started.json())["data"]["runId"]
    for _ in range(4):
        await (await client.get(f"{base}{V1}/runs/{run_id}/events", headers=TOKEN)).read()
    await (await client.post(f"{base}{V1}/runs/{run_id}/cancel", headers=TOKEN)).read()
    await (await client.get(f"{base}{V1}/runs/{run_id}", headers=TOKEN)).read()


async def catalog(client: aiohttp.ClientSession, base: str) -> None:
    """The calls an integration makes first: repos, agents, models, MCP servers."""
    for path in ("/repos?limit=20", "/agents", "/models", "/mcp/servers"):
        await (await client.get(f"{base}{V1}{path}", headers=TOKEN)).read()


async def mcp_session(client: aiohttp.ClientSession, base: str) -> None:
    """An MCP client's first minute: initialize, list tools, call one."""
    for message in ({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}},
                    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                    {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                     "params": {"name": "mogplex_list_repos", "arguments": {"limit": 2}}}):
        await (await client.post(f"{base}{V1}/mcp", headers=TOKEN, json=message)).read()


async def errors(client: aiohttp.ClientSession, base: str) -> None:
    """Answers worth keeping: a scope refusal, a missing key, a bad token, an unknown run."""
    read_only = {"Authorization": "Bearer mog_mockplexDevReadOnly00001"}
    await (await client.post(f"{base}{V1}/runs", headers={**read_only, "Idempotency-Key": "k"}, json={})).read()
    await (await client.post(f"{base}{V1}/runs", headers=TOKEN, json={})).read()
    await (await client.get(f"{base}{V1}/repos", headers={"Authorization": "Bearer mog_notAValidToken"})).read()
    await (await client.get(f"{base}{V1}/runs/00000000-0000-4000-8000-000000000000", headers=TOKEN)).read()


SCENARIOS = {"run-lifecycle": run_lifecycle, "catalog": catalog, "mcp-session": mcp_session, "errors": errors}


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def main() -> None:
    out = ROOT / "cassettes" / "examples"
    for name, scenario in SCENARIOS.items():
        world = build_app(Settings(seed=7, clock=parse_clock("step:2"), state_dir=None))
        upstream, upstream_url = await serve(world)
        proxy, proxy_url = await serve(build_record_app(RecordSettings(upstream_url, out / f"{name}.yaml", "all")))
        async with aiohttp.ClientSession() as client:
            await scenario(client, proxy_url)
        await proxy.cleanup()
        await upstream.cleanup()
        print(f"recorded {out / name}.yaml")


if __name__ == "__main__":
    asyncio.run(main())
