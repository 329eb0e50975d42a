"""What the automation editor asks before it offers a harness: GET /api/automations/harnesses.

The sandbox's AI access is resolved as the server does: the user's own AI Gateway key
first, then the platform's gateway (configured in the world) when the user's plan allows
hosted AI, then direct Anthropic / OpenAI keys for the harness that speaks to each."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.responses import json_response

HOSTED_AI_REFUSED = ("Hosted AI requires a positive billing balance. Add funds or choose a plan in Settings > "
                     "Billing, or add your own {} or AI Gateway key in Settings > API Keys.")
# Which direct provider key each sandbox harness can run on without a gateway.
HARNESS_PROVIDERS = (("claude-code", "anthropic", "Anthropic"), ("codex", "openai", "OpenAI"))


def gateway_source(call: Call, user_id: str) -> str | None:
    if "ai_gateway" in call.world.provider_keys.providers(user_id):
        return "user_ai_gateway"
    if call.world.users[user_id].platform_ai:
        return "platform_ai_gateway"
    return None


def _availability(source: str | None, reason: str | None) -> dict[str, Any]:
    return {"available": source is not None, "billingSource": source, "reason": reason}


async def harnesses(call: Call) -> web.Response:
    user_id = call.require_user()
    gateway = gateway_source(call, user_id)
    keys = call.world.provider_keys.providers(user_id)
    listed = {"mogplex": _availability("mogplex", None)}
    for harness, provider, label in HARNESS_PROVIDERS:
        if gateway is not None:
            listed[harness] = _availability(gateway, None)
        elif provider in keys:
            listed[harness] = _availability("direct_provider", None)
        else:
            # The platform gateway is configured, so no access here means the plan refused it.
            listed[harness] = _availability(None, HOSTED_AI_REFUSED.format(label))
    return json_response({"harnesses": listed})
