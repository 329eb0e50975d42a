"""Repos, agents, models and external MCP servers (v1 spec §4)."""

from __future__ import annotations

from conftest import (
    API_REPO,
    NOTES_REPO,
    OAUTH,
    OTHER_USER,
    OTHER_USERS_REPO,
    READ_ONLY,
    WEB_REPO,
    body_of,
)

from mockplex import state

WEB = {"id": WEB_REPO, "full_name": "harborlight/web", "installation_id": 48213,
       "default_branch": "main", "root_directory": "apps/web"}


async def repo_names(api, query: str = "", token: str = READ_ONLY) -> list[str]:
    response = await api.get(f"/repos{query}", token=token)
    assert response.status == 200
    return [repo["full_name"] for repo in body_of(response)["data"]["repos"]]


async def test_repos_are_sorted_by_full_name_and_hidden_ones_left_out(api):
    assert await repo_names(api) == ["dana-okafor/dotfiles", "dana-okafor/notes-app", "harborlight/api",
                                     "harborlight/design-system", "harborlight/web"]
    assert await repo_names(api, token=OTHER_USER) == ["quarry-labs/pipeline"]


async def test_repo_payload_is_exact_in_key_order(api):
    response = await api.get("/repos?q=harborlight/web")
    assert response.raw_body == (
        b'{"ok":true,"data":{"repos":[{"id":"0b6c4d2e-7a1f-4e3b-9c5d-8f2a6b1e3c70",'
        b'"full_name":"harborlight/web","installation_id":48213,"default_branch":"main",'
        b'"root_directory":"apps/web"}]}}')


async def test_a_repo_changed_in_the_world_is_listed_as_it_now_is(api):
    """A listed repo's text is kept between listings; changing any listed field shows."""
    before = (await api.get("/repos?q=harborlight/web")).raw_body
    repo = api.client.app[state.WORLD].repos[WEB_REPO]
    repo.default_branch, repo.root_directory = "trunk", None
    after = (await api.get("/repos?q=harborlight/web")).raw_body
    assert after == before.replace(b'"main","root_directory":"apps/web"', b'"trunk","root_directory":null')
    repo.default_branch, repo.root_directory = "main", "apps/web"
    assert (await api.get("/repos?q=harborlight/web")).raw_body == before


async def test_q_is_a_trimmed_case_insensitive_ilike(api):
    assert await repo_names(api, "?q=%20%20WEB%20") == ["harborlight/web"]
    assert await repo_names(api, "?q=har%25api") == ["harborlight/api"]          # % is a wildcard
    assert await repo_names(api, "?q=dotfile_") == ["dana-okafor/dotfiles"]      # _ is one char
    assert await repo_names(api, "?q=%20") == await repo_names(api)              # blank = ignored
    assert await repo_names(api, "?q=nothing-matches") == []


async def test_the_undocumented_id_filter_wins_over_q(api):
    assert await repo_names(api, f"?id={WEB_REPO}&q=api") == ["harborlight/web"]
    assert await repo_names(api, f"?id={WEB_REPO.upper()}") == ["harborlight/web"]
    assert await repo_names(api, "?id=not-a-uuid") == []
    assert await repo_names(api, f"?id={OTHER_USERS_REPO}") == []
    assert await repo_names(api, "?id=3e9f7a5b-ad4c-4b6e-af80-bc5d9e4b6fa3") == []  # hidden


async def test_limit_parsing_is_parseint_then_clamped(api):
    cases = {"": 5, "2": 2, "2abc": 2, "1e3": 1, "0": 1, "-5": 1, "abc": 5, "500": 5, " 3": 3, "+4": 4}
    for raw, expected in cases.items():
        assert len(await repo_names(api, f"?limit={raw}")) == expected, raw


async def test_agents_list_unforked_presets_then_own_agents_by_name(api):
    response = await api.get("/agents", token=READ_ONLY)
    agents = body_of(response)["data"]["agents"]
    presets = [agent for agent in agents if agent["preset"]]
    own = [agent for agent in agents if not agent["preset"]]
    assert len(presets) == 40  # PR-REVIEWER is forked by one of Dana's agents
    assert "preset:PR-REVIEWER" not in {agent["id"] for agent in presets}
    assert presets[0] == {
        "id": "preset:NEXTJS-REVIEWER", "name": "NEXTJS-REVIEWER", "slug": None,
        "model": "anthropic/claude-sonnet-4.5", "description": presets[0]["description"],
        "category": "nextjs", "preset": True}
    assert [agent["name"] for agent in own] == ["Flaky Test Hunter", "Harborlight PR Reviewer",
                                                 "Release Notes Writer"]
    assert agents == presets + own
    assert own[0] == {"id": "9ef5d0b1-03a2-41c4-a5e6-12b3f4a0c509", "name": "Flaky Test Hunter",
                      "slug": None, "model": "minimax/minimax-m2.7", "description": None,
                      "category": None, "preset": False}


async def test_presets_use_the_template_model_when_the_user_has_no_default(api):
    agents = body_of(await api.get("/agents", token=OTHER_USER))["data"]["agents"]
    assert len(agents) == 42
    assert {agent["model"] for agent in agents if agent["preset"]} == {"minimax/minimax-m2.7"}


async def test_models_are_the_usable_ones_ordered_by_provider(api):
    response = await api.get("/models", token=OAUTH)
    models = body_of(response)["data"]["models"]
    assert [model["id"] for model in models] == [
        "anthropic/claude-sonnet-4.5", "anthropic/claude-haiku-4.5", "minimax/minimax-m2.7",
        "moonshot/kimi-k2", "openai/gpt-5.1-codex", "openai/gpt-5-mini"]
    assert models[0] == {"id": "anthropic/claude-sonnet-4.5", "provider": "anthropic",
                         "name": "Claude Sonnet 4.5", "contextLength": 200000,
                         "capabilities": ["tools", "vision", "reasoning"],
                         "pricing": {"input": 3, "output": 15}}
    assert models[3]["contextLength"] is None and models[3]["pricing"] == {"input": None, "output": None}
    assert b'"input":1.25,' in response.raw_body


async def test_mcp_servers_custom_first_then_unshadowed_connections(api):
    servers = body_of(await api.get("/mcp/servers", token=READ_ONLY))["data"]["servers"]
    assert [(server["name"], server["enabled"]) for server in servers] == [
        ("linear", True), ("sentry", True), ("postgres-readonly", False), ("github", True)]
    assert servers[0]["config"] == {"command": "npx", "args": ["-y", "@example/linear-mcp"],
                                    "env": {"LINEAR_API_KEY": "lin_api_mockplexDevKey0001"}}
    assert servers[1]["config"] == {"timeout_ms": 30000, "url": "https://mcp.sentry.example.dev/mcp",
                                    "http_headers": {"Authorization": "Bearer sntrys_mockplex_dev_only"}}
    assert list(servers[1]["config"]) == ["timeout_ms", "url", "http_headers"]
    other = body_of(await api.get("/mcp/servers", token=OTHER_USER))["data"]["servers"]
    assert [server["name"] for server in other] == ["datadog"]


async def test_lists_are_per_user(api):
    assert NOTES_REPO not in str(body_of(await api.get("/repos", token=OTHER_USER)))
    assert API_REPO in str(body_of(await api.get("/repos")))
