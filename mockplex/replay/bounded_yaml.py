"""vcrpy's safe YAML loading, with YAML aliases bounded.

An alias is a reference, so a few hundred bytes of nested aliases ("billion laughs"), or
one large anchor used thousands of times, load as a small object graph that every later
step (byte conversion, indexing, linting, JSON) copies out in full: many GB. vcrpy's
dumper does write aliases, for any object a cassette holds twice, so they cannot simply
be refused; instead the composed document is measured as if every alias were copied, and
refused when that adds more than ALIAS_GROWTH_LIMIT to what the file itself holds.

It is also the cold start's cost (a 10,000-interaction cassette is 27 MB of YAML), so the
common nodes of a document without anchors are built here rather than by PyYAML's
constructor, and plain scalars' tags are resolved once per text: the result is the
loader's, type for type.
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


MAX_REMEMBERED_SCALAR = 64  # plain scalars whose tag the reader remembers: keys, methods, numbers
FAST_DEPTH = 32  # below this depth the loader builds what is left, as it always did
_STR, _SEQ, _MAP, _NULL, _INT = (f"tag:yaml.org,2002:{name}" for name in ("str", "seq", "map", "null", "int"))


class _CassetteReader(CASSETTE_LOADER):
    """vcrpy's loader, resolving tags faster: every key repeats in every interaction, and
    PyYAML matches each plain scalar against its regular expressions afresh."""

    _DEFAULT_TAGS = {yaml.ScalarNode: CASSETTE_LOADER.DEFAULT_SCALAR_TAG,
                     yaml.SequenceNode: CASSETTE_LOADER.DEFAULT_SEQUENCE_TAG,
                     yaml.MappingNode: CASSETTE_LOADER.DEFAULT_MAPPING_TAG}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._plain_tags: dict[str, str] = {}

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
        if self.yaml_path_resolvers:  # none, unless someone adds one to PyYAML's loaders
            return super().resolve(kind, value, implicit)
        if kind is yaml.ScalarNode and implicit[0]:  # a plain scalar's tag depends on its text alone
            tag = self._plain_tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(value) <= MAX_REMEMBERED_SCALAR:
                    self._plain_tags[value] = tag
            return tag
        return self._DEFAULT_TAGS[kind]


class BoundedYaml:
    """A vcrpy serializer that loads like vcrpy's, refusing alias bombs."""

    @staticmethod
    def deserialize(text: str):
        loader = _CassetteReader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if not may_hold_anchor(text):
                try:
                    return _constructed(loader, node, 0, set())
                except _SharedNode:  # an anchor the text check missed: measured like any other
                    pass
            if _alias_growth(node) > ALIAS_GROWTH_LIMIT:
                raise AliasBomb(first_alias_line(text))
            return loader.construct_document(node)
        finally:
            loader.dispose()


class _SharedNode(Exception):
    """A node met twice: the document holds an alias after all."""


def _constructed(loader: yaml.constructor.BaseConstructor, node: yaml.Node, depth: int, seen: set[int]):
    """What the loader's construct_document gives for a document without aliases, built in
    a plain walk where it can be: strings, null, decimal ints, lists and string-keyed maps
    (PyYAML's constructor spends microseconds on each node's memo, recursion check and
    generator). Any other node, and all below FAST_DEPTH, the loader builds as its
    construct_document would. A node met twice is an alias, which only a measured load
    may expand: _SharedNode says so. (With two faults in one document, the one named may
    differ from the one the loader alone would name first.)"""
    if id(node) in seen:
        raise _SharedNode
    seen.add(id(node))
    kind, tag = node.__class__, node.tag
    if depth < FAST_DEPTH:
        if kind is yaml.ScalarNode:
            value = node.value
            if tag == _STR:
                return value
            if tag == _NULL:
                return None
            if tag == _INT and value.isascii() and value.isdigit() and (value[0] != "0" or value == "0"):
                return int(value)  # YAML 1.1 reads 017 as octal, 0x11 as hex: those are the loader's
        elif kind is yaml.SequenceNode and tag == _SEQ:
            return [_constructed(loader, child, depth + 1, seen) for child in node.value]
        elif kind is yaml.MappingNode and tag == _MAP and all(
                key.__class__ is yaml.ScalarNode and key.tag == _STR for key, _ in node.value):
            # merge (<<) and value (=) keys have tags of their own, so they never get here
            return {_constructed(loader, key, depth + 1, seen): _constructed(loader, value, depth + 1, seen)
                    for key, value in node.value}
    _note_all_below(node, seen)  # the loader would share what an alias names: find it first
    return loader.construct_document(node)


def _note_all_below(node: yaml.Node, seen: set[int]) -> None:
    """Adds every node under `node` to `seen`; _SharedNode on one met before."""
    stack = [] if isinstance(node, yaml.ScalarNode) else list(_children(node))
    while stack:
        child = stack.pop()
        if id(child) in seen:
            raise _SharedNode
        seen.add(id(child))
        if not isinstance(child, yaml.ScalarNode):
            stack.extend(_children(child))


# An anchor (`&name`) is a node property: it begins the text or follows a space, a flow
# indicator, `:`, `?`, `-` or a byte-order mark (libyaml skips one at a line's start). No
# alias exists without one, so a cassette with no such `&` (most: vcrpy anchors only what
# it writes twice) needs no measuring; _constructed stops at any alias this misses.
_ANCHOR = re.compile(r"[\s\ufeff\[\]{},:?-]&[^\s\[\]{},]")


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
