"""System plumbing and the layer every web route passes: the edge gate (`proxy.ts`), the
shared resolver and the team header, against the server's code."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from conftest import DANA_SESSION, OTHER_USER, RW, body_of

from mockplex import state

DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
SUCCESS_JOB = "e5a6c7d8-4f51-42a3-8e60-7b8c9daebfc5"
FLOW = "a1c2e3f4-0b1d-4e6f-8a2c-3d4e5f6a7b81"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
TEAM = "7a8b9cad-4e5f-4061-8a7b-8c9dae0f1a25"
FOREIGN_TEAM = "0b1c2d3e-4f50-4612-8a3b-4c5d6e7f8091"
E2E = {"x-mogplex-e2e-auth": "playwright-auth-bypass", "x-mogplex-e2e-user-id": DANA}


def world_of(api):
    return api.client.server.app[state.WORLD]


def signed(secret: bytes, payload: bytes) -> str:
    return "sha256=" + hmac.new(secret, payload, hashlib.sha256).hexdigest()


# -- machine routes -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/jobs/process", "/api/agent/review"])
async def test_machine_routes_need_the_cron_secret(make_api, path):
    unset = await make_api(cron_secret="   ")
    response = await unset.internal("POST", path, json_body={})
    assert (response.status, body_of(response)) == (503, {"error": "CRON_SECRET_NOT_CONFIGURED"})
    api = await make_api(cron_secret=" cron-dev ")
    for token in (None, RW, "cron-dev-x"):
        response = await api.internal("POST", path, token=token, json_body={})
        assert (response.status, body_of(response)) == (401, {"error": "Unauthorized"})


@pytest.mark.parametrize("path, field, not_found", [
    ("/api/jobs/process", "jobId", "JOB_NOT_FOUND"),
    ("/api/agent/review", "jobRunId", "Job not found"),
])
async def test_machine_job_starts(make_api, path, field, not_found):
    api = await make_api(cron_secret="cron-dev")

    async def send(body):
        return await api.call("POST", path, "cron-dev", json_body=body)
    for body in ({}, {field: ""}, {field: 0}, {"jobId" if field == "jobRunId" else "jobRunId": SUCCESS_JOB}, [1]):
        response = await send(body)
        assert (response.status, body_of(response)) == (400, {"error": f"Missing {field}"}), body
    for body in (b"{", b"null"):
        response = await send(body)
        assert (response.status, response.raw_body) == (500, b"")
    malformed = await send({field: 42})
    assert (malformed.status, body_of(malformed)) == (
        500, {"error": 'Failed to load job run: invalid input syntax for type uuid: "42"'})
    missing = await send({field: UNKNOWN})
    assert (missing.status, body_of(missing)) == (404, {"error": not_found})
    done = await send({field: SUCCESS_JOB.upper()})
    assert (done.status, body_of(done)) == (200, {
        "ok": True, "started": False, "deferred": False, "reason": None, "status": "success",
        "runtimeProvider": "trigger", "runtimeRunId": "run_m3n4b5v6c7x8z9l0k1j2", "workflowRunId": None})
    wrong_method = await api.call("GET", path, "cron-dev")
    assert (wrong_method.status, wrong_method.raw_body) == (405, b"")


# -- GitHub webhooks ------------------------------------------------------------------------------

async def test_github_webhook_without_a_secret_skips_unknown_repos_and_refuses_known_ones(api):
    repo = next(iter(world_of(api).repos.values()))
    for payload in (b"{}", b"[]", b'{"repository":{"id":"12"}}', b'{"repository":{"id":424242}}',
                    b'{"repository":{"id":%d},"installation":{"id":1}}' % repo.github_id):
        response = await api.call("POST", "/api/webhooks/github", None, data=payload)
        assert (response.status, body_of(response)) == (200, {"ok": True, "skipped": True}), payload
    known = b'{"repository":{"id":%d},"installation":{"id":%d}}' % (repo.github_id, repo.installation_id)
    response = await api.call("POST", "/api/webhooks/github", None, data=known,
                              headers={"x-hub-signature-256": signed(b"anything", known)})
    assert (response.status, body_of(response)) == (401, {"error": "Invalid signature"})
    for payload in (b"", b"not json", b"null"):
        response = await api.call("POST", "/api/webhooks/github", None, data=payload)
        assert (response.status, response.raw_body) == (500, b"")


async def test_github_webhook_with_a_secret(make_api):
    api = await make_api(github_webhook_secret="whsec-dev")
    payload = b'{"zen":"Keep it logically awesome."}'
    for signature in (None, "sha256=00", signed(b"whsec-other", payload)):
        headers = {"x-github-event": "ping"} | ({"x-hub-signature-256": signature} if signature else {})
        response = await api.call("POST", "/api/webhooks/github", None, data=payload, headers=headers)
        assert (response.status, body_of(response)) == (401, {"error": "Invalid signature"})
    ping = await api.call("POST", "/api/webhooks/github", None, data=payload,
                          headers={"x-github-event": "ping", "x-hub-signature-256": signed(b"whsec-dev", payload)})
    assert (ping.status, body_of(ping)) == (200, {"ok": True, "skipped": True, "flow_waits": None,
                                                  "sync": {"handled": False, "matchedUsers": 0}})
    broken = await api.call("POST", "/api/webhooks/github", None, data=b"{",
                            headers={"x-hub-signature-256": signed(b"whsec-dev", b"{")})
    assert (broken.status, broken.raw_body) == (500, b"")
    routed = await api.call("POST", "/api/webhooks/github", None, data=payload,
                            headers={"x-github-event": "push", "x-hub-signature-256": signed(b"whsec-dev", payload)})
    assert (routed.status, routed.headers["X-Mockplex-Source"]) == (404, "unmodeled")


# -- Stripe, Slack and flow webhooks ----------------------------------------------------------------

@pytest.mark.parametrize("path, message", [("/api/webhooks/stripe", "Invalid signature")])
async def test_unconfigured_integrations(api, path, message):
    response = await api.call("POST", path, None, data=b"{}", headers={"stripe-signature": "t=1,v1=00"})
    assert (response.status, body_of(response)) == (400, {"error": message})


@pytest.mark.parametrize("flow_id, headers, data, status, body", [
    (FLOW, {}, b"{}", 400, {"error": "Missing or invalid x-mogplex-delivery"}),
    (FLOW, {"x-mogplex-delivery": "   "}, b"{}", 400, {"error": "Missing or invalid x-mogplex-delivery"}),
    (FLOW, {"x-mogplex-delivery": "d" * 201}, b"{}", 400, {"error": "Missing or invalid x-mogplex-delivery"}),
    ("not-a-uuid", {"x-mogplex-delivery": "d1"}, b"x" * 1_000_001, 413, {"error": "Payload too large"}),
    ("not-a-uuid", {"x-mogplex-delivery": "d1"}, b"{}", 500, None),
    (UNKNOWN, {"x-mogplex-delivery": "d1"}, b"{}", 404, {"error": "Webhook is not configured"}),
    (FLOW, {"x-mogplex-delivery": " d1 "}, b"{}", 404, {"error": "Webhook is not configured"}),
])
async def test_flow_webhook_checks(api, flow_id, headers, data, status, body):
    response = await api.call("POST", f"/api/webhooks/flows/{flow_id}", None, data=data, headers=headers)
    assert response.status == status
    assert (body_of(response) if body is not None else response.raw_body) == (body if body is not None else b"")


async def test_flow_webhook_with_a_secret_refuses_every_signature(api):
    world_of(api).flows.automations[FLOW].webhook_secret = True
    response = await api.call("POST", f"/api/webhooks/flows/{FLOW.upper()}", None, data=b"{}",
                              headers={"x-mogplex-delivery": "d1", "x-mogplex-signature": signed(b"guess", b"{}")})
    assert (response.status, body_of(response)) == (401, {"error": "Invalid signature"})


async def test_migrate_is_retired(api):
    response = await api.internal("POST", "/api/migrate")
    assert (response.status, body_of(response)) == (404, {"error": "Not found"})
    assert (await api.internal("POST", "/api/migrate", session=None)).status == 307
    wrong = await api.internal("GET", "/api/migrate")
    assert (wrong.status, wrong.raw_body) == (405, b"")


# -- the Playwright-mode flows store ----------------------------------------------------------------

EMPTY_E2E = {"installations": [], "agents": [], "flows": [], "flowVersions": [], "flowTemplates": [],
             "triggers": [], "jobRuns": [], "flowNodeRuns": [], "dispatchEvents": [], "aiCalls": [],
             "aiCallEvents": [], "assistant": {"nextResult": None, "nextError": None},
             "faults": {"failNextFlowDelete": None}}


async def test_e2e_flows_outside_test_mode(api):
    for method in ("GET", "POST", "DELETE"):
        response = await api.internal(method, "/api/test/e2e/flows", headers=E2E)
        assert (response.status, body_of(response)) == (404, {"error": "Not found"})
        assert (await api.internal(method, "/api/test/e2e/flows", session=None)).status == 307


async def test_e2e_flows_in_test_mode(make_api):
    api = await make_api(test_mode=True)
    refused = await api.internal("GET", "/api/test/e2e/flows")
    assert (refused.status, body_of(refused)) == (401, {"error": "Unauthorized"})
    assert (await api.call("GET", "/api/test/e2e/flows", None)).status == 307
    fresh = await api.call("GET", "/api/test/e2e/flows", None, headers=E2E)
    assert (fresh.status, list(body_of(fresh)), body_of(fresh)) == (200, list(EMPTY_E2E), EMPTY_E2E)
    seed = {"state": {"flows": [{"id": "f1"}], "agents": "kept", "triggers": 0,
                      "assistant": {"nextError": ""}, "faults": {"failNextFlowDelete": "boom"}}}
    expected = {**EMPTY_E2E, "flows": [{"id": "f1"}], "agents": "kept",
                "assistant": {"nextResult": None, "nextError": ""}, "faults": {"failNextFlowDelete": "boom"}}
    seeded = await api.call("POST", "/api/test/e2e/flows", None, headers=E2E, json_body=seed)
    assert body_of(seeded) == expected
    assert body_of(await api.call("GET", "/api/test/e2e/flows", None, headers=E2E)) == expected
    bare = await api.call("POST", "/api/test/e2e/flows", None, headers=E2E, json_body={"jobRuns": [1]})
    assert body_of(bare) == {**EMPTY_E2E, "jobRuns": [1]}
    junk = await api.call("POST", "/api/test/e2e/flows", None, headers=E2E, data=b"{")
    assert body_of(junk) == EMPTY_E2E
    await api.call("POST", "/api/test/e2e/flows", None, headers=E2E, json_body=seed)
    cleared = await api.call("DELETE", "/api/test/e2e/flows", None, headers=E2E)
    assert body_of(cleared) == EMPTY_E2E
    wrong = await api.call("PUT", "/api/test/e2e/flows", None, headers=E2E)
    assert (wrong.status, wrong.raw_body) == (405, b"")


# -- the edge gate --------------------------------------------------------------------------------

@pytest.mark.parametrize("target, referer, query", [
    ("/api/flows", None, "next=%2Fapi%2Fflows"),
    ("/api/flows?a=b c~&x=it's", None, "next=%2Fapi%2Fflows%3Fa%3Db%2520c%7E%26x%3Dit%2527s"),
    ("/api/flows?", None, "next=%2Fapi%2Fflows"),
    ("/api/flows", "{origin}/agents", "expired=true&next=%2Fapi%2Fflows"),
    ("/api/flows", "{origin_upper}/agents", "expired=true&next=%2Fapi%2Fflows"),
    ("/api/flows", "https://elsewhere.example/", "next=%2Fapi%2Fflows"),
    ("/api/flows", "not a url", "next=%2Fapi%2Fflows"),
])
async def test_login_redirect_location(api, target, referer, query):
    origin = api.origin
    headers = {"Referer": referer.format(origin=origin, origin_upper=origin.upper().replace("HTTP", "http"))} \
        if referer else {}
    response = await api.call("GET", target.replace(" ", "%20"), None, headers=headers)
    assert (response.status, response.raw_body) == (307, b"")
    assert response.headers["Location"] == f"{origin}/login?{query}"


async def test_www_host_redirects_to_the_bare_host(api):
    response = await api.call("GET", "/api/flows?x=1", None, headers={"Host": "WWW.mockplex.test:8765"})
    assert (response.status, response.headers["Location"]) == (308, "http://mockplex.test:8765/api/flows?x=1")


async def test_image_paths_skip_the_gate(api):
    image = await api.call("GET", "/api/settings/logo.png", None)
    assert (image.status, image.headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    flow = await api.call("GET", "/api/flows/diagram.svg", None)
    assert (flow.status, body_of(flow)) == (401, {"error": "Unauthorized"})


async def test_public_webhook_paths_never_redirect(api):
    response = await api.call("POST", "/api/webhooks/unknown", None, data=b"{}")
    assert (response.status, response.headers["Content-Type"]) == (404, "text/html; charset=utf-8")


async def test_a_pat_passes_the_gate_only_on_the_allowlist(api):
    allowed = await api.internal("GET", "/api/mcp-servers", session=None, token=RW)
    assert allowed.status == 200
    for path in ("/api/mcp-servers/x", "/api/flows"):
        response = await api.internal("GET", path, session=None, token=RW)
        assert response.status == 307, path


async def test_e2e_headers_pass_the_gate_with_a_trimmed_secret(make_api):
    api = await make_api(test_mode=True, e2e_secret=" playwright-auth-bypass ")
    response = await api.call("GET", "/api/flows", None, headers=E2E)
    assert response.status == 200
    blank = await make_api(test_mode=True, e2e_secret="  ")
    assert (await blank.call("GET", "/api/flows", None, headers={**E2E, "x-mogplex-e2e-auth": "x"})).status == 307


# -- the team header ------------------------------------------------------------------------------

async def test_a_foreign_team_is_refused_only_where_the_route_reads_the_header(api):
    foreign = {"x-mogplex-team-id": FOREIGN_TEAM}
    scoped = await api.internal("GET", "/api/workspaces", headers=foreign)
    assert (scoped.status, body_of(scoped)) == (403, {"error": "Forbidden"})
    for path in ("/api/mcp-servers", "/api/settings", "/api/skills"):
        response = await api.internal("GET", path, headers=foreign)
        assert response.status == 200, path
    member = await api.internal("GET", "/api/workspaces", headers={"x-mogplex-team-id": TEAM.upper()})
    assert member.status == 200
    malformed = await api.internal("GET", "/api/workspaces", headers={"x-mogplex-team-id": "team-1"})
    assert malformed.status == 200
    other = await api.internal("GET", "/api/workspaces", session=None, token=OTHER_USER,
                               headers={"x-mogplex-team-id": TEAM, "Cookie": f"x={DANA_SESSION}"})
    assert other.status == 307
