"""POST /api/automations/sandbox-test, exact against the server's handler: the dry run of a
sandbox launch for one repo, its validation answers and the 200 refusals after the repo."""

from __future__ import annotations

import pytest

from conftest import RW, body_of

PATH = "/api/automations/sandbox-test"
WEB = "0b6c4d2e-7a1f-4e3b-9c5d-8f2a6b1e3c70"  # harborlight/web, Dana's, covered by installation 48213
SAMS_PIPELINE = "6bc2ad8e-d07f-4e91-b2b3-ef80c17e92d6"
SAM_SESSION = "mpx_session_sam_dev_0001"
WEB_REPO = {"id": WEB, "full_name": "harborlight/web"}
TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"  # Dana is its only member
PLATFORM = {"billingSource": "platform", "credentialSource": "platform", "projectId": "prj_mpxPlatformSandboxes7Q2",
            "teamId": None}


def _env(count: int, mode: str = "sandbox-only", configured: bool | None = None) -> dict:
    """The env summary; `configured` says whether the repo set variables of its own."""
    configured = count > 0 if configured is None else configured
    return {"configured": configured, "count": count, "mode": mode, "source": "manual", "warning": None}


NO_ENV = _env(0)


def _refused(error: str, env: dict, repo: dict = WEB_REPO) -> tuple[int, dict]:
    """A refusal after the repo and its env are resolved: still a 200."""
    return 200, {"ok": False, "error": error, "repo": repo, "env": env}


async def _test(api, body, **kwargs):
    response = await api.internal("POST", PATH, json_body=body, **kwargs)
    return response.status, body_of(response)


async def _set(api, repo_id: str, **settings):
    response = await api.internal("PATCH", "/api/repos", json_body={"id": repo_id, **settings})
    assert response.status == 200


# -- auth and the framework ----------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, RW])
async def test_no_session_is_sent_to_login(api, token):
    response = await api.internal("POST", PATH, session=None, token=token, json_body={"repoId": WEB})
    assert response.status == 307 and "/login?next=" in response.headers["Location"]


async def test_get_is_an_empty_405(api):
    response = await api.internal("GET", PATH)
    assert (response.status, response.raw_body) == (405, b"")


@pytest.mark.parametrize("session, team", [
    (None, "00000000-0000-4000-8000-000000000001"), (SAM_SESSION, TEAM),
])
async def test_a_team_the_caller_is_not_in_is_forbidden(api, session, team):
    kwargs = {"session": session} if session else {}
    assert await _test(api, {"repoId": WEB}, headers={"x-mogplex-team-id": team}, **kwargs) == (
        403, {"error": "Forbidden"})


# -- validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [None, b"{not json", b"null", b"[]", b'"x"', {}, {"repoId": ""}, {"repoId": 7},
                                  {"repoId": None}, {"repoId": [WEB]}])
async def test_repo_id_is_required(api, body):
    assert await _test(api, body) == (400, {"error": "repoId is required"})


@pytest.mark.parametrize("repo_id", ["nope", f" {WEB}", SAMS_PIPELINE, "00000000-0000-4000-8000-000000000000"])
async def test_a_malformed_missing_or_someone_elses_repo_is_not_found(api, repo_id):
    assert await _test(api, {"repoId": repo_id}) == (404, {"error": "Repo not found"})


async def test_a_personal_repo_is_not_found_in_team_scope(api):
    assert await _test(api, {"repoId": WEB}, headers={"x-mogplex-team-id": TEAM}) == (
        404, {"error": "Repo not found"})


# -- the dry run ---------------------------------------------------------------------------------

@pytest.mark.parametrize("repo_id", [WEB, WEB.upper()])
async def test_a_covered_repo_would_launch_on_the_platform(api, repo_id):
    assert await _test(api, {"repoId": repo_id, "extra": True}) == (200, {
        "ok": True, "repo": WEB_REPO, "env": NO_ENV, "sandbox": PLATFORM})


async def test_a_malformed_team_header_is_personal_scope(api):
    status, body = await _test(api, {"repoId": WEB}, headers={"x-mogplex-team-id": "team-42"})
    assert (status, body["ok"]) == (200, True)


async def test_without_hosted_sandbox_access_the_platform_refuses(api):
    assert await _test(api, {"repoId": SAMS_PIPELINE}, session=SAM_SESSION) == (200, {
        "ok": False,
        "error": "Hosted sandbox compute requires a positive billing balance. Add funds or choose a plan in "
                 "Settings > Billing.",
        "repo": {"id": SAMS_PIPELINE, "full_name": "quarry-labs/pipeline"}})


async def test_preview_mode_adds_the_preview_variables_the_repo_lacks(api):
    await _set(api, WEB, env_sync_mode="sandbox-and-preview",
               sandbox_env_vars={"API_URL": "https://api.example.dev", "VERCEL_ENV": "production"})
    assert await _test(api, {"repoId": WEB}) == (200, {"ok": True, "repo": WEB_REPO, "env": _env(5, "sandbox-and-preview"),
                                                       "sandbox": PLATFORM})


async def test_preview_mode_alone_configures_nothing(api):
    await _set(api, WEB, env_sync_mode="sandbox-and-preview")
    status, body = await _test(api, {"repoId": WEB})
    assert (status, body["env"]) == (200, _env(4, "sandbox-and-preview", configured=False))


async def test_vercel_project_sync_is_not_offered_so_the_env_is_manual(api):
    await _set(api, WEB, env_sync_mode="vercel-project", sandbox_env_vars={"A": "1"})
    assert await _test(api, {"repoId": WEB}) == (200, {"ok": True, "repo": WEB_REPO, "env": _env(1),
                                                       "sandbox": PLATFORM})


async def test_a_reserved_dev_port_is_refused_before_the_env_size(api):
    await _set(api, WEB, dev_port=8080, dev_port_auto=True, sandbox_env_vars={"BIG": "x" * 5000})
    assert await _test(api, {"repoId": WEB}) == _refused(
        "Sandbox requested reserved port 8080. Change the repo sandbox dev port or dev command to a supported port "
        "such as 3000 or 5173.", _env(1))


async def test_an_oversized_env_names_its_largest_entries_in_object_order(api):
    # Stored as given; read back from jsonb (shorter keys first) into a JavaScript object
    # (index-like keys first), so the ties among the small entries list "7" then "a".
    await _set(api, WEB, sandbox_env_vars={"BIG": "x" * 4100, "b": "12", "7": "34", "a": "56"})
    assert await _test(api, {"repoId": WEB}) == _refused(
        "Sandbox env payload is too large for Vercel Sandbox (4137 bytes; max 4096). Remove or shorten sandbox env "
        "vars before launching. Largest entries: BIG (4110 bytes), 7 (10 bytes), a (10 bytes).", _env(4))


async def test_an_env_at_the_limit_passes(api):
    await _set(api, WEB, sandbox_env_vars={"K": "v" * 4088})  # {"K":"..."} is 4096 bytes
    status, body = await _test(api, {"repoId": WEB})
    assert (status, body["ok"], body["env"]["count"]) == (200, True, 1)


async def test_a_repo_without_the_github_app_cannot_autofix(api):
    created = await api.internal("POST", "/api/repos", headers={"x-mogplex-team-id": TEAM},
                                 json_body={"full_name": "harborlight/team-tool", "github_id": 9001})
    repo_id = body_of(created)["id"]
    assert await _test(api, {"repoId": repo_id}, headers={"x-mogplex-team-id": TEAM}) == _refused(
        "GitHub App installation is required so sandbox autofix can push back to the PR branch.", NO_ENV,
        {"id": repo_id, "full_name": "harborlight/team-tool"})
    assert await _test(api, {"repoId": repo_id}) == (404, {"error": "Repo not found"})
