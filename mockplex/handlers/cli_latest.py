"""GET /api/cli/latest: the CLI's release manifest, as the server reads it from its install host.

The manifest is an outside service (the install host's `latest.json`), so the world plays a
published release; `cli_release: unavailable` is the fetch failing or answering a manifest
the server cannot read, which it answers 503.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from mockplex.call import Call
from mockplex.responses import json_response

INSTALL_BASE_URL = "https://install.mogplex.com"
INSTALL_SCRIPT_URL = f"{INSTALL_BASE_URL}/install.sh"
NO_STORE = {"cache-control": "no-store"}
RELEASE_VERSION = "0.18.3"
RELEASE_GENERATED_AT = "2026-05-14T18:42:07Z"
# Each published target and the archive format its platform gets.
RELEASE_TARGETS = (
    ("aarch64-apple-darwin", "tar.gz"), ("x86_64-apple-darwin", "tar.gz"),
    ("aarch64-unknown-linux-gnu", "tar.gz"), ("x86_64-unknown-linux-gnu", "tar.gz"),
    ("x86_64-pc-windows-msvc", "zip"),
)


def _asset(base_url: str, target: str, archive_format: str) -> dict[str, str]:
    name = f"mogplex-{target}.{archive_format}"
    # An invented but stable checksum: the world has no archive bytes to hash.
    digest = hashlib.sha256(f"mogplex {RELEASE_VERSION} {name}".encode()).hexdigest()
    return {"target": target, "archiveName": name, "archiveFormat": archive_format,
            "archiveUrl": f"{base_url}/{name}", "sha256": digest}


def release_manifest() -> dict[str, object]:
    """The manifest after the server's normalisation (its install script URL is always its own)."""
    tag = f"v{RELEASE_VERSION}"
    base_url = f"{INSTALL_BASE_URL}/releases/{tag}"
    return {"version": RELEASE_VERSION, "releaseTag": tag, "baseUrl": base_url,
            "generatedAt": RELEASE_GENERATED_AT, "installScriptUrl": INSTALL_SCRIPT_URL,
            "assets": [_asset(base_url, target, archive_format) for target, archive_format in RELEASE_TARGETS]}


async def latest(call: Call) -> web.Response:
    if call.world.outside.cli_release == "unavailable":
        return json_response({"error": "CLI release manifest is unavailable", "installScriptUrl": INSTALL_SCRIPT_URL},
                             503, NO_STORE)
    return json_response(release_manifest(), headers=NO_STORE)
