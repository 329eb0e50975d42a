"""`mockplex record` as a process: kill -9 mid-recording leaves loadable cassettes, and a
clean stop writes the summary."""

from __future__ import annotations

import http.client
import signal
import threading
import time
import urllib.request

import vcr.serialize
from conftest import OAUTH
from test_cli import Served, run_cli
from vcr.serializers import yamlserializer


def fetch(url: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {OAUTH}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        return response.status


def test_kill_9_mid_recording_leaves_a_loadable_prefix(tmp_path):
    upstream = Served("--clock", "frozen", "--quiet", cwd=tmp_path)
    origin = upstream.base_url.rsplit("/api/v1/mogplex", 1)[0]
    recorder = Served("--upstream", origin, "--cassette", "killed", "--cassette-dir", str(tmp_path / "c"),
                      "--record-mode", "all", "--quiet", cwd=tmp_path, command="record")
    completed: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        index = 0
        while not stop.is_set():
            try:
                fetch(f"{recorder.base_url}/repos?limit=1&i={index}")
            except (OSError, http.client.HTTPException):  # the kill can cut an answer after its headers
                return
            completed.append(index)
            index += 1

    worker = threading.Thread(target=traffic)
    worker.start()
    time.sleep(2.5)
    recorder.stop(signal.SIGKILL)
    stop.set()
    worker.join(timeout=10)
    upstream.stop()
    path = tmp_path / "c" / "killed.yaml"
    requests, responses, *_ = vcr.serialize.deserialize(path.read_text(), yamlserializer)
    indexes = [int(request.uri.rsplit("i=", 1)[1]) for request in requests]
    assert indexes and indexes == list(range(len(indexes)))  # a prefix of what completed
    assert len(indexes) <= len(completed)
    assert not list((tmp_path / "c").glob(".*.tmp"))


def test_a_clean_stop_flushes_and_summarises(tmp_path):
    upstream = Served("--clock", "frozen", "--quiet", cwd=tmp_path)
    origin = upstream.base_url.rsplit("/api/v1/mogplex", 1)[0]
    recorder = Served("--upstream", origin, "--cassette", "clean", "--cassette-dir", str(tmp_path / "c"),
                      cwd=tmp_path, command="record")
    assert "is recording" in "".join(recorder.banner)
    assert fetch(f"{recorder.base_url}/models") == 200
    code, log = recorder.stop()
    upstream.stop()
    assert code == 0
    assert "recorded 1 interaction(s) into" in log and "clean.yaml" in log
    assert "GET    /api/v1/mogplex/models -> 200 upstream" in log


def test_bad_cassette_names_are_refused(tmp_path):
    for name in ("../escape", "/abs/path", "a//b", "spaces here"):
        result = run_cli("record", "--cassette", name, "--upstream", "http://127.0.0.1:9", cwd=tmp_path)
        assert result.returncode == 2 and "invalid cassette name" in result.stderr, name
