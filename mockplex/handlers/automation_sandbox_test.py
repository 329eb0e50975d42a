"""POST /api/automations/sandbox-test: the automation editor's dry run of a sandbox launch
for one repo. Nothing boots; the server resolves what a launch would use and says why it
could not start.

In the server's order: the caller's team scope (the shared check), `repoId`, the repo in
that scope, the sandbox credentials (team members hold every capability here), the
billing target, the platform's credentials, the repo's env and dev port against the
create-request rules, then the GitHub App installation autofix needs. Refusals after the
repo is found are 200s with `ok: false`.

The billing target is always the platform's: the server forces user-owned Vercel billing
off whatever a workspace or repo says. The world's platform is configured (a token, the
project below, no Vercel team), so the only credentials refusal is a user without hosted
sandbox access. The env's Vercel-project sync is likewise unavailable, so the env is the
repo's manual variables and its source is always "manual"."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers import repo_settings
from mockplex.handlers.repo_snapshots import PLATFORM_SANDBOX_ACCESS
from mockplex.handlers.sandbox_web import capable_caller, team_header
from mockplex.ids import is_strict_uuid
from mockplex.render.projects import repo_columns
from mockplex.responses import flat_error, json_response
from mockplex.world.jsonb import jsonb
from mockplex.world.owner_scope import OwnerScope
from mockplex.world.snapshots import PLATFORM_PROJECT_ID

PLATFORM_TEAM_ID = None  # the world's platform sandboxes live in no Vercel team
RESERVED_PORTS = (8080,)
MAX_ENV_BYTES = 4096
LARGEST_SHOWN = 3
# The variables a preview-like sandbox gets unless the repo sets them itself.
PREVIEW_ENV = (("VERCEL", "1"), ("VERCEL_ENV", "preview"), ("VERCEL_TARGET_ENV", "preview"),
               ("NEXT_PUBLIC_VERCEL_ENV", "preview"))
NO_INSTALLATION = "GitHub App installation is required so sandbox autofix can push back to the PR branch."
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _js_object(pairs: dict[str, Any]) -> dict[str, Any]:
    """A JavaScript object's own key order: array-index keys first, ascending, then the
    rest as inserted."""
    def is_index(key: str) -> bool:
        return bool(_ARRAY_INDEX.fullmatch(key)) and int(key) < 2**32 - 1
    indexes = sorted((key for key in pairs if is_index(key)), key=int)
    return {key: pairs[key] for key in (*indexes, *(key for key in pairs if not is_index(key)))}


def _normalized_env(value: Any) -> dict[str, str]:
    return _js_object(repo_settings.env_vars(value))


def _runtime_env(stored: Any, mode: str) -> dict[str, str]:
    """The env the create request would carry: the repo's variables, normalized once when the
    env is resolved and again when it is built, plus the preview defaults in preview mode."""
    read = _js_object(jsonb(stored)) if isinstance(stored, dict) else stored  # jsonb's key order, then JSON.parse's
    env = _normalized_env(_normalized_env(read))
    if mode == "sandbox-and-preview":
        env = {**env, **{key: value for key, value in PREVIEW_ENV if key not in env}}
    return env


def _check_create_request(env: dict[str, str], port: int) -> None:
    """The launcher's preflight on ports and the env payload's JSON size; raises _Refused."""
    if port in RESERVED_PORTS:
        raise _Refused(f"Sandbox requested reserved port {port}. Change the repo sandbox dev port or dev command "
                       "to a supported port such as 3000 or 5173.")
    size = len(jsonio.dumps(env))
    if size <= MAX_ENV_BYTES:
        return
    sizes = sorted(((key, len(jsonio.dumps({key: value}))) for key, value in env.items()),
                   key=lambda entry: entry[1], reverse=True)  # stable: ties keep the object's order
    largest = ", ".join(f"{key} ({count} bytes)" for key, count in sizes[:LARGEST_SHOWN])
    raise _Refused(f"Sandbox env payload is too large for Vercel Sandbox ({size} bytes; max {MAX_ENV_BYTES}). "
                   "Remove or shorten sandbox env vars before launching." + (f" Largest entries: {largest}."
                                                                              if largest else ""))


async def sandbox_test(call: Call) -> web.Response:
    user_id = call.require_user()
    scope = OwnerScope(user_id, team_header(call))  # membership was checked before the handler
    body = await call.body()  # a body that is not JSON reads as null, and null has no repoId
    repo_id = body.get("repoId") if isinstance(body, dict) else None
    if not isinstance(repo_id, str) or not repo_id:
        raise flat_error(400, "repoId is required")
    repo = call.world.repos.owned(scope, repo_id.lower()) if is_strict_uuid(repo_id) else None
    if repo is None:  # a malformed id is never sent to Postgres
        raise flat_error(404, "Repo not found")
    capable_caller(call, "tools.bash")
    named = {"id": repo.id, "full_name": repo.full_name}
    if not call.world.users[user_id].platform_sandbox:
        return json_response({"ok": False, "error": PLATFORM_SANDBOX_ACCESS, "repo": named})
    row = repo_columns(repo)
    mode = repo_settings.env_sync_mode(row["env_sync_mode"])
    env = _runtime_env(row["sandbox_env_vars"], mode)
    summary = {"configured": bool(repo_settings.env_vars(row["sandbox_env_vars"])), "count": len(env),
               "mode": mode, "source": "manual", "warning": None}
    try:
        # Auto or not, the port checked is the repo's own dev_port, normalized.
        _check_create_request(env, repo_settings.dev_port(row["dev_port"]))
    except _Refused as refused:
        return json_response({"ok": False, "error": refused.message, "repo": named, "env": summary})
    if not repo.installation_id:
        return json_response({"ok": False, "error": NO_INSTALLATION, "repo": named, "env": summary})
    return json_response({"ok": True, "repo": named, "env": summary, "sandbox": {
        "billingSource": "platform", "credentialSource": "platform",
        "projectId": PLATFORM_PROJECT_ID, "teamId": PLATFORM_TEAM_ID}})
