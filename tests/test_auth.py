"""Bearer resolution, scopes and the per-PAT window (v1 spec §2)."""

from __future__ import annotations

import hashlib

from conftest import (
    EXPIRED,
    OAUTH,
    OAUTH_NO_SCOPES,
    READ_ONLY,
    REVOKED,
    RW,
    V1,
    WRITE_ONLY,
    body_of,
    error_body,
)

from mockplex.clock import DEFAULT_EPOCH
from mockplex.world.tokens import mint_into_state

UNAUTHORIZED = error_body("UNAUTHORIZED", "Unauthorized")


def forbidden(scope: str) -> dict:
    return error_body("FORBIDDEN", f"Missing required scope: {scope}. Issue a new token with the "
                                   f"'{scope}' scope at /settings/api-keys.")


async def test_invalid_tokens_get_the_json_401_with_the_challenge(api):
    for token in ("mog_", "mog_unknown", EXPIRED, REVOKED, "not-a-known-oauth-token", OAUTH_NO_SCOPES):
        response = await api.get("/repos", token=token)
        assert response.status == 401, token
        assert body_of(response) == UNAUTHORIZED
        assert response.headers["WWW-Authenticate"] == (
            f'Bearer resource_metadata="{api.origin}/.well-known/oauth-protected-resource/api/v1/mogplex/mcp"')


async def test_pat_lookup_is_by_the_hash_of_the_whole_token(api):
    assert (await api.get("/repos", token=RW[:-1] + "2")).status == 401
    assert (await api.get("/repos", token=RW)).status == 200


async def test_oauth_bearers_work_on_rest_routes(api):
    response = await api.get("/agents", token=OAUTH)
    assert response.status == 200
    assert body_of(response)["ok"] is True


async def test_scope_checks_follow_the_server_not_the_docs(api):
    # GET /repos, /sandboxes, /runs/{id}, /runs/{id}/events check no scope at all.
    for path in ("/repos", "/sandboxes", "/runs/9a7e1c3d-5b2f-4d6a-8e0c-1f3b5d7a9c20",
                 "/runs/9a7e1c3d-5b2f-4d6a-8e0c-1f3b5d7a9c20/events"):
        assert (await api.get(path, token=WRITE_ONLY)).status == 200, path
    for path in ("/agents", "/models", "/mcp/servers", "/sandboxes/x/logs", "/repos/x/env-vars"):
        response = await api.get(path, token=WRITE_ONLY)
        assert response.status == 403, path
        assert body_of(response) == forbidden("read")


async def test_write_routes_need_write_before_any_body_is_read(api):
    cases = [("POST", "/runs"), ("POST", "/sandboxes"), ("POST", "/runs/x/cancel"),
             ("POST", "/repos/x/env-vars"), ("DELETE", "/repos/x/env-vars")]
    for method, path in cases:
        response = await api.call(method, V1 + path, READ_ONLY, data=b"{not json")
        assert response.status == 403, path
        assert body_of(response) == forbidden("write")


async def test_sixty_requests_a_minute_per_key_then_429(api):
    for _ in range(60):
        assert (await api.get("/repos", token=READ_ONLY)).status == 200
    limited = await api.get("/models", token=READ_ONLY)
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "60"
    assert body_of(limited) == error_body("RATE_LIMITED", "Rate limit exceeded. Retry after 60s.")
    # Per key: another token of the same user is unaffected; OAuth is never limited.
    assert (await api.get("/repos", token=RW)).status == 200
    for _ in range(70):
        assert (await api.get("/repos", token=OAUTH)).status == 200


async def test_failed_requests_count_and_bad_tokens_do_not(api):
    for _ in range(30):
        assert (await api.get("/sandboxes/not-a-uuid/logs", token=READ_ONLY)).status == 500
    for _ in range(100):
        assert (await api.get("/repos", token="mog_wrong")).status == 401
    for _ in range(30):
        assert (await api.get("/repos", token=READ_ONLY)).status == 200
    assert (await api.get("/repos", token=READ_ONLY)).status == 429


async def test_the_window_slides_with_the_server_clock(make_api):
    api = await make_api("step:0.5")  # request k is served at k/2 seconds
    statuses = [(await api.get("/repos", token=READ_ONLY)).status for _ in range(121)]
    # 60 admitted at 0.5 s .. 30 s; the next are refused (and not recorded) until the
    # first admission is 60 s old, at request 121.
    assert statuses == [200] * 60 + [429] * 60 + [200]


async def test_limits_can_be_lifted_for_load_tests(make_api):
    api = await make_api(rate_limits=False)
    for _ in range(80):
        assert (await api.get("/repos", token=READ_ONLY)).status == 200


async def test_a_minted_token_works_at_once_and_only_its_hash_is_stored(api, tmp_path):
    state_dir = tmp_path / "state"
    token, pat = mint_into_state(state_dir, user_id="3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10",
                                 key_id="11111111-2222-4333-8444-555555555555", name="ci",
                                 scopes=("read",), created_at=DEFAULT_EPOCH, expires_in_days=30)
    assert token.startswith("mog_") and len(token) == 28
    assert all(char.isalnum() for char in token[4:])
    stored = (state_dir / "tokens.yaml").read_text()
    assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored
    assert pat.prefix == token[:12]
    assert (await api.get("/repos", token=token)).status == 200
    assert (await api.post("/runs", {}, token=token)).status == 403


async def test_a_minted_token_expires_on_the_server_clock(make_api, tmp_path):
    api = await make_api("frozen@2026-07-01T00:00:00Z")
    token, _ = mint_into_state(tmp_path / "state", user_id="3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10",
                               key_id="11111111-2222-4333-8444-555555555556", name="old",
                               scopes=("read", "write"), created_at=DEFAULT_EPOCH, expires_in_days=30)
    response = await api.get("/repos", token=token)
    assert response.status == 401
