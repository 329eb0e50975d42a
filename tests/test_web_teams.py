"""Teams and membership, exact against the server's handlers: creating a team and checking
a slug, the caller's memberships, a team's members (role changes, removals) and the
ownership transfer, and what those changes mean on the other routes."""

from __future__ import annotations

import pytest

from conftest import RW, body_of

DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
SAM = "8b1d4e7a-2c3f-4a9b-8e6d-1f0c3b5a7d92"
LEE = "4c2e9a7b-1d3f-4e5a-8b6c-7d8e9f0a1b23"
ROBIN = "5d3fab8c-2e4a-4f6b-9c7d-8e9fa0b1c234"
KAI = "6e4abc9d-3f5b-4a7c-8d8e-9fa0b1c2d345"
SESSIONS = {DANA: "mpx_session_dana_dev_0001", SAM: "mpx_session_sam_dev_0001", LEE: "mpx_session_lee_dev_0001",
            ROBIN: "mpx_session_robin_dev_0001", KAI: "mpx_session_kai_dev_0001"}
HARBORLIGHT = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"  # Dana alone
NORTHWIND = "9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f"  # Dana owner, Sam admin, Lee developer, Robin viewer
UNKNOWN_TEAM = "0f0e0d0c-0b0a-4909-8807-060504030201"
NOW = "2026-05-17T10:00:00+00:00"
INVALID_SLUG = "Invalid slug: must be 1-39 chars [a-z0-9-], no leading/trailing/double hyphens"


async def _as(api, user: str, method: str, path: str, **kwargs):
    return await api.internal(method, path, session=SESSIONS[user], **kwargs)


def _answer(response):
    return response.status, body_of(response)


async def _members(api, user: str = DANA, team: str = NORTHWIND):
    return body_of(await _as(api, user, "GET", f"/api/teams/{team}/members"))


async def _audit_actions(api, team: str = NORTHWIND):
    events = body_of(await api.internal("GET", f"/api/teams/{team}/audit-events"))["events"]
    return [(event["action"], event["targetId"], event["payload"]) for event in events]


# -- auth and framework answers -------------------------------------------------------------------

ROUTES = [("POST", "/api/teams"), ("GET", "/api/teams/slug-check?slug=x"), ("GET", "/api/memberships"),
          ("GET", f"/api/teams/{NORTHWIND}/members"), ("PATCH", f"/api/teams/{NORTHWIND}/members/{LEE}"),
          ("DELETE", f"/api/teams/{NORTHWIND}/members/{LEE}"), ("POST", f"/api/teams/{NORTHWIND}/ownership"),
          ("GET", f"/api/teams/{NORTHWIND}/audit-events"), ("POST", f"/api/teams/{NORTHWIND}/icon"),
          ("DELETE", f"/api/teams/{NORTHWIND}/icon")]


@pytest.mark.parametrize("method, path", ROUTES)
@pytest.mark.parametrize("token", [None, RW])
async def test_the_edge_sends_callers_without_a_session_to_login(api, method, path, token):
    response = await api.internal(method, path, session=None, token=token, json_body={})
    assert response.status == 307 and "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("method, path", ROUTES)
async def test_a_session_without_a_profile_is_unauthorized(api, method, path):
    response = await api.internal(method, path, session="mpx_session_no_profile_0001", json_body={})
    assert _answer(response) == (401, {"error": "Unauthorized"})


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/teams"), ("POST", "/api/teams/slug-check"), ("POST", "/api/memberships"),
    ("POST", f"/api/teams/{NORTHWIND}/members"), ("GET", f"/api/teams/{NORTHWIND}/members/{LEE}"),
    ("GET", f"/api/teams/{NORTHWIND}/ownership"), ("PATCH", f"/api/teams/{NORTHWIND}/icon"),
    ("POST", f"/api/teams/{NORTHWIND}/audit-events"),
])
async def test_unexported_methods_are_empty_405s(api, method, path):
    response = await api.internal(method, path)
    assert (response.status, response.raw_body) == (405, b"")


# -- POST /api/teams and GET /api/teams/slug-check ------------------------------------------------

async def test_creating_a_team_makes_the_creator_its_owner(api):
    response = await api.internal("POST", "/api/teams", json_body={"name": "  Tidewater Labs ", "slug": " Tide-Water "})
    created = body_of(response)
    team_id = created["team"]["id"]
    assert (response.status, created) == (201, {"team": {"id": team_id, "slug": "tide-water",
                                                         "name": "Tidewater Labs"}})
    roster = await _members(api, team=team_id)
    assert roster["viewer"] == {"role": "owner", "canManage": True}
    assert [(m["userId"], m["role"], m["joinedAt"]) for m in roster["members"]] == [(DANA, "owner", NOW)]
    events = body_of(await api.internal("GET", f"/api/teams/{team_id}/audit-events"))["events"]
    assert [(e["action"], e["targetType"], e["targetId"], e["actorUserId"], e["payload"]) for e in events] == [
        ("team.created", "team", team_id, DANA, {"name": "Tidewater Labs", "slug": "tide-water"})]
    taken = await api.internal("GET", "/api/teams/slug-check?slug=TIDE-WATER")
    assert body_of(taken) == {"available": False, "reason": "taken"}


@pytest.mark.parametrize("body, status, answer", [
    ({}, 422, "Team name must be 1-80 characters"),
    ({"name": " \u3000 ", "slug": "ok"}, 422, "Team name must be 1-80 characters"),
    ({"name": "x" * 81, "slug": "ok"}, 422, "Team name must be 1-80 characters"),
    ({"name": "\U0001f30a" * 41, "slug": "ok"}, 422, "Team name must be 1-80 characters"),
    ({"name": 7, "slug": "ok"}, 422, "Team name must be 1-80 characters"),
    ({"name": "", "slug": "api"}, 422, "Team name must be 1-80 characters"),
    ({"name": "Crew"}, 422, INVALID_SLUG),
    ({"name": "Crew", "slug": "-crew"}, 422, INVALID_SLUG),
    ({"name": "Crew", "slug": "crew--two"}, 422, INVALID_SLUG),
    ({"name": "Crew", "slug": "crew_two"}, 422, INVALID_SLUG),
    ({"name": "Crew", "slug": "c" * 40}, 422, INVALID_SLUG),
    ({"name": "Crew", "slug": "API"}, 422, "Slug is reserved"),
    ({"name": "Crew", "slug": "settings"}, 422, "Slug is reserved"),
    ({"name": "Crew", "slug": "pricing"}, 422, "Slug is reserved"),
    ({"name": "Crew", "slug": "harborlight"}, 409, "Slug already taken"),
    ({"name": "Crew", "slug": "dana-okafor"}, 409, "Slug already taken"),
    ("{not json", 400, "Invalid JSON body"),
    ([1, 2], 422, "Team name must be 1-80 characters"),
])
async def test_create_validation(api, body, status, answer):
    assert _answer(await api.internal("POST", "/api/teams", json_body=body)) == (status, {"error": answer})


async def test_create_accepts_a_name_of_eighty_units_and_a_slug_of_39(api):
    response = await api.internal("POST", "/api/teams", json_body={"name": "\U0001f30a" * 40, "slug": "c" * 39})
    assert (response.status, body_of(response)["team"]["slug"]) == (201, "c" * 39)


async def test_a_null_body_is_an_empty_500(api):
    response = await api.internal("POST", "/api/teams", json_body="null")
    assert (response.status, response.raw_body) == (500, b"")


@pytest.mark.parametrize("query, answer", [
    ("", {"available": False, "reason": "invalid"}),
    ("?slug=%20%20", {"available": False, "reason": "invalid"}),
    ("?slug=a--b", {"available": False, "reason": "invalid"}),
    ("?slug=Admin", {"available": False, "reason": "reserved"}),
    ("?slug=llms.txt", {"available": False, "reason": "invalid"}),
    ("?slug=observability", {"available": False, "reason": "reserved"}),
    ("?slug=%20Harborlight", {"available": False, "reason": "taken"}),
    ("?slug=samreyes", {"available": False, "reason": "taken"}),
    ("?slug=robin-diaz", {"available": False, "reason": "taken"}),
    ("?slug=fresh-crew", {"available": True}),
])
async def test_slug_check(api, query, answer):
    assert _answer(await api.internal("GET", f"/api/teams/slug-check{query}")) == (200, answer)


# -- GET /api/memberships -------------------------------------------------------------------------

async def test_memberships_list_the_callers_teams_in_locale_order(api):
    await api.internal("POST", "/api/teams", json_body={"name": "alpha crew", "slug": "alpha-crew"})
    answer = body_of(await api.internal("GET", "/api/memberships"))
    assert answer["personal"] == {"slug": "dana-okafor", "name": "Dana Okafor",
                                  "avatarUrl": "https://avatars.example.dev/u/dana.png"}
    assert [(t["name"], t["slug"], t["iconUrl"], t["role"]) for t in answer["teams"]] == [
        ("alpha crew", "alpha-crew", None, "owner"), ("Harborlight Platform", "harborlight", None, "owner"),
        ("Northwind Studio", "northwind", None, "owner")]
    assert list(answer["teams"][1]) == ["id", "slug", "name", "iconUrl", "role"]


@pytest.mark.parametrize("user, answer", [
    (ROBIN, {"personal": {"slug": "robin-diaz", "name": "Robin Diaz", "avatarUrl": None},
             "teams": [{"id": NORTHWIND, "slug": "northwind", "name": "Northwind Studio", "iconUrl": None,
                        "role": "viewer"}]}),
    (KAI, {"personal": {"slug": "kaitanaka", "name": "Kai Tanaka", "avatarUrl": None}, "teams": []}),
])
async def test_memberships_of_other_callers(api, user, answer):
    assert _answer(await _as(api, user, "GET", "/api/memberships")) == (200, answer)


# -- GET /api/teams/{teamId}/members --------------------------------------------------------------

def _member(user_id, name, username, email, avatar, role, joined, current):
    return {"userId": user_id, "name": name, "username": username, "email": email, "avatarUrl": avatar,
            "role": role, "joinedAt": joined, "isCurrentUser": current}


async def test_members_in_joined_order_with_the_viewers_role(api):
    answer = await _members(api, SAM, NORTHWIND.upper())
    assert answer == {
        "team": {"id": NORTHWIND, "name": "Northwind Studio", "slug": "northwind", "iconUrl": None},
        "viewer": {"role": "admin", "canManage": True},
        "members": [
            _member(DANA, "Dana Okafor", "dana", "dana.okafor@example.dev", "https://avatars.example.dev/u/dana.png",
                    "owner", "2026-03-02T09:00:00+00:00", False),
            _member(SAM, "Sam Reyes", "sam", "sam.reyes@example.dev", None, "admin", "2026-03-04T11:30:00+00:00", True),
            _member(LEE, "Lee Park", "lee", "lee.park@example.dev", None, "developer", "2026-03-09T16:45:00+00:00",
                    False),
            _member(ROBIN, "Robin Diaz", None, "robin.diaz@example.dev", None, "viewer", "2026-03-12T08:10:00+00:00",
                    False),
        ],
        "invites": [],
    }
    assert (await _members(api, ROBIN))["viewer"] == {"role": "viewer", "canManage": False}


async def test_members_list_pending_invites_newest_first(api):
    sent = await api.internal("POST", f"/api/teams/{NORTHWIND}/invites",
                              json_body={"email": "mira@example.dev", "role": "developer"})
    assert sent.status == 201
    invite = body_of(sent)["invite"]
    assert (await _members(api))["invites"] == [{"id": invite["id"], "email": "mira@example.dev",
                                                 "role": "developer", "expiresAt": "2026-05-24T10:00:00+00:00",
                                                 "createdAt": NOW}]


@pytest.mark.parametrize("user, team, status, error", [
    (KAI, NORTHWIND, 403, "Forbidden"), (SAM, HARBORLIGHT, 403, "Forbidden"),
    (DANA, UNKNOWN_TEAM, 404, "Team not found"), (DANA, "not-a-team", 500, "Internal server error"),
])
async def test_members_refusals(api, user, team, status, error):
    assert _answer(await _as(api, user, "GET", f"/api/teams/{team}/members")) == (status, {"error": error})


# -- PATCH /api/teams/{teamId}/members/{memberUserId} ---------------------------------------------

@pytest.mark.parametrize("actor, target, role", [(DANA, LEE, "viewer"), (DANA, LEE, "admin"), (DANA, SAM, "viewer"),
                                                 (SAM, LEE, "viewer"), (SAM, ROBIN, "developer")])
async def test_role_changes_the_actor_may_make(api, actor, target, role):
    before = {m["userId"]: m["role"] for m in (await _members(api))["members"]}[target]
    response = await _as(api, actor, "PATCH", f"/api/teams/{NORTHWIND}/members/{target}", json_body={"role": role})
    assert _answer(response) == (200, {"ok": True})
    assert {m["userId"]: m["role"] for m in (await _members(api))["members"]}[target] == role
    assert (await _audit_actions(api))[0] == ("member.role_changed", target, {"to_role": role, "from_role": before})


@pytest.mark.parametrize("actor, target, body, status, error", [
    (DANA, SAM, {"role": "owner"}, 403, "Forbidden"),
    (SAM, LEE, {"role": "admin"}, 403, "Forbidden"),
    (SAM, DANA, {"role": "viewer"}, 403, "Forbidden"),
    (LEE, ROBIN, {"role": "developer"}, 403, "Forbidden"),
    (ROBIN, LEE, {"role": "viewer"}, 403, "Forbidden"),
    (SAM, SAM, {"role": "viewer"}, 403, "You cannot change your own role"),
    (SAM, SAM.upper(), {"role": "viewer"}, 403, "Forbidden"),
    (SAM, SAM, {"role": "boss"}, 422, "Invalid role"),
    (DANA, LEE, {"role": 1}, 422, "Invalid role"),
    (DANA, LEE, {}, 422, "Invalid role"),
    (DANA, LEE, "{", 400, "Invalid JSON body"),
    (DANA, KAI, {"role": "viewer"}, 404, "Member not found"),
    (DANA, "nobody", {"role": "viewer"}, 404, "Member not found"),
    (KAI, LEE, "{", 403, "Forbidden"),
])
async def test_role_change_refusals(api, actor, target, body, status, error):
    response = await _as(api, actor, "PATCH", f"/api/teams/{NORTHWIND}/members/{target}", json_body=body)
    assert _answer(response) == (status, {"error": error})
    assert await _audit_actions(api) == []


# -- DELETE /api/teams/{teamId}/members/{memberUserId} --------------------------------------------

async def test_a_removed_member_loses_the_team_everywhere(api):
    scoped = {"x-mogplex-team-id": NORTHWIND}
    assert (await _as(api, ROBIN, "GET", "/api/repos", headers=scoped)).status == 200
    response = await api.internal("DELETE", f"/api/teams/{NORTHWIND}/members/{ROBIN}")
    assert _answer(response) == (200, {"ok": True})
    assert _answer(await _as(api, ROBIN, "GET", "/api/repos", headers=scoped)) == (403, {"error": "Forbidden"})
    assert _answer(await _as(api, ROBIN, "GET", f"/api/teams/{NORTHWIND}/members")) == (403, {"error": "Forbidden"})
    assert body_of(await _as(api, ROBIN, "GET", "/api/memberships"))["teams"] == []
    assert (await _audit_actions(api))[0] == ("member.removed", ROBIN, {"role": "viewer"})


@pytest.mark.parametrize("actor, target, status, answer", [
    (SAM, LEE, 200, {"ok": True}),
    (SAM, DANA, 403, {"error": "Forbidden"}),
    (LEE, ROBIN, 403, {"error": "Forbidden"}),
    (SAM, SAM, 403, {"error": "You cannot remove yourself"}),
    (DANA, DANA, 403, {"error": "You cannot remove yourself"}),
    (DANA, DANA.upper(), 403, {"error": "Forbidden"}),
    (DANA, KAI, 404, {"error": "Member not found"}),
    (KAI, LEE, 403, {"error": "Forbidden"}),
])
async def test_removals_follow_the_role_rules(api, actor, target, status, answer):
    response = await _as(api, actor, "DELETE", f"/api/teams/{NORTHWIND}/members/{target}")
    assert _answer(response) == (status, answer)


# -- POST /api/teams/{teamId}/ownership -----------------------------------------------------------

async def test_ownership_moves_to_an_admin_and_with_it_who_manages(api):
    response = await api.internal("POST", f"/api/teams/{NORTHWIND}/ownership",
                                  json_body={"next_owner_user_id": f"  {SAM} "})
    assert _answer(response) == (200, {"ok": True})
    roles = {m["userId"]: m["role"] for m in (await _members(api))["members"]}
    assert (roles[DANA], roles[SAM]) == ("admin", "owner")
    assert (await _audit_actions(api))[0] == ("team.owner_transferred", SAM,
                                              {"to_owner_user_id": SAM, "from_owner_user_id": DANA})
    again = await api.internal("POST", f"/api/teams/{NORTHWIND}/ownership", json_body={"next_owner_user_id": SAM})
    assert _answer(again) == (403, {"error": "Forbidden"})
    demote = await api.internal("PATCH", f"/api/teams/{NORTHWIND}/members/{SAM}", json_body={"role": "viewer"})
    assert _answer(demote) == (403, {"error": "Forbidden"})
    back = await _as(api, SAM, "POST", f"/api/teams/{NORTHWIND}/ownership", json_body={"next_owner_user_id": DANA})
    assert _answer(back) == (200, {"ok": True})


@pytest.mark.parametrize("actor, team, body, status, error", [
    (DANA, NORTHWIND, {"next_owner_user_id": LEE}, 422, "Cannot transfer ownership to that member"),
    (DANA, NORTHWIND, {"next_owner_user_id": KAI}, 404, "Team member not found"),
    (DANA, NORTHWIND, {"next_owner_user_id": "nope"}, 500, "Failed to transfer ownership"),
    (DANA, NORTHWIND, {"next_owner_user_id": " "}, 422, "next_owner_user_id is required"),
    (DANA, NORTHWIND, {"next_owner_user_id": 7}, 422, "next_owner_user_id is required"),
    (DANA, NORTHWIND, {"next_owner_user_id": DANA}, 422, "Select another admin to become owner"),
    (DANA, NORTHWIND, {"next_owner_user_id": DANA.upper()}, 422, "Cannot transfer ownership to that member"),
    (DANA, NORTHWIND, "[", 400, "Invalid JSON body"),
    (SAM, NORTHWIND, "[", 403, "Forbidden"),
    (KAI, NORTHWIND, {"next_owner_user_id": SAM}, 403, "Forbidden"),
    (DANA, UNKNOWN_TEAM, {"next_owner_user_id": SAM}, 404, "Team not found"),
    (DANA, "x", {"next_owner_user_id": SAM}, 500, "Internal server error"),
])
async def test_ownership_refusals(api, actor, team, body, status, error):
    response = await _as(api, actor, "POST", f"/api/teams/{team}/ownership", json_body=body)
    assert _answer(response) == (status, {"error": error})


# -- cross-surface --------------------------------------------------------------------------------

async def test_a_created_team_scopes_the_other_routes(api):
    created = body_of(await _as(api, KAI, "POST", "/api/teams", json_body={"name": "Kai's Crew", "slug": "kai-crew"}))
    scoped = {"x-mogplex-team-id": created["team"]["id"]}
    assert _answer(await _as(api, KAI, "GET", "/api/repos", headers=scoped)) == (200, [])
    assert _answer(await api.internal("GET", "/api/repos", headers=scoped)) == (403, {"error": "Forbidden"})


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/github/repos"), ("POST", "/api/repos"), ("PATCH", "/api/repos"), ("DELETE", "/api/repos?id=x"),
    ("POST", "/api/workspaces"), ("PATCH", "/api/workspaces/x"), ("DELETE", "/api/workspaces/x"),
    ("POST", "/api/workspaces/x/repos"), ("POST", "/api/flows/templates"), ("DELETE", "/api/flows/templates/x"),
])
async def test_a_viewer_may_not_write_the_teams_projects(api, method, path):
    scoped = {"x-mogplex-team-id": NORTHWIND}
    response = await _as(api, ROBIN, method, path, headers=scoped, json_body="{")
    assert _answer(response) == (403, {"error": "Forbidden"})


async def test_a_developer_writes_and_a_viewer_reads_the_teams_projects(api):
    scoped = {"x-mogplex-team-id": NORTHWIND}
    created = await _as(api, LEE, "POST", "/api/repos", headers=scoped, json_body={"full_name": "northwind/site"})
    assert (created.status, body_of(created)["product_team_id"]) == (200, NORTHWIND)
    listed = body_of(await _as(api, ROBIN, "GET", "/api/repos", headers=scoped))
    assert [repo["full_name"] for repo in listed] == ["northwind/site"]
    templates = body_of(await _as(api, ROBIN, "GET", "/api/flows/templates", headers=scoped))
    assert templates["can_write"] is False
