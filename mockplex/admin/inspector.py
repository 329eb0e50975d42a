"""The inspector: one static page and its two assets, shipped in `mockplex/inspector/`.

They hold no data (the page fetches everything from the admin API, with the admin token
it reads from its own URL fragment), so they are served without the token; every other
protection of the admin API applies. The page may load and fetch from this origin only."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from aiohttp import web

FOLDER = Path(__file__).resolve().parent.parent / "inspector"
PAGE = "index.html"
ASSETS = {"inspector.css": "text/css", "inspector.js": "text/javascript", "icon.svg": "image/svg+xml"}
PAGE_NAMES = ("", "inspector")  # /__mockplex/ and /__mockplex/inspector
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
           "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@lru_cache(maxsize=None)
def _shipped(name: str) -> bytes:
    return (FOLDER / name).read_bytes()


def _asset(name: str) -> str | None:
    folder, _, asset = name.partition("/")
    return asset if folder == "assets" and asset in ASSETS else None


def is_static(method: str, name: str) -> bool:
    return method == "GET" and (name in PAGE_NAMES or _asset(name) is not None)


async def static_file(request: web.Request, admin: Any, name: str) -> web.Response:
    """The page or an asset; `is_static(request.method, name)` holds."""
    asset = _asset(name)
    if asset is None:
        return web.Response(body=_shipped(PAGE), content_type="text/html", charset="utf-8", headers=HEADERS)
    return web.Response(body=_shipped(asset), content_type=ASSETS[asset], charset="utf-8", headers=HEADERS)
