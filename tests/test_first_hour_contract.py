"""What a newcomer meets with `mockplex lint` and `mockplex verify`, through the real CLI:
every problem in one lint run, a verify table that stays readable, drift in words, and
recorded web-app calls checked with a session cookie. `verify` only ever talks to a
mockplex served on loopback."""

from __future__ import annotations

import shutil
import urllib.request

import pytest
import yaml
from conftest import DANA_SESSION, EXAMPLES, REPO_ROOT, RW, SESSION_COOKIE
from test_cli import Served, run_cli
from test_contract import origin

DANA_COOKIE = f"{SESSION_COOKIE}={DANA_SESSION}"


@pytest.fixture
def served(tmp_path, request):
    """A seeded mockplex on loopback: the only target verify is sent to here."""
    server = Served("--seed", "99", "--quiet", cwd=tmp_path)
    request.addfinalizer(server.stop)
    return server


def cassette(uri: str, headers: dict[str, str], status: int, content_type: str, body: str) -> dict:
    request = {"body": "", "method": "GET", "uri": uri, "headers": {name: [value] for name, value in headers.items()}}
    response = {"status": {"code": status, "message": "OK"}, "headers": {"Content-Type": [content_type]},
                "body": {"string": body}}
    return {"interactions": [{"request": request, "response": response}], "version": 1}


def write_cassette(path, *args) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(cassette(*args), sort_keys=False))


# -- lint: every problem in one run ------------------------------------------------------


def test_lint_reports_every_fixture_and_cassette_problem_in_one_run(tmp_path):
    world = tmp_path / "world"
    shutil.copytree(REPO_ROOT / "fixtures", world)
    users = world / "users.yaml"
    users.write_text(users.read_text().replace("    name: Dana Okafor", "    nmae: Dana Okafor", 1))
    (world / "teams.yaml").write_text("teams: [\n")
    folder = tmp_path / "cassettes"
    shutil.copytree(EXAMPLES, folder)
    (folder / "broken.yaml").write_text("interactions: [\n")
    catalog = folder / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace('"installation_id":51077', '"installation_id":"x"', 1))
    ran = run_cli("lint", "--fixtures", str(world), "--cassette-dir", str(folder), cwd=tmp_path)
    assert ran.returncode == 1
    assert ran.stdout.splitlines() == [
        f"{world / 'teams.yaml'}: line 2: did not find expected node content",
        f"{users}: line 2: users[0]: missing required field 'name'",
        f"{folder / 'broken.yaml'}: cannot load cassette: line 2, column 1: did not find expected node content",
        f"{catalog}: interaction 1 (GET /api/v1/mogplex/repos → 200): data.repos.0.installation_id: "
        "'x' is not of type 'integer'",
    ]
    assert ran.stderr.strip() == "linted 1 fixture folders, 5 cassettes: 4 problem(s)"


def test_lint_json_marks_files_that_do_not_load(tmp_path):
    (tmp_path / "cassettes").mkdir()
    (tmp_path / "cassettes" / "broken.yaml").write_text("interactions: [\n")
    ran = run_cli("lint", "--no-fixtures", "--json", cwd=tmp_path)
    assert ran.returncode == 1
    assert yaml.safe_load(ran.stdout)["findings"] == [
        {"file": "cassettes/broken.yaml", "where": "", "field": "",
         "message": "cannot load cassette: line 2, column 1: did not find expected node content", "problem": "load"}]


# -- verify: a readable table, drift in words -----------------------------------------------


def test_the_verify_table_stays_aligned_and_within_100_columns(served, tmp_path):
    long_query = "&".join(f"unused{number}=value{number}" for number in range(12))
    uri = f"http://127.0.0.1:1/api/v1/mogplex/models?{long_query}"
    _, live = served.get("/models")
    write_cassette(tmp_path / "cassettes" / "a-cassette-with-a-rather-long-name.yaml", uri,
                   {"Authorization": "Bearer <redacted:credential:1>"}, 200, "application/json", live.decode())
    shutil.copy(EXAMPLES / "catalog.yaml", tmp_path / "cassettes" / "catalog.yaml")
    ran = run_cli("verify", "--cassettes", "cassettes", "--against", origin(served), "--token", RW, cwd=tmp_path)
    rows = ran.stdout.splitlines()
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert all(len(row) <= 100 for row in rows), rows
    starts = {row.index(" 200 ") + 1 for row in rows[1:]}
    assert len(starts) == 1 and rows[0].index("recorded") == starts.pop(), rows
    assert rows[1] == "a-cassette-w…g-name.yaml  1  GET /api/v1/mogplex/mod…alue10&unused11=value11  200       200   same"


@pytest.mark.parametrize("content_type, body, drift", [
    ("application/json", "", "body: empty → JSON"),
    ("text/html", "<html>signed out</html>", "body: HTML → JSON"),
    ("application/json", "{not json", "body: JSON that does not parse → JSON"),
])
def test_a_changed_kind_of_body_is_said_in_words(served, tmp_path, content_type, body, drift):
    write_cassette(tmp_path / "c" / "models.yaml", "http://127.0.0.1:1/api/v1/mogplex/models",
                   {"Authorization": "Bearer <redacted:credential:1>"}, 200, content_type, body)
    ran = run_cli("verify", "--cassettes", "c", "--against", origin(served), "--token", RW, cwd=tmp_path)
    assert ran.returncode == 1
    assert ran.stdout.splitlines()[1:] == [
        "models.yaml  1  GET /api/v1/mogplex/models  200       200   drift (1)", f"    - {drift}"]


# -- verify: a session cookie for recorded web-app calls -------------------------------------


def settings_cassette(folder, served: Served, status: int = 200) -> None:
    request = urllib.request.Request(origin(served) + "/api/settings", headers={"Cookie": DANA_COOKIE})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode()
    write_cassette(folder / "web.yaml", "https://mogplex.com/api/settings",
                   {"Cookie": "<redacted:cookie:2>"}, status, "application/json", body)


def test_verify_sends_the_cookie_given_for_a_redacted_one(served, tmp_path):
    settings_cassette(tmp_path / "c", served)
    ran = run_cli("verify", "--cassettes", "c", "--against", origin(served), "--cookie", f"web:2={DANA_COOKIE}",
                  cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.splitlines()[1].split() == ["web.yaml", "1", "GET", "/api/settings", "200", "200", "same"]


def test_a_redacted_cookie_without_a_stand_in_is_skipped_with_the_flag_to_pass(served, tmp_path):
    settings_cassette(tmp_path / "c", served)
    ran = run_cli("verify", "--cassettes", "c", "--against", origin(served), "--token", RW, cwd=tmp_path)
    assert ran.returncode == 0
    assert ran.stdout.splitlines()[1].endswith("skipped: needs a session cookie (pass --cookie 2=COOKIE)")


def test_a_cookie_the_recording_shows_refused_is_sent_as_a_refused_one(served, tmp_path):
    write_cassette(tmp_path / "c" / "web.yaml", "https://mogplex.com/api/settings", {"Cookie": "<redacted:cookie:1>"},
                   307, "text/plain", "")
    ran = run_cli("verify", "--cassettes", "c", "--against", origin(served), "--json", cwd=tmp_path)
    result = yaml.safe_load(ran.stdout)["results"][0]
    assert (result["outcome"], result["live_status"]) == ("same", 307), ran.stdout


def test_a_malformed_cookie_flag_says_the_shape_expected(tmp_path):
    ran = run_cli("verify", "--cassettes", str(EXAMPLES), "--against", "http://127.0.0.1:9", "--cookie", "web=x",
                  cwd=tmp_path)
    assert ran.returncode == 2
    assert ("Invalid value for --cookie: 'web=x': expected [CASSETTE:]N=COOKIE, "
            "e.g. 2=better-auth.session_token=mpx_session_...") in ran.stderr


def test_verify_takes_a_cassette_name_as_every_command_does(served, tmp_path):
    write_cassette(tmp_path / "cassettes" / "models.yaml", f"{origin(served)}/api/v1/mogplex/models",
                   {"Authorization": "Bearer <redacted:credential:1>"}, 200, "application/json", '{"ok":true}')
    by_name = run_cli("verify", "--cassettes", "models", "--against", origin(served), "--token", RW, "--shape-only",
                      cwd=tmp_path)
    by_path = run_cli("verify", "--cassettes", "cassettes/models.yaml", "--against", origin(served), "--token", RW,
                      "--shape-only", cwd=tmp_path)
    assert by_name.stdout == by_path.stdout and "models.yaml" in by_name.stdout
    missing = run_cli("verify", "--cassettes", "nope", "--against", origin(served), cwd=tmp_path)
    assert missing.returncode == 2 and f"{tmp_path / 'cassettes' / 'nope.yaml'}" in missing.stderr
