"""The web app's agent routes (/api/agents, its roster and the generator), answered as the
server's handlers answer them."""

from __future__ import annotations

import json
import shutil
from urllib.parse import quote

import pytest
from conftest import DANA_SESSION, OTHER_USER, REPO_ROOT, RW, Api, body_of, make_settings

from mockplex.app import build_app

RELEASE_NOTES = "7cd3be9f-e180-4fa2-83c4-f091d28fa3e7"
FLAKY = "9ef5d0b1-03a2-41c4-a5e6-12b3f4a0c509"
OTHER_USERS_AGENT = "a0f6e1c2-14b3-42d5-b6f7-23c4a5b1d61a"
DANAS_TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"
STRANGE_TEAM = "11111111-2222-4333-8444-555555555555"
NEW_AGENT = {"name": "  Docs Bot  ", "model": " openai/gpt-5-mini ", "category": "code-quality", "description": "Docs"}
ROW_COLUMNS = ["id", "user_id", "name", "model", "system_prompt", "created_at", "source_template", "description",
               "category", "slug"]
NO_ROW = "JSON object requested, multiple (or no) rows returned"
NOW = "2026-05-17T10:00:00+00:00"
ROUTES = [("GET", "/api/agents"), ("POST", "/api/agents"), ("PUT", "/api/agents"), ("DELETE", "/api/agents?id=x"),
          ("GET", "/api/agents/roster"), ("GET", "/api/agents/roster/summary"), ("POST", "/api/agents/generate")]


async def world_api(aiohttp_client, tmp_path, **settings) -> Api:
    """The default world with world.yaml settings changed."""
    folder = tmp_path / "world"
    shutil.copytree(REPO_ROOT / "fixtures", folder)
    world = folder / "world.yaml"
    world.write_text(world.read_text() + "".join(f"{key}: {value}\n" for key, value in settings.items()))
    return Api(await aiohttp_client(build_app(make_settings(tmp_path, fixtures_dir=folder))))


# -- GET /api/agents ------------------------------------------------------------------------

async def test_list_is_presets_then_rows_in_storage_order(api):
    agents = body_of(await api.internal("GET", "/api/agents"))
    assert len(agents) == 44 and agents[0] == {
        "id": "preset:NEXTJS-REVIEWER", "user_id": "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10", "name": "NEXTJS-REVIEWER",
        "model": "anthropic/claude-sonnet-4.5",
        "system_prompt": "You are NEXTJS-REVIEWER. Reviews Next.js changes for routing, data fetching and "
                         "server/client boundaries.",
        "description": "Reviews Next.js changes for routing, data fetching and server/client boundaries.",
        "category": "nextjs", "source_template": "NEXTJS-REVIEWER", "created_at": "1970-01-01T00:00:00.000Z",
        "is_preset": True, "has_fork": False}
    assert next(agent for agent in agents if agent["id"] == "preset:PR-REVIEWER")["has_fork"] is True
    assert [row["name"] for row in agents[41:]] == ["Release Notes Writer", "Harborlight PR Reviewer", "Flaky Test Hunter"]
    assert agents[43] == {"id": FLAKY, "user_id": "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10", "name": "Flaky Test Hunter",
                          "model": "minimax/minimax-m2.7", "system_prompt": None,
                          "created_at": "2026-04-21T08:05:00+00:00", "source_template": None, "description": None,
                          "category": None, "slug": None}


async def test_presets_follow_a_usable_default_and_a_foreign_team_gets_the_template_model(api):
    assert (await api.internal("PATCH", "/api/settings", json_body={"default_model": "openai/gpt-5-mini"})).status == 200
    for team, model in ((None, "openai/gpt-5-mini"), (DANAS_TEAM, "openai/gpt-5-mini"),
                        (STRANGE_TEAM, "minimax/minimax-m2.7"), ("not-a-uuid", "openai/gpt-5-mini")):
        response = await api.internal("GET", "/api/agents", headers={"x-mogplex-team-id": team} if team else None)
        assert response.status == 200 and body_of(response)[0]["model"] == model


async def test_an_updated_row_is_listed_last(api):
    await api.internal("PUT", "/api/agents", json_body={"id": RELEASE_NOTES, "description": "Notes"})
    rows = body_of(await api.internal("GET", "/api/agents"))[41:]
    assert [row["name"] for row in rows] == ["Harborlight PR Reviewer", "Flaky Test Hunter", "Release Notes Writer"]


# -- POST /api/agents -----------------------------------------------------------------------

async def test_create_answers_the_inserted_row(api):
    response = await api.internal("POST", "/api/agents", json_body={**NEW_AGENT, "slug": "ignored", "id": "ignored"})
    created = body_of(response)
    assert response.status == 200 and list(created) == ROW_COLUMNS
    assert {key: value for key, value in created.items() if key != "id"} == {
        "user_id": "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10", "name": "Docs Bot", "model": "openai/gpt-5-mini",
        "system_prompt": None, "created_at": NOW, "source_template": None, "description": "Docs",
        "category": "code-quality", "slug": None}
    v1 = body_of(await api.get("/agents"))["data"]["agents"]
    assert {"id": created["id"], "name": "Docs Bot", "slug": None, "model": "openai/gpt-5-mini", "description": "Docs",
            "category": "code-quality", "preset": False} in v1


async def test_create_stores_other_json_values_as_their_text(api):
    created = body_of(await api.internal("POST", "/api/agents", json_body={
        **NEW_AGENT, "description": 42, "system_prompt": {"a": [1, True]}, "source_template": False}))
    assert (created["description"], created["system_prompt"], created["source_template"]) == (
        "42", '{"a":[1,true]}', "false")


@pytest.mark.parametrize("change, message", [
    ({"name": " "}, "Name is required"), ({"name": 7}, "Name is required"),
    ({"name": "n" * 61}, "Name must be 60 characters or less"),
    ({"name": "😀" * 31}, "Name must be 60 characters or less"),
    ({"name": "n" * 61, "category": None}, "Name must be 60 characters or less"),
    ({"description": "d" * 201}, "Description must be 200 characters or less"),
    ({"category": None}, "Category is required"), ({"category": " "}, "Category is required"),
    ({"category": "Misc"}, "Invalid category"), ({"category": "misc"}, "Invalid category"),
    ({"category": "misc", "model": ""}, "Model is required"), ({"category": "Misc", "model": ""}, "Invalid category"),
    ({"system_prompt": "p" * 50_001}, "System prompt is too long"), ({"model": " "}, "Model is required"),
    ({"model": None, "system_prompt": "p" * 50_001}, "System prompt is too long"),
])
async def test_create_refusals_in_the_servers_order(api, change, message):
    response = await api.internal("POST", "/api/agents", json_body={**NEW_AGENT, **change})
    assert (response.status, body_of(response)) == (400, {"error": message})


@pytest.mark.parametrize("body", [b"{not json", b"null", b"[1]", b""])
async def test_create_reads_a_malformed_body_as_no_fields(api, body):
    response = await api.internal("POST", "/api/agents", json_body=body)
    assert (response.status, body_of(response)) == (400, {"error": "Name is required"})


async def test_a_long_prompt_within_the_limit_is_accepted(api):
    response = await api.internal("POST", "/api/agents", json_body={**NEW_AGENT, "system_prompt": "p" * 50_000})
    assert response.status == 200


# -- PUT /api/agents ------------------------------------------------------------------------

async def test_update_changes_only_the_fields_given(api):
    response = await api.internal("PUT", "/api/agents", json_body={"id": RELEASE_NOTES, "name": " Notes Writer ",
                                                                   "source_template": "PR-REVIEWER", "slug": "x"})
    assert (response.status, body_of(response)) == (200, {
        "id": RELEASE_NOTES, "user_id": "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10", "name": "Notes Writer",
        "model": "anthropic/claude-sonnet-4.5",
        "system_prompt": "You write release notes. Group merged pull requests by user-facing change and skip "
                         "internal chores.",
        "created_at": "2026-03-02T10:20:00+00:00", "source_template": None,
        "description": "Drafts release notes from merged pull requests.", "category": "code-quality",
        "slug": "release-notes-writer"})
    cleared = body_of(await api.internal("PUT", "/api/agents", json_body={
        "id": RELEASE_NOTES.upper(), "description": None, "system_prompt": None}))
    assert (cleared["description"], cleared["system_prompt"]) == (None, None)


@pytest.mark.parametrize("body, status, message", [
    ({}, 400, "Invalid agent id"), ({"id": " "}, 400, "Invalid agent id"), ({"id": 5}, 400, "Invalid agent id"),
    ({"id": RELEASE_NOTES, "name": ""}, 400, "Name is required"),
    ({"id": RELEASE_NOTES, "category": None}, 400, "Category is required"),
    ({"id": RELEASE_NOTES, "category": "custom"}, 400, "Invalid category"),
    ({"id": RELEASE_NOTES, "model": 3}, 400, "Model is required"),
    ({"id": "nope", "name": "x" * 61}, 400, "Name must be 60 characters or less"),
    ({"id": "nope", "name": "Renamed"}, 500, 'invalid input syntax for type uuid: "nope"'),
    ({"id": OTHER_USERS_AGENT, "name": "Renamed"}, 500, NO_ROW),
    ({"id": "00000000-0000-4000-8000-000000000000", "name": "Renamed"}, 500, NO_ROW),
    ({"id": RELEASE_NOTES}, 500, 'syntax error at or near "where"'),
    ({"id": "nope", "slug": "x"}, 500, 'syntax error at or near "where"'),
])
async def test_update_refusals(api, body, status, message):
    response = await api.internal("PUT", "/api/agents", json_body=body)
    assert (response.status, body_of(response)) == (status, {"error": message})


async def test_update_errors_in_supabases_words(aiohttp_client, tmp_path):
    api = await world_api(aiohttp_client, tmp_path, session_backend="supabase")
    cookie = {"Cookie": f"sb-mockplex-auth-token={DANA_SESSION}"}
    for body in ({"id": RELEASE_NOTES}, {"id": OTHER_USERS_AGENT, "name": "Renamed"}):
        response = await api.internal("PUT", "/api/agents", session=None, json_body=body, headers=cookie)
        assert (response.status, body_of(response)) == (500, {"error": "Cannot coerce the result to a single JSON object"})


async def test_update_with_a_malformed_body_is_an_invalid_id(api):
    response = await api.internal("PUT", "/api/agents", json_body=b"{")
    assert (response.status, body_of(response)) == (400, {"error": "Invalid agent id"})


# -- DELETE /api/agents ---------------------------------------------------------------------

async def test_delete_removes_the_row_everywhere(api):
    response = await api.internal("DELETE", f"/api/agents?id={RELEASE_NOTES.upper()}")
    assert (response.status, body_of(response)) == (200, {"ok": True})
    assert RELEASE_NOTES not in [agent["id"] for agent in body_of(await api.internal("GET", "/api/agents"))]
    assert RELEASE_NOTES not in [agent["id"] for agent in body_of(await api.get("/agents"))["data"]["agents"]]


@pytest.mark.parametrize("query, status, body", [
    ("", 400, {"error": "Missing id"}), ("?id=", 400, {"error": "Missing id"}),
    ("?id=nope", 500, {"error": 'invalid input syntax for type uuid: "nope"'}),
    (f"?id={OTHER_USERS_AGENT}", 200, {"ok": True}), ("?id=00000000-0000-4000-8000-000000000000", 200, {"ok": True}),
])
async def test_delete_answers(api, query, status, body):
    response = await api.internal("DELETE", f"/api/agents{query}")
    assert (response.status, body_of(response)) == (status, body)


async def test_another_users_agent_is_untouched(api):
    await api.internal("DELETE", f"/api/agents?id={OTHER_USERS_AGENT}")
    other = body_of(await api.get("/agents", token=OTHER_USER))["data"]["agents"]
    assert OTHER_USERS_AGENT in [agent["id"] for agent in other]


# -- roster ---------------------------------------------------------------------------------

async def test_roster_lists_unforked_presets_then_rows(api):
    roster = body_of(await api.internal("GET", "/api/agents/roster"))
    assert len(roster) == 43 and "preset:PR-REVIEWER" not in [entry["id"] for entry in roster]
    assert roster[40:] == [
        {"id": RELEASE_NOTES, "name": "Release Notes Writer",
         "description": "Drafts release notes from merged pull requests.", "status": "idle", "cycleCount": 0,
         "lastActivity": None},
        {"id": "8de4cfa0-f291-40b3-94d5-01a2e39fb4f8", "name": "Harborlight PR Reviewer",
         "description": "PR-REVIEWER tuned for the harborlight monorepo.", "status": "idle", "cycleCount": 0,
         "lastActivity": None},
        {"id": FLAKY, "name": "Flaky Test Hunter", "description": "", "status": "idle", "cycleCount": 0,
         "lastActivity": None}]


async def test_roster_summary_is_empty_without_attributed_runs(api):
    response = await api.internal("GET", "/api/agents/roster/summary")
    assert (response.status, body_of(response)) == (200, {})


# -- POST /api/agents/generate --------------------------------------------------------------

async def test_generate_streams_a_json_draft(api):
    response = await api.internal("POST", "/api/agents/generate", json_body={
        "description": "  Review SQL migrations for locking  ", "generatorModel": " openai/gpt-5-mini "})
    assert response.status == 200 and response.headers["Content-Type"] == "text/plain; charset=utf-8"
    draft = json.loads(response.raw_body)
    assert list(draft) == ["name", "description", "category", "system_prompt"]
    assert (draft["name"], draft["description"], draft["category"]) == (
        "REVIEW-SQL-MIGRATIONS", "Review SQL migrations for locking", "data")
    assert "## REVIEW FOCUS" in draft["system_prompt"]


async def test_generate_revises_an_existing_draft(api):
    response = await api.internal("POST", "/api/agents/generate", json_body={
        "description": "tighten it", "existingAgent": {"name": " MY-AGENT ", "category": "seo"}})
    assert (json.loads(response.raw_body)["name"], json.loads(response.raw_body)["category"]) == ("MY-AGENT", "seo")


@pytest.mark.parametrize("body, message", [
    ({}, "description is required"), ({"description": ""}, "description is required"),
    ({"description": 5}, "description is required"), ([1], "description is required"),
    ({"description": "d" * 2001}, "Description too long (max 2000)"),
    ({"description": "x", "generatorModel": "google/gemini-2.5-pro"}, "generatorModel must be enabled and available"),
])
async def test_generate_refusals(api, body, message):
    refused = await api.internal("POST", "/api/agents/generate", json_body=body)
    assert (refused.status, body_of(refused)) == (400, {"error": message})


@pytest.mark.parametrize("body", [b"{", b"null"])
async def test_generate_crashes_on_a_body_it_cannot_read(api, body):
    response = await api.internal("POST", "/api/agents/generate", json_body=body)
    assert (response.status, response.raw_body) == (500, b"")


async def test_generate_for_a_team_the_caller_is_not_in(api):
    response = await api.internal("POST", "/api/agents/generate", json_body={"description": "x"},
                                  headers={"x-mogplex-team-id": STRANGE_TEAM})
    assert (response.status, body_of(response)) == (403, {"error": "This model is not enabled for your team role."})


@pytest.mark.parametrize("outcome, status, body, retry_after", [
    ("stream_error", 200, b"", None),
    ("role_denied", 403, b'{"error":"This model is not enabled for your team role."}', None),
    ("not_allowlisted", 403, b'{"error":"This model is not on the team\'s model allowlist."}', None),
    ("allowlist_unavailable", 503, b'{"error":"Couldn\'t verify the team\'s model allowlist. Please try again."}', "5"),
    ("billing_required", 403, b'{"error":"Hosted AI requires a positive billing balance. Add funds or choose a plan in '
                              b'Settings > Billing, or add your own AI Gateway or provider key in Settings > API Keys."}',
     None),
])
async def test_generator_outcomes_are_world_settings(aiohttp_client, tmp_path, outcome, status, body, retry_after):
    api = await world_api(aiohttp_client, tmp_path, agent_generator=outcome)
    response = await api.internal("POST", "/api/agents/generate", json_body={"description": "x"})
    assert (response.status, response.raw_body, response.headers.get("Retry-After")) == (status, body, retry_after)


# -- the auth layer and the framework -------------------------------------------------------

@pytest.mark.parametrize("method, path", ROUTES)
async def test_no_caller_and_a_pat_are_sent_to_login(api, method, path):
    for token in (None, RW):
        response = await api.internal(method, path, session=None, token=token)
        assert response.status == 307 and response.raw_body == b""
        assert response.headers["Location"] == f"{api.origin}/login?next={quote(path, safe='')}"


@pytest.mark.parametrize("method, path", ROUTES)
async def test_a_foreign_team_header_is_no_403(api, method, path):
    response = await api.internal(method, path, headers={"x-mogplex-team-id": STRANGE_TEAM}, json_body={})
    assert response.status != 403 or path == "/api/agents/generate"


async def test_test_mode_headers_sign_in(make_api):
    api = await make_api(test_mode=True)
    response = await api.internal("GET", "/api/agents/roster", session=None, headers={
        "x-mogplex-e2e-auth": "playwright-auth-bypass", "x-mogplex-e2e-user-id": "8b1d4e7a-2c3f-4a9b-8e6d-1f0c3b5a7d92"})
    assert [entry["name"] for entry in body_of(response)][-1] == "Pipeline Doctor"


@pytest.mark.parametrize("method, path, allow", [
    ("PATCH", "/api/agents", "DELETE, GET, HEAD, OPTIONS, POST, PUT"),
    ("POST", "/api/agents/roster", "GET, HEAD, OPTIONS"),
    ("DELETE", "/api/agents/roster/summary", "GET, HEAD, OPTIONS"),
    ("GET", "/api/agents/generate", "OPTIONS, POST"),
])
async def test_methods_a_route_lacks(api, method, path, allow):
    response = await api.internal(method, path)
    assert (response.status, response.raw_body) == (405, b"")
    options = await api.internal("OPTIONS", path)
    assert (options.status, options.raw_body, options.headers["Allow"]) == (204, b"", allow)


async def test_a_path_with_no_route_is_the_html_404(api):
    response = await api.internal("GET", "/api/agents/nope")
    assert response.status == 404 and response.headers["Content-Type"].startswith("text/html")
