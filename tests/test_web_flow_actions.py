"""A flow's actions (/api/flows/{id}/publish|duplicate|test-trigger|webhook-secret|assistant|chat)
and saved templates (/api/flows/templates), on the automations v1 serves."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil

import pytest

from conftest import REPO_ROOT, RW, Api, body_of, make_settings
from mockplex.app import build_app

TRIAGE = "a1c2e3f4-0b1d-4e6f-8a2c-3d4e5f6a7b81"
DRAFT = "b2d3f4a5-1c2e-4f70-9b3d-4e5f6a7b8c92"
DOCS = "c3e4a5b6-2d3f-4081-8c4e-5f6a7b8c9da3"
OTHERS_FLOW = "d4f5b6c7-3e40-4192-9d5f-6a7b8c9daeb4"
NOBODY = "00000000-0000-4000-8000-000000000000"
TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"
FOREIGN_TEAM = "11111111-2222-4333-8444-555555555555"
V1_AUTOMATIONS = "/api/v1/mogplex/automations"
AUDIT_UNBOUND = 'Agent node "Audit" must be assigned to an agent.'


async def new_flow(api: Api, template: str = "pr-review") -> dict:
    return body_of(await api.internal("POST", "/api/flows", json_body={"installation_id": 48213,
                                                                        "template_id": template}))


async def set_start(api: Api, flow: dict, **data) -> None:
    graph = flow["draft_graph"]
    graph["nodes"][0]["data"].update(data)
    await api.internal("PUT", f"/api/flows/{flow['id']}", json_body={"draft_graph": graph})


@pytest.mark.parametrize("action", ["publish", "duplicate", "test-trigger", "webhook-secret", "assistant", "chat"])
async def test_without_a_session_the_edge_redirects(api, action):
    response = await api.internal("POST", f"/api/flows/{TRIAGE}/{action}", session=None)
    assert response.status == 307 and "/login?next=" in response.headers["Location"]


# -- publish ---------------------------------------------------------------------------------------

async def test_a_flow_from_a_template_publishes_and_is_in_v1s_list(api):
    flow = await new_flow(api)
    response = await api.internal("POST", f"/api/flows/{flow['id']}/publish")
    published = body_of(response)
    assert response.status == 200 and published["status"] == "active"
    assert published["published_version"]["version_number"] == 1
    assert published["published_version"]["graph"] == published["draft_graph"]
    listed = body_of(await api.get("/automations"))["data"]["automations"]
    mine = next(automation for automation in listed if automation["id"] == flow["id"])
    assert (mine["status"], mine["publishedVersionId"]) == ("active", published["published_version_id"])


async def test_publish_answers_every_broken_rule(api):
    response = await api.internal("POST", f"/api/flows/{DRAFT}/publish")
    assert (response.status, body_of(response)) == (400, {
        "error": AUDIT_UNBOUND, "code": "FLOW_GRAPH_INVALID", "details": [AUDIT_UNBOUND]})


async def test_a_webhook_flow_needs_a_secret_then_publishes_as_webhook(api):
    flow = await new_flow(api, "blank")
    await set_start(api, flow, event="webhook")
    refused = await api.internal("POST", f"/api/flows/{flow['id']}/publish")
    assert (refused.status, body_of(refused)) == (400, {
        "error": "Generate a webhook signing secret before publishing this flow.", "code": "FLOW_GRAPH_INVALID"})
    await api.internal("POST", f"/api/flows/{flow['id']}/webhook-secret")
    published = body_of(await api.internal("POST", f"/api/flows/{flow['id']}/publish"))
    assert (published["source_kind"], published["webhook_configured"]) == ("webhook", True)


@pytest.mark.parametrize("action, status, body", [
    ("publish", 404, {"error": "Flow not found", "code": "FLOW_NOT_FOUND"}),
    ("duplicate", 404, {"error": "Flow not found", "code": "FLOW_NOT_FOUND"}),
    ("webhook-secret", 404, {"error": "Flow not found"}),
    ("test-trigger", 400, {"error": "Publish and activate this workflow before testing it."}),
])
@pytest.mark.parametrize("flow_id", [NOBODY, OTHERS_FLOW])
async def test_a_missing_or_strangers_flow(api, action, status, body, flow_id):
    response = await api.internal("POST", f"/api/flows/{flow_id}/{action}")
    assert (response.status, body_of(response)) == (status, body)


@pytest.mark.parametrize("action", ["publish", "duplicate"])
async def test_a_malformed_id_is_a_storage_failure_inside_the_service(api, action):
    response = await api.internal("POST", f"/api/flows/not-a-uuid/{action}")
    assert (response.status, body_of(response)) == (500, {
        "error": 'Failed to load flow: invalid input syntax for type uuid: "not-a-uuid"', "code": "FLOW_STORAGE_FAILED"})


@pytest.mark.parametrize("action", ["test-trigger", "webhook-secret", "assistant"])
async def test_a_malformed_id_outside_the_try_is_an_empty_500(api, action):
    response = await api.internal("POST", f"/api/flows/not-a-uuid/{action}", json_body={"message": "x"})
    assert (response.status, response.raw_body) == (500, b"")


async def test_a_foreign_team_is_refused_before_publish(api):
    response = await api.internal("POST", f"/api/flows/{TRIAGE}/publish", headers={"x-mogplex-team-id": FOREIGN_TEAM})
    assert (response.status, body_of(response)) == (403, {"error": "Forbidden"})


# -- duplicate -------------------------------------------------------------------------------------

async def test_duplicate_is_an_inactive_unpublished_copy_keeping_the_source_kind(api):
    flow = await new_flow(api, "blank")
    await set_start(api, flow, event="webhook")
    await api.internal("POST", f"/api/flows/{flow['id']}/webhook-secret")
    await api.internal("POST", f"/api/flows/{flow['id']}/publish")
    response = await api.internal("POST", f"/api/flows/{flow['id']}/duplicate")
    copied = body_of(response)
    assert response.status == 201 and copied["id"] != flow["id"]
    assert (copied["name"], copied["status"], copied["source_kind"], copied["webhook_configured"],
            copied["published_version"]) == ("Blank workflow Copy", "inactive", "webhook", False, None)
    assert copied["id"] in {automation["id"] for automation in body_of(await api.get("/automations"))["data"][
        "automations"]}


# -- test-trigger and the webhook delivery ------------------------------------------------------------

async def test_test_trigger_without_a_repository_is_suppressed(api):
    flow = await new_flow(api)
    await api.internal("POST", f"/api/flows/{flow['id']}/publish")
    response = await api.internal("POST", f"/api/flows/{flow['id']}/test-trigger")
    assert (response.status, body_of(response)) == (200, {
        "matched": True, "outcome": "suppressed", "jobRunId": None, "started": False, "reason": "REPO_NOT_FOUND"})


async def test_test_trigger_queues_a_run_v1_lists(api):
    flow = await new_flow(api)
    await set_start(api, flow, filter={"scope": "all", "installationIds": [48213], "repos": ["harborlight/web"]})
    await api.internal("POST", f"/api/flows/{flow['id']}/publish")
    response = await api.internal("POST", f"/api/flows/{flow['id']}/test-trigger",
                                  json_body={"payload": {"pr": 7}})
    result = body_of(response)
    assert response.status == 202 and list(result) == ["matched", "outcome", "jobRunId", "started", "reason"]
    assert (result["matched"], result["outcome"], result["started"], result["reason"]) == (True, "queued", True, None)
    runs = body_of(await api.get(f"/automations/{flow['id']}/runs"))["data"]["runs"]
    assert [run["id"] for run in runs] == [result["jobRunId"]]


async def test_test_trigger_with_a_null_body_is_an_empty_500(api):
    response = await api.internal("POST", f"/api/flows/{TRIAGE}/test-trigger", json_body="null")
    assert (response.status, response.raw_body) == (500, b"")


async def test_a_delivery_signed_with_the_handed_out_secret_starts_the_flow(api):
    flow = await new_flow(api, "blank")
    await set_start(api, flow, event="webhook",
                    filter={"scope": "all", "installationIds": [48213], "repos": ["harborlight/api"]})
    secret = body_of(await api.internal("POST", f"/api/flows/{flow['id']}/webhook-secret"))["secret"]
    assert secret.startswith("whsec_") and len(secret) == 49
    path = f"/api/webhooks/flows/{flow['id']}"
    payload = b'{"deploy":"done"}'
    signature = "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    headers = {"x-mogplex-delivery": "d-1", "x-mogplex-signature": signature}
    unpublished = await api.call("POST", path, None, data=payload, headers=headers)
    assert (unpublished.status, body_of(unpublished)) == (404, {"error": "Active webhook workflow not found"})
    await api.internal("POST", f"/api/flows/{flow['id']}/publish")
    forged = await api.call("POST", path, None, data=payload, headers={**headers, "x-mogplex-signature": "sha256=0"})
    assert (forged.status, body_of(forged)) == (401, {"error": "Invalid signature"})
    accepted = await api.call("POST", path, None, data=payload, headers=headers)
    assert accepted.status == 202 and body_of(accepted)["outcome"] == "queued"
    replayed = await api.call("POST", path, None, data=payload, headers=headers)
    assert (replayed.status, body_of(replayed)["reason"]) == (200, "IDEMPOTENT_DUPLICATE")


async def test_a_signed_delivery_must_be_a_json_object(api):
    flow = await new_flow(api, "blank")
    secret = body_of(await api.internal("POST", f"/api/flows/{flow['id']}/webhook-secret"))["secret"]
    for payload, message in ((b"[1]", "Payload must be a JSON object"), (b"{bad", "Payload must be valid JSON")):
        signature = "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
        response = await api.call("POST", f"/api/webhooks/flows/{flow['id']}", None, data=payload,
                                  headers={"x-mogplex-delivery": "d", "x-mogplex-signature": signature})
        assert (response.status, body_of(response)) == (400, {"error": message})


# -- templates ---------------------------------------------------------------------------------------

async def test_a_template_is_saved_listed_and_deleted(api):
    flow = await new_flow(api)
    response = await api.internal("POST", "/api/flows/templates", json_body={"flow_id": flow["id"], "name": " Mine "})
    template = body_of(response)
    assert response.status == 201 and list(template) == [
        "id", "owner_type", "owner_user_id", "product_team_id", "created_by_user_id", "name", "description",
        "source_flow_id", "trigger_event", "reconnect", "requires_repository", "created_at", "updated_at"]
    assert (template["name"], template["owner_type"], template["source_flow_id"], template["trigger_event"],
            template["reconnect"]) == ("Mine", "user", flow["id"], "pr_opened", [])
    assert body_of(await api.internal("GET", "/api/flows/templates")) == {"templates": [template], "next_cursor": None}
    team_page = body_of(await api.internal("GET", "/api/flows/templates", headers={"x-mogplex-team-id": TEAM}))
    assert team_page == {"templates": [], "next_cursor": None, "can_write": True}
    deleted = await api.internal("DELETE", f"/api/flows/templates/{template['id']}")
    assert (deleted.status, body_of(deleted)) == (200, {"ok": True})
    again = await api.internal("DELETE", f"/api/flows/templates/{template['id']}")
    assert (again.status, body_of(again)) == (404, {"error": "Workflow template not found"})


async def test_a_team_template_drops_agents_and_its_source(api):
    flow = await new_flow(api)
    template = body_of(await api.internal("POST", "/api/flows/templates", json_body={"flow_id": flow["id"]},
                                          headers={"x-mogplex-team-id": TEAM}))
    assert (template["owner_type"], template["product_team_id"], template["source_flow_id"],
            template["reconnect"]) == ("team", TEAM, None, ["agent"])


@pytest.mark.parametrize("body, status, expected", [
    ({}, 400, {"error": "flow_id is required"}),
    ({"flow_id": "  "}, 400, {"error": "flow_id is required"}),
    ({"flow_id": TRIAGE, "name": "x" * 81}, 400, {"error": "Template names must be 80 characters or fewer"}),
    ({"flow_id": NOBODY}, 404, {"error": "Flow not found", "code": "FLOW_NOT_FOUND"}),
    ({"flow_id": OTHERS_FLOW}, 404, {"error": "Flow not found", "code": "FLOW_NOT_FOUND"}),
    ({"flow_id": "nope"}, 500, {"error": 'Failed to load flow: invalid input syntax for type uuid: "nope"',
                                "code": "FLOW_STORAGE_FAILED"}),
    ({"flow_id": DRAFT}, 400, {"error": AUDIT_UNBOUND, "code": "FLOW_GRAPH_INVALID", "details": [AUDIT_UNBOUND]}),
    ("null", 500, None),  # the handler dereferences the parsed body: the framework's empty 500
    ("{bad", 500, None),
])
async def test_template_create_checks(api, body, status, expected):
    response = await api.internal("POST", "/api/flows/templates", json_body=body)
    assert (response.status, body_of(response) if expected else response.raw_body) == (status, expected or b"")


@pytest.mark.parametrize("cursor", ["-1", "01", "x", "1.5"])
async def test_a_bad_template_cursor(api, cursor):
    response = await api.internal("GET", f"/api/flows/templates?cursor={cursor}")
    assert (response.status, body_of(response)) == (400, {"error": "cursor must be a non-negative integer"})


async def test_template_routes_refuse_a_foreign_team_and_a_malformed_id(api):
    foreign = await api.internal("GET", "/api/flows/templates", headers={"x-mogplex-team-id": FOREIGN_TEAM})
    assert (foreign.status, body_of(foreign)) == (403, {"error": "Forbidden"})
    malformed = await api.internal("DELETE", "/api/flows/templates/nope")
    assert (malformed.status, body_of(malformed)) == (500, {
        "error": 'Failed to delete workflow template: invalid input syntax for type uuid: "nope"'})


async def test_templates_take_no_pat(api):
    response = await api.call("GET", "/api/flows/templates", RW)
    assert response.status == 307


# -- the assistant and its chat -----------------------------------------------------------------------

async def test_the_assistant_suggests_the_graph_it_was_given(api):
    flow = await new_flow(api)
    response = await api.internal("POST", f"/api/flows/{flow['id']}/assistant", json_body={"message": " tidy "})
    assert (response.status, body_of(response)) == (200, {"summary": "Reviewed the flow for: tidy",
                                                          "graph": flow["draft_graph"]})


@pytest.mark.parametrize("flow_id, body, status, expected", [
    (TRIAGE, {"message": "  "}, 400, {"error": "message is required"}),
    (NOBODY, {"message": "x"}, 404, {"error": "Flow not found"}),
    (OTHERS_FLOW, {"message": "x"}, 404, {"error": "Flow not found"}),
    (DRAFT, {"message": "x"}, 400, {"error": "Assistant produced an invalid flow graph",
                                    "code": "FLOW_ASSISTANT_INVALID_GRAPH", "details": [AUDIT_UNBOUND]}),
])
async def test_assistant_checks(api, flow_id, body, status, expected):
    response = await api.internal("POST", f"/api/flows/{flow_id}/assistant", json_body=body)
    assert (response.status, body_of(response)) == (status, expected)


def chat_body(text: str = "hello flow", **extra) -> dict:
    return {"messages": [{"role": "user", "parts": [{"type": "text", "text": text}], **extra}]}


def frames(raw: bytes) -> list:
    events = [block[len(b"data: "):] for block in raw.split(b"\n\n") if block]
    assert events[-1] == b"[DONE]"
    return [json.loads(event) for event in events[:-1]]


async def test_chat_streams_a_ui_message_answer(api):
    response = await api.internal("POST", f"/api/flows/{TRIAGE}/chat", json_body=chat_body())
    assert response.status == 200
    assert (response.headers["Content-Type"], response.headers["x-vercel-ai-ui-message-stream"]) == (
        "text/event-stream", "v1")
    chunks = frames(response.raw_body)
    assert [chunk["type"] for chunk in chunks[:3]] == ["start", "start-step", "text-start"]
    text = "".join(chunk["delta"] for chunk in chunks if chunk["type"] == "text-delta")
    assert text == "The flow stays as it is. You asked: hello flow"
    assert chunks[-1] == {"type": "finish", "finishReason": "stop", "messageMetadata": {"flowAssistant": {
        "summary": None, "finalized": False, "valid": False, "errors": ["The live canvas graph was not loaded."]}}}


async def test_chat_returns_the_canvas_graph_it_was_shown(api):
    graph = body_of(await api.internal("GET", f"/api/flows/{TRIAGE}"))["draft_graph"]
    body = {"messages": [{"role": "assistant", "parts": [
        {"type": "tool-getGraphState", "state": "output-available", "output": {"graph": graph}}]},
        *chat_body()["messages"]]}
    chunks = frames((await api.internal("POST", f"/api/flows/{TRIAGE}/chat", json_body=body)).raw_body)
    assert chunks[-2] == {"type": "data-flowAssistantResult", "data": {
        "graph": graph, "summary": None, "finalized": False, "valid": True, "errors": None}}


@pytest.mark.parametrize("flow_id, raw, status, expected", [
    (TRIAGE, "{bad", 400, {"error": "Invalid JSON body"}),
    (TRIAGE, "null", 400, {"error": "messages is required"}),
    (TRIAGE, '{"messages":{}}', 400, {"error": "messages is required"}),
    (NOBODY, '{"messages":[]}', 404, {"error": "Flow not found", "code": "FLOW_NOT_FOUND"}),
    (OTHERS_FLOW, '{"messages":[]}', 404, {"error": "Flow not found", "code": "FLOW_NOT_FOUND"}),
    ("nope", '{"messages":[]}', 500, {"error": 'Failed to load flow: invalid input syntax for type uuid: "nope"',
                                      "code": "FLOW_STORAGE_FAILED"}),
])
async def test_chat_checks(api, flow_id, raw, status, expected):
    response = await api.internal("POST", f"/api/flows/{flow_id}/chat", json_body=raw)
    assert (response.status, body_of(response)) == (status, expected)


async def test_assistant_routes_refuse_a_foreign_team_after_the_body(api):
    headers = {"x-mogplex-team-id": FOREIGN_TEAM}
    chat = await api.internal("POST", f"/api/flows/{TRIAGE}/chat", json_body=chat_body(), headers=headers)
    suggest = await api.internal("POST", f"/api/flows/{TRIAGE}/assistant", json_body={"message": "x"},
                                 headers=headers)
    assert [(chat.status, body_of(chat)), (suggest.status, body_of(suggest))] == [(403, {"error": "Forbidden"})] * 2


@pytest.fixture
async def model_api(aiohttp_client, tmp_path):
    async def make(outcome: str) -> Api:
        world = tmp_path / outcome
        shutil.copytree(REPO_ROOT / "fixtures", world)
        text = (world / "world.yaml").read_text().replace("flow_assistant_model: replies",
                                                          f"flow_assistant_model: {outcome}")
        (world / "world.yaml").write_text(text)
        return Api(await aiohttp_client(build_app(make_settings(tmp_path / f"{outcome}-state", fixtures_dir=world))))
    return make


@pytest.mark.parametrize("outcome, suggest_status, suggest_body, chat_status, chat_body_", [
    ("stops_early", 400, {"error": "Assistant stopped before finalizing a flow graph. Try rephrasing your request.",
                          "code": "FLOW_ASSISTANT_INVALID_GRAPH"}, 200, None),
    ("fails_to_start", 500, {"error": "The model provider returned an error: service unavailable"},
     500, {"error": "Failed to start flow assistant chat"}),
    ("fails_mid_stream", 500, {"error": "The model provider returned an error: service unavailable"}, 200, None),
])
async def test_the_models_failures(model_api, outcome, suggest_status, suggest_body, chat_status, chat_body_):
    api = await model_api(outcome)
    suggest = await api.internal("POST", f"/api/flows/{TRIAGE}/assistant", json_body={"message": "x"})
    assert (suggest.status, body_of(suggest)) == (suggest_status, suggest_body)
    chat = await api.internal("POST", f"/api/flows/{TRIAGE}/chat", json_body=chat_body())
    assert chat.status == chat_status
    if chat_body_ is not None:
        assert body_of(chat) == chat_body_
    elif outcome == "fails_mid_stream":
        chunks = frames(chat.raw_body)
        assert {"type": "error", "errorText": "The model provider returned an error: service unavailable"} in chunks
        assert chunks[-1]["finishReason"] == "error"
