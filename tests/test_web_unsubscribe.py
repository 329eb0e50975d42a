"""/api/unsubscribe (RFC 8058 one-click) read against the server's handler: the HMAC link,
its answers, the stored opt-out, and the edge gate in front of it."""

from __future__ import annotations

import re

import pytest
from conftest import body_of

from mockplex import state
from mockplex.handlers.unsubscribe import signature_for

EMAIL = "dana.okafor@example.dev"
ORIGIN = re.compile(r"^http://127\.0\.0\.1:\d+")


async def test_get_sends_the_visitor_to_the_confirm_page_with_the_query(api):
    response = await api.internal("GET", "/api/unsubscribe?email=a@b.dev&t=abc&t=def")
    assert response.status == 303 and response.raw_body == b""
    assert ORIGIN.sub("", response.headers["Location"]) == "/unsubscribe?email=a@b.dev&t=abc&t=def"


async def test_get_without_a_query(api):
    response = await api.internal("GET", "/api/unsubscribe")
    assert (response.status, response.raw_body) == (303, b"")
    assert ORIGIN.sub("", response.headers["Location"]) == "/unsubscribe"


async def test_the_edge_sends_a_caller_without_a_session_to_login(api):
    response = await api.call("POST", f"/api/unsubscribe?email={EMAIL}&t={signature_for(EMAIL)}", None)
    assert response.status == 307 and "/login?next=%2Fapi%2Funsubscribe" in response.headers["Location"]


async def test_a_signed_link_unsubscribes_once_however_often_clicked(api):
    for _ in range(2):
        response = await api.internal("POST", f"/api/unsubscribe?email=%20Dana.Okafor@Example.dev%20&t={signature_for(EMAIL)}")
        assert (response.status, body_of(response)) == (200, {"ok": True})
    world = api.client.app[state.WORLD]
    assert [(row.email, row.source) for row in world.email_preferences.unsubscribes.values()] == [(EMAIL, "one_click")]


@pytest.mark.parametrize("query", [
    "", f"email={EMAIL}", f"t={signature_for(EMAIL)}", f"email={EMAIL}&t={'0' * 64}",
    f"email={EMAIL}&t={signature_for(EMAIL)[:-1]}", f"email=%20&t={signature_for('')}",
])
async def test_a_bad_or_missing_signature_is_400(api, query):
    response = await api.internal("POST", f"/api/unsubscribe?{query}")
    assert (response.status, body_of(response)) == (400, {"error": "invalid_token"})


async def test_a_storage_failure_is_503(world_api):
    api = await world_api(email_unsubscribes="failing")
    response = await api.internal("POST", f"/api/unsubscribe?email={EMAIL}&t={signature_for(EMAIL)}")
    assert (response.status, body_of(response)) == (503, {"error": "storage_error"})


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_other_methods_are_405(api, method):
    response = await api.internal(method, "/api/unsubscribe")
    assert (response.status, response.raw_body) == (405, b"")
