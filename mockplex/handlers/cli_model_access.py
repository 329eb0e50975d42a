"""Which model a CLI completion runs on, and whether the caller may reach it.

The server first names the model (an explicit `provider/model`, a bare catalogue id, else
the user's usable default), then asks the language-model resolver: in a team scope the
member's role and the team's allowlist gate it (each denial leaves a `model.denied` audit
row), then a key of the caller's (the team's first in a team scope) or the platform's AI
Gateway must reach it. Every refusal is the route's `{"error":{"message"}}` 400; an
allowlist that cannot be read is a 503 with Retry-After.
"""

from __future__ import annotations

from typing import Any

from mockplex.call import Call
from mockplex.handlers.models_web import pick_default
from mockplex.handlers.team_models import team_gate_refusal
from mockplex.ids import is_strict_uuid
from mockplex.responses import JsonError
from mockplex.validation import js_trim
from mockplex.world.records import TEMPLATE_MODEL
from mockplex.world.teams import has_capability, model_capability

TEAM_HEADER = "x-mogplex-team-id"
ALLOWLIST_RETRY_AFTER_SECONDS = 5
ALLOWLIST_UNAVAILABLE = "Couldn't verify the team's model allowlist. Please try again."
_BILLING = "Hosted AI requires a positive billing balance. Add funds or choose a plan in Settings > Billing, or add "
# Per provider with a direct key: (the key's name in the refusal, the refusal without a gateway).
DIRECT_PROVIDERS = {
    "openai": ("OpenAI", ("No OpenAI API key configured. Add one in Settings > API Keys or configure an AI "
                          "Gateway key.")),
    "anthropic": ("Anthropic", ("No Anthropic API key configured. Add one in Settings > API Keys or configure an AI "
                               "Gateway key.")),
    "openrouter": ("OpenRouter", ("No OpenRouter API key configured. Add one in Settings > API Keys or switch to an AI "
                                 "Gateway, OpenAI, or Anthropic model.")),
}


def completion_error(status: int, message: str, headers: dict[str, str] | None = None) -> JsonError:
    """The route's own error shape: the message nested the way OpenAI clients read it."""
    return JsonError(status, {"error": {"message": message}}, headers=headers)


def active_team(call: Call) -> str | None:
    """The team header, trimmed; a value that is not a uuid is the personal scope."""
    raw = (call.request.headers.get(TEAM_HEADER) or "").strip()
    return raw if is_strict_uuid(raw) else None


def cli_model_id(call: Call, user_id: str, requested: Any) -> str:
    """The model the request names when the catalogue knows it, else the user's usable default."""
    if requested is not None and not isinstance(requested, str):
        raise completion_error(400, "requestedModel?.trim is not a function")
    explicit = js_trim(requested or "")
    if "/" in explicit:
        return explicit
    listed = next((model for model in call.world.models if model.id == explicit), None) if explicit else None
    if listed is not None:
        return f"{listed.provider}/{explicit}"
    world = call.world
    return pick_default(world.users[user_id].default_model, world.available_models(user_id)) or TEMPLATE_MODEL


def _check_team_policy(call: Call, user_id: str, model_id: str, team_id: str) -> None:
    """The resolver's team gates; an allowlist it cannot read fails between the role's and the allowlist's."""
    role = call.world.teams.role_of(user_id, team_id)
    if (call.world.outside.cli_inference_model == "allowlist_unavailable"
            and has_capability(role, model_capability(model_id))):
        raise completion_error(503, ALLOWLIST_UNAVAILABLE, {"Retry-After": str(ALLOWLIST_RETRY_AFTER_SECONDS)})
    refusal = team_gate_refusal(call, user_id, model_id, team_id)
    if refusal is not None:
        raise completion_error(400, refusal)


def check_model_access(call: Call, user_id: str, model_id: str, team_id: str | None) -> None:
    """Raise the resolver's refusal when nothing lets the caller invoke the model."""
    model_id = js_trim(model_id)
    provider, _, provider_model = model_id.partition("/")
    if team_id is not None:
        _check_team_policy(call, user_id, model_id, team_id)
    world = call.world
    keys = world.provider_keys.providers(user_id) | (world.team_settings.key_providers(team_id) if team_id else set())
    gateway_configured = world.outside.cli_inference_model != "gateway_unconfigured"
    platform = world.users[user_id].platform_ai
    through_openrouter = provider == "openrouter" and bool(provider_model)
    if not through_openrouter and ("ai_gateway" in keys or (gateway_configured and platform)):
        return
    billing_refusal = gateway_configured and not platform
    if provider in DIRECT_PROVIDERS and provider_model:
        if provider in keys:
            return
        key_name, no_gateway = DIRECT_PROVIDERS[provider]
        raise completion_error(400, f"{_BILLING}your own {key_name} or AI Gateway key in Settings > API Keys."
                               if billing_refusal else no_gateway)
    raise completion_error(400, f"{_BILLING}your own AI Gateway or provider key in Settings > API Keys."
                           if billing_refusal else
                           f'Model provider "{provider or model_id}" is not supported without AI Gateway. Add an AI '
                           "Gateway key in Settings > API Keys or switch to an OpenAI, Anthropic, or OpenRouter model.")
