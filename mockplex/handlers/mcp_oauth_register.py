"""POST /api/auth/mcp/register: the `mcp` plugin's dynamic client registration (RFC 7591),
better-auth 1.6.25: its zod schema (defaults filled in), the grant/response-type rules,
then a client stored and echoed back with a 201.

A client with `token_endpoint_auth_method: none` is public (no secret); any other is a
confidential "web" client holding a 32-letter secret. The server's table requires a name:
a registration without `client_name` fails its insert, an empty 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.better_auth_wire import respond
from mockplex.handlers.mcp_oauth_wire import (
    ABSENT, CORS, JSON_TYPE, NO_STORE, oauth_error, read_body, received, refusals_answered, type_issue,
    validation_error,
)
from mockplex.world.mcp_oauth import LETTERS, McpClient

AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "implicit", "password", "client_credentials", "refresh_token",
               "urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:saml2-bearer")
RESPONSE_TYPES = ("code", "token")
DEFAULTS = {"token_endpoint_auth_method": "client_secret_basic", "grant_types": ["authorization_code"],
            "response_types": ["code"]}
OPTIONAL_TEXT = ("client_name", "client_uri", "logo_uri", "scope", "tos_uri", "policy_uri", "jwks_uri",
                 "software_id", "software_version", "software_statement")
# The answer echoes these after the fixed fields, in this order, each only when given.
ECHOED = ("client_name", "client_uri", "logo_uri", "scope", "contacts", "tos_uri", "policy_uri", "jwks_uri", "jwks",
          "software_id", "software_version", "software_statement", "metadata")
UNSAFE_SCHEMES = ("javascript", "data", "vbscript")
UNSAFE_MESSAGE = "redirect_uri cannot use a javascript:, data:, or vbscript: scheme"


@refusals_answered
async def register(call: Call) -> web.StreamResponse:
    body = _validated(await read_body(call, (JSON_TYPE,)))
    grants, responses, uris = body["grant_types"], body["response_types"], body["redirect_uris"]
    if ("authorization_code" in grants or "implicit" in grants) and not uris:
        raise oauth_error(400, "invalid_redirect_uri",
                          "Redirect URIs are required for authorization_code and implicit grant types", CORS)
    if "authorization_code" in grants and "code" not in responses:
        raise oauth_error(400, "invalid_client_metadata",
                          "When 'authorization_code' grant type is used, 'code' response type must be included", CORS)
    if "implicit" in grants and "token" not in responses:
        raise oauth_error(400, "invalid_client_metadata",
                          "When 'implicit' grant type is used, 'token' response type must be included", CORS)
    client_id, secret = call.world.ids.random_text(LETTERS), call.world.ids.random_text(LETTERS)
    if "client_name" not in body:
        return web.Response(status=500)
    public = body["token_endpoint_auth_method"] == "none"
    session = call.world.sessions.resolve(call.request.cookies, call.now)
    call.world.mcp_oauth.register(McpClient(client_id, body["client_name"], "" if public else secret, tuple(uris),
                                            "public" if public else "web", call.now,
                                            user_id=session.user_id if session else None))
    answer = {"client_id": client_id, "client_id_issued_at": int(call.now.timestamp()), "redirect_uris": uris,
              "token_endpoint_auth_method": body["token_endpoint_auth_method"], "grant_types": grants,
              "response_types": responses, **{name: body[name] for name in ECHOED if name in body}}
    if not public:
        answer.update({"client_secret": secret, "client_secret_expires_at": 0})
    return respond(answer, status=201, headers={**NO_STORE, **CORS})


def _validated(body: Any) -> dict:
    """The registration schema: every field checked in its order, all issues reported;
    unknown fields dropped, the three defaults filled in."""
    if not isinstance(body, dict):
        raise validation_error([type_issue("body", "object", body)])
    issues = _uri_issues(body.get("redirect_uris", ABSENT))
    issues += _choice_issues("token_endpoint_auth_method", body.get("token_endpoint_auth_method", ABSENT),
                             AUTH_METHODS)
    for name, allowed in (("grant_types", GRANT_TYPES), ("response_types", RESPONSE_TYPES)):
        issues += _list_issues(name, body.get(name, ABSENT), lambda path, item, allowed=allowed:
                               _choice_issues(path, item, allowed))
    for name in OPTIONAL_TEXT[:4]:
        issues += _text_issues(name, body.get(name, ABSENT))
    issues += _list_issues("contacts", body.get("contacts", ABSENT), _text_issues)
    for name in OPTIONAL_TEXT[4:7]:
        issues += _text_issues(name, body.get(name, ABSENT))
    for name in ("jwks", "metadata"):
        value = body.get(name, ABSENT)
        issues += [] if value is ABSENT or isinstance(value, dict) else [type_issue(f"body.{name}", "record", value)]
    for name in OPTIONAL_TEXT[7:]:
        issues += _text_issues(name, body.get(name, ABSENT))
    if issues:
        raise validation_error(issues)
    known = {name: value for name, value in body.items() if name in (*OPTIONAL_TEXT, *ECHOED, "redirect_uris")}
    return {**known, **{name: body.get(name, default) for name, default in DEFAULTS.items()}}


def _uri_issues(value: Any) -> list[str]:
    if not isinstance(value, list):
        return [type_issue("body.redirect_uris", "array", value)]
    issues = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            issues.append(type_issue(f"body.redirect_uris.{index}", "string", item))
        elif not _safe_scheme(item):
            issues.append(f"[body.redirect_uris.{index}] {UNSAFE_MESSAGE}")
    return issues


def _safe_scheme(uri: str) -> bool:
    """isSafeUrlScheme: only an absolute URL can carry a code-running scheme."""
    scheme = urlsplit(uri.strip()).scheme.lower() if ":" in uri else ""
    return scheme not in UNSAFE_SCHEMES


def _choice_issues(path: str, value: Any, allowed: tuple[str, ...]) -> list[str]:
    if value is ABSENT or value in allowed:
        return []
    options = "|".join(f'"{option}"' for option in allowed)
    return [f"[{_path(path)}] Invalid option: expected one of {options}"]


def _list_issues(name: str, value: Any, item_issues) -> list[str]:
    if value is ABSENT:
        return []
    if not isinstance(value, list):
        return [type_issue(f"body.{name}", "array", value)]
    return [issue for index, item in enumerate(value) for issue in item_issues(f"{name}.{index}", item)]


def _text_issues(path: str, value: Any) -> list[str]:
    if value is ABSENT or isinstance(value, str):
        return []
    return [f"[{_path(path)}] Invalid input: expected string, received {received(value)}"]


def _path(path: str) -> str:
    return path if path.startswith("body.") else f"body.{path}"
