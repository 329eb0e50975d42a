"""Approvals (flow waits, control approvals), the control chat and the observability actions."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from mockplex.app import build_app
from tests.conftest import REPO_ROOT, RW, WEB_REPO, Api, body_of, make_settings

TRIAGE = "a1c2e3f4-0b1d-4e6f-8a2c-3d4e5f6a7b81"
SUCCESS_JOB = "e5a6c7d8-4f51-42a3-8e60-7b8c9daebfc5"
FAILED_JOB = "f6b7d8e9-5a62-43b4-9f71-8c9daebfc0d7"
TOOL_WAIT, MANUAL_WAIT, LAPSED_WAIT = ("7c1e2a94-3b5d-4f60-8a17-2e9d4c6b1f03", "8d2f3b05-4c6e-4a71-9b28-3fae5d7c2a14",
                                       "9e3a4c16-5d7f-4b82-8c39-4abf6e8d3b25")
PLAN_APPROVAL, MERGE_APPROVAL, SAMS_APPROVAL = ("2b7c9d41-6e8f-4a03-9b15-7c2d4e6f8a90",
                                                "3c8d0e52-7f90-4b14-8c26-8d3e5f7a9b01",
                                                "4d9e1f63-8a01-4c25-9d37-9e4f6a8b0c12")
OPEN_FINDING, DISMISSED_FINDING, UNLINKED_FINDING = ("5e0f2a74-9b12-4d36-8e48-0a5b7c9d1e23",
                                                     "6f1a3b85-0c23-4e47-9f59-1b6c8d0e2f34",
                                                     "7a2b4c96-1d34-4f58-8a60-2c7d9e1f3a45")
SAM_SESSION = "mpx_session_sam_dev_0001"


@pytest.fixture
async def world_with(aiohttp_client, tmp_path):
    """The default world with world.yaml settings changed and job runs added."""
    async def make(settings: str = "", job_runs: str = "") -> Api:
        folder = tmp_path / "world"
        shutil.copytree(REPO_ROOT / "fixtures", folder)
        world_yaml = (REPO_ROOT / "fixtures" / "world.yaml").read_text()
        for line in settings.splitlines():
            world_yaml = re.sub(rf"^{line.split(':')[0]}: .*$", line, world_yaml, flags=re.MULTILINE)
        (folder / "world.yaml").write_text(world_yaml)
        automations = folder / "automations.yaml"
        automations.write_text(automations.read_text() + job_runs)
        return Api(await aiohttp_client(build_app(make_settings(tmp_path, fixtures_dir=folder))))
    return make


STALE_PENDING_JOB = """  - id: 0d1e2f30-4a5b-4c6d-8e7f-9a0b1c2d3e4f
    user: 3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10
    automation: a1c2e3f4-0b1d-4e6f-8a2c-3d4e5f6a7b81
    flow_version: a1c2e3f4-7001-4000-8000-00000000a002
    repo: 0b6c4d2e-7a1f-4e3b-9c5d-8f2a6b1e3c70
    status: pending
    created_at: 2026-05-17T09:40:00+00:00
"""
PENDING_JOB = "0d1e2f30-4a5b-4c6d-8e7f-9a0b1c2d3e4f"


# -- edge and wrong methods -------------------------------------------------------------------

ROUTES = [("GET", "/api/flows/approvals"), ("POST", f"/api/flows/approvals/{TOOL_WAIT}"),
          ("GET", "/api/control/approvals"), ("POST", f"/api/control/approvals/{PLAN_APPROVAL}"),
          ("POST", "/api/control/chat"), ("POST", f"/api/observability/calls/{SUCCESS_JOB}/cancel"),
          ("POST", f"/api/observability/jobs/{SUCCESS_JOB}/cancel"),
          ("POST", f"/api/observability/jobs/{SUCCESS_JOB}/repair"),
          ("POST", f"/api/observability/jobs/{SUCCESS_JOB}/requeue"),
          ("POST", f"/api/observability/jobs/{SUCCESS_JOB}/review-findings/{OPEN_FINDING}/issue")]


@pytest.mark.parametrize("method, path", ROUTES)
async def test_no_session_and_a_pat_are_sent_to_login(api, method, path):
    for kwargs in ({"session": None}, {"session": None, "token": RW}):
        response = await api.internal(method, path, **kwargs)
        assert response.status == 307
        assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("method, path", ROUTES)
async def test_methods_the_route_does_not_export_are_an_empty_405(api, method, path):
    response = await api.internal("DELETE", path)
    assert (response.status, response.raw_body) == (405, b"")


# -- flow approvals ---------------------------------------------------------------------------

async def test_flow_approvals_list_the_callers_live_waits_oldest_first(api):
    response = await api.internal("GET", "/api/flows/approvals")
    assert response.status == 200
    body = body_of(response)
    assert body["hasMore"] is False
    assert [approval["id"] for approval in body["approvals"]] == [TOOL_WAIT, MANUAL_WAIT]
    assert list(body["approvals"][0]) == ["id", "job_run_id", "flow_id", "node_id", "wait_config", "created_at",
                                          "expires_at"]
    assert body["approvals"][1] == {
        "id": MANUAL_WAIT, "job_run_id": SUCCESS_JOB, "flow_id": TRIAGE, "node_id": "approve-merge",
        "wait_config": {"kind": "manual_approval", "prompt": "Merge the dependency bump?"},
        "created_at": "2026-05-15T10:02:55+00:00", "expires_at": None}
    assert body_of(await api.internal("GET", "/api/flows/approvals", session=SAM_SESSION)) == {
        "approvals": [], "hasMore": False}


@pytest.mark.parametrize("raw, message", [
    (b"", "Request body must be valid JSON"), (b"{bad", "Request body must be valid JSON"),
    (b"null", "Request body must be a JSON object"), (b'"approve"', "Request body must be a JSON object"),
    (b"{}", 'decision must be "approve" or "deny"'), (b"[]", 'decision must be "approve" or "deny"'),
    (b'{"decision":"approved"}', 'decision must be "approve" or "deny"'),
    (b'{"decision":"deny","note":5}', "note must be a string"),
    (json.dumps({"decision": "deny", "note": "x" * 2001}).encode(), "note must be at most 2000 characters"),
])
@pytest.mark.parametrize("surface", ["flows", "control"])
async def test_resolving_checks_the_body_first(api, raw, message, surface):
    target = TOOL_WAIT if surface == "flows" else PLAN_APPROVAL
    response = await api.internal("POST", f"/api/{surface}/approvals/{target}", data=raw)
    expected = "Request body must be JSON" if surface == "control" and "valid JSON" in message else message
    assert (response.status, body_of(response)) == (400, {"error": expected})


@pytest.mark.parametrize("wait_id, status, message", [
    ("not-a-uuid", 404, "Approval not found"), (PLAN_APPROVAL, 404, "Approval not found"),
    (LAPSED_WAIT, 409, "Approval is no longer pending"),
])
async def test_resolving_a_flow_wait_that_is_not_pending(api, wait_id, status, message):
    response = await api.internal("POST", f"/api/flows/approvals/{wait_id}", json_body={"decision": "approve"})
    assert (response.status, body_of(response)) == (status, {"error": message})


async def test_a_decision_the_runtime_cannot_deliver_is_a_502(world_with):
    api = await world_with("trigger_runtime: missing\n")
    response = await api.internal("POST", f"/api/flows/approvals/{TOOL_WAIT}", json_body={"decision": "approve"})
    assert (response.status, body_of(response)) == (502, {"error": "Failed to deliver the decision; try again"})
    assert len(body_of(await api.internal("GET", "/api/flows/approvals"))["approvals"]) == 2


# -- control approvals ------------------------------------------------------------------------

async def test_control_approvals_list_pending_rows_newest_first(api):
    body = body_of(await api.internal("GET", "/api/control/approvals"))
    assert [row["id"] for row in body["approvals"]] == [MERGE_APPROVAL, PLAN_APPROVAL]
    assert body["approvals"][1] == {
        "id": PLAN_APPROVAL, "user_id": "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10",
        "run_id": "41d2e6f8-7a9b-4c1d-8e2f-3a4b5c6d7e80", "ai_call_id": None, "tool_name": "dispatch_agent",
        "tool_call_id": "toolu_01HarborPlan",
        "tool_input": {"repo": "harborlight/web", "task": "Fix the flaky checkout test"},
        "summary": "Dispatch an agent to fix the flaky checkout test in harborlight/web", "urgency": "normal",
        "status": "pending", "resolution_source": None, "expires_at": None, "resolved_at": None,
        "resolved_by": None, "resolution_note": None, "created_at": "2026-05-16T09:15:00+00:00"}
    by_run = body_of(await api.internal("GET", "/api/control/approvals?runId=41d2e6f8-7a9b-4c1d-8e2f-3a4b5c6d7e80"))
    assert [row["id"] for row in by_run["approvals"]] == [PLAN_APPROVAL]
    bad = await api.internal("GET", "/api/control/approvals?runId=nope")
    assert (bad.status, body_of(bad)) == (500, {"error": "Failed to load approvals"})


@pytest.mark.parametrize("approval_id, status, body", [
    ("nope", 500, {"error": "Failed to resolve approval"}),
    (SAMS_APPROVAL, 409, {"error": "Approval is no longer pending"}),
    ("00000000-0000-4000-8000-000000000000", 409, {"error": "Approval is no longer pending"}),
])
async def test_resolving_a_control_approval_that_is_not_the_callers(api, approval_id, status, body):
    response = await api.internal("POST", f"/api/control/approvals/{approval_id}", json_body={"decision": "deny"})
    assert (response.status, body_of(response)) == (status, body)


@pytest.mark.parametrize("surface, target, left, answered", [
    ("flows", TOOL_WAIT.upper(), MANUAL_WAIT, "deny"), ("control", MERGE_APPROVAL, PLAN_APPROVAL, "denied"),
])
async def test_resolving_an_approval_takes_it_off_the_list_once(api, surface, target, left, answered):
    path = f"/api/{surface}/approvals/{target}"
    response = await api.internal("POST", path, json_body={"decision": "deny", "note": "  not now "})
    assert (response.status, body_of(response)) == (200, {"ok": True, "decision": answered})
    listed = body_of(await api.internal("GET", f"/api/{surface}/approvals"))["approvals"]
    assert [approval["id"] for approval in listed] == [left]
    again = await api.internal("POST", path, json_body={"decision": "approve"})
    assert (again.status, body_of(again)) == (409, {"error": "Approval is no longer pending"})


async def test_another_users_flow_wait_is_not_found(api):
    foreign = await api.internal("POST", f"/api/flows/approvals/{MANUAL_WAIT}", json_body={"decision": "approve"},
                                 session=SAM_SESSION)
    assert (foreign.status, body_of(foreign)) == (404, {"error": "Approval not found"})


# -- control chat -----------------------------------------------------------------------------

def _chunks(response) -> list:
    frames = [line[len("data: "):] for line in response.raw_body.decode().split("\n\n") if line]
    assert frames[-1] == "[DONE]"
    return [json.loads(frame) for frame in frames[:-1]]


async def test_control_chat_streams_the_answer_and_logs_an_agent_call(api):
    response = await api.internal("POST", "/api/control/chat", json_body={
        "messages": [{"role": "user", "parts": [{"type": "text", "text": "Plan the release"}]}]})
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/event-stream"
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    chunks = _chunks(response)
    call_id = chunks[0]["messageMetadata"]["ai_call_id"]
    text = "".join(chunk["delta"] for chunk in chunks if chunk["type"] == "text-delta")
    assert text == "Control plan for: Plan the release"
    calls = body_of(await api.internal("GET", "/api/observability/calls"))["calls"]
    logged = next(item for item in calls if item["id"] == call_id)
    assert (logged["type"], logged["status"], logged["metadata"]["surface"]) == ("agent", "success", "control")


@pytest.mark.parametrize("raw, status, body", [
    (b"{bad", 500, None), (b"null", 500, None),
    (b"{}", 500, {"error": "Cannot read properties of undefined (reading 'map')"}),
    (b'{"messages":"hi"}', 500, {"error": "input.body.messages.map is not a function"}),
    (b'{"messages":[null]}', 500, {"error": "Cannot read properties of null (reading 'parts')"}),
])
async def test_control_chat_bodies_it_cannot_read(api, raw, status, body):
    response = await api.internal("POST", "/api/control/chat", data=raw)
    assert response.status == status
    assert (body_of(response) if body else response.raw_body) == (body or b"")


@pytest.mark.parametrize("outcome, status, message", [
    ("billing_required", 500, "Hosted AI requires a positive billing balance. Add funds or choose a plan in "
                              "Settings > Billing, or add your own AI Gateway or provider key in Settings > API Keys."),
    ("allowlist_unavailable", 503, "Couldn't verify the team's model allowlist. Please try again."),
])
async def test_control_chat_when_the_model_is_refused(world_with, outcome, status, message):
    api = await world_with(f"control_model: {outcome}\n")
    response = await api.internal("POST", "/api/control/chat", json_body={"messages": []})
    assert (response.status, body_of(response)) == (status, {"error": message})
    assert response.headers.get("Retry-After") == ("5" if status == 503 else None)


async def test_control_chat_failing_mid_stream(world_with):
    api = await world_with("control_model: fails_mid_stream\n")
    chunks = _chunks(await api.internal("POST", "/api/control/chat", json_body={"messages": []}))
    assert [chunk for chunk in chunks if chunk["type"] == "error"] == [
        {"type": "error", "errorText": "The model provider returned an error: service unavailable"}]


# -- AI call cancel ---------------------------------------------------------------------------

async def test_cancelling_a_live_run_call_cancels_it_everywhere(api):
    run = body_of(await api.start_run({"repoId": WEB_REPO, "prompt": "Fix the flaky test"}))["data"]
    call_id = next(item["id"] for item in body_of(await api.internal("GET", "/api/observability/calls"))["calls"]
                   if item["status"] in ("pending", "streaming"))
    response = await api.internal("POST", f"/api/observability/calls/{call_id}/cancel")
    assert (response.status, body_of(response)) == (200, {"ok": True, "status": "cancelled"})
    calls = body_of(await api.internal("GET", "/api/observability/calls"))["calls"]
    assert next(item for item in calls if item["id"] == call_id)["status"] == "cancelled"
    assert body_of(await api.get(f"/runs/{run['runId']}"))["data"]["run"]["status"] == "cancelled"
    again = await api.internal("POST", f"/api/observability/calls/{call_id}/cancel")
    assert (again.status, body_of(again)) == (409, {"error": "Call is no longer active"})


@pytest.mark.parametrize("call_id, status, body", [
    ("nope", 500, None), ("00000000-0000-4000-8000-000000000000", 404, {"error": "Call not found"}),
    ("f6b7d8e9-5062-43b4-9f71-8c9daebfc0d6", 409, {"error": "Call is no longer active"}),
])
async def test_cancelling_a_call_that_is_missing_or_finished(api, call_id, status, body):
    response = await api.internal("POST", f"/api/observability/calls/{call_id}/cancel")
    assert response.status == status
    assert (body_of(response) if body else response.raw_body) == (body or b"")


# -- job runs ---------------------------------------------------------------------------------

async def _running_job(api) -> str:
    response = await api.post(f"/automations/{TRIAGE}/trigger", {"repoId": WEB_REPO},
                              headers={"Idempotency-Key": "approvals-trigger"})
    return body_of(response)["data"]["run"]["jobRunId"]


async def test_cancelling_a_running_job_run_shows_everywhere(api):
    job_id = await _running_job(api)
    response = await api.internal("POST", f"/api/observability/jobs/{job_id}/cancel")
    body = body_of(response)
    assert response.status == 200
    assert body == {"ok": True, "status": "cancelled", "cancelRequestedAt": "2026-05-17T10:00:00+00:00",
                    "cancelledAt": "2026-05-17T10:00:00+00:00", "cancelReason": "USER_REQUESTED",
                    "cancelError": None, "runtimeProvider": "trigger", "runtimeRunId": body["runtimeRunId"],
                    "aiCallsCancellationRequested": 1, "releasedJobs": []}
    web = body_of(await api.internal("GET", f"/api/observability/jobs/{job_id}"))["run"]
    assert (web["status"], web["cancel_reason"], web["cancelable"]) == ("cancelled", "USER_REQUESTED", False)
    v1 = body_of(await api.get(f"/automations/{TRIAGE}/runs/{job_id}"))["data"]["run"]
    assert (v1["status"], v1["cancelled_at"]) == ("cancelled", "2026-05-17T10:00:00+00:00")
    again = await api.internal("POST", f"/api/observability/jobs/{job_id}/cancel")
    assert (again.status, body_of(again)) == (409, {
        "error": "Job run is not cancelable", "status": "cancelled", "cancelRequestedAt": "2026-05-17T10:00:00+00:00",
        "cancelledAt": "2026-05-17T10:00:00+00:00", "cancelReason": "USER_REQUESTED", "cancelError": None})


@pytest.mark.parametrize("action", ["cancel", "repair", "requeue"])
@pytest.mark.parametrize("job_id, session, status, body", [
    ("nope", None, 500, None), ("00000000-0000-4000-8000-000000000000", None, 404, {"error": "Job run not found"}),
    (FAILED_JOB, SAM_SESSION, 404, {"error": "Job run not found"}),
])
async def test_job_actions_on_a_job_run_that_is_not_the_callers(api, action, job_id, session, status, body):
    kwargs = {"session": session} if session else {}
    response = await api.internal("POST", f"/api/observability/jobs/{job_id}/{action}", **kwargs)
    assert response.status == status
    assert (body_of(response) if body else response.raw_body) == (body or b"")


@pytest.mark.parametrize("action, job_id, message", [
    ("repair", SUCCESS_JOB, "Job run is not repairable"), ("requeue", SUCCESS_JOB, "Job run is not requeueable"),
])
async def test_job_runs_in_the_wrong_state(api, action, job_id, message):
    response = await api.internal("POST", f"/api/observability/jobs/{job_id}/{action}")
    assert (response.status, body_of(response)) == (400, {"error": message})


async def test_repairing_a_stale_pending_job_run_starts_it(world_with):
    api = await world_with(job_runs=STALE_PENDING_JOB)
    response = await api.internal("POST", f"/api/observability/jobs/{PENDING_JOB}/repair")
    body = body_of(response)
    assert (response.status, list(body)) == (200, ["ok", "started", "deferred", "reason", "status",
                                                   "runtimeProvider", "runtimeRunId", "workflowRunId"])
    assert body["runtimeRunId"].startswith("run_")
    job = body_of(await api.internal("GET", f"/api/observability/jobs/{PENDING_JOB}"))["run"]
    assert (job["status"], job["last_start_source"]) == ("running", "repair")


async def test_repair_without_a_runtime_is_a_500(world_with):
    api = await world_with("trigger_runtime: missing\n", STALE_PENDING_JOB)
    response = await api.internal("POST", f"/api/observability/jobs/{PENDING_JOB}/repair")
    assert (response.status, body_of(response)) == (500, {"error": "Trigger.dev runtime is not configured"})


async def test_requeueing_a_failed_job_run_starts_a_retry(api):
    response = await api.internal("POST", f"/api/observability/jobs/{FAILED_JOB}/requeue")
    body = body_of(response)
    assert response.status == 200
    assert list(body) == ["ok", "queued", "suppressed", "reused", "jobRunId", "started", "deferred", "reason",
                          "status", "runtimeProvider", "runtimeRunId", "workflowRunId", "versionFallbackUsed"]
    assert (body["queued"], body["started"], body["status"], body["versionFallbackUsed"]) == (
        True, True, "running", False)
    retry = body_of(await api.get(f"/automations/{TRIAGE}/runs/{body['jobRunId']}"))["data"]["run"]
    assert (retry["retry_of_job_run_id"], retry["source_kind"], retry["status"]) == (
        FAILED_JOB, "manual_retry", "running")
    assert retry["metadata"]["retry_version_mode"] == "latest_published"


@pytest.mark.parametrize("raw, message", [
    (b'{"versionMode":"newest"}', "versionMode must be same_version or latest_published"),
    (b'{"versionMode":null}', "versionMode must be same_version or latest_published"),
    (b"[1]", "versionMode must be same_version or latest_published"),
])
async def test_requeue_checks_the_version_mode(api, raw, message):
    response = await api.internal("POST", f"/api/observability/jobs/{FAILED_JOB}/requeue", data=raw,
                                  headers={"Content-Type": "application/json"})
    assert (response.status, body_of(response)) == (400, {"error": message})


async def test_requeue_same_version_keeps_the_failed_runs_version(api):
    response = await api.internal("POST", f"/api/observability/jobs/{FAILED_JOB}/requeue",
                                  json_body={"versionMode": "same_version"})
    retry = body_of(await api.get(f"/automations/{TRIAGE}/runs/{body_of(response)['jobRunId']}"))["data"]["run"]
    assert retry["flow_version_id"] == "a1c2e3f4-7001-4000-8000-00000000a001"


# -- review finding issues --------------------------------------------------------------------

def _issue_path(finding: str, job: str = SUCCESS_JOB) -> str:
    return f"/api/observability/jobs/{job}/review-findings/{finding}/issue"


async def test_opening_an_issue_from_a_finding_links_it(api):
    response = await api.internal("POST", _issue_path(OPEN_FINDING), json_body={"labels": [" bug ", "", 3]})
    url = "https://github.com/harborlight/web/issues/431"
    assert (response.status, body_of(response)) == (200, {"ok": True, "created": True, "issueNumber": 431,
                                                          "issueUrl": url})
    again = await api.internal("POST", _issue_path(OPEN_FINDING))
    assert body_of(again) == {"ok": True, "created": False, "issueNumber": 431, "issueUrl": url}


@pytest.mark.parametrize("finding, job, status, body", [
    ("nope", SUCCESS_JOB, 500, None),
    (OPEN_FINDING, FAILED_JOB, 404, {"error": "Review finding not found"}),
    (DISMISSED_FINDING, SUCCESS_JOB, 409, {"error": "Review finding is dismissed"}),
    (UNLINKED_FINDING, SUCCESS_JOB, 409, {"error": "Review finding is not linked to a repository"}),
])
async def test_findings_that_cannot_open_an_issue(api, finding, job, status, body):
    response = await api.internal("POST", _issue_path(finding, job))
    assert response.status == status
    assert (body_of(response) if body else response.raw_body) == (body or b"")


async def test_github_failing_to_open_the_issue_leaves_the_finding_open(world_with):
    api = await world_with("github_api: failing\n")
    response = await api.internal("POST", _issue_path(OPEN_FINDING))
    assert (response.status, body_of(response)) == (500, {
        "error": "GitHub issue create failed (503): Service Unavailable"})
    assert (await api.internal("POST", _issue_path(OPEN_FINDING), session="mpx_session_sam_dev_0001")).status == 404
