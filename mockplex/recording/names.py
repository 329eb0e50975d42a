"""Cassette names: validated before any path is built from them."""

from __future__ import annotations

import re
from pathlib import Path

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
MAX_NAME = 200


class CassetteNameError(ValueError):
    pass


def cassette_path(directory: Path, name: str) -> Path:
    """`<directory>/<name>.yaml`, refusing traversal, absolute paths and odd characters."""
    bare = name[:-5] if name.endswith(".yaml") else name
    if not bare or len(bare) > MAX_NAME or not _NAME.match(bare) or ".." in bare:
        raise CassetteNameError(
            f"invalid cassette name {name!r}: use letters, digits, '.', '_', '-' and '/' between "
            "segments; no '..', no leading '/'")
    path = (directory / f"{bare}.yaml").resolve()
    if directory.resolve() not in path.parents:
        raise CassetteNameError(f"invalid cassette name {name!r}: it leaves {directory}")
    return path
