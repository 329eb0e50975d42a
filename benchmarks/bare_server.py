"""The baseline: a bare aiohttp handler returning fixed bytes (started by the benchmarks).
With --stack, the same handler behind mockplex's listener and connection protocol (and
none of mockplex's layers), to tell what the protocol costs from what the layers cost.

    python benchmarks/bare_server.py BODY_FILE [--stack]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiohttp import web


def bare_app(body: bytes, catch_all: bool = False) -> web.Application:
    """`catch_all`: one route for every method, as mockplex's app has (its connection then
    skips the router)."""
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": "application/json"})

    app = web.Application()
    if catch_all:
        app.router.add_route("*", "/{tail:.*}", handler)
    else:
        app.router.add_get("/{tail:.*}", handler)
    return app


async def serve(body: bytes, mockplex_stack: bool) -> None:
    if mockplex_stack:
        from mockplex.listener import GuardedSite, make_runner

        runner = make_runner(bare_app(body, catch_all=True), handle_signals=False)
        await runner.setup()
        await GuardedSite(runner, "127.0.0.1", 0).start()
    else:
        runner = web.AppRunner(bare_app(body), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(f"bare server at http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(serve(Path(sys.argv[1]).read_bytes(), "--stack" in sys.argv[2:]))
    except KeyboardInterrupt:
        pass
