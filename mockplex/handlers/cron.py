"""/api/cron/*: the scheduled jobs, past the gate's cron-secret check, run once over the
world at the world's clock. The provider they call answers as the world's sandboxes say:
a VM is alive while its record is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.jsvalues import js_iso
from mockplex.responses import json_response
from mockplex.world.records import Sandbox

STUCK_BOOT = timedelta(minutes=10)
STALE_PAUSING = timedelta(minutes=10)
MAX_LIFETIME = timedelta(hours=5)
IDLE_THRESHOLD = timedelta(minutes=30)  # no workspace in the world sets its own idle timeout
PAUSED_TTL = timedelta(days=7)
ZOMBIE_TABLES = ("ai_calls", "repos", "job_runs", "sandboxes", "connections")
REAPED_PREFIXES = ("stopped_", "paused_", "deleted_", "finalized_", "restored_")


async def sandbox_reaper(call: Call) -> web.Response:
    world, now = call.world, call.now
    active = sorted((sandbox for sandbox in world.sandboxes.values()
                     if sandbox.status in ("running", "installing", "creating")), key=lambda s: s.created_at)
    active += [sandbox for sandbox in world.sandboxes.values()
               if sandbox.status == "pausing" and sandbox.last_active_at < now - STALE_PAUSING]
    abandoned = [sandbox for sandbox in world.sandboxes.values()
                 if sandbox.status == "paused" and sandbox.last_active_at < now - PAUSED_TTL]
    if not active and not abandoned:
        return json_response({"message": "No sandboxes requiring maintenance", "reaped": 0})
    results = [_stop(sandbox, "deleted_abandoned_paused", "lifetime_timeout", now) for sandbox in abandoned]
    busy = _busy_sandbox_ids(call)
    for sandbox in active:
        action = _active_action(sandbox, sandbox.id in busy or sandbox.sandbox_id in busy, now)
        if action is not None:
            results.append({"id": sandbox.id, "action": action})
    processed = len(active) + len(abandoned)
    reaped = sum(1 for result in results if result["action"].startswith(REAPED_PREFIXES))
    return json_response({"message": f"Processed {processed} sandboxes", "reaped": reaped, "results": results})


def _busy_sandbox_ids(call: Call) -> set[str]:
    """Sandboxes an AI call still streams into: runs that are pending or streaming."""
    busy: set[str] = set()
    for run in list(call.world.runs.values()):
        call.world.advance_run(run)
        if run.status in ("pending", "streaming"):
            busy.update(filter(None, (run.sandbox_record_id, run.sandbox_id)))
    return busy


def _active_action(sandbox: Sandbox, busy: bool, now) -> str | None:
    """The reaper's decisions in its order; every world sandbox is an ephemeral one (never
    persistent), so an idle or expired VM is stopped rather than paused."""
    if sandbox.status == "pausing":
        if busy:
            return "skipped_stale_pausing_busy"
        sandbox.status = "running"
        return "restored_stale_pausing"  # the world's VM is still up and the record is not persistent
    if sandbox.status in ("creating", "installing") and now - sandbox.created_at > STUCK_BOOT:
        return _stop(sandbox, "stopped_stuck_boot", "stuck_boot", now)["action"]
    if now - sandbox.created_at > MAX_LIFETIME:
        return _stop(sandbox, "stopped_max_lifetime", "lifetime_timeout", now)["action"]
    if sandbox.status == "running" and busy:
        if sandbox.idle_warning:
            sandbox.idle_warning = False
            return "cleared_idle_warning_busy"
        return "skipped_busy"
    idle = now - sandbox.last_active_at > IDLE_THRESHOLD
    if sandbox.status == "running" and idle:
        if sandbox.idle_warning:
            return _stop(sandbox, "stopped_idle", "idle_timeout", now)["action"]
        sandbox.idle_warning = True
        return "marked_idle_warning"
    if sandbox.idle_warning and not idle:
        sandbox.idle_warning = False
        return "cleared_idle_warning"
    return None


def _stop(sandbox: Sandbox, action: str, reason: str, now) -> dict[str, Any]:
    sandbox.status, sandbox.stop_reason, sandbox.idle_warning = "stopped", reason, False
    return {"id": sandbox.id, "action": action}


async def zombie_row_reaper(call: Call) -> web.Response:
    """Rows stuck past their liveness window. Nothing in the world sticks: its runs and job
    runs finish on the clock, and it holds no snapshot, exec or connection-test locks."""
    tables = [{"table": table, "scanned": 0, "reaped": 0, "error": None, "sample_ids": []} for table in ZOMBIE_TABLES]
    breakdown = " ".join(f"{table}=0/0" for table in ZOMBIE_TABLES)
    return json_response({"processed": 0, "reaped": 0, "message": f"[zombie-reaper] reaped 0 ({breakdown})",
                          "tables": tables})


async def repair_jobs(call: Call) -> web.Response:
    """Pending job runs whose start went missing. The world starts every job run as it is
    queued, so none is ever left pending."""
    pending = [job for job in call.world.flows.job_runs.values() if job.status == "pending"]
    return json_response({"message": "No stale pending jobs", "scanned": len(pending), "started": 0, "failed": 0})


async def reconcile_job_runs(call: Call) -> web.Response:
    """Cancel requests never finished and Trigger runs with no runtime id: the world cancels
    in one step and names every run it starts, so there is nothing to reconcile."""
    return json_response({"message": "Reconciled 0 job run(s)", "reconciled": 0, "skipped": 0, "results": []})


async def reconcile_vercel_links(call: Call) -> web.Response:
    """No workspace or repo in the world bills sandboxes to a linked Vercel project."""
    summary = {"processed": 0, "valid": 0, "missing_project": 0, "auth_invalid": 0, "inaccessible": 0, "failed": 0}
    return json_response({"message": f"Reconciled {summary['processed']} Vercel billing link(s)", **summary})


async def production_smoke(call: Call) -> web.Response:
    """The schema probes all pass against the world; it keeps no baseline snapshots and no
    failed Trigger review runs to sample."""
    checks = [("repos_select", "Queried repos with workspace join"),
              ("repo_workspace_ids_select", "Queried repo workspace ids"),
              ("workspaces_select", "Queried workspaces with billing and Vercel link fields"),
              ("github_installations_count", "Counted GitHub installations"),
              ("repo_baseline_snapshot_metadata", "Verified baseline snapshot columns (0 sampled)"),
              ("review_run_observability_projection", "No recent failed Trigger review runs to sample")]
    return json_response({"ok": True, "checkedAt": js_iso(call.now),
                          "checks": [{"name": name, "ok": True, "detail": detail} for name, detail in checks]})
