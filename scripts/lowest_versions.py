"""Run the test suite against the lowest version pyproject.toml allows of every requirement.

Each `>=` bound in `dependencies` and in the `test` extra becomes a `==` constraint; the
project is installed with those constraints into a fresh virtualenv outside the checkout,
and the README's test command runs there. A bound that is too low fails here, not in a
user's environment.

    python scripts/lowest_versions.py            # the whole suite
    python scripts/lowest_versions.py -- -k mcp  # extra pytest arguments after --
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOWER_BOUND = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)")


def lowest_constraints() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = []
    for requirement in requirements:
        bound = LOWER_BOUND.match(requirement)
        if bound is None:
            sys.exit(f"pyproject.toml: {requirement!r} has no lower bound (>=) to test")
        pins.append(f"{bound.group(1)}=={bound.group(2)}")
    return pins


def main(pytest_args: list[str]) -> int:
    pins = lowest_constraints()
    with tempfile.TemporaryDirectory(prefix="mockplex-lowest.") as scratch:
        venv = Path(scratch) / "venv"
        constraints = Path(scratch) / "constraints.txt"
        constraints.write_text("".join(f"{pin}\n" for pin in pins))
        print("lowest versions:", ", ".join(pins), flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = str(venv / "bin" / "python")
        subprocess.run([python, "-m", "pip", "install", "--quiet", "-c", str(constraints), ".[test]"],
                       cwd=ROOT, check=True)
        return subprocess.run([python, "-m", "pytest", "-q", *pytest_args], cwd=ROOT).returncode


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main(arguments[arguments.index("--") + 1:] if "--" in arguments else []))
