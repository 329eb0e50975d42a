"""Billing through real HTTP: the summary (GET /api/billing), Stripe Checkout and the
Customer Portal, in personal and team scopes, with Stripe played by the world."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from conftest import RW, body_of

from mockplex import state
from mockplex.world.teams import TeamMember

TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"
SAM = "8b1d4e7a-2c3f-4a9b-8e6d-1f0c3b5a7d92"
SAM_SESSION = "mpx_session_sam_dev_0001"
LEE_SESSION = "mpx_session_lee_dev_0001"
KAI_SESSION = "mpx_session_kai_dev_0001"
ATTEMPT = "0d9c8b7a-6f5e-4d3c-9b2a-1f0e9d8c7b6a"
CHECKOUT_URL = re.compile(r"https://checkout\.stripe\.mock/c/pay/cs_test_[0-9a-z]{58}")
PORTAL_URL = re.compile(r"https://billing\.stripe\.mock/p/session/test_[0-9a-z]{24}")
ZERO = {"includedCents": 0, "purchasedCents": 0, "totalCents": 0}
FREE = {"enabled": True, "canManageBilling": True, "tier": "free", "status": "active", "hasSubscription": False,
        "hasStripeCustomer": False, "balance": ZERO}
HARBORLIGHT = {"enabled": True, "canManageBilling": True, "tier": "team", "status": "active",
               "hasSubscription": True, "hasStripeCustomer": True,
               "balance": {"includedCents": 8140, "purchasedCents": 0, "totalCents": 8140}}
SUBSCRIBE = {"kind": "subscribe", "plan": "pro_monthly", "returnPath": "/settings/billing"}
TOPUP = {"kind": "topup", "preset": "topup_25", "attemptId": ATTEMPT}


def join_team(api, role: str, user_id: str = SAM) -> None:
    member = TeamMember(f"0000000{len(role)}-1111-4222-8333-444455556666", TEAM, user_id, role,
                        datetime(2026, 5, 1, tzinfo=timezone.utc))
    api.client.app[state.WORLD].teams.add_member(member)


def in_team(team_id: str = TEAM) -> dict[str, str]:
    return {"x-mogplex-team-id": team_id}


async def billing(api, **kwargs):
    response = await api.internal("GET", "/api/billing", **kwargs)
    assert response.status == 200
    return body_of(response)


async def checkout(api, body, **kwargs):
    return await api.internal("POST", "/api/stripe/checkout", json_body=body, **kwargs)


# -- GET /api/billing -----------------------------------------------------------------------


async def test_a_scope_without_an_account_reads_as_free(api):
    assert await billing(api) == FREE
    assert await billing(api, headers=in_team("not-a-team-id")) == FREE  # malformed: personal


async def test_an_account_shows_its_tier_and_ledger_balance(api):
    assert await billing(api, session=LEE_SESSION) == {
        "enabled": True, "canManageBilling": True, "tier": "pro", "status": "active", "hasSubscription": True,
        "hasStripeCustomer": True, "balance": {"includedCents": 1265, "purchasedCents": 2500, "totalCents": 3765}}
    assert (await billing(api, session=KAI_SESSION))["status"] == "frozen_topups"


@pytest.mark.parametrize("role, manages", [("admin", True), ("developer", False), ("viewer", False)])
async def test_team_billing_follows_the_callers_role(api, role, manages):
    assert await billing(api, headers=in_team(TEAM.upper())) == HARBORLIGHT  # Dana owns the team
    join_team(api, role)
    assert await billing(api, session=SAM_SESSION, headers=in_team()) == {**HARBORLIGHT, "canManageBilling": manages}


async def test_a_team_the_caller_is_not_in_is_forbidden(api):
    response = await api.internal("GET", "/api/billing", session=LEE_SESSION, headers=in_team())
    assert (response.status, body_of(response)) == (403, {"error": "Forbidden"})


async def test_billing_needs_a_browser_session(api):
    for kwargs in ({"session": None}, {"session": None, "token": RW}):
        response = await api.internal("GET", "/api/billing", **kwargs)
        assert response.status == 307
        assert response.headers["Location"] == f"{api.origin}/login?next=%2Fapi%2Fbilling"


async def test_without_stripe_billing_is_disabled_for_everyone(world_api):
    api = await world_api(stripe="not_configured")
    assert await billing(api, session=LEE_SESSION, headers=in_team()) == {"enabled": False}
    for path in ("/api/stripe/checkout", "/api/stripe/portal"):
        response = await api.internal("POST", path, json_body=SUBSCRIBE, headers=in_team(), session=LEE_SESSION)
        assert (response.status, body_of(response)) == (503, {"error": "Billing is not enabled"})


# -- POST /api/stripe/checkout --------------------------------------------------------------


@pytest.mark.parametrize("body, message", [
    ("{nope", "Invalid JSON body"),
    ("", "Invalid JSON body"),
    ("null", "Invalid request body"),
    ("0", "Invalid request body"),
    ('"subscribe"', "Invalid request body"),
    ("[]", "Unknown checkout kind"),
    ({}, "Unknown checkout kind"),
    ({"kind": "refund"}, "Unknown checkout kind"),
    ({"kind": "subscribe"}, "Unknown plan"),
    ({"kind": "subscribe", "plan": "enterprise_monthly"}, "Unknown plan"),
    ({"kind": "topup", "preset": "topup_25"}, "Invalid checkout attempt"),
    ({"kind": "topup", "attemptId": "0d9c8b7a-6f5e-1d3c-9b2a-1f0e9d8c7b6a"}, "Invalid checkout attempt"),
    ({**TOPUP, "preset": "topup_5"}, "Unknown top-up preset"),
    ({**TOPUP, "preset": None}, "Top-up amount must be integer cents"),
    ({**TOPUP, "preset": None, "amountCents": 1500.5}, "Top-up amount must be integer cents"),
    ({**TOPUP, "preset": None, "amountCents": True}, "Top-up amount must be integer cents"),
    ({**TOPUP, "preset": None, "amountCents": "2000"}, "Top-up amount must be integer cents"),
    ({**TOPUP, "preset": None, "amountCents": 999}, "Minimum top-up is $10.00"),
    ({**TOPUP, "preset": None, "amountCents": 100001}, "Top-ups above $1000 require a support request"),
])
async def test_checkout_validation(api, body, message):
    response = await checkout(api, body)
    assert (response.status, body_of(response)) == (400, {"error": message})


async def test_a_subscription_checkout_is_one_session_per_account(api):
    first = body_of(await checkout(api, SUBSCRIBE))
    assert list(first) == ["url"] and CHECKOUT_URL.fullmatch(first["url"])
    assert body_of(await checkout(api, SUBSCRIBE)) == first  # Stripe replays the idempotency key
    other_plan = await checkout(api, {**SUBSCRIBE, "plan": "team_annual"})
    assert (other_plan.status, other_plan.raw_body) == (500, b"")  # same key, other parameters
    assert await billing(api) == {**FREE, "hasStripeCustomer": True}  # no credit, no tier: that is the webhook's


async def test_top_ups_are_one_session_per_attempt(api):
    preset = body_of(await checkout(api, {**TOPUP, "returnPath": "https://evil.example/"}))
    assert CHECKOUT_URL.fullmatch(preset["url"])
    custom = body_of(await checkout(api, {**TOPUP, "preset": None, "amountCents": 4200.0,
                                          "attemptId": ATTEMPT.upper().replace("0D9C", "1D9C")}))
    assert CHECKOUT_URL.fullmatch(custom["url"]) and custom != preset
    assert body_of(await checkout(api, TOPUP)) == preset
    assert (await billing(api))["balance"] == ZERO  # a top-up is credited by Stripe's webhook, not the redirect


@pytest.mark.parametrize("session, body, status, answer", [
    (LEE_SESSION, SUBSCRIBE, 409, {"error": "This account already has a subscription — manage your plan from the "
                                            "billing portal"}),
    (KAI_SESSION, TOPUP, 403, {"error": "Top-ups are paused on this account — contact support"}),
])
async def test_checkout_refusals_from_the_account(api, session, body, status, answer):
    response = await checkout(api, body, session=session)
    assert (response.status, body_of(response)) == (status, answer)


async def test_a_frozen_account_may_still_subscribe(api):
    assert CHECKOUT_URL.fullmatch(body_of(await checkout(api, SUBSCRIBE, session=KAI_SESSION))["url"])


@pytest.mark.parametrize("role, status", [("owner", 200), ("admin", 200), ("developer", 403), ("viewer", 403)])
async def test_team_checkout_and_portal_need_billing_manage(api, role, status):
    if role != "owner":
        join_team(api, role)
    session = None if role == "owner" else SAM_SESSION
    kwargs = {"headers": in_team()} | ({"session": session} if session else {})
    for response in (await checkout(api, TOPUP, **kwargs),
                     await api.internal("POST", "/api/stripe/portal", **kwargs)):
        answer = body_of(response)
        if status == 403:
            assert (response.status, answer) == (403, {"error": "Forbidden"})
        else:
            assert response.status == 200 and (CHECKOUT_URL.fullmatch(answer["url"]) or PORTAL_URL.fullmatch(answer["url"]))


async def test_checkout_in_a_foreign_team_and_without_a_caller(api):
    response = await checkout(api, SUBSCRIBE, session=LEE_SESSION, headers=in_team())
    assert (response.status, body_of(response)) == (403, {"error": "Forbidden"})
    response = await checkout(api, SUBSCRIBE, session=None)
    assert response.status == 307 and response.headers["Location"].endswith("/login?next=%2Fapi%2Fstripe%2Fcheckout")
    wrong_method = await api.internal("GET", "/api/stripe/checkout")
    assert (wrong_method.status, wrong_method.raw_body) == (405, b"")


async def test_stripe_failing_is_an_empty_500(world_api):
    api = await world_api(stripe="failing")
    for response in (await checkout(api, SUBSCRIBE),
                     await api.internal("POST", "/api/stripe/portal", session=LEE_SESSION)):
        assert (response.status, response.raw_body) == (500, b"")
    assert await billing(api) == FREE  # the account exists now, still without a Stripe customer


async def test_a_closed_checkout_session_is_a_409(world_api):
    api = await world_api(stripe="sessions_closed")
    response = await checkout(api, SUBSCRIBE)
    assert (response.status, body_of(response)) == (409, {
        "error": "This Checkout session is already complete — refresh billing to see the updated subscription"})
    response = await checkout(api, TOPUP)
    assert (response.status, body_of(response)) == (409, {
        "error": "This Checkout session can no longer be used — try again to create a new session",
        "code": "checkout_session_unavailable"})


# -- POST /api/stripe/portal ----------------------------------------------------------------


async def test_the_portal_needs_billing_history(api):
    response = await api.internal("POST", "/api/stripe/portal", json_body={"returnPath": "/settings"})
    assert (response.status, body_of(response)) == (404, {"error": "No billing history yet"})
    await checkout(api, SUBSCRIBE)  # a checkout makes the Stripe customer
    response = await api.internal("POST", "/api/stripe/portal", json_body="{not json")
    assert response.status == 200 and PORTAL_URL.fullmatch(body_of(response)["url"])


async def test_each_portal_visit_is_a_new_session(api):
    first = body_of(await api.internal("POST", "/api/stripe/portal", session=LEE_SESSION))
    second = body_of(await api.internal("POST", "/api/stripe/portal", session=LEE_SESSION))
    assert list(first) == ["url"] and PORTAL_URL.fullmatch(first["url"]) and first != second
