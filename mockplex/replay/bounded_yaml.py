"""vcrpy's safe YAML loading, with YAML aliases bounded.

An alias is a reference, so a few hundred bytes of nested aliases ("billion laughs"), or
one large anchor used thousands of times, load as a small object graph that every later
step (byte conversion, indexing, linting, JSON) copies out in full: many GB. vcrpy's
dumper does write aliases, for any object a cassette holds twice, so they cannot simply
be refused; instead the composed document is measured as if every alias were copied, and
refused when that adds more than ALIAS_GROWTH_LIMIT to what the file itself holds.
"""

from __future__ import annotations

import re

import yaml
from vcr.serializers import yamlserializer

ALIAS_GROWTH_LIMIT = 16 * 1024 * 1024  # characters; what vcrpy shares is a header list or a body, far less
# vcrpy's own loader (the C loader plus its safe Python tags); the class exists from vcrpy 9.4.2, our floor
CASSETTE_LOADER = yamlserializer._CassetteLoader


class AliasBomb(yaml.YAMLError):
    def __init__(self, line: int) -> None:
        super().__init__(f"line {line}: YAML aliases would grow the cassette by more than "
                         f"{ALIAS_GROWTH_LIMIT // (1024 * 1024)} MiB when expanded (an alias bomb?); refused")
        self.line = line


class BoundedYaml:
    """A vcrpy serializer that loads like vcrpy's, refusing alias bombs."""

    @staticmethod
    def deserialize(text: str):
        loader = CASSETTE_LOADER(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if may_hold_anchor(text) and _alias_growth(node) > ALIAS_GROWTH_LIMIT:
                raise AliasBomb(first_alias_line(text))
            return loader.construct_document(node)
        finally:
            loader.dispose()


# An anchor (`&name`) is a node property: it begins the text or follows a space, a flow
# indicator, `:`, `?` or `-`. No alias exists without one, so a cassette with no such `&`
# (most: vcrpy anchors only what it writes twice) needs no measuring.
_ANCHOR = re.compile(r"[\s\[\]{},:?-]&[^\s\[\]{},]")


def may_hold_anchor(text: str) -> bool:
    """False only when the text holds no anchor; a scalar that looks like one says True."""
    return "&" in text and (text.startswith("&") or _ANCHOR.search(text) is not None)


def _alias_growth(root: yaml.Node) -> float:
    """How many characters (plus one per node) copying out every alias would add; a node
    that contains itself adds without end."""
    expanded: dict[int, int] = {}
    unique = 0
    opened: set[int] = set()
    stack = [root]
    while stack:
        node = stack[-1]
        key = id(node)
        if key in expanded:
            stack.pop()
        elif isinstance(node, yaml.ScalarNode):
            expanded[key] = 1 + len(node.value)
            unique += expanded[key]
            stack.pop()
        elif key not in opened:
            opened.add(key)
            children = [child for child in _children(node) if id(child) not in expanded]
            if any(id(child) in opened for child in children):
                return float("inf")
            stack.extend(children)
        else:
            stack.pop()
            expanded[key] = 1 + sum(expanded[id(child)] for child in _children(node))
            unique += 1
    return expanded[id(root)] - unique


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return node.value


def first_alias_line(text: str) -> int:
    """Only a document with an alias grows when expanded, so there is one."""
    return next(event.start_mark.line + 1 for event in yaml.parse(text, Loader=CASSETTE_LOADER)
                if isinstance(event, yaml.AliasEvent))
