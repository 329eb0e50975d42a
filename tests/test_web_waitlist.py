"""The waitlist (/api/auth/waitlist/request, new-code, validate), exact against the
server's handlers: public routes, per-IP windows, codes and the replacement email."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from conftest import body_of

from mockplex import state

DANA_EMAIL_CASED = " Dana@Harborlight.dev "
FROM_A = {"x-forwarded-for": "203.0.113.7, 10.0.0.1"}
VALID_COOKIE_EXPIRY = 1779012000 + 1800  # the frozen clock's second, plus half an hour


async def _post(api, path: str, body, headers=None):
    return await api.internal("POST", f"/api/auth/waitlist/{path}", session=None, json_body=body,
                              headers=headers or {})


def _world(api):
    return api.client.server.app[state.WORLD]


async def _dana_email(api) -> str:
    return next(u.email for u in _world(api).users.values() if u.id.startswith("3f6c2a1e"))


# -- request ----------------------------------------------------------------------------------------

async def test_a_request_is_recorded_once_and_a_repeat_keeps_its_fields(api):
    first = await _post(api, "request", {"email": " Ada@Example.COM ", "name": "Ada", "useCase": "reviews"})
    assert (first.status, body_of(first)) == (200, {"ok": True, "alreadyRequested": False})
    again = await _post(api, "request", {"email": "ada@example.com", "company": "Acme", "source": " "})
    assert body_of(again) == {"ok": True, "alreadyRequested": True}
    stored = _world(api).waitlist.requests["ada@example.com"]
    assert (stored.name, stored.company, stored.use_case, stored.source) == ("Ada", "Acme", "reviews",
                                                                             "marketing_site")


@pytest.mark.parametrize("body, error", [
    (b"{", "invalid_request"), (b"", "invalid_request"), (b"null", "invalid_email"), ([], "invalid_email"),
    ({"email": "not-an-email"}, "invalid_email"), ({"email": "a b@c.d"}, "invalid_email"),
    ({"email": "a@" + "b" * 320 + ".dev"}, "invalid_email"),
    ({"email": "a@b.dev", "name": "n" * 501}, "invalid_field"),
    ({"email": "a@b.dev", "company": "c" * 501}, "invalid_field"),
    ({"email": "a@b.dev", "useCase": "u" * 2001}, "invalid_field"),
])
async def test_request_refusals(api, body, error):
    response = await _post(api, "request", body)
    assert (response.status, body_of(response)) == (400, {"ok": False, "error": error})


async def test_requests_are_limited_per_forwarded_ip(api):
    for _ in range(5):
        assert (await _post(api, "request", {"email": "a@b.dev"}, FROM_A)).status == 200
    limited = await _post(api, "request", {"email": "a@b.dev"}, FROM_A)
    assert (limited.status, body_of(limited), limited.headers["retry-after"]) == (
        429, {"ok": False, "error": "rate_limited"}, "60")
    assert (await _post(api, "request", {"email": "a@b.dev"}, {"x-forwarded-for": "198.51.100.2"})).status == 200
    assert (await _post(api, "request", b"{")).status == 400  # the shared "unknown" window is separate


# -- new-code ---------------------------------------------------------------------------------------

async def test_a_known_address_is_mailed_a_single_use_code_that_validates_once(api):
    email = await _dana_email(api)
    response = await _post(api, "new-code", {"email": email.upper()})
    assert (response.status, body_of(response)) == (200, {"ok": True})
    (sent,) = _world(api).waitlist.outbox
    assert (sent.to, sent.subject) == (email.lower(), "Your new Mogplex access code")
    assert sent.code.startswith("r-") and len(sent.code) == 18
    assert body_of(await _post(api, "validate", {"code": sent.code})) == {"ok": True}
    spent = await _post(api, "validate", {"code": sent.code})
    assert body_of(spent) == {"ok": False, "error": "exhausted"}


async def test_a_new_code_expires_the_previous_one(api):
    email = await _dana_email(api)
    await _post(api, "new-code", {"email": email})
    await _post(api, "new-code", {"email": email})
    first, second = _world(api).waitlist.outbox
    assert body_of(await _post(api, "validate", {"code": first.code})) == {"ok": False, "error": "expired"}
    assert body_of(await _post(api, "validate", {"code": second.code})) == {"ok": True}


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(api):
    response = await _post(api, "new-code", {"email": "stranger@example.com"})
    assert (response.status, body_of(response)) == (200, {"ok": True})
    assert _world(api).waitlist.outbox == []


@pytest.mark.parametrize("body, status, error", [
    (b"nope", 400, "invalid_request"), ({"email": 5}, 400, "invalid_email"), ({"email": "x@y"}, 400, "invalid_email"),
])
async def test_new_code_refusals(api, body, status, error):
    response = await _post(api, "new-code", body)
    assert (response.status, body_of(response)) == (status, {"ok": False, "error": error})


async def test_new_code_allows_three_a_minute(api):
    for _ in range(3):
        await _post(api, "new-code", {"email": "x@y.dev"})
    limited = await _post(api, "new-code", {"email": "x@y.dev"})
    assert (limited.status, body_of(limited), limited.headers["retry-after"]) == (
        429, {"ok": False, "error": "rate_limited"}, "60")


@pytest.mark.parametrize("setting, status, body, mailed", [
    ({"email_sender": "missing"}, 200, {"ok": True}, False),
    ({"email_sender": "failing"}, 500, {"ok": False, "error": "server"}, False),
    ({"email_unsubscribes": "failing"}, 200, {"ok": True}, False),
])
async def test_the_email_outcomes(world_api, setting, status, body, mailed):
    api = await world_api(**setting)
    response = await _post(api, "new-code", {"email": await _dana_email(api)})
    assert (response.status, body_of(response)) == (status, body)
    assert bool(_world(api).waitlist.outbox) is mailed
    (minted,) = [code for code in _world(api).waitlist.codes.values() if code.code.startswith("r-")]
    expected = "expired" if setting.get("email_sender") == "failing" else None
    outcome = body_of(await _post(api, "validate", {"code": minted.code}))
    assert outcome == ({"ok": False, "error": expected} if expected else {"ok": True})


# -- validate ---------------------------------------------------------------------------------------

async def test_a_valid_code_sets_the_signed_cookie(api):
    response = await _post(api, "validate", {"code": " HARBOR-LAUNCH "})
    assert (response.status, body_of(response)) == (200, {"ok": True})
    payload = f"HARBOR-LAUNCH.{VALID_COOKIE_EXPIRY}"
    signature = hmac.new(b"mpx_waitlist_cookie_secret_dev_0001", payload.encode(), hashlib.sha256).hexdigest()
    assert response.headers["Set-Cookie"] == (f"mogplex_waitlist_ok={payload}.{signature}; Path=/; "
                                              "Expires=Sun, 17 May 2026 10:30:00 GMT; Max-Age=1800; Secure; HttpOnly; "
                                              "SameSite=lax")


@pytest.mark.parametrize("body, error", [
    (b"{", "invalid_request"), (b"null", "invalid_request"), ({"code": 7}, "invalid_request"),
    ({"code": "  "}, "invalid_request"), ({"code": "c" * 129}, "invalid_request"),
    ({"code": "café"}, "invalid_request"), ({"code": "a b"}, "invalid_request"),
    ({"code": "NO-SUCH-CODE"}, "invalid"), ({"code": "harbor-launch"}, "invalid"),
    ({"code": "MPX-EXPIRED-0001"}, "expired"), ({"code": "MPX-SPENT-0001"}, "exhausted"),
])
async def test_validate_refusals(api, body, error):
    response = await _post(api, "validate", body)
    assert (response.status, body_of(response)) == (400, {"ok": False, "error": error})
    assert "Set-Cookie" not in response.headers


async def test_a_single_use_code_and_a_missing_secret(world_api):
    api = await world_api(waitlist_cookie_secret="missing")
    crashed = await _post(api, "validate", {"code": "MPX-ONCE-0001"})
    assert (crashed.status, crashed.raw_body) == (500, b"")
    assert body_of(await _post(api, "validate", {"code": "MPX-ONCE-0001"})) == {"ok": False, "error": "exhausted"}


@pytest.mark.parametrize("path", ["request", "new-code", "validate"])
async def test_waitlist_routes_are_post_only_and_public(api, path):
    response = await api.internal("GET", f"/api/auth/waitlist/{path}", session=None)
    assert (response.status, response.raw_body) == (405, b"")
