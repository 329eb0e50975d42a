"""Throughput and latency of `mockplex serve` next to a bare aiohttp server.

Loads an authenticated GET /api/v1/mogplex/repos with wrk (a C load generator) at
concurrency 32, the server pinned to one core and wrk to the other, in alternating
rounds: a bare aiohttp handler returning the very same bytes; mockplex with `--quiet`;
mockplex logging one line per request (to /dev/null, so the formatting is paid and no
terminal slows it); and the bare handler behind mockplex's own listener and connection
protocol with none of mockplex's layers, so that the gap between it and the mockplex
rows is what the layers cost. In mockplex every rule runs as usual: auth, scope, the
journal, faults. The OAuth dev token is used because the server does not rate-limit
OAuth bearers, so no 429 is ever timed. Without wrk, a Python client stands in, and the
figures say so.

    python benchmarks/serve_bench.py [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Server, alternate, median_ratio, python, run_measurement  # noqa: E402

OAUTH_DEV_TOKEN = "mpx_oauth_dev_access_token_0001"
PATH = "/api/v1/mogplex/repos"


def fetch(url: str, headers: dict[str, str]) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
        return response.read()


async def measure(seconds: float, rounds: int) -> None:
    headers = {"Authorization": f"Bearer {OAUTH_DEV_TOKEN}"}
    serve = [python(), "-m", "mockplex", "serve", "--port", "0", "--clock", "frozen"]
    ready = r"MOGPLEX_BASE_URL=(http://\S+?)/api/v1/mogplex"
    quiet = Server([*serve, "--quiet"], ready, pin=True)
    logged = Server(serve, ready, pin=True)
    body = fetch(quiet.url + PATH, headers)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        handle.write(body)
    bare_command = [python(), str(Path(__file__).with_name("bare_server.py")), handle.name]
    bare = Server(bare_command, r"bare server at (http://\S+)", pin=True)
    stack = Server([*bare_command, "--stack"], r"bare server at (http://\S+)", pin=True)
    print(f"GET {PATH}: {len(body)} bytes")
    try:
        results = await alternate({"bare aiohttp": (bare, PATH, body), "mockplex, --quiet": (quiet, PATH, body),
                                   "mockplex, logging on": (logged, PATH, body),
                                   "mockplex's stack, no layers": (stack, PATH, body)}, headers, seconds, rounds)
        logged_rows, quiet_rows = results["mockplex, logging on"], results["mockplex, --quiet"]
        print(f"  logging on vs --quiet, round by round: {median_ratio(logged_rows, quiet_rows):.2f}x the requests/s,"
              f" {median_ratio(logged_rows, quiet_rows, 'cpu_us'):.2f}x the CPU a request (what the log line costs)")
    finally:
        for server in (quiet, logged, bare, stack):
            server.stop()
        Path(handle.name).unlink(missing_ok=True)


def main() -> None:
    run_measurement(__doc__, measure, seconds=(float, 5.0, "duration of each measurement"),
                    rounds=(int, 3, "alternating rounds per concurrency"))


if __name__ == "__main__":
    main()
