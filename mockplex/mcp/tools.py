"""The 22 MCP tools in tools/list order, read from the v1 routes that declare them."""

from __future__ import annotations

from mockplex.mcp.tool import Tool
from mockplex.routes.v1 import V1_ROUTES

__all__ = ["BY_NAME", "DEFINITIONS", "TOOLS", "VALIDATORS", "Tool"]


TOOLS = tuple(spec.tool for spec in V1_ROUTES if spec.tool is not None)
BY_NAME = {tool.name: tool for tool in TOOLS}
DEFINITIONS = [tool.definition() for tool in TOOLS]
VALIDATORS = {tool.name: tool.params for tool in TOOLS}
