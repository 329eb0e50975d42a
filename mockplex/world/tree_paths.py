"""The file tree's repo-relative paths as the server reads and orders them: a directory
ends in `/`, a path must stay inside the repo, and the list is sorted the way
JavaScript's `localeCompare` orders names."""

from __future__ import annotations

import posixpath
import re

PRUNED_NAMES = frozenset({".cache", ".git", ".next", ".turbo", ".vercel", "node_modules"})
# ICU's root collation puts punctuation and symbols before digits, digits before letters.
_SYMBOL_ORDER = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"


class TreePathError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def is_directory(path: str) -> bool:
    return path.endswith("/")


def strip_directory(path: str) -> str:
    return path[:-1] if is_directory(path) else path


def normalize(value: object, kind: str = "either") -> str:
    """A client's path as a repo-relative tree path; `kind` is file, directory or either."""
    if not isinstance(value, str):
        raise TreePathError("path required")
    trimmed = re.sub(r"^\./+", "", value.strip().replace("\\", "/"))
    if not trimmed:
        raise TreePathError("path required")
    wants_directory = kind == "directory" or (kind == "either" and trimmed.endswith("/"))
    normalized = posixpath.normpath(re.sub(r"/+$", "", trimmed)) if trimmed.strip("/") else "/"
    if (normalized in (".", "..") or normalized.startswith(("../", "/"))
            or ".." in normalized.split("/")):
        raise TreePathError("path must stay within the repo root")
    return normalized + "/" if wants_directory else normalized


def sort_paths(paths: list[str]) -> list[str]:
    unique = list(dict.fromkeys(paths))
    return sorted(unique, key=lambda path: (collation_key(strip_directory(path)), not is_directory(path)))


def collation_key(text: str) -> tuple:
    """JavaScript's `localeCompare` order (ICU's root collation) as a sort key."""
    primary = tuple(_primary_weight(char) for char in text)
    tertiary = tuple(char.isupper() for char in text)  # lower case first, as ICU breaks ties
    return primary, tertiary


def _primary_weight(char: str) -> tuple[int, str]:
    if char in _SYMBOL_ORDER:
        return 0, f"{_SYMBOL_ORDER.index(char):02d}"
    if char.isdigit():
        return 1, char
    return (2, char.lower()) if char.isalpha() else (0, char)
