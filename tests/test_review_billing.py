"""Review of the accounts routes against the server's handlers: the team model allowlist
where the model resolver enforces it (chat, control chat, the flow assistant), and the
team installation answers that echo the path's team id as given."""

from __future__ import annotations

import json

import pytest
from conftest import body_of

from mockplex import state

TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"  # Harborlight: Dana owns it
STRANGERS_TEAM = "0d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a"  # no such team, so nobody is in it
DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
TRIAGE = "a1c2e3f4-0b1d-4e6f-8a2c-3d4e5f6a7b81"  # Dana's flow
ALLOWED, REFUSED = "openai/gpt-5-mini", "anthropic/claude-haiku-4.5"
ASSISTANT_MODEL = "anthropic/claude-sonnet-4.6"  # not in the catalogue, so no allowlist can hold it
NOT_ALLOWLISTED = {"error": "This model is not on the team's model allowlist."}
ROLE_DENIED = {"error": "This model is not enabled for your team role."}
IN_TEAM = {"x-mogplex-team-id": TEAM}
MESSAGES = [{"role": "user", "parts": [{"type": "text", "text": "hello"}]}]


async def restrict(api, models: list[str]) -> None:
    patch = await api.internal("PATCH", f"/api/teams/{TEAM}/models", json_body={"model_allowlist": models})
    assert patch.status == 200


def denials(api, team_id: str = TEAM) -> list[tuple]:
    return [(event.actor_user_id, event.target_id, event.payload, event.decision_code)
            for event in api.client.app[state.WORLD].team_audit.events
            if event.team_id == team_id and event.action == "model.denied"]


def stored_call(api) -> dict:
    """The ai_calls row as written (the observability list shows errors sanitised)."""
    return api.client.app[state.WORLD].chat_calls.stored()[-1]


# -- the allowlist where the model resolver runs --------------------------------------------------

@pytest.mark.parametrize("path", ["/api/chat", "/api/control/chat"])
async def test_a_chat_on_a_model_off_the_team_allowlist_fails_to_start(api, path):
    await restrict(api, [ALLOWED])
    response = await api.internal("POST", path, headers=IN_TEAM, json_body={"model": REFUSED, "messages": MESSAGES})
    assert (response.status, body_of(response)) == (500, NOT_ALLOWLISTED)
    assert denials(api) == [(DANA, REFUSED, {"allowlist_size": 1}, "model_not_in_allowlist")]
    logged = stored_call(api)
    assert (logged["model"], logged["status"], logged["error"]) == (REFUSED, "failed", NOT_ALLOWLISTED["error"])


@pytest.mark.parametrize("path", ["/api/chat", "/api/control/chat"])
async def test_an_allowed_model_or_the_personal_scope_still_streams(api, path):
    await restrict(api, [ALLOWED])
    allowed = await api.internal("POST", path, headers=IN_TEAM, json_body={"model": f" {ALLOWED} ",
                                                                          "messages": MESSAGES})
    personal = await api.internal("POST", path, json_body={"model": REFUSED, "messages": MESSAGES})
    assert (allowed.status, personal.status) == (200, 200)
    assert denials(api) == []


@pytest.mark.parametrize("path", ["/api/chat", "/api/control/chat"])
async def test_a_team_the_caller_is_not_in_grants_no_model(api, path):
    response = await api.internal("POST", path, headers={"x-mogplex-team-id": STRANGERS_TEAM},
                                  json_body={"model": ALLOWED, "messages": MESSAGES})
    assert (response.status, body_of(response)) == (500, ROLE_DENIED)
    assert denials(api, STRANGERS_TEAM) == []  # the denial's row needs the team to exist


async def test_an_empty_allowlist_refuses_the_users_default_model(api):
    await restrict(api, [])
    response = await api.internal("POST", "/api/control/chat", headers=IN_TEAM, json_body={"messages": MESSAGES})
    assert (response.status, body_of(response)) == (500, NOT_ALLOWLISTED)
    default = api.client.app[state.WORLD].users[DANA].default_model
    assert denials(api) == [(DANA, default, {"allowlist_size": 0}, "model_not_in_allowlist")]


async def test_the_flow_assistant_runs_its_own_model_through_the_allowlist(api):
    suggest = await api.internal("POST", f"/api/flows/{TRIAGE}/assistant", headers=IN_TEAM,
                                 json_body={"message": "tidy"})
    assert suggest.status == 200  # no allowlist: every model
    await restrict(api, [ALLOWED, REFUSED])
    suggest = await api.internal("POST", f"/api/flows/{TRIAGE}/assistant", headers=IN_TEAM,
                                 json_body={"message": "tidy"})
    assert (suggest.status, body_of(suggest)) == (500, NOT_ALLOWLISTED)
    chat = await api.internal("POST", f"/api/flows/{TRIAGE}/chat", headers=IN_TEAM, json_body={"messages": []})
    assert (chat.status, body_of(chat)) == (500, {"error": "Failed to start flow assistant chat"})
    assert denials(api) == [(DANA, ASSISTANT_MODEL, {"allowlist_size": 2}, "model_not_in_allowlist")] * 2
    personal = await api.internal("POST", f"/api/flows/{TRIAGE}/assistant", json_body={"message": "tidy"})
    assert personal.status == 200


async def test_the_chat_stream_after_a_lifted_allowlist(api):
    await restrict(api, [ALLOWED])
    await restrict(api, [ALLOWED, REFUSED])
    response = await api.internal("POST", "/api/chat", headers=IN_TEAM, json_body={"model": REFUSED,
                                                                                   "messages": MESSAGES})
    frames = [frame for frame in response.raw_body.decode().split("\n\n") if frame]
    assert response.status == 200 and frames[-1] == "data: [DONE]"
    assert json.loads(frames[0][len("data: "):])["type"] == "start"


# -- team installations: the path's team id as given ------------------------------------------------

HARBORLIGHT_INSTALLATION = 48213  # Dana's


async def test_attaching_through_an_upper_case_team_id_echoes_it_and_stores_the_team(api):
    upper = f"/api/teams/{TEAM.upper()}/installations"
    first = await api.internal("POST", upper, json_body={"installation_id": HARBORLIGHT_INSTALLATION})
    assert first.status == 201 and body_of(first)["attached"]["product_team_id"] == TEAM.upper()
    listed = body_of(await api.internal("GET", f"/api/teams/{TEAM}/installations"))["installations"]
    assert [row["product_team_id"] for row in listed] == [TEAM]
    # Attached again: the stored id differs from the path's text, so it reads as another team.
    again = await api.internal("POST", upper, json_body={"installation_id": HARBORLIGHT_INSTALLATION})
    assert (again.status, body_of(again)) == (409, {"error": "Installation is already attached to a different team"})
    same = await api.internal("POST", f"/api/teams/{TEAM}/installations",
                              json_body={"installation_id": str(HARBORLIGHT_INSTALLATION)})
    assert (same.status, body_of(same)["attached"]["product_team_id"]) == (200, TEAM)
