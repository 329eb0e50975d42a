"""Agent runs (v1 spec §7): start, idempotency, budgets, lifecycle, events, cancel."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from conftest import (
    API_REPO,
    OAUTH,
    OTHER_USER,
    OTHER_USERS_REPO,
    READ_ONLY,
    REPO_ROOT,
    RW,
    SUCCESS_RUN,
    V1,
    WEB_REPO,
    body_of,
    error_body,
)

START = {"repoId": WEB_REPO, "prompt": "Inspect the failing tests and implement the smallest safe fix.",
         "harness": "codex", "baseBranch": "main", "createBranch": True, "rootDirectory": "apps/web"}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_the_docs_quickstart_start_answers_202_with_the_run_inline(api):
    response = await api.start_run(START, key="0c1f7b8e-docs-example")
    assert response.status == 202
    data = body_of(response)["data"]
    assert list(data) == ["runId", "aiCallId", "sandboxRecordId", "sandboxId", "repoId", "harness", "status",
                          "branch", "rootDirectory", "eventsUrl", "cancelUrl", "createdAt", "updatedAt",
                          "error", "runtime", "replayed"]
    run_id = data["runId"]
    assert data["status"] == "pending" and data["replayed"] is False
    assert data["branch"]["createBranch"] is True and data["rootDirectory"] == "apps/web"
    assert data["eventsUrl"] == f"/api/v1/mogplex/runs/{run_id}/events"
    assert data["cancelUrl"] == f"/api/v1/mogplex/runs/{run_id}/cancel"
    assert data["runtime"]["provider"] == "trigger" and data["runtime"]["runId"].startswith("run_")
    assert data["createdAt"] == "2026-05-17T10:00:00+00:00"
    assert data["updatedAt"] == "2026-05-17T10:00:00.279+00:00"
    assert (data["sandboxRecordId"], data["sandboxId"], data["error"]) == (None, None, None)


async def test_generated_branch_is_hashes_of_the_key_and_the_normalized_request(api):
    body = {"repoId": f" {WEB_REPO} ", "prompt": "  Add tests  ", "createBranch": True}
    data = body_of(await api.start_run(body, key="  my-key  "))["data"]
    canonical = json.dumps({
        "baseBranch": "main", "conversationId": None, "createBranch": True, "harness": "codex", "mode": None,
        "prompt": "Add tests", "repoId": WEB_REPO, "rootDirectory": "apps/web", "workspaceSessionId": None,
    }, separators=(",", ":"), sort_keys=True)
    assert data["branch"]["working"] == f"mogplex/external/{sha('my-key')[:8]}-{sha(canonical)[:8]}"


@pytest.mark.parametrize("headers, message", [
    ({}, "Idempotency-Key is required"),
    ({"Idempotency-Key": "   "}, "Idempotency-Key is required"),
    ({"Idempotency-Key": "k" * 201}, "Idempotency-Key exceeds maximum length of 200 characters"),
])
async def test_idempotency_key_header_rules(api, headers, message):
    response = await api.post("/runs", b"{bad json", headers=headers)
    assert response.status == 400
    assert body_of(response) == error_body("BAD_REQUEST", message)


async def test_a_200_char_key_after_trimming_is_accepted(api):
    response = await api.post("/runs", START, headers={"idempotency-key": " " + "k" * 200 + " "})
    assert response.status == 202


@pytest.mark.parametrize("body, status, code, message", [
    (b"{bad", 400, "BAD_REQUEST", "Invalid JSON body"),
    (b"", 400, "BAD_REQUEST", "Invalid JSON body"),
    (b"[]", 400, "BAD_REQUEST", "repoId is required"),
    (b"{}", 400, "BAD_REQUEST", "repoId is required"),
    (b'{"repoId":5}', 400, "BAD_REQUEST", "repoId is required"),
    (b'{"repoId":""}', 503, "SERVICE_UNAVAILABLE", "External Mogplex run rate limit unavailable"),
    (b'{"repoId":"web"}', 503, "SERVICE_UNAVAILABLE", "External Mogplex run rate limit unavailable"),
    (json.dumps({"repoId": OTHER_USERS_REPO}).encode(), 404, "NOT_FOUND", "Repo not found"),
    (json.dumps({"repoId": "{" + WEB_REPO + "}"}).encode(), 404, "NOT_FOUND", "Repo not found"),
    (json.dumps({"repoId": WEB_REPO}).encode(), 400, "BAD_REQUEST", "Prompt is required"),
    (json.dumps({"repoId": WEB_REPO, "prompt": "   "}).encode(), 400, "BAD_REQUEST", "Prompt is required"),
    (json.dumps({"repoId": WEB_REPO, "prompt": "x" * 100_001}).encode(), 400, "BAD_REQUEST", "Prompt is too long"),
    (json.dumps({"repoId": WEB_REPO, "prompt": "p", "harness": "Codex"}).encode(), 400, "BAD_REQUEST", "Invalid harness"),
    (json.dumps({"repoId": WEB_REPO, "prompt": "p", "baseBranch": "HEAD"}).encode(), 400, "BAD_REQUEST", "Invalid base branch"),
    (json.dumps({"repoId": WEB_REPO, "prompt": "p", "rootDirectory": "a//..//b"}).encode(), 400, "BAD_REQUEST",
     "Invalid root directory"),
    (json.dumps({"repoId": WEB_REPO, "prompt": "p", "rootDirectory": ["apps"]}).encode(), 400, "BAD_REQUEST",
     "Invalid root directory"),
    (json.dumps({"repoId": WEB_REPO, "prompt": "p", "workingBranch": "x.lock"}).encode(), 400, "BAD_REQUEST",
     "Invalid working branch"),
    (json.dumps({"repoId": WEB_REPO, "prompt": "p", "createBranch": True, "workingBranch": "main"}).encode(), 400,
     "BAD_REQUEST", "Working branch must differ from base branch when createBranch is true"),
], ids=lambda value: str(value)[:40] if not isinstance(value, bytes) else value[:40].decode())
async def test_start_validation_rows_in_the_servers_order(api, body, status, code, message):
    response = await api.post("/runs", body, headers={"Idempotency-Key": "rows"})
    assert response.status == status
    assert body_of(response) == error_body(code, message)
    if status == 503:
        assert response.headers["Retry-After"] == "60"


async def test_a_json_null_body_crashes_the_handler_into_an_empty_500(api):
    response = await api.post("/runs", b"null", headers={"Idempotency-Key": "n"})
    assert response.status == 500
    assert response.raw_body == b""


async def test_non_strings_are_ignored_and_harness_defaults(api):
    body = {"repoId": API_REPO, "prompt": "p", "harness": 7, "baseBranch": False, "createBranch": "true",
            "conversationId": 3, "unknown": {"x": 1}}
    data = body_of(await api.start_run(body))["data"]
    assert (data["harness"], data["branch"]) == ("codex", {"base": "main", "working": "main", "createBranch": False})


async def test_same_key_same_normalized_request_replays_the_current_state(make_api):
    api = await make_api("step:1")
    first = body_of(await api.start_run(START, key="same"))["data"]
    reordered = {"createBranch": True, "rootDirectory": "/apps/web/", "prompt": f"  {START['prompt']} ",
                 "repoId": WEB_REPO, "baseBranch": "main"}  # default harness, other order, untrimmed
    for _ in range(3):
        await api.get(f"/runs/{first['runId']}")
    replay = await api.start_run(reordered, key="same")
    assert replay.status == 202
    data = body_of(replay)["data"]
    assert data["replayed"] is True and data["runId"] == first["runId"]
    assert data["status"] == "streaming"  # the run as it is now, not as it was
    events = body_of(await api.get(f"/runs/{first['runId']}/events"))["data"]["events"]
    assert [event["type"] for event in events].count("started") == 1


async def test_same_key_different_request_is_an_idempotency_conflict(api):
    await api.start_run(START, key="k")
    response = await api.start_run({**START, "prompt": "something else"}, key="k")
    assert response.status == 409
    assert body_of(response) == error_body("IDEMPOTENCY_CONFLICT", "Idempotency key already used for a different request")


async def test_idempotency_is_per_user_not_per_token(api):
    first = body_of(await api.start_run(START, key="shared", token=RW))["data"]
    via_oauth = body_of(await api.start_run(START, key="shared", token=OAUTH))["data"]
    assert via_oauth["runId"] == first["runId"] and via_oauth["replayed"] is True
    other = await api.start_run({**START, "repoId": OTHER_USERS_REPO}, key="shared", token=OTHER_USER)
    assert body_of(other)["data"]["replayed"] is False


async def test_ten_starts_a_minute_per_key_with_a_computed_retry_after(make_api):
    api = await make_api("step:1")  # request n is served at n seconds
    for index in range(10):
        assert (await api.start_run(START, key=f"k{index}")).status == 202
    limited = await api.start_run(START, key="k10")
    assert limited.status == 429
    assert body_of(limited) == error_body("RATE_LIMITED", "External Mogplex run rate limit exceeded")
    # The oldest claim was made at t=1 and the refusal comes at t=11: 50 s remain.
    assert limited.headers["Retry-After"] == "50"
    # Budgets are per (user, key): the OAuth client of the same user still has its own.
    assert (await api.start_run(START, key="k11", token=OAUTH)).status == 202


async def test_claims_are_not_refunded_for_replays_and_failures(make_api):
    api = await make_api()
    await api.start_run(START, key="one")
    for _ in range(4):
        await api.start_run(START, key="one")                      # replays
    for _ in range(5):
        await api.start_run({"repoId": OTHER_USERS_REPO}, key="x")  # 404s
    limited = await api.start_run(START, key="fresh")
    assert limited.status == 429 and limited.headers["Retry-After"] == "60"


async def test_hourly_budget_uses_the_hour_window(make_api):
    api = await make_api("step:7")  # 10 per minute never trips at one start per 7 s
    statuses = [(await api.start_run(START, key=f"h{index}")).status for index in range(31)]
    assert statuses == [202] * 30 + [429]
    limited = await api.start_run(START, key="h-last")
    assert body_of(limited)["error"]["message"] == "External Mogplex run rate limit exceeded"
    assert int(limited.headers["Retry-After"]) == 3600 - (32 - 1) * 7


async def test_a_run_moves_through_its_lifecycle_over_simulated_time(make_api):
    api = await make_api("step:1")
    run_id = body_of(await api.start_run(START))["data"]["runId"]
    seen = []
    for _ in range(40):
        run = body_of(await api.get(f"/runs/{run_id}"))["data"]["run"]
        if not seen or seen[-1] != run["status"]:
            seen.append(run["status"])
    assert seen == ["pending", "streaming", "success"]
    assert run["sandboxRecordId"] is not None and run["sandboxId"].startswith("sbx_")
    events = body_of(await api.get(f"/runs/{run_id}/events"))["data"]["events"]
    assert [event["type"] for event in events] == [
        "started", "status_changed", "tool_started", "tool_finished", "log", "tool_started", "tool_finished",
        "tool_started", "tool_finished", "finished"]
    assert events[0] == {"id": events[0]["id"], "type": "started", "toolName": None,
                         "message": "External Mogplex run accepted",
                         "payload": {"external_run_id": run_id, "harness_id": "codex",
                                     "working_branch": run["branch"]["working"]},
                         "createdAt": "2026-05-17T10:00:01+00:00"}
    assert run["updatedAt"] == events[-1]["createdAt"] == "2026-05-17T10:00:24+00:00"
    # The sandbox the run booted is now listed by the sandbox routes too.
    sandboxes = body_of(await api.get(f"/sandboxes?repo_id={WEB_REPO}"))["data"]["sandboxes"]
    assert run["sandboxRecordId"] in [sandbox["id"] for sandbox in sandboxes]


async def test_a_prompt_with_the_failure_marker_ends_failed(make_api):
    api = await make_api("step:5")
    run_id = body_of(await api.start_run({**START, "prompt": "break it [mockplex:fail]"}))["data"]["runId"]
    for _ in range(6):
        run = body_of(await api.get(f"/runs/{run_id}"))["data"]["run"]
    assert run["status"] == "failed"
    assert run["error"] == "Harness exited with code 1: the test command failed"
    last = body_of(await api.get(f"/runs/{run_id}/events"))["data"]["events"][-1]
    assert (last["type"], last["message"], last["payload"]) == (
        "failed", "External Mogplex run failed", {"error": run["error"]})


async def test_cancel_an_active_run_then_again(make_api):
    api = await make_api("step:1")
    run_id = body_of(await api.start_run(START))["data"]["runId"]
    for _ in range(4):
        await api.get(f"/runs/{run_id}")
    first = await api.post(f"/runs/{run_id}/cancel", headers={"Content-Type": "text/plain"}, data=b"ignored")
    assert first.status == 200
    data = body_of(first)["data"]
    assert list(data) == ["run", "status", "alreadyTerminal"]
    assert (data["status"], data["alreadyTerminal"], data["run"]["status"]) == ("cancelled", False, "cancelled")
    again = body_of(await api.post(f"/runs/{run_id}/cancel"))["data"]
    assert (again["status"], again["alreadyTerminal"]) == ("cancelled", True)
    events = body_of(await api.get(f"/runs/{run_id}/events"))["data"]["events"]
    assert [event["type"] for event in events][-2:] == ["cancel_requested", "cancelled"]
    assert events[-1]["message"] == "External Mogplex run cancelled"
    assert set(events[-1]["payload"]) == {"external_run_id", "runtime_command_id"}
    # Terminal runs never move again.
    for _ in range(30):
        assert body_of(await api.get(f"/runs/{run_id}"))["data"]["run"]["status"] == "cancelled"


async def test_cancel_a_finished_run_is_already_terminal(api):
    response = await api.post(f"/runs/{SUCCESS_RUN}/cancel")
    assert body_of(response)["data"]["status"] == "success"
    assert body_of(response)["data"]["alreadyTerminal"] is True


@pytest.mark.parametrize("suffix, failure", [("", "Failed to load run"), ("/events", "Failed to list events"),
                                             ("/cancel", "Failed to cancel run")])
async def test_run_routes_404_when_not_owned_and_500_on_non_uuid(api, suffix, failure):
    method = "POST" if suffix == "/cancel" else "GET"
    missing = await api.call(method, f"{V1}/runs/{SUCCESS_RUN}{suffix}", OTHER_USER)
    assert (missing.status, body_of(missing)) == (404, error_body("NOT_FOUND", "Run not found"))
    broken = await api.call(method, f"{V1}/runs/run_x1y2z3{suffix}", RW)
    assert (broken.status, body_of(broken)) == (500, error_body("INTERNAL_ERROR", failure))


async def test_cancel_needs_write_but_reads_need_no_scope(api):
    forbidden = await api.post(f"/runs/{SUCCESS_RUN}/cancel", token=READ_ONLY)
    assert forbidden.status == 403
    assert (await api.get(f"/runs/{SUCCESS_RUN}", token=READ_ONLY)).status == 200


async def test_events_are_oldest_first_limited_and_sanitized(api):
    response = await api.get(f"/runs/{SUCCESS_RUN}/events?limit=3")
    events = body_of(response)["data"]["events"]
    assert [event["type"] for event in events] == ["started", "status_changed", "tool_started"]
    assert events[1]["payload"] == {
        "from": "pending", "to": "streaming", "sandbox_id": "sbx_8d2kq7wz1m4p",
        "runtime_env": "[redacted]", "github_token": "[redacted]", "input_tokens": "[redacted]",
        "clone_url": "https://x-access-token:[redacted]@github.example.dev/harborlight/web.git"}
    assert events[2]["payload"]["headers"] == "Authorization: Bearer [redacted]"
    assert events[2]["toolName"] == "bash"
    assert b"sk-mockplexDevOnly" not in response.raw_body and b"ghs_" not in response.raw_body


async def test_daily_quota_has_its_own_message(make_api):
    api = await make_api("step:121")  # slow enough for the minute and hour windows
    for index in range(150):
        assert (await api.start_run(START, key=f"d{index}")).status == 202
    limited = await api.start_run(START, key="d150")
    assert body_of(limited) == error_body("RATE_LIMITED", "Daily external Mogplex run quota exceeded")
    assert limited.headers["Retry-After"] == str(86400 - 150 * 121)



async def test_a_run_whose_sandbox_cannot_boot_fails_with_the_launch_error(make_api):
    api = await make_api("step:2")
    run_id = body_of(await api.start_run({"repoId": "2d8e6f4a-9c3b-4a5d-9e7f-ab4c8d3a5e92", "prompt": "p"}))["data"]["runId"]
    for _ in range(3):
        run = body_of(await api.get(f"/runs/{run_id}"))["data"]["run"]
    assert run["status"] == "failed"
    assert run["error"] == "Sandbox launch failed: Install step exited with code 1: ERR_PNPM_OUTDATED_LOCKFILE"
    events = body_of(await api.get(f"/runs/{run_id}/events"))["data"]["events"]
    assert [event["type"] for event in events] == ["started", "failed"]


async def test_a_missing_runtime_fails_the_start_and_a_replay_returns_the_failed_run(make_api, tmp_path):
    world = tmp_path / "world"
    shutil.copytree(REPO_ROOT / "fixtures", world)
    (world / "world.yaml").write_text("name: no-runtime\ntrigger_runtime: missing\n")
    api = await make_api(fixtures_dir=world)
    first = await api.start_run(START, key="rt")
    assert (first.status, body_of(first)) == (500, error_body("INTERNAL_ERROR", "Failed to start run"))
    replay = await api.start_run(START, key="rt")
    data = body_of(replay)["data"]
    assert replay.status == 202 and data["replayed"] is True
    assert (data["status"], data["error"], data["runtime"]) == (
        "failed", "Trigger.dev runtime is not configured", {"provider": None, "runId": None})
