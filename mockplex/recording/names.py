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


def cassette_argument(directory: Path, given: str) -> Path:
    """What a user's cassette argument means, the same in every command: a path to a
    `.yaml` file (one with a '/', or one that exists where you are) is that file;
    anything else is a name inside `directory`."""
    if given.endswith(".yaml") and ("/" in given or Path(given).is_file()):
        return Path(given).resolve()
    return cassette_path(directory, given)


def cassette_name_of(directory: Path, path: Path) -> str:
    """The name a cassette is known by (in messages and `N:...=TOKEN` pairs): its path
    inside `directory` without `.yaml`, or the file's stem when it lies elsewhere."""
    try:
        return path.relative_to(directory.resolve()).with_suffix("").as_posix()
    except ValueError:
        return path.stem
