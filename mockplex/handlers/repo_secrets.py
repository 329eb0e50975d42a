"""Where a repo keeps values it never shows back in full: `/api/repos/{id}/env-vars` (the
linked Vercel project's env vars, the store v1's `/repos/{repoId}/env-vars` shares) and
`/api/repos/{id}/secrets` (its GitHub Actions secrets).

The shipped server resolves no Vercel access for env vars (user-billed projects and
Vercel env sync are both switched off), so every call on an owned repo answers 501
before the body is read; `env_vars: working` in world.yaml answers as if access
resolved. The world plays GitHub for secrets; `github_api: failing` makes it fail.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.projects import github_token
from mockplex.handlers.repo_resources import as_text, body_fields, queried_repo
from mockplex.jsvalues import js_string, js_truthy
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response
from mockplex.world.env_vars import EnvVarEntry
from mockplex.world.records import Repo

ALL_TARGETS = ["production", "preview", "development"]
IMPORT_UNAVAILABLE = ("Vercel project environment import requires an API-capable Vercel integration and is not "
                      "available with Sign in with Vercel.")
MANAGEMENT_UNAVAILABLE = ("Vercel project environment management requires an API-capable Vercel integration and "
                          "is not available with Sign in with Vercel.")
VERCEL_REJECTED = JsonError(502, {"error": "VERCEL_API_ERROR", "message": "Vercel rejected the request."})
VERCEL_NO_PROJECT = JsonError(404, {"error": "VERCEL_PROJECT_NOT_FOUND",
                                    "message": "The configured Vercel project no longer exists."})
GITHUB_DOWN = 'GitHub API (503): {"message":"Service Unavailable"}'
NOT_SECRET_NAME_CHARACTER = re.compile(r"[^0-9A-Z_]")
NOT_FOUND = flat_error(404, "NOT_FOUND")
OK = {"ok": True}


# -- env vars ------------------------------------------------------------------------------------

def _env_repo(call: Call) -> Repo:
    repo = queried_repo(call, NOT_FOUND)  # `.single()`, its error never read
    if repo.settings.get("env_sync_mode") == "vercel-project":
        raise JsonError(501, {"error": "VERCEL_INTEGRATION_REQUIRED", "message": IMPORT_UNAVAILABLE})
    if call.world.outside.env_vars != "working":
        raise JsonError(501, {"error": "VERCEL_INTEGRATION_REQUIRED", "message": MANAGEMENT_UNAVAILABLE})
    return repo


def _env_id(fields: dict[str, Any]) -> str:
    if not js_truthy(fields.get("envId")):
        raise flat_error(400, "envId is required")
    return js_string(fields["envId"])  # written into Vercel's URL


def _given(fields: dict[str, Any], name: str) -> Any:
    """`input.name || fallback`: the field when JavaScript reads it as true."""
    return fields[name] if js_truthy(fields.get(name)) else None


def _value(fields: dict[str, Any]) -> str:
    value = fields.get("value")
    return "" if value is None else as_text(value)


async def list_env_vars(call: Call) -> web.Response:
    repo = _env_repo(call)
    return json_response([{"id": entry.id, "key": entry.key, "value": entry.value, "target": list(entry.target),
                           "type": entry.type} for entry in call.world.env_vars.of(repo.id)])


async def create_env_var(call: Call) -> web.Response:
    repo = _env_repo(call)
    fields = await body_fields(call)
    key = fields.get("key")
    if key is not None and not isinstance(key, str):
        raise EmptyResponse(500)  # key.trim is not a function
    if not (key or "").strip():
        raise flat_error(400, "key is required")
    if call.world.env_vars.named(repo.id, key.strip()):
        raise VERCEL_REJECTED  # Vercel refuses a second entry for a key it has
    entry = EnvVarEntry(call.world.ids.short("env_", 16), key.strip(), _value(fields),
                        _given(fields, "target") or list(ALL_TARGETS), _given(fields, "type") or "encrypted", call.now)
    call.world.env_vars.add(repo.id, entry)
    return json_response({"id": entry.id, "key": entry.key})


async def update_env_var(call: Call) -> web.Response:
    repo = _env_repo(call)
    fields = await body_fields(call)
    env_id = _env_id(fields)
    entry = next((entry for entry in call.world.env_vars.of(repo.id) if entry.id == env_id), None)
    if entry is None:
        raise VERCEL_NO_PROJECT  # Vercel's 404 for the entry reads as the project's
    entry.value, entry.updated_at = _value(fields), call.now
    entry.target = _given(fields, "target") or entry.target
    return json_response(OK)


async def delete_env_var(call: Call) -> web.Response:
    repo = _env_repo(call)
    fields = await body_fields(call)
    call.world.env_vars.remove(repo.id, _env_id(fields))  # Vercel's 404 counts as deleted
    return json_response(OK)


# -- GitHub Actions secrets ------------------------------------------------------------------------

def _secrets_repo(call: Call) -> Repo:
    """The owned repo and a GitHub token for it (minting one throws when GitHub fails)."""
    repo = queried_repo(call, NOT_FOUND)  # `.single()`, its error never read
    if not github_token(call, repo):
        raise flat_error(400, "NO_GITHUB_TOKEN")
    return repo


def _github_answers(call: Call) -> None:
    if call.world.outside.github_api == "failing":
        raise JsonError(502, {"error": "GITHUB_API_ERROR", "detail": GITHUB_DOWN})


def secret_name(name: str) -> str:
    """Trimmed, upper-cased, and every UTF-16 unit outside [0-9A-Z_] an underscore."""
    return NOT_SECRET_NAME_CHARACTER.sub(lambda match: "_" * (2 if ord(match.group()) > 0xFFFF else 1),
                                         name.strip().upper())


async def list_secrets(call: Call) -> web.Response:
    repo = _secrets_repo(call)
    _github_answers(call)
    return json_response([{"name": secret.name, "created_at": _github_time(secret.created_at),
                           "updated_at": _github_time(secret.updated_at)}
                          for secret in call.world.repo_attachments.secrets(repo.id)])


async def put_secret(call: Call) -> web.Response:
    repo = _secrets_repo(call)
    fields = await body_fields(call)
    name, value = fields.get("name"), fields.get("value")
    if name is not None and not isinstance(name, str):
        raise EmptyResponse(500)  # name.trim is not a function
    if not (name or "").strip() or not js_truthy(value):
        raise flat_error(400, "name and value are required")
    _github_answers(call)
    stored = secret_name(name)
    call.world.repo_attachments.put_secret(repo.id, stored, call.now)
    return json_response({"ok": True, "name": stored})


async def delete_secret(call: Call) -> web.Response:
    repo = _secrets_repo(call)
    fields = await body_fields(call)
    if not js_truthy(fields.get("name")):
        raise flat_error(400, "name is required")
    _github_answers(call)
    # written into GitHub's URL; its 404 counts as done
    call.world.repo_attachments.delete_secret(repo.id, js_string(fields["name"]))
    return json_response(OK)


def _github_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
