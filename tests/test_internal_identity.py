"""Identity and settings on the internal surface (internal spec §2.1), every auth path."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import EXPIRED, OTHER_USER, READ_ONLY, REPO_ROOT, RW, body_of

DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
UNAUTHORIZED = {"error": "Unauthorized"}


# -- /api/auth/user ---------------------------------------------------------------------

async def test_auth_user_never_401s(api):
    for session, token in ((None, None), ("mpx_session_expired_0001", None), (None, "mog_nope"),
                           ("mpx_session_no_profile_0001", None)):
        response = await api.internal("GET", "/api/auth/user", session=session, token=token)
        assert (response.status, body_of(response)) == (200, {"user": None})


async def test_auth_user_for_dana_by_pat_and_by_session(api):
    by_pat = await api.internal("GET", "/api/auth/user", session=None, token=RW)
    by_session = await api.internal("GET", "/api/auth/user")
    assert by_pat.raw_body == by_session.raw_body
    user = body_of(by_pat)["user"]
    assert list(user) == [
        "id", "email", "username", "name", "avatar_url", "github_username", "github_state", "github_connected",
        "github_app_connected", "github_connection_mode", "github_app_available", "github_install_pending",
        "github_installation_count", "github_synced_repo_count", "github_covered_repo_count",
        "github_status_label", "github_status_detail", "github_primary_action", "platform_access", "vercel",
        "account_vercel_project_id", "account_vercel_team_id"]
    assert (user["id"], user["github_state"], user["github_status_label"], user["github_primary_action"]) == (
        DANA, "app_installed_with_synced_repos", "Ready", None)
    assert (user["github_installation_count"], user["github_synced_repo_count"], user["github_covered_repo_count"]) == (
        2, 6, 6)
    assert user["vercel"]["statusDetail"] == (
        "Mogplex platform Vercel is ready. Sign in with Vercel is identity-only; user-owned compute requires a "
        "future API-capable integration.")


@pytest.mark.parametrize("session, cookie, state, label, action_kind", [
    ("mpx_session_kai_dev_0001", None, "app_installed", "App installed", "open_spaces"),
    ("mpx_session_lee_dev_0001", None, "oauth_connected", "OAuth only", "install"),
    ("mpx_session_robin_dev_0001", None, "disconnected", "Not connected", "install"),
    ("mpx_session_robin_dev_0001", "github_app_install_pending=1", "app_install_pending", "Install pending",
     "complete_install"),
])
async def test_every_github_state_is_reachable(api, session, cookie, state, label, action_kind):
    headers = {"Cookie": f"better-auth.session_token={session}" + (f"; {cookie}" if cookie else "")}
    user = body_of(await api.call("GET", "/api/auth/user", None, headers=headers))["user"]
    assert (user["github_state"], user["github_status_label"], user["github_primary_action"]["kind"]) == (
        state, label, action_kind)


async def test_lee_oauth_only_wording(api):
    user = body_of(await api.internal("GET", "/api/auth/user", session="mpx_session_lee_dev_0001"))["user"]
    assert user["github_status_detail"] == (
        "Repositories can sync through OAuth, but triggers and automation require the GitHub App.")
    assert (user["github_connected"], user["github_app_connected"], user["github_connection_mode"]) == (
        True, False, "oauth")


# -- the edge gate and the resolver on internal routes -----------------------------------------

async def test_session_only_routes_redirect_a_pat(api):
    for path in ("/api/settings/api-keys", "/api/github/installations", "/api/observability/stats",
                 "/api/settings/keys"):
        response = await api.internal("GET", path, session=None, token=RW)
        assert response.status == 307, path
        assert response.headers["Location"].startswith(f"{api.origin}/login?next=")


async def test_allowlisted_routes_with_a_bad_pat_get_the_flat_401(api):
    for token in ("mog_nope", EXPIRED):
        response = await api.internal("GET", "/api/settings", session=None, token=token)
        assert (response.status, body_of(response)) == (401, UNAUTHORIZED)
    sibling = await api.internal("GET", "/api/settingsx", session=None, token=RW)
    assert sibling.status == 307


async def test_a_session_without_a_profile_passes_the_gate_then_401s(api):
    response = await api.internal("GET", "/api/settings", session="mpx_session_no_profile_0001")
    assert (response.status, body_of(response)) == (401, UNAUTHORIZED)


async def test_an_expired_session_is_signed_out_at_the_gate(api):
    response = await api.internal("GET", "/api/settings", session="mpx_session_expired_0001")
    assert response.status == 307


async def test_pat_scopes_are_not_checked_internally(api):
    response = await api.internal("PATCH", "/api/settings", session=None, token=READ_ONLY,
                                  json_body={"theme": "system"})
    assert (response.status, body_of(response)) == (200, {"ok": True})


async def test_a_throttled_pat_falls_through_to_401_never_429(api):
    for _ in range(60):
        await api.get("/repos", token=READ_ONLY)
    response = await api.internal("GET", "/api/settings", session=None, token=READ_ONLY)
    assert (response.status, body_of(response)) == (401, UNAUTHORIZED)
    with_session = await api.internal("GET", "/api/settings", token=READ_ONLY)
    assert with_session.status == 200  # the session still resolves the caller


async def test_end_to_end_headers_only_in_test_mode(make_api):
    headers = {"x-mogplex-e2e-auth": "playwright-auth-bypass", "x-mogplex-e2e-user-id": DANA}
    normal = await make_api()
    assert (await normal.call("GET", "/api/settings", None, headers=headers)).status == 307
    testing = await make_api(test_mode=True)
    response = await testing.call("GET", "/api/settings", None, headers=headers)
    assert body_of(response)["default_model"] == "anthropic/claude-sonnet-4.5"
    wrong = await testing.call("GET", "/api/settings", None, headers={**headers, "x-mogplex-e2e-auth": "guess"})
    assert wrong.status == 307


async def test_supabase_sessions_when_the_world_says_so(make_api, tmp_path):
    world = tmp_path / "supabase-world"
    shutil.copytree(REPO_ROOT / "fixtures", world)
    (world / "world.yaml").write_text("name: sb\nsession_backend: supabase\n")
    api = await make_api(fixtures_dir=world)
    whole = await api.call("GET", "/api/settings", None,
                           headers={"Cookie": "sb-mockplex-auth-token=mpx_session_dana_dev_0001"})
    assert whole.status == 200
    chunked = await api.call("GET", "/api/settings", None, headers={
        "Cookie": "sb-mockplex-auth-token.0=mpx_session_dana_; sb-mockplex-auth-token.1=dev_0001"})
    assert chunked.status == 200
    assert (await api.internal("GET", "/api/settings")).status == 307  # the other flavour is not a session


# -- /api/settings ------------------------------------------------------------------------------

async def test_settings_get_sets_the_theme_cookie(api):
    response = await api.internal("GET", "/api/settings", session=None, token=RW)
    assert body_of(response) == {"default_model": "anthropic/claude-sonnet-4.5", "theme": "dark"}
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("mogplex-theme=dark;") and "Max-Age=31536000" in cookie and "SameSite=lax" in cookie


async def test_settings_default_model_falls_back(api):
    response = await api.internal("GET", "/api/settings", session="mpx_session_robin_dev_0001")
    assert body_of(response) == {"default_model": "minimax/minimax-m2.7", "theme": None}
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("body, status, answer", [
    ({"theme": "light", "default_model": "openai/gpt-5-mini"}, 200, {"ok": True}),
    ({"theme": "neon"}, 400, {"error": "No valid fields"}),
    ({}, 400, {"error": "No valid fields"}),
    ({"default_model": "google/gemini-2.5-pro"}, 400, {"error": "default_model must be enabled and available"}),
    ({"default_model": "xai/grok-code-fast-1", "theme": "light"}, 400,
     {"error": "default_model must be enabled and available"}),
])
async def test_settings_patch_rows(api, body, status, answer):
    response = await api.internal("PATCH", "/api/settings", session=None, token=RW, json_body=body)
    assert (response.status, body_of(response)) == (status, answer)


async def test_settings_patch_applies_and_malformed_json_crashes(api):
    await api.internal("PATCH", "/api/settings", json_body={"theme": "light", "default_model": "openai/gpt-5-mini"})
    assert body_of(await api.internal("GET", "/api/settings")) == {"default_model": "openai/gpt-5-mini",
                                                                    "theme": "light"}
    crashed = await api.internal("PATCH", "/api/settings", data=b"{nope")
    assert (crashed.status, crashed.raw_body) == (500, b"")
    assert (await api.internal("PUT", "/api/settings", json_body={})).status == 405


# -- /api/settings/api-keys --------------------------------------------------------------------

async def test_keys_list_is_the_users_live_keys_newest_first(api):
    keys = body_of(await api.internal("GET", "/api/settings/api-keys"))["keys"]
    assert [key["name"] for key in keys] == ["mockplex dev (write-only)", "mockplex dev (read-only)",
                                              "mockplex dev (read+write)", "mockplex dev (expired)"]
    assert list(keys[0]) == ["id", "name", "prefix", "scopes", "createdAt", "lastUsedAt", "expiresAt"]
    assert keys[0]["prefix"] == "mog_mockplex" and "token" not in keys[0]


async def test_a_key_created_in_settings_works_on_v1_and_revoking_it_bites_at_once(api):
    created = await api.internal("POST", "/api/settings/api-keys",
                                 json_body={"name": " laptop CLI ", "scopes": ["read", "read"], "expiresInDays": 90})
    assert created.status == 200
    key = body_of(created)
    assert list(key) == ["id", "token", "prefix", "scopes", "expiresAt"]
    assert re.fullmatch(r"mog_[A-Za-z0-9]{32}", key["token"]) and key["prefix"] == key["token"][:12]
    assert key["scopes"] == ["read"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", key["expiresAt"])
    assert (await api.get("/repos", token=key["token"])).status == 200
    assert (await api.post("/runs", {}, token=key["token"])).status == 403
    revoked = await api.internal("DELETE", f"/api/settings/api-keys/{key['id']}")
    assert body_of(revoked) == {"ok": True}
    assert (await api.get("/repos", token=key["token"])).status == 401
    again = await api.internal("DELETE", f"/api/settings/api-keys/{key['id']}")
    assert (again.status, body_of(again)) == (200, {"ok": True})  # the update counts no rows: never 404


@pytest.mark.parametrize("body, message", [
    (b"{x", "Invalid JSON body"),
    ({"name": "  "}, "Name is required (1-100 characters)"),
    ({"name": "n" * 101}, "Name is required (1-100 characters)"),
    ({"name": "ok", "scopes": "read"}, "scopes must be an array of strings"),
    ({"name": "ok", "scopes": []}, "scopes must include at least one entry"),
    ({"name": "ok", "scopes": ["admin"]}, "Invalid scope value. Allowed: read, write."),
])
async def test_key_create_rows(api, body, message):
    response = await api.internal("POST", "/api/settings/api-keys", json_body=body)
    assert (response.status, body_of(response)) == (400, {"error": message})


async def test_another_users_key_cannot_be_revoked(api):
    response = await api.internal("DELETE", "/api/settings/api-keys/5b4f2a8d-06e7-4c3b-b1af-7d2c6e8f0b56")
    assert (response.status, body_of(response)) == (200, {"ok": True})
    assert (await api.get("/repos", token=OTHER_USER)).status == 200


# -- /api/settings/keys ----------------------------------------------------------------------------

async def test_provider_keys_round_trip_without_values(api):
    assert body_of(await api.internal("GET", "/api/settings/keys")) == {"keys": []}
    put = await api.internal("PUT", "/api/settings/keys", json_body={"provider": "anthropic", "key": "sk-ant-dev"})
    assert body_of(put) == {"ok": True}
    keys = body_of(await api.internal("GET", "/api/settings/keys"))["keys"]
    assert [list(key) for key in keys] == [["provider", "created_at", "updated_at"]]
    verified = body_of(await api.internal("POST", "/api/settings/keys/verify", json_body={"provider": "anthropic"}))
    assert verified == {"key_stored": True, "key_valid": True, "service": "Claude Code", "harness": "Claude Code",
                        "package": "@anthropic-ai/claude-code", "binary": "claude"}
    gone = await api.internal("DELETE", "/api/settings/keys", json_body={"provider": "anthropic"})
    assert body_of(gone) == {"ok": True}
    assert body_of(await api.internal("GET", "/api/settings/keys")) == {"keys": []}


@pytest.mark.parametrize("method, body, message", [
    ("PUT", b"nope", "Invalid JSON body"), ("PUT", {"provider": "azure", "key": "x"}, "Invalid provider"),
    ("PUT", {"provider": "openai", "key": " "}, "Key is required"), ("DELETE", {"provider": "x"}, "Invalid provider"),
])
async def test_provider_key_rows(api, method, body, message):
    response = await api.internal(method, "/api/settings/keys", json_body=body)
    assert (response.status, body_of(response)) == (400, {"error": message})


# -- /api/models -------------------------------------------------------------------------------------

async def test_models_authed_has_models_catalog_and_default(api):
    response = await api.internal("GET", "/api/models", session=None, token=RW)
    data = body_of(response)
    assert list(data) == ["models", "catalog", "default_model"]
    assert [model["id"] for model in data["catalog"]][-1] == "xai/grok-code-fast-1"  # ORDER BY provider
    assert len(data["catalog"]) == 9 and "internal/eval-shadow" not in [m["id"] for m in data["models"]]
    assert data["default_model"] == "anthropic/claude-sonnet-4.5"
    assert b'"pricing_input":0.000003,"pricing_output":0.000015' in response.raw_body
    gemini = next(model for model in data["catalog"] if model["id"] == "google/gemini-2.5-pro")
    assert gemini["is_enabled"] is False and gemini["is_available"] is True
    assert data["models"][0]["is_recommended"] is True and data["models"][0]["recommendation_bucket"] == "frontier"


async def test_models_anonymous_with_a_bad_pat(api):
    data = body_of(await api.internal("GET", "/api/models", session=None, token="mog_nope"))
    assert list(data) == ["models", "catalog"] and data["models"] == data["catalog"]
    assert "is_enabled" not in data["models"][0]
    assert [model["id"] for model in data["models"]] == [
        "anthropic/claude-sonnet-4.5", "anthropic/claude-haiku-4.5", "google/gemini-2.5-pro", "minimax/minimax-m2.7",
        "moonshot/kimi-k2", "openai/gpt-5.1-codex", "openai/gpt-5-mini"]


async def test_models_cli_format(api):
    models = body_of(await api.internal("GET", "/api/models?format=cli", session=None, token=RW))
    assert isinstance(models, list)
    assert models[0] == {"slug": "anthropic/claude-sonnet-4.5", "provider": "anthropic",
                         "displayName": "Claude Sonnet 4.5", "inputModalities": ["text", "image"],
                         "caps": {"streaming": True, "toolUse": True, "reasoningEffort": True,
                                  "parallelToolCalls": True},
                         "contextWindow": 200000,
                         "pricing": {"inputPerMillion": 3, "outputPerMillion": 15, "currency": "USD"}}
    kimi = next(model for model in models if model["slug"] == "moonshot/kimi-k2")
    assert "contextWindow" not in kimi and "pricing" not in kimi


async def test_model_preferences_move_v1_models_too(api):
    patch = await api.internal("PATCH", "/api/models", session=None, token=RW,
                               json_body={"model_id": "google/gemini-2.5-pro", "is_enabled": True})
    assert body_of(patch) == {"ok": True}
    v1 = [model["id"] for model in body_of(await api.get("/models"))["data"]["models"]]
    assert "google/gemini-2.5-pro" in v1


@pytest.mark.parametrize("body, message", [
    ({"model_id": "x"}, "model_id and is_enabled required"),
    ({"model_id": 3, "is_enabled": True}, "model_id and is_enabled required"),
    ({"model_id": "x", "is_enabled": True, "is_hidden": False},
     "Global model catalog updates are not allowed from /api/models. Use the sync-models cron instead."),
])
async def test_model_patch_rows(api, body, message):
    response = await api.internal("PATCH", "/api/models", json_body=body)
    assert (response.status, body_of(response)) == (400, {"error": message})


async def test_logout(api):
    response = await api.internal("POST", "/api/auth/logout", session=None)
    assert body_of(response) == {"ok": True}
    page = await api.internal("GET", "/api/auth/logout", session=None)
    assert (page.status, page.headers["Location"]) == (307, f"{api.origin}/login")
