"""A team's settings read against the server's handlers: its shared provider keys, its
model allowlist and its attached GitHub installations, with who may see and change them,
the audit trail they leave, and what they change in the team's scope elsewhere."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import test_record
from conftest import DANA_SESSION, RW, SESSION_COOKIE, body_of, make_settings
from test_record import load, url_of
from test_redaction_shapes import assert_never_on_disk, redacted

from mockplex import state
from mockplex.app import build_app
from mockplex.world.teams import TeamMember

TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"
UNKNOWN_TEAM = "0d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a"
DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
SAM, LEE, ROBIN = ("8b1d4e7a-2c3f-4a9b-8e6d-1f0c3b5a7d92", "4c2e9a7b-1d3f-4e5a-8b6c-7d8e9f0a1b23",
                   "5d3fab8c-2e4a-4f6b-9c7d-8e9fa0b1c234")
SESSIONS = {SAM: "mpx_session_sam_dev_0001", LEE: "mpx_session_lee_dev_0001", ROBIN: "mpx_session_robin_dev_0001"}
NOW = "2026-05-17T10:00:00+00:00"  # the frozen test clock
HARBORLIGHT_INSTALLATION = 48213
NOT_AN_ALLOWLIST = "model_allowlist must be null or an array of model IDs"
NOT_AN_INSTALLATION_ID = "installation_id must be a positive integer"
recording = test_record.recording  # the record proxy fixture
KEYS, MODELS, INSTALLATIONS = (f"/api/teams/{TEAM}/keys", f"/api/teams/{TEAM}/models",
                               f"/api/teams/{TEAM}/installations")


def join(api, user_id: str, role: str, team_id: str = TEAM) -> None:
    """Setup: a membership as an accepted invite leaves it."""
    member_id = f"0000000{len(role)}-0000-4000-8000-{user_id[-12:]}"
    api.client.app[state.WORLD].teams.add_member(
        TeamMember(member_id, team_id, user_id, role, datetime(2026, 5, 1, tzinfo=timezone.utc)))


def second_team(api, owner: str = DANA) -> str:
    team_id = "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"
    api.client.app[state.WORLD].teams.create(team_id, "Night Shift", "night-shift", owner,
                                             datetime(2026, 5, 2, tzinfo=timezone.utc), "2f3a4b5c-6d7e-4f8a-9b0c-1d2e3f4a5b6c")
    return team_id


def audit(api) -> list[tuple]:
    """The team's trail in the order it was written."""
    return [(event.action, event.target_type, event.target_id, event.payload, event.actor_user_id)
            for event in api.client.app[state.WORLD].team_audit.events if event.team_id == TEAM]


async def answer(response):
    return response.status, (body_of(response) if response.raw_body else None)


# -- who may call -----------------------------------------------------------------------------------

ALL_ROUTES = [("GET", KEYS, None), ("PUT", KEYS, {"provider": "openai", "key": "sk-x"}),
              ("DELETE", KEYS, {"provider": "openai"}), ("GET", MODELS, None),
              ("PATCH", MODELS, {"model_allowlist": None}), ("GET", INSTALLATIONS, None),
              ("POST", INSTALLATIONS, {"installation_id": HARBORLIGHT_INSTALLATION}),
              ("DELETE", f"{INSTALLATIONS}/{HARBORLIGHT_INSTALLATION}", None)]
MANAGING_ROUTES = [route for route in ALL_ROUTES if route[:2] not in (("GET", KEYS), ("GET", MODELS))]


@pytest.mark.parametrize("method, path, body", ALL_ROUTES)
async def test_no_session_is_the_edge_login_redirect_even_with_a_pat(api, method, path, body):
    for token in (None, RW):
        response = await api.internal(method, path, session=None, token=token, json_body=body)
        assert (response.status, response.raw_body) == (307, b"")
        assert response.headers["Location"].startswith(f"{api.origin}/login?next=%2Fapi%2Fteams%2F")


@pytest.mark.parametrize("method, path, body", ALL_ROUTES)
async def test_a_team_that_does_not_exist_a_stranger_and_a_malformed_id(api, method, path, body):
    unknown = await api.internal(method, path.replace(TEAM, UNKNOWN_TEAM), json_body=body)
    assert await answer(unknown) == (404, {"error": "Team not found"})
    stranger = await api.internal(method, path, session=SESSIONS[SAM], json_body=body)
    assert await answer(stranger) == (403, {"error": "Forbidden"})
    malformed = await api.internal(method, path.replace(TEAM, "harborlight"), json_body=body)
    assert await answer(malformed) == (500, {"error": "Internal server error"})


@pytest.mark.parametrize("method, path, body", MANAGING_ROUTES)
@pytest.mark.parametrize("role", ["developer", "viewer"])
async def test_members_who_do_not_manage_are_forbidden_before_the_body_is_read(api, method, path, body, role):
    join(api, SAM, role)
    response = await api.internal(method, path, session=SESSIONS[SAM], data=b"{not json")
    assert await answer(response) == (403, {"error": "Forbidden"})


async def test_an_uppercase_team_id_is_the_same_team(api):
    response = await api.internal("GET", KEYS.replace(TEAM, TEAM.upper()))
    assert await answer(response) == (200, {"keys": [], "viewer": {"role": "owner", "canManage": True}})


# -- /api/teams/{teamId}/keys -------------------------------------------------------------------------

async def test_keys_are_listed_by_provider_without_their_values_and_audited(api):
    for provider, key in (("openrouter", "  sk-or-team  "), ("anthropic", "sk-ant-team")):
        assert await answer(await api.internal("PUT", KEYS, json_body={"provider": provider, "key": key})) == (
            200, {"ok": True})
    response = await api.internal("GET", KEYS)
    assert await answer(response) == (200, {"keys": [
        {"provider": "anthropic", "created_at": NOW, "updated_at": NOW},
        {"provider": "openrouter", "created_at": NOW, "updated_at": NOW}],
        "viewer": {"role": "owner", "canManage": True}})
    assert b"sk-" not in response.raw_body
    assert await answer(await api.internal("DELETE", KEYS, json_body={"provider": "openrouter"})) == (
        200, {"ok": True})
    assert [key["provider"] for key in body_of(await api.internal("GET", KEYS))["keys"]] == ["anthropic"]
    assert audit(api) == [
        ("team_provider_key.updated", "provider_key", "openrouter", {"provider": "openrouter"}, DANA),
        ("team_provider_key.updated", "provider_key", "anthropic", {"provider": "anthropic"}, DANA),
        ("team_provider_key.deleted", "provider_key", "openrouter", {"provider": "openrouter"}, DANA)]


async def test_a_replaced_key_keeps_its_creation_time(make_api):
    api = await make_api(clock="step:60")
    await api.internal("PUT", KEYS, json_body={"provider": "openai", "key": "sk-one"})
    await api.internal("PUT", KEYS, json_body={"provider": "openai", "key": "sk-two"})
    [key] = body_of(await api.internal("GET", KEYS))["keys"]
    assert key["created_at"] < key["updated_at"]


@pytest.mark.parametrize("role, can_manage", [("admin", True), ("developer", False), ("viewer", False)])
async def test_every_member_sees_the_list_and_their_role(api, role, can_manage):
    join(api, SAM, role)
    await api.internal("PUT", KEYS, json_body={"provider": "openai", "key": "sk-team"})
    assert body_of(await api.internal("GET", KEYS, session=SESSIONS[SAM])) == {
        "keys": [{"provider": "openai", "created_at": NOW, "updated_at": NOW}],
        "viewer": {"role": role, "canManage": can_manage}}


async def test_an_admin_manages_keys(api):
    join(api, LEE, "admin")
    response = await api.internal("PUT", KEYS, session=SESSIONS[LEE], json_body={"provider": "openai", "key": "k"})
    assert await answer(response) == (200, {"ok": True})
    assert audit(api)[0][-1] == LEE


@pytest.mark.parametrize("method, data, status, error", [
    ("PUT", b"{oops", 400, "Invalid JSON body"), ("PUT", b"", 400, "Invalid JSON body"),
    ("PUT", b'{"provider":"gemini","key":"k"}', 400, "Invalid provider"),
    ("PUT", b'{"key":"k"}', 400, "Invalid provider"), ("PUT", b"[1]", 400, "Invalid provider"),
    ("PUT", b'{"provider":"openai"}', 400, "Key is required"),
    ("PUT", b'{"provider":"openai","key":" \\u00a0\\n"}', 400, "Key is required"),
    ("PUT", b'{"provider":"openai","key":42}', 400, "Key is required"),
    ("PUT", b'{"provider":7,"key":""}', 400, "Invalid provider"),
    ("DELETE", b"nope", 400, "Invalid JSON body"), ("DELETE", b'{"provider":"OpenAI"}', 400, "Invalid provider"),
])
async def test_key_body_errors_in_the_servers_order(api, method, data, status, error):
    response = await api.internal(method, KEYS, data=data)
    assert await answer(response) == (status, {"error": error})
    assert audit(api) == []


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_a_null_body_is_the_frameworks_empty_500(api, method):
    response = await api.internal(method, KEYS, data=b"null")
    assert (response.status, response.raw_body) == (500, b"")


async def test_deleting_a_key_that_is_not_there_is_still_ok_and_audited(api):
    assert await answer(await api.internal("DELETE", KEYS, json_body={"provider": "ai_gateway"})) == (
        200, {"ok": True})
    assert [event[0] for event in audit(api)] == ["team_provider_key.deleted"]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_methods_the_route_does_not_export(api, method):
    response = await api.internal(method, KEYS)
    assert (response.status, response.raw_body) == (405, b"")


async def test_a_team_key_value_never_reaches_the_journal(api):
    await api.internal("PUT", KEYS, json_body={"provider": "anthropic", "key": "sk-ant-TeamSecret0042"})
    journal = await api.call("GET", "/__mockplex/journal", None)
    [entry] = [e for e in json.loads(journal.raw_body)["requests"] if e["path"] == KEYS]
    assert b"TeamSecret0042" not in journal.raw_body
    assert entry["body"] == {"provider": "anthropic", "key": "<redacted>"}


# -- the keys in the team's scope ---------------------------------------------------------------------

def offered(response) -> list[str]:
    return [model["id"] for model in body_of(response)["models"]]


async def test_a_team_key_lets_a_member_reach_models_in_the_teams_scope_only(api):
    join(api, ROBIN, "developer")  # Robin has no keys and no platform AI
    in_team = {"x-mogplex-team-id": TEAM}
    assert offered(await api.internal("GET", "/api/models", session=SESSIONS[ROBIN], headers=in_team)) == []
    await api.internal("PUT", KEYS, json_body={"provider": "anthropic", "key": "sk-ant-team"})
    team_view = body_of(await api.internal("GET", "/api/models", session=SESSIONS[ROBIN], headers=in_team))
    assert [model["id"] for model in team_view["models"]] == ["anthropic/claude-sonnet-4.5",
                                                              "anthropic/claude-haiku-4.5"]
    assert team_view["default_model"] == "anthropic/claude-haiku-4.5"
    cli = await api.internal("GET", "/api/models?format=cli", session=SESSIONS[ROBIN], headers=in_team)
    assert [model["slug"] for model in body_of(cli)] == ["anthropic/claude-sonnet-4.5", "anthropic/claude-haiku-4.5"]
    personal = body_of(await api.internal("GET", "/api/models", session=SESSIONS[ROBIN]))
    assert (personal["models"], personal["default_model"]) == ([], None)
    await api.internal("DELETE", KEYS, json_body={"provider": "anthropic"})
    assert offered(await api.internal("GET", "/api/models", session=SESSIONS[ROBIN], headers=in_team)) == []


async def test_a_team_key_changes_nothing_on_v1_which_reads_personal_keys_only(api):
    """listMogplexApiModels lists through the caller's own keys: v1 has no team scope."""
    join(api, ROBIN, "developer")
    before = await api.get("/models")
    await api.internal("PUT", KEYS, json_body={"provider": "ai_gateway", "key": "vck_team"})
    after = await api.get("/models")
    assert (after.status, after.raw_body) == (before.status, before.raw_body)


async def test_a_team_key_surfaces_new_models_in_the_popup_for_its_members(api):
    join(api, ROBIN, "viewer")
    arrivals = "/api/models/new-arrivals"
    assert body_of(await api.internal("GET", arrivals, session=SESSIONS[ROBIN]))["models"] == []
    await api.internal("PUT", KEYS, json_body={"provider": "ai_gateway", "key": "vck_team"})
    assert [m["id"] for m in body_of(await api.internal("GET", arrivals, session=SESSIONS[ROBIN]))["models"]] == [
        "minimax/minimax-m2.7", "moonshot/kimi-k2"]
    await api.internal("PATCH", MODELS, json_body={"model_allowlist": ["moonshot/kimi-k2"]})
    assert [m["id"] for m in body_of(await api.internal("GET", arrivals, session=SESSIONS[ROBIN]))["models"]] == [
        "moonshot/kimi-k2"]


# -- /api/teams/{teamId}/models -----------------------------------------------------------------------

async def test_the_allowlist_is_stored_trimmed_distinct_sorted_and_audited(api):
    assert await answer(await api.internal("GET", MODELS)) == (
        200, {"modelAllowlist": None, "viewer": {"canManage": True}})
    patch = await api.internal("PATCH", MODELS, json_body={"model_allowlist": [
        " openai/gpt-5-mini", "anthropic/claude-haiku-4.5", "openai/gpt-5-mini\t"]})
    assert await answer(patch) == (200, {"ok": True})
    assert body_of(await api.internal("GET", MODELS))["modelAllowlist"] == [
        "anthropic/claude-haiku-4.5", "openai/gpt-5-mini"]
    await api.internal("PATCH", MODELS, json_body={"model_allowlist": None})
    assert body_of(await api.internal("GET", MODELS))["modelAllowlist"] is None
    assert audit(api) == [
        ("model_allowlist.changed", "team", TEAM,
         {"from_model_allowlist": None, "to_model_allowlist": ["anthropic/claude-haiku-4.5", "openai/gpt-5-mini"]},
         DANA),
        ("model_allowlist.changed", "team", TEAM,
         {"from_model_allowlist": ["anthropic/claude-haiku-4.5", "openai/gpt-5-mini"], "to_model_allowlist": None},
         DANA)]


@pytest.mark.parametrize("role", ["developer", "viewer"])
async def test_members_read_the_allowlist_without_managing_it(api, role):
    join(api, SAM, role)
    assert body_of(await api.internal("GET", MODELS, session=SESSIONS[SAM])) == {
        "modelAllowlist": None, "viewer": {"canManage": False}}


async def test_hidden_and_unavailable_catalog_models_may_be_allowed(api):
    """Only existence in the catalog is checked."""
    ids = ["internal/eval-shadow", "xai/grok-code-fast-1"]
    assert (await api.internal("PATCH", MODELS, json_body={"model_allowlist": ids})).status == 200
    assert body_of(await api.internal("GET", MODELS))["modelAllowlist"] == ids


@pytest.mark.parametrize("allowlist", [
    "openai/gpt-5-mini", ["openai/gpt-5-mini", ""], ["  "], [1], {"0": "openai/gpt-5-mini"}, False])
async def test_what_is_not_null_or_a_list_of_ids_is_a_422(api, allowlist):
    response = await api.internal("PATCH", MODELS, json_body={"model_allowlist": allowlist})
    assert await answer(response) == (422, {"error": NOT_AN_ALLOWLIST})
    assert audit(api) == []


@pytest.mark.parametrize("data, status, error", [
    (b"{oops", 400, "Invalid JSON body"), (b"{}", 422, NOT_AN_ALLOWLIST), (b"[null]", 422, NOT_AN_ALLOWLIST),
    (b'{"model_allowlist":["zeta/x","openai/gpt-5-mini","alpha/y"]}', 422, "Unknown model IDs: alpha/y, zeta/x"),
])
async def test_allowlist_body_errors_in_the_servers_order(api, data, status, error):
    assert await answer(await api.internal("PATCH", MODELS, data=data)) == (status, {"error": error})
    assert body_of(await api.internal("GET", MODELS))["modelAllowlist"] is None


async def test_a_null_patch_body_is_the_frameworks_empty_500(api):
    response = await api.internal("PATCH", MODELS, data=b"null")
    assert (response.status, response.raw_body) == (500, b"")


async def test_the_allowlist_narrows_what_the_teams_scope_offers(api):
    in_team = {"x-mogplex-team-id": TEAM}
    everything = offered(await api.internal("GET", "/api/models"))
    assert offered(await api.internal("GET", "/api/models", headers=in_team)) == everything
    await api.internal("PATCH", MODELS, json_body={"model_allowlist": ["openai/gpt-5-mini", "moonshot/kimi-k2"]})
    team_view = body_of(await api.internal("GET", "/api/models", headers=in_team))
    assert ([m["id"] for m in team_view["models"]], team_view["default_model"]) == (
        ["moonshot/kimi-k2", "openai/gpt-5-mini"], "moonshot/kimi-k2")
    assert len(team_view["catalog"]) == len(body_of(await api.internal("GET", "/api/models"))["catalog"])
    cli = body_of(await api.internal("GET", "/api/models?format=cli", headers=in_team))
    assert [model["slug"] for model in cli] == ["moonshot/kimi-k2", "openai/gpt-5-mini"]
    assert offered(await api.internal("GET", "/api/models")) == everything  # personal scope is unrestricted
    await api.internal("PATCH", MODELS, json_body={"model_allowlist": []})  # the kill switch
    killed = body_of(await api.internal("GET", "/api/models", headers=in_team))
    assert (killed["models"], killed["default_model"]) == ([], None)


async def test_the_allowlist_gates_agent_generation_in_the_teams_scope(api):
    await api.internal("PATCH", MODELS, json_body={"model_allowlist": ["openai/gpt-5-mini"]})
    in_team = {"x-mogplex-team-id": TEAM}

    async def generate(model: str | None, headers: dict[str, str]):
        body = {"description": "Review pull requests"} | ({"generatorModel": model} if model else {})
        return await api.internal("POST", "/api/agents/generate", json_body=body, headers=headers)
    refused = await generate("anthropic/claude-haiku-4.5", in_team)
    assert await answer(refused) == (403, {"error": "This model is not on the team's model allowlist."})
    assert (await generate(None, in_team)).status == 403  # the caller's default is not allowed either
    assert (await generate("anthropic/claude-haiku-4.5", {})).status == 200  # personal scope
    assert (await generate("openai/gpt-5-mini", in_team)).status == 200
    [denied, _] = [event for event in api.client.app[state.WORLD].team_audit.events if event.action == "model.denied"]
    assert (denied.target_type, denied.target_id, denied.payload, denied.decision_code, denied.actor_user_id) == (
        "model", "anthropic/claude-haiku-4.5", {"allowlist_size": 1}, "model_not_in_allowlist", DANA)


# -- /api/teams/{teamId}/installations ----------------------------------------------------------------

async def harborlight_row(api) -> str:
    listed = body_of(await api.internal("GET", "/api/github/installations"))
    return next(item["id"] for item in listed if item["installation_id"] == HARBORLIGHT_INSTALLATION)


async def test_attaching_listing_and_detaching_an_installation(api):
    row = await harborlight_row(api)
    attached = {"id": row, "installation_id": HARBORLIGHT_INSTALLATION, "account_login": "harborlight",
                "account_type": "Organization", "target_type": "Organization", "product_team_id": TEAM,
                "attached_by_user_id": DANA}
    assert await answer(await api.internal("GET", INSTALLATIONS)) == (200, {"installations": []})
    first = await api.internal("POST", INSTALLATIONS, json_body={"installation_id": str(HARBORLIGHT_INSTALLATION)})
    assert await answer(first) == (201, {"attached": attached})
    again = await api.internal("POST", INSTALLATIONS, json_body={"installation_id": HARBORLIGHT_INSTALLATION})
    assert await answer(again) == (200, {"attached": attached})
    assert await answer(await api.internal("GET", INSTALLATIONS)) == (200, {"installations": [attached]})
    detached = await api.internal("DELETE", f"{INSTALLATIONS}/{HARBORLIGHT_INSTALLATION}")
    assert await answer(detached) == (200, {"detached": True})
    assert await answer(await api.internal("GET", INSTALLATIONS)) == (200, {"installations": []})
    payload = {"installation_id": HARBORLIGHT_INSTALLATION, "account_login": "harborlight"}
    assert audit(api) == [("team.installation.attached", "github_installation", row, payload, DANA),
                          ("team.installation.detached", "github_installation", row, payload, DANA)]


async def test_another_manager_may_detach_what_the_owner_attached(api):
    join(api, LEE, "admin")
    await api.internal("POST", INSTALLATIONS, json_body={"installation_id": HARBORLIGHT_INSTALLATION})
    listed = body_of(await api.internal("GET", INSTALLATIONS, session=SESSIONS[LEE]))["installations"]
    assert [item["attached_by_user_id"] for item in listed] == [DANA]
    detached = await api.internal("DELETE", f"{INSTALLATIONS}/{HARBORLIGHT_INSTALLATION}", session=SESSIONS[LEE])
    assert await answer(detached) == (200, {"detached": True})


async def test_only_the_callers_own_installation_may_be_attached(api):
    join(api, LEE, "admin")
    response = await api.internal("POST", INSTALLATIONS, session=SESSIONS[LEE],
                                  json_body={"installation_id": HARBORLIGHT_INSTALLATION})
    assert await answer(response) == (404, {"error": "Installation not found for this user"})
    sams = await api.internal("POST", INSTALLATIONS, json_body={"installation_id": 60934})
    assert await answer(sams) == (404, {"error": "Installation not found for this user"})


async def test_an_installation_belongs_to_one_team_at_a_time(api):
    other = second_team(api)
    await api.internal("POST", f"/api/teams/{other}/installations", json_body={"installation_id": 51077})
    response = await api.internal("POST", INSTALLATIONS, json_body={"installation_id": 51077})
    assert await answer(response) == (409, {"error": "Installation is already attached to a different team"})
    elsewhere = await api.internal("DELETE", f"{INSTALLATIONS}/51077")
    assert await answer(elsewhere) == (404, {"error": "Installation not attached to this team"})
    await api.internal("DELETE", f"/api/teams/{other}/installations/51077")
    assert (await api.internal("POST", INSTALLATIONS, json_body={"installation_id": 51077})).status == 201


@pytest.mark.parametrize("data, status, error", [
    (b"{oops", 400, "Invalid JSON body"),
    (b"{}", 422, NOT_AN_INSTALLATION_ID),
    (b'{"installation_id":"48213a"}', 422, NOT_AN_INSTALLATION_ID),
    (b'{"installation_id":" 48213"}', 422, NOT_AN_INSTALLATION_ID),
    (b'{"installation_id":"-1"}', 422, NOT_AN_INSTALLATION_ID),
    (b'{"installation_id":true}', 422, NOT_AN_INSTALLATION_ID),
    (b'{"installation_id":1e400}', 422, NOT_AN_INSTALLATION_ID),
    (b"[48213]", 422, NOT_AN_INSTALLATION_ID),
    (b'{"installation_id":-48213}', 404, "Installation not found for this user"),
    (b'{"installation_id":0}', 404, "Installation not found for this user"),
    (b'{"installation_id":48213.5}', 500, 'invalid input syntax for type bigint: "48213.5"'),
    (b'{"installation_id":1e21}', 500, 'invalid input syntax for type bigint: "1e+21"'),
    (b'{"installation_id":"99999999999999999999"}', 500,
     'value "100000000000000000000" is out of range for type bigint'),
])
async def test_attach_body_errors(api, data, status, error):
    assert await answer(await api.internal("POST", INSTALLATIONS, data=data)) == (status, {"error": error})
    assert audit(api) == []


async def test_an_integral_float_is_the_same_installation(api):
    response = await api.internal("POST", INSTALLATIONS, data=b'{"installation_id":48213.0}')
    assert body_of(response)["attached"]["installation_id"] == HARBORLIGHT_INSTALLATION


async def test_a_null_attach_body_is_the_frameworks_empty_500(api):
    response = await api.internal("POST", INSTALLATIONS, data=b"null")
    assert (response.status, response.raw_body) == (500, b"")


@pytest.mark.parametrize("raw, status, error", [
    ("abc", 422, "installationId must be numeric"), ("-5", 422, "installationId must be numeric"),
    ("1" * 400, 422, "installationId must be numeric"),
    ("99999999999999999999", 500, 'value "100000000000000000000" is out of range for type bigint'),
    ("1" * 30, 500, 'invalid input syntax for type bigint: "1.111111111111111e+29"'),
    ("60934", 404, "Installation not attached to this team"),
])
async def test_detach_id_errors(api, raw, status, error):
    assert await answer(await api.internal("DELETE", f"{INSTALLATIONS}/{raw}")) == (status, {"error": error})


async def test_a_bad_installation_id_is_checked_before_the_team(api):
    response = await api.internal("DELETE", f"/api/teams/{UNKNOWN_TEAM}/installations/x")
    assert await answer(response) == (422, {"error": "installationId must be numeric"})


async def test_a_team_key_recorded_through_the_proxy_never_reaches_the_cassette(aiohttp_server, recording, tmp_path):
    """The same rule as the personal keys: a JSON `key` is a secret wherever it sits."""
    upstream = await aiohttp_server(build_app(make_settings(tmp_path / "upstream")))
    client, path = await recording(url_of(upstream), "team-keys")
    cookie = {"Cookie": f"{SESSION_COOKIE}={DANA_SESSION}"}
    put = await client.put(KEYS, headers=cookie, json={"provider": "openai", "key": "sk-proj-TeamCassette0042"})
    listed = await client.get(KEYS, headers=cookie)
    await client.close()
    assert (put.status, listed.status) == (200, 200)
    assert_never_on_disk(tmp_path / "cassettes", "sk-proj-TeamCassette0042", DANA_SESSION)
    requests, _, _ = load(path)
    sent = json.loads(requests[0].body)
    assert sent["provider"] == "openai" and redacted(sent["key"])
