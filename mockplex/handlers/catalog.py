"""Read-only catalog routes: repos, agents, models, external MCP servers (spec §4)."""

from __future__ import annotations

from aiohttp import web

from mockplex.call import Call
from mockplex.ids import is_strict_uuid
from mockplex.responses import ok
from mockplex.validation import parse_limit


async def list_repos(call: Call) -> web.Response:
    limit = parse_limit(call.query("limit"), 100, 200)
    repo_id = call.trimmed_query("id")
    if repo_id is not None:
        repo = call.world.owned_repo(call.user_id, repo_id) if is_strict_uuid(repo_id) else None
        repos = [repo] if repo is not None and not repo.hidden else []
    else:
        repos = call.world.list_repos(call.user_id, call.trimmed_query("q"), limit)
    return ok({"repos": [repo.to_api() for repo in repos]})


async def list_agents(call: Call) -> web.Response:
    return ok({"agents": call.world.list_agents(call.user_id)})


async def list_models(call: Call) -> web.Response:
    return ok({"models": [model.to_api() for model in call.world.available_models(call.user_id)]})


async def list_mcp_servers(call: Call) -> web.Response:
    servers = call.world.list_mcp_servers(call.user_id)
    return ok({"servers": [server.to_api() for server in servers]})
