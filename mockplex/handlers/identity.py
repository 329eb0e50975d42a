"""Identity and settings (internal spec §2.1): /api/auth/user, /api/settings and its keys,
and /api/models."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any, Callable

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.ids import pg_uuid
from mockplex.names import SCOPES
from mockplex.responses import EmptyResponse, JsonError, flat_error, json_response, request_origin
from mockplex.world.records import TEMPLATE_MODEL, Model, User
from mockplex.world.tokens import new_pat
from mockplex.world.user_settings import provider_answer

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


# String.prototype.trim's whitespace (Python's strip() differs at the edges).
JS_WHITESPACE = " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
                "\u2028\u2029\u202f\u205f\u3000\ufeff"
JS_MAX_MS = 8_640_000_000_000_000  # the last instant a JavaScript Date can hold
_DAY_MS = 86_400_000
_GREGORIAN_CYCLE_DAYS = 146_097  # the calendar repeats every 400 years
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def js_iso(moment: datetime) -> str:
    """Date.prototype.toISOString: milliseconds and a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _js_iso_ms(epoch_ms: int) -> str:
    """toISOString for any positive Date value, years past 9999 in the six-digit form."""
    days, rest_ms = divmod(epoch_ms, _DAY_MS)
    cycles, days = divmod(days, _GREGORIAN_CYCLE_DAYS)
    moment = _EPOCH + timedelta(days=days, milliseconds=rest_ms)
    year = moment.year + 400 * cycles
    text = js_iso(moment)[4:]
    return (f"{year:04d}" if year <= 9999 else f"+{year:06d}") + text


def _js_length(text: str) -> int:
    """String.prototype.length: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _next_cookie(name: str, value: str, *, expires: datetime | None = None, max_age: int | None = None,
                 http_only: bool = False, same_site: str | None = None) -> str:
    """A Set-Cookie line as Next.js's response cookies write it (attribute order included)."""
    attributes = ["Path=/"]
    if expires is not None:
        attributes.append("Expires=" + format_datetime(expires.astimezone(timezone.utc), usegmt=True))
    if max_age is not None:
        attributes.append(f"Max-Age={max_age}")
    if http_only:
        attributes.append("HttpOnly")
    if same_site:
        attributes.append(f"SameSite={same_site}")
    return "; ".join([f"{name}={value}", *attributes])


def _lasting_cookie(call: Call, name: str, value: str, seconds: int, **flags: Any) -> str:
    """cookies.set with a maxAge: Next.js adds the matching Expires."""
    return _next_cookie(name, value, expires=call.now + timedelta(seconds=seconds), max_age=seconds, **flags)


def _fields(body: Any) -> dict[str, Any]:
    """What `body.x` reads: a JSON null throws (the framework's empty 500); any other
    non-object has no fields."""
    if body is None:
        raise EmptyResponse(500)
    return body if isinstance(body, dict) else {}


async def _guarded_fields(call: Call) -> dict[str, Any]:
    """A handler that catches request.json(): malformed JSON is its own 400."""
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise flat_error(400, "Invalid JSON body")
    return _fields(body)


async def _unguarded_fields(call: Call) -> dict[str, Any]:
    """A handler that lets request.json() throw: malformed JSON is the framework's empty 500."""
    body = await call.body()
    if body is jsonio.NOT_JSON:
        raise EmptyResponse(500)
    return _fields(body)


# -- /api/auth/user ------------------------------------------------------------------

async def auth_user(call: Call) -> web.Response:
    if call.identity is None:
        return json_response({"user": None})
    user = call.world.users[call.user_id]
    response = json_response({"user": _user_payload(call, user)})
    if _looks_for_installations(call, user):
        # GitHub shows no installation this world does not already hold: the server says
        # so with a cookie that spares GitHub the next five minutes of refetches.
        response.headers.add("Set-Cookie", _lasting_cookie(call, "github_reconcile_skip", "1", 300, http_only=True))
    return response


def _looks_for_installations(call: Call, user: User) -> bool:
    """With no installation and no covered repo, the server asks GitHub, unless the skip
    cookie says it asked recently."""
    world = call.world
    if not world.github_app_configured or call.request.cookies.get("github_reconcile_skip") == "1":
        return False
    installed = any(item.user_id == user.id for item in world.installations.values())
    covered = any(repo.user_id == user.id and repo.installation_id for repo in world.repos.values())
    return not installed and not covered


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

# Catalog names the server rewrites on every read (the synced names lag the launches).
_NAME_OVERRIDES = {"anthropic/claude-fable-5": "Claude Fable 5", "anthropic/claude-opus-4.8": "Claude Opus 4.8",
                   "anthropic/claude-sonnet-5": "Claude Sonnet 5", "anthropic/claude-sonnet-4.6": "Claude Sonnet 4.6"}


def _shown_name(model: Model) -> str:
    return _NAME_OVERRIDES.get(model.id, model.name)


def _selection_order(model: Model) -> tuple[str, str, str]:
    return model.provider.casefold(), _shown_name(model).casefold(), model.id


def _pick_default(stored: str | None, usable: list[Model]) -> str | None:
    """The stored default when usable, else the template model, else the first usable one
    in provider, name, id order."""
    ids = [model.id for model in sorted(usable, key=_selection_order)]
    for candidate in (stored, TEMPLATE_MODEL):
        if candidate in ids:
            return candidate
    return ids[0] if ids else None


def _theme_cookie(call: Call, response: web.Response, theme: str) -> None:
    response.headers.add("Set-Cookie", _lasting_cookie(call, "mogplex-theme", theme, 31536000, same_site="lax"))


async def get_settings(call: Call) -> web.Response:
    user = call.world.users[call.require_user()]
    default = _pick_default(user.default_model, call.world.available_models(user.id)) or TEMPLATE_MODEL
    response = json_response({"default_model": default, "theme": user.theme})
    if user.theme in THEMES:
        _theme_cookie(call, response, user.theme)
    return response


async def patch_settings(call: Call) -> web.Response:
    user = call.world.users[call.require_user()]
    body = await _unguarded_fields(call)
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
        _theme_cookie(call, response, theme)
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


def _key_scopes(scopes: Any) -> tuple[str, ...]:
    if scopes is None:
        return SCOPES
    if not isinstance(scopes, list):
        raise flat_error(400, "scopes must be an array of strings")
    if not scopes:
        raise flat_error(400, "scopes must include at least one entry")
    if any(not isinstance(scope, str) or scope not in SCOPES for scope in scopes):
        raise flat_error(400, f"Invalid scope value. Allowed: {', '.join(SCOPES)}.")
    return tuple(dict.fromkeys(scopes))


def _key_expiry(now: datetime, days: Any) -> tuple[str | None, datetime | None]:
    """expiresInDays the way Date.setDate takes it: whole days only (0.5 expires now), and a
    date past what a Date can hold throws (the framework's empty 500)."""
    if not isinstance(days, (int, float)) or isinstance(days, bool) or not days > 0:
        return None, None
    now_ms = (now - _EPOCH) // timedelta(milliseconds=1)
    expiry_ms = now_ms + math.trunc(days) * _DAY_MS
    if expiry_ms > JS_MAX_MS:
        raise EmptyResponse(500)
    try:
        stored = _EPOCH + timedelta(milliseconds=expiry_ms)
    except OverflowError:
        stored = datetime.max.replace(tzinfo=timezone.utc)
    return _js_iso_ms(expiry_ms), stored


async def create_api_key(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _guarded_fields(call)
    name = body["name"].strip(JS_WHITESPACE) if isinstance(body.get("name"), str) else ""
    if not 1 <= _js_length(name) <= 100:
        raise flat_error(400, "Name is required (1-100 characters)")
    scopes = _key_scopes(body.get("scopes"))
    expires_at, stored_expiry = _key_expiry(call.now, body.get("expiresInDays"))
    token, pat = new_pat(user_id=user_id, key_id=call.world.ids.uuid(), name=name, scopes=scopes,
                         created_at=call.now, expires_in_days=None, length=32)
    pat.expires_at = stored_expiry
    call.world.tokens.add(pat)
    return json_response({"id": pat.id, "token": token, "prefix": pat.prefix, "scopes": list(scopes),
                          "expiresAt": expires_at})


def _uuid_syntax_error(text: str) -> JsonError:
    """What the route passes on when Postgres cannot read an id as a uuid (22P02)."""
    return flat_error(500, f'invalid input syntax for type uuid: "{text}"')


async def revoke_api_key(call: Call) -> web.Response:
    """The update asks for no row count, so the route's 404 never fires: any well-formed id
    answers ok, whether it named a live key of the caller's or not."""
    user_id = call.require_user()
    key_id = pg_uuid(call.params["id"])
    if key_id is None:
        raise _uuid_syntax_error(call.params["id"])
    for pat in call.world.tokens.pats():
        if pat.id == key_id and pat.user_id == user_id and pat.revoked_at is None:
            pat.revoked_at = call.now
    return json_response({"ok": True})


# -- /api/settings/keys (provider keys) ----------------------------------------------------

async def list_provider_keys(call: Call) -> web.Response:
    stored = call.world.provider_keys.listed(call.require_user())
    return json_response({"keys": [{"provider": key.provider, "created_at": format_timestamp(key.created_at),
                                    "updated_at": format_timestamp(key.updated_at)} for key in stored]})


async def _provider_body(call: Call) -> dict[str, Any]:
    body = await _guarded_fields(call)
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


# -- /api/models -----------------------------------------------------------------------------

_IMAGE_TAGS = {"vision", "image", "image-input", "multimodal"}
_AUDIO_TAGS = {"audio", "audio-input", "speech"}
_TOOL_TAGS = {"tool-use", "tool_use", "tools", "function-calling", "function_calling"}
_REASONING_TAGS = {"reasoning", "thinking"}


def _per_token(price: float | None) -> float | None:
    """The catalog stores USD per token; the fixtures say USD per million."""
    return None if price is None else price / 1_000_000


def _catalog_row(model: Model, enabled: bool | None) -> dict[str, Any]:
    recommendation = model.recommendation or {}
    row = {
        "id": model.id, "provider": model.provider, "name": _shown_name(model),
        "context_length": model.context_length, "pricing_input": _per_token(model.pricing_input),
        "pricing_output": _per_token(model.pricing_output), "capabilities": list(model.capabilities),
        "is_available": model.available, "is_hidden": not model.visible,
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
        "slug": model.id, "provider": model.provider, "displayName": _shown_name(model),
        "inputModalities": modalities,
        "caps": {"streaming": True, "toolUse": tools, "reasoningEffort": bool(tags & _REASONING_TAGS),
                 "parallelToolCalls": tools},
    }
    if isinstance(model.context_length, int):
        row["contextWindow"] = model.context_length
    if model.pricing_input is not None and model.pricing_output is not None:
        # Back from the stored per-token price, float rounding and all.
        row["pricing"] = {"inputPerMillion": _per_token(model.pricing_input) * 1_000_000,
                          "outputPerMillion": _per_token(model.pricing_output) * 1_000_000, "currency": "USD"}
    return row


def _reachable(call: Call, user: User) -> Callable[[Model], bool]:
    """Whether the caller's keys or platform access can invoke a model: openrouter/* needs
    an OpenRouter key; the AI Gateway (a key of the user's, or platform AI) reaches the
    rest; without it only direct OpenAI and Anthropic keys reach their own models."""
    keys = call.world.provider_keys.providers(user.id)
    gateway = "ai_gateway" in keys or user.platform_ai

    def reachable(model: Model) -> bool:
        provider = model.id.split("/")[0]
        if provider == "openrouter":
            return "openrouter" in keys
        return gateway or (provider in ("openai", "anthropic") and provider in keys)
    return reachable


async def get_models(call: Call) -> web.Response:
    world = call.world
    catalog = sorted(world.models, key=lambda model: model.provider)  # ORDER BY provider
    cli = call.query("format") == "cli"
    if call.identity is None:
        anonymous = [model for model in catalog if model.available and model.visible]
        if cli:
            return json_response([_cli_row(model) for model in anonymous])
        rows = [_catalog_row(model, None) for model in anonymous]
        return json_response({"models": rows, "catalog": rows})
    user = world.users[call.user_id]
    enabled = {model.id: world.model_enabled(user.id, model) for model in catalog}
    reachable = _reachable(call, user)
    offered = [model for model in catalog if model.visible and enabled[model.id] and reachable(model)]
    if cli:
        return json_response([_cli_row(model) for model in offered if model.available])
    default = _pick_default(user.default_model, [model for model in offered if model.available])
    return json_response({
        "models": [_catalog_row(model, True) for model in offered],
        "catalog": [_catalog_row(model, enabled[model.id]) for model in catalog],
        "default_model": default,
    })


async def patch_models(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await _unguarded_fields(call)
    model_id = body.get("model_id") if isinstance(body.get("model_id"), str) else ""
    if not model_id or not isinstance(body.get("is_enabled"), bool):
        raise flat_error(400, "model_id and is_enabled required")
    if any(field in body for field in CATALOG_FIELDS):
        raise flat_error(400, "Global model catalog updates are not allowed from /api/models. "
                              "Use the sync-models cron instead.")
    if model_id not in {model.id for model in call.world.models}:
        raise flat_error(500, 'insert or update on table "user_model_preferences" violates foreign key '
                              'constraint "user_model_preferences_model_id_fkey"')
    call.world.model_preferences.set(user_id, model_id, body["is_enabled"])
    return json_response({"ok": True})


# -- /api/auth/logout --------------------------------------------------------------------------

# better-auth's sign-out clears these (the snapshot and remember-me cookies with the token).
_BETTER_AUTH_CLEARED = ("better-auth.session_token", "better-auth.session_data", "better-auth.dont_remember")


def _sign_out(call: Call, response: web.Response) -> web.Response:
    """Delete the caller's session, clear its cookies the way the backend's client does,
    then the legacy user_id cookie."""
    sessions = call.world.sessions
    sessions.sign_out(call.request.cookies)
    if sessions.backend == "better-auth":
        cleared = [_next_cookie(name, "", max_age=0, http_only=True, same_site="Lax") for name in _BETTER_AUTH_CLEARED]
    else:
        cleared = [_next_cookie(name, "", max_age=0, same_site="lax")
                   for name in sessions.present_cookies(call.request.cookies)]
    for line in [*cleared, _next_cookie("user_id", "", expires=_EPOCH)]:
        response.headers.add("Set-Cookie", line)
    return response


async def logout(call: Call) -> web.Response:
    return _sign_out(call, json_response({"ok": True}))


async def logout_redirect(call: Call) -> web.Response:
    return _sign_out(call, web.Response(status=307, headers={"Location": f"{request_origin(call.request)}/login"}))
