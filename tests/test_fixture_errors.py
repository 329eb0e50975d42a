"""A broken world fails fast, naming the file and the line."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO_ROOT

from mockplex.world.fixtures import FixtureError
from mockplex.world.loader import load_seed


def world_with(tmp_path, name: str, text: str):
    folder = tmp_path / "world"
    shutil.copytree(REPO_ROOT / "fixtures", folder)
    (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("name, text, expected", [
    ("repos.yaml", "repos:\n  - id: r1\n    user: nobody\n    full_name: a/b\n    installation_id: 1\n",
     "repos.yaml:2: unknown user 'nobody'"),
    ("repos.yaml", "repos:\n  - id: r1\n    full_name: a/b\n", "repos.yaml:2: repos[0]: missing required field 'user'"),
    ("repos.yaml", "installations: []\nrepos:\n  - id: r1\n    user: u\n    full_name: a/b\n    installation_id: abc\n",
     "repos.yaml:6: repos[0]: 'installation_id' must be an integer, got str"),
    ("models.yaml", "models:\n  - id: m\n    provider: p\n    name: n\n    colour: red\n",
     "models.yaml:5: models[0]: unknown field 'colour'"),
    ("runs.yaml", "runs: [\n", "runs.yaml:2:"),
    ("world.yaml", "name: x\nenv_vars: sometimes\n", "world.yaml:2: world.yaml: 'env_vars' must be one of shipped, working"),
    ("sandboxes.yaml", "sandboxes:\n  - id: s\n    user: u\n    repo: nope\n    status: running\n"
     "    base_branch: main\n    working_branch: main\n    created_at: 2026-01-01T00:00:00Z\n"
     "    last_active_at: soon\n", "sandboxes.yaml:9: sandboxes[0]: 'last_active_at' must be an ISO-8601 timestamp"),
])
def test_errors_name_file_and_line(tmp_path, name, text, expected):
    folder = world_with(tmp_path, name, text)
    with pytest.raises(FixtureError) as raised:
        load_seed(folder)
    assert expected in str(raised.value)
    assert str(raised.value).startswith(str(folder / name))


def test_cross_references_are_checked(tmp_path):
    text = (REPO_ROOT / "fixtures" / "sandboxes.yaml").read_text().replace(
        "repo: 1c7d5e3f-8b2a-4f4c-8d6e-9a3b7c2f4d81", "repo: 99999999-0000-4000-8000-000000000000")
    folder = world_with(tmp_path, "sandboxes.yaml", text)
    with pytest.raises(FixtureError, match=r"sandboxes.yaml:\d+: unknown repo '99999999"):
        load_seed(folder)


def test_a_folder_without_world_yaml_is_refused(tmp_path):
    with pytest.raises(FixtureError, match="world.yaml is missing"):
        load_seed(tmp_path)
