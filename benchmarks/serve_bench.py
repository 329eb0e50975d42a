"""Throughput and latency of `mockplex serve` next to a bare aiohttp server.

Measures an authenticated GET /api/v1/mogplex/repos at concurrency 1 and 32 against
mockplex (fixture world, request logging off) and against a bare aiohttp handler that
returns the very same bytes, in one run, and prints the ratio. Only 200 answers with
the expected body count. The OAuth dev token is used because the server does not
rate-limit OAuth bearers, so no 429 is ever timed.

    python benchmarks/serve_bench.py [--seconds 5]
"""

from __future__ import annotations

import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Server, drive, median_rps, python, run_measurement  # noqa: E402

OAUTH_DEV_TOKEN = "mpx_oauth_dev_access_token_0001"
PATH = "/api/v1/mogplex/repos"


def fetch(url: str, headers: dict[str, str]) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
        return response.read()


async def measure(seconds: float, rounds: int) -> None:
    headers = {"Authorization": f"Bearer {OAUTH_DEV_TOKEN}"}
    mock = Server([python(), "-m", "mockplex", "serve", "--port", "0", "--quiet", "--clock", "frozen"],
                  r"MOGPLEX_BASE_URL=(http://\S+?)/api/v1/mogplex")
    body = fetch(mock.url + PATH, headers)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        handle.write(body)
    bare = Server([python(), str(Path(__file__).with_name("bare_server.py")), handle.name],
                  r"bare server at (http://\S+)")
    print(f"GET {PATH}: {len(body)} bytes; {rounds} alternating rounds of {seconds:g} s per server\n")
    try:
        for concurrency in (1, 32):
            results = {"bare aiohttp": [], "mockplex serve": []}
            for _ in range(rounds):
                for label, server in (("bare aiohttp", bare), ("mockplex serve", mock)):
                    result = await drive(label, server.url + PATH, headers, concurrency, seconds, body)
                    results[label].append(result)
                    print(result.row())
            ratio = median_rps(results["mockplex serve"]) / median_rps(results["bare aiohttp"])
            print(f"  -> concurrency {concurrency}: mockplex / bare throughput = {ratio:.2f} (median of rounds)\n")
    finally:
        mock.stop()
        bare.stop()
        Path(handle.name).unlink(missing_ok=True)


def main() -> None:
    run_measurement(__doc__, measure, seconds=(float, 5.0, "duration of each measurement"),
                    rounds=(int, 3, "alternating rounds per concurrency"))


if __name__ == "__main__":
    main()
