"""The web app's routing family (/api/flows, /api/triggers, /api/assignments), as its handlers answer."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from conftest import OTHER_USER, RW, body_of

TRIAGE = "a1c2e3f4-0b1d-4e6f-8a2c-3d4e5f6a7b81"
DRAFT = "b2d3f4a5-1c2e-4f70-9b3d-4e5f6a7b8c92"
DOCS = "c3e4a5b6-2d3f-4081-8c4e-5f6a7b8c9da3"
OTHERS_FLOW = "d4f5b6c7-3e40-4192-9d5f-6a7b8c9daeb4"
TRIAGE_RUN = "e5a6c7d8-4f51-42a3-8e60-7b8c9daebfc5"
FLAKY_AGENT = "9ef5d0b1-03a2-41c4-a5e6-12b3f4a0c509"
NOBODY = "00000000-0000-4000-8000-000000000000"
FLOW_COLUMNS = ["id", "user_id", "installation_id", "name", "description", "notes", "source_kind", "status",
                "draft_graph", "published_version_id", "created_at", "updated_at", "trigger_schedule_id",
                "webhook_configured", "published_version"]


def _answer(response):
    return response.status, body_of(response) if response.raw_body else None


# -- /api/flows ------------------------------------------------------------------------------------

async def test_flow_rows_keep_the_tables_column_order(api):
    listed = body_of(await api.internal("GET", "/api/flows"))
    assert list(listed[0])[:len(FLOW_COLUMNS)] == FLOW_COLUMNS
    assert list(listed[0])[len(FLOW_COLUMNS):] == [
        "last_job_run_id", "last_run_status", "last_run_started_at", "last_run_error", "running_count",
        "pending_count", "failed_24h", "last_run_repairable", "last_run_requeueable", "last_run_cancelable",
        "suppressed_24h", "deferred_24h", "start_failed_24h", "last_pressure_reason", "last_pressure_at"]
    assert list(body_of(await api.internal("GET", f"/api/flows/{TRIAGE}"))) == FLOW_COLUMNS


@pytest.mark.parametrize("body, name, description, event", [
    ({"installation_id": 48213}, "Untitled flow", None, "mention"),
    ({"installation_id": "48213", "template_id": "blank"}, "Blank workflow",
     "A simple trigger, agent, and completion path.", "mention"),
    ({"installation_id": 48213, "template_id": "issue-triage", "name": "  Triage  "}, "Triage",
     "Analyze each new issue and recommend next steps.", "issue_opened"),
])
async def test_flow_create_names_and_wires_by_template(api, body, name, description, event):
    created = await api.internal("POST", "/api/flows", json_body=body)
    flow = body_of(created)
    assert created.status == 201 and list(flow) == FLOW_COLUMNS
    assert (flow["name"], flow["description"], flow["source_kind"], flow["status"]) == (
        name, description, "github", "inactive")
    start, agent, end = flow["draft_graph"]["nodes"]
    assert (start["data"]["event"], start["data"]["filter"]) == (event, {"scope": "all", "installationIds": [48213]})
    assert (agent["type"], agent["position"], end["data"]["label"]) == ("agent", {"x": 360, "y": 140}, "Done")
    assert body_of(await api.get(f"/automations/{flow['id']}"))["data"]["automation"]["name"] == name


@pytest.mark.parametrize("body, status, answer", [
    ({"name": "x"}, 400, {"error": "installation_id is required"}),
    ({"installation_id": "abc"}, 400, {"error": "installation_id is required"}),
    ({"installation_id": -3, "template_id": "nope"}, 400, {"error": "installation_id is required"}),
    ({"installation_id": 48213, "template_id": "nope"}, 400, {"error": "Unknown workflow template"}),
    ({"installation_id": 48213, "template_id": "blank", "personal_template_id": "p1"}, 400,
     {"error": "Choose one workflow template"}),
    ({"installation_id": 48213, "team_template_id": "t1"}, 400,
     {"error": "Team workflow template requires an active team"}),
    ({"installation_id": 60934}, 404, {"error": "Installation not found", "code": "FLOW_INSTALLATION_NOT_FOUND"}),
    ({"installation_id": 48213.5}, 404, {"error": "Installation not found", "code": "FLOW_INSTALLATION_NOT_FOUND"}),
    ({"installation_id": 48213, "repo_full_name": "someone/else"}, 404,
     {"error": "Repository not found for this GitHub account", "code": "FLOW_INSTALLATION_NOT_FOUND"}),
    ({"installation_id": 48213, "personal_template_id": "p1"}, 404,
     {"error": "Workflow template not found", "code": "FLOW_NOT_FOUND"}),
])
async def test_flow_create_checks_in_the_handlers_order(api, body, status, answer):
    assert _answer(await api.internal("POST", "/api/flows", json_body=body)) == (status, answer)


@pytest.mark.parametrize("body", ["null", "{"])
async def test_flow_create_unreadable_bodies_are_the_frameworks_500(api, body):
    assert _answer(await api.internal("POST", "/api/flows", json_body=body)) == (500, None)


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/flows"), ("POST", "/api/flows"), ("GET", f"/api/flows/{TRIAGE}"),
    ("PUT", f"/api/flows/{TRIAGE}"), ("DELETE", f"/api/flows/{TRIAGE}"), ("GET", f"/api/flows/{TRIAGE}/runs"),
    ("GET", f"/api/flows/{TRIAGE}/runs/{TRIAGE_RUN}"), ("GET", "/api/triggers"), ("POST", "/api/triggers"),
    ("PUT", "/api/triggers"), ("DELETE", "/api/triggers"), ("GET", "/api/assignments"),
    ("POST", "/api/assignments"), ("PUT", "/api/assignments"), ("DELETE", "/api/assignments"),
])
@pytest.mark.parametrize("token", [None, RW])
async def test_routing_needs_a_browser_session(api, method, path, token):
    response = await api.internal(method, path, session=None, token=token, json_body={})
    location = response.headers["Location"]
    assert (response.status, location[location.index("/login"):]) == (307, f"/login?next={quote(path, safe='')}")


@pytest.mark.parametrize("method", ["PATCH", "POST"])
async def test_flow_methods_the_route_does_not_export(api, method):
    response = await api.internal(method, f"/api/flows/{TRIAGE}")
    assert (response.status, response.raw_body) == (405, b"")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_flow_lookup_outcomes(api, method):
    for flow_id in (OTHERS_FLOW, NOBODY):
        missing = await api.internal(method, f"/api/flows/{flow_id}", json_body={})
        assert _answer(missing) == (404, {"error": "Flow not found"})
    assert _answer(await api.internal(method, "/api/flows/not-a-uuid", json_body={})) == (500, None)


@pytest.mark.parametrize("path, answer", [
    (f"/api/flows/{OTHERS_FLOW}/runs", (404, {"error": "Flow not found", "code": "FLOW_NOT_FOUND"})),
    ("/api/flows/nope/runs", (500, {"error": 'Failed to load flow: invalid input syntax for type uuid: "nope"',
                                     "code": "FLOW_STORAGE_FAILED"})),
    (f"/api/flows/{OTHERS_FLOW}/runs/{TRIAGE_RUN}", (404, {"error": "Flow not found", "code": "FLOW_NOT_FOUND"})),
    (f"/api/flows/{TRIAGE}/runs/{NOBODY}", (404, {"error": "Run not found", "code": "FLOW_RUN_NOT_FOUND"})),
    (f"/api/flows/{TRIAGE}/runs/r1", (500, {"error": 'invalid input syntax for type uuid: "r1"'})),
])
async def test_flow_run_lookup_outcomes(api, path, answer):
    assert _answer(await api.internal("GET", path)) == answer


async def test_flow_runs_list_and_detail(api):
    runs = body_of(await api.internal("GET", f"/api/flows/{TRIAGE}/runs?limit=1"))["runs"]
    assert [run["id"] for run in runs] == [TRIAGE_RUN]
    detail = body_of(await api.internal("GET", f"/api/flows/{TRIAGE}/runs/{TRIAGE_RUN}"))["run"]
    keys = list(detail)
    assert keys[keys.index("agent"):keys.index("repairable")] == ["agent", "latest_ai_call", "cost_usd"]
    assert keys[-4:] == ["dispatch_events", "ai_calls", "review_findings", "waits"]


@pytest.mark.parametrize("body, answer", [
    ({"status": "on"}, (400, {"error": "Invalid status"})),
    ({"status": "active"}, (400, {"error": "A flow must be published before it can be activated.",
                                  "code": "FLOW_UNPUBLISHED_ACTIVATION"})),
    ({"installation_id": None}, (400, {"error": "Invalid installation_id", "code": "FLOW_INVALID_INSTALLATION_ID"})),
    ({"installation_id": "x"}, (400, {"error": "Invalid installation_id", "code": "FLOW_INVALID_INSTALLATION_ID"})),
    ({"installation_id": 60934}, (404, {"error": "Installation not found", "code": "FLOW_INSTALLATION_NOT_FOUND"})),
    ({"draft_graph": {"nodes": [{"id": "a", "type": "agent", "data": {"agentId": NOBODY}}]}},
     (400, {"error": "One or more agents are not available to this user.", "code": "FLOW_AGENT_FORBIDDEN"})),
])
async def test_flow_update_refusals(api, body, answer):
    assert _answer(await api.internal("PUT", f"/api/flows/{DRAFT}", json_body=body)) == answer


async def test_flow_update_writes_what_v1_reads(api):
    updated = await api.internal("PUT", f"/api/flows/{DRAFT}", json_body={
        "name": "  Audit  ", "description": 7, "notes": "n", "installation_id": "48213", "draft_graph": None})
    flow = body_of(updated)
    assert (flow["name"], flow["description"], flow["notes"], flow["installation_id"]) == ("Audit", None, "n", 48213)
    assert flow["draft_graph"] == {"nodes": [], "edges": [], "viewport": {"x": 0, "y": 0, "zoom": 1}}
    assert body_of(await api.get(f"/automations/{DRAFT}"))["data"]["automation"]["name"] == "Audit"
    assert _answer(await api.internal("PUT", f"/api/flows/{DRAFT}", json_body="5")) == (500, None)
    assert _answer(await api.internal("DELETE", f"/api/flows/{DRAFT}")) == (200, {"ok": True})
    assert (await api.get(f"/automations/{DRAFT}")).status == 404


# -- /api/triggers ---------------------------------------------------------------------------------

async def test_trigger_lifecycle(api):
    created = await api.internal("POST", "/api/triggers", json_body={
        "installation_id": "48213", "agent_id": FLAKY_AGENT, "event": "pr_opened"})
    trigger = body_of(created)
    assert created.status == 201
    assert list(trigger) == ["id", "user_id", "installation_id", "agent_id", "event", "is_default", "enabled",
                             "created_at", "agents"]
    assert (trigger["installation_id"], trigger["is_default"], trigger["agents"]["name"]) == (
        48213, False, "Flaky Test Hunter")
    updated = body_of(await api.internal("PUT", "/api/triggers", json_body={"id": trigger["id"], "enabled": False}))
    assert updated == {**trigger, "enabled": False}
    listed = body_of(await api.internal("GET", "/api/triggers"))
    assert listed[0]["id"] == trigger["id"] and listed[0]["last_run_status"] is None
    assert _answer(await api.internal("DELETE", f"/api/triggers?id={trigger['id']}")) == (200, {"ok": True})
    assert _answer(await api.internal("DELETE", f"/api/triggers?id={trigger['id']}")) == (200, {"ok": True})


@pytest.mark.parametrize("body, answer", [
    ({"installation_id": 48213, "event": "push"}, (400, {"error": "Missing required fields"})),
    ({"installation_id": 60934, "event": "push", "agent_id": FLAKY_AGENT}, (404, {"error": "Installation not found"})),
    ({"installation_id": 48213, "event": "push", "agent_id": 5}, (400, {"error": "agent_id is required"})),
    ({"installation_id": 48213, "event": "push", "agent_id": NOBODY}, (404, {"error": "Agent not found"})),
    ({"installation_id": 48213, "event": "push", "agent_id": "nope"}, (404, {"error": "Agent not found"})),
    ({"installation_id": 48213, "event": "schedule", "agent_id": FLAKY_AGENT}, (500, {
        "error": 'new row for relation "triggers" violates check constraint "triggers_event_check"'})),
])
async def test_trigger_create_refusals(api, body, answer):
    assert _answer(await api.internal("POST", "/api/triggers", json_body=body)) == answer


@pytest.mark.parametrize("method, path, body, answer", [
    ("PUT", "/api/triggers", {"enabled": True}, (400, {"error": "Missing trigger id"})),
    ("PUT", "/api/triggers", {"id": NOBODY, "enabled": True},
     (500, {"error": "JSON object requested, multiple (or no) rows returned"})),
    ("PUT", "/api/triggers", {"id": "t1", "enabled": True}, (500, {"error": 'invalid input syntax for type uuid: "t1"'})),
    ("PUT", "/api/triggers", {"id": NOBODY, "agent_id": NOBODY}, (404, {"error": "Agent not found"})),
    ("DELETE", "/api/triggers", None, (400, {"error": "Missing id"})),
    ("DELETE", "/api/triggers?id=t1", None, (500, {"error": 'invalid input syntax for type uuid: "t1"'})),
])
async def test_trigger_write_refusals(api, method, path, body, answer):
    assert _answer(await api.internal(method, path, json_body=body)) == answer


# -- /api/assignments ------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, body, answer", [
    ("GET", "/api/assignments", None, (200, [])),
    ("POST", "/api/assignments", {}, (410, {"error": "Assignments have been replaced by automations. Create a flow "
                                                      "in the automations editor instead."})),
    ("PUT", "/api/assignments", {"enabled": True}, (400, {"error": "Missing id"})),
    ("PUT", "/api/assignments", {"id": NOBODY, "type": "nope"}, (400, {"error": "No valid fields to update"})),
    ("PUT", "/api/assignments", {"id": NOBODY, "skill_id": None}, (404, {"error": "Not found"})),
    ("DELETE", "/api/assignments", None, (400, {"error": "Missing id"})),
    ("DELETE", f"/api/assignments?id={NOBODY}", None, (404, {"error": "Not found"})),
])
async def test_assignments(api, method, path, body, answer):
    assert _answer(await api.internal(method, path, json_body=body)) == answer


async def test_other_users_pat_cannot_reach_routing(api):
    response = await api.internal("GET", "/api/flows", session=None, token=OTHER_USER)
    assert response.status == 307
