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


def set_up_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n## Set up\n")[1].split("\n## ")[0]
    return [block.split("```")[0].strip() for block in section.split("```bash\n")[1:]]


def test_the_readme_has_two_set_up_commands_and_ci_runs_the_second_in_a_fresh_venv():
    assert set_up_commands() == ["python -m pip install . && mockplex serve",
                                 "python -m pip install '.[test]' && python -m pytest -q"]
    ci = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == set_up_commands()[1]  # the same words, run last
    venv = next(line for line in ci if line.startswith("python3 -m venv "))
    assert ci.index(venv) < ci.index(ci[-1]) and "mktemp -d" in "\n".join(ci)  # made fresh, outside the checkout
