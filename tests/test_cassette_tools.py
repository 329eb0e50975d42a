"""`mockplex cassettes list|show|lint`, and the example cassettes the repository ships."""

from __future__ import annotations

import json
import shutil

from conftest import EXAMPLES, RW, Api, make_settings
from test_cli import run_cli

from mockplex.app import build_app
from mockplex.recording.inspect import body_bytes, load
from mockplex.replay.route import ReplaySettings


def test_list_and_show(tmp_path, shipped_cassettes):
    listed = run_cli("cassettes", "list", "--cassette-dir", str(shipped_cassettes))
    assert listed.returncode == 0
    assert "examples/run-lifecycle  7 interactions" in listed.stdout
    shown = run_cli("cassettes", "show", "examples/run-lifecycle", "--cassette-dir", str(shipped_cassettes))
    lines = shown.stdout.splitlines()
    assert lines[0].split() == ["#", "method", "request", "status", "body"]
    assert lines[1].split()[:4] == ["1", "POST", "/api/v1/mogplex/runs", "202"]
    missing = run_cli("cassettes", "show", "nope", "--cassette-dir", str(tmp_path))
    assert missing.returncode == 1 and "cannot load" in missing.stderr


def test_the_shipped_examples_lint_clean():
    result = run_cli("cassettes", "lint", "--cassette-dir", str(EXAMPLES))
    assert result.returncode == 0, result.stdout
    assert "4 cassette(s), 0 problem(s)" in result.stderr


def test_lint_finds_leaks_bad_envelopes_and_broken_files(tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(EXAMPLES, folder)
    text = (folder / "catalog.yaml").read_text()
    text = text.replace("Bearer <redacted:credential:1>", "Bearer mog_mockplexDevReadWrite0001", 1)
    text = text.replace('{"ok":true,"data":{"agents"', '{"ok":"yes","data":{"agents"', 1)
    (folder / "catalog.yaml").write_text(text)
    (folder / "broken.yaml").write_text("interactions: [\n")
    result = run_cli("cassettes", "lint", "--cassette-dir", str(folder))
    assert result.returncode == 1
    assert "catalog.yaml: interaction 1: a token-shaped string at request.headers.Authorization" in result.stdout
    assert "interaction 1: request header Authorization holds an unredacted credential" in result.stdout
    assert "interaction 2 (GET /api/v1/mogplex/agents → 200): ok: True was expected" in result.stdout
    assert "broken.yaml: cannot load" in result.stdout


async def test_the_shipped_run_lifecycle_replays_as_recorded(aiohttp_client, tmp_path):
    path = EXAMPLES / "run-lifecycle.yaml"
    cassette = load(path)
    settings = make_settings(tmp_path, default_mode="replay",
                             replay=ReplaySettings(path, "examples/run-lifecycle"))
    api = Api(await aiohttp_client(build_app(settings)))
    for request, response in zip(cassette.requests, cassette.responses, strict=True):
        headers = {"Idempotency-Key": request.headers["Idempotency-Key"]} if "Idempotency-Key" in request.headers else {}
        body = request.body if request.body else None
        answer = await api.call(request.method, request.path, RW, data=body, headers=headers)
        assert (answer.status, answer.raw_body) == (response["status"]["code"], body_bytes(response))
    assert json.loads(answer.raw_body)["data"]["run"]["status"] == "cancelled"
