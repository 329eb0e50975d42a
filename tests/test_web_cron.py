"""/api/cron/*: each scheduled job's answer past the cron secret, acting on the world."""

from __future__ import annotations

import pytest
from conftest import RUNNING_SANDBOX, RW, body_of

from mockplex import state

SECRET = "cron-dev"
OTHER_USERS_SANDBOX = "8b4c6dae-5f70-4192-bdce-3f4a5b6c7d8e"
JOBS = ["production-smoke", "reconcile-job-runs", "reconcile-vercel-links", "repair-jobs", "sandbox-reaper",
        "zombie-row-reaper"]


async def cron(api, job):
    return await api.call("GET", f"/api/cron/{job}", SECRET)


@pytest.mark.parametrize("job", JOBS)
async def test_cron_jobs_need_the_secret_and_only_answer_get(make_api, job):
    unset = await make_api(cron_secret=" ")
    response = await unset.call("GET", f"/api/cron/{job}", None)
    assert (response.status, body_of(response)) == (503, {"error": "CRON_SECRET_NOT_CONFIGURED"})
    api = await make_api(cron_secret=SECRET)
    for token in (None, RW, SECRET + "x"):
        response = await api.call("GET", f"/api/cron/{job}", token)
        assert (response.status, body_of(response)) == (401, {"error": "Unauthorized"})
    wrong = await api.call("POST", f"/api/cron/{job}", SECRET)
    assert (wrong.status, wrong.raw_body) == (405, b"")


async def test_sandbox_reaper_stops_the_expired_sandbox_for_every_surface(make_api):
    api = await make_api(cron_secret=SECRET)
    response = await cron(api, "sandbox-reaper")
    assert (response.status, body_of(response)) == (200, {
        "message": "Processed 2 sandboxes", "reaped": 2,
        "results": [{"id": OTHER_USERS_SANDBOX, "action": "stopped_max_lifetime"},
                    {"id": RUNNING_SANDBOX, "action": "stopped_max_lifetime"}]})
    stopped = body_of(await api.get("/sandboxes?status=stopped"))["data"]["sandboxes"]
    assert RUNNING_SANDBOX in [item["id"] for item in stopped]
    quiet = await cron(api, "sandbox-reaper")
    assert body_of(quiet) == {"message": "No sandboxes requiring maintenance", "reaped": 0}


async def test_sandbox_reaper_warns_an_idle_sandbox_then_stops_it(make_api):
    api = await make_api(cron_secret=SECRET)
    world = api.client.server.app[state.WORLD]
    world.sandboxes.pop(OTHER_USERS_SANDBOX)
    sandbox = world.sandboxes[RUNNING_SANDBOX]
    now = world.clock.now()
    sandbox.created_at = now.replace(hour=8)
    sandbox.last_active_at = now.replace(hour=9)
    first = body_of(await cron(api, "sandbox-reaper"))
    assert first["results"] == [{"id": RUNNING_SANDBOX, "action": "marked_idle_warning"}]
    assert first["reaped"] == 0
    second = body_of(await cron(api, "sandbox-reaper"))
    assert second == {"message": "Processed 1 sandboxes", "reaped": 1,
                      "results": [{"id": RUNNING_SANDBOX, "action": "stopped_idle"}]}
    assert (sandbox.status, sandbox.stop_reason) == ("stopped", "idle_timeout")


async def test_the_quiet_jobs(make_api):
    api = await make_api(cron_secret=SECRET)
    expected = {
        "reconcile-job-runs": {"message": "Reconciled 0 job run(s)", "reconciled": 0, "skipped": 0, "results": []},
        "reconcile-vercel-links": {"message": "Reconciled 0 Vercel billing link(s)", "processed": 0, "valid": 0,
                                   "missing_project": 0, "auth_invalid": 0, "inaccessible": 0, "failed": 0},
        "repair-jobs": {"message": "No stale pending jobs", "scanned": 0, "started": 0, "failed": 0},
        "zombie-row-reaper": {
            "processed": 0, "reaped": 0,
            "message": "[zombie-reaper] reaped 0 (ai_calls=0/0 repos=0/0 job_runs=0/0 sandboxes=0/0 connections=0/0)",
            "tables": [{"table": table, "scanned": 0, "reaped": 0, "error": None, "sample_ids": []}
                       for table in ("ai_calls", "repos", "job_runs", "sandboxes", "connections")]},
    }
    for job, body in expected.items():
        response = await cron(api, job)
        assert (response.status, body_of(response)) == (200, body), job


async def test_production_smoke(make_api):
    api = await make_api(cron_secret=SECRET)
    response = await cron(api, "production-smoke")
    body = body_of(response)
    assert (response.status, body["ok"], body["checkedAt"]) == (200, True, "2026-05-17T10:00:00.000Z")
    assert [check["name"] for check in body["checks"]] == [
        "repos_select", "repo_workspace_ids_select", "workspaces_select", "github_installations_count",
        "repo_baseline_snapshot_metadata", "review_run_observability_projection"]
    assert body["checks"][4] == {"name": "repo_baseline_snapshot_metadata", "ok": True,
                                 "detail": "Verified baseline snapshot columns (0 sampled)"}
