"""Input rules shared by several routes: list limits, branch names, root directories."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockplex import schema

_LEADING_INT = re.compile(r"^[\s\ufeff\xa0]*([+-]?\d+)")
_BRANCH_CHARS = re.compile(r"^[\w./-]+$", re.ASCII)
_BRANCH_FORBIDDEN = re.compile(r"[\s*:?\[\\^~]")
_ENCODED_DOTS = ("%2e", "%2e%2e")


# The env-var body rules (v1 spec §5.1), shared by the REST route and the MCP tools.
ENV_KEY_RULE = "key must contain only letters, digits, and underscores and not start with a digit"
ENV_TARGETS = ("production", "preview", "development")
ANY_ENV_KEY = schema.string(trim=True, min_length=1, max_length=256)  # deleting checks no naming rule
ENV_KEY = schema.string(trim=True, min_length=1, max_length=256, pattern=r"^[A-Za-z_]\w*$",
                        pattern_message=ENV_KEY_RULE)
ENV_VALUE = schema.string(max_length=65_536)
ENV_TARGET_LIST = schema.array(schema.enum(*ENV_TARGETS), min_items=1)
ENV_STORAGE = schema.enum("encrypted", "plain", "sensitive")


class Invalid(Exception):
    """A value broke a rule; the caller turns it into that route's message."""


def parse_limit(raw: str | None, default: int, maximum: int) -> int:
    """The shared list-limit helper: parseInt semantics, clamped, never an error."""
    if not raw:
        return default
    match = _LEADING_INT.match(raw)
    if match is None:
        return default
    return max(1, min(maximum, int(match.group(1))))


@dataclass(frozen=True)
class Page:
    """A list route's `limit`: its default and the most it gives, read by the handler and
    published by the route table (OpenAPI and the MCP tool)."""

    default: int
    maximum: int

    def size(self, raw: str | None) -> int:
        return parse_limit(raw, self.default, self.maximum)


def is_valid_branch(name: str) -> bool:
    if not name or name in ("@", "HEAD"):
        return False
    if name.startswith("/") or name.endswith(("/", ".", ".lock")):
        return False
    if ".." in name or "//" in name or "@{" in name or _BRANCH_FORBIDDEN.search(name):
        return False
    return bool(_BRANCH_CHARS.match(name))


def normalize_root_directory(value: object) -> str | None:
    """A repo-relative directory, or None for the repo root; raises Invalid."""
    if value is None:
        return None
    if not isinstance(value, str) or "\x00" in value:
        raise Invalid("root directory")
    if any(segment.lower() in _ENCODED_DOTS for segment in re.split(r"[/\\]", value)):
        raise Invalid("root directory")
    text = value.strip()
    while text.startswith(("./", "/")):
        text = text[2:] if text.startswith("./") else text[1:]
    text = re.sub(r"/{2,}", "/", text).rstrip("/")
    if text in ("", "."):
        return None
    if any(segment in ("", "..") for segment in text.split("/")):
        raise Invalid("root directory")
    return text


def trimmed_string(value: object) -> str | None:
    """A string field the server trims; blank and non-strings count as absent."""
    if isinstance(value, str):
        text = value.strip()
        return text or None
    return None


# What String.prototype.trim removes: ECMAScript white space and line terminators.
JS_WHITESPACE = "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
    "\u2028\u2029\u202f\u205f\u3000\ufeff"


def js_trim(text: str) -> str:
    return text.strip(JS_WHITESPACE)


def js_prefix(text: str, length: int) -> str:
    """String.prototype.slice(0, length): the first `length` UTF-16 code units."""
    return text.encode("utf-16-le", "surrogatepass")[:2 * length].decode("utf-16-le", "surrogatepass")


def js_length(text: str) -> int:
    """A JavaScript string's length: UTF-16 code units, so an emoji counts twice."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
