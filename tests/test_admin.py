"""The admin API (/__mockplex/) and fault injection, through real HTTP."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest
from conftest import OAUTH, READ_ONLY, RW, V1, WEB_REPO, Api, body_of, make_settings

from mockplex.admin.api import admin_enabled
from mockplex.app import build_app
from mockplex.settings import Settings

START = {"repoId": WEB_REPO, "prompt": "p"}


async def admin(api: Api, method: str, name: str, body=None, headers=None):
    response = await api.call(method, f"/__mockplex/{name}", None, json_body=body, headers=headers)
    return response, (json.loads(response.raw_body) if response.raw_body else None)


async def test_health_and_config(api):
    response, health = await admin(api, "GET", "health")
    assert response.status == 200 and health["ok"] is True and health["world"] == "default"
    _, config = await admin(api, "GET", "config")
    assert config["modes"]["v1"] == "fixture" and config["clock"].startswith("frozen")


async def test_reset_snapshot_and_restore(api):
    run_id = body_of(await api.start_run(START))["data"]["runId"]
    _, snapshot = await admin(api, "POST", "snapshots")
    await api.start_run({**START, "prompt": "second"}, key="k2")
    assert (await admin(api, "POST", "restore", {"snapshot": snapshot["snapshot"]}))[1] == {"ok": True}
    assert (await api.get(f"/runs/{run_id}")).status == 200
    missing = await admin(api, "POST", "restore", {"snapshot": "nope"})
    assert missing[0].status == 404
    assert (await admin(api, "POST", "reset"))[1] == {"ok": True}
    assert (await api.get(f"/runs/{run_id}")).status == 404
    again = body_of(await api.start_run(START))["data"]["runId"]
    assert again == run_id  # a reset world mints the same ids again


async def test_journal_and_verify(api):
    await api.get("/repos?limit=1", token=OAUTH)
    await api.start_run(START, key="j1")
    await api.start_run({**START, "prompt": "other"}, key="j2")
    _, journal = await admin(api, "GET", "journal")
    entries = journal["requests"]
    assert [(e["method"], e["path"], e["family"], e["mode"], e["status"]) for e in entries] == [
        ("GET", f"{V1}/repos", "v1", "fixture", 200), ("POST", f"{V1}/runs", "v1", "fixture", 202),
        ("POST", f"{V1}/runs", "v1", "fixture", 202)]
    assert entries[0]["query"] == "limit=1" and entries[0]["latency_ms"] >= 0
    _, verified = await admin(api, "POST", "verify", {"method": "post", "path": f"{V1}/runs", "body": {"prompt": "other"}})
    assert verified["count"] == 1
    _, by_regex = await admin(api, "POST", "verify", {"path": r"/api/v1/mogplex/r.*"})
    assert by_regex["count"] == 3
    await admin(api, "DELETE", "journal")
    assert (await admin(api, "GET", "journal"))[1]["requests"] == []


async def test_the_limiter_can_trip_after_n_calls(api):
    await admin(api, "POST", "limits", {"trip_after": 2})
    statuses = [(await api.get("/repos", token=READ_ONLY)).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert (await admin(api, "POST", "limits", {"trip_after": -1}))[0].status == 400
    await admin(api, "POST", "limits", {"trip_after": None})
    assert (await api.get("/repos", token=READ_ONLY)).status == 200


async def test_the_clock_can_be_advanced(api):
    run_id = body_of(await api.start_run(START))["data"]["runId"]
    await admin(api, "POST", "clock", {"seconds": 60})
    assert body_of(await api.get(f"/runs/{run_id}"))["data"]["run"]["status"] == "success"


async def test_admin_operations_are_not_journaled_or_faulted(api):
    await admin(api, "POST", "faults", {"kind": "error", "status": 500})
    assert (await admin(api, "GET", "health"))[0].status == 200
    assert (await admin(api, "GET", "journal"))[1]["requests"] == []


# -- faults -------------------------------------------------------------------------------

async def test_error_faults_use_the_family_shape_and_count_down(api):
    _, created = await admin(api, "POST", "faults", {"kind": "error", "status": 429, "retry_after": 7,
                                                     "family": "v1", "count": 2})
    fault_id = created["fault"]["id"]
    first = await api.get("/repos", token=OAUTH)
    assert first.status == 429 and first.headers["Retry-After"] == "7"
    assert first.headers["X-Mockplex-Fault"] == fault_id
    assert body_of(first)["error"]["code"] == "RATE_LIMITED"
    internal = await api.internal("GET", "/api/settings")
    assert internal.status == 200  # another family: untouched
    assert (await api.get("/repos", token=OAUTH)).status == 429
    assert (await api.get("/repos", token=OAUTH)).status == 200  # the count ran out
    _, listed = await admin(api, "GET", "faults")
    assert listed["faults"][0]["fired"] == 2 and listed["faults"][0]["count"] == 0


async def test_error_faults_per_route_and_on_internal_and_mcp_paths(api):
    await admin(api, "POST", "faults", {"kind": "error", "status": 503, "route": "GET /api/settings"})
    await admin(api, "POST", "faults", {"kind": "error", "status": 500, "path": "/api/v1/mogplex/mcp"})
    internal = await api.internal("GET", "/api/settings")
    assert (internal.status, list(body_of(internal))) == (503, ["error"])
    assert (await api.internal("GET", "/api/auth/user")).status == 200
    mcp = await api.call("POST", f"{V1}/mcp", RW, json_body={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert mcp.status == 500 and body_of(mcp)["error"]["code"] == -32603


async def test_latency_with_jitter(api):
    await admin(api, "POST", "faults", {"kind": "latency", "latency_ms": 150, "jitter_ms": 20, "seed": 3})
    started = time.perf_counter()
    assert (await api.get("/models", token=OAUTH)).status == 200
    assert time.perf_counter() - started >= 0.12


async def test_trickled_bodies_arrive_a_few_bytes_at_a_time(api):
    await admin(api, "POST", "faults", {"kind": "trickle", "chunk_bytes": 64, "chunk_delay_ms": 10,
                                        "route": "GET /api/v1/mogplex/repos"})
    direct = await api.call("GET", f"{V1}/models", OAUTH)
    started = time.perf_counter()
    slow = await api.get("/repos", token=OAUTH)
    assert slow.status == 200 and body_of(slow)["ok"] is True
    assert time.perf_counter() - started >= 0.1 and "Content-Length" not in slow.headers
    for name, value in (("X-Frame-Options", "DENY"), ("X-Mockplex-Source", "fixture")):
        assert slow.headers.getall(name) == [value]  # the app-wide headers, once, trickled or not
    assert direct.status == 200


@pytest.mark.parametrize("kind", ["drop", "reset"])
async def test_dropped_and_reset_connections(api, kind):
    await admin(api, "POST", "faults", {"kind": kind, "count": 1})
    with pytest.raises(aiohttp.ClientError):
        await api.get("/repos", token=OAUTH)
    assert (await api.get("/repos", token=OAUTH)).status == 200


async def test_seeded_probability_reproduces_the_same_sequence(make_api):
    sequences = []
    for _ in range(2):
        api = await make_api()
        await admin(api, "POST", "faults", {"kind": "error", "status": 503, "probability": 0.5, "seed": 42})
        sequences.append([(await api.get("/models", token=OAUTH)).status for _ in range(16)])
    assert sequences[0] == sequences[1]
    assert set(sequences[0]) == {200, 503}


@pytest.mark.parametrize("body, message", [
    ({"kind": "explode"}, "kind must be one of latency, error, drop, reset, trickle"),
    ({"kind": "error", "status": 200}, "status must be an HTTP error status (400-599)"),
    ({"kind": "error", "family": "nope"}, "family must be one of"),
    ({"kind": "latency", "probability": 2}, "probability must be between 0 and 1"),
    ({"kind": "latency", "colour": "red"}, "unknown field 'colour'"),
])
async def test_bad_fault_rules_are_refused(api, body, message):
    response, answer = await admin(api, "POST", "faults", body)
    assert response.status == 400 and answer["error"].startswith(message)


async def test_faults_can_be_removed(api):
    _, created = await admin(api, "POST", "faults", {"kind": "error", "status": 500})
    assert (await admin(api, "DELETE", f"faults/{created['fault']['id']}"))[1] == {"ok": True}
    assert (await admin(api, "DELETE", "faults/fault-99"))[0].status == 404
    await admin(api, "POST", "faults", {"kind": "error", "status": 500})
    await admin(api, "DELETE", "faults")
    assert (await api.get("/models", token=OAUTH)).status == 200


# -- who may use it ------------------------------------------------------------------------

async def test_the_admin_token_is_required_when_set(make_api):
    api = await make_api(admin_token="s3cret")
    assert (await admin(api, "GET", "health"))[0].status == 401
    response, _ = await admin(api, "GET", "health", headers={"X-Mockplex-Admin-Token": "s3cret"})
    assert response.status == 200


def test_non_loopback_binds_switch_the_admin_api_off_without_a_token():
    assert admin_enabled(Settings(host="127.0.0.1")) and admin_enabled(Settings(host="::1"))
    assert admin_enabled(Settings(host="localhost"))
    assert not admin_enabled(Settings(host="0.0.0.0"))
    assert admin_enabled(Settings(host="0.0.0.0", admin_token="t"))


async def test_a_beyond_loopback_server_without_token_refuses_admin_calls(aiohttp_client, tmp_path):
    api = Api(await aiohttp_client(build_app(make_settings(tmp_path, host="0.0.0.0"))))
    response, answer = await admin(api, "GET", "health")
    assert response.status == 404 and "off" in answer["error"]
