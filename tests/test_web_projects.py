"""The projects family of the web app (GitHub state, /api/repos, /api/workspaces), answered
as the server's handlers answer: rows, checks in order, errors echoed from Postgres."""

from __future__ import annotations

import shutil

import pytest
from conftest import OTHER_USERS_REPO, READ_ONLY, REPO_ROOT, RW, WEB_REPO, Api, body_of

DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"
STRANGER_TEAM = "00000000-0000-4000-8000-000000000001"
NO_ROW = {"error": "JSON object requested, multiple (or no) rows returned"}
ROUTES = [("GET", "/api/github/installations"), ("GET", "/api/github/owners"), ("GET", "/api/github/repos"),
          ("GET", "/api/github/pulls"), ("GET", "/api/repos"), ("POST", "/api/repos"), ("PATCH", "/api/repos"),
          ("DELETE", "/api/repos"), ("GET", "/api/workspaces"), ("POST", "/api/workspaces"),
          ("PATCH", f"/api/workspaces/{WEB_REPO}"), ("DELETE", f"/api/workspaces/{WEB_REPO}")]
REPO_COLUMNS = [
    "id", "user_id", "github_id", "full_name", "webhook_secret", "created_at", "root_directory", "install_command",
    "dev_command", "dev_port", "sandbox_timeout_ms", "sandbox_env_vars", "owner", "name", "default_branch",
    "is_favorite", "vercel_team_id", "vercel_project_id", "sandbox_billing_target", "env_sync_mode",
    "github_installation_id", "is_hidden", "snapshot_build_token", "snapshot_build_started_at", "dev_port_auto",
    "workspace_id", "sandbox_billing_mode_override", "snapshot_billing_source", "snapshot_billing_team_id",
    "snapshot_billing_project_id", "vercel_link_status", "vercel_link_checked_at", "vercel_link_error_code",
    "vercel_link_message", "snapshot_id", "snapshot_lockfile_hash", "snapshot_created_at", "snapshot_commit_sha",
    "is_monorepo", "parent_repo_id", "runtime", "sandbox_idle_timeout_ms", "owner_type", "owner_user_id",
    "product_team_id", "created_by_user_id"]
COVERAGE = ["github_has_app_installation", "github_app_covered", "github_triggerable", "github_access_state",
            "github_coverage_label", "github_coverage_detail"]
WORKSPACE_COLUMNS = [
    "id", "user_id", "owner_type", "owner_user_id", "product_team_id", "created_by_user_id", "name", "description",
    "is_default", "sandbox_billing_mode", "sandbox_timeout_ms", "sandbox_idle_timeout_ms", "sandbox_vercel_team_id",
    "sandbox_vercel_project_id", "vercel_link_status", "vercel_link_checked_at", "vercel_link_error_code",
    "vercel_link_message", "created_at", "updated_at"]


@pytest.fixture
async def failing_github(make_api, tmp_path) -> Api:
    """The default world, with every GitHub call failing."""
    shutil.copytree(REPO_ROOT / "fixtures", tmp_path / "github-down")
    (tmp_path / "github-down" / "world.yaml").write_text("name: github-down\ngithub_api: failing\n")
    return await make_api(fixtures_dir=tmp_path / "github-down")


async def _default_workspace(api) -> dict:
    return body_of(await api.internal("GET", "/api/workspaces"))[0]


# -- the auth layer and the framework ----------------------------------------------------------------

@pytest.mark.parametrize("method, path", ROUTES)
@pytest.mark.parametrize("token", [None, RW, READ_ONLY])
async def test_session_only_routes_send_a_pat_or_nobody_to_login(api, method, path, token):
    response = await api.internal(method, path, session=None, token=token)
    assert response.status == 307 and response.raw_body == b""
    assert response.headers["Location"].startswith(f"{api.origin}/login?next=")


@pytest.mark.parametrize("method, path", ROUTES[2:3] + ROUTES[4:])
async def test_a_team_the_caller_is_not_in_is_forbidden(api, method, path):
    response = await api.internal(method, path, headers={"x-mogplex-team-id": STRANGER_TEAM})
    assert (response.status, body_of(response)) == (403, {"error": "Forbidden"})


@pytest.mark.parametrize("path", ["/api/github/installations", "/api/github/owners"])
async def test_routes_that_never_read_the_team_header_ignore_it(api, path):
    response = await api.internal("GET", path, headers={"x-mogplex-team-id": STRANGER_TEAM})
    assert response.status == 200 and body_of(response) == body_of(await api.internal("GET", path))


@pytest.mark.parametrize("method, path", [("PUT", "/api/repos"), ("GET", f"/api/workspaces/{WEB_REPO}"),
                                          ("PUT", "/api/workspaces"), ("POST", "/api/github/installations")])
async def test_methods_a_route_does_not_export_are_an_empty_405(api, method, path):
    response = await api.internal(method, path)
    assert (response.status, response.raw_body) == (405, b"")


@pytest.mark.parametrize("path, allow", [("/api/repos", "DELETE, GET, HEAD, OPTIONS, PATCH, POST"),
                                         (f"/api/workspaces/{WEB_REPO}", "DELETE, OPTIONS, PATCH"),
                                         ("/api/workspaces", "GET, HEAD, OPTIONS, POST")])
async def test_options_lists_the_exported_methods(api, path, allow):
    response = await api.internal("OPTIONS", path)
    assert (response.status, response.headers["Allow"], response.raw_body) == (204, allow, b"")


async def test_a_repo_by_id_has_no_route(api):
    response = await api.internal("GET", f"/api/repos/{WEB_REPO}/nothing-here")
    assert response.status == 404 and response.headers["Content-Type"].startswith("text/html")


# -- /api/repos ----------------------------------------------------------------------------------

async def test_repo_rows_carry_every_column_the_workspace_and_coverage(api):
    listed = body_of(await api.internal("GET", "/api/repos"))
    web = next(repo for repo in listed if repo["id"] == WEB_REPO)
    assert list(web) == [*REPO_COLUMNS, "workspace", *COVERAGE]
    default = await _default_workspace(api)
    assert web["workspace"] == {key: value for key, value in default.items()
                                if key not in ("sandbox_idle_timeout_ms", "repo_count")}
    assert (web["owner"], web["name"], web["dev_port"], web["env_sync_mode"], web["owner_type"],
            web["owner_user_id"], web["created_by_user_id"]) == (
        "harborlight", "web", 3000, "sandbox-only", "user", DANA, DANA)
    assert [web[key] for key in COVERAGE] == [
        True, True, True, "app_covered", "Trigger-ready",
        "This repo is covered by a GitHub App installation and can be used for triggers."]


@pytest.mark.parametrize("query, names", [
    ("", ["dana-okafor/dotfiles", "dana-okafor/notes-app", "harborlight/api", "harborlight/design-system",
          "harborlight/web"]),
    ("?show_hidden=true", ["dana-okafor/dotfiles", "dana-okafor/notes-app", "harborlight/api",
                           "harborlight/design-system", "harborlight/infra", "harborlight/web"]),
    ("?id=3e9f7a5b-ad4c-4b6e-af80-bc5d9e4b6fa3", ["harborlight/infra"]),
    (f"?id={OTHER_USERS_REPO}", []),
])
async def test_repo_listing_filters(api, query, names):
    listed = body_of(await api.internal("GET", f"/api/repos{query}"))
    assert [repo["full_name"] for repo in listed] == names


async def test_a_malformed_repo_id_reaches_postgres(api):
    response = await api.internal("GET", "/api/repos?id=nope")
    assert (response.status, body_of(response)) == (500, {"error": 'invalid input syntax for type uuid: "nope"'})


async def test_create_repo_stores_normalized_settings_without_coverage(api):
    response = await api.internal("POST", "/api/repos", json_body={
        "github_id": 991, "full_name": "harborlight/docs", "owner": "harborlight", "name": "docs",
        "dev_port": "8080.7", "runtime": "ruby", "root_directory": "./apps//docs/", "vercel_team_id": "team_x",
        "sandbox_env_vars": {" KEY ": "'quoted'", "": "x"}, "is_favorite": "yes", "sandbox_timeout_ms": 5})
    created = body_of(response)
    assert response.status == 200 and list(created) == [*REPO_COLUMNS, "workspace", *COVERAGE]
    assert (created["dev_port"], created["runtime"], created["root_directory"], created["vercel_team_id"],
            created["sandbox_env_vars"], created["is_favorite"], created["sandbox_timeout_ms"],
            created["github_installation_id"], created["default_branch"]) == (
        8080, None, "apps/docs", "team_x", {"KEY": "quoted"}, True, 600000, None, "main")
    assert (created["github_coverage_label"], created["github_has_app_installation"]) == ("Not covered", True)
    assert created["workspace"]["is_default"] is True


@pytest.mark.parametrize("body, status, answer", [
    ({"full_name": "a/b", "workspace_id": "7f000000-0000-4000-8000-000000000000"}, 404,
     {"error": "Workspace not found"}),
    ({"github_id": "abc", "full_name": "a/b"}, 500, {"error": 'invalid input syntax for type bigint: "abc"'}),
    ({"github_id": 5}, 500, {"error": 'null value in column "full_name" of relation "repos" violates not-null '
                                      'constraint'}),
])
async def test_create_repo_errors(api, body, status, answer):
    response = await api.internal("POST", "/api/repos", json_body=body)
    assert (response.status, body_of(response)) == (status, answer)


async def test_create_repo_twice_hits_the_unique_index(api):
    body = {"github_id": 77, "full_name": "harborlight/twice"}
    assert (await api.internal("POST", "/api/repos", json_body=body)).status == 200
    again = await api.internal("POST", "/api/repos", json_body=body)
    assert (again.status, body_of(again)) == (500, {
        "error": 'duplicate key value violates unique constraint "repos_personal_github_root_directory_key"'})


@pytest.mark.parametrize("method, body", [("POST", "null"), ("POST", "{"), ("PATCH", "null"),
                                          ("POST", '{"full_name":"a/b","workspace_id":"nope"}')])
async def test_bodies_that_throw_are_an_empty_500(api, method, body):
    response = await api.internal(method, "/api/repos", json_body=body)
    assert (response.status, response.raw_body) == (500, b"")


@pytest.mark.parametrize("body, status, answer", [
    ({"default_branch": "x"}, 400, {"error": "Missing id"}),
    ("[1]", 400, {"error": "Missing id"}),
    ({"id": WEB_REPO, "colour": "red"}, 400, {"error": "No repo updates provided"}),
    ({"id": OTHER_USERS_REPO, "is_favorite": True}, 500, NO_ROW),
    ({"id": "7f000000-0000-4000-8000-000000000000", "is_favorite": True}, 500, NO_ROW),
    ({"id": "web", "is_favorite": True}, 500, {"error": 'invalid input syntax for type uuid: "web"'}),
])
async def test_update_repo_errors(api, body, status, answer):
    response = await api.internal("PATCH", "/api/repos", json_body=body)
    assert (response.status, body_of(response)) == (status, answer)


async def test_update_repo_normalizes_only_what_it_names(api):
    response = await api.internal("PATCH", "/api/repos", json_body={
        "id": WEB_REPO, "default_branch": "  ", "vercel_project_id": "prj_1", "dev_port_auto": "FALSE",
        "is_hidden": 0, "env_sync_mode": "vercel-project", "install_command": " pnpm i "})
    row = body_of(response)
    assert (row["default_branch"], row["vercel_project_id"], row["dev_port_auto"], row["is_hidden"],
            row["env_sync_mode"], row["install_command"], row["root_directory"], row["dev_port"]) == (
        "main", None, False, False, "sandbox-only", "pnpm i", "apps/web", 3000)
    v1 = body_of(await api.get(f"/repos?id={WEB_REPO}"))["data"]["repos"][0]
    assert v1["default_branch"] == "main"


@pytest.mark.parametrize("query, status, answer", [
    ("", 400, {"error": "Missing id"}), ("?id=", 400, {"error": "Missing id"}),
    ("?id=x", 500, {"error": 'invalid input syntax for type uuid: "x"'}),
    (f"?id={OTHER_USERS_REPO}", 200, {"ok": True}),
])
async def test_delete_repo(api, query, status, answer):
    response = await api.internal("DELETE", f"/api/repos{query}")
    assert (response.status, body_of(response)) == (status, answer)


async def test_deleting_another_users_repo_leaves_it(api):
    await api.internal("DELETE", f"/api/repos?id={OTHER_USERS_REPO}")
    sams = body_of(await api.internal("GET", "/api/repos", session="mpx_session_sam_dev_0001"))
    assert [repo["id"] for repo in sams] == [OTHER_USERS_REPO]


# -- /api/workspaces ------------------------------------------------------------------------------

async def test_workspace_rows(make_api):
    api = await make_api(clock="frozen@2026-05-17T10:00:00Z")
    default = await _default_workspace(api)
    assert list(default) == [*WORKSPACE_COLUMNS, "repo_count"]
    assert {key: default[key] for key in ("name", "description", "is_default", "sandbox_billing_mode",
                                          "sandbox_timeout_ms", "sandbox_idle_timeout_ms", "vercel_link_status",
                                          "owner_type", "repo_count")} == {
        "name": "Imported Repos", "description": "Auto-created to organize synced GitHub repos.",
        "is_default": True, "sandbox_billing_mode": "platform", "sandbox_timeout_ms": 18000000,
        "sandbox_idle_timeout_ms": 1800000, "vercel_link_status": "unknown", "owner_type": "user", "repo_count": 6}
    created = body_of(await api.internal("POST", "/api/workspaces", json_body={
        "name": "  Client work ", "description": "  ", "sandbox_timeout_ms": "99999999999",
        "sandbox_billing_mode": "user_vercel_project", "sandbox_vercel_project_id": "prj_1"}))
    assert {key: created[key] for key in ("name", "description", "sandbox_timeout_ms", "sandbox_idle_timeout_ms",
                                          "sandbox_billing_mode", "sandbox_vercel_project_id", "created_at",
                                          "repo_count")} == {
        "name": "Client work", "description": None, "sandbox_timeout_ms": 18000000, "sandbox_idle_timeout_ms": None,
        "sandbox_billing_mode": "platform", "sandbox_vercel_project_id": None,
        "created_at": "2026-05-17T10:00:00+00:00", "repo_count": 0}


@pytest.mark.parametrize("body, status, answer", [
    ({"name": "   "}, 400, {"error": "Workspace name is required"}),
    ({"description": "no name"}, 400, {"error": "Workspace name is required"}),
    ({"name": "imported repos"}, 409, {"error": "A project with that name already exists"}),
])
async def test_create_workspace_errors(api, body, status, answer):
    response = await api.internal("POST", "/api/workspaces", json_body=body)
    assert (response.status, body_of(response)) == (status, answer)


async def test_update_workspace(api):
    created = body_of(await api.internal("POST", "/api/workspaces", json_body={"name": "Client work"}))
    path = f"/api/workspaces/{created['id']}"
    updated = body_of(await api.internal("PATCH", path, json_body={"name": "CLIENT WORK", "sandbox_timeout_ms": 60,
                                                                   "description": " Paid "}))
    assert (updated["name"], updated["sandbox_timeout_ms"], updated["description"], updated["repo_count"]) == (
        "CLIENT WORK", 600000, "Paid", 0)
    for body, status, answer in (({"name": ""}, 400, {"error": "Workspace name is required"}),
                                 ({"name": 7}, 400, {"error": "Workspace name is required"}),
                                 ({"name": "Imported REPOS"}, 409, {"error": "A project with that name already exists"})):
        response = await api.internal("PATCH", path, json_body=body)
        assert (response.status, body_of(response)) == (status, answer)
    assert body_of(await api.internal("PATCH", path, json_body={}))["name"] == "CLIENT WORK"


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_workspace_lookups(api, method):
    missing = await api.internal(method, "/api/workspaces/7f000000-0000-4000-8000-000000000000", json_body="{")
    assert (missing.status, body_of(missing)) == (404, {"error": "Workspace not found"})
    sams = body_of(await api.internal("GET", "/api/workspaces", session="mpx_session_sam_dev_0001"))[0]
    foreign = await api.internal(method, f"/api/workspaces/{sams['id']}", json_body={})
    assert (foreign.status, body_of(foreign)) == (404, {"error": "Workspace not found"})
    malformed = await api.internal(method, "/api/workspaces/nope", json_body={})
    assert (malformed.status, malformed.raw_body) == (500, b"")


@pytest.mark.parametrize("body", ["{", "null", "5", '"name"'])
async def test_a_workspace_patch_body_that_throws_is_an_empty_500(api, body):
    default = await _default_workspace(api)
    response = await api.internal("PATCH", f"/api/workspaces/{default['id']}", json_body=body)
    assert (response.status, response.raw_body) == (500, b"")


async def test_delete_workspace(api):
    default = await _default_workspace(api)
    protected = await api.internal("DELETE", f"/api/workspaces/{default['id']}")
    assert (protected.status, body_of(protected)) == (409, {"error": "The default imported project cannot be deleted"})
    created = body_of(await api.internal("POST", "/api/workspaces", json_body={"name": "Scratch"}))
    await api.internal("POST", "/api/repos", json_body={"full_name": "a/b", "workspace_id": created["id"]})
    busy = await api.internal("DELETE", f"/api/workspaces/{created['id']}")
    assert (busy.status, body_of(busy)) == (409, {"error": "Delete or move the repos in this project first"})


async def test_a_team_scope_sees_and_creates_team_owned_rows(api):
    team = {"x-mogplex-team-id": TEAM.upper()}
    assert body_of(await api.internal("GET", "/api/repos", headers=team)) == []
    assert body_of(await api.internal("GET", "/api/workspaces", headers=team)) == []
    repo = body_of(await api.internal("POST", "/api/repos", headers=team, json_body={"full_name": "harborlight/x"}))
    assert (repo["owner_type"], repo["owner_user_id"], repo["product_team_id"], repo["created_by_user_id"]) == (
        "team", None, TEAM, DANA)
    assert (repo["workspace"]["is_default"], repo["workspace"]["owner_type"]) == (True, "team")
    assert [w["repo_count"] for w in body_of(await api.internal("GET", "/api/workspaces", headers=team))] == [1]
    assert "harborlight/x" not in [r["full_name"] for r in body_of(await api.internal("GET", "/api/repos"))]


# -- GitHub ----------------------------------------------------------------------------------------

async def test_github_repos_rows_and_refusal(api):
    repos = body_of(await api.internal("GET", "/api/github/repos"))
    assert list(repos[0]) == REPO_COLUMNS and repos[0]["full_name"] == "dana-okafor/dotfiles"
    await api.internal("PATCH", "/api/repos", json_body={"id": WEB_REPO, "is_favorite": True})
    assert body_of(await api.internal("GET", "/api/github/repos"))[0]["id"] == WEB_REPO
    refused = await api.internal("GET", "/api/github/repos", session="mpx_session_robin_dev_0001")
    assert (refused.status, body_of(refused)) == (400, {"error": "NO_GITHUB_CONNECTION"})
    assert body_of(await api.internal("GET", "/api/github/repos", session="mpx_session_kai_dev_0001")) == []


@pytest.mark.parametrize("query, first_pull, diff", [
    (f"?repo_id={WEB_REPO}", 418, True), ("", 418, True), (f"?repo_id={WEB_REPO}&pr=415", 418, False),
    (f"?repo_id={WEB_REPO}&pr=abc", None, False), ("?repo_id=nope", None, False),
    (f"?repo_id={OTHER_USERS_REPO}", None, False), ("?repo_id=3e9f7a5b-ad4c-4b6e-af80-bc5d9e4b6fa3", None, False),
])
async def test_pulls_degrade_to_nothing(api, query, first_pull, diff):
    answer = body_of(await api.internal("GET", f"/api/github/pulls{query}"))
    assert list(answer) == ["pulls", "diff"]
    assert (answer["pulls"][0]["number"] if answer["pulls"] else None, answer["diff"] is not None) == (first_pull, diff)


async def test_github_failing(failing_github):
    api = failing_github
    sync = await api.internal("GET", "/api/github/repos")
    assert (sync.status, body_of(sync)) == (500, {"error": "GITHUB_SYNC_ERROR"})
    token = await api.internal("GET", f"/api/github/pulls?repo_id={WEB_REPO}")
    assert (token.status, token.raw_body) == (500, b"")
    owners = body_of(await api.internal("GET", "/api/github/owners"))
    assert [owner["login"] for owner in owners] == ["dana-okafor", "harborlight"]
    assert body_of(await api.internal("GET", "/api/github/installations"))[0]["installation_id"] == 51077
