"""The observability console's actions: cancel an AI call; cancel, repair or requeue a job
run; open a GitHub issue from a job run's review finding."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers import observability_rows as rows
from mockplex.ids import pg_uuid
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response
from mockplex.validation import js_trim
from mockplex.world import job_controls
from mockplex.world.automations import JobRun

VERSION_MODES = ("same_version", "latest_published")
SEVERITY_LABELS = {"critical": "Critical", "warning": "Warning", "suggestion": "Suggestion"}


def _uuid_param(call: Call, name: str = "id") -> str:
    """A path id reaching a uuid column: a malformed one makes Postgres throw, uncaught."""
    value = pg_uuid(call.params[name])
    if value is None:
        raise EmptyResponse(500)
    return value


def _owned_job(call: Call, user_id: str) -> JobRun:
    job = call.world.flows.job_runs.get(_uuid_param(call))
    if job is None or job.user_id != user_id:
        raise flat_error(404, "Job run not found")
    job.advance(call.now)
    return job


def _ts(moment) -> str | None:
    return format_timestamp(moment) if moment else None


# -- AI calls -----------------------------------------------------------------------------------

async def cancel_call(call: Call) -> web.Response:
    user_id = call.require_user()
    call_id = _uuid_param(call)
    world = call.world
    run = next((run for run in world.runs.values() if run.ai_call_id == call_id and run.user_id == user_id), None)
    if run is not None:
        world.advance_run(run)
        status = run.status
    else:
        status = _other_call_status(call, user_id, call_id)
    if status not in ("pending", "streaming"):
        raise flat_error(409, "Call is no longer active")
    world.cancel_run(run, call.now)  # its row carries no runtime command: cancelled outright
    return json_response({"ok": True, "status": "cancelled"})


def _other_call_status(call: Call, user_id: str, call_id: str) -> str:
    """A chat's or a job run's AI call (chats are logged once finished)."""
    jobs = [job for job in call.world.flows.job_runs.values() if job.user_id == user_id and job.ai_call_id == call_id]
    for job in jobs:
        job.advance(call.now)
    calls = [item for item in call.world.chat_calls.of_user(user_id) if item["id"] == call_id]
    found = next((item for item in calls + [rows.job_call(job) for job in jobs] if item), None)
    if found is None:
        raise flat_error(404, "Call not found")
    return found["status"]


# -- job runs -----------------------------------------------------------------------------------

def _cancel_state(job: JobRun) -> dict[str, Any]:
    return {"status": job.status, "cancelRequestedAt": _ts(job.cancel_requested_at),
            "cancelledAt": _ts(job.cancelled_at), "cancelReason": job.cancel_reason, "cancelError": None}


async def cancel_job(call: Call) -> web.Response:
    job = _owned_job(call, call.require_user())
    if job.status not in ("pending", "running"):
        raise JsonError(409, {"error": "Job run is not cancelable", **_cancel_state(job)})
    asked = job_controls.cancel(call.world, job, call.now)
    return json_response({"ok": True, **_cancel_state(job),
                          "runtimeProvider": "trigger" if job.runtime_run_id else None,
                          "runtimeRunId": job.runtime_run_id, "aiCallsCancellationRequested": asked,
                          "releasedJobs": []})


def _started(call: Call, job: JobRun, source: str, failure_extra: dict[str, Any]) -> dict[str, Any]:
    """serializeAutomationJobStart of a claimed pending job run."""
    try:
        job_controls.start(call.world, job, source, call.now)
    except job_controls.RuntimeMissing as missing:
        raise JsonError(500, {"error": str(missing), **failure_extra}) from None
    return {"started": True, "deferred": False, "reason": None, "status": "running",
            "runtimeProvider": "trigger", "runtimeRunId": job.runtime_run_id, "workflowRunId": None}


async def repair_job(call: Call) -> web.Response:
    job = _owned_job(call, call.require_user())
    anchor = job.started_at or job.created_at
    if job.status != "pending" or call.now - anchor < rows.STALE_PENDING_JOB:
        raise flat_error(400, "Job run is not repairable")
    return json_response({"ok": True, **_started(call, job, "repair", {})})


async def _requested_version_mode(call: Call) -> tuple[bool, Any]:
    if "application/json" not in call.request.headers.get("Content-Type", "").lower():
        return False, None
    body = await call.body()
    if not isinstance(body, dict):
        return True, None
    return "versionMode" in body, body.get("versionMode")


async def requeue_job(call: Call) -> web.Response:
    job = _owned_job(call, call.require_user())
    if job.status != "failed":
        raise flat_error(400, "Job run is not requeueable")
    provided, mode = await _requested_version_mode(call)
    if provided and mode not in VERSION_MODES:
        raise flat_error(400, "versionMode must be same_version or latest_published")
    world = call.world
    source_type = job_controls.retry_source_type(world, job, rows.flow_attribution(world, job))
    mode = mode if mode in VERSION_MODES else "latest_published"
    version_id, fallback = job.flow_version_id, False
    if mode == "latest_published":
        version_id = job_controls.latest_published_version(world, job, source_type)
        if version_id is None and provided:
            raise JsonError(409, {"error": job_controls.LATEST_UNAVAILABLE,
                                  "code": "LATEST_PUBLISHED_VERSION_UNAVAILABLE"})
        if version_id is None:
            version_id, fallback, mode = job.flow_version_id, True, "same_version"
    retry = job_controls.enqueue_retry(world, job, source_type, version_id, mode, fallback, call.now)
    started = _started(call, retry, "manual_retry", {"jobRunId": retry.id})
    return json_response({"ok": True, "queued": True, "suppressed": False, "reused": False, "jobRunId": retry.id,
                          **started, "versionFallbackUsed": fallback})


# -- review findings ----------------------------------------------------------------------------

def _issue_body(finding: dict[str, Any], repo_full_name: str, job_run_id: str) -> str:
    location = None
    if finding["path"]:
        location = finding["path"] if finding["line"] is None else f"{finding['path']}:L{finding['line']}"
    label = SEVERITY_LABELS[finding["severity"]]
    lines = ["## Mogplex Review Finding", "", f"**Severity:** {label}"]
    if finding["pr_number"] is not None:
        lines.append(f"**Pull request:** #{finding['pr_number']} in {repo_full_name}")
    if location:
        lines.append(f"**Location:** {location}")
    return "\n".join(lines + [f"**Job run:** {job_run_id}", "", f"### {finding['title']}", "", finding["body"]])


def _labels(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [label for label in (js_trim(entry) if isinstance(entry, str) else "" for entry in value) if label][:10]


def _text_field(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return js_trim(value) or None if isinstance(value, str) else None


async def create_finding_issue(call: Call) -> web.Response:
    user_id = call.require_user()
    job_run_id, finding_id = call.params["id"], call.params["findingId"]
    if pg_uuid(job_run_id) is None or pg_uuid(finding_id) is None:
        raise EmptyResponse(500)
    world = call.world
    finding = world.waiting_work.owned_finding(user_id, pg_uuid(job_run_id), pg_uuid(finding_id))
    if finding is None:
        raise flat_error(404, "Review finding not found")
    if finding["status"] == "issue_created":
        return json_response({"ok": True, "created": False, "issueNumber": finding["issue_number"],
                              "issueUrl": finding["issue_url"]})
    if finding["status"] != "open":
        message = ("Review finding is dismissed" if finding["status"] == "dismissed"
                   else "Issue creation is already in progress")
        raise flat_error(409, message)
    if not finding["repo_id"]:
        raise flat_error(409, "Review finding is not linked to a repository")
    body = await call.body()
    body = body if isinstance(body, dict) else {}
    repo = world.owned_repo(user_id, finding["repo_id"])
    if repo is None:
        raise flat_error(404, "Repository not found")
    if not repo.installation_id and not world.users[user_id].github_connected:
        raise flat_error(409, "GitHub access is not available for this repository")
    if world.outside.github_api == "failing":
        raise flat_error(500, "GitHub issue create failed (503): Service Unavailable")
    number = world.waiting_work.open_issue(repo.id, {
        "title": _text_field(body, "title") or f"[{SEVERITY_LABELS[finding['severity']]}] {finding['title']}",
        "body": _text_field(body, "body") or _issue_body(finding, repo.full_name, job_run_id),
        "labels": _labels(body.get("labels")),
    })
    url = f"https://github.com/{repo.full_name}/issues/{number}"
    finding.update(status="issue_created", issue_number=number, issue_url=url,
                   updated_at=format_timestamp(call.now))
    return json_response({"ok": True, "created": True, "issueNumber": number, "issueUrl": url})
