"""A sandbox's lifecycle through the web app (stop, pause, resume, restart, health, reconcile,
extend, presence), as the server's code answers, and what v1 sees of it."""

from __future__ import annotations

import json

import pytest
from conftest import OTHER_USER, READ_ONLY, RUNNING_SANDBOX, RW, WEB_REPO, Api, body_of

PAUSED = "6f2a4b8c-3d5e-4f70-9bac-1d2e3f4a5b6c"
ERRORED = "7a3b5c9d-4e6f-4081-acbd-2e3f4a5b6c7d"
OTHER_USERS = "8b4c6dae-5f70-4192-bdce-3f4a5b6c7d8e"
MISSING = "00000000-0000-4000-8000-000000000000"
STRANGERS_TEAM = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
BASH_DENIED = {"error": "Your team role does not allow this sandbox operation (tools.bash)."}
ROUTES = [("POST", "stop", "Sandbox not found", True), ("POST", "pause", "Sandbox not found", True),
          ("POST", "resume", "Sandbox not found", True), ("POST", "restart", "Sandbox not found", True),
          ("GET", "health", "Not found", False), ("POST", "reconcile", "Not found", True),
          ("POST", "presence", "Sandbox not found", False)]
ATTACH = {"event": "attach", "tabId": "tab-1", "sessionId": "sess-1", "eventSeq": 1}


def runtime(answer) -> tuple:
    sandbox = body_of(answer)["sandbox"]
    return answer.status, sandbox["runtime_summary"]["status"], sandbox["stop_reason"], sandbox["error_summary"][
        "current_error"]


async def v1_status(api: Api, sandbox_id: str) -> str:
    sandboxes = body_of(await api.get("/sandboxes?limit=50"))["data"]["sandboxes"]
    return next(sandbox["status"] for sandbox in sandboxes if sandbox["id"] == sandbox_id)


@pytest.mark.parametrize(("method", "action", "message", "bash"), ROUTES)
@pytest.mark.parametrize("sandbox", [OTHER_USERS, MISSING, "not-a-uuid"])
async def test_not_found(api, method, action, message, bash, sandbox):
    answer = await api.internal(method, f"/api/sandbox/{sandbox}/{action}", json_body=ATTACH)
    assert (answer.status, body_of(answer)) == (404, {"error": message})


@pytest.mark.parametrize(("method", "action", "message", "bash"), ROUTES)
async def test_auth(api, method, action, message, bash):
    path = f"/api/sandbox/{RUNNING_SANDBOX}/{action}"
    nobody = await api.internal(method, path, session=None)
    assert (nobody.status, nobody.headers["Location"].split("?")[0].endswith("/login")) == (307, True)
    foreign = await api.internal(method, path, json_body=ATTACH, headers={"x-mogplex-team-id": STRANGERS_TEAM})
    assert (foreign.status == 403) is bash
    if bash:
        assert body_of(foreign) == BASH_DENIED
    pat = await api.internal(method, f"/api/sandbox/{OTHER_USERS}/{action}", session=None, token=OTHER_USER,
                             json_body=ATTACH)
    assert pat.status != 404 and pat.status < 500


async def test_stop_is_stopped_for_v1_and_not_reused_by_a_run(api):
    assert await v1_status(api, RUNNING_SANDBOX) == "running"
    assert runtime(await api.internal("POST", f"/api/sandbox/{RUNNING_SANDBOX}/stop", session=None, token=RW)) \
        == (200, "stopped", "manual", None)
    assert await v1_status(api, RUNNING_SANDBOX) == "stopped"
    run = body_of(await api.start_run({"repoId": WEB_REPO, "prompt": "Fix the docs.", "harness": "codex",
                                       "workingBranch": "agent/docs-refresh", "rootDirectory": "apps/web"}))
    assert run["data"]["sandboxRecordId"] is None  # the stopped record is no longer reusable
    again = await api.internal("POST", f"/api/sandbox/{ERRORED}/stop")
    assert runtime(again)[:3] == (200, "error", None)  # an errored record is not stoppable: left as it was


async def test_stop_when_the_provider_fails_keeps_the_record_and_notes_it(world_api):
    api = await world_api(sandbox_vms="failing")
    assert runtime(await api.internal("POST", f"/api/sandbox/{RUNNING_SANDBOX}/stop")) == (
        200, "running", None, "Remote VM sbx_8d2kq7wz1m4p could not be confirmed stopped. "
                              "The record remains active for reconciliation.")


async def test_pause_then_resume_refuses_a_non_persistent_sandbox(api):
    path = f"/api/sandbox/{RUNNING_SANDBOX}"
    assert runtime(await api.internal("POST", f"{path}/pause")) == (200, "paused", None, None)
    assert await v1_status(api, RUNNING_SANDBOX) == "paused"
    again = await api.internal("POST", f"{path}/pause")
    assert (again.status, body_of(again)) == (400, {"error": "Sandbox is not running"})
    resume = await api.internal("POST", f"{path}/resume")
    assert (resume.status, body_of(resume)) == (400, {
        "error": "Sandbox is not persistent — use the legacy snapshot-restore launch path instead."})
    errored = await api.internal("POST", f"/api/sandbox/{ERRORED}/resume")
    assert (errored.status, body_of(errored)) == (400, {"error": "Sandbox is not paused"})


async def test_pause_when_the_provider_fails(world_api):
    api = await world_api(sandbox_vms="failing")
    answer = await api.internal("POST", f"/api/sandbox/{RUNNING_SANDBOX}/pause")
    assert (answer.status, body_of(answer)) == (500, {
        "error": "Vercel Sandbox API request failed: 503 Service Unavailable"})


async def test_restart_retires_the_record_and_boots_a_new_one(api):
    answer = await api.internal("POST", f"/api/sandbox/{RUNNING_SANDBOX}/restart")
    assert answer.status == 200
    assert (answer.headers["Content-Type"], answer.headers["Cache-Control"]) == ("text/event-stream", "no-cache")
    frames = [json.loads(frame[6:]) for frame in answer.raw_body.decode().split("\n\n") if frame]
    assert [frame["type"] for frame in frames][:2] == ["status", "sandbox_created"]
    assert frames[-1]["type"] == "ready" and frames[-1]["sandbox"]["working_branch"] == "agent/docs-refresh"
    old = body_of(await api.internal("GET", f"/api/sandbox/{RUNNING_SANDBOX}"))["sandbox"]
    assert (old["stop_reason"], old["snapshot_id"].startswith("snap_")) == ("manual", True)
    assert await v1_status(api, frames[-1]["sandbox"]["id"]) == "running"


async def test_health_settles_a_gone_vm(world_api):
    api = await world_api(sandbox_vms="stopped")
    answer = await api.internal("GET", f"/api/sandbox/{RUNNING_SANDBOX}/health", session=None, token=READ_ONLY)
    assert body_of(answer)["health"] == {"status": "stopped"}
    assert runtime(answer) == (200, "stopped", "vm_gone", None)
    assert await v1_status(api, RUNNING_SANDBOX) == "stopped"


async def test_health_of_a_live_sandbox(api):
    answer = await api.internal("GET", f"/api/sandbox/{RUNNING_SANDBOX}/health")
    assert (body_of(answer)["health"], runtime(answer)) == ({"status": "running"}, (200, "running", None, None))


@pytest.mark.parametrize(("trigger", "body"), [
    ("configured", {"queued": True, "runtimeProvider": "trigger"}),
    ("missing", {"queued": False, "reason": "trigger_not_configured"}),
])
async def test_reconcile(world_api, trigger, body):
    api = await world_api(trigger_runtime=trigger)
    first = body_of(await api.internal("POST", f"/api/sandbox/{RUNNING_SANDBOX}/reconcile"))
    second = body_of(await api.internal("POST", f"/api/sandbox/{RUNNING_SANDBOX}/reconcile"))
    assert {key: first[key] for key in body} == body and list(first) == list(second)
    if trigger == "configured":  # one idempotency key, one Trigger.dev run
        assert first["runtimeRunId"] == second["runtimeRunId"] and first["runtimeRunId"].startswith("run_")
    else:
        assert first["sandbox"]["id"] == RUNNING_SANDBOX


@pytest.mark.parametrize(("body", "status", "answer"), [
    ({"minutes": 30}, 200, {"ok": True, "extendedByMs": 1_800_000}),
    ({"minutes": "1.5"}, 200, {"ok": True, "extendedByMs": 90_000}),
    ({"minutes": [300]}, 200, {"ok": True, "extendedByMs": 18_000_000}),
    ({"minutes": 0.5}, 400, {"error": "minutes must be between 1 and 300"}),
    ({"minutes": 301}, 400, {"error": "minutes must be between 1 and 300"}),
    ({}, 400, {"error": "minutes must be between 1 and 300"}),
    ([], 400, {"error": "minutes must be between 1 and 300"}),
    ("null", 500, None),
    ("{", 500, None),
])
async def test_extend(api, body, status, answer):
    response = await api.internal("POST", f"/api/sandbox/{RUNNING_SANDBOX}/extend", json_body=body)
    assert response.status == status
    assert (body_of(response) if answer is not None else response.raw_body) == (answer or b"")


async def test_extend_checks_order(api):
    refused = await api.internal("POST", f"/api/sandbox/{MISSING}/extend", json_body={"minutes": 0})
    assert body_of(refused) == {"error": "minutes must be between 1 and 300"}  # the body before the record
    paused = await api.internal("POST", f"/api/sandbox/{PAUSED}/extend", json_body={"minutes": 5})
    assert (paused.status, body_of(paused)) == (400, {"error": "Sandbox is not running"})


@pytest.mark.parametrize(("body", "message"), [
    ({"event": "open"}, "event must be attach or release"),
    ({"event": "attach"}, "tabId is required"),
    ({"event": "attach", "tabId": " "}, "tabId must be between 1 and 128 characters"),
    ({"event": "attach", "tabId": "t", "sessionId": "x" * 129}, "sessionId must be between 1 and 128 characters"),
    ({**ATTACH, "eventSeq": -1}, "eventSeq must be a non-negative integer"),
    ({**ATTACH, "eventSeq": 1.5}, "eventSeq must be a non-negative integer"),
    ("{oops", "Unexpected token 'o', \"{oops\" is not valid JSON"),
])
async def test_presence_validation(api, body, message):
    answer = await api.internal("POST", f"/api/sandbox/{RUNNING_SANDBOX}/presence", json_body=body)
    assert (answer.status, body_of(answer)) == (400, {"error": message})


async def test_presence_attach_release_and_v1_lifecycle_events(api):
    path = f"/api/sandbox/{RUNNING_SANDBOX}/presence"
    assert body_of(await api.internal("POST", path, json_body=ATTACH)) == {"attached": True}
    release = {**ATTACH, "event": "release", "eventSeq": 2, "reason": "pagehide"}
    assert body_of(await api.internal("POST", path, json_body=release)) == {
        "released": True, "queued": True, "gracePeriodMs": 90_000}
    assert body_of(await api.internal("POST", path, json_body=release)) == {"released": False, "queued": False}
    logs = body_of(await api.get(f"/sandboxes/{RUNNING_SANDBOX}/logs"))["data"]["lifecycle_events"]
    assert [event["event_type"] for event in logs][-3:] == ["tab_attached", "tab_released", "auto_pause_queued"]
