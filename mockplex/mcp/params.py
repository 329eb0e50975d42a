"""Tool parameters, each defined once: the validator (zod's rules and messages) and the
JSON Schema that tools/list publishes come from the same definition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockplex import schema
from mockplex.world import flows
from mockplex.validation import ENV_KEY_RULE, ENV_TARGETS


@dataclass(frozen=True)
class Param:
    name: str
    check: schema.Schema
    json: dict[str, Any]
    required: bool = False


def _with(description: str, json: dict[str, Any]) -> dict[str, Any]:
    return {**json, "description": description}


def ident(name: str, description: str, required: bool = True, max_length: int | None = None) -> Param:
    json = {"type": "string", "minLength": 1, **({"maxLength": max_length} if max_length else {})}
    return Param(name, schema.string(trim=True, min_length=1, max_length=max_length), _with(description, json), required)


def nullable_ident(name: str, description: str, required: bool = False) -> Param:
    return Param(name, schema.nullable(schema.string(trim=True, min_length=1)),
                 _with(description, {"type": ["string", "null"], "minLength": 1}), required)


def nullable_text(name: str, description: str) -> Param:
    return Param(name, schema.nullable(schema.string()), _with(description, {"type": ["string", "null"]}))


def integer(name: str, description: str, minimum: int, maximum: int | None = None, required: bool = False) -> Param:
    json = {"type": "integer", "minimum": minimum, **({"maximum": maximum} if maximum else {})}
    return Param(name, schema.number(integer=True, minimum=minimum, maximum=maximum), _with(description, json),
                 required)


def flag(name: str, description: str) -> Param:
    return Param(name, schema.boolean(), _with(description, {"type": "boolean"}))


def choice(name: str, description: str, *options: str) -> Param:
    return Param(name, schema.enum(*options), _with(description, {"type": "string", "enum": list(options)}))


def any_object(name: str, description: str) -> Param:
    return Param(name, schema.record(), _with(description, {"type": "object", "additionalProperties": {}}))


def env_key(description: str, with_rule: bool) -> Param:
    check = schema.string(trim=True, min_length=1, max_length=256,
                          pattern=r"^[A-Za-z_]\w*$" if with_rule else None, pattern_message=ENV_KEY_RULE)
    json = {"type": "string", "minLength": 1, "maxLength": 256,
            **({"pattern": "^[A-Za-z_]\\w*$"} if with_rule else {})}
    return Param("key", check, _with(description, json), True)


def env_value(description: str) -> Param:
    return Param("value", schema.string(max_length=65_536),
                 _with(description, {"type": "string", "maxLength": 65_536}), True)


def env_targets(description: str) -> Param:
    json = {"type": "array", "items": {"type": "string", "enum": list(ENV_TARGETS)}, "minItems": 1}
    return Param("target", schema.array(schema.enum(*ENV_TARGETS), min_items=1), _with(description, json))


_POINT = {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
          "required": ["x", "y"], "additionalProperties": False}
_NON_BLANK = {"type": "string", "minLength": 1}
_HANDLE = {"type": ["string", "null"]}
GRAPH_JSON_SCHEMA = {
    "type": "object",
    "properties": {
        "nodes": {"type": "array", "items": {
            "type": "object",
            "properties": {"id": _NON_BLANK, "type": {"type": "string", "enum": list(flows.NODE_TYPES)},
                           "position": _POINT, "data": {"type": "object", "additionalProperties": {}}},
            "required": ["id", "type", "position", "data"], "additionalProperties": True}},
        "edges": {"type": "array", "items": {
            "type": "object",
            "properties": {"id": _NON_BLANK, "source": _NON_BLANK, "target": _NON_BLANK,
                           "sourceHandle": _HANDLE, "targetHandle": _HANDLE},
            "required": ["id", "source", "target"], "additionalProperties": True}},
        "viewport": {"type": "object",
                     "properties": {"x": {"type": "number"}, "y": {"type": "number"},
                                    "zoom": {"type": "number", "exclusiveMinimum": 0}},
                     "required": ["x", "y", "zoom"], "additionalProperties": False},
    },
    "required": ["nodes", "edges"],
    "additionalProperties": False,
}


def graph(description: str) -> Param:
    return Param("graph", flows.GRAPH_SCHEMA, _with(description, GRAPH_JSON_SCHEMA))


def input_schema(params: tuple[Param, ...]) -> dict[str, Any]:
    if not params:
        return {"type": "object", "additionalProperties": False}
    published: dict[str, Any] = {"type": "object", "properties": {param.name: param.json for param in params}}
    required = [param.name for param in params if param.required]
    if required:
        published["required"] = required
    published["additionalProperties"] = False
    return published


def validator(params: tuple[Param, ...]) -> schema.Schema:
    return schema.strict_object(**{param.name: param.check if param.required else schema.optional(param.check)
                                   for param in params})
