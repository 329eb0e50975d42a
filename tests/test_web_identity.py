"""The identity family read against the server's handlers: exact bodies, cookies, check
order, and the answers of its error paths."""

from __future__ import annotations

import shutil

import pytest
from conftest import DANA_SESSION, OTHER_USER, READ_ONLY, REPO_ROOT, RW, body_of

ROBIN_SESSION = "mpx_session_robin_dev_0001"
SAMS_KEY = "5b4f2a8d-06e7-4c3b-b1af-7d2c6e8f0b56"
NOW_PLUS_A_YEAR = "Mon, 17 May 2027 10:00:00 GMT"  # the frozen clock starts at 2026-05-17T10:00:00Z
CLEARED_SESSION = [
    "better-auth.session_token=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
    "better-auth.session_data=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
    "better-auth.dont_remember=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
    "user_id=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
]


def cookies_of(response) -> list[str]:
    return response.headers.getall("Set-Cookie", [])


async def world_with(make_api, tmp_path, **settings):
    folder = tmp_path / "world"
    shutil.copytree(REPO_ROOT / "fixtures", folder)
    with (folder / "world.yaml").open("a") as world:
        world.writelines(f"{key}: {value}\n" for key, value in settings.items())
    return await make_api(fixtures_dir=folder)


# -- /api/auth/user ----------------------------------------------------------------------------

async def test_a_user_with_nothing_connected_gets_the_reconcile_skip_cookie(api):
    response = await api.internal("GET", "/api/auth/user", session=ROBIN_SESSION)
    assert body_of(response)["user"]["github_state"] == "disconnected"
    assert cookies_of(response) == [
        "github_reconcile_skip=1; Path=/; Expires=Sun, 17 May 2026 10:05:00 GMT; Max-Age=300; HttpOnly"]


@pytest.mark.parametrize("cookie", [
    f"better-auth.session_token={ROBIN_SESSION}; github_reconcile_skip=1",  # asked GitHub lately
    f"better-auth.session_token={DANA_SESSION}",  # has installations
    "",  # nobody signed in
])
async def test_no_reconcile_cookie_otherwise(api, cookie):
    response = await api.call("GET", "/api/auth/user", None, headers={"Cookie": cookie})
    assert response.status == 200 and cookies_of(response) == []


async def test_without_github_app_config_nothing_is_reconciled(make_api, tmp_path):
    api = await world_with(make_api, tmp_path, github_app_configured="false")
    assert cookies_of(await api.internal("GET", "/api/auth/user", session=ROBIN_SESSION)) == []


# -- /api/auth/logout ------------------------------------------------------------------------------

async def test_post_logout_ends_the_session_and_clears_its_cookies(api):
    response = await api.internal("POST", "/api/auth/logout")
    assert (response.status, body_of(response), cookies_of(response)) == (200, {"ok": True}, CLEARED_SESSION)
    assert (await api.internal("GET", "/api/github/installations")).status == 307
    assert body_of(await api.internal("GET", "/api/auth/user")) == {"user": None}


async def test_get_logout_redirects_to_login_signed_out(api):
    response = await api.internal("GET", "/api/auth/logout")
    assert (response.status, response.headers["Location"], response.raw_body) == (307, f"{api.origin}/login", b"")
    assert cookies_of(response) == CLEARED_SESSION
    assert (await api.internal("GET", "/api/settings")).status == 307


async def test_logout_without_a_session_still_answers(api):
    response = await api.internal("POST", "/api/auth/logout", session=None)
    assert (response.status, body_of(response)) == (200, {"ok": True})


async def test_supabase_logout_clears_the_chunks_it_was_sent(make_api, tmp_path):
    api = await world_with(make_api, tmp_path, session_backend="supabase")
    cookie = f"sb-mockplex-auth-token.0={DANA_SESSION[:10]}; sb-mockplex-auth-token.1={DANA_SESSION[10:]}"
    response = await api.call("POST", "/api/auth/logout", None, headers={"Cookie": cookie})
    assert cookies_of(response) == ["sb-mockplex-auth-token.0=; Path=/; Max-Age=0; SameSite=lax",
                                    "sb-mockplex-auth-token.1=; Path=/; Max-Age=0; SameSite=lax",
                                    "user_id=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
    assert (await api.call("GET", "/api/settings", None, headers={"Cookie": cookie})).status == 307


# -- /api/settings -----------------------------------------------------------------------------------

@pytest.mark.parametrize("session, token", [(DANA_SESSION, None), (None, RW), (None, READ_ONLY)])
async def test_settings_get_by_session_or_allowlisted_pat(api, session, token):
    response = await api.internal("GET", "/api/settings", session=session, token=token)
    assert body_of(response) == {"default_model": "anthropic/claude-sonnet-4.5", "theme": "dark"}
    assert cookies_of(response) == [f"mogplex-theme=dark; Path=/; Expires={NOW_PLUS_A_YEAR}; Max-Age=31536000; "
                                    "SameSite=lax"]


async def test_settings_patch_sets_the_theme_cookie(api):
    response = await api.internal("PATCH", "/api/settings", json_body={"theme": "system"})
    assert cookies_of(response) == [f"mogplex-theme=system; Path=/; Expires={NOW_PLUS_A_YEAR}; Max-Age=31536000; "
                                    "SameSite=lax"]


@pytest.mark.parametrize("data, status, answer", [
    (b"null", 500, b""),  # body.default_model of null throws
    (b"[]", 400, b'{"error":"No valid fields"}'),
    (b"7", 400, b'{"error":"No valid fields"}'),
])
async def test_settings_patch_non_object_bodies(api, data, status, answer):
    response = await api.internal("PATCH", "/api/settings", data=data)
    assert (response.status, response.raw_body) == (status, answer)


# -- /api/settings/api-keys ----------------------------------------------------------------------------

async def test_api_keys_are_session_only(api):
    response = await api.internal("GET", "/api/settings/api-keys", session=None, token=RW)
    assert (response.status, response.headers["Location"]) == (
        307, f"{api.origin}/login?next=%2Fapi%2Fsettings%2Fapi-keys")


@pytest.mark.parametrize("body, status, answer", [
    (b"null", 500, None),
    (b"[1]", 400, {"error": "Name is required (1-100 characters)"}),
    ({"name": "\U0001F511" * 51}, 400, {"error": "Name is required (1-100 characters)"}),  # 102 UTF-16 units
    ({"name": "ok", "scopes": ["read", 1]}, 400, {"error": "Invalid scope value. Allowed: read, write."}),
    ({"name": "ok", "scopes": {}}, 400, {"error": "scopes must be an array of strings"}),
    ({"name": "ok", "expiresInDays": 100_000_000}, 500, None),  # past the last date a Date holds
])
async def test_api_key_create_errors(api, body, status, answer):
    response = await api.internal("POST", "/api/settings/api-keys", json_body=body)
    assert response.status == status
    assert (body_of(response) if answer else response.raw_body) == (answer or b"")


@pytest.mark.parametrize("fields, scopes, expires_at", [
    ({"scopes": None}, ["read", "write"], None),
    ({"expiresInDays": 0.5}, ["read", "write"], "2026-05-17T10:00:00.000Z"),  # setDate drops the fraction
    ({"expiresInDays": 1.9}, ["read", "write"], "2026-05-18T10:00:00.000Z"),
    ({"expiresInDays": -3, "scopes": ["write", "write"]}, ["write"], None),
    ({"expiresInDays": 70_000_000}, ["read", "write"], "+193679-11-12T10:00:00.000Z"),
])
async def test_api_key_create_answers(api, fields, scopes, expires_at):
    response = await api.internal("POST", "/api/settings/api-keys", json_body={"name": "\tci\u3000", **fields})
    key = body_of(response)
    assert (response.status, key["scopes"], key["expiresAt"]) == (200, scopes, expires_at)
    listed = body_of(await api.internal("GET", "/api/settings/api-keys"))["keys"][0]
    assert (listed["id"], listed["name"]) == (key["id"], "ci")


async def test_revoking_answers_ok_for_any_well_formed_id(api):
    for key_id in (SAMS_KEY, "00000000-0000-4000-8000-000000000000", "4A5E3B9C-15F6-4D4A-A2B0-6C3D7F9E1A45"):
        response = await api.internal("DELETE", f"/api/settings/api-keys/{key_id}")
        assert (response.status, body_of(response)) == (200, {"ok": True})
    assert (await api.get("/repos", token=OTHER_USER)).status == 200


async def test_revoking_a_malformed_id_is_the_database_error(api):
    response = await api.internal("DELETE", "/api/settings/api-keys/not-a-key")
    assert (response.status, body_of(response)) == (500, {"error": 'invalid input syntax for type uuid: "not-a-key"'})


async def test_revoking_is_session_only_and_delete_only(api):
    assert (await api.internal("DELETE", f"/api/settings/api-keys/{SAMS_KEY}", session=None, token=RW)).status == 307
    wrong = await api.internal("GET", f"/api/settings/api-keys/{SAMS_KEY}")
    assert (wrong.status, wrong.raw_body) == (405, b"")


# -- /api/settings/keys -------------------------------------------------------------------------------------

async def test_provider_keys_list_in_provider_order(api):
    for provider in ("openrouter", "anthropic", "ai_gateway"):
        await api.internal("PUT", "/api/settings/keys", json_body={"provider": provider, "key": " k "})
    keys = body_of(await api.internal("GET", "/api/settings/keys"))["keys"]
    assert [key["provider"] for key in keys] == ["ai_gateway", "anthropic", "openrouter"]


@pytest.mark.parametrize("method, path", [("PUT", "/api/settings/keys"), ("DELETE", "/api/settings/keys"),
                                          ("POST", "/api/settings/keys/verify")])
@pytest.mark.parametrize("data, status, answer", [
    (b"null", 500, b""), (b"[]", 400, b'{"error":"Invalid provider"}'), (b"", 400, b'{"error":"Invalid JSON body"}'),
])
async def test_provider_key_bodies(api, method, path, data, status, answer):
    response = await api.internal(method, path, data=data)
    assert (response.status, response.raw_body) == (status, answer)


@pytest.mark.parametrize("provider, key, answer", [
    ("anthropic", "sk-ant-dev", {"key_stored": True, "key_valid": True, "service": "Claude Code",
                                 "harness": "Claude Code", "package": "@anthropic-ai/claude-code", "binary": "claude"}),
    ("openai", "pk-dev", {"key_stored": True, "key_valid": False, "service": "Codex", "harness": "Codex",
                          "package": "@openai/codex", "binary": "codex", "key_error": "Invalid API key"}),
    ("openrouter", "or-dev", {"key_stored": True, "key_valid": True, "service": "OpenRouter"}),
    ("ai_gateway", None, {"key_stored": False, "key_valid": None, "service": "Vercel AI Gateway"}),
])
async def test_verify_by_prefix(api, provider, key, answer):
    if key:
        await api.internal("PUT", "/api/settings/keys", json_body={"provider": provider, "key": key})
    response = await api.internal("POST", "/api/settings/keys/verify", json_body={"provider": provider})
    assert list(body_of(response).items()) == list(answer.items())


@pytest.mark.parametrize("check, verdicts", [
    ("accepted", [(True, None), (True, None), (True, None), (True, None)]),
    ("bad_request", [(False, None), (True, None), (False, None), (None, "OpenRouter verification failed (400); try again")]),
    ("unauthorized", [(False, "Invalid API key")] * 4),
    ("forbidden", [(False, "Invalid API key"), (False, "Invalid API key"), (False, None), (False, "Invalid API key")]),
    ("rate_limited", [(True, None)] * 4),
    ("server_error", [(False, None), (False, None), (False, None), (None, "OpenRouter is unavailable; try again")]),
    ("unreachable", [(False, "fetch failed")] * 3 + [(None, "OpenRouter is unavailable; try again")]),
])
async def test_verify_follows_the_provider_world_setting(make_api, tmp_path, check, verdicts):
    api = await world_with(make_api, tmp_path, provider_key_check=check)
    for provider, (valid, error) in zip(("ai_gateway", "anthropic", "openai", "openrouter"), verdicts, strict=True):
        await api.internal("PUT", "/api/settings/keys", json_body={"provider": provider, "key": "k"})
        checks = body_of(await api.internal("POST", "/api/settings/keys/verify", json_body={"provider": provider}))
        assert (checks["key_valid"], checks.get("key_error")) == (valid, error), provider


async def test_provider_keys_are_session_only(api):
    for method, path in (("GET", "/api/settings/keys"), ("POST", "/api/settings/keys/verify")):
        assert (await api.internal(method, path, session=None, token=RW)).status == 307


# -- /api/models ------------------------------------------------------------------------------------------

async def test_catalog_is_in_provider_order(api):
    data = body_of(await api.internal("GET", "/api/models"))
    assert [model["provider"] for model in data["catalog"]] == [
        "anthropic", "anthropic", "google", "internal", "minimax", "moonshot", "openai", "openai", "xai"]
    anonymous = body_of(await api.internal("GET", "/api/models", session=None, token="mog_nope"))
    assert [model["id"] for model in anonymous["models"]][:3] == [
        "anthropic/claude-sonnet-4.5", "anthropic/claude-haiku-4.5", "google/gemini-2.5-pro"]


async def test_models_are_only_what_the_callers_keys_reach(api):
    robin = body_of(await api.internal("GET", "/api/models", session=ROBIN_SESSION))
    assert (robin["models"], robin["default_model"], len(robin["catalog"])) == ([], None, 9)
    await api.internal("PUT", "/api/settings/keys", session=ROBIN_SESSION, json_body={"provider": "openai", "key": "k"})
    robin = body_of(await api.internal("GET", "/api/models", session=ROBIN_SESSION))
    assert [model["id"] for model in robin["models"]] == ["openai/gpt-5.1-codex", "openai/gpt-5-mini"]
    assert robin["default_model"] == "openai/gpt-5-mini"  # first by provider, then name
    cli = body_of(await api.internal("GET", "/api/models?format=cli", session=ROBIN_SESSION))
    assert [model["slug"] for model in cli] == ["openai/gpt-5.1-codex", "openai/gpt-5-mini"]


@pytest.mark.parametrize("data, status, answer", [
    (b"null", 500, b""),
    (b'{"model_id":"","is_enabled":true}', 400, b'{"error":"model_id and is_enabled required"}'),
    (b'{"model_id":"acme/none","is_enabled":true}', 500,
     b'{"error":"insert or update on table \\"user_model_preferences\\" violates foreign key constraint '
     b'\\"user_model_preferences_model_id_fkey\\""}'),
])
async def test_model_patch_errors(api, data, status, answer):
    response = await api.internal("PATCH", "/api/models", data=data)
    assert (response.status, response.raw_body) == (status, answer)


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/settings"), ("DELETE", "/api/models"), ("PATCH", "/api/settings/keys"),
    ("GET", "/api/settings/keys/verify"), ("PUT", "/api/settings/api-keys"), ("DELETE", "/api/auth/user"),
])
async def test_methods_a_route_file_lacks_are_an_empty_405(api, method, path):
    response = await api.internal(method, path)
    assert (response.status, response.raw_body) == (405, b"")


# -- the auth outcomes every settings route shares ---------------------------------------------

SAM_SESSION = "mpx_session_sam_dev_0001"


@pytest.mark.parametrize("method, path", [("GET", "/api/settings/keys"), ("PUT", "/api/settings/keys"),
                                          ("POST", "/api/settings/keys/verify"), ("GET", "/api/settings/api-keys")])
async def test_a_pat_is_sent_to_login_where_the_edge_does_not_allowlist_it(api, method, path):
    response = await api.internal(method, path, session=None, token=RW, json_body={"provider": "openai"})
    assert (response.status, response.raw_body) == (307, b"")
    assert response.headers["Location"] == f"{api.origin}/login?next={path.replace('/', '%2F')}"


async def test_an_unknown_pat_passes_the_edge_on_api_models_and_meets_the_handlers_401(api):
    response = await api.internal("PATCH", "/api/models", session=None, token="mog_notARealToken000000001",
                                  json_body={"model_id": "openai/gpt-5-mini", "is_enabled": False})
    assert (response.status, body_of(response)) == (401, {"error": "Unauthorized"})


async def test_a_users_provider_keys_are_theirs_alone(api):
    stored = await api.internal("PUT", "/api/settings/keys",
                                json_body={"provider": "openai", "key": "sk-dana-0123456789"})
    assert body_of(stored) == {"ok": True}
    theirs = await api.internal("GET", "/api/settings/keys", session=SAM_SESSION)
    assert "openai" not in [key["provider"] for key in body_of(theirs)["keys"]]
    removed = await api.internal("DELETE", "/api/settings/keys", session=SAM_SESSION, json_body={"provider": "openai"})
    assert removed.status == 200
    mine = await api.internal("GET", "/api/settings/keys")
    assert "openai" in [key["provider"] for key in body_of(mine)["keys"]]
