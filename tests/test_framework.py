"""The layers around the handlers: edge gate, Next.js framework answers, headers."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest
from aiohttp import web
from conftest import READ_ONLY, RW, V1, body_of

from mockplex.pytest_plugin import Mockplex
from mockplex.responses import NOT_FOUND_HTML
from mockplex.settings import Settings
from mockplex.world.world import World

SECURITY = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
}


async def test_rest_call_without_bearer_is_redirected_to_login(api):
    response = await api.get("/repos?limit=20&q=web", token=None)
    assert response.status == 307
    assert response.headers["Location"] == (
        f"{api.origin}/login?next=%2Fapi%2Fv1%2Fmogplex%2Frepos%3Flimit%3D20%26q%3Dweb")
    assert response.raw_body == b""


async def test_same_origin_referer_marks_the_redirect_expired(api):
    response = await api.get("/runs/abc", token=None, headers={"Referer": f"{api.origin}/settings"})
    assert response.status == 307
    assert response.headers["Location"] == f"{api.origin}/login?expired=true&next=%2Fapi%2Fv1%2Fmogplex%2Fruns%2Fabc"


async def test_garbled_or_empty_bearers_never_reach_the_json_401(api):
    for header in ("Bearer ", "bearer " + RW, "Token " + RW, "Basic abc", "Bearer    "):
        response = await api.get("/repos", token=None, headers={"Authorization": header})
        assert response.status == 307, header


async def test_unknown_v1_path_is_the_html_404_only_past_the_gate(api):
    without = await api.get("/pr-reviews/rerun", token=None)
    assert without.status == 307
    with_bearer = await api.call("POST", V1 + "/pr-reviews/rerun")
    assert with_bearer.status == 404
    assert with_bearer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert with_bearer.raw_body == NOT_FOUND_HTML


async def test_pages_outside_the_api_pass_the_gate_and_404(api):
    response = await api.call("GET", "/definitely-not-a-page", token=None)
    assert response.status == 404
    assert response.raw_body == NOT_FOUND_HTML


async def test_trailing_slash_redirects_before_the_gate(api):
    response = await api.call("GET", V1 + "/repos/?limit=5", token=None)
    assert response.status == 308
    assert response.headers["Location"] == "/api/v1/mogplex/repos?limit=5"


async def test_www_host_is_sent_to_the_canonical_host(api):
    response = await api.get("/repos?limit=1", headers={"Host": "www.mogplex.test"})
    assert response.status == 308
    assert response.headers["Location"] == "http://mogplex.test/api/v1/mogplex/repos?limit=1"


async def test_a_head_the_rules_let_through_is_let_through_again_only_as_that_same_head(api):
    """The answering rules' verdict is kept for a request head they let through: any other
    head (another Host, no bearer, a trailing slash, another method) is judged afresh."""
    first = await api.get("/repos?limit=1")
    assert first.status == 200
    www = await api.get("/repos?limit=1", headers={"Host": "www.mogplex.test"})
    assert (www.status, www.headers["Location"]) == (308, "http://mogplex.test/api/v1/mogplex/repos?limit=1")
    assert (await api.get("/repos?limit=1", token=None)).status == 307
    assert (await api.call("GET", V1 + "/repos/?limit=1")).status == 308
    assert (await api.call("DELETE", V1 + "/repos?limit=1")).status == 405
    again = await api.get("/repos?limit=1")
    assert (again.status, again.raw_body) == (200, first.raw_body)


async def test_a_head_let_through_on_a_session_is_judged_again_once_the_session_ends(api):
    """A session can end, so a pass the gate gave on one is never kept."""
    assert (await api.internal("GET", "/api/github/installations")).status == 200
    signed_out = await api.internal("POST", "/api/auth/sign-out", headers={"Origin": api.origin})
    assert signed_out.status == 200
    after = await api.internal("GET", "/api/github/installations")
    assert (after.status, after.headers["Location"]) == (
        307, f"{api.origin}/login?next=%2Fapi%2Fgithub%2Finstallations")


async def test_method_not_exported_is_an_empty_405_without_allow(api):
    for method, path in (("GET", "/runs"), ("POST", "/repos"), ("DELETE", "/runs/x/cancel"), ("PATCH", "/models")):
        response = await api.call(method, V1 + path)
        assert response.status == 405, (method, path)
        assert response.raw_body == b""
        assert "Allow" not in response.headers


async def test_options_lists_exported_methods_sorted(api):
    cases = {"/runs": "OPTIONS, POST", "/repos": "GET, HEAD, OPTIONS",
             "/repos/x/env-vars": "DELETE, GET, HEAD, OPTIONS, POST",
             "/automations/a1": "GET, HEAD, OPTIONS, PUT"}
    for path, allow in cases.items():
        response = await api.call("OPTIONS", V1 + path)
        assert response.status == 204, path
        assert response.headers["Allow"] == allow
        assert response.raw_body == b""


async def test_options_without_bearer_is_redirected(api):
    response = await api.call("OPTIONS", V1 + "/runs", token=None)
    assert response.status == 307


async def test_head_runs_the_get_handler_and_drops_the_body(api):
    get = await api.get("/repos")
    head = await api.call("HEAD", V1 + "/repos")
    assert head.status == 200
    assert head.raw_body == b""
    assert head.headers["Content-Length"] == str(len(get.raw_body))
    forbidden = await api.call("HEAD", V1 + "/agents", token="mog_mockplexDevWriteOnly0001")
    assert forbidden.status == 403


async def test_every_answer_carries_the_app_wide_headers(api):
    streamed = await api.internal("POST", "/api/cli/inference/chat/completions",
                                  json_body={"messages": [{"role": "user", "content": "hi"}]})
    assert streamed.headers["Content-Type"].startswith("text/event-stream") and streamed.raw_body.endswith(b"[DONE]\n\n")
    for response in (await api.get("/repos"), await api.get("/repos", token=None),
                     await api.call("GET", V1 + "/nope"), await api.call("GET", V1 + "/runs"),
                     await api.call("HEAD", V1 + "/repos"), await api.call("OPTIONS", V1 + "/repos"), streamed):
        for name, value in SECURITY.items():
            assert response.headers.getall(name) == [value]
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers.getall("X-Mockplex-Source") == ["fixture" if response.status == 200 else "rules"]
        assert "X-Request-Id" not in response.headers


async def test_the_admin_api_s_own_answers_carry_no_app_wide_headers(api):
    health = await api.call("GET", "/__mockplex/health", None)
    assert health.status == 200 and "X-Frame-Options" not in health.headers
    assert "X-Mockplex-Source" not in health.headers


async def test_the_journal_shows_the_app_wide_headers_an_answer_went_out_with(api):
    sent = await api.get("/repos")
    journal = await api.call("GET", "/__mockplex/journal", None)
    kept = dict(json.loads(journal.raw_body)["requests"][-1]["response_headers"])
    for name in (*SECURITY, "Content-Security-Policy", "X-Mockplex-Source", "Content-Type"):
        assert kept[name] == sent.headers[name]


async def test_json_content_type_has_no_charset(api):
    response = await api.get("/models", token=READ_ONLY)
    assert response.headers["Content-Type"] == "application/json"
    assert body_of(response)["ok"] is True


async def test_source_header_says_who_answered_and_can_be_turned_off(make_api):
    api = await make_api()
    assert (await api.get("/repos")).headers["X-Mockplex-Source"] == "fixture"
    assert (await api.get("/repos", token=None)).headers["X-Mockplex-Source"] == "rules"
    quiet = await make_api(source_header=False)
    assert "X-Mockplex-Source" not in (await quiet.get("/repos")).headers


async def test_oversize_body_is_refused_by_the_platform_and_the_server_keeps_serving(api):
    response = await api.call("POST", V1 + "/sandboxes", data=io.BytesIO(b"{" + b" " * 5_000_000 + b"}"),
                              headers={"Content-Type": "application/json"})
    assert response.status == 413
    assert b"FUNCTION_PAYLOAD_TOO_LARGE" in response.raw_body
    assert (await api.get("/repos")).status == 200


async def test_an_unexpected_error_is_an_empty_500_with_the_app_wide_headers_and_a_logged_trace(api, monkeypatch,
                                                                                               caplog):
    def crash(*args):
        raise RuntimeError("a bug")
    monkeypatch.setattr(World, "list_repos", crash)
    caplog.set_level(logging.ERROR, "mockplex.server")
    response = await api.get("/repos")
    assert (response.status, response.raw_body) == (500, b"")
    for name, value in SECURITY.items():
        assert response.headers[name] == value
    assert response.headers["X-Mockplex-Source"] == "fixture"  # it broke while the fixture world answered
    assert f"unexpected error answering GET {V1}/repos" in caplog.text and "RuntimeError: a bug" in caplog.text


async def test_aiohttps_own_http_errors_go_on_up_to_aiohttp(api, monkeypatch):
    def refuse(*args):
        raise web.HTTPUnavailableForLegalReasons(link=None, text="not here")
    monkeypatch.setattr(World, "list_repos", refuse)
    response = await api.get("/repos")
    assert (response.status, response.raw_body) == (451, b"not here")



UNROUTABLE_TARGETS = [
    pytest.param(b"OPTIONS * HTTP/1.1", 404, id="asterisk form"),
    pytest.param(b"GET /api/v1/mogplex/repos%0A HTTP/1.1", 307, id="a newline, no bearer"),
    pytest.param(b"GET /settings%0Apage HTTP/1.1", 404, id="a newline outside the api"),
]


async def _raw_answer(port: int, request_line: bytes) -> tuple[int, str, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    wire = await reader.read()
    writer.close()
    head, _, body = wire.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode(), body


@pytest.mark.parametrize("request_line, status", UNROUTABLE_TARGETS)
async def test_a_target_aiohttps_router_cannot_match_still_gets_the_servers_answer(request_line, status, api):
    """The chain, not aiohttp's bare 404, answers what the catch-all route's pattern cannot
    match: the gate, the 404 page, the app-wide headers and the journal see it too, under
    aiohttp's runner (the test client) and mockplex's own (the pytest plugin's server)."""
    mock = Mockplex(Settings(state_dir=None)).start()
    try:
        for port in (api.client.server.port, mock.port):
            answered, head, body = await _raw_answer(port, request_line)
            assert (answered, "X-Frame-Options: DENY" in head) == (status, True)
            assert body == (b"" if status == 307 else NOT_FOUND_HTML)
        kept = json.loads((await api.call("GET", "/__mockplex/journal", None)).raw_body)["requests"]
        assert len(kept) == len(mock.journal()) == 1
    finally:
        mock.stop()
