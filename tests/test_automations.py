"""Automations (v1 spec §8): every handler and error row, through real HTTP."""

from __future__ import annotations

import base64
import json

import pytest
from conftest import (
    API_REPO,
    NOTES_REPO,
    OTHER_USER,
    READ_ONLY,
    V1,
    WEB_REPO,
    body_of,
    error_body,
)

TRIAGE = "a1c2e3f4-0b1d-4e6f-8a2c-3d4e5f6a7b81"
AUDIT = "b2d3f4a5-1c2e-4f70-9b3d-4e5f6a7b8c92"
DOCS = "c3e4a5b6-2d3f-4081-8c4e-5f6a7b8c9da3"
SAMS = "d4f5b6c7-3e40-4192-9d5f-6a7b8c9daeb4"
TRIAGE_RUN = "e5a6c7d8-4f51-42a3-8e60-7b8c9daebfc5"
FLAKY_AGENT = "9ef5d0b1-03a2-41c4-a5e6-12b3f4a0c509"
FORKED_PR_REVIEWER = "8de4cfa0-f291-40b3-94d5-01a2e39fb4f8"


def graph(agent_data: dict | None = None, **extra) -> dict:
    data = {"label": "Review", "agentId": FLAKY_AGENT, "modelOverride": "openai/gpt-5-mini", **(agent_data or {})}
    return {"nodes": [
        {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {"event": "mention"}},
        {"id": "review", "type": "agent", "position": {"x": 0, "y": 100}, "data": data},
        {"id": "end", "type": "end", "position": {"x": 0, "y": 200}, "data": {}},
    ], "edges": [{"id": "a", "source": "start", "target": "review"}, {"id": "b", "source": "review", "target": "end"}],
        **extra}


async def create(api, body: dict, token=None):
    return await api.post("/automations", body, **({"token": token} if token else {}))


# -- list ---------------------------------------------------------------------------

async def test_list_is_newest_first_with_summaries(api):
    data = body_of(await api.get("/automations", token=READ_ONLY))["data"]
    assert [item["name"] for item in data["automations"]] == ["Nightly dependency audit", "Docs refresher", "PR triage"]
    assert data["nextCursor"] is None
    assert data["automations"][2] == {
        "id": TRIAGE, "installationId": 48213, "name": "PR triage",
        "description": "Labels new pull requests and asks for the right reviewers.", "status": "active",
        "publishedVersionId": "a1c2e3f4-7001-4000-8000-00000000a002",
        "createdAt": "2026-04-03T09:00:00+00:00", "updatedAt": "2026-05-02T16:20:11.5+00:00"}


async def test_cursor_pagination_walks_every_page(api):
    first = body_of(await api.get("/automations?limit=2"))["data"]
    assert len(first["automations"]) == 2 and first["nextCursor"]
    decoded = json.loads(base64.urlsafe_b64decode(first["nextCursor"] + "=="))
    assert decoded == {"createdAt": "2026-04-20T12:00:00+00:00", "id": DOCS}
    assert "=" not in first["nextCursor"]
    second = body_of(await api.get(f"/automations?limit=2&cursor={first['nextCursor']}"))["data"]
    assert [item["id"] for item in second["automations"]] == [TRIAGE] and second["nextCursor"] is None


@pytest.mark.parametrize("cursor", ["garbage", "e30", base64.urlsafe_b64encode(b'{"createdAt":"yesterday","id":"x"}').decode(),
                                    base64.urlsafe_b64encode(b'{"createdAt":"2026-01-01T00:00:00Z","id":"nope"}').decode()])
async def test_a_bad_cursor_is_400(api, cursor):
    response = await api.get(f"/automations?cursor={cursor}&limit=abc")
    assert (response.status, body_of(response)) == (400, error_body("BAD_REQUEST", "Invalid cursor"))


async def test_an_empty_cursor_is_the_first_page(api):
    assert len(body_of(await api.get("/automations?cursor="))["data"]["automations"]) == 3


# -- create -------------------------------------------------------------------------

async def test_create_with_the_default_draft(api):
    response = await create(api, {"installationId": 48213, "name": "  Label bot ", "description": "d", "notes": 5})
    assert response.status == 201
    automation = body_of(response)["data"]["automation"]
    assert list(automation) == ["id", "installationId", "name", "description", "notes", "status", "draftGraph",
                                "publishedVersion", "createdAt", "updatedAt", "runSummary"]
    assert (automation["name"], automation["description"], automation["notes"]) == ("Label bot", "d", None)
    assert (automation["status"], automation["publishedVersion"]) == ("inactive", None)
    assert automation["runSummary"] == {"lastRunId": None, "lastRunStatus": None, "runningCount": 0,
                                        "pendingCount": 0, "failed24h": 0}
    draft = automation["draftGraph"]
    assert [node["id"] for node in draft["nodes"]] == ["start", "agent-1", "end"]
    assert draft["nodes"][0]["data"]["label"] == "@mogplex" and draft["nodes"][0]["data"]["event"] == "mention"
    assert draft["nodes"][0]["data"]["filter"] == {"installationId": 48213}
    agent = draft["nodes"][1]["data"]
    assert (agent["agentId"], agent["harness"], agent["role"], agent["modelOverride"]) == (
        "7cd3be9f-e180-4fa2-83c4-f091d28fa3e7", "mogplex", "triage", "anthropic/claude-sonnet-4.5")
    assert draft["nodes"][2]["data"] == {"label": "Done"}
    assert [edge["id"] for edge in draft["edges"]] == ["start-agent-1", "agent-1-end"]
    assert draft["viewport"] == {"x": 0, "y": 0, "zoom": 1}
    listed = body_of(await api.get("/automations"))["data"]["automations"]
    assert listed[0]["id"] == automation["id"]


async def test_create_blank_name_is_untitled(api):
    automation = body_of(await create(api, {"installationId": 51077, "name": "   "}))["data"]["automation"]
    assert automation["name"] == "Untitled flow"


@pytest.mark.parametrize("body, status, code, message", [
    (b"{oops", 400, "BAD_REQUEST", "Invalid JSON body"),
    (b"null", 400, "BAD_REQUEST", "Invalid JSON body"),
    (b"0", 400, "BAD_REQUEST", "Invalid JSON body"),
    (b"[]", 400, "BAD_REQUEST", "installationId must be a positive integer"),
    (b"{}", 400, "BAD_REQUEST", "installationId must be a positive integer"),
    (b'{"installationId":"48213"}', 400, "BAD_REQUEST", "installationId must be a positive integer"),
    (b'{"installationId":1.5}', 400, "BAD_REQUEST", "installationId must be a positive integer"),
    (b'{"installationId":0}', 400, "BAD_REQUEST", "installationId must be a positive integer"),
    (b'{"installationId":9007199254740992}', 400, "BAD_REQUEST", "installationId must be a positive integer"),
    (b'{"installationId":60934}', 404, "NOT_FOUND", "Installation not found"),
    (b'{"installationId":48213,"graph":null}', 400, "BAD_REQUEST", "graph must be a valid Flow graph"),
    (b'{"installationId":48213,"graph":{"nodes":[]}}', 400, "BAD_REQUEST", "graph must be a valid Flow graph at graph.edges"),
    (b'{"installationId":48213,"graph":{"nodes":[{"id":"a","type":"loop","position":{"x":0,"y":0},"data":{}}],"edges":[]}}',
     400, "BAD_REQUEST", "graph must be a valid Flow graph at graph.nodes.0.type"),
    (b'{"installationId":48213,"graph":{"nodes":[],"edges":[],"viewport":{"x":0,"y":0,"zoom":0}}}',
     400, "BAD_REQUEST", "graph must be a valid Flow graph at graph.viewport.zoom"),
    (b'{"installationId":48213,"graph":{"nodes":[],"edges":[],"extra":1}}', 400, "BAD_REQUEST",
     "graph must be a valid Flow graph"),
    (b'{"installationId":48213,"graph":{"nodes":[{"id":" ","type":"end","position":{"x":0,"y":0},"data":{}}],"edges":[]}}',
     400, "BAD_REQUEST", "graph must be a valid Flow graph at graph.nodes.0.id"),
], ids=lambda value: value[:45].decode() if isinstance(value, bytes) else str(value)[:30])
async def test_create_rows(api, body, status, code, message):
    response = await create(api, body)
    assert (response.status, body_of(response)) == (status, error_body(code, message))


async def test_a_truthy_non_object_body_crashes_into_an_empty_500(api):
    for body in (b"5", b'"x"', b"true"):
        response = await create(api, body)
        assert (response.status, response.raw_body) == (500, b"")


async def test_graph_is_normalized_and_presets_resolve_to_forks(api):
    raw = graph({"agentId": "preset:PR-REVIEWER", "modelOverride": "", "bogus": 1})
    raw["nodes"][0]["extraKey"] = "dropped"
    raw["edges"][0]["style"] = {"dashed": True}
    automation = body_of(await create(api, {"installationId": 48213, "graph": raw}))["data"]["automation"]
    nodes = automation["draftGraph"]["nodes"]
    assert [node["id"] for node in nodes] == ["start", "review", "end"]
    assert list(nodes[0]) == ["id", "type", "position", "data"]
    assert nodes[1]["data"] == {"label": "Review", "agentId": FORKED_PR_REVIEWER, "harness": "mogplex",
                                "role": "review", "autofix": False, "autofixSandbox": False, "autoMerge": False,
                                "autoRevert": False, "requireApproval": False, "modelOverride": None,
                                "maxStepsOverride": None}
    assert automation["draftGraph"]["edges"][0] == {"id": "a", "source": "start", "target": "review",
                                                    "sourceHandle": None, "targetHandle": None}


async def test_a_preset_without_a_fork_is_forked_and_the_preset_disappears(api):
    automation = body_of(await create(api, {"installationId": 48213,
                                            "graph": graph({"agentId": "preset:SEO-AUDIT"})}))["data"]["automation"]
    forked_id = automation["draftGraph"]["nodes"][1]["data"]["agentId"]
    agents = body_of(await api.get("/agents"))["data"]["agents"]
    assert "preset:SEO-AUDIT" not in [agent["id"] for agent in agents]
    assert {"id": forked_id, "name": "SEO-AUDIT", "preset": False}.items() <= next(
        agent for agent in agents if agent["id"] == forked_id).items()


async def test_unknown_presets_and_strangers_agents_are_refused_but_the_automation_exists(api):
    for agent_id in ("preset:NOT-A-TEMPLATE", "a0f6e1c2-14b3-42d5-b6f7-23c4a5b1d61a"):
        response = await create(api, {"installationId": 48213, "name": f"try {agent_id}",
                                      "graph": graph({"agentId": agent_id})})
        assert (response.status, body_of(response)) == (
            400, error_body("BAD_REQUEST", "One or more agents are not available to this user."))
    names = [item["name"] for item in body_of(await api.get("/automations"))["data"]["automations"]]
    assert "try preset:NOT-A-TEMPLATE" in names


async def test_create_and_publish(api):
    response = await create(api, {"installationId": 48213, "graph": graph(), "publish": True})
    automation = body_of(response)["data"]["automation"]
    assert response.status == 201
    assert automation["status"] == "active"
    assert automation["publishedVersion"]["versionNumber"] == 1
    assert automation["publishedVersion"]["graph"] == automation["draftGraph"]


async def test_publish_failure_on_create_is_not_atomic(api):
    response = await create(api, {"installationId": 48213, "name": "half", "graph": graph({"agentId": None}),
                                  "publish": True})
    assert body_of(response) == error_body("BAD_REQUEST", 'Agent node "Review" must be assigned to an agent.')
    listed = body_of(await api.get("/automations"))["data"]["automations"]
    assert listed[0]["name"] == "half" and listed[0]["status"] == "inactive"


# -- get / update -------------------------------------------------------------------

async def test_get_has_complete_graphs(api):
    automation = body_of(await api.get(f"/automations/{TRIAGE}", token=READ_ONLY))["data"]["automation"]
    assert automation["publishedVersion"] == {
        "id": "a1c2e3f4-7001-4000-8000-00000000a002", "versionNumber": 2, "graph": automation["draftGraph"],
        "createdAt": "2026-05-02T16:20:11.5+00:00"}
    assert automation["notes"] == "Owned by the platform team."


@pytest.mark.parametrize("method, suffix, failure", [
    ("GET", "", "Failed to load automation"), ("PUT", "", "Failed to update automation"),
    ("POST", "/publish", "Failed to publish automation"), ("GET", "/runs", "Failed to list automation runs"),
    ("GET", f"/runs/{TRIAGE_RUN}", "Failed to load automation run logs"),
])
async def test_not_owned_is_404_and_a_non_uuid_is_500(api, method, suffix, failure):
    missing = await api.call(method, f"{V1}/automations/{SAMS}{suffix}", json_body={})
    assert (missing.status, body_of(missing)) == (404, error_body("NOT_FOUND", "Automation not found"))
    broken = await api.call(method, f"{V1}/automations/triage{suffix}", json_body={})
    assert (broken.status, body_of(broken)) == (500, error_body("INTERNAL_ERROR", failure))


async def test_update_replaces_the_draft_and_keeps_the_published_version(api):
    before = body_of(await api.get(f"/automations/{TRIAGE}"))["data"]["automation"]
    response = await api.call("PUT", f"{V1}/automations/{TRIAGE}", json_body={
        "name": " ", "description": None, "notes": "new notes", "graph": graph(viewport={"x": 5, "y": 6, "zoom": 2})})
    after = body_of(response)["data"]["automation"]
    assert response.status == 200
    assert after["name"] == "PR triage" and after["description"] is None and after["notes"] == "new notes"
    assert after["status"] == "active" and after["publishedVersion"] == before["publishedVersion"]
    assert after["draftGraph"]["viewport"] == {"x": 5, "y": 6, "zoom": 2}
    assert after["draftGraph"] != after["publishedVersion"]["graph"]


async def test_an_empty_update_only_bumps_updated_at(make_api):
    api = await make_api("step:1")
    response = await api.call("PUT", f"{V1}/automations/{AUDIT}", json_body={})
    automation = body_of(response)["data"]["automation"]
    assert automation["updatedAt"] == "2026-05-17T10:00:01+00:00"
    assert automation["name"] == "Nightly dependency audit"


@pytest.mark.parametrize("body, status, code, message", [
    ({"installationId": None}, 400, "BAD_REQUEST", "installationId must be a positive integer"),
    ({"installationId": -1}, 400, "BAD_REQUEST", "installationId must be a positive integer"),
    ({"installationId": 60934}, 404, "NOT_FOUND", "Installation not found"),
    ({"graph": {"nodes": [], "edges": {}}}, 400, "BAD_REQUEST", "graph must be a valid Flow graph at graph.edges"),
])
async def test_update_rows(api, body, status, code, message):
    response = await api.call("PUT", f"{V1}/automations/{TRIAGE}", json_body=body)
    assert (response.status, body_of(response)) == (status, error_body(code, message))


async def test_update_moves_to_another_owned_installation(api):
    response = await api.call("PUT", f"{V1}/automations/{DOCS}", json_body={"installationId": 51077})
    assert body_of(response)["data"]["automation"]["installationId"] == 51077


# -- publish ------------------------------------------------------------------------

async def test_every_publish_is_a_new_version_and_activates(api):
    first = body_of(await api.post(f"/automations/{TRIAGE}/publish", b"ignored"))["data"]["automation"]
    second = body_of(await api.post(f"/automations/{TRIAGE}/publish"))["data"]["automation"]
    assert first["publishedVersion"]["versionNumber"] == 3 and second["publishedVersion"]["versionNumber"] == 4
    docs = body_of(await api.post(f"/automations/{DOCS}/publish"))["data"]["automation"]
    assert docs["status"] == "active"


def _nodes(*extra_nodes, edges):
    base = graph()
    return {"nodes": base["nodes"] + list(extra_nodes), "edges": edges}


E_A = {"id": "a", "source": "start", "target": "review"}
E_B = {"id": "b", "source": "review", "target": "end"}
LOOSE = {"id": "lost", "type": "delay", "position": {"x": 9, "y": 9}, "data": {"label": "Wait"}}
LOOSE_2 = {**LOOSE, "id": "lost2", "data": {}}


@pytest.mark.parametrize("draft, message", [
    ({"nodes": [], "edges": []}, "A flow must have exactly one start node."),
    ({"nodes": graph()["nodes"][:2], "edges": [E_A]}, "A flow must have exactly one end node."),
    ({"nodes": [graph()["nodes"][0], graph()["nodes"][2]], "edges": []}, "A flow must contain at least one agent node."),
    (_nodes(graph()["nodes"][1], edges=[E_A, E_B]), 'Duplicate node id "review".'),
    (_nodes(edges=[E_A, E_B, {"id": "c", "source": "review", "target": "ghost"}]), 'Edge "c" references a missing node.'),
    (_nodes(edges=[E_A, E_B, {"id": "c", "source": "review", "target": "review"}]), 'Edge "c" cannot connect a node to itself.'),
    (_nodes(edges=[E_A, E_B, {"id": "c", "source": "review", "target": "start"}]), "The start node cannot have incoming edges."),
    (_nodes(edges=[E_B]), "The start node must have exactly one outgoing edge."),
    (_nodes(edges=[E_A, E_B, {"id": "c", "source": "end", "target": "review"}]), "The end node cannot have outgoing edges."),
    (_nodes(LOOSE, edges=[E_A, E_B]), 'Node "Wait" is disconnected from the start node.'),
    (_nodes(LOOSE_2, edges=[E_A, E_B, {"id": "c", "source": "review", "target": "lost2"}]),
     'Node "Delay" does not lead to the end node.'),
    (_nodes(LOOSE, edges=[E_A, E_B, {"id": "c", "source": "review", "target": "lost"},
                          {"id": "d", "source": "lost", "target": "review"}]), "The flow graph contains a cycle."),
    (graph({"agentId": None}), 'Agent node "Review" must be assigned to an agent.'),
    (graph({"modelOverride": None}), 'Agent node "Review" must have a model selected.'),
], ids=lambda value: value if isinstance(value, str) else None)
async def test_publish_rules(api, draft, message):
    await api.call("PUT", f"{V1}/automations/{AUDIT}", json_body={"graph": draft})
    response = await api.post(f"/automations/{AUDIT}/publish")
    assert (response.status, body_of(response)) == (400, error_body("BAD_REQUEST", message))


async def test_the_fixture_draft_with_an_unbound_agent_fails_to_publish(api):
    response = await api.post(f"/automations/{AUDIT}/publish")
    assert body_of(response) == error_body("BAD_REQUEST", 'Agent node "Audit" must be assigned to an agent.')


async def test_a_webhook_start_needs_a_signing_secret(api):
    draft = graph()
    draft["nodes"][0]["data"] = {"event": "webhook"}
    await api.call("PUT", f"{V1}/automations/{AUDIT}", json_body={"graph": draft})
    response = await api.post(f"/automations/{AUDIT}/publish")
    assert body_of(response) == error_body("BAD_REQUEST",
                                           "Generate a webhook signing secret before publishing this flow.")


async def test_a_start_filter_on_a_strangers_installation_is_404(api):
    draft = graph()
    draft["nodes"][0]["data"] = {"event": "mention", "filter": {"installationId": 60934}}
    await api.call("PUT", f"{V1}/automations/{AUDIT}", json_body={"graph": draft})
    response = await api.post(f"/automations/{AUDIT}/publish")
    assert (response.status, body_of(response)) == (404, error_body("NOT_FOUND", "Installation not found"))


# -- model --------------------------------------------------------------------------

@pytest.mark.parametrize("body, status, message", [
    (b"{bad", 400, "nodeId is required"),
    (b"[]", 400, "nodeId is required"),
    (b'{"modelId":null}', 400, "nodeId is required"),
    (b'{"nodeId":5,"modelId":null}', 400, "nodeId is required"),
    (b'{"nodeId":"audit"}', 400, "modelId must be a model id or null"),
    (b'{"nodeId":"audit","modelId":7}', 400, "modelId must be a model id or null"),
    (b'{"nodeId":"audit","modelId":"google/gemini-2.5-pro"}', 400, "Model is not enabled and available for this user"),
    (b'{"nodeId":"ghost","modelId":null}', 404, "Automation node not found"),
    (b'{"nodeId":"start","modelId":null}', 400, "Only agent nodes can have a model override"),
], ids=lambda value: value.decode() if isinstance(value, bytes) else None)
async def test_model_rows(api, body, status, message):
    response = await api.call("PUT", f"{V1}/automations/{AUDIT}/model", data=body)
    code = "NOT_FOUND" if status == 404 else "BAD_REQUEST"
    assert (response.status, body_of(response)) == (status, error_body(code, message))


async def test_model_setter_clears_sets_and_optionally_publishes(api):
    path = f"{V1}/automations/{TRIAGE}/model"
    cleared = body_of(await api.call("PUT", path, json_body={"nodeId": "agent-1", "modelId": ""}))["data"]["automation"]
    assert cleared["draftGraph"]["nodes"][1]["data"]["modelOverride"] is None
    published = await api.call("PUT", path, json_body={"nodeId": "agent-1", "modelId": "minimax/minimax-m2.7",
                                                       "publish": True})
    automation = body_of(published)["data"]["automation"]
    assert automation["publishedVersion"]["versionNumber"] == 3
    assert automation["publishedVersion"]["graph"]["nodes"][1]["data"]["modelOverride"] == "minimax/minimax-m2.7"


async def test_model_on_a_missing_automation_is_404_before_the_model_check(api):
    response = await api.call("PUT", f"{V1}/automations/{SAMS}/model",
                              json_body={"nodeId": "x", "modelId": "not/a-model"})
    assert body_of(response) == error_body("NOT_FOUND", "Automation not found")


# -- trigger and runs ---------------------------------------------------------------

async def trigger(api, automation: str, body, key: str = "trigger-1", token=None):
    return await api.post(f"/automations/{automation}/trigger", body, headers={"Idempotency-Key": key},
                          **({"token": token} if token else {}))


async def test_trigger_queues_a_job_run_then_suppresses_the_same_key(api):
    first = await trigger(api, TRIAGE, {"repoId": f" {WEB_REPO} ", "input": {"pr": 12, "source": "mine"}})
    assert first.status == 202
    run = body_of(first)["data"]["run"]
    assert list(run) == ["automationId", "jobRunId", "outcome", "reason", "started", "status", "runtime"]
    assert (run["automationId"], run["outcome"], run["reason"], run["started"], run["status"]) == (
        TRIAGE, "queued", None, True, "running")
    assert run["runtime"]["provider"] == "trigger"
    again = body_of(await trigger(api, TRIAGE, {"repoId": API_REPO}))["data"]["run"]
    assert again == {"automationId": TRIAGE, "jobRunId": run["jobRunId"], "outcome": "suppressed",
                     "reason": "IDEMPOTENT_DUPLICATE", "started": False, "status": "suppressed", "runtime": None}
    runs = body_of(await api.get(f"/automations/{TRIAGE}/runs"))["data"]["runs"]
    assert runs[0]["id"] == run["jobRunId"]
    metadata = runs[0]["metadata"]
    assert (metadata["pr"], metadata["source"], metadata["dispatch_source"], metadata["repo_full_name"]) == (
        12, "mcp", "mcp", "harborlight/web")
    assert metadata["installation_id"] == 48213 and metadata["flow_id"] == TRIAGE


async def test_the_trigger_key_is_global_across_automations(api):
    await api.post(f"/automations/{DOCS}/publish")
    first = body_of(await trigger(api, TRIAGE, {"repoId": WEB_REPO}, key="global"))["data"]["run"]
    other = body_of(await trigger(api, DOCS, {"repoId": WEB_REPO}, key="global"))["data"]["run"]
    assert other["outcome"] == "suppressed" and other["jobRunId"] == first["jobRunId"]
    assert other["automationId"] == DOCS


@pytest.mark.parametrize("automation, body, status, code, message", [
    (TRIAGE, b"{bad", 400, "BAD_REQUEST", "repoId is required"),
    (TRIAGE, b'{"repoId":"  "}', 400, "BAD_REQUEST", "repoId is required"),
    (TRIAGE, json.dumps({"repoId": WEB_REPO, "input": [1]}).encode(), 400, "BAD_REQUEST", "input must be an object"),
    (TRIAGE, json.dumps({"repoId": WEB_REPO, "input": None}).encode(), 400, "BAD_REQUEST", "input must be an object"),
    (SAMS, json.dumps({"repoId": WEB_REPO}).encode(), 404, "NOT_FOUND", "Automation not found"),
    (AUDIT, json.dumps({"repoId": WEB_REPO}).encode(), 409, "CONFLICT", "Publish the automation before triggering it"),
    (DOCS, json.dumps({"repoId": WEB_REPO}).encode(), 409, "CONFLICT", "Activate the automation before triggering it"),
    (TRIAGE, json.dumps({"repoId": "6bc2ad8e-d07f-4e91-b2b3-ef80c17e92d6"}).encode(), 404, "NOT_FOUND",
     "Repository not found"),
    (TRIAGE, json.dumps({"repoId": "web"}).encode(), 500, "INTERNAL_ERROR", "Failed to trigger automation"),
    (TRIAGE, json.dumps({"repoId": NOTES_REPO}).encode(), 400, "BAD_REQUEST",
     "Repository is outside this automation's GitHub installation"),
], ids=lambda value: value[:40].decode() if isinstance(value, bytes) else None)
async def test_trigger_rows(api, automation, body, status, code, message):
    response = await trigger(api, automation, body)
    assert (response.status, body_of(response)) == (status, error_body(code, message))


async def test_trigger_needs_an_idempotency_key_first(api):
    response = await api.post(f"/automations/{SAMS}/trigger", b"{bad")
    assert body_of(response) == error_body("BAD_REQUEST", "Idempotency-Key is required")


async def test_job_runs_finish_over_simulated_time_and_show_in_logs(make_api):
    api = await make_api("step:10")
    job_id = body_of(await trigger(api, TRIAGE, {"repoId": WEB_REPO}))["data"]["run"]["jobRunId"]
    statuses = [body_of(await api.get(f"/automations/{TRIAGE}/runs/{job_id}"))["data"]["run"]["status"]
                for _ in range(6)]
    assert statuses[0] == "running" and statuses[-1] == "success"
    detail = body_of(await api.get(f"/automations/{TRIAGE}/runs/{job_id}"))["data"]["run"]
    assert detail["duration_ms"] == 45000 and detail["latest_ai_call"]["status"] == "success"
    for key in ("dispatch_events", "ai_calls", "review_findings", "waits"):
        assert isinstance(detail[key], list)


async def test_runs_list_record_shape_and_limit(api):
    runs = body_of(await api.get(f"/automations/{TRIAGE}/runs?limit=1", token=READ_ONLY))["data"]["runs"]
    assert len(runs) == 1 and runs[0]["id"] == TRIAGE_RUN
    assert list(runs[0])[:5] == ["id", "assignment_id", "trigger_id", "flow_id", "flow_version_id"]
    assert list(runs[0])[-12:] == ["source_kind", "source_type", "repo", "agent", "cost_usd", "latest_ai_call",
                                   "repairable", "requeueable", "cancelable", "active_wait_count",
                                   "latest_dispatch_event", "node_runs"]
    assert runs[0]["repo"] == {"id": WEB_REPO, "full_name": "harborlight/web"}
    assert runs[0]["agent"] == {"id": None, "name": None, "slug": None} and runs[0]["latest_ai_call"] is None
    assert runs[0]["duration_ms"] == 71250


async def test_a_run_of_another_automation_is_404(api):
    response = await api.get(f"/automations/{DOCS}/runs/{TRIAGE_RUN}")
    assert (response.status, body_of(response)) == (404, error_body("NOT_FOUND", "Run not found"))


async def test_automation_routes_respect_scopes_and_users(api):
    assert (await api.get("/automations", token="mog_mockplexDevWriteOnly0001")).status == 403
    assert (await create(api, {"installationId": 48213}, token=READ_ONLY)).status == 403
    sams = body_of(await api.get("/automations", token=OTHER_USER))["data"]["automations"]
    assert [item["id"] for item in sams] == [SAMS]


async def test_overflowing_numbers_are_not_finite_and_never_echoed_as_infinity(api):
    body = (b'{"installationId":48213,"graph":{"nodes":[{"id":"a","type":"end","position":{"x":1e400,"y":0},'
            b'"data":{}}],"edges":[]}}')
    response = await create(api, body)
    assert body_of(response) == error_body("BAD_REQUEST", "graph must be a valid Flow graph at graph.nodes.0.position.x")
    triggered = await trigger(api, TRIAGE, b'{"repoId":"' + WEB_REPO.encode() + b'","input":{"big":1e400}}')
    job_id = body_of(triggered)["data"]["run"]["jobRunId"]
    detail = await api.get(f"/automations/{TRIAGE}/runs/{job_id}")
    assert b'"big":null' in detail.raw_body and b"Infinity" not in detail.raw_body
