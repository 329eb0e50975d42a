"""What an MCP tool is: the parameters it accepts, the REST call of its route that it makes
(v1 spec §10.4), the sentence it answers with and its annotations. Tools are declared on
their routes in the route table; `mcp.tools` lists them."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from mockplex import schema
from mockplex.jsvalues import uri_component


@dataclass(frozen=True)
class RestRequest:
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    params: schema.Object
    summary: Callable[[dict[str, Any], dict[str, Any]], str]
    query: tuple[str, ...] = ()  # arguments sent as query parameters, named as in `renamed`
    renamed: Mapping[str, str] = field(default_factory=dict)
    body: tuple[str, ...] | None = None  # arguments sent as the JSON body; None = no body
    write: tuple[bool, bool] | None = None  # (destructiveHint, idempotentHint); None = read-only
    wraps_run: bool = False
    # The route's call, filled in from its row: path arguments fill the template's `{name}`s.
    method: str = ""
    template: str = ""
    idempotent: bool = False

    def calling(self, method: str, template: str, idempotent: bool) -> Tool:
        return dataclasses.replace(self, method=method, template=template, idempotent=idempotent)

    @property
    def annotations(self) -> dict[str, Any]:
        if self.write is None:
            return {"readOnlyHint": True, "openWorldHint": False}
        destructive, idempotent = self.write
        return {"readOnlyHint": False, "destructiveHint": destructive, "idempotentHint": idempotent,
                "openWorldHint": False}

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description,
                "inputSchema": self.params.json_schema(), "annotations": self.annotations}

    def request(self, args: dict[str, Any], mint: Callable[[], str]) -> RestRequest:
        path = re.sub(r"\{(\w+)\}", lambda found: uri_component(args[found.group(1)]), self.template)
        query = {self.renamed.get(name, name): args[name] for name in self.query if name in args}
        body = None if self.body is None else {name: args[name] for name in self.body if name in args}
        key = (args.get("idempotencyKey") or f"mcp:{mint()}") if self.idempotent else None
        return RestRequest(self.method, path, query, body, key)
