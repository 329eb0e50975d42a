"""Automation (Flow) graphs: the request schema, the normalized shape the server
returns, and the executable-graph rules checked at publish (v1 spec §8.1-§8.2, §8.7)."""

from __future__ import annotations

from typing import Any, Callable

from mockplex import schema

NODE_TYPES = ("start", "agent", "condition", "parallel", "join", "delay", "await_event", "set_variable",
              "transform", "end")
DEFAULT_VIEWPORT = {"x": 0, "y": 0, "zoom": 1}

_NON_BLANK = schema.string(trim=True, min_length=1)
_FINITE = schema.number()
GRAPH_SCHEMA = schema.strict_object(
    nodes=schema.array(schema.loose_object(
        id=_NON_BLANK, type=schema.enum(*NODE_TYPES),
        position=schema.strict_object(x=_FINITE, y=_FINITE), data=schema.record(),
    )),
    edges=schema.array(schema.loose_object(
        id=_NON_BLANK, source=_NON_BLANK, target=_NON_BLANK,
        sourceHandle=schema.optional(schema.nullable(schema.string())),
        targetHandle=schema.optional(schema.nullable(schema.string())),
    )),
    viewport=schema.optional(schema.strict_object(x=_FINITE, y=_FINITE,
                                                  zoom=schema.number(greater_than=0))),
)


EVENT_LABELS = {"mention": "@mogplex", "pr_opened": "PR opened", "issue_opened": "Issue opened"}


def coerce_graph(value: Any) -> dict[str, Any]:
    """What the web update makes of any draft_graph: never an error, unusable entries dropped."""
    graph = value if isinstance(value, dict) else {}
    nodes = [node for node in _list(graph.get("nodes")) if isinstance(node, dict) and "id" in node]
    edges = [edge for edge in _list(graph.get("edges"))
             if isinstance(edge, dict) and all(key in edge for key in ("id", "source", "target"))]
    viewport = graph.get("viewport")
    usable = isinstance(viewport, dict) and all(key in viewport for key in DEFAULT_VIEWPORT)
    return normalize_graph({"nodes": nodes, "edges": edges, "viewport": viewport if usable else None})


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


class GraphError(Exception):
    """Every rule a draft breaks, in the server's words; the message is the first."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0])
        self.errors = errors


def graph_request_error(value: Any) -> str | None:
    """None when `value` passes the graph schema, else the REST route's message."""
    issues: list[schema.Issue] = []
    GRAPH_SCHEMA(value, (), issues)
    if not issues:
        return None
    path = issues[0][0]
    suffix = f" at graph.{'.'.join(str(part) for part in path)}" if path else ""
    return f"graph must be a valid Flow graph{suffix}"


# -- normalization: each node type rebuilds its data from known fields --------------

def _text(default: str | None) -> Callable[[Any], Any]:
    return lambda value: value if isinstance(value, str) else default


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else False


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _optional_number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _mapping(value: Any) -> dict:
    return dict(value) if isinstance(value, dict) else {}


COERCERS: dict[str, tuple[tuple[str, Callable[[Any], Any]], ...]] = {
    "start": (("label", _text("Start")), ("event", _text("mention")), ("filter", _mapping),
              ("schedule", _optional_text)),
    "agent": (("label", _text("Agent")), ("agentId", _optional_text), ("harness", _text("mogplex")),
              ("role", _text("review")), ("autofix", _flag), ("autofixSandbox", _flag), ("autoMerge", _flag),
              ("autoRevert", _flag), ("requireApproval", _flag), ("modelOverride", _optional_text),
              ("maxStepsOverride", _optional_number)),
    "condition": (("label", _text("Condition")), ("expression", _text(""))),
    "parallel": (("label", _text("Parallel")),),
    "join": (("label", _text("Join")), ("mode", _text("all"))),
    "delay": (("label", _text("Delay")), ("seconds", lambda value: _optional_number(value) or 60)),
    "await_event": (("label", _text("Wait for event")), ("event", _optional_text),
                    ("timeoutSeconds", _optional_number)),
    "set_variable": (("label", _text("Set variable")), ("name", _text("")), ("value", lambda value: value)),
    "transform": (("label", _text("Transform")), ("expression", _text(""))),
    "end": (("label", _text("End")),),
}


def normalize_graph(graph: dict[str, Any]) -> dict[str, Any]:
    """The graph as the server stores and returns it: known node types, rebuilt data."""
    nodes = []
    for node in graph.get("nodes", []):
        coercer = COERCERS.get(node.get("type"))
        if coercer is None:
            continue
        data = node.get("data") if isinstance(node.get("data"), dict) else {}
        position = node.get("position") or {}
        nodes.append({
            "id": str(node["id"]).strip(), "type": node["type"],
            "position": {"x": position.get("x", 0), "y": position.get("y", 0)},
            "data": {field: coerce(data.get(field)) for field, coerce in coercer},
        })
    edges = [{
        "id": str(edge["id"]).strip(), "source": str(edge["source"]).strip(), "target": str(edge["target"]).strip(),
        "sourceHandle": edge.get("sourceHandle"), "targetHandle": edge.get("targetHandle"),
    } for edge in graph.get("edges", [])]
    viewport = graph.get("viewport") or DEFAULT_VIEWPORT
    return {"nodes": nodes, "edges": edges, "viewport": {key: viewport[key] for key in ("x", "y", "zoom")}}


# -- the executable-graph rules, collected in the server's order ---------------------

def _label(node: dict[str, Any]) -> str:
    return node["data"].get("label") or node["id"]


def validate_executable(graph: dict[str, Any]) -> None:
    errors = executable_errors(graph)
    if errors:
        raise GraphError(errors)


def executable_errors(graph: dict[str, Any]) -> list[str]:
    """The server's graph validation: structural rules first, the rest only once those hold."""
    nodes, edges = graph["nodes"], graph["edges"]
    by_type = lambda kind: [node for node in nodes if node["type"] == kind]  # noqa: E731
    errors: list[str] = []
    seen: set[str] = set()
    for node in nodes:
        if node["id"] in seen:
            errors.append(f'Duplicate node id "{node["id"]}".')
        seen.add(node["id"])
    if len(by_type("start")) != 1:
        errors.append("A flow must have exactly one start node.")
    if len(by_type("end")) != 1:
        errors.append("A flow must have exactly one end node.")
    if not by_type("agent"):
        errors.append("A flow must contain at least one agent node.")
    if sum(1 for node in by_type("agent") if node["data"].get("autoMerge") is True) > 1:
        errors.append("A flow can request at most one pull request merge.")
    for edge in edges:
        if edge["source"] not in seen or edge["target"] not in seen:
            errors.append(f'Edge "{edge["id"]}" references a missing node.')
        if edge["source"] == edge["target"]:
            errors.append(f'Edge "{edge["id"]}" cannot connect a node to itself.')
    if errors:
        return errors
    return _topology_errors(nodes, edges, by_type("start")[0], by_type("end")[0])


def _topology_errors(nodes: list[dict], edges: list[dict], start: dict, end: dict) -> list[str]:
    outgoing = {node["id"]: [edge["target"] for edge in edges if edge["source"] == node["id"]] for node in nodes}
    incoming = {node["id"]: [edge["source"] for edge in edges if edge["target"] == node["id"]] for node in nodes}
    errors: list[str] = []
    if incoming[start["id"]]:
        errors.append("The start node cannot have incoming edges.")
    if len(outgoing[start["id"]]) != 1:
        errors.append("The start node must have exactly one outgoing edge.")
    if outgoing[end["id"]]:
        errors.append("The end node cannot have outgoing edges.")
    for node in nodes:
        if node["type"] == "agent":
            errors += _agent_errors(node, incoming[node["id"]], outgoing[node["id"]])
    reachable, leads_to_end = _closure(start["id"], outgoing), _closure(end["id"], incoming)
    for node in nodes:
        if node["id"] not in reachable:
            errors.append(f'Node "{_label(node)}" is disconnected from the start node.')
        elif node["id"] not in leads_to_end:
            errors.append(f'Node "{_label(node)}" does not lead to the end node.')
    relevant = reachable & leads_to_end
    if _has_cycle({node: [target for target in outgoing[node] if target in relevant] for node in relevant}):
        errors.append("The flow graph contains a cycle.")
    return errors


def _agent_errors(agent: dict, inbound: list[str], outbound: list[str]) -> list[str]:
    label, data = _label(agent), agent["data"]
    errors = []
    if not inbound:
        errors.append(f'Agent "{label}" must have an incoming edge.')
    if not outbound:
        errors.append(f'Agent "{label}" must have an outgoing edge.')
    if data["harness"] == "mogplex" and not data["agentId"]:
        errors.append(f'Agent node "{label}" must be assigned to an agent.')
    if data["harness"] == "mogplex" and not (data["modelOverride"] or "").strip():
        errors.append(f'Agent node "{label}" must have a model selected.')
    return errors


def _closure(origin: str, neighbours: dict[str, list[str]]) -> set[str]:
    seen, stack = {origin}, [origin]
    while stack:
        for following in neighbours.get(stack.pop(), []):
            if following not in seen:
                seen.add(following)
                stack.append(following)
    return seen


def _has_cycle(outgoing: dict[str, list[str]]) -> bool:
    """Kahn's algorithm: a graph is acyclic when every node can be peeled off."""
    indegree = {node: 0 for node in outgoing}
    for targets in outgoing.values():
        for target in targets:
            indegree[target] += 1
    ready = [node for node, count in indegree.items() if count == 0]
    peeled = 0
    while ready:
        node = ready.pop()
        peeled += 1
        for target in outgoing[node]:
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return peeled != len(outgoing)

