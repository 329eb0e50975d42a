"""The server's connection create normalization: check for check in its order, and the
columns a valid body becomes (plus `credentials`, stored encrypted)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mockplex.responses import JsonError
from mockplex.world.connection_presets import Preset, preset_named

AUTH_TYPES = ("none", "api_key", "bearer", "basic", "oauth")
BLOCKED_HOSTS = {"localhost", "localhost.localdomain", "0.0.0.0", "127.0.0.1", "::", "::1", "169.254.169.254",
                 "169.254.170.2", "fd00:ec2::254", "metadata.google.internal"}
BLOCKED_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa", ".lan")


class Invalid(Exception):
    """The server's ConnectionValidationError: answered as {"error", "code"}."""

    def __init__(self, message: str, code: str = "INVALID_CONNECTION", status: int = 400) -> None:
        super().__init__(message)
        self.answer = JsonError(status, {"error": message, "code": code})


def _trimmed(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _blocked(host: str) -> bool:
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host or host in BLOCKED_HOSTS or host.endswith(BLOCKED_SUFFIXES):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.version == 4:
        first, second = address.packed[:2]
        return first in (0, 10, 127) or (first, second) == (169, 254) or (first == 172 and 16 <= second <= 31) or (
            (first, second) == (192, 168))
    return address.packed[0] & 0xFE == 0xFC or (address.packed[0], address.packed[1] & 0xC0) == (0xFE, 0x80)


def safe_url(value: str, field: str) -> str:
    """The server's outbound-URL guard: a valid http(s) URL to a public host, normalized."""
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc or any(char in value for char in " \t\n"):
        raise Invalid(f"{field} must be a valid URL")
    if parts.scheme.lower() not in ("http", "https"):
        raise Invalid(f"{field} must use http or https")
    if _blocked(parts.hostname or ""):
        raise Invalid(f"{field} must target a public host")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, parts.fragment))


def _default_header(auth_type: str | None) -> str:
    return "X-API-Key" if auth_type == "api_key" else "Authorization"


def _oauth_secret(credentials: str) -> str:
    try:
        parsed = json.loads(credentials)
    except ValueError:
        parsed = None
    secret = parsed.get("client_secret") if isinstance(parsed, dict) else None
    if isinstance(secret, str) and secret.strip():
        tokens = {key: parsed[key] for key in ("access_token", "refresh_token")
                  if isinstance(parsed.get(key), str) and parsed[key]}
        return json.dumps({"client_secret": secret.strip(), **tokens}, separators=(",", ":"), ensure_ascii=False)
    if not credentials.strip():
        raise Invalid("OAuth client secret is required")
    return json.dumps({"client_secret": credentials.strip()}, separators=(",", ":"), ensure_ascii=False)


def _from_preset(raw: dict[str, Any], preset: Preset, common: dict[str, Any]) -> dict[str, Any]:
    credential = _trimmed(raw.get("credentials"))
    if preset.mcp_url is None:
        given = _trimmed(raw.get("mcp_url"))
        if not given:
            raise Invalid(f"{preset.name} requires the full MCP server URL")
        url = safe_url(given, "mcp_url")
    else:
        url = preset.mcp_url
    if preset.needs_credential and not credential:
        raise Invalid(f"{preset.name} requires a credential")
    if preset.auth_type == "oauth":
        credential = _oauth_secret(credential) if credential else ""
    return {"name": preset.name, "type": "mcp_server", "auth_type": preset.auth_type,
            "auth_header": _default_header(preset.auth_type), "mcp_transport": preset.mcp_transport, "mcp_url": url,
            "credentials": credential or None, **common,
            "description": common["description"] or preset.description, "source_preset": preset.id}


def _oauth_fields(raw: dict[str, Any], credentials: str) -> dict[str, Any]:
    secret = _oauth_secret(credentials)
    client_id = _trimmed(raw.get("oauth_client_id"))
    if not client_id:
        raise Invalid("oauth_client_id is required")
    return {"credentials": secret, "oauth_client_id": client_id,
            "oauth_authorize_url": safe_url(_trimmed(raw.get("oauth_authorize_url")), "oauth_authorize_url"),
            "oauth_token_url": safe_url(_trimmed(raw.get("oauth_token_url")), "oauth_token_url"),
            "oauth_scopes": _trimmed(raw.get("oauth_scopes")) or None}


def _custom(raw: dict[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    kind = raw.get("type")
    if kind not in ("mcp_server", "rest_api"):
        raise Invalid("Connection type must be rest_api or mcp_server")
    name = _trimmed(raw.get("name"))
    if not name:
        raise Invalid("Connection name is required")
    auth_type = _trimmed(raw.get("auth_type")) or "none"
    if auth_type not in AUTH_TYPES:
        raise Invalid("Unsupported auth type")
    credentials = _trimmed(raw.get("credentials"))
    header = _trimmed(raw.get("auth_header")) or None
    rest = kind == "rest_api"
    target = ({"base_url": safe_url(_trimmed(raw.get("base_url")), "base_url")} if rest else
              {"mcp_url": safe_url(_trimmed(raw.get("mcp_url")), "mcp_url"),
               "mcp_transport": "sse" if raw.get("mcp_transport") == "sse" else "http"})
    fields = {"name": name, "type": kind, **target, "auth_type": auth_type}
    if auth_type == "oauth":
        return {**fields, "auth_header": header or _default_header("oauth"), **common, **_oauth_fields(raw, credentials)}
    if auth_type != "none" and not credentials:
        raise Invalid(f"Credential is required for authenticated {'REST' if rest else 'MCP'} connections")
    named_header = auth_type in ("bearer", "api_key")
    return {**fields, "auth_header": (header or _default_header(auth_type)) if named_header else None,
            "credentials": credentials if auth_type != "none" else None, **common}


def normalized_connection(body: Any) -> dict[str, Any]:
    if not isinstance(body, (dict, list)):
        raise Invalid("Connection payload is required")
    raw = body if isinstance(body, dict) else {}
    preset_id = _trimmed(raw.get("source_preset"))
    scope = "project" if raw.get("scope") == "project" else "global"
    repo_id = _trimmed(raw.get("repo_id")) if scope == "project" else ""
    if scope == "project" and not repo_id:
        raise Invalid("repo_id is required for project-scoped connections")
    common = {"description": _trimmed(raw.get("description")) or None, "scope": scope, "repo_id": repo_id or None}
    if preset_id:
        preset = preset_named(preset_id)
        if preset is None:
            raise Invalid("Unknown connection preset")
        return _from_preset(raw, preset, common)
    return _custom(raw, common)
