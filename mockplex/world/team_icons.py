"""The team-icons storage bucket (an outside service the server uploads to) and the public
URL a stored icon path is served from.

The world keeps each uploaded object's bytes; `team_icon_storage` in world.yaml makes the
bucket refuse uploads (`failing`) or leaves the server without its public storage URL
(`no_public_url`: every icon URL reads as null).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TEAM_ICONS_BUCKET = "team-icons"
PUBLIC_STORAGE_URL = "https://mogplex-storage.supabase.mock"
# A first segment and a file name starting with an alphanumeric: "." or ".." never pass.
ICON_PATH = re.compile(r"[A-Za-z0-9_-]+/[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass
class StoredIcon:
    data: bytes
    content_type: str


class TeamIcons:
    def __init__(self) -> None:
        self.objects: dict[str, StoredIcon] = {}

    def upload(self, path: str, data: bytes, content_type: str, storage: str) -> bool:
        """False when the bucket refuses the upload (or the path is already taken)."""
        if storage == "failing" or path in self.objects:
            return False
        self.objects[path] = StoredIcon(data, content_type)
        return True

    def remove(self, path: str | None, storage: str) -> None:
        """Best effort, as the server's cleanup is: a failure leaves the object behind."""
        if path and storage != "failing":
            self.objects.pop(path, None)


def team_icon_url(icon_path: str | None, storage: str) -> str | None:
    """The public URL of a stored icon path, computed rather than stored."""
    if not icon_path or ICON_PATH.fullmatch(icon_path) is None or storage == "no_public_url":
        return None
    return f"{PUBLIC_STORAGE_URL}/storage/v1/object/public/{TEAM_ICONS_BUCKET}/{icon_path}"
