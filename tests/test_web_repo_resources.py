"""A repo's own resources in the web app (`/api/repos/{id}/connections|rules|skills|models|
env-vars|secrets`): the owner's global rows seen through the repo's overrides, the linked
Vercel project's env vars, and the repo's GitHub Actions secrets."""

from __future__ import annotations

import shutil

import pytest
from conftest import API_REPO, OTHER_USERS_REPO, REPO_ROOT, RW, WEB_REPO, Api, body_of

STRANGER_TEAM = "00000000-0000-4000-8000-000000000001"
UNKNOWN = "00000000-0000-4000-8000-00000000abcd"
BASE = f"/api/repos/{WEB_REPO}"
ROUTES = [(method, resource) for resource, methods in (
    ("connections", "GET POST DELETE"), ("rules", "GET POST DELETE"), ("skills", "GET POST DELETE"),
    ("models", "GET POST"), ("env-vars", "GET POST PATCH DELETE"), ("secrets", "GET PUT DELETE"))
    for method in methods.split()]
NOT_FOUND = {"connections": "Repo not found", "rules": "Repo not found", "skills": "Repo not found",
             "models": "Repo not found", "env-vars": "NOT_FOUND", "secrets": "NOT_FOUND"}
NO_ARBITER = {"error": "there is no unique or exclusion constraint matching the ON CONFLICT specification"}
MANAGEMENT_UNAVAILABLE = {
    "error": "VERCEL_INTEGRATION_REQUIRED",
    "message": "Vercel project environment management requires an API-capable Vercel integration and is not "
               "available with Sign in with Vercel."}


async def _world(make_api, tmp_path, settings: str) -> Api:
    shutil.copytree(REPO_ROOT / "fixtures", tmp_path / "world")
    (tmp_path / "world" / "world.yaml").write_text(f"name: variant\n{settings}\n")
    return await make_api(fixtures_dir=tmp_path / "world")


# -- auth and ownership ----------------------------------------------------------------------------

@pytest.mark.parametrize("method, resource", ROUTES)
@pytest.mark.parametrize("token", [None, RW])
async def test_nobody_or_a_pat_is_sent_to_login(api, method, resource, token):
    response = await api.internal(method, f"{BASE}/{resource}", session=None, token=token)
    assert response.status == 307 and response.raw_body == b""
    assert response.headers["Location"].startswith(f"{api.origin}/login?next=")


@pytest.mark.parametrize("method, resource", ROUTES)
@pytest.mark.parametrize("repo", [OTHER_USERS_REPO, UNKNOWN, "not-a-uuid"])
async def test_a_repo_the_caller_does_not_own_is_not_found_before_the_body(api, method, resource, repo):
    response = await api.internal(method, f"/api/repos/{repo}/{resource}", json_body="{oops")
    assert (response.status, body_of(response)) == (404, {"error": NOT_FOUND[resource]})


@pytest.mark.parametrize("resource", ["connections", "rules", "skills", "models", "secrets"])
async def test_the_team_header_is_never_read(api, resource):
    response = await api.internal("GET", f"{BASE}/{resource}", headers={"x-mogplex-team-id": STRANGER_TEAM})
    assert response.status == 200
    assert body_of(response) == body_of(await api.internal("GET", f"{BASE}/{resource}"))


@pytest.mark.parametrize("method, resource", [
    ("POST", "connections"), ("POST", "rules"), ("POST", "skills"), ("POST", "models"), ("PUT", "secrets"),
    ("DELETE", "secrets")])
@pytest.mark.parametrize("body", [b"{oops", b"null"])
async def test_unparseable_or_null_bodies_crash(api, method, resource, body):
    response = await api.internal(method, f"{BASE}/{resource}", json_body=body)
    assert response.status == 500 and response.raw_body == b""


# -- connections --------------------------------------------------------------------------------------

async def _connection_ids(api) -> dict[str, str]:
    rows = body_of(await api.internal("GET", "/api/connections"))["connections"]
    return {row["name"]: row["id"] for row in rows}


async def test_connections_are_the_owners_globals_then_the_repos_own(api):
    own = body_of(await api.internal("POST", "/api/connections", json_body={
        "type": "rest_api", "name": "Status", "base_url": "https://status.example.dev", "scope": "project",
        "repo_id": WEB_REPO}))["connection"]
    elsewhere = {"type": "rest_api", "name": "Other", "base_url": "https://o.example.dev", "scope": "project",
                 "repo_id": OTHER_USERS_REPO}
    await api.internal("POST", "/api/connections", json_body=elsewhere)
    answer = body_of(await api.internal("GET", f"{BASE}/connections"))
    everything = body_of(await api.internal("GET", "/api/connections"))["connections"]
    assert list(answer) == ["connections", "overrides", "resolved_mcp_count"]
    assert [row["name"] for row in answer["connections"]] == ["github", "linear", "Status"]
    assert answer["connections"][2] == own and answer["connections"][0] == everything[0]
    assert (answer["overrides"], answer["resolved_mcp_count"]) == ([], 2)


async def test_excluding_a_global_connection_is_an_override_the_resolved_set_sees(api):
    github = (await _connection_ids(api))["github"]
    for _ in range(2):  # an upsert: once
        excluded = await api.internal("POST", f"{BASE}/connections",
                                      json_body={"connection_id": github.upper(), "excluded": True})
        assert (excluded.status, body_of(excluded)) == (200, {"ok": True})
    answer = body_of(await api.internal("GET", f"{BASE}/connections"))
    override = answer["overrides"][0]
    assert override == {"id": override["id"], "repo_id": WEB_REPO, "connection_id": github, "excluded": True,
                        "created_at": override["created_at"]}
    assert len(answer["overrides"]) == 1 and answer["resolved_mcp_count"] == 1
    assert len(answer["connections"]) == 2
    other_repo = body_of(await api.internal("GET", f"/api/repos/{API_REPO}/connections"))
    assert (other_repo["overrides"], other_repo["resolved_mcp_count"]) == ([], 2)
    await api.internal("POST", f"{BASE}/connections", json_body={"connection_id": github, "excluded": False})
    assert body_of(await api.internal("GET", f"{BASE}/connections"))["overrides"] == []


async def test_an_override_is_removed_by_id_and_goes_with_its_connection(api):
    ids = await _connection_ids(api)
    for name in ("github", "linear"):
        await api.internal("POST", f"{BASE}/connections", json_body={"connection_id": ids[name], "excluded": True})
    overrides = body_of(await api.internal("GET", f"{BASE}/connections"))["overrides"]
    removed = await api.internal("DELETE", f"{BASE}/connections?overrideId={overrides[0]['id']}")
    assert (removed.status, body_of(removed)) == (200, {"ok": True})
    await api.internal("DELETE", "/api/connections", json_body={"id": ids["linear"]})
    answer = body_of(await api.internal("GET", f"{BASE}/connections"))
    assert answer["overrides"] == [] and answer["resolved_mcp_count"] == 1


@pytest.mark.parametrize("body, status, error", [
    ({}, 400, "connection_id + excluded required"),
    ({"connection_id": "x"}, 400, "connection_id + excluded required"),
    ({"connection_id": "", "excluded": True}, 400, "connection_id + excluded required"),
    ({"connection_id": "x", "excluded": "true"}, 400, "connection_id + excluded required"),
    ([1], 400, "connection_id + excluded required"),
    ({"connection_id": "not-a-uuid", "excluded": True}, 404, "Global connection not found"),
    ({"connection_id": UNKNOWN, "excluded": False}, 404, "Global connection not found"),
])
async def test_connection_override_checks(api, body, status, error):
    response = await api.internal("POST", f"{BASE}/connections", json_body=body)
    assert (response.status, body_of(response)) == (status, {"error": error})


async def test_a_project_connection_cannot_be_excluded(api):
    own = body_of(await api.internal("POST", "/api/connections", json_body={
        "type": "rest_api", "name": "Status", "base_url": "https://s.example.dev", "scope": "project",
        "repo_id": WEB_REPO}))["connection"]
    response = await api.internal("POST", f"{BASE}/connections", json_body={"connection_id": own["id"],
                                                                             "excluded": True})
    assert (response.status, body_of(response)) == (404, {"error": "Global connection not found"})


# -- rules and skills -----------------------------------------------------------------------------------

KINDS = [("rules", "rule_id", "/api/rules"), ("skills", "skill_id", "/api/skills")]


@pytest.mark.parametrize("kind, reference, owner_route", KINDS)
async def test_inherited_rows_then_the_repos_own(api, kind, reference, owner_route):
    content = "x" * 79 + "🙂 tail"
    described = {"description": "How we write"} if kind == "skills" else {}
    inherited = body_of(await api.internal("POST", owner_route, json_body={
        "name": "Style", "content": content, **described}))
    added = await api.internal("POST", f"{BASE}/{kind}", json_body={
        "name": "Local", "content": None, "description": "Only here"})
    assert (added.status, body_of(added)) == (200, {"ok": True})
    answer = body_of(await api.internal("GET", f"{BASE}/{kind}"))
    own_id = answer[kind][1]["id"]
    shown = ({"content_preview": content[:79] + "\ud83d"}, {"content_preview": ""}) if kind == "rules" else (
        {"description": "How we write"}, {"description": "Only here"})
    assert answer == {kind: [{"id": inherited["id"], "name": "Style", **shown[0], "source": "global"},
                             {"id": own_id, "name": "Local", **shown[1], "source": "repo"}],
                      "excluded_inherited": []}
    removed = await api.internal("DELETE", f"{BASE}/{kind}?overrideId={own_id}")
    assert body_of(removed) == {"ok": True}
    assert len(body_of(await api.internal("GET", f"{BASE}/{kind}"))[kind]) == 1
    unknown = await api.internal("DELETE", f"{BASE}/{kind}?overrideId={UNKNOWN}")
    assert (unknown.status, body_of(unknown)) == (200, {"ok": True})


@pytest.mark.parametrize("kind, reference, owner_route", KINDS)
async def test_excluding_an_inherited_row_is_refused_by_postgres(api, kind, reference, owner_route):
    inherited = body_of(await api.internal("POST", owner_route, json_body={"name": "Style", "content": "c"}))
    for excluded in (True, False):
        response = await api.internal("POST", f"{BASE}/{kind}",
                                      json_body={reference: inherited["id"], "excluded": excluded, "name": "n"})
        assert (response.status, body_of(response)) == (500, NO_ARBITER)
    assert body_of(await api.internal("GET", f"{BASE}/{kind}"))["excluded_inherited"] == []


@pytest.mark.parametrize("kind, reference, owner_route", KINDS)
@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": 0}, {"excluded": True}, "text"])
async def test_rule_and_skill_bodies_need_a_reference_or_a_name(api, kind, reference, owner_route, body):
    response = await api.internal("POST", f"{BASE}/{kind}", json_body=body if body != "text" else '"text"')
    assert (response.status, body_of(response)) == (400, {"error": f"{reference}+excluded or name required"})


@pytest.mark.parametrize("resource", ["connections", "rules", "skills"])
@pytest.mark.parametrize("query, status, body", [
    ("", 400, {"error": "overrideId required"}), ("?overrideId=", 400, {"error": "overrideId required"}),
    ("?overrideId=abc", 500, {"error": 'invalid input syntax for type uuid: "abc"'}),
])
async def test_override_deletes_need_a_uuid(api, resource, query, status, body):
    response = await api.internal("DELETE", f"{BASE}/{resource}{query}")
    assert (response.status, body_of(response)) == (status, body)


# -- models -----------------------------------------------------------------------------------------------

async def test_models_are_the_users_enabled_ones_minus_the_repos_exclusions(api):
    answer = body_of(await api.internal("GET", f"{BASE}/models"))
    enabled = [row["id"] for row in body_of(await api.internal("GET", "/api/models"))["models"]]
    assert [row["id"] for row in answer["models"]] == enabled and answer["overrides"] == []
    assert list(answer["models"][0]) == ["id", "provider", "name", "context_length", "capabilities", "is_available",
                                         "is_hidden", "is_enabled"]
    first = enabled[0]
    excluded = await api.internal("POST", f"{BASE}/models", json_body={"model_id": first, "excluded": True})
    assert (excluded.status, body_of(excluded)) == (200, {"ok": True})
    answer = body_of(await api.internal("GET", f"{BASE}/models"))
    assert first not in [row["id"] for row in answer["models"]]
    assert answer["overrides"] == [{"model_id": first, "excluded": True}]
    await api.internal("POST", f"{BASE}/models", json_body={"model_id": first, "excluded": False})
    assert body_of(await api.internal("GET", f"{BASE}/models"))["overrides"] == []


async def test_switching_a_model_off_for_the_user_takes_it_from_every_repo(api):
    first = body_of(await api.internal("GET", f"{BASE}/models"))["models"][0]["id"]
    await api.internal("PATCH", "/api/models", json_body={"model_id": first, "is_enabled": False})
    assert first not in [row["id"] for row in body_of(await api.internal("GET", f"{BASE}/models"))["models"]]


@pytest.mark.parametrize("body, status, answer", [
    ({}, 400, {"error": "model_id and excluded required"}),
    ({"model_id": "x", "excluded": 1}, 400, {"error": "model_id and excluded required"}),
    ({"model_id": "", "excluded": True}, 400, {"error": "model_id and excluded required"}),
    ({"model_id": "nobody/none", "excluded": True}, 500, {"error": (
        'insert or update on table "repo_model_overrides" violates foreign key constraint '
        '"repo_model_overrides_model_id_fkey"')}),
    ({"model_id": "nobody/none", "excluded": False}, 200, {"ok": True}),
])
async def test_model_override_checks(api, body, status, answer):
    response = await api.internal("POST", f"{BASE}/models", json_body=body)
    assert (response.status, body_of(response)) == (status, answer)


# -- env vars ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
async def test_shipped_env_vars_answer_501_before_reading_the_body(api, method):
    response = await api.internal(method, f"{BASE}/env-vars", json_body="{oops")
    assert (response.status, body_of(response)) == (501, MANAGEMENT_UNAVAILABLE)


async def test_working_env_vars_share_the_linked_project_with_v1(working_env_api):
    api = working_env_api
    created = await api.internal("POST", f"{BASE}/env-vars", json_body={"key": " API_URL ", "value": "https://a"})
    entry_id = body_of(created)["id"]
    assert body_of(created) == {"id": entry_id, "key": "API_URL"}
    assert body_of(await api.internal("GET", f"{BASE}/env-vars")) == [{
        "id": entry_id, "key": "API_URL", "value": "https://a", "target": ["production", "preview", "development"],
        "type": "encrypted"}]
    assert [row["key"] for row in body_of(await api.get(f"/repos/{WEB_REPO}/env-vars"))["data"]["envVars"]] == [
        "API_URL"]
    again = await api.internal("POST", f"{BASE}/env-vars", json_body={"key": "API_URL", "value": "b"})
    assert (again.status, body_of(again)) == (502, {"error": "VERCEL_API_ERROR",
                                                    "message": "Vercel rejected the request."})
    patched = await api.internal("PATCH", f"{BASE}/env-vars", json_body={"envId": entry_id, "value": "https://b",
                                                                         "target": ["preview"]})
    assert body_of(patched) == {"ok": True}
    assert body_of(await api.internal("GET", f"{BASE}/env-vars"))[0]["value"] == "https://b"
    deleted = await api.internal("DELETE", f"{BASE}/env-vars", json_body={"envId": entry_id})
    assert body_of(deleted) == {"ok": True}
    assert body_of(await api.get(f"/repos/{WEB_REPO}/env-vars"))["data"]["envVars"] == []


@pytest.mark.parametrize("method, body, status, answer", [
    ("POST", {"value": "v"}, 400, {"error": "key is required"}),
    ("POST", {"key": "  "}, 400, {"error": "key is required"}),
    ("POST", {"key": 5}, 500, None),
    ("POST", None, 500, None),
    ("PATCH", {"value": "v"}, 400, {"error": "envId is required"}),
    ("PATCH", {"envId": "env_missing"}, 404, {"error": "VERCEL_PROJECT_NOT_FOUND",
                                             "message": "The configured Vercel project no longer exists."}),
    ("DELETE", {}, 400, {"error": "envId is required"}),
    ("DELETE", {"envId": "env_missing"}, 200, {"ok": True}),
])
async def test_working_env_var_checks(working_env_api, method, body, status, answer):
    response = await working_env_api.internal(method, f"{BASE}/env-vars", json_body=b"null" if body is None else body)
    assert response.status == status
    assert (body_of(response) if answer is not None else response.raw_body) == (answer or b"")


# -- secrets ----------------------------------------------------------------------------------------------

async def test_secrets_are_stored_by_normalized_name_and_listed_without_values(api):
    assert body_of(await api.internal("GET", f"{BASE}/secrets")) == []
    stored = await api.internal("PUT", f"{BASE}/secrets", json_body={"name": " deploy-key.v2🙂 ", "value": "hunter2"})
    assert (stored.status, body_of(stored)) == (200, {"ok": True, "name": "DEPLOY_KEY_V2__"})
    listed = body_of(await api.internal("GET", f"{BASE}/secrets"))
    assert listed == [{"name": "DEPLOY_KEY_V2__", "created_at": listed[0]["created_at"],
                       "updated_at": listed[0]["created_at"]}]
    assert listed[0]["created_at"].endswith("Z") and "hunter2" not in str(listed)
    deleted = await api.internal("DELETE", f"{BASE}/secrets", json_body={"name": "deploy_key_v2__"})
    assert body_of(deleted) == {"ok": True}
    assert body_of(await api.internal("GET", f"{BASE}/secrets")) == []
    missing = await api.internal("DELETE", f"{BASE}/secrets", json_body={"name": "NEVER_SET"})
    assert (missing.status, body_of(missing)) == (200, {"ok": True})


@pytest.mark.parametrize("method, body, status, answer", [
    ("PUT", {"name": "A"}, 400, {"error": "name and value are required"}),
    ("PUT", {"name": " ", "value": "v"}, 400, {"error": "name and value are required"}),
    ("PUT", {"name": "A", "value": ""}, 400, {"error": "name and value are required"}),
    ("PUT", {"name": 5, "value": "v"}, 500, None),
    ("DELETE", {}, 400, {"error": "name is required"}),
])
async def test_secret_checks(api, method, body, status, answer):
    response = await api.internal(method, f"{BASE}/secrets", json_body=body)
    assert response.status == status
    assert (body_of(response) if answer is not None else response.raw_body) == (answer or b"")


@pytest.mark.parametrize("method, body", [("GET", None), ("PUT", {"name": "A", "value": "v"}),
                                          ("DELETE", {"name": "A"})])
async def test_an_installation_token_github_cannot_mint_crashes(make_api, tmp_path, method, body):
    api = await _world(make_api, tmp_path, "github_api: failing")
    response = await api.internal(method, f"{BASE}/secrets", json_body=body)
    assert response.status == 500 and response.raw_body == b""


@pytest.mark.parametrize("method, body", [("GET", None), ("PUT", {"name": "A", "value": "v"}),
                                          ("DELETE", {"name": "A"})])
async def test_without_the_github_app_the_oauth_token_meets_a_failing_github(make_api, tmp_path, method, body):
    api = await _world(make_api, tmp_path, "github_app_configured: false\ngithub_api: failing")
    response = await api.internal(method, f"{BASE}/secrets", json_body=body)
    assert (response.status, body_of(response)) == (502, {
        "error": "GITHUB_API_ERROR", "detail": 'GitHub API (503): {"message":"Service Unavailable"}'})
