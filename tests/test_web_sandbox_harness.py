"""POST /api/sandbox/{id}/harness: the server's checks in order, prepareOnly, and the played
harness run's stream, with its AI call in /api/observability/calls."""

from __future__ import annotations

import json

import pytest
from conftest import OTHER_USER, RUNNING_SANDBOX, WEB_REPO, Api, body_of

from mockplex import state
from mockplex.handlers.observability_sanitize import incident_id, present_failure

OTHER_USERS = "8b4c6dae-5f70-4192-bdce-3f4a5b6c7d8e"
MISSING = "00000000-0000-4000-8000-000000000000"
STRANGERS_TEAM = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
PATH = f"/api/sandbox/{RUNNING_SANDBOX}/harness"
RUN = {"harness": "claude-code", "prompt": "  Explain the build  "}
SSE = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "Connection": "keep-alive"}
ANTHROPIC_REFUSED = ("Hosted AI requires a positive billing balance. Add funds or choose a plan in Settings > "
                     "Billing, or add your own Anthropic or AI Gateway key in Settings > API Keys.")


def world(api: Api):
    return api.client.server.app[state.WORLD]


def frames(raw: bytes) -> list:
    assert raw.endswith(b"\n\n")
    blocks = raw[:-2].split(b"\n\n")
    assert all(block.startswith(b"data: ") for block in blocks)
    return [json.loads(block[len(b"data: "):]) for block in blocks]


async def harness(api: Api, body, sandbox: str = RUNNING_SANDBOX, **kwargs):
    return await api.internal("POST", f"/api/sandbox/{sandbox}/harness", json_body=body, **kwargs)


async def listed(api: Api, call_id: str) -> dict:
    calls = body_of(await api.internal("GET", "/api/observability/calls"))["calls"]
    return next(item for item in calls if item["id"] == call_id)


# -- the checks, in the server's order ----------------------------------------------------------

async def test_credentials_come_first(api):
    nobody = await harness(api, "not json", session=None)
    assert (nobody.status, nobody.headers["Location"].split("?")[0].endswith("/login")) == (307, True)
    foreign = await harness(api, "not json", headers={"x-mogplex-team-id": STRANGERS_TEAM})
    assert (foreign.status, body_of(foreign)) == (
        403, {"error": "Your team role does not allow this sandbox operation (tools.bash)."})


@pytest.mark.parametrize(("body", "message"), [
    ("not json", "Invalid JSON body"), ("", "Invalid JSON body"),
    ({"prompt": "hi"}, "Invalid harness"), ({"harness": "mogplex", "prompt": "hi"}, "Invalid harness"),
    ([1], "Invalid harness"), ({"harness": ["codex"], "prompt": "hi"}, "Invalid harness"),
    ({"harness": "codex"}, "Prompt is required"), ({"harness": "codex", "prompt": " \n\u00a0"}, "Prompt is required"),
    ({"harness": "codex", "prompt": 7}, "Prompt is required"),
])
async def test_body_checks_come_before_the_sandbox(api, body, message):
    answer = await harness(api, body, sandbox=MISSING)
    assert (answer.status, body_of(answer)) == (400, {"error": message})


async def test_null_body_and_a_mode_without_trim_are_uncaught(api):
    assert (await harness(api, "null")).status == 500
    answer = await harness(api, {**RUN, "mode": 3}, sandbox=MISSING)
    assert (answer.status, answer.raw_body) == (500, b"")


@pytest.mark.parametrize("sandbox", [OTHER_USERS, MISSING, "not-a-uuid"])
async def test_not_owned_is_not_found(api, sandbox):
    answer = await harness(api, RUN, sandbox=sandbox)
    assert (answer.status, body_of(answer)) == (404, {"error": "Not found"})


async def test_no_ai_access_is_401_and_creates_no_call(api):
    world(api).users[DANA].platform_ai = False
    before = body_of(await api.internal("GET", "/api/observability/calls"))["total"]
    answer = await harness(api, RUN)
    assert (answer.status, body_of(answer)) == (401, {"error": ANTHROPIC_REFUSED})
    assert body_of(await api.internal("GET", "/api/observability/calls"))["total"] == before


@pytest.mark.parametrize(("ai_call", "status", "message"), [
    ("9f9e9d9c-0000-4000-8000-000000000001", 404, "ai_call not found"),
])
async def test_a_named_ai_call_must_exist(api, ai_call, status, message):
    answer = await harness(api, {**RUN, "aiCallId": f" {ai_call} "})
    assert (answer.status, body_of(answer)) == (status, {"error": message})


async def test_a_run_s_ai_call_cannot_be_claimed(api):
    run = body_of(await api.start_run({"repoId": WEB_REPO, "prompt": "Fix it"}))["data"]
    answer = await harness(api, {**RUN, "aiCallId": run["aiCallId"]})
    assert (answer.status, body_of(answer)) == (409, {"error": "ai_call is not available for this harness run"})


# -- prepareOnly and a pending sandbox ------------------------------------------------------------

async def test_prepare_only_answers_the_call_id_and_lists_a_pending_cli_call(api):
    answer = await harness(api, {**RUN, "prepareOnly": True, "mode": " yolo ", "conversationId": "conv-1"})
    assert answer.status == 200
    call_id = body_of(answer)["aiCallId"]
    assert list(body_of(answer)) == ["aiCallId"]
    row = await listed(api, call_id)
    assert (row["type"], row["model"], row["status"], row["repo_id"], row["conversation_id"]) == (
        "agent", "harness:claude-code", "pending", WEB_REPO, "conv-1")
    assert row["metadata"] == {"source": "cli", "harness_id": "claude-code", "harness_mode": "YOLO",
                               "sandbox_record_id": RUNNING_SANDBOX, "sandbox_id": "sbx_8d2kq7wz1m4p",
                               "repo": "harborlight/web", "product_team_id": None,
                               "ai_billing_source": "platform_ai_gateway", "prepared": True}
    # The prepared call is claimed by the run that follows, once.
    ran = await harness(api, {**RUN, "aiCallId": call_id})
    assert (ran.status, frames(ran.raw_body)[0]) == (200, {"type": "run", "ai_call_id": call_id})
    again = await harness(api, {**RUN, "aiCallId": call_id})
    assert (again.status, body_of(again)) == (409, {"error": "ai_call is not available for this harness run"})


async def test_a_prepared_call_belongs_to_its_sandbox_and_harness(api):
    call_id = body_of(await harness(api, {**RUN, "prepareOnly": True}))["aiCallId"]
    answer = await harness(api, {"harness": "codex", "prompt": "x", "aiCallId": call_id})
    assert (answer.status, body_of(answer)) == (409, {"error": "ai_call is not available for this harness run"})


async def test_a_pending_sandbox_is_not_ready_after_the_call_is_made(api):
    world(api).sandboxes[RUNNING_SANDBOX].sandbox_id = "pending"
    before = body_of(await api.internal("GET", "/api/observability/calls"))["total"]
    answer = await harness(api, RUN)
    assert (answer.status, body_of(answer)) == (409, {"error": "Sandbox is not ready"})
    assert body_of(await api.internal("GET", "/api/observability/calls"))["total"] == before + 1


# -- the run ------------------------------------------------------------------------------------

async def test_the_run_streams_install_session_logs_and_done(api):
    answer = await harness(api, RUN)
    assert answer.status == 200
    assert {name: answer.headers[name] for name in SSE} == SSE
    sent = frames(answer.raw_body)
    call_id = sent[0]["ai_call_id"]
    session = sent[2]["sessionId"]
    answer_text = "I looked into: Explain the build\nNo code changes were needed."
    assert sent == [
        {"type": "run", "ai_call_id": call_id},
        {"type": "install", "data": "added 3 packages in 4s"},
        {"type": "session", "sessionId": session},
        {"type": "log", "stream": "stdout",
         "data": json.dumps({"type": "system", "subtype": "init", "session_id": session},
                            separators=(",", ":")) + "\n"},
        {"type": "log", "stream": "stdout", "data": json.dumps(
            {"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": answer_text}]},
             "session_id": session}, separators=(",", ":")) + "\n"},
        {"type": "log", "stream": "stdout", "data": json.dumps(
            {"type": "result", "subtype": "success", "is_error": False, "result": answer_text,
             "session_id": session}, separators=(",", ":")) + "\n"},
        {"type": "done", "exitCode": 0, "error": None, "failureCode": None},
    ]
    row = await listed(api, call_id)
    assert (row["status"], row["error"], row["control_state"], row["runtime_command_id"].startswith("cmd_")) == (
        "success", None, "active", True)
    assert (row["metadata"]["prepared"], row["metadata"]["working_branch"], row["metadata"]["pull_request_url"],
            row["metadata"]["auto_committed_files"]) == (False, "agent/docs-refresh", None, [])
    # The package is installed once per VM; a resumed session keeps its id.
    second = frames((await harness(api, {**RUN, "resumeSessionId": "sess-42"})).raw_body)
    assert [frame["type"] for frame in second] == ["run", "session", "log", "log", "log", "done"]
    assert second[1] == {"type": "session", "sessionId": "sess-42"}


async def test_codex_speaks_its_own_lines(api):
    sent = frames((await harness(api, {"harness": "codex", "prompt": "hi"})).raw_body)
    assert sent[1] == {"type": "install", "data": "added 1 package in 2s"}
    assert sent[2]["type"] == "session"
    assert json.loads(sent[3]["data"]) == {"type": "thread.started", "thread_id": sent[2]["sessionId"]}
    assert sent[-1] == {"type": "done", "exitCode": 0, "error": None, "failureCode": None}


async def test_a_sandbox_on_its_base_branch_gets_an_agent_branch(api):
    target = world(api).sandboxes[RUNNING_SANDBOX]
    target.working_branch = target.base_branch
    sent = frames((await harness(api, RUN)).raw_body)
    branch = "mogplex/agent-" + sent[0]["ai_call_id"].replace("-", "")[:12]
    assert target.working_branch == branch
    assert (await listed(api, sent[0]["ai_call_id"]))["metadata"]["working_branch"] == branch


async def test_a_stopped_vm_is_410_and_the_call_fails(api):
    world(api).sandboxes[RUNNING_SANDBOX].status = "stopped"
    answer = await harness(api, RUN)
    assert (answer.status, body_of(answer)) == (410, {"error": "Sandbox has stopped. Launch a new sandbox to continue."})
    calls = body_of(await api.internal("GET", "/api/observability/calls"))["calls"]
    mine = next(item for item in calls if item["model"] == "harness:claude-code")
    # The list shows the stored error through the server's user-facing pass.
    presented = present_failure("Sandbox has stopped", incident_id("call", mine["id"]))
    assert (mine["status"], mine["error"], world(api).sandboxes[RUNNING_SANDBOX].status) == (
        "failed", presented, "stopped")


async def test_without_github_access_the_run_fails(world_api):
    api = await world_api(github_api="failing")
    answer = await harness(api, RUN)
    message = ("GitHub access is required before an agent can deliver changes. Reconnect the repository, "
               "then retry.")
    assert (answer.status, body_of(answer)) == (500, {"error": message})


async def test_a_pat_caller_runs_its_own_sandbox(api):
    answer = await harness(api, RUN, sandbox=OTHER_USERS, session=None, token=OTHER_USER)
    assert answer.status == 200

