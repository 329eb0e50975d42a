"""Identity and settings (internal spec §2.1): /api/auth/user, /api/settings and its keys,
and /api/models."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.names import SCOPES
from mockplex.responses import flat_error, json_response, request_origin
from mockplex.world.records import TEMPLATE_MODEL, Model, User
from mockplex.world.tokens import new_pat

THEMES = ("dark", "light", "system")
PROVIDERS = ("ai_gateway", "anthropic", "openai", "openrouter")
CATALOG_FIELDS = ("provider", "name", "context_length", "capabilities", "is_available", "is_hidden",
                  "pricing_input", "pricing_output")
_GITHUB_COPY = {
    "disconnected": ("Not connected", "Install the GitHub App to sync repositories and enable triggers."),
    "oauth_connected": ("OAuth only", None),
    "app_install_pending": ("Install pending", "Finish the GitHub App install in GitHub. Mogplex will pick up "
                                               "the installation and sync coverage."),
    "app_installed": ("App installed", "The GitHub App is installed, but no covered repositories are synced "
                                       "into Projects yet."),
    "app_installed_with_synced_repos": ("Ready", "GitHub App coverage is active and synced repositories are "
                                                 "available in Projects."),
}
_INSTALL = {"kind": "install", "label": "Install GitHub App", "href": "/api/auth/github"}
_VERCEL_NOTE = " Sign in with Vercel is identity-only; user-owned compute requires a future API-capable integration."


def js_iso(moment: datetime) -> str:
    """Date.prototype.toISOString: milliseconds and a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- /api/auth/user ------------------------------------------------------------------

async def auth_user(call: Call) -> web.Response:
    if call.identity is None:
        return json_response({"user": None})
    return json_response({"user": _user_payload(call, call.world.users[call.user_id])})


def _github_state(call: Call, user: User, installations: int, covered: int) -> str:
    pending = call.request.cookies.get("github_app_install_pending") == "1"
    if covered > 0:
        return "app_installed_with_synced_repos"
    if installations > 0:
        return "app_installed"
    if call.world.github_app_configured and pending:
        return "app_install_pending"
    return "oauth_connected" if user.github_connected else "disconnected"


def _github_copy(state: str, app_configured: bool) -> tuple[str, str, dict | None]:
    label, detail = _GITHUB_COPY[state]
    if state == "disconnected":
        action = _INSTALL if app_configured else {"kind": "connect", "label": "Connect GitHub",
                                                  "href": "/api/auth/github"}
    elif state == "oauth_connected":
        detail = ("Repositories can sync through OAuth, but triggers and automation require the GitHub App."
                  if app_configured else "GitHub is connected through OAuth.")
        action = _INSTALL if app_configured else None
    elif state == "app_install_pending":
        action = {"kind": "complete_install", "label": "Complete GitHub App install", "href": "/api/auth/github"}
    elif state == "app_installed":
        action = {"kind": "open_spaces", "label": "Open Projects", "href": "/projects/repositories"}
    else:
        action = None
    return label, detail, action


def _user_payload(call: Call, user: User) -> dict[str, Any]:
    world = call.world
    installations = sum(1 for item in world.installations.values() if item.user_id == user.id)
    repos = [repo for repo in world.repos.values() if repo.user_id == user.id]
    covered = sum(1 for repo in repos if repo.installation_id)
    state = _github_state(call, user, installations, covered)
    label, detail, action = _github_copy(state, world.github_app_configured)
    app_connected = installations > 0 or covered > 0
    linked = "account" if user.account_vercel_project_id else "none"
    return {
        "id": user.id, "email": user.email, "username": user.username, "name": user.name,
        "avatar_url": user.avatar_url, "github_username": user.github_username, "github_state": state,
        "github_connected": user.github_connected or app_connected, "github_app_connected": app_connected,
        "github_connection_mode": "app" if app_connected else "oauth" if user.github_connected else None,
        "github_app_available": world.github_app_configured,
        "github_install_pending": state == "app_install_pending",
        "github_installation_count": installations, "github_synced_repo_count": len(repos),
        "github_covered_repo_count": covered, "github_status_label": label, "github_status_detail": detail,
        "github_primary_action": action,
        "platform_access": {"allowPlatformAi": user.platform_ai, "allowPlatformSandbox": user.platform_sandbox},
        "vercel": {
            "platformState": "ready", "personalState": "linked" if user.vercel_linked else "not_linked",
            "linkedProjectState": linked, "canUsePlatformOps": True, "canLinkUserBillingProject": False,
            "canUseUserBilling": False, "statusLabel": "Platform ready",
            "statusDetail": "Mogplex platform Vercel is ready." + _VERCEL_NOTE,
        },
        "account_vercel_project_id": user.account_vercel_project_id,
        "account_vercel_team_id": user.account_vercel_team_id,
    }


# -- /api/settings ---------------------------------------------------------------------

def _selectable(call: Call, user_id: str) -> list[Model]:
    return [m for m in call.world.models if m.visible and call.world.model_enabled(user_id, m)]


def _default_model(stored: str | None, selectable: list[Model]) -> str | None:
    ids = [model.id for model in selectable]
    for candidate in (stored, TEMPLATE_MODEL):
        if candidate in ids:
            return candidate
    return ids[0] if ids else None


def _theme_cookie(response: web.Response, theme: str) -> None:
    response.set_cookie("mogplex-theme", theme, path="/", max_age=31536000, samesite="Lax")


async def get_settings(call: Call) -> web.Response:
    user = call.world.users[call.require_user()]
    default = _default_model(user.default_model, _selectable(call, user.id)) or TEMPLATE_MODEL
    response = json_response({"default_model": default, "theme": user.theme})
    if user.theme in THEMES:
        _theme_cookie(response, user.theme)
    return response


async def patch_settings(call: Call) -> web.Response:
    user = call.world.users[call.require_user()]
    body = await call.unguarded_body()
    model = body.get("default_model")
    if isinstance(model, str) and model not in {m.id for m in call.world.available_models(user.id)}:
        raise flat_error(400, "default_model must be enabled and available")
    theme = body.get("theme") if body.get("theme") in THEMES else None
    if not isinstance(model, str) and theme is None:
        raise flat_error(400, "No valid fields")
    if isinstance(model, str):
        user.default_model = model
    response = json_response({"ok": True})
    if theme is not None:
        user.theme = theme
        _theme_cookie(response, theme)
    return response


# -- /api/settings/api-keys --------------------------------------------------------------

async def list_api_keys(call: Call) -> web.Response:
    user_id = call.require_user()
    keys = sorted((pat for pat in call.world.tokens.pats() if pat.user_id == user_id and pat.revoked_at is None),
                  key=lambda pat: pat.created_at, reverse=True)
    return json_response({"keys": [{
        "id": pat.id, "name": pat.name, "prefix": pat.prefix, "scopes": list(pat.scopes),
        "createdAt": format_timestamp(pat.created_at),
        "lastUsedAt": format_timestamp(pat.last_used_at) if pat.last_used_at else None,
        "expiresAt": format_timestamp(pat.expires_at) if pat.expires_at else None,
    } for pat in keys]})


def _key_scopes(body: dict[str, Any]) -> tuple[str, ...]:
    scopes = body.get("scopes", list(SCOPES))
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise flat_error(400, "scopes must be an array of strings")
    if not scopes:
        raise flat_error(400, "scopes must include at least one entry")
    if any(scope not in SCOPES for scope in scopes):
        raise flat_error(400, f"Invalid scope value. Allowed: {', '.join(SCOPES)}.")
    return tuple(dict.fromkeys(scopes))


async def create_api_key(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.body()
    if not isinstance(body, dict):
        raise flat_error(400, "Invalid JSON body")
    name = body.get("name").strip() if isinstance(body.get("name"), str) else ""
    if not 1 <= len(name) <= 100:
        raise flat_error(400, "Name is required (1-100 characters)")
    scopes = _key_scopes(body)
    days = body.get("expiresInDays")
    days = days if isinstance(days, (int, float)) and not isinstance(days, bool) and days > 0 else None
    token, pat = new_pat(user_id=user_id, key_id=call.world.ids.uuid(), name=name, scopes=scopes,
                         created_at=call.now, expires_in_days=None, length=32)
    if days is not None:
        pat.expires_at = call.now + timedelta(days=days)
    call.world.tokens.add(pat)
    return json_response({"id": pat.id, "token": token, "prefix": pat.prefix, "scopes": list(scopes),
                          "expiresAt": js_iso(pat.expires_at) if pat.expires_at else None})


async def revoke_api_key(call: Call) -> web.Response:
    user_id = call.require_user()
    key_id = call.params["id"].strip()
    if not key_id:
        raise flat_error(400, "Invalid key ID")
    pat = next((pat for pat in call.world.tokens.pats()
                if pat.id == key_id and pat.user_id == user_id and pat.revoked_at is None), None)
    if pat is None:
        raise flat_error(404, "Key not found")
    pat.revoked_at = call.now
    return json_response({"ok": True})


# -- /api/settings/keys (provider keys) ----------------------------------------------------

async def list_provider_keys(call: Call) -> web.Response:
    stored = call.world.provider_keys.listed(call.require_user())
    return json_response({"keys": [{"provider": key.provider, "created_at": format_timestamp(key.created_at),
                                    "updated_at": format_timestamp(key.updated_at)} for key in stored]})


async def _provider_body(call: Call) -> dict[str, Any]:
    body = await call.body()
    if not isinstance(body, dict):
        raise flat_error(400, "Invalid JSON body")
    if body.get("provider") not in PROVIDERS:
        raise flat_error(400, "Invalid provider")
    return body


async def put_provider_key(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _provider_body(call)
    if not isinstance(body.get("key"), str) or not body["key"].strip():
        raise flat_error(400, "Key is required")
    call.world.provider_keys.put(user_id, body["provider"], body["key"].strip(), call.now)
    return json_response({"ok": True})


async def delete_provider_key(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _provider_body(call)
    call.world.provider_keys.delete(user_id, body["provider"])
    return json_response({"ok": True})


_HARNESSES = {"anthropic": ("claude-code", "@anthropic-ai/claude-code", "claude", "sk-ant-"),
              "openai": ("codex", "@openai/codex", "codex", "sk-")}
_SERVICES = {"ai_gateway": "Vercel AI Gateway", "anthropic": "Anthropic", "openai": "OpenAI",
             "openrouter": "OpenRouter"}


async def verify_provider_key(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _provider_body(call)
    provider = body["provider"]
    stored = call.world.provider_keys.get(user_id, provider)
    answer: dict[str, Any] = {"key_stored": stored is not None, "key_valid": None, "service": _SERVICES[provider]}
    if stored is not None:
        prefix = _HARNESSES.get(provider, (None, None, None, ""))[3]
        answer["key_valid"] = stored.value.startswith(prefix)
        if not answer["key_valid"]:
            answer["key_error"] = f"The stored key does not look like a {_SERVICES[provider]} key."
    if provider in _HARNESSES:
        harness, package, binary, _ = _HARNESSES[provider]
        answer.update(harness=harness, package=package, binary=binary)
    return json_response(answer)


# -- /api/models -----------------------------------------------------------------------------

_IMAGE_TAGS = {"vision", "image", "image-input", "multimodal"}
_AUDIO_TAGS = {"audio", "audio-input", "speech"}
_TOOL_TAGS = {"tool-use", "tool_use", "tools", "function-calling", "function_calling"}
_REASONING_TAGS = {"reasoning", "thinking"}


def _per_token(price: float | None) -> float | None:
    return None if price is None else price / 1_000_000


def _catalog_row(model: Model, enabled: bool | None) -> dict[str, Any]:
    recommendation = model.recommendation or {}
    row = {
        "id": model.id, "provider": model.provider, "name": model.name, "context_length": model.context_length,
        "pricing_input": _per_token(model.pricing_input), "pricing_output": _per_token(model.pricing_output),
        "capabilities": list(model.capabilities), "is_available": model.available, "is_hidden": not model.visible,
        "is_recommended": bool(recommendation), "recommendation_bucket": recommendation.get("bucket"),
        "recommendation_rank": recommendation.get("rank"), "recommendation_reason": recommendation.get("reason"),
        "recommended_at": recommendation.get("at"),
    }
    if enabled is not None:
        row["is_enabled"] = enabled
    return row


def _cli_row(model: Model) -> dict[str, Any]:
    tags = {tag.lower() for tag in model.capabilities}
    modalities = ["text"] + (["image"] if tags & _IMAGE_TAGS else []) + (["audio"] if tags & _AUDIO_TAGS else [])
    tools = bool(tags & _TOOL_TAGS)
    row: dict[str, Any] = {
        "slug": model.id, "provider": model.provider, "displayName": model.name, "inputModalities": modalities,
        "caps": {"streaming": True, "toolUse": tools, "reasoningEffort": bool(tags & _REASONING_TAGS),
                 "parallelToolCalls": tools},
    }
    if isinstance(model.context_length, int):
        row["contextWindow"] = model.context_length
    if model.pricing_input is not None and model.pricing_output is not None:
        row["pricing"] = {"inputPerMillion": model.pricing_input, "outputPerMillion": model.pricing_output,
                          "currency": "USD"}
    return row


async def get_models(call: Call) -> web.Response:
    world = call.world
    anonymous = [model for model in world.models if model.available and model.visible]
    cli = call.query("format") == "cli"
    if call.identity is None:
        if cli:
            return json_response([_cli_row(model) for model in anonymous])
        rows = [_catalog_row(model, None) for model in anonymous]
        return json_response({"models": rows, "catalog": rows})
    user_id = call.user_id
    enabled = {model.id: world.model_enabled(user_id, model) for model in world.models}
    selectable = [model for model in world.models if model.visible and enabled[model.id]]
    if cli:
        return json_response([_cli_row(model) for model in selectable if model.available])
    return json_response({
        "models": [_catalog_row(model, True) for model in selectable],
        "catalog": [_catalog_row(model, enabled[model.id]) for model in world.models],
        "default_model": _default_model(world.users[user_id].default_model, selectable),
    })


async def patch_models(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.unguarded_body()
    if not isinstance(body.get("model_id"), str) or not isinstance(body.get("is_enabled"), bool):
        raise flat_error(400, "model_id and is_enabled required")
    if any(field in body for field in CATALOG_FIELDS):
        raise flat_error(400, "Global model catalog updates are not allowed from /api/models. "
                              "Use the sync-models cron instead.")
    call.world.model_preferences.set(user_id, body["model_id"], body["is_enabled"])
    return json_response({"ok": True})


# -- /api/auth/logout --------------------------------------------------------------------------

async def logout(call: Call) -> web.Response:
    response = json_response({"ok": True})
    response.del_cookie("user_id", path="/")
    return response


async def logout_redirect(call: Call) -> web.Response:
    return web.Response(status=307, headers={"Location": f"{request_origin(call.request)}/login"})
