"""Sandboxes (v1 spec §6): list, create-or-reuse with the launcher's rules, logs."""

from __future__ import annotations

import shutil

import pytest
from conftest import (
    API_REPO,
    DESIGN_REPO,
    OTHER_USER,
    OTHER_USERS_REPO,
    READ_ONLY,
    REPO_ROOT,
    RUNNING_SANDBOX,
    V1,
    WEB_REPO,
    body_of,
    error_body,
)

RUNNING = {
    "id": RUNNING_SANDBOX, "sandbox_id": "sbx_8d2kq7wz1m4p", "repo_id": WEB_REPO, "status": "running",
    "base_branch": "main", "working_branch": "agent/docs-refresh", "root_directory": "apps/web",
    "preview_url": "https://sbx-8d2kq7wz1m4p.preview.mockplex.dev",
    "created_at": "2026-05-16T14:02:11.4+00:00", "last_active_at": "2026-05-16T15:47:52.083+00:00",
    "error": None,
}


async def sandbox_ids(api, query: str = "") -> list[str]:
    response = await api.get(f"/sandboxes{query}", token=READ_ONLY)
    assert response.status == 200
    return [sandbox["id"] for sandbox in body_of(response)["data"]["sandboxes"]]


async def test_list_is_newest_activity_first_with_exact_records(api):
    response = await api.get("/sandboxes")
    sandboxes = body_of(response)["data"]["sandboxes"]
    assert [s["status"] for s in sandboxes] == ["running", "error", "paused"]
    assert sandboxes[0] == RUNNING
    assert list(sandboxes[0]) == list(RUNNING)


async def test_list_filters_and_limit(api):
    assert await sandbox_ids(api, f"?repo_id=%20{WEB_REPO}%20") == [RUNNING_SANDBOX]
    assert await sandbox_ids(api, "?status=paused") == ["6f2a4b8c-3d5e-4f70-9bac-1d2e3f4a5b6c"]
    assert await sandbox_ids(api, "?status=Paused") == []
    assert len(await sandbox_ids(api, "?limit=2")) == 2
    assert await sandbox_ids(api, f"?repo_id={OTHER_USERS_REPO}") == []


async def test_a_non_uuid_repo_filter_is_the_database_cast_error(api):
    response = await api.get("/sandboxes?repo_id=web")
    assert response.status == 500
    assert body_of(response) == error_body("INTERNAL_ERROR", "Failed to list sandboxes")


@pytest.mark.parametrize("body", [b"{bad", b"[]", b"null", b'"x"', b"{}", b'{"repoId":"  "}', b'{"repoId":7}'])
async def test_create_needs_a_repo_id_string(api, body):
    response = await api.call("POST", V1 + "/sandboxes", data=body)
    assert response.status == 400
    assert body_of(response) == error_body("BAD_REQUEST", "repoId is required")


@pytest.mark.parametrize("body, status, message", [
    ({"repoId": "nope"}, 404, "Repo not found"),
    ({"repoId": OTHER_USERS_REPO}, 404, "Repo not found"),
    ({"repoId": WEB_REPO, "baseBranch": "feat..x"}, 400, "Invalid base branch"),
    ({"repoId": WEB_REPO, "workingBranch": "has space"}, 400, "Invalid working branch"),
    ({"repoId": WEB_REPO, "createBranch": True}, 400, "Invalid working branch"),
    ({"repoId": WEB_REPO, "createBranch": True, "workingBranch": "main"}, 400,
     "New branch name must differ from the default branch"),
    ({"repoId": WEB_REPO, "rootDirectory": "../etc"}, 400, "Invalid root directory"),
    ({"repoId": WEB_REPO, "rootDirectory": "apps/%2E%2E/x"}, 400, "Invalid root directory"),
    ({"repoId": WEB_REPO, "rootDirectory": 5}, 400, "Invalid root directory"),
])
async def test_launcher_failures_keep_their_status_with_code_bad_request(api, body, status, message):
    response = await api.post("/sandboxes", body)
    assert response.status == status
    assert body_of(response) == error_body("BAD_REQUEST", message)
    assert "Retry-After" not in response.headers


async def test_create_reuses_the_active_sandbox_for_the_same_branch_and_root(api):
    response = await api.post("/sandboxes", {"repoId": WEB_REPO, "workingBranch": "agent/docs-refresh"})
    assert response.status == 202
    assert body_of(response) == {"ok": True, "data": {"sandbox": RUNNING}}
    # "/apps/web/" normalizes to the same root, so it is the same sandbox.
    again = await api.post("/sandboxes", {"repoId": WEB_REPO, "workingBranch": "agent/docs-refresh",
                                          "rootDirectory": "/apps/web/"})
    assert body_of(again)["data"]["sandbox"]["id"] == RUNNING_SANDBOX


async def test_create_boots_a_new_sandbox_that_every_list_shows(api):
    response = await api.post("/sandboxes", {"repoId": API_REPO, "baseBranch": " main ",
                                             "workingBranch": "agent/logging", "createBranch": True})
    assert response.status == 202
    sandbox = body_of(response)["data"]["sandbox"]
    assert sandbox["status"] == "running" and sandbox["sandbox_id"].startswith("sbx_")
    assert (sandbox["repo_id"], sandbox["base_branch"], sandbox["working_branch"], sandbox["root_directory"]) == (
        API_REPO, "main", "agent/logging", None)
    assert sandbox["created_at"] == "2026-05-17T10:00:00+00:00"
    assert (await sandbox_ids(api))[0] == sandbox["id"]
    logs = body_of(await api.get(f"/sandboxes/{sandbox['id']}/logs"))["data"]
    assert logs["sandbox"]["install_log"].startswith("$ git clone")
    assert [event["event_type"] for event in logs["lifecycle_events"]][0] == "boot_requested"


async def test_root_directory_defaults_and_null(api):
    default = await api.post("/sandboxes", {"repoId": WEB_REPO, "workingBranch": "agent/a"})
    assert body_of(default)["data"]["sandbox"]["root_directory"] == "apps/web"
    repo_root = await api.post("/sandboxes", {"repoId": WEB_REPO, "workingBranch": "agent/b",
                                              "rootDirectory": None})
    assert body_of(repo_root)["data"]["sandbox"]["root_directory"] is None
    dot = await api.post("/sandboxes", {"repoId": WEB_REPO, "workingBranch": "agent/b", "rootDirectory": "./"})
    assert body_of(dot)["data"]["sandbox"]["id"] == body_of(repo_root)["data"]["sandbox"]["id"]


async def test_three_active_sandboxes_is_the_limit(api):
    for branch in ("agent/one", "agent/two"):
        assert (await api.post("/sandboxes", {"repoId": API_REPO, "workingBranch": branch})).status == 202
    refused = await api.post("/sandboxes", {"repoId": API_REPO, "workingBranch": "agent/three"})
    assert refused.status == 429
    assert body_of(refused) == error_body("BAD_REQUEST", "Too many active sandboxes")
    reuse = await api.post("/sandboxes", {"repoId": API_REPO, "workingBranch": "agent/one"})
    assert reuse.status == 202


async def test_logs_for_a_fixture_sandbox(api):
    response = await api.get(f"/sandboxes/{RUNNING_SANDBOX}/logs", token=READ_ONLY)
    data = body_of(response)["data"]
    assert list(data) == ["sandbox", "lifecycle_events"]
    assert data["sandbox"] == {**RUNNING, "install_log": data["sandbox"]["install_log"],
                               "dev_log": data["sandbox"]["dev_log"]}
    assert data["lifecycle_events"][2] == {
        "id": "d3c4e5f6-0718-4293-a4b5-c6d7e8f90a1b", "event_type": "dev_server_ready", "decision_code": None,
        "worker_run_id": "run_4kq9x2m7d1vz8c3b5n6t", "payload": {"port": 3000},
        "created_at": "2026-05-16T14:02:47.2+00:00"}


async def test_logs_not_owned_is_404_and_not_a_uuid_is_500(api):
    missing = await api.get(f"/sandboxes/{RUNNING_SANDBOX}/logs", token=OTHER_USER)
    assert (missing.status, body_of(missing)) == (404, error_body("NOT_FOUND", "Sandbox not found"))
    broken = await api.get("/sandboxes/sbx_8d2kq7wz1m4p/logs")
    assert (broken.status, body_of(broken)) == (500, error_body("INTERNAL_ERROR", "Failed to load sandbox logs"))


async def test_a_user_without_github_is_asked_to_connect_it(api):
    response = await api.post("/sandboxes", {"repoId": OTHER_USERS_REPO}, token=OTHER_USER)
    assert (response.status, body_of(response)) == (400, error_body("BAD_REQUEST", "Connect GitHub account first"))


async def test_a_pausing_vm_is_retired_not_reused(make_api, tmp_path):
    world = tmp_path / "pausing"
    shutil.copytree(REPO_ROOT / "fixtures", world)
    text = (world / "sandboxes.yaml").read_text().replace("status: running\n    base_branch: main\n    working_branch: agent/docs-refresh",
                                                           "status: pausing\n    base_branch: main\n    working_branch: agent/docs-refresh")
    (world / "sandboxes.yaml").write_text(text)
    api = await make_api(fixtures_dir=world)
    response = await api.post("/sandboxes", {"repoId": WEB_REPO, "workingBranch": "agent/docs-refresh"})
    fresh = body_of(response)["data"]["sandbox"]
    assert fresh["id"] != RUNNING_SANDBOX and fresh["status"] == "running"
    old = [s for s in body_of(await api.get("/sandboxes"))["data"]["sandboxes"] if s["id"] == RUNNING_SANDBOX][0]
    assert old["status"] == "stopped"


async def test_a_failed_launch_stream_is_a_502_and_leaves_an_error_record(api):
    response = await api.post("/sandboxes", {"repoId": DESIGN_REPO, "workingBranch": "agent/fresh"})
    assert (response.status, body_of(response)) == (502, error_body(
        "SERVICE_UNAVAILABLE", "Install step exited with code 1: ERR_PNPM_OUTDATED_LOCKFILE"))
    listed = body_of(await api.get(f"/sandboxes?repo_id={DESIGN_REPO}"))["data"]["sandboxes"]
    assert listed[0]["working_branch"] == "agent/fresh" and listed[0]["status"] == "error"


def world_with_settings(tmp_path, extra: str):
    folder = tmp_path / "world"
    shutil.copytree(REPO_ROOT / "fixtures", folder)
    (folder / "world.yaml").write_text("name: outage\n" + extra)
    return folder


async def test_sandbox_service_outage_is_a_503_even_with_a_reusable_sandbox(make_api, tmp_path):
    api = await make_api(fixtures_dir=world_with_settings(tmp_path, "sandbox_service: unavailable\n"))
    response = await api.post("/sandboxes", {"repoId": WEB_REPO, "workingBranch": "agent/docs-refresh"})
    assert (response.status, body_of(response)) == (503, error_body(
        "SERVICE_UNAVAILABLE", "Hosted sandbox service is temporarily unavailable. Please try again shortly."))
