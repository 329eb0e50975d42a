"""GET /api/cron/sync-models, past the gate's cron-secret check: the model catalogue
synced from the AI gateway the world plays (world/model_gateway.py). What it changes is
what GET /api/models and v1 GET /models list."""

from __future__ import annotations

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.responses import flat_error, json_response
from mockplex.world import model_gateway


async def sync_models(call: Call) -> web.Response:
    world = call.world
    if world.outside.model_gateway == "failing":
        raise flat_error(502, "Failed to fetch AI Gateway models")
    counts = model_gateway.sync(world.models, call.now, format_timestamp(call.now))
    icons = counts["icons"]
    return json_response({
        "synced": counts["synced"], "total_gateway": counts["total_gateway"], "recommended": counts["recommended"],
        "provider_icons_attempted": 0, "provider_icons_upserted": 0, "provider_icons_failed": 0,
        "provider_icons_status": "deferred" if icons else "not_scheduled", "provider_icons_scheduled": icons,
        "reconcile_status": "ok", "supersessions_recorded": 0, "supersessions_purged": 0,
        "pins_upgraded": dict(model_gateway.PINS_UPGRADED),
    })
