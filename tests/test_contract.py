"""Contract tooling: `mockplex openapi`, `mockplex lint` and `mockplex verify`, driven as a
user drives them (the CLI in a subprocess, against real servers on loopback)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import EXAMPLES, READ_ONLY, REPO_ROOT, RW
from openapi_spec_validator import validate
from test_cli import Served, run_cli

from mockplex.responses import ERROR_CODES
from mockplex.routes import ROUTES


def v1_operations():
    return [spec for spec in ROUTES if spec.family in ("v1", "discovery")]


def test_the_openapi_document_validates_and_covers_every_v1_route(tmp_path):
    target = tmp_path / "openapi.json"
    result = run_cli("openapi", "--output", str(target), "--server-url", "http://127.0.0.1:9")
    assert result.returncode == 0, result.stderr
    assert "OpenAPI 3.1, 22 paths, 29 operations, valid" in result.stderr
    document = json.loads(target.read_text())
    validate(document)
    assert document["openapi"] == "3.1.0" and document["servers"] == [{"url": "http://127.0.0.1:9"}]
    published = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert published == {(spec.method, spec.template) for spec in v1_operations()}
    for spec in v1_operations():
        operation = document["paths"][spec.template][spec.method.lower()]
        assert operation["operationId"] == spec.name
        if spec.auth == "bearer":
            scopes = [spec.scope] if spec.scope else []
            assert operation["security"] == [{"bearerAuth": scopes}, {"mogplexOAuth": scopes}]
            assert {"401", "429"} <= set(operation["responses"])
            assert ("403" in operation["responses"]) == bool(spec.scope)
        else:
            assert operation["security"] == []
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert headers == (["Idempotency-Key"] if spec.idempotency else [])
    envelope = document["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["properties"]["error"]["properties"]["code"]["enum"] == list(ERROR_CODES)


def test_the_yaml_export_is_the_same_document():
    as_json = json.loads(run_cli("openapi").stdout)
    as_yaml = yaml.safe_load(run_cli("openapi", "--yaml").stdout)
    assert as_yaml == as_json


def test_the_built_in_world_and_shipped_cassettes_lint_clean():
    result = run_cli("lint", "--cassette-dir", str(EXAMPLES))
    assert result.returncode == 0, result.stdout
    assert result.stderr.strip() == "linted 1 fixture folders, 4 cassettes: 0 problem(s)"


def test_lint_names_the_fixture_file_record_and_field(tmp_path):
    world = tmp_path / "world"
    shutil.copytree(REPO_ROOT / "fixtures", world)
    models = world / "models.yaml"
    models.write_text(models.read_text().replace("capabilities: [", "capabilities: [42, ", 1))
    result = run_cli("lint", "--fixtures", str(world), "--cassette-dir", str(tmp_path / "none"), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    finding = report["findings"][0]
    assert finding["file"] == str(models)
    assert finding["where"].startswith("record ") and "(line " in finding["where"]
    assert finding["field"].startswith("data.models.") and finding["field"].endswith(".capabilities.0")
    assert finding["message"] == "42 is not of type 'string'"


def test_lint_names_the_cassette_interaction_and_field(tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(EXAMPLES, folder)
    catalog = folder / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace('"installation_id":', '"installation_id":"x",'
                                                   '"extra":1,"was_installation_id":', 1))
    result = run_cli("lint", "--no-fixtures", "--cassette-dir", str(folder))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    prefix = f"{catalog}: interaction 1 (GET /api/v1/mogplex/repos → 200): data.repos.0"
    assert f"{prefix}: Additional properties are not allowed ('extra', 'was_installation_id' were unexpected)" in lines
    assert f"{prefix}.installation_id: 'x' is not of type 'integer'" in lines


@pytest.fixture
def served(tmp_path):
    server = Served("--seed", "99", "--clock", "step:2", cwd=tmp_path)
    yield server
    server.stop()


def origin(served) -> str:
    return served.base_url.removesuffix("/api/v1/mogplex")


def test_verify_finds_no_drift_when_only_ids_and_times_differ(served):
    """The examples were recorded from seed 7; this server mints other ids and times."""
    result = run_cli("verify", "--cassettes", str(EXAMPLES), "--against", origin(served), "--token", RW,
                     "--credential", f"errors:1={READ_ONLY}", "--allow-writes", "--json")
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["summary"] == {"interactions": 18, "same": 18}
    started = report["results"][11]
    assert started["path"] == "/api/v1/mogplex/runs" and started["outcome"] == "same"
    later = report["results"][12]["path"]
    assert later.startswith("/api/v1/mogplex/runs/") and "6513270e" not in later  # the live run's id


def test_verify_follows_ids_a_write_minted_but_not_ids_a_read_listed(served, tmp_path):
    """A listing that comes back in another order must not rename the ids later requests use."""
    document = yaml.safe_load((EXAMPLES / "catalog.yaml").read_text())
    listing = document["interactions"][0]
    recorded = json.loads(listing["response"]["body"]["string"])
    repos = recorded["data"]["repos"]
    recorded["data"]["repos"] = repos[1:] + repos[:1]
    listing["response"]["body"]["string"] = json.dumps(recorded)
    first = recorded["data"]["repos"][0]["id"]
    status, single = served.get(f"/repos?id={first}")
    lookup = yaml.safe_load(yaml.safe_dump(listing))
    lookup["request"]["uri"] = listing["request"]["uri"].split("?")[0] + f"?id={first}"
    lookup["response"]["body"]["string"] = single.decode()
    document["interactions"] = [listing, lookup]
    (tmp_path / "reordered.yaml").write_text(yaml.safe_dump(document))
    result = run_cli("verify", "--cassettes", str(tmp_path), "--against", origin(served), "--token", RW,
                     "--json")
    report = json.loads(result.stdout)
    assert status == 200 and report["results"][0]["outcome"] == "drift"  # the order changed
    assert report["results"][1]["path"].endswith(f"?id={first}")
    assert report["results"][1]["outcome"] == "same"


def test_verify_skips_writes_and_what_they_created_unless_allowed(served):
    result = run_cli("verify", "--cassettes", str(EXAMPLES / "run-lifecycle.yaml"),
                     "--against", origin(served), "--token", RW)
    assert result.returncode == 0
    rows = result.stdout.splitlines()
    assert rows[0].split() == ["cassette", "#", "request", "recorded", "live", "result"]
    assert rows[1].endswith("skipped: a write (pass --allow-writes to send it)")
    assert rows[2].endswith("skipped: reads what skipped interaction 1 created")
    assert result.stderr.strip().endswith("7 interaction(s): 0 same, 0 drifted, 7 skipped, 0 unreachable")


def test_verify_reports_status_code_field_and_type_drift(served, tmp_path):
    cassette = tmp_path / "drifted.yaml"
    text = (EXAMPLES / "catalog.yaml").read_text()
    text = re.sub(r'"installation_id":(\d+)', r'"installed":true,"installation_id":"\1"', text, count=1)
    errors = (EXAMPLES / "errors.yaml").read_text()
    cassette.write_text(text)
    (tmp_path / "errors.yaml").write_text(errors.replace('"code":"NOT_FOUND"', '"code":"BAD_REQUEST"'))
    result = run_cli("verify", "--cassettes", str(tmp_path), "--against", origin(served), "--token", RW,
                     "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    drifted = {(row["cassette"], row["interaction"]): row["drift"] for row in report["results"] if row["drift"]}
    assert drifted[("drifted.yaml", 1)][:2] == [
        {"kind": "removed", "field": "data.repos.0.installed", "recorded": True, "live": None},
        {"kind": "type", "field": "data.repos.0.installation_id", "recorded": "string", "live": "number"},
    ]
    assert drifted[("errors.yaml", 4)] == [
        {"kind": "error-code", "field": "error.code", "recorded": "BAD_REQUEST", "live": "NOT_FOUND"}]
    assert ("errors.yaml", 3) not in drifted  # the refused credential is re-sent as a refused one


def test_verify_exit_codes_for_bad_input_and_an_unreachable_target(tmp_path):
    missing = run_cli("verify", "--cassettes", str(tmp_path), "--against", "http://127.0.0.1:9")
    assert missing.returncode == 2 and "no cassettes (*.yaml) found" in missing.stderr
    bad_url = run_cli("verify", "--cassettes", str(EXAMPLES), "--against", "mogplex.com")
    assert bad_url.returncode == 2 and "must be an http:// or https:// URL" in bad_url.stderr
    (tmp_path / "broken.yaml").write_text("interactions: [\n")
    broken = run_cli("verify", "--cassettes", str(tmp_path), "--against", "http://127.0.0.1:9")
    assert broken.returncode == 2 and f"{tmp_path / 'broken.yaml'}: cannot load" in broken.stderr
    down = run_cli("verify", "--cassettes", str(EXAMPLES / "catalog.yaml"),
                   "--against", "http://127.0.0.1:9", "--token", RW, "--timeout", "5")
    assert down.returncode == 3
    assert "4 interaction(s): 0 same, 0 drifted, 0 skipped, 4 unreachable" in down.stderr
    assert "Traceback" not in down.stderr


def test_verify_shows_a_progress_bar_only_on_a_terminal(served):
    """`script` gives the command a pseudo-terminal, as a person at a shell has."""
    command = (f"{sys.executable} -m mockplex verify --cassettes {EXAMPLES / 'catalog.yaml'} "
               f"--against {origin(served)} --token {RW}")
    on_terminal = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, text=True,
                                 timeout=60, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert on_terminal.returncode == 0
    assert "verifying  [####################################]  100%" in on_terminal.stdout
    piped = run_cli("verify", "--cassettes", str(EXAMPLES / "catalog.yaml"),
                    "--against", origin(served), "--token", RW)
    assert "verifying" not in piped.stdout + piped.stderr
