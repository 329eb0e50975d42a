"""GitHub sign-in and connect flows outside the auth library: GET /api/auth/github (connect:
install the App, or OAuth), its callback, and GET /api/auth/login/github (the legacy
Supabase sign-in behind the waitlist gate)."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from urllib.parse import quote, unquote

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.identity import lasting_cookie, next_cookie
from mockplex.handlers.waitlist import COOKIE_NAME as WAITLIST_COOKIE, COOKIE_SECRET as WAITLIST_SECRET
from mockplex.ids import b64url, s256
from mockplex.jsvalues import JS_EPOCH, js_number, search_params, uri_component
from mockplex.responses import EmptyResponse, request_origin
from mockplex.world.oauth_flows import github_account
from mockplex.world.records import Installation
from mockplex.world.sessions import SUPABASE_PROJECT_REF

# The world's GitHub App (GITHUB_APP_NAME) and OAuth app (GITHUB_CLIENT_ID): invented.
GITHUB_APP_NAME = "mogplex-local"
CONNECT_CLIENT_ID = "Ov23liMpxConnect4Fh9"
_INSTALL_PENDING = "github_app_install_pending"
_OAUTH_STATE = "github_oauth_state"
GITHUB_LOGIN_SCOPES = "read:user user:email repo"
SUPABASE_COOKIE_SECONDS = 400 * 24 * 60 * 60  # @supabase/ssr's default cookie maxAge
PLACEHOLDER_HOST = "mogplex.local"  # normalizeAppRedirectPath's fallback origin
_CHUNK = re.compile(r".*\.(?:0|[1-9][0-9]*)")
_MALFORMED_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PATH_UNSAFE = '"#<>?`{}'
_QUERY_UNSAFE = "\"#<>'"
_FRAGMENT_UNSAFE = '"<>`'


def _redirect(location: str, cookies: list[str] = ()) -> web.Response:
    """NextResponse.redirect: a bodiless 307."""
    response = web.Response(status=307, headers={"Location": location})
    for line in cookies:
        response.headers.add("Set-Cookie", line)
    return response


def _app_redirect(call: Call, path: str, cookies: list[str] = ()) -> web.Response:
    return _redirect(request_origin(call.request) + path, cookies)


def _deleted(name: str) -> str:
    return next_cookie(name, "", expires=JS_EPOCH)


def _require_oauth_app(call: Call) -> None:
    """requireEnv("GITHUB_CLIENT_ID"): unset, the handler throws (Next's empty 500)."""
    if call.world.outside.github_oauth == "not_configured":
        raise EmptyResponse(500)


async def connect(call: Call) -> web.Response:
    if call.identity is None:
        return _app_redirect(call, "/login")
    if call.world.github_app_configured:
        # `secure` follows NODE_ENV, and the hosted server runs in production.
        pending = lasting_cookie(call, _INSTALL_PENDING, "1", 86400, http_only=True, same_site="lax", secure=True)
        return _redirect(f"https://github.com/apps/{GITHUB_APP_NAME}/installations/new",
                         [pending, _deleted("github_reconcile_skip")])
    state = call.world.ids.uuid()
    cookie = lasting_cookie(call, _OAUTH_STATE, state, 600, http_only=True, same_site="lax", secure=True)
    _require_oauth_app(call)
    query = search_params([("client_id", CONNECT_CLIENT_ID),
                         ("redirect_uri", request_origin(call.request) + "/api/auth/github/callback"),
                         ("scope", "repo read:user"), ("state", state)])
    return _redirect(f"https://github.com/login/oauth/authorize?{query}", [cookie])


async def connect_callback(call: Call) -> web.Response:
    installation = call.query("installation_id")
    if installation and call.world.github_app_configured:
        return _installed(call, installation)
    code, state = call.query("code"), call.query("state")
    if not code or not state or state != call.request.cookies.get(_OAUTH_STATE):
        return _app_redirect(call, "/?error=invalid_state")
    if call.identity is None:
        return _app_redirect(call, "/login")
    cleared = [_deleted(_OAUTH_STATE)]
    _require_oauth_app(call)
    if call.world.outside.github_oauth == "fails":
        return _app_redirect(call, "/?error=github_token_exchange", cleared)
    account = github_account(code, call.world.users)
    if account is None:
        return _app_redirect(call, "/?error=github_token_error", cleared)
    if call.world.outside.github_api == "failing":
        return _app_redirect(call, "/?error=github_user_fetch", cleared)
    user = call.world.users[call.user_id]
    user.github_username = account.login
    user.github_connected = True  # the OAuth token is stored
    return _app_redirect(call, "/?github=connected", cleared)


def _installed(call: Call, raw_id: str) -> web.Response:
    """The App's install callback: the installation GitHub reports is the user's."""
    if call.identity is None:
        return _app_redirect(call, "/login")
    number = js_number(raw_id)
    if not math.isfinite(number):
        return _app_redirect(call, "/?error=github_installation_invalid")
    if call.world.outside.github_api == "failing" or number != int(number) or number <= 0:
        return _app_redirect(call, "/?error=github_installation_fetch")
    installations = call.world.installations
    if int(number) not in installations:
        user = call.world.users[call.user_id]
        installations[int(number)] = Installation(
            id=int(number), account=user.github_username or user.username or user.email.split("@")[0],
            user_id=user.id, account_type="User", row_id=call.world.ids.uuid(), created_at=call.now)
    return _app_redirect(call, "/?github=connected", [_deleted(_INSTALL_PENDING)])


async def login(call: Call) -> web.Response:
    next_path = app_redirect_path(call.query("next"))
    if not _waitlist_passed(call):
        query = [("error", "waitlist_required")] + ([("next", next_path)] if next_path != "/" else [])
        return _app_redirect(call, "/login/beta?" + search_params(query))
    callback = f"{request_origin(call.request)}/auth/callback?" + search_params([("next", next_path)])
    # auth-js's PKCE pair: 56 random 32-bit words, each cut to its last two hex digits, and
    # the unpadded base64url of the verifier's SHA-256.
    verifier = call.world.ids.random_bytes(56).hex()
    challenge = s256(verifier)
    # _getUrlForProvider joins encodeURIComponent'd pairs itself (a space is %20, not +).
    query = "&".join(["provider=github", f"redirect_to={uri_component(callback)}",
                      f"scopes={uri_component(GITHUB_LOGIN_SCOPES)}",
                      search_params([("code_challenge", challenge), ("code_challenge_method", "s256")])])
    return _redirect(f"https://{SUPABASE_PROJECT_REF}.supabase.mock/auth/v1/authorize?{query}",
                     _verifier_cookies(call, verifier))


def _verifier_cookies(call: Call, verifier: str) -> list[str]:
    """@supabase/ssr writes the verifier at once: stale chunks of it cleared first, then the
    JSON-encoded value as `base64-` + base64url, with its default cookie options."""
    name = f"sb-{SUPABASE_PROJECT_REF}-auth-token-code-verifier"
    stale = [key for key in _request_cookies(call) if _CHUNK.fullmatch(key) and key.rsplit(".", 1)[0] == name]
    encoded = "base64-" + b64url(f'"{verifier}"'.encode())
    return ([next_cookie(key, "", max_age=0, same_site="lax") for key in stale]
            + [lasting_cookie(call, name, encoded, SUPABASE_COOKIE_SECONDS, same_site="lax")])


def _request_cookies(call: Call) -> dict[str, str]:
    """The Cookie header as Next.js reads it: `; *`-split pairs, values URI-decoded (a value
    that does not decode is dropped), a later duplicate winning."""
    cookies: dict[str, str] = {}
    for pair in re.split(r"; *", call.request.headers.get("Cookie", "")):
        if not pair:
            continue
        key, found, value = pair.partition("=")
        if not found:
            cookies[pair] = "true"
            continue
        if _MALFORMED_ESCAPE.search(value):
            continue  # decodeURIComponent throws
        try:
            cookies[key] = unquote(value, errors="strict")
        except UnicodeDecodeError:
            continue
    return cookies


def _waitlist_passed(call: Call) -> bool:
    """verifyWaitlistCookieValue: `payload.signature`, the signature read as Node reads hex
    (up to its first non-hex pair), then the payload's last dot-field as a future second."""
    raw = _request_cookies(call).get(WAITLIST_COOKIE, "")
    last_dot = raw.rfind(".")
    if last_dot <= 0:
        return False
    if call.world.outside.waitlist_cookie_secret == "missing":
        raise EmptyResponse(500)  # signing throws without a secret
    payload, signature = raw[:last_dot], raw[last_dot + 1:]
    expected = hmac.new(WAITLIST_SECRET.encode(), payload.encode(), hashlib.sha256).digest()
    given = _node_hex(signature)
    if not given or len(given) != len(expected) or not hmac.compare_digest(given, expected):
        return False
    expiry = js_number(payload[payload.rfind(".") + 1:])
    return math.isfinite(expiry) and math.floor(call.now.timestamp()) < expiry


def _node_hex(text: str) -> bytes:
    """Buffer.from(text, "hex"): whole hex pairs up to the first that is not one."""
    pairs = re.match(r"(?:[0-9A-Fa-f]{2})*", text).group(0)
    return bytes.fromhex(pairs)


def app_redirect_path(value: str | None) -> str:
    """normalizeAppRedirectPath: a path that starts with one slash, resolved against a
    placeholder origin as a WHATWG URL (tabs and newlines dropped, `\\` a slash, dot segments
    resolved, unsafe characters escaped); `pathname + search + hash` if the origin held."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    text = re.sub(r"[\t\n\r]", "", value).rstrip("".join(map(chr, range(0x21))))
    if text[1:2] in ("/", "\\"):
        authority = re.match(r"[/\\]*([^/\\?#]*)", text).group(1)
        if authority.rpartition("@")[2].lower().removesuffix(":443").removesuffix(":") != PLACEHOLDER_HOST:
            return "/"
        text = text[len(re.match(r"[/\\]*[^/\\?#]*", text).group(0)):] or "/"
    text, hash_mark, fragment = text.partition("#")
    path, question_mark, query = text.partition("?")
    search = "?" + _escape(query, _QUERY_UNSAFE) if question_mark and query else ""
    hash_part = "#" + _escape(fragment, _FRAGMENT_UNSAFE) if hash_mark and fragment else ""
    return _resolved_path(path) + search + hash_part


def _resolved_path(path: str) -> str:
    segments: list[str] = []
    pieces = re.split(r"[/\\]", path)[1:]
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        dots = piece.lower().replace("%2e", ".")
        if dots == "..":
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif dots == ".":
            if last:
                segments.append("")
        else:
            segments.append(_escape(piece, _PATH_UNSAFE))
    return "/" + "/".join(segments)


def _escape(text: str, unsafe: str) -> str:
    """The URL parser's percent-encoding: controls, non-ASCII and the set's characters as
    UTF-8 escapes; an existing escape is kept."""
    return "".join(quote(char, safe="") if ord(char) <= 0x20 or ord(char) > 0x7E or char in unsafe else char
                   for char in text)
