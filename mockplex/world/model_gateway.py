"""The AI gateway's model list (what GET /api/cron/sync-models fetches) and the sync it
drives over the world's catalogue.

The gateway answers the same list every time: a language model is kept when it is tagged
tool-use and not released more than nine months before the sync; prices are USD per
token, as strings. No two Anthropic rows in it share a Claude family and a price, so the
newest-version policy retains every row and records no supersession; the world keeps no
supersession mappings and no pins to upgrade.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from mockplex.world.records import Model

TODAY_SECONDS = 1_760_000_000  # 2025-10-09: a release the nine-month window still keeps
OLD_SECONDS = 1_700_000_000  # 2023-11-14: long past it


@dataclass(frozen=True)
class GatewayModel:
    id: str
    name: str
    owned_by: str
    type: str = "language"
    context_window: int | None = None
    tags: tuple[str, ...] = ()
    released: int | None = None
    input: str | None = None
    output: str | None = None


GATEWAY = (
    GatewayModel("anthropic/claude-sonnet-4.6", "Claude Sonnet 4.6", "anthropic", context_window=200000,
                 tags=("reasoning", "tool-use", "vision"), released=TODAY_SECONDS,
                 input="0.000003", output="0.000015"),
    GatewayModel("anthropic/claude-haiku-4.5", "Claude Haiku 4.5", "anthropic", context_window=200000,
                 tags=("tool-use", "vision"), input="0.000001", output="0.000005"),
    GatewayModel("openai/gpt-5.1-codex", "GPT-5.1 Codex", "openai", context_window=400000,
                 tags=("reasoning", "tool-use"), input="0.00000125", output="0.00001"),
    GatewayModel("openai/gpt-5-mini", "GPT-5 mini", "openai", context_window=400000,
                 tags=("tool-use", "vision"), input="0.00000025", output="0.000002"),
    GatewayModel("minimax/minimax-m2.7", "MiniMax M2.7", "minimax", context_window=204800,
                 tags=("reasoning", "tool-use"), input="0.0000003", output="0.0000012"),
    GatewayModel("google/gemini-2.5-pro", "Gemini 2.5 Pro", "google", context_window=1048576,
                 tags=("reasoning", "tool-use", "vision"), input="0.00000125", output="0.00001"),
    GatewayModel("xai/grok-code-fast-1", "Grok Code Fast 1", "xai", context_window=256000,
                 tags=("reasoning", "tool-use"), input="0.0000002", output="0.0000015"),
    GatewayModel("deepseek/deepseek-v3.2", "DeepSeek V3.2", "deepseek", context_window=163840,
                 tags=("reasoning", "tool-use"), released=TODAY_SECONDS, input="0.00000027", output="0.0000004"),
    GatewayModel("meta/llama-3.1-70b", "Llama 3.1 70B", "meta", context_window=128000,
                 tags=("tool-use",), released=OLD_SECONDS, input="0.00000072", output="0.00000072"),
    GatewayModel("mistral/ministral-3b", "Ministral 3B", "mistral", context_window=128000,
                 input="0.00000004", output="0.00000004"),
    GatewayModel("openai/text-embedding-3-small", "text-embedding-3-small", "openai", type="embedding",
                 input="0.00000002"),
)

FRONTIER_PREFERRED = ("anthropic/claude-opus-4.8", "anthropic/claude-sonnet-5", "anthropic/claude-sonnet-4.6",
                      "openai/gpt-5.4", "google/gemini-2.5-pro", "xai/grok-4.1-non-reasoning",
                      "google/gemini-3-pro-preview")
OPEN_PREFERRED = ("minimax/minimax-m2.7", "minimax/minimax-m2.5", "openai/gpt-oss-120b", "deepseek/deepseek-v3.2",
                  "mistral/mixtral-8x22b-instruct", "mistral/mistral-small", "mistral/ministral-8b",
                  "meta/llama-4-maverick", "qwen/qwen3-235b-a22b-thinking-2507", "google/gemma-3-27b-it",
                  "nvidia/nemotron-3-ultra-550b-a55b")
FRONTIER_PROVIDERS = {"anthropic", "google", "openai", "xai"}
OPEN_PATTERNS = tuple(re.compile(pattern, re.IGNORECASE) for pattern in (
    r"^minimax/", r"/gpt-oss-", r"^deepseek/", r"^meta/llama", r"^qwen/",
    r"^mistral/(mixtral|ministral|mistral-small|mistral-nemo)", r"^google/gemma", r"^nvidia/nemotron",
    r"^allenai/olmo"))
BUCKETS = (("frontier", FRONTIER_PREFERRED, ("frontier_latest_general", "frontier_fast_general")),
           ("open", OPEN_PREFERRED, ("open_best_general", "open_best_economy")))
PROVIDER_SLUG = re.compile(r"^[a-z0-9]+(?:[a-z0-9_-]*[a-z0-9])?$")
PINS_UPGRADED = {"flows": 0, "agents": 0, "profiles": 0}


def nine_months_before(moment: datetime) -> int:
    """`setMonth(getMonth() - 9)` in UTC, a day past the month's end rolling over, in seconds."""
    moment = moment.astimezone(timezone.utc)
    months = moment.year * 12 + moment.month - 1 - 9
    first = moment.replace(year=months // 12, month=months % 12 + 1, day=1)
    return int(first.timestamp()) + (moment.day - 1) * 86400


def language_models(now: datetime) -> list[GatewayModel]:
    cutoff = nine_months_before(now)
    return [model for model in GATEWAY if model.type == "language" and "tool-use" in model.tags
            and (model.released is None or model.released >= cutoff)]


def provider_icon_providers(models: list[GatewayModel]) -> list[str]:
    providers = dict.fromkeys(model.owned_by.strip().lower() for model in models)
    return [provider for provider in providers if PROVIDER_SLUG.match(provider)]


def _is_open(model: GatewayModel) -> bool:
    return any(pattern.search(model.id) for pattern in OPEN_PATTERNS)


def _is_frontier(model: GatewayModel) -> bool:
    return model.owned_by in FRONTIER_PROVIDERS and not _is_open(model)


def _fallback_key(model: GatewayModel) -> tuple[Any, ...]:
    label = f"{model.id} {model.name}".lower()
    preview = any(word in label for word in ("preview", "experimental", "beta"))
    price = _price(model.input)
    return ("tool-use" not in {tag.lower() for tag in model.tags}, preview,
            price if price is not None else float(2 ** 53 - 1), -(model.context_window or 0), model.name.lower())


def recommendations(models: list[GatewayModel]) -> dict[str, tuple[str, int, str]]:
    """computeModelRecommendations: two per bucket, preferred ids first, then the fallback order."""
    chosen: dict[str, tuple[str, int, str]] = {}
    for bucket, preferred, reasons in BUCKETS:
        matches = _is_frontier if bucket == "frontier" else _is_open
        ranked = sorted((model for model in models if matches(model)),
                        key=lambda model: (preferred.index(model.id) if model.id in preferred else len(preferred),
                                           _fallback_key(model) if model.id not in preferred else ()))
        for rank, model in enumerate(ranked[:2], start=1):
            chosen[model.id] = (bucket, rank, reasons[rank - 1])
    return chosen


def _price(text: str | None) -> float | None:
    match = re.match(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text or "")
    return float(match.group(0)) if match else None


def _per_million(text: str | None) -> float | None:
    """The catalogue keeps USD per million and shows it divided back: the stored value is
    the one whose quotient is the gateway's per-token price exactly."""
    price = _price(text)
    if price is None:
        return None
    stored = round(price * 1_000_000, 9)
    for candidate in (stored, math.nextafter(stored, math.inf), math.nextafter(stored, -math.inf)):
        if candidate / 1_000_000 == price:
            return candidate
    return stored


def sync(catalogue: list[Model], now: datetime, recommended_at: str) -> dict[str, int]:
    """Upsert every kept gateway row (is_hidden untouched), then hide what the gateway no
    longer lists. Returns the counts the route reports."""
    kept = language_models(now)
    chosen = recommendations(kept)
    by_id = {model.id: model for model in catalogue}
    for row in kept:
        model = by_id.get(row.id)
        if model is None:
            model = Model(id=row.id, provider=row.owned_by, name=row.name, context_length=None, capabilities=[],
                          pricing_input=None, pricing_output=None, visible=True, available=True,
                          enabled_by_default=True, created_at=now)
            catalogue.append(model)
        model.provider, model.name, model.context_length = row.owned_by, row.name, row.context_window
        model.capabilities, model.available = list(row.tags), True
        model.pricing_input, model.pricing_output = _per_million(row.input), _per_million(row.output)
        pick = chosen.get(row.id)
        model.recommendation = None if pick is None else {
            "bucket": pick[0], "rank": pick[1], "reason": pick[2], "at": recommended_at}
    synced = {row.id for row in kept}
    for model in catalogue:
        if model.id not in synced:
            model.available, model.visible, model.recommendation = False, False, None
    return {"synced": len(kept), "total_gateway": len(kept), "recommended": len(chosen),
            "icons": len(provider_icon_providers(kept))}
