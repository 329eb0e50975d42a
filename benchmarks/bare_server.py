"""The baseline: a bare aiohttp handler returning fixed bytes (started by the benchmarks).

    python benchmarks/bare_server.py BODY_FILE
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiohttp import web


def bare_app(body: bytes) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": "application/json"})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    return app


async def serve(body: bytes) -> None:
    runner = web.AppRunner(bare_app(body), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(f"bare server at http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(serve(Path(sys.argv[1]).read_bytes()))
    except KeyboardInterrupt:
        pass
