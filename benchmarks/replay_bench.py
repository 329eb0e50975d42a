"""Replay speed: throughput next to a bare aiohttp server, cassette size independence,
and start-up time and memory for a large cassette, cold and with its parsed index.

Builds cassettes of 10 and 10,000 recorded interactions (the large one about 20 MB of
vcrpy YAML), serves them with `mockplex serve --mode replay`, and measures in one run:
  - start-up to the banner and peak RSS: cold (no index), warm (index present), and
    PyYAML's C loader alone on the same file, for comparison; mockplex starts from its
    compiled bytecode, as an installed package does (compile_bytecode);
  - requests/s and p50/p99 of an authenticated GET at concurrency 32, loaded by wrk with
    the server pinned to one core and wrk to the other (see serve_bench.py), against each
    cassette and a bare aiohttp server returning the recorded bytes, in alternating rounds.

    python benchmarks/replay_bench.py [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import compileall
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import vcr.serialize
from vcr.request import Request
from vcr.serializers import yamlserializer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import REPO_ROOT, Server, alternate, median_ratio, python, run_measurement  # noqa: E402

TOKEN = "mpx_oauth_dev_access_token_0001"
TARGET = "/api/v1/mogplex/repos?limit=20"
REPO = ('{"id":"%s","full_name":"harborlight/service-%04d","installation_id":48213,"default_branch":"main",'
        '"root_directory":null}')


def body_for(index: int) -> bytes:
    repos = ",".join(REPO % (f"0b6c4d2e-7a1f-4e3b-9c5d-{index:012d}", index * 20 + n) for n in range(14))
    return ('{"ok":true,"data":{"repos":[' + repos + "]}}").encode()


def write_cassette(path: Path, count: int) -> bytes:
    requests, responses = [], []
    for index in range(count):
        uri = "http://upstream.test" + (TARGET if index == count - 1 else f"/api/v1/mogplex/repos?page={index}")
        requests.append(Request("GET", uri, None, {"Authorization": "Bearer <redacted:credential:1>"}))
        responses.append({"status": {"code": 200, "message": "OK"},
                          "headers": {"Content-Type": ["application/json"], "X-Frame-Options": ["DENY"]},
                          "body": {"string": body_for(index)}, "url": uri, "mockplex": {"chunks": [[0, 0]]}})
    path.write_text(vcr.serialize.serialize({"requests": requests, "responses": responses}, yamlserializer))
    return body_for(count - 1)


def compile_bytecode() -> None:
    """Start-up is timed as an installed mockplex starts, from compiled bytecode: pip
    compiles a package as it installs it, and a checkout writes its bytecode on its first
    start, except where PYTHONDONTWRITEBYTECODE is set. There, every start measured would
    also compile each of mockplex's modules (about a quarter of a second), so it is
    compiled here first: a start reads bytecode whatever that setting says."""
    if not compileall.compile_dir(REPO_ROOT / "mockplex", quiet=1):
        raise SystemExit("could not compile mockplex's bytecode")


def start_replay(folder: Path, name: str) -> tuple[Server, float, float]:
    """(server, seconds to the banner, peak RSS in MB)."""
    started = time.perf_counter()
    server = Server([python(), "-m", "mockplex", "serve", "--mode", "replay", "--cassette", name, "--cassette-dir",
                     str(folder), "--port", "0", "--quiet", "--clock", "frozen"],
                    r"MOGPLEX_BASE_URL=(http://\S+?)/api/v1/mogplex", pin=True)
    elapsed = time.perf_counter() - started
    return server, elapsed, peak_rss_mb(server.process.pid)


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def c_loader_alone(path: Path) -> tuple[float, float]:
    code = ("import resource,sys,time,yaml;t=time.perf_counter();"
            f"yaml.load(open({str(path)!r}).read(),Loader=yaml.CSafeLoader);"
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)")
    seconds, rss = subprocess.run([python(), "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(seconds), float(rss)


async def measure(seconds: float, rounds: int) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        os.environ["MOCKPLEX_CACHE_DIR"] = str(folder / "index-cache")  # the warm start's index, not in ~/.cache
        expected_small = write_cassette(folder / "small.yaml", 10)
        expected_large = write_cassette(folder / "large.yaml", 10_000)
        size_mb = (folder / "large.yaml").stat().st_size / 1e6
        yaml_seconds, yaml_rss = c_loader_alone(folder / "large.yaml")
        print(f"large cassette: 10,000 interactions, {size_mb:.1f} MB of YAML")
        print(f"  PyYAML C loader alone: {yaml_seconds:.2f} s, peak RSS {yaml_rss:.0f} MB")
        compile_bytecode()
        cold, cold_seconds, cold_rss = start_replay(folder, "large")
        cold.stop()
        warm, warm_seconds, warm_rss = start_replay(folder, "large")
        print(f"  cold start (no index): {cold_seconds:.2f} s to the banner, peak RSS {cold_rss:.0f} MB")
        print(f"  warm start (index):    {warm_seconds:.2f} s to the banner, peak RSS {warm_rss:.0f} MB")
        print("  (each start from mockplex's compiled bytecode, as an installed package starts)\n")
        small, _, _ = start_replay(folder, "small")
        (folder / "body.json").write_bytes(expected_large)
        bare = Server([python(), str(Path(__file__).with_name("bare_server.py")), str(folder / "body.json")],
                      r"bare server at (http://\S+)", pin=True)
        try:
            results = await alternate({"bare aiohttp": (bare, TARGET, expected_large),
                                       "replay, 10 recorded": (small, TARGET, expected_small),
                                       "replay, 10,000 recorded": (warm, TARGET, expected_large)},
                                      headers, seconds, rounds)
        finally:
            for server in (bare, small, warm):
                server.stop()
    size_cost = median_ratio(results["replay, 10,000 recorded"], results["replay, 10 recorded"])
    print(f"  replay 10,000 vs 10 recorded: {size_cost:.2f}x (1.00 = no cost for size)")


def main() -> None:
    os.chdir(REPO_ROOT)
    run_measurement(__doc__, measure, seconds=(float, 5.0, "duration of each measurement"),
                    rounds=(int, 3, "alternating rounds"))


if __name__ == "__main__":
    main()
