"""What the web app's sandbox lifecycle routes do to a sandbox record, and the browser-tab
presence they track (`sandbox_client_sessions`, written by the server's presence RPCs).

The provider's side is `OutsideServices.sandbox_vms`: `alive` (each VM is in the state its
record says), `stopped` (every VM reports stopped, as after the provider reaped it) or
`failing` (every provider call errors with PROVIDER_FAILURE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockplex.clock import format_timestamp
from mockplex.world.records import Sandbox, SandboxEvent

PROVIDER_FAILURE = "Vercel Sandbox API request failed: 503 Service Unavailable"
STOPPABLE = ("creating", "installing", "running", "pausing", "paused")
LIVE_WHILE_RECORDED = ("creating", "installing", "running")  # the reconciler's ACTIVE statuses
AUTO_PAUSE_GRACE_MS = 90_000
NOT_CONFIRMED = "Remote VM {} could not be confirmed stopped. The record remains active for reconciliation."


class ProviderFailed(Exception):
    """A provider call threw; the message is what the SDK's error said."""


def is_pending(sandbox: Sandbox) -> bool:
    return sandbox.sandbox_id in (None, "pending")


def vm_running(world, sandbox: Sandbox) -> bool:
    """What `Sandbox.get` reports for the record's VM; raises ProviderFailed."""
    if world.outside.sandbox_vms == "failing":
        raise ProviderFailed(PROVIDER_FAILURE)
    return world.outside.sandbox_vms == "alive" and sandbox.status in LIVE_WHILE_RECORDED


def _set_status(world, sandbox: Sandbox, status: str, stop_reason: str | None) -> None:
    sandbox.status, sandbox.stop_reason = status, stop_reason
    world.changes.publish("sandboxes", "UPDATE", sandbox.user_id)


def stop(world, sandbox: Sandbox) -> None:
    """The Stop button: delete the VM (a missing VM counts as stopped), then the record."""
    confirmed = True
    if not is_pending(sandbox):
        try:
            vm_running(world, sandbox)
        except ProviderFailed:
            confirmed = False
    if not confirmed:
        sandbox.error = NOT_CONFIRMED.format(sandbox.sandbox_id)
    elif sandbox.status in STOPPABLE:
        _set_status(world, sandbox, "stopped", "manual")


def pause(world, sandbox: Sandbox) -> None:
    """Stop a running VM and keep the record as paused; raises ProviderFailed.
    Its stop reason is left as it was: a cleared one, not the fixture default."""
    vm_running(world, sandbox)
    _set_status(world, sandbox, "paused", sandbox.stop_reason or "")


def retire_for_restart(world, sandbox: Sandbox, now: datetime) -> None:
    """The legacy restart: snapshot a running VM, then stop the record from any status."""
    snapshot_id = None
    if not is_pending(sandbox):
        try:
            if vm_running(world, sandbox):
                snapshot_id = world.ids.short("snap_", 24)
        except ProviderFailed:
            pass
    _set_status(world, sandbox, "stopped", "manual")
    if snapshot_id is not None:
        sandbox.snapshot_id = snapshot_id


def reconcile(world, sandbox: Sandbox, now: datetime) -> None:
    """Readiness reconciliation: probe the VM and its preview, and settle the record."""
    if is_pending(sandbox):
        return
    try:
        live = vm_running(world, sandbox)
    except ProviderFailed:  # the reconciler falls back to the recorded status
        live = sandbox.status in LIVE_WHILE_RECORDED
    if not live:
        if sandbox.status in LIVE_WHILE_RECORDED:
            _set_status(world, sandbox, "stopped", "vm_gone")
        return
    if sandbox.status in LIVE_WHILE_RECORDED:
        sandbox.status, sandbox.error, sandbox.last_active_at = "running", None, now
        world.changes.publish("sandboxes", "UPDATE", sandbox.user_id)


@dataclass
class PresenceSession:
    id: str
    event_seq: int
    released_at: datetime | None = None
    release_event_id: str | None = None
    auto_pause_queued_at: datetime | None = None


@dataclass(frozen=True)
class Release:
    released: bool
    should_queue: bool
    session: PresenceSession | None = None


class SandboxPresence:
    """Browser tabs attached to a sandbox, keyed (record, user, tab, session), and the
    Trigger.dev runs the reconcile route queued (an idempotency key answers its first run)."""

    def __init__(self) -> None:
        self.sessions: dict[tuple[str, str, str, str], PresenceSession] = {}
        self.reconcile_runs: dict[str, str] = {}

    def attach(self, world, sandbox: Sandbox, key: tuple[str, str, str, str], seq: int, now: datetime) -> None:
        session = self.sessions.get(key)
        if session is not None and session.event_seq >= seq:
            return
        if session is None:
            session = self.sessions[key] = PresenceSession(world.ids.uuid(), seq)
        session.event_seq, session.released_at = seq, None
        session.release_event_id = session.auto_pause_queued_at = None
        _log(world, sandbox, "tab_attached", {"event_seq": seq, "session_row_id": session.id}, now)

    def release(self, world, sandbox: Sandbox, key: tuple[str, str, str, str], seq: int, reason: str | None,
                now: datetime) -> Release:
        session = self.sessions.get(key)
        if session is None or (session.event_seq <= seq and session.released_at is None):
            if session is None:
                session = self.sessions[key] = PresenceSession(world.ids.uuid(), seq)
            session.event_seq, session.released_at, session.auto_pause_queued_at = seq, now, None
            session.release_event_id = _log(world, sandbox, "tab_released", {
                "event_seq": seq, "session_row_id": session.id, "reason": reason,
                "released_at": format_timestamp(now)}, now)
            return Release(True, True, session)
        queue = session.released_at is not None and session.auto_pause_queued_at is None
        return Release(False, queue, session if queue else None)

    def queue_auto_pause(self, world, sandbox: Sandbox, session: PresenceSession, now: datetime) -> None:
        """The delayed auto-pause task is queued; it only ever pauses persistent sandboxes."""
        _log(world, sandbox, "auto_pause_queued", {
            "release_event_id": session.release_event_id, "released_at": format_timestamp(session.released_at),
            "grace_period_ms": AUTO_PAUSE_GRACE_MS}, now)
        session.auto_pause_queued_at = now

    def reconcile_run(self, world, idempotency_key: str) -> str:
        return self.reconcile_runs.setdefault(idempotency_key, world.ids.short("run_", 20))


def _log(world, sandbox: Sandbox, event_type: str, payload: dict[str, Any], now: datetime) -> str:
    event = SandboxEvent(id=world.ids.uuid(), event_type=event_type, decision_code=None, worker_run_id=None,
                         payload=payload, created_at=now)
    sandbox.lifecycle_events.append(event)
    return event.id
