"""A user's provider keys: /api/settings/keys and its verify check (the provider's answer
is the world's provider_key_check setting)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.web_bodies import guarded_fields
from mockplex.responses import flat_error, json_response
from mockplex.validation import JS_WHITESPACE
from mockplex.world.user_settings import provider_answer

PROVIDERS = ("ai_gateway", "anthropic", "openai", "openrouter")


async def list_provider_keys(call: Call) -> web.Response:
    stored = call.world.provider_keys.listed(call.require_user())
    return json_response({"keys": [{"provider": key.provider, "created_at": format_timestamp(key.created_at),
                                    "updated_at": format_timestamp(key.updated_at)} for key in stored]})


async def _provider_body(call: Call) -> dict[str, Any]:
    body = await guarded_fields(call)
    if body.get("provider") not in PROVIDERS:
        raise flat_error(400, "Invalid provider")
    return body


async def put_provider_key(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _provider_body(call)
    key = body.get("key")
    if not isinstance(key, str) or not key.strip(JS_WHITESPACE):
        raise flat_error(400, "Key is required")
    call.world.provider_keys.put(user_id, body["provider"], key.strip(JS_WHITESPACE), call.now)
    return json_response({"ok": True})


async def delete_provider_key(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _provider_body(call)
    call.world.provider_keys.delete(user_id, body["provider"])
    return json_response({"ok": True})


# The coding harness each direct provider key feeds: (name, package, binary).
_HARNESSES = {"anthropic": ("Claude Code", "@anthropic-ai/claude-code", "claude"),
              "openai": ("Codex", "@openai/codex", "codex")}


_GATEWAYS = {"ai_gateway": "Vercel AI Gateway", "openrouter": "OpenRouter"}


def _verify_checks(provider: str) -> dict[str, Any]:
    if provider not in _HARNESSES:
        return {"key_stored": False, "key_valid": None, "service": _GATEWAYS[provider]}
    name, package, binary = _HARNESSES[provider]
    return {"key_stored": False, "key_valid": None, "service": name, "harness": name, "package": package,
            "binary": binary}


def _key_verdict(provider: str, status: int | None) -> tuple[bool | None, str | None]:
    """(valid, error) as the server reads the provider's answer; None: no answer at all."""
    if provider == "openrouter":
        if status in (401, 403):
            return False, "Invalid API key"
        if status is None or status >= 500:
            return None, "OpenRouter is unavailable; try again"
        if status == 429 or status < 300:
            return True, None
        return None, f"OpenRouter verification failed ({status}); try again"
    if status is None:
        return False, "fetch failed"
    if status == 401 or (status == 403 and provider != "openai"):
        return False, "Invalid API key"
    accepted = (200, 429, 400) if provider == "anthropic" else (200, 429)
    return status in accepted, None


async def verify_provider_key(call: Call) -> web.Response:
    user_id = call.require_user()
    provider = (await _provider_body(call))["provider"]
    checks = _verify_checks(provider)
    stored = call.world.provider_keys.get(user_id, provider)
    checks["key_stored"] = stored is not None
    if stored is None:
        return json_response(checks)
    valid, error = _key_verdict(provider, provider_answer(call.world.outside.provider_key_check, provider, stored.value))
    checks["key_valid"] = valid
    if error is not None:
        checks["key_error"] = error
    return json_response(checks)
