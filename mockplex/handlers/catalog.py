"""Read-only catalog routes: repos, agents, models, external MCP servers (spec §4)."""

from __future__ import annotations

from aiohttp import web

from mockplex.call import Call
from mockplex.ids import is_strict_uuid
from mockplex.render import v1
from mockplex.responses import ok
from mockplex.validation import Page
from mockplex.world.records import TEMPLATE_MODEL

REPOS_PAGE = Page(100, 200)


async def list_repos(call: Call) -> web.Response:
    limit = REPOS_PAGE.size(call.query("limit"))
    repo_id = call.trimmed_query("id")
    if repo_id is not None:
        repo = call.world.owned_repo(call.user_id, repo_id) if is_strict_uuid(repo_id) else None
        repos = [repo] if repo is not None and not repo.hidden else []
    else:
        repos = call.world.list_repos(call.user_id, call.trimmed_query("q"), limit)
    return ok({"repos": [v1.repo(repo) for repo in repos]})


async def list_agents(call: Call) -> web.Response:
    agents = call.world.agents
    model = call.world.users[call.user_id].default_model or TEMPLATE_MODEL
    presets = [v1.preset_agent(preset, model) for preset in agents.unforked_presets(call.user_id)]
    return ok({"agents": presets + [v1.agent(agent) for agent in agents.listed(call.user_id)]})


async def list_models(call: Call) -> web.Response:
    return ok({"models": [v1.model(model) for model in call.world.available_models(call.user_id)]})


async def list_mcp_servers(call: Call) -> web.Response:
    servers = call.world.mcp_servers.listed(call.user_id)
    return ok({"servers": [v1.mcp_server(server) for server in servers]})
