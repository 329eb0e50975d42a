"""/api/observability read views, as the server's route code answers them."""

from __future__ import annotations

import pytest

from tests.conftest import RW, WEB_REPO, body_of

FAILED_JOB = "f6b7d8e9-5a62-43b4-9f71-8c9daebfc0d7"
SUCCESS_JOB = "e5a6c7d8-4f51-42a3-8e60-7b8c9daebfc5"
READ_ROUTES = ["stats", "calls", "call-events?ai_call_id=x", "jobs", f"jobs/{FAILED_JOB}", "automation-events",
               "automation-failures", "tool-calls"]


@pytest.mark.parametrize("route", READ_ROUTES)
async def test_the_edge_gate_redirects_no_session_and_a_pat(api, route):
    for token in (None, RW):
        response = await api.internal("GET", f"/api/observability/{route}", session=None, token=token)
        assert (response.status, response.raw_body) == (307, b"")
        assert response.headers["Location"].split("?")[0].endswith("/login")


@pytest.mark.parametrize("route", ["stats", "calls", "jobs", "automation-events", "tool-calls"])
async def test_a_write_method_is_an_empty_405(api, route):
    response = await api.internal("POST", f"/api/observability/{route}", json_body={})
    assert (response.status, response.raw_body) == (405, b"")


@pytest.mark.parametrize(("query", "page", "limit"), [
    ("", 1, 50), ("?page=0&limit=500", 1, 100), ("?limit=-4", 1, 1), ("?limit=0x10", 1, 16),
    ("?page=2abc&limit=7.9", 2, 7), ("?page=abc", None, 50), ("?limit=zz", 1, None),
])
async def test_calls_page_and_limit_follow_parse_int(api, query, page, limit):
    body = body_of(await api.internal("GET", f"/api/observability/calls{query}"))
    assert (body["page"], body["limit"]) == (page, limit)


@pytest.mark.parametrize("query", ["?repo_id=nope", "?from=yesterday-ish", "?to=13/45/2026"])
async def test_calls_values_the_database_cannot_read_are_500(api, query):
    response = await api.internal("GET", f"/api/observability/calls{query}")
    assert (response.status, body_of(response)) == (500, {"error": "Failed to fetch calls"})


async def test_call_rows_follow_the_table_columns_and_hide_failures(api):
    calls = body_of(await api.internal("GET", "/api/observability/calls?sort=started_at&order=desc"))["calls"]
    row = calls[0]
    assert list(row)[:6] == ["id", "user_id", "type", "model", "input_tokens", "output_tokens"]
    assert list(row)[-3:] in (["cost_source", "gateway_generation_ids", "sandbox_context"],
                              ["gateway_generation_id", "cost_source", "gateway_generation_ids"])
    for item in calls:
        if item["status"] == "failed":
            assert item["control_state"].endswith(f"incident MOG-CALL-{item['id'].replace('-', '')[:10].upper()}.")


async def test_jobs_list_rows(api):
    body = body_of(await api.internal("GET", "/api/observability/jobs?order=asc&limit=1x"))
    assert (body["total"], body["page"], body["limit"]) == (2, 1, 1)
    job = body["jobs"][0]
    assert job["id"] == FAILED_JOB
    assert list(job)[15:18] == ["cost_usd", "duration_ms", "error"]
    assert list(job)[-5:] == ["latest_ai_call", "latest_dispatch_event", "repairable", "requeueable", "cancelable"]
    assert job["error"].startswith("The run failed because of an internal service error.")
    assert job["latest_dispatch_event"]["reason"] == "AUTOMATION_FAILED"
    assert body_of(await api.internal("GET", "/api/observability/jobs?page=x"))["jobs"] == []
    bad = await api.internal("GET", "/api/observability/jobs?from=nope")
    assert (bad.status, bad.raw_body) == (500, b"")


async def test_job_detail_answers(api):
    detail = body_of(await api.internal("GET", f"/api/observability/jobs/{SUCCESS_JOB}"))["run"]
    assert list(detail)[-3:] == ["dispatch_events", "ai_calls", "review_findings"]
    assert detail["latest_ai_call"] == {key: detail["ai_calls"][-1][key] for key in (
        "id", "status", "model", "total_tokens", "tool_calls_count", "started_at")}
    missing = await api.internal("GET", "/api/observability/jobs/00000000-0000-4000-8000-000000000000")
    assert (missing.status, body_of(missing)) == (404, {"error": "Job run not found"})
    malformed = await api.internal("GET", "/api/observability/jobs/nope")
    assert (malformed.status, body_of(malformed)) == (
        500, {"error": "Failed to load job run detail. Contact support with incident MOG-JOB-NOPE."})
    stranger = await api.internal("GET", f"/api/observability/jobs/{SUCCESS_JOB}",
                                  session="mpx_session_robin_dev_0001")
    assert (stranger.status, body_of(stranger)) == (404, {"error": "Job run not found"})


async def test_automation_events_rows_and_errors(api):
    body = body_of(await api.internal("GET", "/api/observability/automation-events"))
    assert list(body["events"][0]) == [
        "id", "user_id", "job_run_id", "assignment_id", "trigger_id", "repo_id", "installation_id", "source_kind",
        "source_type", "event_kind", "outcome", "reason", "metadata", "created_at", "flow_id", "flow_version_id",
        "repo", "agent"]
    assert (body["page"], body["limit"]) == (1, 50)
    for query in ("?repo_id=nope", "?from=nope"):
        response = await api.internal("GET", f"/api/observability/automation-events{query}")
        assert (response.status, response.raw_body) == (500, b"")
    hexed = body_of(await api.internal("GET", "/api/observability/automation-events?limit=0x10"))
    assert hexed["limit"] == 1


async def test_automation_failures(api):
    body = body_of(await api.internal("GET", "/api/observability/automation-failures"))
    assert (body["total"], body["limit"], body["summary"]["failedTotal"]) == (1, 25, 1)
    record = body["records"][0]
    assert (record["reason"], record["reasonLabel"], record["jobRunId"]) == (
        "AUTOMATION_FAILED", "Automation failed", FAILED_JOB)
    assert record["diagnostics"]["failureLabel"] == "Other" and record["diagnostics"]["attempts"] == 0
    assert body["filter_options"]["failureClasses"] == [{"value": "unknown", "label": "Other"}]
    bad = await api.internal("GET", "/api/observability/automation-failures?from=nope")
    assert (bad.status, body_of(bad)) == (
        500, {"error": 'invalid input syntax for type timestamp with time zone: "nope"'})


async def test_stats_shape(api):
    body = body_of(await api.internal("GET", "/api/observability/stats?from=garbage"))
    assert list(body) == ["summary", "by_model", "by_type", "limits_by_route"]
    assert all(list(group) == ["count", "model", "tokens"] for group in body["by_model"])
    assert all(list(group) == ["type", "count"] for group in body["by_type"])
    assert body["summary"]["job_runs_total"] == 2


async def test_tool_calls_entries(api):
    await api.start_run({"repoId": WEB_REPO, "prompt": "tools please"})
    entries = body_of(await api.internal("GET", "/api/observability/tool-calls"))
    assert all(list(entry) == ["id", "name", "input_preview", "output_preview", "input", "output", "model", "type",
                               "started_at"] for entry in entries)
