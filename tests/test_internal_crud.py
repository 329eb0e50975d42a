"""The web app's CRUD routes: agents, skills, rules, commands, triggers, assignments,
connections, flow writes, and the observability job views."""

from __future__ import annotations

import json
import pytest
from conftest import RW, WEB_REPO, body_of

TRIAGE = "a1c2e3f4-0b1d-4e6f-8a2c-3d4e5f6a7b81"
FLAKY_AGENT = "9ef5d0b1-03a2-41c4-a5e6-12b3f4a0c509"
AGENT = {"name": "Docs Bot", "model": "openai/gpt-5-mini", "category": "code-quality", "description": "Docs"}


# -- agents ---------------------------------------------------------------------------------

async def test_agents_are_presets_then_rows(api):
    agents = body_of(await api.internal("GET", "/api/agents"))
    presets = [agent for agent in agents if agent.get("is_preset")]
    assert len(presets) == 41 and presets[0]["created_at"] == "1970-01-01T00:00:00.000Z"
    assert next(p for p in presets if p["name"] == "PR-REVIEWER")["has_fork"] is True
    rows = agents[41:]
    assert [row["name"] for row in rows] == ["Release Notes Writer", "Harborlight PR Reviewer", "Flaky Test Hunter"]
    assert list(rows[0]) == ["id", "user_id", "name", "model", "system_prompt", "created_at", "source_template",
                             "description", "category", "slug"]


async def test_agent_created_on_the_web_is_a_v1_agent(api):
    created = body_of(await api.internal("POST", "/api/agents", json_body=AGENT))
    assert created["slug"] is None
    v1 = body_of(await api.get("/agents"))["data"]["agents"]
    assert created["id"] in [agent["id"] for agent in v1]
    updated = await api.internal("PUT", "/api/agents", json_body={**AGENT, "id": created["id"], "name": "Docs Bot 2"})
    assert body_of(updated)["name"] == "Docs Bot 2"
    assert body_of(await api.internal("DELETE", f"/api/agents?id={created['id']}")) == {"ok": True}
    assert created["id"] not in [agent["id"] for agent in body_of(await api.get("/agents"))["data"]["agents"]]


@pytest.mark.parametrize("change, message", [
    ({"name": " "}, "Name is required"), ({"name": "n" * 61}, "Name must be 60 characters or less"),
    ({"description": "d" * 201}, "Description must be 200 characters or less"),
    ({"category": None}, "Category is required"), ({"category": "misc"}, "Invalid category"),
    ({"system_prompt": "p" * 50_001}, "System prompt is too long"), ({"model": ""}, "Model is required"),
])
async def test_agent_rows(api, change, message):
    response = await api.internal("POST", "/api/agents", json_body={**AGENT, **change})
    assert (response.status, body_of(response)) == (400, {"error": message})


async def test_agent_update_and_delete_rows(api):
    bad = await api.internal("PUT", "/api/agents", json_body={**AGENT, "id": "a0f6e1c2-14b3-42d5-b6f7-23c4a5b1d61a"})
    assert (bad.status, body_of(bad)) == (500, {"error": "JSON object requested, multiple (or no) rows returned"})
    missing = await api.internal("DELETE", "/api/agents")
    assert (missing.status, body_of(missing)) == (400, {"error": "Missing id"})


async def test_roster_and_summary(api):
    roster = body_of(await api.internal("GET", "/api/agents/roster"))
    assert len(roster) == 43 and roster[0] == {"id": "preset:NEXTJS-REVIEWER", "name": "NEXTJS-REVIEWER",
                                               "description": roster[0]["description"], "status": "idle",
                                               "cycleCount": 0, "lastActivity": None}
    assert body_of(await api.internal("GET", "/api/agents/roster/summary")) == {}


async def test_generate_streams_plain_text(api):
    response = await api.internal("POST", "/api/agents/generate", json_body={"description": "review migrations"})
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert json.loads(response.raw_body)["description"] == "review migrations"
    for body, message in (({}, "description is required"), ({"description": "d" * 2001}, "Description too long (max 2000)"),
                          ({"description": "x", "generatorModel": "google/gemini-2.5-pro"},
                           "generatorModel must be enabled and available")):
        refused = await api.internal("POST", "/api/agents/generate", json_body=body)
        assert (refused.status, body_of(refused)) == (400, {"error": message})


# -- skills, rules, commands -----------------------------------------------------------------------

async def test_skills_crud_and_search(api):
    created = body_of(await api.internal("POST", "/api/skills", json_body={
        "name": "Release checklist", "description": "d", "content": "c", "is_public": False, "tags": ["ops"]}))
    assert list(created) == ["id", "user_id", "name", "description", "type", "content", "model", "is_public", "tags",
                             "usage_count", "created_at", "updated_at", "scope"]
    assert created["scope"] == "global"
    assert [s["id"] for s in body_of(await api.internal("GET", "/api/skills?q=release"))] == [created["id"]]
    assert body_of(await api.internal("GET", "/api/skills?q=nothing")) == []
    updated = await api.internal("PUT", "/api/skills", json_body={"id": created["id"], "content": "new"})
    assert body_of(updated)["content"] == "new"
    missing = await api.internal("PUT", "/api/skills", json_body={"id": "nope", "content": "x"})
    assert (missing.status, body_of(missing)) == (500, {"error": 'invalid input syntax for type uuid: "nope"'})
    assert body_of(await api.internal("DELETE", f"/api/skills?id={created['id']}")) == {"ok": True}


async def test_rules_switch_tables(api):
    rule = body_of(await api.internal("POST", "/api/rules", json_body={"name": "No any", "content": "c", "type": "lint"}))
    skill = body_of(await api.internal("POST", "/api/rules", json_body={"name": "S", "content": "c",
                                                                         "table": "agent_skills"}))
    assert [r["id"] for r in body_of(await api.internal("GET", "/api/rules"))] == [rule["id"]]
    assert [r["id"] for r in body_of(await api.internal("GET", "/api/rules?table=agent_skills"))] == [skill["id"]]
    assert list(rule) == ["id", "user_id", "name", "content", "type", "created_at"]
    missing = await api.internal("DELETE", "/api/rules")
    assert (missing.status, body_of(missing)) == (400, {"error": "Missing id"})


async def test_commands_are_crud_not_a_stream(api):
    created = await api.internal("POST", "/api/commands", json_body={"name": "ship", "description": "d",
                                                                      "template": "Ship {{branch}}"})
    assert created.headers["Content-Type"] == "application/json"
    assert list(body_of(created)) == ["id", "user_id", "name", "description", "template", "created_at"]
    assert len(body_of(await api.internal("GET", "/api/commands"))) == 1
    assert body_of(await api.internal("DELETE", f"/api/commands?id={body_of(created)['id']}")) == {"ok": True}


# -- triggers and assignments ----------------------------------------------------------------------

async def test_triggers_lifecycle(api):
    created = await api.internal("POST", "/api/triggers", json_body={"installation_id": 48213,
                                                                      "agent_id": FLAKY_AGENT, "event": "pr_opened"})
    assert created.status == 201
    trigger = body_of(created)
    assert trigger["agents"]["name"] == "Flaky Test Hunter" and "last_run_status" not in trigger
    updated = await api.internal("PUT", "/api/triggers", json_body={"id": trigger["id"], "enabled": False})
    assert body_of(updated)["enabled"] is False
    assert len(body_of(await api.internal("GET", "/api/triggers"))) == 1
    assert body_of(await api.internal("DELETE", f"/api/triggers?id={trigger['id']}")) == {"ok": True}


@pytest.mark.parametrize("body, status, message", [
    ({"installation_id": 48213}, 400, "Missing required fields"),
    ({"installation_id": 48213, "event": "push"}, 400, "Missing required fields"),
    ({"installation_id": 48213, "event": "push", "agent_id": 7}, 400, "agent_id is required"),
    ({"installation_id": 60934, "event": "push", "agent_id": FLAKY_AGENT}, 404, "Installation not found"),
    ({"installation_id": 48213, "event": "push", "agent_id": "a0f6e1c2-14b3-42d5-b6f7-23c4a5b1d61a"}, 404,
     "Agent not found"),
])
async def test_trigger_rows(api, body, status, message):
    response = await api.internal("POST", "/api/triggers", json_body=body)
    assert (response.status, body_of(response)) == (status, {"error": message})


async def test_assignments_are_gone(api):
    response = await api.internal("POST", "/api/assignments", json_body={})
    assert response.status == 410
    assert body_of(response) == {"error": "Assignments have been replaced by automations. Create a flow in the "
                                          "automations editor instead."}
    assert body_of(await api.internal("GET", "/api/assignments")) == []
    assert (await api.internal("POST", "/api/assignments", session=None)).status == 307


# -- flows writes -----------------------------------------------------------------------------------

async def test_flow_status_and_edits(api):
    docs = "c3e4a5b6-2d3f-4081-8c4e-5f6a7b8c9da3"
    activated = await api.internal("PUT", f"/api/flows/{docs}", json_body={"status": "active"})
    assert body_of(activated)["status"] == "active"
    assert body_of(await api.get(f"/automations/{docs}"))["data"]["automation"]["status"] == "active"
    draft_only = await api.internal("PUT", "/api/flows/b2d3f4a5-1c2e-4f70-9b3d-4e5f6a7b8c92",
                                    json_body={"status": "active"})
    assert body_of(draft_only)["code"] == "FLOW_UNPUBLISHED_ACTIVATION"
    assert body_of(await api.internal("PUT", f"/api/flows/{docs}", json_body={"status": "on"})) == {
        "error": "Invalid status"}
    renamed = await api.internal("PUT", f"/api/flows/{docs}", json_body={"name": "Docs refresher v2"})
    assert body_of(renamed)["name"] == "Docs refresher v2"
    run = body_of(await api.internal("GET", f"/api/flows/{TRIAGE}/runs/e5a6c7d8-4f51-42a3-8e60-7b8c9daebfc5"))
    assert run["run"]["status"] == "success"
    missing = await api.internal("GET", f"/api/flows/{TRIAGE}/runs/00000000-0000-4000-8000-000000000000")
    assert body_of(missing) == {"error": "Run not found", "code": "FLOW_RUN_NOT_FOUND"}
    assert body_of(await api.internal("DELETE", f"/api/flows/{docs}")) == {"ok": True}
    assert (await api.get(f"/automations/{docs}")).status == 404


# -- connections ----------------------------------------------------------------------------------------

async def test_connections_are_the_connection_backed_mcp_servers(api):
    listed = body_of(await api.internal("GET", "/api/connections"))["connections"]
    assert [c["name"] for c in listed] == ["github", "linear"]
    created = await api.internal("POST", "/api/connections", json_body={"source_preset": "supabase",
                                                                         "credentials": "sbp_dev"})
    assert created.status == 201
    connection = body_of(created)["connection"]
    cli = body_of(await api.internal("GET", "/api/mcp-servers?format=cli", session=None, token=RW))
    assert "Supabase" in [server["name"] for server in cli]
    again = await api.internal("POST", "/api/connections", json_body={"source_preset": "supabase",
                                                                       "credentials": "sbp_dev"})
    assert again.status == 409 and body_of(again)["code"] == "PRESET_ALREADY_CONNECTED"
    disabled = await api.internal("PATCH", "/api/connections", json_body={"id": connection["id"], "is_enabled": False})
    assert body_of(disabled) == {"ok": True}
    cli = body_of(await api.internal("GET", "/api/mcp-servers?format=cli", session=None, token=RW))
    assert "Supabase" not in [server["name"] for server in cli]
    tested = body_of(await api.internal("POST", f"/api/connections/{connection['id']}/test"))
    assert tested["healthy"] is True
    assert body_of(await api.internal("DELETE", "/api/connections", json_body={"id": connection["id"]})) == {"ok": True}


@pytest.mark.parametrize("method, body, status, answer", [
    ("POST", {"source_preset": "nope"}, 400, {"error": "Unknown connection preset", "code": "INVALID_CONNECTION"}),
    ("POST", {"type": "mcp_server", "name": " "}, 400,
     {"error": "Connection name is required", "code": "INVALID_CONNECTION"}),
    ("POST", {"name": "x", "scope": "project"}, 400,
     {"error": "repo_id is required for project-scoped connections", "code": "INVALID_CONNECTION"}),
    ("PATCH", {"is_enabled": True}, 400, {"error": "id required"}),
    ("PATCH", {"id": "x", "is_enabled": "yes"}, 403, {"error": "Forbidden"}),
    ("DELETE", {"id": "not-mine"}, 403, {"error": "Forbidden"}),
])
async def test_connection_rows(api, method, body, status, answer):
    response = await api.internal(method, "/api/connections", json_body=body)
    assert (response.status, body_of(response)) == (status, answer)


# -- observability job views ---------------------------------------------------------------------------

async def test_jobs_events_failures_and_tool_calls(make_api):
    api = await make_api("step:2")
    triggered = await api.post(f"/automations/{TRIAGE}/trigger", {"repoId": WEB_REPO},
                               headers={"Idempotency-Key": "obs-1"})
    job_id = body_of(triggered)["data"]["run"]["jobRunId"]
    jobs = body_of(await api.internal("GET", "/api/observability/jobs"))
    assert jobs["total"] == 3 and jobs["jobs"][0]["id"] == job_id
    assert "node_runs" not in jobs["jobs"][0] and jobs["jobs"][0]["latest_ai_call"]["status"] == "streaming"
    detail = body_of(await api.internal("GET", f"/api/observability/jobs/{job_id}"))["run"]
    assert detail["dispatch_events"][0]["event_kind"] == "enqueue"
    missing = await api.internal("GET", "/api/observability/jobs/00000000-0000-4000-8000-000000000000")
    assert body_of(missing) == {"error": "Job run not found"}
    events = body_of(await api.internal("GET", "/api/observability/automation-events"))
    assert events["events"][0]["job_run_id"] == job_id and events["events"][0]["installation_id"] == 48213
    failures = body_of(await api.internal("GET", "/api/observability/automation-failures"))
    assert failures["summary"]["failedTotal"] == 1 and failures["limit"] == 25
    assert failures["records"][0]["repo"]["fullName"] == "harborlight/api"
    await api.start_run({"repoId": WEB_REPO, "prompt": "tools please"})
    for _ in range(15):
        tools = body_of(await api.internal("GET", "/api/observability/tool-calls"))
    assert tools and tools[0]["name"] == "bash" and tools[0]["id"].endswith("-0")


# -- GitHub sync views, sandbox children, the team header, catch-alls ------------------------------------

async def test_github_repos_and_pulls(api):
    repos = body_of(await api.internal("GET", "/api/github/repos"))
    assert [repo["full_name"] for repo in repos][0] == "dana-okafor/dotfiles"
    assert "workspace" not in repos[0] and "github_access_state" not in repos[0]
    refused = await api.internal("GET", "/api/github/repos", session="mpx_session_robin_dev_0001")
    assert (refused.status, body_of(refused)) == (400, {"error": "NO_GITHUB_CONNECTION"})
    pulls = body_of(await api.internal("GET", f"/api/github/pulls?repo_id={WEB_REPO}"))
    assert pulls["pulls"][0]["number"] == 418 and pulls["diff"].startswith("diff --git")
    assert body_of(await api.internal("GET", "/api/github/pulls?repo_id=nope")) == {"pulls": [], "diff": None}


async def test_sandbox_exec_json_and_stream_then_delete(api):
    sandbox = "5e1f3a7b-2c4d-4e6f-8a9b-0c1d2e3f4a5b"
    plain = await api.internal("POST", f"/api/sandbox/{sandbox}/exec", json_body={"command": "echo hi"})
    assert body_of(plain) == {"exitCode": 0, "stdout": "hi\n", "stderr": "", "cwd": "apps/web"}
    streamed = await api.internal("POST", f"/api/sandbox/{sandbox}/exec", json_body={"command": "nope"},
                                  headers={"Accept": "text/event-stream"})
    frames = [frame for frame in streamed.raw_body.decode().split("\n\n") if frame]
    assert frames[0].startswith('data: {"type":"run","cmdId":"cmd_')
    assert frames[-1] == 'data: {"type":"done","exitCode":127,"cwd":"apps/web"}'
    missing = await api.internal("POST", f"/api/sandbox/{sandbox}/exec", json_body={})
    assert (missing.status, body_of(missing)) == (400, {"error": "command required"})
    deleted = await api.internal("DELETE", f"/api/sandbox/{sandbox}")
    assert body_of(deleted) == {"ok": True, "sandboxId": sandbox}
    v1 = await api.get(f"/sandboxes/{sandbox}/logs")  # the web delete removes the row v1 reads
    assert (v1.status, body_of(v1)["error"]["message"]) == (404, "Sandbox not found")
    gone = await api.internal("DELETE", "/api/sandbox/8b4c6dae-5f70-4192-bdce-3f4a5b6c7d8e")
    assert (gone.status, body_of(gone)) == (404, {"error": "Sandbox not found"})


async def test_team_header(api):
    member = await api.internal("GET", "/api/repos", headers={"x-mogplex-team-id": "7A8B9CAD-4E5F-4061-8A7B-8C9DAE0F1A25"})
    assert member.status == 200
    stranger = await api.internal("GET", "/api/repos", headers={"x-mogplex-team-id": "00000000-0000-4000-8000-000000000001"})
    assert (stranger.status, body_of(stranger)) == (403, {"error": "Forbidden"})
    malformed = await api.internal("GET", "/api/repos", headers={"x-mogplex-team-id": "team-42"})
    assert malformed.status == 200
