"""The README's route table is the route table: regenerate it with `mockplex routes --markdown`."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO_ROOT


def test_readme_route_table_matches_the_route_table():
    readme = (REPO_ROOT / "README.md").read_text()
    block = readme.split("<!-- routes:begin -->")[1].split("<!-- routes:end -->")[0]
    rows = [line for line in block.strip().splitlines()[2:]]
    generated = subprocess.run([sys.executable, "-m", "mockplex", "routes", "--markdown"], capture_output=True,
                               text=True, check=True, cwd=REPO_ROOT).stdout.strip().splitlines()
    assert rows == generated
