"""The last web routes modeled for issue 17: GET /api/cron/sync-models over the AI
gateway the world plays, and what it changes in GET /api/models and v1 GET /models."""

from __future__ import annotations

import shutil

import pytest

from mockplex.app import build_app
from tests.conftest import REPO_ROOT, RW, Api, body_of, make_settings

CRON = "cron-dev"
SYNCED = {"synced": 8, "total_gateway": 8, "recommended": 4, "provider_icons_attempted": 0,
          "provider_icons_upserted": 0, "provider_icons_failed": 0, "provider_icons_status": "deferred",
          "provider_icons_scheduled": 6, "reconcile_status": "ok", "supersessions_recorded": 0,
          "supersessions_purged": 0, "pins_upgraded": {"flows": 0, "agents": 0, "profiles": 0}}


@pytest.fixture
async def cron_api(aiohttp_client, tmp_path):
    async def make(**settings: str) -> Api:
        world = tmp_path / "world"
        shutil.copytree(REPO_ROOT / "fixtures", world)
        if settings:
            world_yaml = world / "world.yaml"
            world_yaml.write_text(world_yaml.read_text() + "".join(f"{k}: {v}\n" for k, v in settings.items()))
        app = build_app(make_settings(tmp_path, fixtures_dir=world, cron_secret=CRON))
        return Api(await aiohttp_client(app))
    return make


async def test_sync_models_answers_the_gateway_counts(cron_api):
    api = await cron_api()
    response = await api.call("GET", "/api/cron/sync-models", CRON)
    assert (response.status, body_of(response)) == (200, SYNCED)
    again = await api.call("GET", "/api/cron/sync-models", CRON)
    assert (again.status, body_of(again)) == (200, SYNCED)


async def test_sync_models_needs_the_cron_secret(cron_api):
    api = await cron_api()
    for token in (None, RW, "wrong"):
        response = await api.call("GET", "/api/cron/sync-models", token)
        assert (response.status, body_of(response)) == (401, {"error": "Unauthorized"})


async def test_a_failing_gateway_is_a_502_and_changes_nothing(cron_api):
    api = await cron_api(model_gateway="failing")
    before = body_of(await api.internal("GET", "/api/models"))
    response = await api.call("GET", "/api/cron/sync-models", CRON)
    assert (response.status, body_of(response)) == (502, {"error": "Failed to fetch AI Gateway models"})
    assert body_of(await api.internal("GET", "/api/models")) == before


async def test_the_synced_catalogue_is_what_models_lists(cron_api):
    api = await cron_api()
    before = {row["id"] for row in body_of(await api.get("/models"))["data"]["models"]}
    assert "anthropic/claude-sonnet-4.5" in before and "deepseek/deepseek-v3.2" not in before
    await api.call("GET", "/api/cron/sync-models", CRON)
    listed = [row["id"] for row in body_of(await api.get("/models"))["data"]["models"]]
    assert "deepseek/deepseek-v3.2" in listed and "anthropic/claude-sonnet-4.6" in listed
    assert "anthropic/claude-sonnet-4.5" not in listed and "moonshot/kimi-k2" not in listed
    catalog = {row["id"]: row for row in body_of(await api.internal("GET", "/api/models"))["catalog"]}
    new = catalog["deepseek/deepseek-v3.2"]
    assert {key: new[key] for key in ("provider", "name", "context_length", "pricing_input", "pricing_output",
                                      "capabilities", "is_available", "is_hidden", "is_recommended",
                                      "recommendation_bucket", "recommendation_rank", "recommendation_reason")} == {
        "provider": "deepseek", "name": "DeepSeek V3.2", "context_length": 163840, "pricing_input": 2.7e-07,
        "pricing_output": 4e-07, "capabilities": ["reasoning", "tool-use"], "is_available": True,
        "is_hidden": False, "is_recommended": True, "recommendation_bucket": "open", "recommendation_rank": 2,
        "recommendation_reason": "open_best_economy"}
    stale = catalog["anthropic/claude-sonnet-4.5"]
    assert (stale["is_available"], stale["is_hidden"], stale["is_recommended"], stale["recommended_at"]) == (
        False, True, False, None)
    ranks = {(row["recommendation_bucket"], row["recommendation_rank"]): (row["id"], row["recommendation_reason"])
             for row in catalog.values() if row["is_recommended"]}
    assert ranks == {("frontier", 1): ("anthropic/claude-sonnet-4.6", "frontier_latest_general"),
                     ("frontier", 2): ("google/gemini-2.5-pro", "frontier_fast_general"),
                     ("open", 1): ("minimax/minimax-m2.7", "open_best_general"),
                     ("open", 2): ("deepseek/deepseek-v3.2", "open_best_economy")}
    # Hides are durable: the grok row the fixture leaves unavailable is now available, still visible.
    assert (catalog["xai/grok-code-fast-1"]["is_available"], catalog["xai/grok-code-fast-1"]["is_hidden"]) == (
        True, False)
