"""A non-editable install, run from an empty folder, finds its built-in world."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

from conftest import REPO_ROOT, RW


def venv_seeing_this_environment(venv):
    """A new virtualenv that also sees the packages of the environment running the tests
    (a `.pth` line, appended after its own site-packages), so mockplex installs offline with
    this environment's pip and setuptools (the venv gets none of its own to shadow them)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    own = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                         capture_output=True, text=True, check=True).stdout.strip()
    outer = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(own) / "outer-environment.pth").write_text("".join(f"{path}\n" for path in sorted(outer)))
    return python, Path(own)


def test_pip_install_then_serve_from_an_empty_directory(tmp_path):
    venv = tmp_path / "venv"
    python, own_site_packages = venv_seeing_this_environment(venv)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         str(REPO_ROOT)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert install.returncode == 0, install.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    server = subprocess.Popen([str(venv / "bin" / "mockplex"), "serve", "--port", "0", "--quiet"], cwd=empty,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        banner = ""
        for line in server.stdout:
            banner += line
            if "Stop with Ctrl-C" in line:
                break
        assert str(own_site_packages) in banner, banner  # the world came from the package just installed
        base = re.search(r"export MOGPLEX_BASE_URL=(\S+)", banner).group(1)
        request = urllib.request.Request(f"{base}/repos", headers={"Authorization": f"Bearer {RW}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            repos = json.loads(response.read())["data"]["repos"]
        assert [repo["full_name"] for repo in repos][0] == "dana-okafor/dotfiles"
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=20)
    assert server.returncode == 0


def test_every_subpackage_ships():
    import tomllib

    listed = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(REPO_ROOT).parts) for init in (REPO_ROOT / "mockplex").rglob("__init__.py")}
    assert found | {"mockplex.default_world"} == listed
