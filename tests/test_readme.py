"""The README says what is true: its route table is `mockplex routes --markdown`, its set-up
commands are what CI runs, and its shell examples answer as it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import REPO_ROOT, RW


def test_readme_route_table_matches_the_route_table():
    readme = (REPO_ROOT / "README.md").read_text()
    block = readme.split("<!-- routes:begin -->")[1].split("<!-- routes:end -->")[0]
    generated = subprocess.run([sys.executable, "-m", "mockplex", "routes", "--markdown"], capture_output=True,
                               text=True, check=True, cwd=REPO_ROOT).stdout
    assert generated.startswith("| family | routes |\n| --- | --- |\n")  # a table on its own
    assert block.strip() == generated.strip()


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


def test_the_readmes_curl_examples_answer_as_the_readme_says(tmp_path):
    """Every shell example that talks to a running server (through $MOGPLEX_BASE_URL), run
    as written by bash against a live `mockplex serve`."""
    from test_cli import Served

    readme = (REPO_ROOT / "README.md").read_text()
    examples = [block for block in re.findall(r"```bash\n(.*?)```", readme, re.S)
                if "$MOGPLEX_BASE_URL" in block and "mockplex record" not in block]
    assert examples
    served = Served("--quiet", cwd=tmp_path)
    env = {**os.environ, "MOGPLEX_BASE_URL": served.base_url, "MOGPLEX_TOKEN": RW}
    try:
        for example in examples:
            ran = subprocess.run(["bash", "-euo", "pipefail", "-c", example], env=env, capture_output=True,
                                 text=True, timeout=60)
            assert ran.returncode == 0, ran.stderr
            assert ran.stdout.count('{"ok":true') == example.count("curl "), ran.stdout
    finally:
        served.stop()
