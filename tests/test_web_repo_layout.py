"""A repo's layout routes (/api/repos/{id}/monorepo|subproject|launch-presets|snapshot) and
POST /api/workspaces/{id}/repos, answered as the server's handlers answer, on the world
every other route reads."""

from __future__ import annotations

import shutil

import pytest
from conftest import API_REPO, DESIGN_REPO, NOTES_REPO, OTHER_USERS_REPO, REPO_ROOT, RW, WEB_REPO, Api, body_of

from mockplex import state

DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
SAM_SESSION = "mpx_session_sam_dev_0001"
NO_PROFILE = "mpx_session_no_profile_0001"
STRANGER_TEAM = "00000000-0000-4000-8000-000000000001"
MISSING = "00000000-0000-4000-8000-0000000000aa"
PRESET = {"name": "web on feature", "baseBranch": "main", "workingBranch": "feature/x", "createBranch": True,
          "rootDirectory": "./apps/web/"}
BILLING = ("Hosted sandbox compute requires a positive billing balance. "
           "Add funds or choose a plan in Settings > Billing.")
ROUTES = [("GET", f"/api/repos/{WEB_REPO}/monorepo"), ("POST", f"/api/repos/{WEB_REPO}/subproject"),
          ("GET", f"/api/repos/{WEB_REPO}/launch-presets"), ("POST", f"/api/repos/{WEB_REPO}/launch-presets"),
          ("DELETE", f"/api/repos/{WEB_REPO}/launch-presets/{MISSING}"), ("GET", f"/api/repos/{WEB_REPO}/snapshot"),
          ("POST", f"/api/repos/{WEB_REPO}/snapshot"), ("DELETE", f"/api/repos/{WEB_REPO}/snapshot"),
          ("POST", f"/api/workspaces/{MISSING}/repos")]


async def _world_with(make_api, tmp_path, name: str, settings: str) -> Api:
    shutil.copytree(REPO_ROOT / "fixtures", tmp_path / name)
    (tmp_path / name / "world.yaml").write_text(f"name: {name}\n{settings}\n")
    return await make_api(fixtures_dir=tmp_path / name)


async def _repos(api, **kwargs) -> dict:
    return {row["id"]: row for row in body_of(await api.internal("GET", "/api/repos?show_hidden=true", **kwargs))}


async def _default_workspace(api) -> str:
    return body_of(await api.internal("GET", "/api/workspaces"))[0]["id"]


# -- auth and the framework ------------------------------------------------------------------

@pytest.mark.parametrize("method, path", ROUTES)
@pytest.mark.parametrize("token", [None, RW])
async def test_nobody_or_a_pat_is_sent_to_login(api, method, path, token):
    response = await api.internal(method, path, session=None, token=token)
    assert response.status == 307 and response.raw_body == b""
    assert response.headers["Location"].startswith(f"{api.origin}/login?next=")


@pytest.mark.parametrize("method, path", ROUTES)
async def test_a_session_without_a_profile_is_unauthorized(api, method, path):
    response = await api.internal(method, path, session=NO_PROFILE, json_body={})
    assert (response.status, body_of(response)) == (401, {"error": "Unauthorized"})


@pytest.mark.parametrize("method, path", [("PUT", f"/api/repos/{WEB_REPO}/monorepo"),
                                          ("GET", f"/api/repos/{WEB_REPO}/subproject"),
                                          ("GET", f"/api/repos/{WEB_REPO}/launch-presets/{MISSING}"),
                                          ("PATCH", f"/api/repos/{WEB_REPO}/snapshot"),
                                          ("GET", f"/api/workspaces/{MISSING}/repos")])
async def test_methods_the_route_files_do_not_export_are_an_empty_405(api, method, path):
    response = await api.internal(method, path)
    assert (response.status, response.raw_body) == (405, b"")


# -- GET /api/repos/{id}/monorepo -------------------------------------------------------------

def _workspace(path, framework, has_space=False):
    return {"path": path, "name": path.split("/")[-1], "hasPackageJson": True, "framework": framework,
            "has_space": has_space}


@pytest.mark.parametrize("repo, expected", [
    (WEB_REPO, {"is_monorepo": True, "marker": "turbo.json", "workspaces": [
        _workspace("apps/docs", "astro"), _workspace("apps/web", "next", True), _workspace("packages/config", None)]}),
    (DESIGN_REPO, {"is_monorepo": True, "marker": "pnpm-workspace.yaml", "workspaces": [
        _workspace("packages/icons", None), _workspace("packages/ui", "vite", True),
        _workspace("docs", "docusaurus")]}),
    (NOTES_REPO, {"is_monorepo": True, "marker": "lerna.json", "workspaces": [
        _workspace("packages/client", "vue"), _workspace("packages/server", "fastify"),
        _workspace("services/sync", "hono")]}),
    (API_REPO, {"is_monorepo": False, "workspaces": []}),
])
async def test_monorepo_detection_reads_the_layout_github_holds(api, repo, expected):
    response = await api.internal("GET", f"/api/repos/{repo}/monorepo")
    assert (response.status, body_of(response)) == (200, expected)
    assert (await _repos(api))[repo]["is_monorepo"] is expected["is_monorepo"]


@pytest.mark.parametrize("repo", [OTHER_USERS_REPO, MISSING, "not-a-uuid"])
async def test_monorepo_of_a_repo_that_is_not_the_callers_is_not_found(api, repo):
    response = await api.internal("GET", f"/api/repos/{repo}/monorepo")
    assert (response.status, body_of(response)) == (404, {"error": "Repo not found"})


async def test_monorepo_needs_the_callers_github_token(api):
    response = await api.internal("GET", f"/api/repos/{OTHER_USERS_REPO}/monorepo", session=SAM_SESSION)
    assert (response.status, body_of(response)) == (400, {"error": "GitHub token required"})


async def test_monorepo_detection_reads_a_failing_github_as_no_monorepo(make_api, tmp_path):
    api = await _world_with(make_api, tmp_path, "github-down", "github_api: failing")
    response = await api.internal("GET", f"/api/repos/{WEB_REPO}/monorepo")
    assert (response.status, body_of(response)) == (200, {"is_monorepo": False, "workspaces": []})


# -- POST /api/repos/{id}/subproject ------------------------------------------------------------

async def test_a_subproject_is_a_repo_row_every_surface_lists(api):
    response = await api.internal("POST", f"/api/repos/{WEB_REPO}/subproject", json_body={"root_directory": "./apps/docs/"})
    space = body_of(response)
    parent = (await _repos(api))[WEB_REPO]
    assert response.status == 200 and list(space)[:4] == ["id", "user_id", "github_id", "full_name"]
    assert "workspace" not in space and "github_coverage_label" not in space
    assert {key: space[key] for key in ("root_directory", "parent_repo_id", "full_name", "github_id",
                                        "github_installation_id", "workspace_id", "default_branch", "owner")} == {
        "root_directory": "apps/docs", "parent_repo_id": WEB_REPO, "full_name": "harborlight/web",
        "github_id": parent["github_id"], "github_installation_id": 48213, "workspace_id": parent["workspace_id"],
        "default_branch": "main", "owner": "harborlight"}
    assert space["id"] in await _repos(api)
    assert space["id"] in [repo["id"] for repo in body_of(await api.get("/repos"))["data"]["repos"]]
    detected = body_of(await api.internal("GET", f"/api/repos/{WEB_REPO}/monorepo"))
    assert [entry["has_space"] for entry in detected["workspaces"]] == [True, True, False]


@pytest.mark.parametrize("root", ["apps/web", "/apps/web/"])
async def test_a_second_space_for_one_path_conflicts(api, root):
    response = await api.internal("POST", f"/api/repos/{WEB_REPO}/subproject", json_body={"root_directory": root})
    assert (response.status, body_of(response)) == (409, {"error": "Space already exists for this path"})


@pytest.mark.parametrize("body", [{}, {"root_directory": " ./ "}, {"root_directory": 7}, [], '"apps/web"'])
async def test_a_subproject_needs_a_root_directory_before_its_repo_is_looked_up(api, body):
    response = await api.internal("POST", f"/api/repos/{MISSING}/subproject", json_body=body)
    assert (response.status, body_of(response)) == (400, {"error": "root_directory is required"})


@pytest.mark.parametrize("body", ["null", "{not json"])
async def test_a_subproject_body_that_cannot_be_read_is_an_empty_500(api, body):
    response = await api.internal("POST", f"/api/repos/{WEB_REPO}/subproject", json_body=body)
    assert (response.status, response.raw_body) == (500, b"")


@pytest.mark.parametrize("repo", [OTHER_USERS_REPO, "not-a-uuid"])
async def test_a_subproject_of_another_users_repo_is_not_found(api, repo):
    response = await api.internal("POST", f"/api/repos/{repo}/subproject", json_body={"root_directory": "src"})
    assert (response.status, body_of(response)) == (404, {"error": "Repo not found"})


# -- /api/repos/{id}/launch-presets ---------------------------------------------------------------

async def _save(api, body, repo=API_REPO, **kwargs):
    return await api.internal("POST", f"/api/repos/{repo}/launch-presets", json_body=body, **kwargs)


async def test_presets_save_list_overwrite_and_delete(make_api):
    api = await make_api(clock="step:1")
    assert body_of(await api.internal("GET", f"/api/repos/{API_REPO}/launch-presets")) == {"presets": []}
    first = body_of(await _save(api, PRESET))["preset"]
    assert list(first) == ["id", "user_id", "repo_id", "name", "root_directory", "base_branch", "working_branch",
                           "create_branch", "created_at", "updated_at"]
    assert {key: first[key] for key in ("user_id", "repo_id", "name", "root_directory", "base_branch",
                                        "working_branch", "create_branch")} == {
        "user_id": DANA, "repo_id": API_REPO, "name": "web on feature", "root_directory": "apps/web",
        "base_branch": "main", "working_branch": "feature/x", "create_branch": True}
    second = body_of(await _save(api, {"name": "  plain  ", "baseBranch": "main", "workingBranch": "main"}))["preset"]
    assert (second["name"], second["root_directory"], second["create_branch"]) == ("plain", None, False)
    overwritten = body_of(await _save(api, {**PRESET, "workingBranch": "feature/y"}))["preset"]
    assert (overwritten["id"], overwritten["created_at"]) == (first["id"], first["created_at"])
    assert overwritten["updated_at"] > first["updated_at"] and overwritten["working_branch"] == "feature/y"
    listed = body_of(await api.internal("GET", f"/api/repos/{API_REPO}/launch-presets"))["presets"]
    assert listed == [second, overwritten]
    gone = await api.internal("DELETE", f"/api/repos/{API_REPO}/launch-presets/{first['id'].upper()}")
    assert (gone.status, body_of(gone)) == (200, {"ok": True})
    again = await api.internal("DELETE", f"/api/repos/{API_REPO}/launch-presets/{first['id']}")
    assert (again.status, body_of(again)) == (404, {"error": "Preset not found"})
    assert body_of(await api.internal("GET", f"/api/repos/{WEB_REPO}/launch-presets")) == {"presets": []}


@pytest.mark.parametrize("body, field, message", [
    (None, "name", "Preset payload required"), (5, "name", "Preset payload required"),
    ([], "name", "Preset name is required"), ({**PRESET, "name": "   "}, "name", "Preset name is required"),
    ({**PRESET, "baseBranch": "HEAD"}, "baseBranch", "Invalid base branch"),
    ({**PRESET, "baseBranch": None}, "baseBranch", "Invalid base branch"),
    ({**PRESET, "workingBranch": "bad..name"}, "workingBranch", "Invalid working branch"),
    ({**PRESET, "workingBranch": "main"}, "workingBranch",
     "New-branch presets must use a working branch different from base"),
    ({**PRESET, "rootDirectory": "apps/../../etc"}, "rootDirectory", "Invalid root directory"),
    ({**PRESET, "rootDirectory": "apps/%2e%2e/x"}, "rootDirectory", "Invalid root directory"),
    ({**PRESET, "rootDirectory": 3}, "rootDirectory", "Invalid root directory"),
])
async def test_preset_validation_names_the_field(api, body, field, message):
    response = await _save(api, "null" if body is None else body)
    assert (response.status, body_of(response)) == (400, {"error": message, "field": field})


async def test_a_preset_body_that_is_no_json_is_invalid_json(api):
    response = await _save(api, "{nope")
    assert (response.status, body_of(response)) == (400, {"error": "Invalid JSON"})


async def test_a_long_name_is_cut_and_the_twenty_sixth_new_name_refused(api):
    saved = body_of(await _save(api, {**PRESET, "name": "n" * 80}))["preset"]
    assert saved["name"] == "n" * 64
    for index in range(24):
        assert (await _save(api, {**PRESET, "name": f"preset {index}"})).status == 200
    refused = await _save(api, {**PRESET, "name": "one more"})
    assert (refused.status, body_of(refused)) == (400, {"error": "Preset cap reached (25 per repo)", "field": "name"})
    assert (await _save(api, {**PRESET, "name": "preset 3", "createBranch": False})).status == 200


@pytest.mark.parametrize("method, suffix, body", [("GET", "", None), ("POST", "", PRESET),
                                                  ("DELETE", f"/{MISSING}", None)])
async def test_presets_of_a_repo_not_the_callers(api, method, suffix, body):
    path = f"/api/repos/{OTHER_USERS_REPO}/launch-presets{suffix}"
    response = await api.internal(method, path, json_body=body)
    assert (response.status, body_of(response)) == (404, {"error": "Repo not found"})
    malformed = await api.internal(method, f"/api/repos/not-a-uuid/launch-presets{suffix}", json_body=body)
    assert (malformed.status, malformed.raw_body) == (500, b"")


async def test_a_malformed_preset_id_fails_the_delete(api):
    response = await api.internal("DELETE", f"/api/repos/{API_REPO}/launch-presets/not-a-uuid")
    assert (response.status, body_of(response)) == (500, {"error": "Failed to delete launch preset"})


# -- /api/repos/{id}/snapshot -------------------------------------------------------------------

def _advance(api, seconds: float) -> None:
    api.client.app[state.WORLD].clock.advance(seconds)


async def _snapshot(api, method, repo=WEB_REPO, **kwargs):
    return await api.internal(method, f"/api/repos/{repo}/snapshot", **kwargs)


async def test_a_snapshot_is_built_read_and_deleted(api):
    assert body_of(await _snapshot(api, "GET")) == {"snapshot": None}
    built = body_of(await _snapshot(api, "POST"))["snapshot"]
    assert list(built) == ["id", "status", "sizeBytes", "createdAt"] and built["id"].startswith("snap_")
    assert built["status"] == "created" and built["createdAt"].endswith(".000Z")
    read = body_of(await _snapshot(api, "GET"))["snapshot"]
    assert list(read) == ["id", "status", "sizeBytes", "createdAt", "expiresAt", "commitSha", "lockfileHash"]
    assert {key: read[key] for key in built} == built
    assert len(read["commitSha"]) == 40 and len(read["lockfileHash"]) == 64
    row = (await _repos(api))[WEB_REPO]
    assert (row["snapshot_id"], row["snapshot_commit_sha"], row["snapshot_billing_source"]) == (
        built["id"], read["commitSha"], "platform")
    deleted = await _snapshot(api, "DELETE")
    assert (deleted.status, body_of(deleted)) == (200, {"ok": True})
    assert body_of(await _snapshot(api, "GET")) == {"snapshot": None}
    assert (await _repos(api))[WEB_REPO]["snapshot_id"] is None
    assert body_of(await _snapshot(api, "DELETE")) == {"ok": True}


async def test_a_repo_without_a_lockfile_has_no_lockfile_hash(api):
    await _snapshot(api, "POST", repo="4fa08b6c-be5d-4c7f-b091-cd6eaf5c70b4")
    read = body_of(await _snapshot(api, "GET", repo="4fa08b6c-be5d-4c7f-b091-cd6eaf5c70b4"))["snapshot"]
    assert read["lockfileHash"] is None


def _limited(response, error, retry, name, value, window):
    return (response.status, response.headers.get("Retry-After"), body_of(response)) == (
        429, str(retry), {"error": error, "code": "snapshot_rate_limited", "retryAfterSeconds": retry,
                          "limit": {"name": name, "value": value, "windowSeconds": window}})


async def test_builds_cool_down_then_hit_the_hourly_limit(api):
    assert (await _snapshot(api, "POST")).status == 200
    _advance(api, 60)
    assert _limited(await _snapshot(api, "POST"), "Snapshot build is cooling down", 840,
                    "snapshot_build_cooldown", 1, 900)
    await _snapshot(api, "DELETE")
    for repo in (API_REPO, NOTES_REPO):
        assert (await _snapshot(api, "POST", repo=repo)).status == 200
    _advance(api, 600)
    assert _limited(await _snapshot(api, "POST"), "Snapshot build rate limit exceeded", 2940,
                    "snapshot_builds_per_hour", 3, 3600)


async def test_a_build_already_running_is_a_conflict(api):
    repo = api.client.app[state.WORLD].repos[WEB_REPO]
    repo.settings.update({"snapshot_build_token": "held", "snapshot_build_started_at": "2026-05-17T09:50:00+00:00"})
    response = await _snapshot(api, "POST")
    assert (response.status, body_of(response)) == (409, {"error": "Snapshot build already in progress"})
    _advance(api, 600)
    assert (await _snapshot(api, "POST")).status == 200


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("repo", [OTHER_USERS_REPO, "not-a-uuid"])
async def test_a_snapshot_of_a_repo_not_the_callers_is_not_found(api, method, repo):
    response = await _snapshot(api, method, repo=repo)
    assert (response.status, body_of(response)) == (404, {"error": "Repo not found"})


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_without_platform_sandbox_access_the_build_is_refused(api, method):
    response = await _snapshot(api, method, repo=OTHER_USERS_REPO, session=SAM_SESSION)
    assert (response.status, body_of(response)) == (403, {"error": BILLING})


async def test_a_repo_outside_any_installation_needs_the_oauth_token(api):
    created = await api.internal("POST", "/api/repos", session="mpx_session_robin_dev_0001",
                                 json_body={"github_id": 4242, "full_name": "robin/site"})
    response = await _snapshot(api, "POST", repo=body_of(created)["id"], session="mpx_session_robin_dev_0001")
    assert (response.status, body_of(response)) == (400, {"error": "Connect GitHub account first"})


async def test_a_provider_down_fails_the_build_and_forgets_the_snapshot(make_api, tmp_path):
    api = await _world_with(make_api, tmp_path, "provider-down", "sandbox_service: unavailable")
    response = await _snapshot(api, "POST")
    assert (response.status, body_of(response)) == (500, {"error": "Status code 503 is not ok"})
    api.client.app[state.WORLD].repos[WEB_REPO].settings["snapshot_id"] = "snap_fromtheprovider"
    assert body_of(await _snapshot(api, "GET")) == {"snapshot": None}
    assert (await _repos(api))[WEB_REPO]["snapshot_id"] is None


async def test_a_failing_github_fails_the_installation_token(make_api, tmp_path):
    api = await _world_with(make_api, tmp_path, "github-down", "github_api: failing")
    response = await _snapshot(api, "POST")
    assert (response.status, body_of(response)) == (
        500, {"error": 'GitHub App request failed (500): {"message":"Server Error"}'})


# -- POST /api/workspaces/{id}/repos ------------------------------------------------------------

async def _create(api, body, workspace=None, **kwargs):
    workspace = workspace or await _default_workspace(api)
    return await api.internal("POST", f"/api/workspaces/{workspace}/repos", json_body=body, **kwargs)


@pytest.mark.parametrize("owner, full_name, installation", [
    (None, "dana-okafor/release-notes", 51077), (" HarborLight ", "harborlight/release-notes", 48213)])
async def test_a_new_github_repo_lands_in_the_workspace(api, owner, full_name, installation):
    workspace = body_of(await api.internal("POST", "/api/workspaces", json_body={"name": "Launch"}))["id"]
    response = await _create(api, {"name": " release notes ", "owner_login": owner, "visibility": "public"},
                             workspace=workspace)
    row = body_of(response)
    assert response.status == 200 and "workspace" not in row
    assert (row["full_name"], row["github_installation_id"], row["workspace_id"], row["root_directory"],
            row["default_branch"], row["owner_type"]) == (full_name, installation, workspace, None, "main", "user")
    listed = body_of(await api.internal("GET", "/api/workspaces"))
    assert next(item for item in listed if item["id"] == workspace)["repo_count"] == 1
    assert (await _repos(api))[row["id"]]["workspace"]["name"] == "Launch"
    assert row["id"] in [repo["id"] for repo in body_of(await api.get("/repos"))["data"]["repos"]]
    again = await _create(api, {"name": "release notes", "owner_login": owner}, workspace=workspace)
    assert (again.status, body_of(again)) == (409, {"error": "Repository creation failed.: name already exists on "
                                                             "this account"})


@pytest.mark.parametrize("body, message", [
    ({}, "Repository name is required"), ({"name": "a/b"}, "Repository name is required"),
    ({"name": "x", "owner_login": "someone-else"}, "Selected GitHub account is unavailable")])
async def test_a_new_repo_needs_a_name_and_an_owner_the_caller_has(api, body, message):
    response = await _create(api, body)
    assert (response.status, body_of(response)) == (400, {"error": message})


async def test_a_new_repo_needs_github_connected(api):
    response = await _create(api, {"name": "x"}, workspace=await _default_workspace_of_sam(api), session=SAM_SESSION)
    assert (response.status, body_of(response)) == (400, {"error": "Connect GitHub account first"})


async def _default_workspace_of_sam(api) -> str:
    return body_of(await api.internal("GET", "/api/workspaces", session=SAM_SESSION))[0]["id"]


async def test_a_failing_github_refuses_the_new_repo(make_api, tmp_path):
    api = await _world_with(make_api, tmp_path, "github-down", "github_api: failing")
    response = await _create(api, {"name": "x"})
    assert (response.status, body_of(response)) == (502, {"error": "Server Error"})


@pytest.mark.parametrize("workspace, status, body", [
    (MISSING, 404, {"error": "Workspace not found"}), ("not-a-uuid", 500, None)])
async def test_a_workspace_not_the_callers(api, workspace, status, body):
    response = await _create(api, {"name": "x"}, workspace=workspace)
    assert response.status == status and (body_of(response) if body else response.raw_body) == (body or b"")
    other = await _create(api, {"name": "x"}, workspace=await _default_workspace(api), session=SAM_SESSION)
    assert (other.status, body_of(other)) == (404, {"error": "Workspace not found"})


@pytest.mark.parametrize("body", ["null", "{nope"])
async def test_a_new_repo_body_that_cannot_be_read_is_an_empty_500(api, body):
    response = await _create(api, body)
    assert (response.status, response.raw_body) == (500, b"")


async def test_a_team_the_caller_is_not_in_is_forbidden(api):
    response = await _create(api, {"name": "x"}, headers={"x-mogplex-team-id": STRANGER_TEAM})
    assert (response.status, body_of(response)) == (403, {"error": "Forbidden"})


async def test_a_team_workspace_gets_a_team_repo(api):
    team = {"x-mogplex-team-id": "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"}
    workspace = body_of(await api.internal("POST", "/api/workspaces", json_body={"name": "Team"}, headers=team))["id"]
    row = body_of(await _create(api, {"name": "team-tool"}, workspace=workspace, headers=team))
    assert (row["owner_type"], row["product_team_id"]) == ("team", team["x-mogplex-team-id"])
    assert row["id"] in await _repos(api, headers=team) and row["id"] not in await _repos(api)
