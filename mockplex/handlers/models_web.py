"""The model catalogue as the web app sees it: /api/models (the catalogue, what the caller
can reach, their switches and default)."""

from __future__ import annotations

from typing import Any, Callable

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.web_bodies import unguarded_fields
from mockplex.ids import is_strict_uuid
from mockplex.responses import flat_error, json_response
from mockplex.world.records import TEMPLATE_MODEL, Model, User
from mockplex.world.team_settings import UNRESTRICTED

CATALOG_FIELDS = ("provider", "name", "context_length", "capabilities", "is_available", "is_hidden",
                  "pricing_input", "pricing_output")


# Catalog names the server rewrites on every read (the synced names lag the launches).
_NAME_OVERRIDES = {"anthropic/claude-fable-5": "Claude Fable 5", "anthropic/claude-opus-4.8": "Claude Opus 4.8",
                   "anthropic/claude-sonnet-5": "Claude Sonnet 5", "anthropic/claude-sonnet-4.6": "Claude Sonnet 4.6"}


def _shown_name(model: Model) -> str:
    return _NAME_OVERRIDES.get(model.id, model.name)


def _selection_order(model: Model) -> tuple[str, str, str]:
    return model.provider.casefold(), _shown_name(model).casefold(), model.id


def pick_default(stored: str | None, usable: list[Model]) -> str | None:
    """The stored default when usable, else the template model, else the first usable one
    in provider, name, id order."""
    ids = [model.id for model in sorted(usable, key=_selection_order)]
    for candidate in (stored, TEMPLATE_MODEL):
        if candidate in ids:
            return candidate
    return ids[0] if ids else None


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


def active_team(call: Call) -> str | None:
    """readActiveTeamIdHeader: a well-formed x-mogplex-team-id; anything else is personal scope."""
    team_id = call.request.headers.get("x-mogplex-team-id", "").strip()
    return team_id.lower() if is_strict_uuid(team_id) else None


def reachable_for(call: Call, user: User, team_id: str | None = None) -> Callable[[Model], bool]:
    """Whether the caller's keys or platform access can invoke a model: openrouter/* needs
    an OpenRouter key; the AI Gateway (a key of the user's, or platform AI) reaches the
    rest; without it only direct OpenAI and Anthropic keys reach their own models. In a
    team's scope a member also holds the team's keys."""
    keys = call.world.provider_keys.providers(user.id)
    if team_id is not None and call.world.teams.is_member(user.id, team_id):
        keys = keys | call.world.team_settings.key_providers(team_id)
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
    team_id = active_team(call)
    reachable = reachable_for(call, user, team_id)
    allowlist = world.team_settings.allowlist_state(team_id) if team_id else UNRESTRICTED
    offered = [model for model in catalog if model.visible and enabled[model.id] and reachable(model)
               and allowlist.permits(model.id)]
    if cli:
        return json_response([_cli_row(model) for model in offered if model.available])
    default = pick_default(user.default_model, [model for model in offered if model.available])
    return json_response({
        "models": [_catalog_row(model, True) for model in offered],
        "catalog": [_catalog_row(model, enabled[model.id]) for model in catalog],
        "default_model": default,
    })


async def patch_models(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await unguarded_fields(call)
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
