"""Faults while recording: the upstream dies mid-stream, the cassette folder refuses
writes, the disk fills mid-run. Each gives a clear error, and whatever was recorded
before is still on disk, whole and loadable."""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest
import vcr.serialize
from aiohttp import web
from conftest import REPO_ROOT
from test_cli import Served, run_cli
from test_record_process import fetch
from vcr.serializers import yamlserializer

from mockplex.recording.app import RecordSettings, build_record_app

pytestmark = pytest.mark.reliability

EXAMPLE = REPO_ROOT / "cassettes" / "examples" / "catalog.yaml"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def interactions(path: Path) -> int:
    requests, _, *_ = vcr.serialize.deserialize(path.read_text(), yamlserializer)
    return len(requests)


async def test_an_upstream_dying_mid_stream_breaks_that_answer_and_keeps_the_cassette(aiohttp_server,
                                                                                       aiohttp_client, tmp_path):
    async def events(request):
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b"data: {\"n\":0}\n\n")
        request.transport.abort()  # the upstream process dies
        return response

    async def fine(request):
        return web.json_response({"ok": True, "data": {"n": request.query.get("n")}})

    upstream = web.Application()
    upstream.router.add_get("/events", events)
    upstream.router.add_get("/fine", fine)
    server = await aiohttp_server(upstream)
    cassette = tmp_path / "cassettes" / "story.yaml"
    cassette.parent.mkdir()
    shutil.copy(EXAMPLE, cassette)
    before = interactions(cassette)
    settings = RecordSettings(f"http://127.0.0.1:{server.port}", cassette, "new_episodes")
    client = await aiohttp_client(build_record_app(settings))
    assert (await client.get("/fine?n=1")).status == 200
    with pytest.raises(aiohttp.ClientPayloadError):
        async with client.get("/events") as response:
            await response.read()
    assert (await client.get("/fine?n=2")).status == 200  # the proxy keeps serving
    await client.close()
    requests, responses, *_ = vcr.serialize.deserialize(cassette.read_text(), yamlserializer)
    assert len(requests) == before + 2
    assert [request.path for request in requests[before:]] == ["/fine", "/fine"]  # nothing half-recorded


@contextlib.contextmanager
def refusing_writes(folder: Path):
    """Make a folder refuse writes the way this machine allows: chmod for a normal user;
    for root (which chmod does not stop) the immutable flag, or, where the filesystem has
    none, a plain file where the folder should be."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
    elif subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        blocked = folder / "blocked"
        blocked.write_text("not a folder\n")
        yield blocked


def test_a_cassette_folder_that_refuses_writes_is_said_before_anything_is_forwarded(tmp_path):
    folder = tmp_path / "cassettes"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "kept.yaml")
    kept = digest(folder / "kept.yaml")
    with refusing_writes(folder) as target:
        result = run_cli("record", "--upstream", "http://127.0.0.1:9", "--cassette", "new",
                         "--cassette-dir", str(target), "--port", "0")
    assert result.returncode == 1
    assert f"cannot record into {target / 'new.yaml'}: {target} is not writable (" in result.stderr
    assert "Traceback" not in result.stderr
    assert digest(folder / "kept.yaml") == kept


def test_a_full_disk_mid_run_keeps_the_last_good_file_and_says_what_was_lost(tmp_path):
    """RLIMIT_FSIZE makes every write past 24 KiB fail with EFBIG, as a full disk would."""
    upstream = Served("--clock", "frozen", "--quiet", cwd=tmp_path)
    origin = upstream.base_url.removesuffix("/api/v1/mogplex")

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (24 * 1024, 24 * 1024))

    recorder = Served("--upstream", origin, "--cassette", "full", "--cassette-dir", str(tmp_path / "c"),
                      "--record-mode", "all", cwd=tmp_path, command="record", preexec_fn=small_disk)
    try:
        assert fetch(f"{recorder.base_url}/repos?limit=1") == 200
        os.sync()
        wait_for(lambda: (tmp_path / "c" / "full.yaml").exists())
        first = (tmp_path / "c" / "full.yaml").read_bytes()
        for _ in range(6):  # the agents catalog is large: the file soon outgrows the disk
            assert fetch(f"{recorder.base_url}/agents") == 200  # clients are still answered
    finally:
        code, stderr = recorder.stop()
        upstream.stop()
    assert code == 1
    assert f"cannot write {tmp_path / 'c' / 'full.yaml'}: File too large; the previous file is untouched" in stderr
    assert "could not be written to" in stderr and "Traceback" not in stderr
    assert (tmp_path / "c" / "full.yaml").read_bytes() == first
    assert interactions(tmp_path / "c" / "full.yaml") == 1
    assert not list((tmp_path / "c").glob(".*.tmp"))


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
