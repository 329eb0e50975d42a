"""The CLI's endpoints (GET /api/cli/latest and the OpenAI-compatible chat completions), as
the server's code answers them. The official `openai` client is not installed in the test
environment, so the wire format is checked byte for byte over aiohttp."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import OAUTH, OTHER_USER, REVOKED, RW, body_of

INFERENCE = "/api/cli/inference/chat/completions"
OPENAI = "/api/cli/openai/chat/completions"
BOTH = pytest.mark.parametrize("path", [INFERENCE, OPENAI])
DANAS_TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"
SAM = "mpx_session_sam_dev_0001"
ROBIN = "mpx_session_robin_dev_0001"
CREATED = 1779012000  # the frozen test clock, 2026-05-17T10:00:00Z, in seconds
SONNET = "anthropic/claude-sonnet-4.5"
HELLO = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there"}]}
READ_FILE = {"type": "function", "function": {"name": "read_file", "description": "Read a file", "parameters": {
    "type": "object", "properties": {"path": {"type": "string"}, "lines": {"type": "integer"}},
    "required": ["path", "lines"]}}}
FAILURE = "The model provider returned an error: service unavailable"
STREAM_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache, no-transform",
                  "Connection": "keep-alive"}


def frames(raw: bytes) -> list:
    """Each `data:` frame's JSON (or the [DONE] marker), checking the framing on the way."""
    text = raw.decode()
    assert text.endswith("\n\n")
    parts = text[:-2].split("\n\n")
    assert all(part.startswith("data: ") for part in parts)
    return [part[6:] if part == "data: [DONE]" else json.loads(part[6:]) for part in parts]


def chunk(response_id: str, delta: dict, finish=None, usage=None, model: str = SONNET) -> dict:
    body = {"id": response_id, "object": "chat.completion.chunk", "created": CREATED, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return {**body, "usage": usage} if usage else body


async def complete(api, body, path=INFERENCE, **kwargs):
    return await api.internal("POST", path, json_body=body, **kwargs)


# -- GET /api/cli/latest ---------------------------------------------------------------------

def _asset(target: str, archive_format: str) -> dict:
    name = f"mogplex-{target}.{archive_format}"
    return {"target": target, "archiveName": name, "archiveFormat": archive_format,
            "archiveUrl": f"https://install.mogplex.com/releases/v0.18.3/{name}",
            "sha256": hashlib.sha256(f"mogplex 0.18.3 {name}".encode()).hexdigest()}


@pytest.mark.parametrize("session", [None, "mpx_session_dana_dev_0001"])
async def test_latest_is_the_release_manifest_for_anyone(api, session):
    response = await api.internal("GET", "/api/cli/latest", session=session)
    assert (response.status, response.headers["cache-control"]) == (200, "no-store")
    assert response.raw_body.startswith(b'{"version":"0.18.3","releaseTag":"v0.18.3",')
    assert body_of(response) == {
        "version": "0.18.3", "releaseTag": "v0.18.3", "baseUrl": "https://install.mogplex.com/releases/v0.18.3",
        "generatedAt": "2026-05-14T18:42:07Z", "installScriptUrl": "https://install.mogplex.com/install.sh",
        "assets": [_asset("aarch64-apple-darwin", "tar.gz"), _asset("x86_64-apple-darwin", "tar.gz"),
                   _asset("aarch64-unknown-linux-gnu", "tar.gz"), _asset("x86_64-unknown-linux-gnu", "tar.gz"),
                   _asset("x86_64-pc-windows-msvc", "zip")]}


async def test_latest_when_the_manifest_is_unavailable(world_api):
    api = await world_api(cli_release="unavailable")
    response = await api.internal("GET", "/api/cli/latest", session=None)
    assert (response.status, response.headers["cache-control"], response.raw_body) == (
        503, "no-store",
        b'{"error":"CLI release manifest is unavailable","installScriptUrl":"https://install.mogplex.com/install.sh"}')


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/cli/latest"), ("GET", INFERENCE), ("PUT", OPENAI)])
async def test_methods_the_routes_do_not_export_are_an_empty_405(api, method, path):
    response = await api.internal(method, path)
    assert (response.status, response.raw_body) == (405, b"")


# -- the completion, whole and streamed --------------------------------------------------------

@BOTH
async def test_a_whole_completion_is_one_chat_completion(api, path):
    response = await complete(api, {**HELLO, "stream": False}, path)
    assert (response.status, response.headers["Content-Type"]) == (200, "application/json")
    body = body_of(response)
    assert body == {
        "id": body["id"], "object": "chat.completion", "created": CREATED, "model": SONNET,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "mockplex heard: hello there"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 4, "completion_tokens": 4, "total_tokens": 8}}
    assert body["id"].startswith("chatcmpl_") and len(body["id"]) == 41 and "-" not in body["id"]


@BOTH
async def test_a_streamed_completion_is_chunk_events_ending_in_done(api, path):
    response = await complete(api, HELLO, path)  # no `stream` field streams
    assert response.status == 200
    assert {name: response.headers[name] for name in STREAM_HEADERS} == STREAM_HEADERS
    events = frames(response.raw_body)
    response_id = events[0]["id"]
    assert events == [
        chunk(response_id, {"role": "assistant"}), chunk(response_id, {"content": "mockplex "}),
        chunk(response_id, {"content": "heard: "}), chunk(response_id, {"content": "hello "}),
        chunk(response_id, {"content": "there"}),
        chunk(response_id, {}, "stop", {"prompt_tokens": 4, "completion_tokens": 4, "total_tokens": 8}), "[DONE]"]
    assert response.raw_body.startswith(
        b'data: {"id":"' + response_id.encode() + b'","object":"chat.completion.chunk","created":1779012000,'
        b'"model":"anthropic/claude-sonnet-4.5","choices":[{"index":0,"delta":{"role":"assistant"},'
        b'"finish_reason":null}]}\n\ndata: ')
    assert response.raw_body.endswith(b'"total_tokens":8}}\n\ndata: [DONE]\n\n')


async def test_the_same_request_gives_the_same_bytes_from_the_seed_and_the_clock(make_api):
    first, second = await make_api(), await make_api()
    answers = [(await complete(api, HELLO)).raw_body for api in (first, second)]
    assert answers[0] == answers[1]
    later = await make_api(clock="frozen@2026-06-01T12:00:30Z")
    assert frames((await complete(later, HELLO)).raw_body)[0]["created"] == 1780315230


async def test_a_forced_tool_choice_calls_the_tool_streamed(api):
    body = {**HELLO, "tools": [READ_FILE], "tool_choice": "required"}
    events = frames((await complete(api, body)).raw_body)
    response_id, call_id = events[0]["id"], events[1]["choices"][0]["delta"]["tool_calls"][0]["id"]
    assert call_id.startswith("call_") and len(call_id) == 29
    assert events == [
        chunk(response_id, {"role": "assistant"}),
        chunk(response_id, {"tool_calls": [{"index": 0, "id": call_id, "type": "function",
                                            "function": {"name": "read_file", "arguments": ""}}]}),
        chunk(response_id, {"tool_calls": [{"index": 0,
                                            "function": {"arguments": '{"path":"hello there","lines":1}'}}]}),
        chunk(response_id, {}, "tool_calls", {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5}),
        "[DONE]"]


async def test_a_named_tool_choice_calls_that_tool_whole(api):
    other = {"type": "function", "function": {"name": "list_files"}}
    body = {**HELLO, "stream": False, "tools": [READ_FILE, other],
            "tool_choice": {"type": "function", "function": {"name": " list_files "}}}
    message = body_of(await complete(api, body))["choices"][0]
    call_id = message["message"]["tool_calls"][0]["id"]
    assert message == {"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [
        {"id": call_id, "type": "function", "function": {"name": "list_files", "arguments": "{}"}}]},
        "finish_reason": "tool_calls"}


@pytest.mark.parametrize("tool_choice", ["auto", "none", None, {"type": "function", "function": {"name": "nope"}}])
async def test_without_a_forced_tool_the_model_answers_in_text(api, tool_choice):
    body = {**HELLO, "stream": False, "tools": [READ_FILE], "tool_choice": tool_choice}
    assert body_of(await complete(api, body))["choices"][0]["message"] == {
        "role": "assistant", "content": "mockplex heard: hello there"}


@pytest.mark.parametrize(("extra", "content", "finish", "completion_tokens"), [
    ({"max_tokens": 2}, "mockplex heard: ", "length", 2),
    ({"max_completion_tokens": 3, "max_tokens": 1}, "mockplex heard: hello ", "length", 3),
    ({"stop": "hello"}, "mockplex heard: ", "stop", 2),
    ({"stop": ["zzz", " there"]}, "mockplex heard: hello", "stop", 3),
])
async def test_stop_sequences_and_max_tokens_cut_the_reply(api, extra, content, finish, completion_tokens):
    choice = body_of(await complete(api, {**HELLO, "stream": False, **extra}))
    assert (choice["choices"][0]["message"]["content"], choice["choices"][0]["finish_reason"],
            choice["usage"]["completion_tokens"]) == (content, finish, completion_tokens)


async def test_message_shapes_the_model_reads(api):
    messages = [{"role": "user", "content": [{"type": "text", "text": "look"},
                                             {"type": "image_url", "image_url": {"url": "https://x.dev/a.png"}}]},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": "{"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "file body"}, {"role": "developer"}, "hi",
                {"role": "user", "content": ""}]
    body = body_of(await complete(api, {"messages": messages, "stream": False}))
    assert body["choices"][0]["message"]["content"] == "mockplex heard: (empty)"
    assert body["usage"]["prompt_tokens"] == 6  # look, (no response), file body, (empty)


# -- validation ---------------------------------------------------------------------------------

@BOTH
@pytest.mark.parametrize(("raw", "message"), [
    ("{not json", "Invalid JSON body"), ("", "Invalid JSON body"), ("{}", "messages is required"),
    ('{"messages":[]}', "messages is required"), ('{"messages":"hi"}', "messages is required"),
    ('[{"role":"user"}]', "messages is required"), ("42", "messages is required"),
    ('{"messages":[{"role":"user","content":"x"}],"model":7}', "requestedModel?.trim is not a function"),
])
async def test_body_errors_are_400_with_a_nested_message(api, path, raw, message):
    response = await complete(api, raw, path)
    assert (response.status, body_of(response)) == (400, {"error": {"message": message}})


@pytest.mark.parametrize("body", [
    "null", {"messages": [None]}, {"messages": [{"role": "assistant", "tool_calls": 5}]},
    {"messages": [{"role": "assistant", "tool_calls": [None]}]}, {**HELLO, "tools": "read_file"},
    {**HELLO, "tools": [None]}, {**HELLO, "tools": [{"type": "function", "function": {"name": 5}}]},
    {**HELLO, "tool_choice": {"type": "function", "function": {"name": True}}},
])
async def test_what_javascript_throws_on_is_an_empty_500(api, body):
    response = await complete(api, body)
    assert (response.status, response.raw_body) == (500, b"")


@pytest.mark.parametrize(("extra", "message"), [
    ({"max_tokens": 1.5}, "Invalid argument for parameter maxOutputTokens: maxOutputTokens must be an integer"),
    ({"max_completion_tokens": 0}, "Invalid argument for parameter maxOutputTokens: maxOutputTokens must be >= 1"),
    ({"temperature": "hot"}, "Invalid argument for parameter temperature: temperature must be a number"),
    ({"top_p": True}, "Invalid argument for parameter topP: topP must be a number"),
    ({"messages": [{"role": "critic", "content": "x"}]}, "Invalid prompt: messages must not be empty"),
])
async def test_what_the_sdk_refuses_fails_the_call(api, extra, message):
    whole = await complete(api, {**HELLO, **extra, "stream": False})
    assert (whole.status, body_of(whole)) == (500, {"error": {"message": message}})
    events = frames((await complete(api, {**HELLO, **extra})).raw_body)
    assert events[1:] == [{"error": {"message": message}}, "[DONE]"]
    assert events[0]["choices"][0]["delta"] == {"role": "assistant"}


# -- auth ---------------------------------------------------------------------------------------

@BOTH
async def test_no_caller_is_sent_to_login_by_the_edge(api, path):
    response = await complete(api, HELLO, path, session=None)
    assert (response.status, response.headers["Location"]) == (
        307, f"{api.origin}/login?next={path.replace('/', '%2F')}")


@BOTH
async def test_a_pat_is_let_through_and_an_oauth_bearer_is_not(api, path):
    assert (await complete(api, HELLO, path, session=None, token=RW)).status == 200
    assert (await complete(api, HELLO, path, session=None, token=OAUTH)).status == 307
    revoked = await complete(api, HELLO, path, session=None, token=REVOKED)
    assert (revoked.status, body_of(revoked)) == (401, {"error": "Unauthorized"})


async def test_the_caller_is_who_the_pat_names(api):
    body = body_of(await complete(api, {**HELLO, "stream": False}, session=None, token=OTHER_USER))
    assert body["model"] == "minimax/minimax-m2.7"  # Sam has no default: the template model


# -- the model ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("model", "resolved"), [
    ("openai/gpt-5-mini", "openai/gpt-5-mini"), (" xai/grok-code-fast-1 ", "xai/grok-code-fast-1"),
    ("claude-opus-4-7", SONNET), ("", SONNET), (None, SONNET), ("someone/unlisted", "someone/unlisted"),
])
async def test_the_model_is_the_named_one_or_the_users_default(api, model, resolved):
    body = body_of(await complete(api, {**HELLO, "model": model, "stream": False}))
    assert body["model"] == resolved


BILLING = ("Hosted AI requires a positive billing balance. Add funds or choose a plan in Settings > Billing, "
           "or add your own {} key in Settings > API Keys.")


@pytest.mark.parametrize(("session", "model", "setting", "message"), [
    (ROBIN, None, "replies", BILLING.format("AI Gateway or provider")),
    (ROBIN, "openai/gpt-5-mini", "replies", BILLING.format("OpenAI or AI Gateway")),
    (ROBIN, SONNET, "replies", BILLING.format("Anthropic or AI Gateway")),
    (None, "openrouter/qwen/qwen3-coder", "replies", ("No OpenRouter API key configured. Add one in Settings > "
     "API Keys or switch to an AI Gateway, OpenAI, or Anthropic model.")),
    (None, SONNET, "gateway_unconfigured", ("No Anthropic API key configured. Add one in Settings > API Keys or "
     "configure an AI Gateway key.")),
    (None, "minimax/minimax-m2.7", "gateway_unconfigured", ('Model provider "minimax" is not supported without AI '
     "Gateway. Add an AI Gateway key in Settings > API Keys or switch to an OpenAI, Anthropic, or OpenRouter model.")),
])
async def test_a_model_nothing_reaches_is_refused(world_api, session, model, setting, message):
    api = await world_api(cli_inference_model=setting)
    kwargs = {"session": session} if session else {}
    response = await complete(api, {**HELLO, "model": model}, **kwargs)
    assert (response.status, body_of(response)) == (400, {"error": {"message": message}})
    assert body_of(await api.internal("GET", "/api/observability/calls?surface=cli", **kwargs))["calls"] == []


async def test_a_provider_key_saved_in_settings_reaches_the_model(world_api):
    api = await world_api(cli_inference_model="gateway_unconfigured")
    await api.internal("PUT", "/api/settings/keys", json_body={"provider": "anthropic", "key": "sk-ant-local"})
    assert (await complete(api, {**HELLO, "stream": False})).status == 200


async def test_team_scope_checks_the_role_and_the_teams_allowlist(api):
    team = {"x-mogplex-team-id": DANAS_TEAM}
    assert (await complete(api, {**HELLO, "stream": False}, headers=team)).status == 200
    stranger = await complete(api, HELLO, session=SAM, headers=team)
    assert (stranger.status, body_of(stranger)) == (
        400, {"error": {"message": "This model is not enabled for your team role."}})
    patched = await api.internal("PATCH", f"/api/teams/{DANAS_TEAM}/models",
                                 json_body={"model_allowlist": ["openai/gpt-5-mini"]})
    assert patched.status == 200
    refused = await complete(api, HELLO, headers=team)
    assert (refused.status, body_of(refused)) == (
        400, {"error": {"message": "This model is not on the team's model allowlist."}})
    assert (await complete(api, {**HELLO, "model": "openai/gpt-5-mini"}, headers=team)).status == 200
    assert (await complete(api, HELLO, headers={"x-mogplex-team-id": "not-a-team"})).status == 200  # personal
    events = body_of(await api.internal("GET", f"/api/teams/{DANAS_TEAM}/audit-events"))["events"]
    denials = [(event["action"], event["decisionCode"], event["targetId"], event["payload"])
               for event in events if event["action"] == "model.denied"]
    assert sorted(denials, key=str, reverse=True) == [
        ("model.denied", "model_not_in_allowlist", SONNET, {"allowlist_size": 1}),
        ("model.denied", "capability_denied", "minimax/minimax-m2.7",  # Sam's default
         {"required_capability": "models.minimax.minimax-m2.7"})]


async def test_an_unreadable_allowlist_is_503_to_retry(world_api):
    api = await world_api(cli_inference_model="allowlist_unavailable")
    response = await complete(api, HELLO, headers={"x-mogplex-team-id": DANAS_TEAM})
    assert (response.status, response.headers["Retry-After"], body_of(response)) == (
        503, "5", {"error": {"message": "Couldn't verify the team's model allowlist. Please try again."}})
    assert (await complete(api, {**HELLO, "stream": False})).status == 200  # the personal scope reads none


# -- the model failing ------------------------------------------------------------------------------

async def test_a_provider_that_fails_to_start(world_api):
    api = await world_api(cli_inference_model="fails_to_start")
    whole = await complete(api, {**HELLO, "stream": False})
    assert (whole.status, body_of(whole)) == (500, {"error": {"message": FAILURE}})
    streamed = await complete(api, HELLO)
    events = frames(streamed.raw_body)
    assert (streamed.status, events[1:]) == (200, [{"error": {"message": FAILURE}}, "[DONE]"])
    assert events[0] == chunk(events[0]["id"], {"role": "assistant"})


async def test_a_provider_that_fails_mid_stream(world_api):
    api = await world_api(cli_inference_model="fails_mid_stream")
    events = frames((await complete(api, HELLO)).raw_body)
    response_id = events[0]["id"]
    assert events == [chunk(response_id, {"role": "assistant"}), chunk(response_id, {"content": "mockplex "}),
                      chunk(response_id, {"content": "heard: "}), {"error": {"message": FAILURE}}, "[DONE]"]


# -- usage recording: observability's CLI surface -------------------------------------------------------

async def test_each_call_is_an_ai_call_on_the_cli_surface(world_api):
    api = await world_api(cli_inference_model="fails_mid_stream")
    await complete(api, HELLO)
    calls = body_of(await api.internal("GET", "/api/observability/calls?surface=cli"))["calls"]
    assert [{key: call[key] for key in ("type", "model", "status", "error", "input_tokens", "output_tokens",
                                        "total_tokens", "cost_usd", "metadata")} for call in calls] == [
        {"type": "chat", "model": SONNET, "status": "failed", "input_tokens": None,  # the list's error pass:
         "error": "This run needs additional model or provider configuration. Check Settings and retry. "
                  "Incident MOG-CALL-F728B4FA42.",
         "output_tokens": None, "total_tokens": 0, "cost_usd": None, "metadata": {"source": "cli", "streaming": True}}]


async def test_a_successful_call_records_its_usage_tools_and_cost(api):
    await complete(api, {**HELLO, "stream": False, "tools": [READ_FILE], "tool_choice": "required"}, session=None,
                   token=RW)
    calls = body_of(await api.internal("GET", "/api/observability/calls?surface=cli"))["calls"]
    assert len(calls) == 1
    assert {key: value for key, value in calls[0].items() if key not in ("id",)} == {
        "user_id": "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10", "type": "chat", "model": SONNET, "input_tokens": 4,
        "output_tokens": 1, "total_tokens": 5, "duration_ms": 0, "started_at": "2026-05-17T10:00:00+00:00",
        "completed_at": "2026-05-17T10:00:00+00:00", "status": "success", "error": None, "conversation_id": None,
        "job_run_id": None, "repo_id": None, "tool_calls_count": 1,
        "tool_calls": [{"name": "read_file", "input": {"path": "hello there", "lines": 1}}],
        "metadata": {"source": "cli", "streaming": False}, "runtime_command_id": None, "cancel_requested_at": None,
        "control_state": "active", "limit_claim_id": None, "cost_usd": 0.000027, "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0, "reasoning_tokens": 0, "gateway_generation_id": None,
        "cost_source": "trigger", "gateway_generation_ids": None}
    cloud = body_of(await api.internal("GET", "/api/observability/calls?surface=cloud"))["calls"]
    assert calls[0]["id"] not in {call["id"] for call in cloud}
