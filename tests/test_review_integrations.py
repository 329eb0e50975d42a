"""Review of the integrations routes against the server's handlers: the Slack webhook,
the Slack install flow, connections through OAuth and managed auth, the MCP consent
decision and the waitlist, each difference pinned through real HTTP."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from conftest import body_of

from mockplex import state
from mockplex.world.managed_auth import webhook_signature

DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
HARBOR_LINK = "8d2f6a1c-4b7e-4c3d-9a5f-1e6b0c7d2a48"
WEBHOOK = "/api/webhooks/slack"
SIGNING_SECRET = b"mockplex-slack-signing-secret-0001"
NOW_SECONDS = int(datetime(2026, 5, 17, 10, 0, tzinfo=timezone.utc).timestamp())
MENTION = {"type": "event_callback", "team_id": "T05HRBLT0PS", "event_id": "Ev0001",
           "event": {"type": "app_mention", "channel": "C05WEBALRT1", "user": "U05DANAOK01", "ts": "1.0",
                     "text": "<@U05MPLXB0T1> fix it"}}


def slack_signed(body: bytes, timestamp: str | None = None, *, content_type: str = "application/json",
                 secret: bytes = SIGNING_SECRET) -> dict[str, str]:
    timestamp = str(NOW_SECONDS) if timestamp is None else timestamp
    digest = hmac.new(secret, f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": timestamp, "x-slack-signature": f"v0={digest}",
            "Content-Type": content_type}


async def deliver(api, body: bytes, headers: dict[str, str]):
    return await api.call("POST", WEBHOOK, None, data=body, headers=headers)


# -- the Slack webhook ------------------------------------------------------------------------------

async def test_slack_webhook_echoes_the_url_verification_challenge(api):
    body = b'{"type":"url_verification","token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}'
    response = await deliver(api, body, slack_signed(body))
    assert (response.status, response.headers["Content-Type"], body_of(response)) == (
        200, "application/json", {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})
    missing = b'{"type":"url_verification"}'
    assert body_of(await deliver(api, missing, slack_signed(missing))) == {}


@pytest.mark.parametrize("headers", [
    {}, {"x-slack-request-timestamp": str(NOW_SECONDS)},
    slack_signed(b"{}", str(NOW_SECONDS - 301)), slack_signed(b"{}", str(NOW_SECONDS + 301)),
    slack_signed(b"{}", secret=b"another-secret"), slack_signed(b"{}", "soon"),
    {**slack_signed(b"{}"), "x-slack-signature": slack_signed(b"{}")["x-slack-signature"].upper()},
])
async def test_slack_webhook_refuses_a_bad_signature(api, headers):
    response = await deliver(api, b"{}", headers)
    assert (response.status, body_of(response)) == (401, {"error": "Invalid signature"})


async def test_slack_webhook_accepts_the_edges_of_its_window_and_a_timestamp_parse_int_reads(api):
    for timestamp in (str(NOW_SECONDS - 300), str(NOW_SECONDS + 300), f"{NOW_SECONDS}abc"):
        response = await deliver(api, b'{"type":"app_rate_limited"}',
                                 slack_signed(b'{"type":"app_rate_limited"}', timestamp))
        assert (response.status, body_of(response)) == (200, {"ok": True}), timestamp


async def test_slack_webhook_checks_size_before_the_signature(api):
    response = await deliver(api, b" " * 1_000_001, {})
    assert (response.status, body_of(response)) == (413, {"error": "Payload too large"})
    at_limit = b" " * 999_998 + b"{}"
    assert (await deliver(api, at_limit, {})).status == 401


@pytest.mark.parametrize("body", [b"", b"{", b"null", b"[]", b'"event_callback"', b'{"type":7}',
                                  b"\xef\xbb\xbf\xef\xbb\xbf{}"])
async def test_slack_webhook_refuses_what_is_not_an_event(api, body):
    response = await deliver(api, body, slack_signed(body.removeprefix(b"\xef\xbb\xbf")))
    assert (response.status, body_of(response)) == (400, {"error": "Invalid payload"})


@pytest.mark.parametrize("body", [
    MENTION,
    {**MENTION, "event_id": "  "},  # no identity: acked and dropped
    {**MENTION, "event": {**MENTION["event"], "bot_id": "B1"}},
    {"type": "app_rate_limited", "team_id": "T05HRBLT0PS"},
])
async def test_slack_webhook_acks_events(api, body):
    raw = json.dumps(body).encode()
    response = await deliver(api, raw, slack_signed(raw))
    assert (response.status, body_of(response)) == (200, {"ok": True})


@pytest.mark.parametrize("event, status, body", [
    (MENTION["event"], 503, {"error": "Dispatch failed"}),
    ({**MENTION["event"], "type": "message", "channel_type": "im"}, 503, {"error": "Dispatch failed"}),
    ({**MENTION["event"], "type": "message", "channel_type": "channel", "thread_ts": "0.5"}, 503,
     {"error": "Dispatch failed"}),
    ({**MENTION["event"], "type": "message", "channel_type": "channel"}, 200, {"ok": True}),  # not a thread reply
    ({**MENTION["event"], "bot_profile": {}}, 200, {"ok": True}),
    ({**MENTION["event"], "user": ""}, 200, {"ok": True}),  # no task payload to queue
    ({"type": "reaction_added", "user": "U1"}, 200, {"ok": True}),
])
async def test_slack_webhook_without_the_task_runtime_asks_slack_to_retry_a_dispatchable_event(
        world_api, event, status, body):
    api = await world_api(trigger_runtime="missing")
    raw = json.dumps({**MENTION, "event": event}).encode()
    response = await deliver(api, raw, slack_signed(raw))
    assert (response.status, body_of(response)) == (status, body)


@pytest.mark.parametrize("form, status, body", [
    ("payload=" + quote(json.dumps({"type": "block_actions", "actions": []})), 200, {"ok": True}),
    ("?payload=" + quote('{"type":"view_submission"}'), 200, {"ok": True}),
    ("payload=", 400, {"error": "Missing payload"}),
    ("other=1", 400, {"error": "Missing payload"}),
    ("payload=" + quote('{"type":1}'), 400, {"error": "Invalid payload"}),
    ("payload=%EF%BB%BF" + quote('{"type":"block_actions"}'), 400, {"error": "Invalid payload"}),
    ("payload=not-json", 400, {"error": "Invalid payload"}),
])
async def test_slack_webhook_interactivity_is_a_form(api, form, status, body):
    raw = form.encode()
    response = await deliver(api, raw, slack_signed(raw, content_type="application/x-www-form-urlencoded"))
    assert (response.status, body_of(response)) == (status, body)


async def test_slack_webhook_without_the_slack_app(world_api):
    api = await world_api(slack="not_configured")
    response = await deliver(api, b"{}", slack_signed(b"{}"))
    assert (response.status, body_of(response)) == (503, {"error": "Slack integration not configured"})


# -- connections through OAuth and managed auth --------------------------------------------------

async def test_a_registered_dynamic_connection_needs_no_discovery(api):
    """Discovery runs only while an endpoint or the client id is missing."""
    created = await api.internal("POST", "/api/connections", json_body={"source_preset": "notion"})
    notion = body_of(created)["connection"]["id"]
    first = await api.internal("GET", f"/api/connections/oauth?connectionId={notion}")
    assert first.headers["Location"].startswith("https://mcp.notion.com/authorize?")
    world = api.client.server.app[state.WORLD]
    world.outside = dataclasses.replace(world.outside, connection_oauth_provider="discovery_fails")
    again = await api.internal("GET", f"/api/connections/oauth?connectionId={notion}")
    assert (again.status, again.headers["Location"].split("&state=")[0]) == (307, first.headers["Location"].split(
        "&state=")[0])


async def test_oauth_state_cookies_are_secure_as_the_hosted_server_sets_them(api):
    created = await api.internal("POST", "/api/connections", json_body={"source_preset": "notion"})
    notion = body_of(created)["connection"]["id"]
    response = await api.internal("GET", f"/api/connections/oauth?connectionId={notion}")
    cookies = response.headers.getall("Set-Cookie")
    assert [line.split("; ", 1)[1] for line in cookies] == [
        "Path=/; Expires=Sun, 17 May 2026 10:10:00 GMT; Max-Age=600; Secure; HttpOnly; SameSite=lax"] * 2


def _pd_delivery(app) -> bytes:
    return json.dumps({"event": "CONNECTION_SUCCESS", "account": {"id": "apn_dev_sentry_dana", "external_id": DANA,
                                                                  "app": app}}).encode()


@pytest.mark.parametrize("app, status, message", [
    ("sentry", 400, "Unexpected Pipedream app for Sentry managed auth"),  # a string's name_slug is undefined
    ([], 400, "Unexpected Pipedream app for Sentry managed auth"),
    (7, 400, "Unexpected Pipedream app for Sentry managed auth"),
    (None, 500, "Webhook processing failed"),  # reading name_slug off null throws
])
async def test_managed_auth_webhook_reads_the_app_slug_as_javascript_does(api, app, status, message):
    body = _pd_delivery(app)
    response = await api.internal("POST", "/api/connections/managed-auth/webhook", data=body,
                                  headers={"x-pd-signature": webhook_signature(body, NOW_SECONDS)})
    assert (response.status, body_of(response)) == (status, {"error": message})


# -- ids Postgres cannot read ------------------------------------------------------------------------

async def test_an_id_with_a_trailing_newline_is_not_a_uuid_to_postgres(api):
    created = await api.internal("POST", "/api/connections", json_body={"source_preset": "sentry"})
    sentry = body_of(created)["connection"]["id"]
    response = await api.internal("GET", f"/api/connections/managed-auth?connectionId={sentry}%0A")
    assert (response.status, body_of(response)) == (500, {"error": "Internal error"})


# -- the waitlist ----------------------------------------------------------------------------------

async def test_the_waitlist_cookie_is_secure_as_the_hosted_server_sets_it(api):
    response = await api.call("POST", "/api/auth/waitlist/validate", None, json_body={"code": "HARBOR-LAUNCH"})
    assert response.headers["Set-Cookie"].split("; ", 1)[1] == (
        "Path=/; Expires=Sun, 17 May 2026 10:30:00 GMT; Max-Age=1800; Secure; HttpOnly; SameSite=lax")


async def test_the_waitlist_limit_answers_429_with_retry_after(api):
    for attempt in range(5):
        ok = await api.call("POST", "/api/auth/waitlist/request", None, json_body={"email": "x"},
                            headers={"x-forwarded-for": " 203.0.113.9 , 10.0.0.1"})
        assert (ok.status, "retry-after" in ok.headers) == (400, False), attempt
    limited = await api.call("POST", "/api/auth/waitlist/request", None, data=b"{",
                             headers={"x-forwarded-for": "203.0.113.9"})
    assert (limited.status, limited.headers["retry-after"], limited.headers["Content-Type"], body_of(limited)) == (
        429, "60", "application/json", {"ok": False, "error": "rate_limited"})
    elsewhere = await api.call("POST", "/api/auth/waitlist/request", None, data=b"{")
    assert (elsewhere.status, body_of(elsewhere)) == (400, {"ok": False, "error": "invalid_request"})
