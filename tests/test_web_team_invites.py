"""Team invites: /api/teams/{teamId}/invites (+ /bulk, /{inviteId}) and /api/invites/{token},
against the server's route code."""

from __future__ import annotations

import pytest
from conftest import RW, body_of

from mockplex import state

TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
SAM = "8b1d4e7a-2c3f-4a9b-8e6d-1f0c3b5a7d92"
LEE = "4c2e9a7b-1d3f-4e5a-8b6c-7d8e9f0a1b23"
SAM_SESSION = "mpx_session_sam_dev_0001"
LEE_SESSION = "mpx_session_lee_dev_0001"
KAI_SESSION = "mpx_session_kai_dev_0001"
NO_PROFILE = "mpx_session_no_profile_0001"
INVITES = f"/api/teams/{TEAM}/invites"
IN_A_WEEK = "2026-05-24T10:00:00+00:00"
SAM_EMAIL, LEE_EMAIL, KAI_EMAIL = "sam.reyes@example.dev", "lee.park@example.dev", "kai.tanaka@example.dev"


def world_of(api):
    return api.client.server.app[state.WORLD]


def token_of(api, email: str) -> str:
    """The newest accept link mailed to `email`, read from the world's outbox."""
    url = next(mail.accept_url for mail in reversed(world_of(api).team_invites.outbox) if mail.to == email)
    return url.rsplit("/", 1)[1]


async def invite(api, email: str, role: str = "developer", session: str | None = None, **kwargs):
    if session:
        kwargs["session"] = session
    return await api.internal("POST", INVITES, json_body={"email": email, "role": role}, **kwargs)


async def join(api, email: str, session: str, role: str = "developer") -> None:
    """Dana invites `email`; its owner accepts through the invite link."""
    assert (await invite(api, email, role)).status == 201
    accepted = await api.internal("POST", f"/api/invites/{token_of(api, email)}", session=session)
    assert accepted.status == 200


def audit_of(api) -> list[tuple]:
    return [(event.action, event.actor_user_id, event.target_type, event.target_id, event.payload)
            for event in world_of(api).team_audit.events]


# -- POST /api/teams/{teamId}/invites -------------------------------------------------

async def test_an_owner_invites_an_address_and_the_email_carries_the_link(api):
    response = await invite(api, "  Lee.Park@Example.DEV ", "viewer")
    [row] = world_of(api).team_invites.pending_for_team(TEAM)
    assert (response.status, body_of(response)) == (201, {
        "invite": {"id": row.id, "email": LEE_EMAIL, "role": "viewer", "expiresAt": IN_A_WEEK},
        "delivery": "resend"})
    assert (row.team_id, row.invited_by_user_id, row.accepted_at, len(row.token)) == (TEAM, DANA, None, 32)
    [mail] = world_of(api).team_invites.outbox
    assert (mail.to, mail.team_name, mail.inviter_name, mail.role, mail.accept_url, mail.subject, mail.channel) == (
        LEE_EMAIL, "Harborlight Platform", "Dana Okafor", "viewer", f"https://mogplex.com/invite/{row.token}",
        "Dana Okafor invited you to Harborlight Platform on Mogplex", "resend")
    assert audit_of(api) == [("invite.created", DANA, "invite", row.id, {
        "email": LEE_EMAIL, "role": "viewer", "delivery": "resend", "expires_at": IN_A_WEEK})]


async def test_the_same_address_may_be_invited_twice_and_the_members_list_shows_both(api):
    first = body_of(await invite(api, LEE_EMAIL))["invite"]
    world_of(api).clock.advance(60)
    second = body_of(await invite(api, LEE_EMAIL, "viewer", headers={"x-mogplex-team-id": UNKNOWN}))["invite"]
    listed = body_of(await api.internal("GET", f"/api/teams/{TEAM}/members"))["invites"]
    assert listed == [{**second, "createdAt": "2026-05-17T10:01:00+00:00"},
                      {**first, "createdAt": "2026-05-17T10:00:00+00:00"}]
    pending = world_of(api).team_invites.pending_for_team(TEAM.upper())
    assert [row.id for row in pending] == [second["id"], first["id"]] and pending[0].token != pending[1].token


@pytest.mark.parametrize("team, body, status, answer", [
    (TEAM, "{oops", 400, {"error": "Invalid JSON body"}),
    (UNKNOWN, {}, 422, {"error": "Valid email required"}),
    (UNKNOWN, ["x@y.dev"], 422, {"error": "Valid email required"}),
    (TEAM, {"email": 7, "role": "viewer"}, 422, {"error": "Valid email required"}),
    (TEAM, {"email": "   ", "role": "viewer"}, 422, {"error": "Valid email required"}),
    (TEAM, {"email": "no-dot@host", "role": "viewer"}, 422, {"error": "Valid email required"}),
    (TEAM, {"email": "two words@x.dev", "role": "viewer"}, 422, {"error": "Valid email required"}),
    (UNKNOWN, {"email": "a@b.dev", "role": "owner"}, 422, {"error": "Role must be admin, developer, or viewer"}),
    (TEAM, {"email": "a@b.dev"}, 422, {"error": "Role must be admin, developer, or viewer"}),
    (UNKNOWN, {"email": "a@b.dev", "role": "viewer"}, 404, {"error": "Team not found"}),
    ("not-a-uuid", {"email": "a@b.dev", "role": "viewer"}, 500, {"error": "Internal server error"}),
    (TEAM, {"email": "DANA.okafor@example.dev", "role": "admin"}, 409, {"error": "That user is already a team member"}),
])
async def test_create_checks_body_then_team_then_membership(api, team, body, status, answer):
    response = await api.internal("POST", f"/api/teams/{team}/invites", json_body=body)
    assert (response.status, body_of(response)) == (status, answer)
    assert world_of(api).team_invites.rows == []


async def test_a_null_body_is_the_frameworks_empty_500(api):
    response = await api.internal("POST", INVITES, json_body="null")
    assert (response.status, response.raw_body) == (500, b"")


async def test_who_may_invite_whom(api):
    assert body_of(await invite(api, "x@y.dev", session=SAM_SESSION)) == {"error": "Forbidden"}
    await join(api, SAM_EMAIL, SAM_SESSION, role="admin")
    await join(api, LEE_EMAIL, LEE_SESSION, role="developer")
    for session, role, status in ((SAM_SESSION, "developer", 201), (SAM_SESSION, "viewer", 201),
                                  (SAM_SESSION, "admin", 403), (LEE_SESSION, "viewer", 403)):
        response = await invite(api, "new@corp.dev", role, session=session)
        assert response.status == status, (session, role)
    assert (await invite(api, LEE_EMAIL, session=SAM_SESSION)).status == 409


@pytest.mark.parametrize("kwargs, status", [
    ({"session": None}, 307), ({"session": None, "token": RW}, 307), ({"session": NO_PROFILE}, 401)])
async def test_callers_the_edge_or_the_handler_turn_away(api, kwargs, status):
    for method, path in (("POST", INVITES), ("POST", f"{INVITES}/bulk"), ("POST", f"{INVITES}/{UNKNOWN}"),
                         ("DELETE", f"{INVITES}/{UNKNOWN}"), ("GET", "/api/invites/abc"),
                         ("POST", "/api/invites/abc")):
        response = await api.internal(method, path, json_body={}, **kwargs)
        assert response.status == status, (method, path)
        if status == 307:
            assert "/login?next=" in response.headers["Location"]
        else:
            assert body_of(response) == {"error": "Unauthorized"}


@pytest.mark.parametrize("sender, delivery, channel", [("missing", "log", "log"), ("failing", "resend_error", None)])
async def test_the_email_sender_setting(world_api, sender, delivery, channel):
    api = await world_api(email_sender=sender)
    response = await invite(api, KAI_EMAIL)
    assert (response.status, body_of(response)["delivery"]) == (201, delivery)
    assert [mail.channel for mail in world_of(api).team_invites.outbox] == ([channel] if channel else [])
    assert len(world_of(api).team_invites.pending_for_team(TEAM)) == 1  # the invite is kept either way
    assert audit_of(api)[0][4]["delivery"] == delivery


# -- POST /api/teams/{teamId}/invites/bulk ----------------------------------------------

async def test_bulk_invites_report_each_row_in_the_servers_order(api):
    emails = [" Kai.Tanaka@example.dev", "kai.tanaka@example.dev", "nope", 42, None, True, "  ",
              "Dana.Okafor@example.dev", "new@corp.dev"]
    response = await api.internal("POST", f"{INVITES}/bulk", json_body={"emails": emails, "role": "viewer"})
    new, kai = world_of(api).team_invites.pending_for_team(TEAM)
    summary = {"total_requested": 9, "invited": 2, "skipped_member": 1, "skipped_invalid": 5,
               "skipped_duplicate": 1, "delivery_failed": 0, "insert_failed": 0}
    assert (response.status, body_of(response)) == (200, {"results": [
        {"email": KAI_EMAIL, "status": "skipped_duplicate"},
        {"email": "nope", "status": "skipped_invalid"},
        {"email": "42", "status": "skipped_invalid"},
        {"email": "", "status": "skipped_invalid"},
        {"email": "true", "status": "skipped_invalid"},
        {"email": "  ", "status": "skipped_invalid"},
        {"email": "dana.okafor@example.dev", "status": "skipped_member"},
        {"email": KAI_EMAIL, "status": "invited", "invite_id": kai.id},
        {"email": "new@corp.dev", "status": "invited", "invite_id": new.id},
    ], "summary": summary})
    assert [mail.to for mail in world_of(api).team_invites.outbox] == [KAI_EMAIL, "new@corp.dev"]
    assert audit_of(api) == [("invite.bulk_created", DANA, "invite", TEAM, {"role": "viewer", **summary})]


async def test_bulk_with_a_failing_sender_keeps_the_invites(world_api):
    api = await world_api(email_sender="failing")
    response = await api.internal("POST", f"{INVITES}/bulk", json_body={"emails": [KAI_EMAIL], "role": "admin"})
    [row] = world_of(api).team_invites.rows
    assert body_of(response)["results"] == [{"email": KAI_EMAIL, "status": "delivery_failed", "invite_id": row.id}]
    assert body_of(response)["summary"]["delivery_failed"] == 1


@pytest.mark.parametrize("team, session, body, status, answer", [
    (UNKNOWN, None, "{oops", 404, {"error": "Team not found"}),
    ("nope", None, {}, 500, {"error": "Internal server error"}),
    (TEAM, SAM_SESSION, "{oops", 403, {"error": "Forbidden"}),
    (TEAM, None, "{oops", 400, {"error": "Invalid JSON body"}),
    (TEAM, None, {"emails": []}, 422, {"error": "role must be admin, developer, or viewer"}),
    (TEAM, None, {"emails": "a@b.dev", "role": "viewer"}, 422, {"error": "emails must be an array of strings"}),
    (TEAM, None, {"emails": [], "role": "viewer"}, 422, {"error": "emails must not be empty"}),
    (TEAM, None, {"emails": ["a@b.dev"] * 101, "role": "viewer"}, 422,
     {"error": "Too many emails: cap is 100 per request"}),
])
async def test_bulk_authorizes_before_reading_the_body(api, team, session, body, status, answer):
    kwargs = {"session": session} if session else {}
    response = await api.internal("POST", f"/api/teams/{team}/invites/bulk", json_body=body, **kwargs)
    assert (response.status, body_of(response)) == (status, answer)


async def test_bulk_roles_and_a_null_body(api):
    await join(api, SAM_EMAIL, SAM_SESSION, role="admin")
    await join(api, LEE_EMAIL, LEE_SESSION, role="developer")
    bulk = f"{INVITES}/bulk"
    developer = await api.internal("POST", bulk, session=LEE_SESSION, json_body="null")
    assert (developer.status, body_of(developer)) == (403, {"error": "Forbidden"})
    admin_invites_admin = await api.internal("POST", bulk, session=SAM_SESSION,
                                             json_body={"emails": "not checked yet", "role": "admin"})
    assert (admin_invites_admin.status, body_of(admin_invites_admin)) == (403, {"error": "Forbidden"})
    null = await api.internal("POST", bulk, session=SAM_SESSION, json_body="null")
    assert (null.status, null.raw_body) == (500, b"")


# -- POST / DELETE /api/teams/{teamId}/invites/{inviteId} ---------------------------------

async def test_resend_mints_a_new_token_and_expiry(api):
    created = body_of(await invite(api, KAI_EMAIL))["invite"]
    old_token = token_of(api, KAI_EMAIL)
    world_of(api).clock.advance(3600.1234)
    response = await api.internal("POST", f"{INVITES}/{created['id'].upper()}")
    expires = "2026-05-24T11:00:00.123+00:00"
    assert (response.status, body_of(response)) == (200, {
        "invite": {**created, "expiresAt": expires}, "delivery": "resend"})
    new_token = token_of(api, KAI_EMAIL)
    assert new_token != old_token
    old = await api.internal("GET", f"/api/invites/{old_token}")
    assert (old.status, body_of(old)) == (404, {"error": "Invite not found"})
    new = await api.internal("GET", f"/api/invites/{new_token}")
    assert (new.status, body_of(new)["invite"]["expiresAt"], body_of(new)["invite"]["expired"]) == (200, expires, False)
    assert audit_of(api)[-1] == ("invite.resent", DANA, "invite", created["id"].upper(), {
        "email": KAI_EMAIL, "role": "developer", "delivery": "resend", "expires_at": expires})


async def test_revoke_removes_the_invite_and_its_link(api):
    created = body_of(await invite(api, KAI_EMAIL, "admin"))["invite"]
    token = token_of(api, KAI_EMAIL)
    response = await api.internal("DELETE", f"{INVITES}/{created['id']}")
    assert (response.status, body_of(response)) == (200, {"ok": True})
    assert body_of(await api.internal("GET", f"/api/teams/{TEAM}/members"))["invites"] == []
    refused = await api.internal("POST", f"/api/invites/{token}", session=KAI_SESSION)
    assert (refused.status, body_of(refused)) == (404, {"error": "Invite not found"})
    again = await api.internal("DELETE", f"{INVITES}/{created['id']}")
    assert (again.status, body_of(again)) == (404, {"error": "Invite not found"})
    assert audit_of(api)[-1] == ("invite.revoked", DANA, "invite", created["id"],
                                 {"email": KAI_EMAIL, "role": "admin"})


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_one_invite_not_found_and_forbidden(api, method):
    await join(api, SAM_EMAIL, SAM_SESSION, role="admin")
    accepted = world_of(api).team_invites.rows[0].id
    admin_invite = body_of(await invite(api, KAI_EMAIL, "admin"))["invite"]["id"]
    for team, invite_id, session, status, answer in (
            (TEAM, UNKNOWN, None, 404, "Invite not found"),
            (TEAM, "not-a-uuid", None, 404, "Invite not found"),
            (TEAM, accepted, None, 404, "Invite not found"),
            (UNKNOWN, admin_invite, None, 404, "Team not found"),
            ("nope", admin_invite, None, 500, "Internal server error"),
            (TEAM, admin_invite, LEE_SESSION, 403, "Forbidden"),
            (TEAM, admin_invite, SAM_SESSION, 403, "Forbidden")):
        kwargs = {"session": session} if session else {}
        response = await api.internal(method, f"/api/teams/{team}/invites/{invite_id}", **kwargs)
        assert (response.status, body_of(response)) == (status, {"error": answer}), (team, invite_id, session)
    developer_invite = body_of(await invite(api, "new@corp.dev"))["invite"]
    by_admin = await api.internal(method, f"{INVITES}/{developer_invite['id']}", session=SAM_SESSION)
    expected = {"ok": True} if method == "DELETE" else {"invite": developer_invite, "delivery": "resend"}
    assert (by_admin.status, body_of(by_admin)) == (200, expected)


async def test_bulk_is_its_own_route_and_unexported_methods_are_405(api):
    for method, path in (("DELETE", f"{INVITES}/bulk"), ("GET", INVITES), ("GET", f"{INVITES}/{UNKNOWN}"),
                         ("DELETE", "/api/invites/abc")):
        response = await api.internal(method, path)
        assert (response.status, response.raw_body) == (405, b""), (method, path)


# -- GET / POST /api/invites/{token} ------------------------------------------------------

async def test_looking_up_an_invite(api):
    await invite(api, "Kai.Tanaka@Example.dev", "admin")
    token = token_of(api, KAI_EMAIL)
    expected = {"invite": {"teamName": "Harborlight Platform", "teamSlug": "harborlight",
                           "inviterName": "Dana Okafor", "role": "admin", "expiresAt": IN_A_WEEK,
                           "expired": False, "alreadyAccepted": False},
                "emailMatch": True, "inviteEmail": KAI_EMAIL, "currentEmail": KAI_EMAIL}
    mine = await api.internal("GET", f"/api/invites/{token}", session=KAI_SESSION)
    assert (mine.status, body_of(mine)) == (200, expected)
    theirs = await api.internal("GET", f"/api/invites/{token}", session=SAM_SESSION)
    assert body_of(theirs) == {**expected, "emailMatch": False, "currentEmail": SAM_EMAIL}
    world_of(api).clock.advance(7 * 86400)
    assert body_of(await api.internal("GET", f"/api/invites/{token}"))["invite"]["expired"] is False
    world_of(api).clock.advance(0.001)
    late = body_of(await api.internal("GET", f"/api/invites/{token}", session=KAI_SESSION))
    assert late == {**expected, "invite": {**expected["invite"], "expired": True}}
    missing = await api.internal("GET", "/api/invites/no-such-token")
    assert (missing.status, body_of(missing)) == (404, {"error": "Invite not found"})


async def test_accepting_makes_the_caller_a_member_who_sees_the_team(api):
    team_scope = {"x-mogplex-team-id": TEAM}
    created = await api.internal("POST", "/api/repos", headers=team_scope, json_body={"full_name": "harborlight/x"})
    assert created.status == 200
    before = await api.internal("GET", "/api/repos", session=KAI_SESSION, headers=team_scope)
    assert (before.status, body_of(before)) == (403, {"error": "Forbidden"})
    assert body_of(await api.internal("GET", "/api/memberships", session=KAI_SESSION))["teams"] == []
    await invite(api, KAI_EMAIL, "developer")
    token = token_of(api, KAI_EMAIL)
    accepted = await api.internal("POST", f"/api/invites/{token}", session=KAI_SESSION)
    assert (accepted.status, body_of(accepted)) == (200, {"team": {"id": TEAM, "slug": "harborlight"}})
    after = await api.internal("GET", "/api/repos", session=KAI_SESSION, headers=team_scope)
    assert after.status == 200 and [repo["full_name"] for repo in body_of(after)] == ["harborlight/x"]
    member = world_of(api).teams.member(TEAM, "6e4abc9d-3f5b-4a7c-8d8e-9fa0b1c2d345")
    assert (member.role, member.invited_by_user_id) == ("developer", DANA)
    memberships = body_of(await api.internal("GET", "/api/memberships", session=KAI_SESSION))["teams"]
    assert [(team["id"], team["role"]) for team in memberships] == [(TEAM, "developer")]
    assert world_of(api).team_invites.pending_for_team(TEAM) == []
    lookup = await api.internal("GET", f"/api/invites/{token}", session=KAI_SESSION)
    assert body_of(lookup)["invite"]["alreadyAccepted"] is True
    again = await api.internal("POST", f"/api/invites/{token}", session=KAI_SESSION)
    assert (again.status, body_of(again)) == (410, {"error": "already_accepted"})
    event = world_of(api).team_audit.events[-1]
    assert (event.action, event.actor_user_id, event.actor_member_id, event.target_id, event.payload) == (
        "invite.accepted", member.user_id, member.id, world_of(api).team_invites.rows[0].id,
        {"email": KAI_EMAIL, "role": "developer", "email_match": True})


@pytest.mark.parametrize("body, status, answer", [
    (None, 409, {"error": "mismatch_unconfirmed"}),
    ("{oops", 409, {"error": "mismatch_unconfirmed"}),
    ({"confirmMismatch": "true"}, 409, {"error": "mismatch_unconfirmed"}),
    ([True], 409, {"error": "mismatch_unconfirmed"}),
    ({"confirmMismatch": True}, 200, {"team": {"id": TEAM, "slug": "harborlight"}}),
])
async def test_another_address_must_confirm_the_mismatch(api, body, status, answer):
    await invite(api, KAI_EMAIL, "viewer")
    kwargs = {"json_body": body} if body is not None else {}
    response = await api.internal("POST", f"/api/invites/{token_of(api, KAI_EMAIL)}", session=SAM_SESSION, **kwargs)
    assert (response.status, body_of(response)) == (status, answer)
    assert world_of(api).teams.role_of(SAM, TEAM) == ("viewer" if status == 200 else None)
    if status == 200:
        assert world_of(api).team_audit.events[-1].payload["email_match"] is False


async def test_accept_not_found_expired_null_body_and_an_existing_member(api):
    missing = await api.internal("POST", "/api/invites/no-such-token")
    assert (missing.status, body_of(missing)) == (404, {"error": "Invite not found"})
    null = await api.internal("POST", "/api/invites/no-such-token", json_body="null")
    assert (null.status, null.raw_body) == (500, b"")
    await invite(api, "dana.alias@example.dev", "viewer")
    own = await api.internal("POST", f"/api/invites/{token_of(api, 'dana.alias@example.dev')}",
                             json_body={"confirmMismatch": True})
    assert own.status == 200 and world_of(api).teams.role_of(DANA, TEAM) == "owner"
    await invite(api, KAI_EMAIL)
    world_of(api).clock.advance(7 * 86400 + 1)
    expired = await api.internal("POST", f"/api/invites/{token_of(api, KAI_EMAIL)}", session=KAI_SESSION)
    assert (expired.status, body_of(expired)) == (410, {"error": "expired"})
