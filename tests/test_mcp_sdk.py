"""The official MCP Python SDK, over streamable HTTP, against mockplex."""

from __future__ import annotations

import pytest
from conftest import RW, WEB_REPO, make_settings

from mockplex.app import build_app

mcp_client = pytest.importorskip("mcp.client.streamable_http", reason="the mcp SDK is a test extra")
from mcp import ClientSession  # noqa: E402


def field(model, snake_name: str):
    """SDK 2.x names fields in snake_case, 1.x in camelCase: accept either."""
    if hasattr(model, snake_name):
        return getattr(model, snake_name)
    head, *rest = snake_name.split("_")
    return getattr(model, head + "".join(part.title() for part in rest))


async def test_initialize_list_tools_and_run_a_tool(aiohttp_server, tmp_path):
    server = await aiohttp_server(build_app(make_settings(tmp_path, "frozen")))
    url = f"http://127.0.0.1:{server.port}/api/v1/mogplex/mcp"
    http = mcp_client.create_mcp_http_client(headers={"Authorization": f"Bearer {RW}"})
    async with mcp_client.streamable_http_client(url, http_client=http) as streams:
        read_stream, write_stream = streams[0], streams[1]
        async with ClientSession(read_stream, write_stream) as session:
            initialized = await session.initialize()
            assert field(initialized, "server_info").name == "mogplex"
            assert field(initialized, "protocol_version") == "2025-11-25"
            assert initialized.instructions.startswith("Use Mogplex tools")
            tools = await session.list_tools()
            assert len(tools.tools) == 22 and tools.tools[0].name == "mogplex_list_repos"
            started = await session.call_tool("mogplex_start_agent_run", {
                "repoId": WEB_REPO, "prompt": "Tidy the README", "idempotencyKey": "sdk-1"})
            assert field(started, "is_error") is False
            run = field(started, "structured_content")["run"]
            assert started.content[0].text == (
                f"Started Mogplex run {run['runId']} on branch {run['branch']['working']}. Status: pending.")
            polled = await session.call_tool("mogplex_get_run", {"runId": run["runId"]})
            assert field(polled, "structured_content")["run"] == {key: value for key, value in run.items()
                                                                   if key != "replayed"}
            cancelled = await session.call_tool("mogplex_cancel_run", {"runId": run["runId"]})
            assert field(cancelled, "structured_content")["status"] == "cancelled"
            refused = await session.call_tool("mogplex_get_run", {"runId": "00000000-0000-4000-8000-000000000000"})
            assert field(refused, "is_error") is True
            assert field(refused, "structured_content")["error"]["code"] == "NOT_FOUND"
