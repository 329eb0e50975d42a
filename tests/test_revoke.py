"""Revoking tokens and sessions through the CLI, honoured by a running server at once;
the state folder holds hashes only."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from conftest import DANA_SESSION, READ_ONLY, RW, SESSION_COOKIE
from test_cli import Served, run_cli

DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
SAM = "8b1d4e7a-2c3f-4a9b-8e6d-1f0c3b5a7d92"


@pytest.fixture
def served(tmp_path):
    server = Served("--state-dir", "state", "--quiet", cwd=tmp_path)
    yield server
    server.stop()


def cli(tmp_path, *args: str):
    return run_cli(*args, "--state-dir", "state", cwd=tmp_path)


def web_status(served: Served, path: str, cookie: str) -> int:
    """The status of a web-app route asked with this Cookie header, redirects not followed."""
    where = urlsplit(served.base_url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    connection.request("GET", path, headers={"Cookie": cookie})
    status = connection.getresponse().status
    connection.close()
    return status


def test_a_minted_token_revoked_by_name_is_refused_on_the_next_request(served, tmp_path):
    token = cli(tmp_path, "tokens", "create", "--name", "ci bot").stdout.strip()
    assert served.get("/repos", token=token)[0] == 200
    revoked = cli(tmp_path, "tokens", "revoke", "ci bot")
    key_id = [row["id"] for row in json.loads(cli(tmp_path, "tokens", "list", "--json").stdout)
              if row["name"] == "ci bot"][0]
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout == f"Revoked 'ci bot' (id {key_id}); servers using state now answer it 401.\n"
    status, body = served.get("/repos", token=token)
    assert status == 401 and json.loads(body)["ok"] is False


@pytest.mark.parametrize("which", ["mockplex dev (read-only)", "1d8b6e2f-42c3-4a7d-b5e3-3f6c0a2b4d12", READ_ONLY])
def test_a_dev_token_is_revoked_by_name_id_or_the_token_itself(served, tmp_path, which):
    assert served.get("/repos", token=READ_ONLY)[0] == 200
    assert cli(tmp_path, "tokens", "revoke", which).returncode == 0
    assert served.get("/repos", token=READ_ONLY)[0] == 401
    assert served.get("/repos", token=RW)[0] == 200
    listed = cli(tmp_path, "tokens", "list").stdout.splitlines()
    assert listed[listed.index("mockplex dev (read-only)") + 2].startswith("  scopes: read | revoked | id 1d8b6e2f-")
    again = cli(tmp_path, "tokens", "revoke", which)
    assert again.returncode == 0 and again.stdout.startswith(
        "'mockplex dev (read-only)' (id 1d8b6e2f-42c3-4a7d-b5e3-3f6c0a2b4d12) was already revoked at ")


def test_a_revocation_stays_in_its_state_dir(tmp_path):
    assert cli(tmp_path, "tokens", "revoke", RW).returncode == 0
    other = Served("--state-dir", "elsewhere", "--quiet", cwd=tmp_path)
    assert other.get("/repos", token=RW)[0] == 200
    other.stop()


def test_an_ambiguous_or_unknown_token_is_refused_with_what_to_give(tmp_path):
    for _ in range(2):
        cli(tmp_path, "tokens", "create", "--name", "twin")
    ids = [row["id"] for row in json.loads(cli(tmp_path, "tokens", "list", "--json").stdout) if row["name"] == "twin"]
    ambiguous = cli(tmp_path, "tokens", "revoke", "twin")
    assert ambiguous.returncode == 1
    assert ambiguous.stderr == f"Error: 'twin' matches 2 tokens: 'twin' id {ids[0]}; 'twin' id {ids[1]}. Give the id.\n"
    unknown = cli(tmp_path, "tokens", "revoke", "nobody")
    assert unknown.returncode == 1
    assert unknown.stderr == "Error: no token matches 'nobody'; `mockplex tokens list` shows them all.\n"


def test_a_minted_session_is_stored_as_a_hash_and_revoked_at_once(served, tmp_path):
    created = cli(tmp_path, "sessions", "create", "--user", SAM)
    cookie = created.stdout.strip()
    value = cookie.partition("=")[2]
    assert cookie.startswith(f"{SESSION_COOKIE}=mpx_session_")
    assert "only time the cookie is shown" in created.stderr
    stored = (tmp_path / "state" / "sessions.yaml").read_text()
    assert value not in stored and value[:16] in stored and "token:" not in stored
    assert web_status(served, "/api/settings", cookie) == 200
    listed = cli(tmp_path, "sessions", "list").stdout
    assert f"Cookie: {SESSION_COOKIE}={value[:16]}… (minted; the cookie was shown once)" in listed
    revoked = cli(tmp_path, "sessions", "revoke", cookie)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.startswith("Revoked session ") and f" of {SAM}; servers using state now" in revoked.stdout
    assert web_status(served, "/api/settings", cookie) == 307
    assert web_status(served, "/api/settings", f"{SESSION_COOKIE}={DANA_SESSION}") == 200


def test_a_world_session_is_revoked_by_its_user_when_that_names_one(served, tmp_path):
    robin = "5d3fab8c-2e4a-4f6b-9c7d-8e9fa0b1c234"
    assert web_status(served, "/api/settings", f"{SESSION_COOKIE}=mpx_session_robin_dev_0001") == 200
    assert cli(tmp_path, "sessions", "revoke", robin).returncode == 0
    assert web_status(served, "/api/settings", f"{SESSION_COOKIE}=mpx_session_robin_dev_0001") == 307
    assert "| revoked " in cli(tmp_path, "sessions", "list").stdout


def test_a_user_with_several_live_sessions_must_name_one(tmp_path):
    cli(tmp_path, "sessions", "create")
    ambiguous = cli(tmp_path, "sessions", "revoke", DANA)
    assert ambiguous.returncode == 1
    assert ambiguous.stderr.startswith(f"Error: '{DANA}' matches 2 sessions: id ")
    assert ambiguous.stderr.endswith(". Give the id.\n")
    first_id = ambiguous.stderr.split("id ")[1].split(";")[0]
    assert cli(tmp_path, "sessions", "revoke", first_id).returncode == 0


def test_a_sessions_file_from_before_still_loads_and_is_rewritten_as_hashes(served, tmp_path):
    old = "mpx_session_from_an_older_mockplex"
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state" / "sessions.yaml").write_text(f"sessions:\n- token: {old}\n  user: {SAM}\n")
    assert web_status(served, "/api/settings", f"{SESSION_COOKIE}={old}") == 200
    assert cli(tmp_path, "sessions", "create").returncode == 0
    assert old not in (tmp_path / "state" / "sessions.yaml").read_text()
    assert web_status(served, "/api/settings", f"{SESSION_COOKIE}={old}") == 200
