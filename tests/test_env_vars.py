"""`/repos/{repoId}/env-vars` (v1 spec §5): zod validation, then the shipped 501."""

from __future__ import annotations

import json

import pytest
from conftest import V1, WEB_REPO, body_of, error_body

PATH = f"/repos/{WEB_REPO}/env-vars"
NOT_AVAILABLE = error_body(
    "SERVICE_UNAVAILABLE",
    "Vercel project environment variables require an API-capable Vercel integration and are not available.")
KEY_RULE = "key must contain only letters, digits, and underscores and not start with a digit"


async def send(api, method: str, body, path: str = PATH):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return await api.call(method, V1 + path, data=data, headers={"Content-Type": "application/json"})


async def test_every_valid_request_answers_501_even_for_unknown_repos(api):
    for method, body in (("GET", None), ("POST", {"key": "API_URL", "value": "x"}), ("DELETE", {"key": "A"})):
        for path in (PATH, "/repos/00000000-0000-4000-8000-000000000000/env-vars", "/repos/nope/env-vars"):
            response = await api.call(method, V1 + path, json_body=body)
            assert response.status == 501, (method, path)
            assert body_of(response) == NOT_AVAILABLE


@pytest.mark.parametrize("body, message", [
    (b"{oops", "Invalid JSON body"),
    (b"", "Invalid JSON body"),
    ({"value": "v"}, "key: Required"),
    ({"key": "A"}, "value: Required"),
    ({"key": "   ", "value": "v"}, f"key: String must contain at least 1 character(s); key: {KEY_RULE}"),
    ({"key": "9LIVES", "value": "v"}, f"key: {KEY_RULE}"),
    ({"key": "K" * 257, "value": "v"}, "key: String must contain at most 256 character(s)"),
    ({"key": 5, "value": "v"}, "key: Expected string, received number"),
    ({"key": "A", "value": None}, "value: Expected string, received null"),
    ({"key": "A", "value": "v" * 65_537}, "value: String must contain at most 65536 character(s)"),
    ({"key": "A", "value": "v", "target": []}, "target: Array must contain at least 1 element(s)"),
    ({"key": "A", "value": "v", "target": "production"}, "target: Expected array, received string"),
    ({"key": "A", "value": "v", "target": ["prod", "preview", 3]},
     "target.0: Invalid enum value. Expected 'production' | 'preview' | 'development', received 'prod'; "
     "target.2: Expected 'production' | 'preview' | 'development', received number"),
    ({"key": "A", "value": "v", "type": "secret"},
     "type: Invalid enum value. Expected 'encrypted' | 'plain' | 'sensitive', received 'secret'"),
    ({"key": "A", "value": "v", "repoId": "x", "extra": 1}, "body: Unrecognized key(s) in object: 'repoId', 'extra'"),
    ({"value": 1, "repoId": "x"}, "key: Required; value: Expected string, received number; "
                                  "body: Unrecognized key(s) in object: 'repoId'"),
    ([], "body: Expected object, received array"),
    (b"null", "body: Expected object, received null"),
    (b"\"text\"", "body: Expected object, received string"),
])
async def test_post_validation_rows(api, body, message):
    response = await send(api, "POST", body)
    assert response.status == 400
    assert body_of(response) == error_body("BAD_REQUEST", message)


async def test_delete_validation_is_strict_on_key_only(api):
    response = await send(api, "DELETE", {"key": "A", "value": "v"})
    assert body_of(response) == error_body("BAD_REQUEST", "body: Unrecognized key(s) in object: 'value'")
    response = await send(api, "DELETE", {})
    assert body_of(response) == error_body("BAD_REQUEST", "key: Required")


async def test_non_utf8_bytes_are_decoded_leniently_like_request_json(api):
    response = await send(api, "POST", b'{"key":"A","value":"caf\xe9"}')
    assert response.status == 501


async def test_the_flag_on_world_setting_gives_a_working_store(working_env_api):
    api = working_env_api
    assert body_of(await api.get(PATH)) == {"ok": True, "data": {"envVars": []}}
    created = await send(api, "POST", {"key": " API_URL ", "value": "https://api.example.dev"})
    assert body_of(created) == {"ok": True, "data": {"action": "created", "key": "API_URL", "updatedCount": 1}}
    updated = await send(api, "POST", {"key": "API_URL", "value": "https://v2.example.dev", "type": "plain"})
    assert body_of(updated) == {"ok": True, "data": {"action": "updated", "key": "API_URL", "updatedCount": 1}}
    listed = body_of(await api.get(PATH))["data"]["envVars"]
    assert listed[0]["key"] == "API_URL" and listed[0]["type"] == "plain"
    assert "value" not in listed[0]
    assert list(listed[0]) == ["id", "key", "target", "type", "updatedAt"]
    assert isinstance(listed[0]["updatedAt"], int)
    deleted = await send(api, "DELETE", {"key": "API_URL"})
    assert body_of(deleted) == {"ok": True, "data": {"key": "API_URL", "deletedCount": 1}}
    missing = await send(api, "DELETE", {"key": "API_URL"})
    assert missing.status == 404
    assert body_of(missing) == error_body("NOT_FOUND", "No env var named API_URL exists on the linked Vercel project.")
    unknown_repo = await api.get("/repos/00000000-0000-4000-8000-000000000000/env-vars")
    assert body_of(unknown_repo) == error_body("NOT_FOUND", "Repo not found")
