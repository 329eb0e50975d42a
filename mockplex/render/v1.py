"""The v1 API's payload shapes, each in the server's key order."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, Callable

import orjson

from mockplex.clock import format_timestamp
from mockplex.jsonio import encoded_records
from mockplex.names import V1_PREFIX
from mockplex.world.automations import ACTIVE_JOB_STATUSES, Automation, FlowVersion, JobRun
from mockplex.world.records import Agent, McpServer, Model, PresetAgent, Repo, Run, Sandbox, SandboxEvent

RUNS_PREFIX = V1_PREFIX + "/runs/"
IDLE_RUN_SUMMARY = {"lastRunId": None, "lastRunStatus": None, "runningCount": 0, "pendingCount": 0, "failed24h": 0}


def _ts(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment else None


# A listing answers the same repos request after request: each is encoded once.
repo: Callable[[Repo], orjson.Fragment] = encoded_records(
    "id", "full_name", "installation_id", "default_branch", "root_directory")


def agent(agent: Agent) -> dict[str, Any]:
    return {"id": agent.id, "name": agent.name, "slug": agent.slug, "model": agent.model,
            "description": agent.description, "category": agent.category, "preset": False}


def preset_agent(preset: PresetAgent, model: str) -> dict[str, Any]:
    """A preset the user has not forked yet, offered with their default model."""
    return {"id": f"preset:{preset.name}", "name": preset.name, "slug": None, "model": model,
            "description": preset.description, "category": preset.category, "preset": True}


def model(model: Model) -> dict[str, Any]:
    return {"id": model.id, "provider": model.provider, "name": model.name, "contextLength": model.context_length,
            "capabilities": list(model.capabilities),
            "pricing": {"input": model.pricing_input, "output": model.pricing_output}}


def sandbox_event(event: SandboxEvent) -> dict[str, Any]:
    return {"id": event.id, "event_type": event.event_type, "decision_code": event.decision_code,
            "worker_run_id": event.worker_run_id, "payload": event.payload,
            "created_at": format_timestamp(event.created_at)}


def sandbox(sandbox: Sandbox) -> dict[str, Any]:
    return {"id": sandbox.id, "sandbox_id": sandbox.sandbox_id, "repo_id": sandbox.repo_id, "status": sandbox.status,
            "base_branch": sandbox.base_branch, "working_branch": sandbox.working_branch,
            "root_directory": sandbox.root_directory, "preview_url": sandbox.preview_url,
            "created_at": format_timestamp(sandbox.created_at),
            "last_active_at": format_timestamp(sandbox.last_active_at), "error": sandbox.error}


def sandbox_with_logs(record: Sandbox) -> dict[str, Any]:
    return {**sandbox(record), "install_log": record.install_log, "dev_log": record.dev_log}


def mcp_server(server: McpServer) -> dict[str, Any]:
    if server.transport == "stdio":
        config = {**server.extra, "command": server.command, "args": list(server.args), "env": dict(server.env)}
    else:
        config = {**server.extra, "url": server.url, "http_headers": dict(server.http_headers)}
    return {"name": server.name, "enabled": server.enabled, "config": config}


def run(run: Run) -> dict[str, Any]:
    return {"runId": run.id, "aiCallId": run.ai_call_id, "sandboxRecordId": run.sandbox_record_id,
            "sandboxId": run.sandbox_id, "repoId": run.repo_id, "harness": run.harness, "status": run.status,
            "branch": {"base": run.base_branch, "working": run.working_branch, "createBranch": run.create_branch},
            "rootDirectory": run.root_directory,
            "eventsUrl": f"{RUNS_PREFIX}{run.id}/events", "cancelUrl": f"{RUNS_PREFIX}{run.id}/cancel",
            "createdAt": format_timestamp(run.created_at), "updatedAt": format_timestamp(run.updated_at),
            "error": run.error, "runtime": {"provider": run.runtime_provider, "runId": run.runtime_run_id}}


def flow_version(version: FlowVersion) -> dict[str, Any]:
    return {"id": version.id, "versionNumber": version.version_number, "graph": copy.deepcopy(version.graph),
            "createdAt": format_timestamp(version.created_at)}


def automation_summary(automation: Automation) -> dict[str, Any]:
    return {"id": automation.id, "installationId": automation.installation_id, "name": automation.name,
            "description": automation.description, "status": automation.status,
            "publishedVersionId": automation.published_version_id,
            "createdAt": format_timestamp(automation.created_at), "updatedAt": format_timestamp(automation.updated_at)}


def automation(automation: Automation) -> dict[str, Any]:
    published = automation.published_version
    return {"id": automation.id, "installationId": automation.installation_id, "name": automation.name,
            "description": automation.description, "notes": automation.notes, "status": automation.status,
            "draftGraph": copy.deepcopy(automation.draft_graph),
            "publishedVersion": flow_version(published) if published else None,
            "createdAt": format_timestamp(automation.created_at),
            "updatedAt": format_timestamp(automation.updated_at),
            "runSummary": dict(IDLE_RUN_SUMMARY)}


def latest_ai_call(job: JobRun) -> dict[str, Any] | None:
    if job.ai_call_id is None:
        return None
    tokens = (job.input_tokens or 0) + (job.output_tokens or 0)
    return {"id": job.ai_call_id, "status": "success" if job.status == "success" else job.status,
            "model": job.model, "total_tokens": tokens, "tool_calls_count": 7 if tokens else 0,
            "started_at": _ts(job.started_at)}


def job_run(job: JobRun, *, detail: bool = False) -> dict[str, Any]:
    record = {
        "id": job.id, "assignment_id": None, "trigger_id": None, "flow_id": job.flow_id,
        "flow_version_id": job.flow_version_id, "runtime_provider": "trigger" if job.runtime_run_id else None,
        "runtime_run_id": job.runtime_run_id, "workflow_run_id": None, "retry_of_job_run_id": job.retry_of_job_run_id,
        "status": job.status, "created_at": format_timestamp(job.created_at),
        "started_at": _ts(job.started_at), "completed_at": _ts(job.completed_at),
        "input_tokens": job.input_tokens, "output_tokens": job.output_tokens,
        "duration_ms": job.duration_ms, "error": job.error, "start_attempts": 1 if job.started_at else 0,
        "last_start_attempt_at": _ts(job.started_at), "last_start_error": None,
        "last_start_source": job.start_source or ("mcp" if job.started_at else None), **job.cancel_columns(),
        "metadata": copy.deepcopy(job.metadata), "source_kind": job.source_kind, "source_type": job.source_type,
        "repo": {"id": job.repo_id, "full_name": job.repo_full_name},
        "agent": {"id": None, "name": None, "slug": None},
        # The server's run queries select no cost_usd column, so the record's cost is always
        # null; the detail sets its latest AI call before the cost, the list after it.
        **({"latest_ai_call": latest_ai_call(job), "cost_usd": None} if detail
           else {"cost_usd": None, "latest_ai_call": None}),
        "repairable": False, "requeueable": job.status == "failed",
        "cancelable": job.status in ACTIVE_JOB_STATUSES, "active_wait_count": 0,
        "latest_dispatch_event": copy.deepcopy(job.dispatch_events[-1]) if job.dispatch_events else None,
        "node_runs": copy.deepcopy(job.node_runs),
    }
    if detail:
        call = latest_ai_call(job)
        record.update({
            "dispatch_events": copy.deepcopy(job.dispatch_events),
            "ai_calls": [{**call, "completed_at": _ts(job.completed_at), "events": []}] if call else [],
            "review_findings": [], "waits": [],
        })
    return record
