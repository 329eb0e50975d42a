"""The admin API refuses what a web page could send it: foreign Host names (DNS
rebinding), cross-origin browser requests and non-JSON writes (CSRF)."""

from __future__ import annotations

import asyncio
import http.client
import json

import pytest
from conftest import OAUTH, V1, Api

from mockplex.pytest_plugin import Mockplex
from mockplex.settings import Settings

FAULT = {"kind": "error", "status": 503}


async def admin(api: Api, method: str, name: str, headers: dict[str, str], data: str | None = None):
    response = await api.call(method, f"/__mockplex/{name}", None, data=data, headers=headers)
    return response.status, json.loads(response.raw_body)


async def faults_added(api: Api) -> list:
    return (await admin(api, "GET", "faults", {}))[1]["faults"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example", "localhost.evil",
                                  "user@127.0.0.1", "127.0.0.1/x", "[::2]", "0.0.0.0"])
async def test_a_request_addressed_to_a_foreign_name_is_refused(api, host):
    json_headers = {"Host": host, "Content-Type": "application/json"}
    status, answer = await admin(api, "POST", "faults", json_headers, json.dumps(FAULT))
    assert (status, answer) == (403, {"error": "the admin API answers only requests addressed to loopback or "
                                               f"127.0.0.1, not Host {host!r}"})
    assert (await admin(api, "GET", "journal", {"Host": host}))[0] == 403
    assert await faults_added(api) == []
    assert (await api.get("/models", token=OAUTH)).status == 200


@pytest.mark.parametrize("host", ["localhost", "localhost:9", "app.localhost:3000", "127.0.0.2", "[::1]:8765"])
async def test_loopback_names_are_accepted(api, host):
    status, answer = await admin(api, "GET", "faults", {"Host": host})
    assert (status, answer) == (200, {"faults": []})


async def test_the_bound_name_is_accepted_with_any_port(make_api):
    api = await make_api(host="mockplex.test", admin_token="t")
    token = {"X-Mockplex-Admin-Token": "t"}
    assert await admin(api, "GET", "faults", {"Host": "mockplex.test:9", **token}) == (200, {"faults": []})
    status, answer = await admin(api, "GET", "faults", {"Host": "other.test", **token})
    assert (status, answer) == (403, {"error": "the admin API answers only requests addressed to loopback or "
                                               "mockplex.test, not Host 'other.test'"})


async def test_the_rebinding_attack_from_the_issue_no_longer_adds_a_fault(api):
    headers = {"Host": "evil.example", "Content-Type": "text/plain", "Origin": "http://evil.example",
               "Sec-Fetch-Site": "cross-site"}
    status, _ = await admin(api, "POST", "faults", headers, json.dumps(FAULT))
    assert status == 403
    assert (await api.get("/models", token=OAUTH)).status == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "https://127.0.0.1:{port}",
                                    "http://127.0.0.1:1", "http://127.0.0.1:{port}/", "http://localhost:{port}"])
async def test_a_cross_origin_browser_request_is_refused(api, origin):
    origin = origin.format(port=api.client.server.port)
    status, answer = await admin(api, "GET", "journal", {"Origin": origin})
    assert (status, answer) == (403, {"error": f"the admin API refuses cross-origin requests (Origin {origin!r})"})


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                                     {"Sec-Fetch-Site": "cross-site", "Origin": "{origin}"}])
async def test_cross_site_and_unproven_same_site_fetches_are_refused(api, headers):
    headers = {name: value.format(origin=api.origin) for name, value in headers.items()}
    status, answer = await admin(api, "GET", "journal", headers)
    site = headers["Sec-Fetch-Site"]
    assert (status, answer) == (403, {"error": f"the admin API refuses browser requests with Sec-Fetch-Site {site!r}"})


@pytest.mark.parametrize("headers", [{"Origin": "{origin}"}, {"Sec-Fetch-Site": "same-origin"},
                                     {"Sec-Fetch-Site": "none"}, {"Sec-Fetch-Site": "same-site", "Origin": "{origin}"}])
async def test_same_origin_browser_requests_are_answered(api, headers):
    headers = {name: value.format(origin=api.origin) for name, value in headers.items()}
    assert await admin(api, "GET", "journal", headers) == (200, {"requests": []})


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          None])
async def test_writes_must_be_json(api, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    status, answer = await admin(api, "POST", "faults", headers, json.dumps(FAULT))
    assert (status, answer) == (403, {"error": "admin writes need Content-Type: application/json"})
    assert await faults_added(api) == []


async def test_writes_without_a_body_need_no_content_type(api):
    assert await admin(api, "POST", "reset", {}) == (200, {"ok": True})


async def test_a_token_that_is_not_utf8_is_a_clear_401(make_api):
    api = await make_api(admin_token="s3cret")
    reader, writer = await asyncio.open_connection("127.0.0.1", api.client.server.port)
    writer.write(b"GET /__mockplex/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Mockplex-Admin-Token: s3\xff\xfe\r\n"
                 b"Connection: close\r\n\r\n")
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 ")
    assert json.loads(body) == {"error": "missing or wrong X-Mockplex-Admin-Token"}


async def test_the_token_still_opens_the_admin_api(make_api):
    api = await make_api(admin_token="s3cret")
    assert (await admin(api, "GET", "faults", {"X-Mockplex-Admin-Token": "s3cre"}))[0] == 401
    assert await admin(api, "GET", "faults", {"X-Mockplex-Admin-Token": "s3cret"}) == (200, {"faults": []})


def test_the_pytest_plugin_server_is_guarded_and_its_helper_still_works():
    server = Mockplex(Settings(state_dir=None)).start()
    try:
        created = server.add_fault(kind="error", status=503, count=1)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/__mockplex/faults", headers={"Host": "evil.example"})
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (403, {
            "error": "the admin API answers only requests addressed to loopback or 127.0.0.1, not Host 'evil.example'"})
        connection.close()
        assert [fault["id"] for fault in server.admin("GET", "faults")["faults"]] == [created["id"]]
        assert server.verify(method="GET", path=f"{V1}/models") == 0
    finally:
        server.stop()
