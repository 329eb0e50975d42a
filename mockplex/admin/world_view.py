"""`GET /__mockplex/world`: the world's state at a glance for the inspector, as of the
world's clock. Credentials are shown by name, scopes and expiry, never by value or hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from mockplex import state
from mockplex.clock import format_timestamp
from mockplex.responses import json_response
from mockplex.world.world import World

SHOWN_RUNS = 200  # the newest; a load test can start thousands


def _at(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment is not None else None


def _credential_status(revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> str:
    if revoked_at is not None:
        return "revoked"
    return "expired" if expires_at is not None and expires_at <= now else "live"


def _user(world: World, user_id: str | None) -> str | None:
    user = world.users.get(user_id) if user_id else None
    return user.email if user is not None else user_id


def _runs(world: World) -> list[dict[str, Any]]:
    newest = sorted(world.runs.values(), key=lambda run: (run.created_at, run.id), reverse=True)[:SHOWN_RUNS]
    shown = []
    for run in newest:
        world.advance_run(run)  # the world moves a run when it is read, as the API does
        repo = world.repos.get(run.repo_id)
        shown.append({"id": run.id, "status": run.status, "repo": repo.full_name if repo else run.repo_id,
                      "user": _user(world, run.user_id), "prompt": run.prompt, "created_at": _at(run.created_at),
                      "updated_at": _at(run.updated_at), "error": run.error,
                      "events": [{"type": event.type, "at": _at(event.created_at), "message": event.message}
                                 for event in run.events]})
    return shown


def _sandboxes(world: World) -> list[dict[str, Any]]:
    ordered = sorted(world.sandboxes.values(), key=lambda sandbox: (sandbox.created_at, sandbox.id), reverse=True)
    return [{"id": sandbox.id, "sandbox_id": sandbox.sandbox_id, "status": sandbox.status,
             "repo": repo.full_name if (repo := world.repos.get(sandbox.repo_id)) else sandbox.repo_id,
             "working_branch": sandbox.working_branch, "last_active_at": _at(sandbox.last_active_at),
             "error": sandbox.error} for sandbox in ordered]


def _automations(world: World, now: datetime) -> list[dict[str, Any]]:
    flows = world.flows
    ordered = sorted(flows.automations.values(), key=lambda automation: (automation.created_at, automation.id))
    return [{"id": automation.id, "name": automation.name, "status": automation.status,
             "job_runs": [{"id": job.id, "status": job.status, "repo": job.repo_full_name,
                           "created_at": _at(job.created_at), "completed_at": _at(job.completed_at)}
                          for job in flows.runs_of(automation, now)]}
            for automation in ordered]


def _tokens(world: World, now: datetime) -> list[dict[str, Any]]:
    tokens = world.tokens
    pats = [{"name": pat.name, "scopes": list(pat.scopes), "expires_at": _at(pat.expires_at), "kind": "pat",
             "user": _user(world, pat.user_id), "status": _credential_status(pat.revoked_at, pat.expires_at, now)}
            for pat in tokens.pats()]
    grants = [{"name": grant.description or grant.client_id, "scopes": list(grant.scopes),
               "expires_at": _at(grant.expires_at), "kind": "oauth", "user": _user(world, grant.user_id),
               "status": _credential_status(None, grant.expires_at, now)} for grant in tokens.grants()]
    return pats + grants


def _sessions(world: World, now: datetime) -> list[dict[str, Any]]:
    return [{"user": _user(world, session.user_id), "expires_at": _at(session.expires_at),
             "description": session.description,
             "status": _credential_status(session.revoked_at, session.expires_at, now)}
            for session in world.sessions.sessions()]


async def world_view(request: web.Request, admin: Any) -> web.Response:
    world, clock = request.app[state.WORLD], request.app[state.SETTINGS].clock
    now = clock.now()
    return json_response({
        "clock": {"now": format_timestamp(now), "kind": clock.kind, "describe": clock.describe()},
        "runs": _runs(world), "runs_total": len(world.runs), "sandboxes": _sandboxes(world),
        "automations": _automations(world, now), "tokens": _tokens(world, now), "sessions": _sessions(world, now),
    })
