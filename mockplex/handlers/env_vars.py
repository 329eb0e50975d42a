"""`/repos/{repoId}/env-vars` (spec §5): validated, then the shipped 501.

With `env_vars: working` in world.yaml the latent, flag-on behaviour answers instead,
backed by a per-repo store in the world.
"""

from __future__ import annotations

from aiohttp import web

from mockplex import schema
from mockplex.call import Call
from mockplex.ids import pg_uuid
from mockplex.jsonio import NOT_JSON
from mockplex.responses import ApiError, bad_request, not_found, ok
from mockplex.validation import ANY_ENV_KEY, ENV_KEY, ENV_STORAGE, ENV_TARGET_LIST, ENV_TARGETS, ENV_VALUE
from mockplex.world.env_vars import EnvVarEntry

FEATURE_OFF = ApiError(
    501, "SERVICE_UNAVAILABLE",
    "Vercel project environment variables require an API-capable Vercel integration and are not available.",
)

# The published request bodies too (the route table emits their JSON Schema).
SET_BODY = schema.strict_object(
    key=ENV_KEY.describe("Variable name."), value=ENV_VALUE.describe("Variable value."),
    target=schema.optional(ENV_TARGET_LIST.describe("Deployment targets.")),
    type=schema.optional(ENV_STORAGE.describe("Storage type.")),
)
DELETE_BODY = schema.strict_object(key=ANY_ENV_KEY.describe("Variable name."))


async def _key_on_working_repo(call: Call, body_schema: schema.Schema) -> tuple[str, str, dict]:
    """(repo id, key, body) of a write: the body is checked before the feature flag."""
    body = await call.body()
    if body is NOT_JSON:
        raise bad_request("Invalid JSON body")
    try:
        parsed = schema.parse(body_schema, body, "body")
    except schema.SchemaError as exc:
        raise bad_request(str(exc)) from None
    return _working_repo(call), parsed["key"], parsed


def _working_repo(call: Call) -> str:
    if call.world.outside.env_vars != "working":
        raise FEATURE_OFF
    repo_id = pg_uuid(call.params["repoId"])
    if repo_id is None or call.world.owned_repo(call.user_id, repo_id) is None:
        raise not_found("Repo not found")
    return repo_id


async def list_env_vars(call: Call) -> web.Response:
    entries = call.world.env_vars.of(_working_repo(call))
    return ok({"envVars": [{
        "id": entry.id, "key": entry.key, "target": list(entry.target), "type": entry.type,
        "updatedAt": int(entry.updated_at.timestamp() * 1000),
    } for entry in entries]})


async def set_env_var(call: Call) -> web.Response:
    repo_id, key, body = await _key_on_working_repo(call, SET_BODY)
    matching = call.world.env_vars.named(repo_id, key)
    if not matching:
        entry = EnvVarEntry(call.world.ids.short("env_", 16), key, body["value"],
                            body.get("target", list(ENV_TARGETS)), body.get("type", "encrypted"), call.now)
        call.world.env_vars.add(repo_id, entry)
        return ok({"action": "created", "key": key, "updatedCount": 1})
    if "target" in body and len(matching) > 1:
        raise ApiError(409, "CONFLICT", (
            f"{key} has {len(matching)} target-specific entries. Omit target to update the value "
            "everywhere, or delete the key and recreate it with the targets you want."))
    for entry in matching:
        entry.value, entry.updated_at = body["value"], call.now
        entry.target = body.get("target", entry.target)
        entry.type = body.get("type", entry.type)
    return ok({"action": "updated", "key": key, "updatedCount": len(matching)})


async def delete_env_var(call: Call) -> web.Response:
    repo_id, key, _ = await _key_on_working_repo(call, DELETE_BODY)
    deleted = call.world.env_vars.delete(repo_id, key)
    if not deleted:
        raise not_found(f"No env var named {key} exists on the linked Vercel project.")
    return ok({"key": key, "deletedCount": deleted})
