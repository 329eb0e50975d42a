"""The `mockplex` command as a user runs it: a real subprocess on a free loopback port."""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO_ROOT, RW

COMMAND = [sys.executable, "-m", "mockplex"]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(COMMAND + list(args), capture_output=True, text=True, timeout=60, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})


class Served:
    def __init__(self, *args: str, cwd: Path, command: str = "serve", **popen) -> None:
        self.process = subprocess.Popen(COMMAND + [command, "--port", "0", *args], cwd=cwd,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, **popen)
        self.banner = []
        for line in self.process.stdout:
            self.banner.append(line)
            if "Stop with Ctrl-C" in line:
                break
        text = "".join(self.banner)
        found = re.search(r"export MOGPLEX_BASE_URL=(\S+)", text)
        assert found, text + self.process.stderr.read()
        self.base_url = found.group(1)

    def get(self, path: str, token: str = RW) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base_url + path, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        self.process.send_signal(signum)
        _, stderr = self.process.communicate(timeout=20)
        return self.process.returncode, stderr


def test_serve_prints_the_banner_answers_and_stops_cleanly(tmp_path):
    served = Served("--seed", "3", cwd=tmp_path)
    banner = "".join(served.banner)
    assert served.base_url.startswith("http://127.0.0.1:") and served.base_url.endswith("/api/v1/mogplex")
    assert f"export MOGPLEX_TOKEN={RW}" in banner
    assert f"  inspector: {served.base_url.removesuffix('/api/v1/mogplex')}/__mockplex/\n" in banner
    status, body = served.get("/repos?limit=1")
    assert status == 200 and json.loads(body)["ok"] is True
    assert served.get("/runs/not-a-uuid")[0] == 500
    code, log = served.stop()
    assert code == 0
    assert re.search(r"GET +/api/v1/mogplex/repos\?limit=1 -> 200 fixture repos.list", log)
    assert "Traceback" not in log


def test_the_collector_paused_for_start_up_is_on_once_the_banner_is_out(tmp_path):
    """`serve` starts with the cyclic collector off (what start-up makes lives as long as
    the server); a server that ran without it would never free a cycle."""
    code = ("import gc, io, os, signal, sys, threading\n"
            "from mockplex.cli import main\n"
            "banner_out = threading.Event()\n"
            "class Banner(io.StringIO):\n"
            "    def write(self, text):\n"
            "        if 'Stop with Ctrl-C' in text:\n"
            "            banner_out.set()\n"
            "        return super().write(text)\n"
            "def once_up():\n"
            "    banner_out.wait(60)\n"
            "    print('collector on:', gc.isenabled(), 'frozen:', gc.get_freeze_count() > 0, file=sys.stderr)\n"
            "    os.kill(os.getpid(), signal.SIGTERM)\n"
            "sys.stdout = Banner()\n"
            "threading.Thread(target=once_up, daemon=True).start()\n"
            "main(['serve', '--port', '0', '--quiet'])\n")
    served = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert "collector on: True frozen: True" in served.stderr, served.stderr


def test_a_serve_that_stops_before_serving_leaves_the_collector_on(tmp_path):
    """Run in-process (a test, a script), a refused `serve` does not leave the process
    without its cyclic collector."""
    from click.testing import CliRunner

    from mockplex.cli import main

    (tmp_path / "world.yaml").write_text("name: mine\n")
    (tmp_path / "users.yaml").write_text("users:\n  - id: u1\n    email: a@b.c\n")
    refused = CliRunner().invoke(main, ["serve", "--fixtures", str(tmp_path)])
    assert refused.exit_code == 1 and "missing required field 'name'" in refused.output
    assert gc.isenabled()


def test_ctrl_c_also_stops_cleanly(tmp_path):
    served = Served("--quiet", cwd=tmp_path)
    assert served.get("/models")[0] == 200
    code, log = served.stop(signal.SIGINT)
    assert code == 0 and "GET" not in log


def test_a_minted_token_works_on_a_running_server(tmp_path):
    served = Served(cwd=tmp_path)
    created = run_cli("tokens", "create", "--name", "ci bot", "--scopes", "read", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert re.fullmatch(r"mog_[A-Za-z0-9]{24}", token)
    assert "only time" in created.stderr
    assert token not in (tmp_path / ".mockplex" / "tokens.yaml").read_text()
    assert served.get("/repos", token=token)[0] == 200
    listed = json.loads(run_cli("tokens", "list", "--json", cwd=tmp_path).stdout)
    minted = [row for row in listed if row["name"] == "ci bot"][0]
    assert minted["token"] is None and minted["prefix"] == token[:12] and minted["scopes"] == ["read"]
    served.stop()


def test_tokens_list_shows_the_documented_dev_tokens(tmp_path):
    result = run_cli("tokens", "list", cwd=tmp_path)
    assert result.returncode == 0
    for token in (RW, "mog_mockplexDevReadOnly00001", "mpx_oauth_dev_access_token_0001"):
        assert token in result.stdout


@pytest.mark.parametrize("args, message", [
    (["serve", "--clock", "sometimes"], "invalid clock 'sometimes'"),
    (["serve", "--clock", "fast:0"], "must be positive"),
    (["serve", "--port", "70000"], "70000 is not in the range"),
    (["tokens", "create", "--name", "x", "--scopes", "admin"], "give read, write or read,write"),
    (["tokens", "create", "--name", "x", "--expires-in-days", "0"], "0 is not in the range"),
])
def test_bad_arguments_are_explained(tmp_path, args, message):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_world_is_reported_with_file_and_line(tmp_path):
    world = tmp_path / "world"
    world.mkdir()
    (world / "world.yaml").write_text("name: mine\n")
    (world / "users.yaml").write_text("users:\n  - id: u1\n    email: a@b.c\n    nmae: typo\n")
    result = run_cli("serve", "--fixtures", str(world), cwd=tmp_path)
    assert result.returncode == 1
    assert f"{world / 'users.yaml'}:2: users[0]: missing required field 'name'" in result.stderr


def test_a_busy_port_is_a_clear_error(tmp_path):
    served = Served(cwd=tmp_path)
    port = served.base_url.split(":")[2].split("/")[0]
    result = run_cli("serve", "--port", port, cwd=tmp_path)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    served.stop()


def test_help_explains_the_commands():
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    for option in ("--host", "--port", "--seed", "--clock", "--fixtures", "--no-rate-limits"):
        assert option in result.stdout


def test_a_minted_session_signs_in_on_a_running_server(tmp_path):
    served = Served(cwd=tmp_path)
    created = run_cli("sessions", "create", "--days", "2", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    cookie = created.stdout.strip()
    assert cookie.startswith("better-auth.session_token=mpx_session_")
    origin = served.base_url.rsplit("/api/v1/mogplex", 1)[0]
    request = urllib.request.Request(f"{origin}/api/settings", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["theme"] == "dark"
    listed = run_cli("sessions", "list", cwd=tmp_path)
    assert "Cookie: better-auth.session_token=mpx_session_dana_dev_0001" in listed.stdout
    minted = cookie.split("=", 1)[1]
    assert minted[:16] + "…" in listed.stdout and minted not in listed.stdout  # kept as a hash only
    served.stop()
