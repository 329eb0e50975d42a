"""The shapes MCP tool parameters take, each one schema that both validates (zod's rules and
messages) and publishes the JSON Schema tools/list shows. A parameter that may be left out
is wrapped in `schema.optional`."""

from __future__ import annotations

from mockplex import schema
from mockplex.world import flows


def ident(description: str, max_length: int | None = None) -> schema.Schema:
    return schema.string(trim=True, min_length=1, max_length=max_length).describe(description)


def nullable_ident(description: str) -> schema.Schema:
    return schema.nullable(schema.string(trim=True, min_length=1)).describe(description)


def nullable_text(description: str) -> schema.Schema:
    return schema.nullable(schema.string()).describe(description)


def integer(description: str, minimum: int, maximum: int | None = None) -> schema.Schema:
    return schema.number(integer=True, minimum=minimum, maximum=maximum).describe(description)


def flag(description: str) -> schema.Schema:
    return schema.boolean().describe(description)


def choice(description: str, *options: str) -> schema.Schema:
    return schema.enum(*options).describe(description)


def any_object(description: str) -> schema.Schema:
    return schema.record().describe(description)


def graph(description: str) -> schema.Schema:
    return flows.GRAPH_SCHEMA.describe(description)
