"""POST /api/webhooks/stripe: Stripe's signed events and what they do to the billing that
GET /api/billing shows, on one world through real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone

import pytest
from conftest import DANA_SESSION, body_of

from mockplex import state
from mockplex.recording.redaction import Redactor

PATH = "/api/webhooks/stripe"
SECRET = b"whsec_mockplex_dev_0001"
NOW = int(datetime(2026, 5, 17, 10, 0, tzinfo=timezone.utc).timestamp())
LEE_SESSION = "mpx_session_lee_dev_0001"
LEE_ACCOUNT, LEE_CUSTOMER, LEE_SUB = "0e5b7c21-9a4d-4f3e-8b6a-2c1d9e8f7a60", "cus_Lq4Wn8Zt2Rk7Pd", "sub_1Ra8Km2Xv5Tq9Lp3Hn6Wd4Bc"
KAI_SESSION, KAI_CUSTOMER = "mpx_session_kai_dev_0001", "cus_Kt9Bx3Vm6Qw1Ls"
DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
ATTEMPT = "5b1e7c2a-3d4f-4a6b-9c8d-0e1f2a3b4c5d"
LEE_BILLING = {"enabled": True, "canManageBilling": True, "tier": "pro", "status": "active", "hasSubscription": True,
               "hasStripeCustomer": True, "balance": {"includedCents": 1265, "purchasedCents": 2500, "totalCents": 3765}}
FREE_BILLING = {"enabled": True, "canManageBilling": True, "tier": "free", "status": "active", "hasSubscription": False,
                "hasStripeCustomer": True, "balance": {"includedCents": 0, "purchasedCents": 0, "totalCents": 0}}


def sign(payload: bytes, t: object = NOW, secret: bytes = SECRET) -> str:
    digest = hmac.new(secret, f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event(event_id: str, event_type: str, data_object: object, **extra) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": event_type, "created": NOW,
                       "data": {"object": data_object}, **extra}).encode()


async def deliver(api, payload: bytes, signature: str | None = None):
    return await api.call("POST", PATH, None, data=payload,
                          headers={"stripe-signature": sign(payload) if signature is None else signature})


async def billing(api, session=DANA_SESSION):
    return body_of(await api.internal("GET", "/api/billing", session=session))


def world(api):
    return api.client.app[state.WORLD]


def subscription(sub_id=LEE_SUB, customer=LEE_CUSTOMER, plan="pro_monthly", status="active", start=NOW):
    return {"id": sub_id, "object": "subscription", "customer": customer, "status": status,
            "items": {"object": "list", "data": [{"current_period_start": start, "price": {"lookup_key": plan}}]}}


def invoice(sub_id=LEE_SUB, customer=LEE_CUSTOMER):
    return {"id": "in_1Rm4Tq8Wz2Lk6Pd", "object": "invoice", "customer": customer,
            "parent": {"subscription_details": {"subscription": sub_id}}}


def top_up(account_id, credit="2500", intent_id="pi_3Sa1Kd7Wm4Xq2Lt9", received=2700):
    return {"id": intent_id, "object": "payment_intent", "amount_received": received, "customer": "cus_x",
            "metadata": {"kind": "topup", "billing_account_id": account_id, "credit_cents": credit}}


# -- configuration and signatures -------------------------------------------------------------

@pytest.mark.parametrize("setting", ["not_configured", "webhook_secret_missing"])
async def test_without_stripe_or_its_webhook_secret_billing_is_not_enabled(world_api, setting):
    api = await world_api(stripe=setting)
    response = await deliver(api, event("evt_1", "ping", {}))
    assert (response.status, body_of(response)) == (503, {"error": "Billing is not enabled"})


@pytest.mark.parametrize("headers", [{}, {"stripe-signature": ""}])
async def test_a_delivery_without_a_signature(api, headers):
    response = await api.call("POST", PATH, None, data=b"{}", headers=headers)
    assert (response.status, body_of(response)) == (400, {"error": "Missing signature"})


GOOD = event("evt_sig", "balance.available", {"object": "balance"})
DIGEST = sign(GOOD).split("v1=")[1]


@pytest.mark.parametrize("payload, signature", [
    (GOOD, sign(GOOD, secret=b"whsec_someone_else")),
    (GOOD + b" ", sign(GOOD)),  # the body signed is not the body sent
    (GOOD, sign(GOOD, NOW - 301)),  # older than Stripe's five minutes
    (GOOD, f"v1={DIGEST}"),
    (GOOD, f"t={NOW}"),
    (GOOD, f"t={NOW},v0={DIGEST}"),
    (GOOD, f"t={NOW}, v1={DIGEST}"),  # the scheme's name is not trimmed
    (GOOD, sign(GOOD, -1)),
    (b"", sign(b"")),
    (b"{not json", sign(b"{not json")),
    (b'{"object":"v2.core.event","id":"evt_thin"}', sign(b'{"object":"v2.core.event","id":"evt_thin"}')),
])
async def test_invalid_signatures(api, payload, signature):
    response = await deliver(api, payload, signature)
    assert (response.status, body_of(response)) == (400, {"error": "Invalid signature"})


@pytest.mark.parametrize("signature", [
    sign(GOOD, NOW - 300), sign(GOOD, NOW + 86_400),  # the edge of the window; the future is never refused
    f"t=1,{sign(GOOD)},v1=00",  # the last t counts, any v1 may match
    sign(GOOD, "NaN").replace("t=NaN", "t=soon"),  # parseInt gives NaN, signed as "NaN", never too old
    sign(GOOD).replace(f"t={NOW}", f"t=000{NOW}"),  # signed with the number, not the text
])
async def test_signatures_stripes_library_accepts(api, signature):
    response = await deliver(api, GOOD, signature)
    assert (response.status, body_of(response)) == (200, {"received": True})


async def test_a_byte_order_mark_is_not_part_of_the_signed_body(api):
    response = await deliver(api, b"\xef\xbb\xbf" + GOOD, sign(GOOD))
    assert (response.status, body_of(response)) == (200, {"received": True})


@pytest.mark.parametrize("payload", [b"null", b"[]", b"7", b'{"type":"ping"}', b'{"id":"evt_no_type"}',
                                     b'{"id":"evt_nul","type":"ping","note":"\\u0000"}'])
async def test_an_event_the_events_table_refuses_is_an_empty_500(api, payload):
    response = await deliver(api, payload)
    assert (response.status, response.raw_body) == (500, b"")


async def test_the_webhook_asks_for_no_caller(api):
    for session in (None, DANA_SESSION):
        response = await api.internal("POST", PATH, session=session, data=GOOD, headers={"stripe-signature": sign(GOOD)})
        assert response.status == 200


# -- idempotency ------------------------------------------------------------------------------

async def test_unknown_events_are_acknowledged_once_then_as_duplicates(api):
    first = await deliver(api, GOOD)
    again = await deliver(api, GOOD, sign(GOOD, NOW + 5))
    assert (first.status, body_of(first)) == (200, {"received": True})
    assert (again.status, body_of(again)) == (200, {"received": True, "duplicate": True})


async def test_a_failed_event_is_retried_only_after_its_claim_goes_stale(make_api):
    api = await make_api(clock="step:300")  # every request five minutes later
    payload = event("evt_fail", "invoice.paid", invoice(sub_id="sub_nobody_knows"))
    signature = sign(payload, NOW + 10_000)
    answers = [await deliver(api, payload, signature) for _ in range(4)]
    assert [(answer.status, body_of(answer)) for answer in answers] == [
        (500, {"error": "Processing failed"}), (409, {"error": "Event processing is already in progress"}),
        (409, {"error": "Event processing is already in progress"}), (500, {"error": "Processing failed"})]


# -- subscriptions ----------------------------------------------------------------------------

async def test_a_subscription_checkout_then_its_paid_invoice(api):
    checkout = await api.internal("POST", "/api/stripe/checkout", json_body={"kind": "subscribe", "plan": "team_monthly"})
    session_id = body_of(checkout)["url"].rsplit("/", 1)[1]
    account = world(api).billing.for_scope(DANA, None)
    completed = event("evt_cs_done", "checkout.session.completed",
                      {"id": session_id, "object": "checkout.session", "mode": "subscription",
                       "client_reference_id": account.id, "customer": account.stripe_customer_id,
                       "subscription": "sub_1Sd3Wq7Lk2Nv8Tx4"})
    assert body_of(await deliver(api, completed)) == {"received": True}
    assert await billing(api) == FREE_BILLING  # completion only backfills a missing customer link
    created = event("evt_sub_new", "customer.subscription.created",
                    subscription("sub_1Sd3Wq7Lk2Nv8Tx4", account.stripe_customer_id, "team_monthly"))
    paid = event("evt_in_paid", "invoice.paid", invoice("sub_1Sd3Wq7Lk2Nv8Tx4", account.stripe_customer_id))
    for payload in (created, paid, paid):
        await deliver(api, payload)
    subscribed = {**FREE_BILLING, "tier": "team", "hasSubscription": True,
                  "balance": {"includedCents": 10000, "purchasedCents": 0, "totalCents": 10000}}
    assert await billing(api) == subscribed
    again = await api.internal("POST", "/api/stripe/checkout", json_body={"kind": "subscribe", "plan": "pro_monthly"})
    assert (again.status, body_of(again)) == (
        409, {"error": "This account already has a subscription — manage your plan from the billing portal"})
    assert account.period_anchor == "2026-05-17"


async def test_a_completed_checkout_links_a_customer_the_account_lacks(api):
    portal = await api.internal("POST", "/api/stripe/portal")  # creates the account, no customer
    assert (portal.status, body_of(portal)) == (404, {"error": "No billing history yet"})
    account = world(api).billing.for_scope(DANA, None)
    completed = {"id": "cs_test_b1", "object": "checkout.session", "mode": "subscription",
                 "client_reference_id": account.id, "customer": {"id": "cus_Dn7Qw2Lx9Kt4Rb"}}
    assert body_of(await deliver(api, event("evt_link", "checkout.session.completed", completed))) == {"received": True}
    assert (await billing(api))["hasStripeCustomer"] is True
    assert account.stripe_customer_id == "cus_Dn7Qw2Lx9Kt4Rb"


@pytest.mark.parametrize("reference", ["not-a-uuid", 42])
async def test_a_checkout_naming_no_account_fails_in_the_lookup(api, reference):
    completed = {"mode": "subscription", "client_reference_id": reference, "customer": "cus_x"}
    response = await deliver(api, event("evt_bad_ref", "checkout.session.completed", completed))
    assert (response.status, body_of(response)) == (500, {"error": "Processing failed"})


async def test_a_renewal_expires_the_last_periods_included_credit(api):
    await deliver(api, event("evt_sub_upd", "customer.subscription.updated", subscription(start=NOW + 86_400 * 20)))
    await deliver(api, event("evt_renew", "invoice.paid", invoice()))
    assert (await billing(api, LEE_SESSION))["balance"] == {"includedCents": 2000, "purchasedCents": 2500,
                                                            "totalCents": 4500}


async def test_a_same_period_upgrade_adds_only_the_difference(api):
    await deliver(api, event("evt_pro", "customer.subscription.updated", subscription()))
    await deliver(api, event("evt_pro_paid", "invoice.paid", invoice()))
    await deliver(api, event("evt_team", "customer.subscription.updated", subscription(plan="team_monthly")))
    assert (await billing(api, LEE_SESSION))["tier"] == "pro"  # not before the invoice is paid
    await deliver(api, event("evt_team_paid", "invoice.paid", {**invoice(), "id": "in_upgrade"}))
    summary = await billing(api, LEE_SESSION)
    assert (summary["tier"], summary["balance"]["includedCents"]) == ("team", 2000 + 8000)


async def test_a_cancelled_subscription_drops_to_free_and_keeps_purchased_credit(api):
    cancelled = event("evt_cancel", "customer.subscription.deleted", subscription(status="canceled"))
    for _ in range(2):
        await deliver(api, cancelled)
    assert await billing(api, LEE_SESSION) == {**LEE_BILLING, "tier": "free", "hasSubscription": False,
                                               "balance": {"includedCents": 0, "purchasedCents": 2500,
                                                           "totalCents": 2500}}
    assert world(api).billing.for_scope("4c2e9a7b-1d3f-4e5a-8b6c-7d8e9f0a1b23", None).subscription_checkout_generation == 1


@pytest.mark.parametrize("data_object", [subscription(plan="enterprise_monthly"), {"customer": LEE_CUSTOMER}, None])
async def test_a_subscription_update_the_server_cannot_read_fails(api, data_object):
    response = await deliver(api, event("evt_odd_sub", "customer.subscription.updated", data_object))
    assert (response.status, body_of(response)) == (500, {"error": "Processing failed"})
    assert await billing(api, LEE_SESSION) == LEE_BILLING


async def test_an_invoice_for_a_subscription_stripe_cannot_retrieve(world_api):
    api = await world_api(stripe="failing")
    await deliver(api, event("evt_sub_seen", "customer.subscription.updated", subscription()))
    response = await deliver(api, event("evt_paid_failing", "invoice.paid", invoice()))
    assert (response.status, body_of(response)) == (500, {"error": "Processing failed"})


@pytest.mark.parametrize("created, status", [(NOW, "past_due"), (NOW - 86_400 * 365, "active")])
async def test_a_failed_payment_marks_the_account_past_due(api, created, status):
    failed = json.dumps({"id": "evt_failed", "type": "invoice.payment_failed", "created": created,
                         "data": {"object": invoice()}}).encode()
    assert body_of(await deliver(api, failed)) == {"received": True}
    assert (await billing(api, LEE_SESSION))["status"] == status


# -- top-ups ----------------------------------------------------------------------------------

async def test_a_top_up_credits_on_its_payment_not_on_its_checkout(api):
    checkout = await api.internal("POST", "/api/stripe/checkout",
                                  json_body={"kind": "topup", "preset": "topup_25", "attemptId": ATTEMPT})
    session_id = body_of(checkout)["url"].rsplit("/", 1)[1]
    account = world(api).billing.for_scope(DANA, None)
    completed = {"id": session_id, "object": "checkout.session", "mode": "payment", "client_reference_id": account.id,
                 "customer": account.stripe_customer_id, "payment_intent": "pi_3Sa1Kd7Wm4Xq2Lt9"}
    assert body_of(await deliver(api, event("evt_topup_done", "checkout.session.completed", completed))) == {
        "received": True}
    assert (await billing(api))["balance"]["purchasedCents"] == 0
    succeeded = event("evt_pi_ok", "payment_intent.succeeded", top_up(account.id))
    answers = [body_of(await deliver(api, succeeded)) for _ in range(2)]
    assert answers == [{"received": True}, {"received": True, "duplicate": True}]
    # another event for the same payment intent posts nothing new either
    await deliver(api, event("evt_pi_ok_again", "payment_intent.succeeded", top_up(account.id)))
    assert (await billing(api))["balance"] == {"includedCents": 0, "purchasedCents": 2500, "totalCents": 2500}


@pytest.mark.parametrize("credit", ["0", "12.5", "lots", None])
async def test_a_top_up_without_a_valid_credit_stamp_fails(api, credit):
    response = await deliver(api, event("evt_pi_bad", "payment_intent.succeeded", top_up(LEE_ACCOUNT, credit)))
    assert (response.status, body_of(response)) == (500, {"error": "Processing failed"})
    assert (await billing(api, LEE_SESSION))["balance"] == LEE_BILLING["balance"]


@pytest.mark.parametrize("metadata", [{"kind": "subscription"}, {"kind": "topup"},
                                      {"kind": "topup", "billing_account_id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"}])
async def test_payments_that_are_not_a_known_top_up_are_ignored(api, metadata):
    intent = {"id": "pi_other", "object": "payment_intent", "metadata": metadata}
    response = await deliver(api, event("evt_pi_other", "payment_intent.succeeded", intent))
    assert (response.status, body_of(response)) == (200, {"received": True})


async def test_a_refund_reverses_the_credited_share_of_the_charge(api):
    await deliver(api, event("evt_pi_lee", "payment_intent.succeeded", top_up(LEE_ACCOUNT)))
    refund = {"id": "re_3Sb2Lm8Qx1Wt6Kd3", "object": "refund", "charge": "ch_3Sa1Kd7Wm4Xq2Lt9", "amount": 1350,
              "status": "succeeded", "created": NOW}
    charge = {"id": "ch_3Sa1Kd7Wm4Xq2Lt9", "object": "charge", "payment_intent": "pi_3Sa1Kd7Wm4Xq2Lt9",
              "customer": LEE_CUSTOMER, "refunds": {"object": "list", "data": [refund]}}
    for _ in range(2):
        await deliver(api, event("evt_refunded", "charge.refunded", charge))
    assert (await billing(api, LEE_SESSION))["balance"]["purchasedCents"] == 2500 + 2500 - 1250


async def test_a_dispute_freezes_top_ups(api):
    charge = {"id": "ch_3Sc4Pn2Vx7Rk1Bd", "object": "charge", "customer": LEE_CUSTOMER}
    unknown = await deliver(api, event("evt_dispute", "charge.dispute.created", {"charge": charge["id"]}))
    assert (unknown.status, body_of(unknown)) == (500, {"error": "Processing failed"})  # Stripe has no such charge
    await deliver(api, event("evt_charge", "charge.succeeded", charge))
    dispute = event("evt_dispute_2", "charge.dispute.created", {"object": "dispute", "charge": charge})
    assert body_of(await deliver(api, dispute)) == {"received": True}
    assert (await billing(api, LEE_SESSION))["status"] == "frozen_topups"
    refused = await api.internal("POST", "/api/stripe/checkout", session=LEE_SESSION,
                                 json_body={"kind": "topup", "preset": "topup_10", "attemptId": ATTEMPT})
    assert (refused.status, body_of(refused)) == (403, {"error": "Top-ups are paused on this account — contact support"})


async def test_a_renewal_does_not_lift_a_freeze(api):
    await deliver(api, event("evt_kai_sub", "customer.subscription.updated", subscription("sub_kai", KAI_CUSTOMER)))
    await deliver(api, event("evt_kai_paid", "invoice.paid", invoice("sub_kai", KAI_CUSTOMER)))
    summary = await billing(api, KAI_SESSION)
    assert (summary["tier"], summary["status"]) == ("pro", "frozen_topups")


# -- secrets ----------------------------------------------------------------------------------

async def test_the_signature_and_the_secret_reach_neither_journal_nor_cassette(api):
    signature = sign(GOOD)
    assert (await deliver(api, GOOD, signature)).status == 200
    journal = (await api.call("GET", "/__mockplex/journal", None)).raw_body
    assert json.loads(journal)["requests"]
    for secret in (SECRET, signature.split("v1=")[1].encode()):
        assert secret not in journal
    recorded = Redactor().headers({"stripe-signature": [signature]})["stripe-signature"][0]
    assert "<redacted:" in recorded and signature.split("v1=")[1] not in recorded
