"""Installing the Slack app: GET /api/integrations/slack/install sends the browser to
Slack's authorize page with a signed state (the caller, a nonce, the time) and the nonce
in a cookie; Slack sends it back to GET /api/integrations/slack/callback with a code,
which the server trades for the bot's token (oauth.v2.access, played by the world) and
stores as the workspace's installation. Every outcome is a redirect to /settings."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.identity import lasting_cookie, next_cookie
from mockplex.ids import b64url
from mockplex.jsvalues import JS_EPOCH, search_params
from mockplex.responses import origin_redirect, request_origin
from mockplex.world.slack import SlackGrant
from mockplex.world.slack_service import SLACK_BOT_SCOPES

# The server's SLACK_CLIENT_ID and SLACK_SIGNING_SECRET, as the world's Slack app has them.
SLACK_CLIENT_ID = "5183920461.7402918365507"
SLACK_SIGNING_SECRET = "mockplex-slack-signing-secret-0001"
AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
CALLBACK_PATH = "/api/integrations/slack/callback"
STATE_COOKIE = "slack_oauth_state"
STATE_TTL_SECONDS = 600
CLOCK_SKEW_SECONDS = 60


async def install(call: Call) -> web.Response:
    user_id = call.require_user()
    if not _configured(call):
        return _settings_redirect(call, "slack=not_configured")
    nonce = b64url(call.world.ids.random_bytes(24))
    state = sign_state({"userId": user_id, "nonce": nonce, "ts": int(call.now.timestamp())})
    params = {"client_id": SLACK_CLIENT_ID, "scope": ",".join(SLACK_BOT_SCOPES),
              "redirect_uri": request_origin(call.request) + CALLBACK_PATH, "state": state}
    response = web.Response(status=307, headers={"Location": f"{AUTHORIZE_URL}?{search_params(params.items())}"})
    response.headers.add("Set-Cookie", lasting_cookie(call, STATE_COOKIE, nonce, STATE_TTL_SECONDS, secure=True,
                                                      http_only=True, same_site="lax"))
    return response


async def callback(call: Call) -> web.Response:
    """The checks in the server's order; the single-use state cookie is cleared whatever happens."""
    response = _settings_redirect(call, _callback_outcome(call))
    response.headers.add("Set-Cookie", next_cookie(STATE_COOKIE, "", expires=JS_EPOCH))
    return response


def _callback_outcome(call: Call) -> str:
    code, state, slack_error = call.query("code"), call.query("state"), call.query("error")
    if slack_error:
        return f"slack=denied&reason={_uri_component(slack_error)}"
    if not code or not state:
        return "slack=error&reason=missing_params"
    if not _configured(call):
        return "slack=not_configured"
    verified = verify_state(state, int(call.now.timestamp()))
    if verified is None:
        return "slack=error&reason=invalid_state"
    nonce = call.request.cookies.get(STATE_COOKIE)
    if not nonce or nonce != verified["nonce"]:
        return "slack=error&reason=nonce_mismatch"
    exchange = call.world.slack.service.oauth_access(code)
    if isinstance(exchange, int):
        exchange = {"ok": False, "error": f"http_{exchange}"}
    if not (exchange.get("ok") and exchange.get("access_token") and exchange.get("bot_user_id")
            and (exchange.get("team") or {}).get("id")):
        return f"slack=error&reason={_uri_component(exchange.get('error') or 'exchange_failed')}"
    if verified["userId"] not in call.world.users:
        return "slack=error&reason=persist_failed"  # the installer's profile row must exist
    team = exchange["team"]
    scopes = [scope.strip() for scope in (exchange.get("scope") or "").split(",") if scope.strip()]
    grant = SlackGrant(team["id"], team.get("name"), exchange["bot_user_id"], exchange["access_token"], scopes,
                       (exchange.get("authed_user") or {}).get("id"))
    call.world.slack.install(call.world.ids, call.now, verified["userId"], grant)
    return f"slack=connected&team={_uri_component(team['id'])}"


def _configured(call: Call) -> bool:
    return call.world.outside.slack != "not_configured"


def _settings_redirect(call: Call, query: str) -> web.Response:
    return origin_redirect(call.request, f"/settings?{query}")


# -- the signed state ------------------------------------------------------------------------

def sign_state(payload: dict[str, Any]) -> str:
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_mac(body)}"


def verify_state(token: str, now_seconds: int) -> dict[str, Any] | None:
    dot = token.find(".")
    if dot <= 0 or dot == len(token) - 1:
        return None
    body, mac = token[:dot], token[dot + 1:]
    if not hmac.compare_digest(mac.encode(), _mac(body).encode()):
        return None
    payload = _decoded_payload(body)
    if payload is None:
        return None
    age = now_seconds - payload["ts"]
    return payload if age <= STATE_TTL_SECONDS and -age <= CLOCK_SKEW_SECONDS else None


def _decoded_payload(body: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8", "replace"))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(payload, dict) or not all(isinstance(payload.get(key), str) for key in ("userId", "nonce")):
        return None
    ts = payload.get("ts")
    return payload if isinstance(ts, (int, float)) and not isinstance(ts, bool) else None


def _mac(body: str) -> str:
    return b64url(hmac.new(SLACK_SIGNING_SECRET.encode(), body.encode(), hashlib.sha256).digest())


def _uri_component(value: str) -> str:
    """encodeURIComponent, then the URL parser's own escape of a quote in the query."""
    return quote(value, safe="-_.!~*()")
