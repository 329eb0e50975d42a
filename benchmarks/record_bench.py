"""Latency the recording proxy adds over hitting the upstream directly, on loopback.

Starts a bare aiohttp upstream returning a fixed JSON body and `mockplex record` in front
of it (record mode all, so every exchange is redacted and written), then times the same
GET directly and through the proxy, in alternating batches, one request at a time.

    python benchmarks/record_bench.py [--requests 2000]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Server, python, run_measurement  # noqa: E402

BODY = (b'{"ok":true,"data":{"repos":[{"id":"0b6c4d2e-7a1f-4e3b-9c5d-8f2a6b1e3c70","full_name":"harborlight/web",'
        b'"installation_id":48213,"default_branch":"main","root_directory":"apps/web"}]}}')
PATH = "/api/v1/mogplex/repos"


async def timed(session: aiohttp.ClientSession, url: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        async with session.get(url, headers={"Authorization": "Bearer mpx_oauth_dev_access_token_0001"}) as answer:
            await answer.read()
            assert answer.status == 200
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def measure(requests: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        body_file = Path(folder) / "body.json"
        body_file.write_bytes(BODY)
        upstream = Server([python(), str(Path(__file__).with_name("bare_server.py")), str(body_file)],
                          r"bare server at (http://\S+)")
        proxy = Server([python(), "-m", "mockplex", "record", "--upstream", upstream.url, "--cassette", "bench",
                        "--cassette-dir", folder, "--record-mode", "all", "--port", "0", "--quiet"],
                       r"MOGPLEX_BASE_URL=(http://\S+?)/api/v1/mogplex")
        direct, proxied = [], []
        try:
            async with aiohttp.ClientSession() as session:
                await timed(session, upstream.url + PATH, 50)
                await timed(session, proxy.url + PATH, 50)
                for _ in range(requests // batch):
                    direct += await timed(session, upstream.url + PATH, batch)
                    proxied += await timed(session, proxy.url + PATH, batch)
        finally:
            proxy.stop()
            upstream.stop()
        size = (Path(folder) / "bench.yaml").stat().st_size
    print(f"{len(direct)} requests each way, one at a time, GET {PATH} ({len(BODY)} bytes)")
    for label, samples in (("direct to upstream", direct), ("through mockplex record", proxied)):
        print(f"  {label:<26} p50 {percentile(samples, 0.5):6.3f} ms   p99 {percentile(samples, 0.99):6.3f} ms")
    print(f"  added by recording         p50 {percentile(proxied, 0.5) - percentile(direct, 0.5):6.3f} ms   "
          f"p99 {percentile(proxied, 0.99) - percentile(direct, 0.99):6.3f} ms   "
          f"(mean {statistics.mean(proxied) - statistics.mean(direct):.3f} ms)")
    print(f"  cassette written: {size / 1024:.0f} KiB")


def main() -> None:
    run_measurement(__doc__, measure, requests=(int, 2000, "requests each way"),
                    batch=(int, 100, "requests per alternating batch"))


if __name__ == "__main__":
    main()
