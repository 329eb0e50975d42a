"""The email unsubscribe endpoint, /api/unsubscribe (RFC 8058 one-click): GET sends the
visitor to the confirm page; POST checks the link's HMAC and records the opt-out."""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from mockplex.call import Call
from mockplex.responses import EmptyResponse, json_response, request_origin
from mockplex.validation import js_length, js_trim

# The world's EMAIL_UNSUBSCRIBE_SECRET: links minted with it verify.
UNSUBSCRIBE_SECRET = "mpx_email_unsubscribe_secret_dev_0001"
MAX_EMAIL_LENGTH = 320
_QUERY_ESCAPES = str.maketrans({" ": "%20", '"': "%22", "'": "%27", "<": "%3C", ">": "%3E"})


def signature_for(email: str) -> str:
    """The `t` of an unsubscribe link: HMAC-SHA256 (hex) of the lowercased address."""
    return hmac.new(UNSUBSCRIBE_SECRET.encode(), email.lower().encode(), hashlib.sha256).hexdigest()


async def confirm_page(call: Call) -> web.Response:
    """Never unsubscribes (a link scanner would): a 303 to the page, the query kept."""
    # `new URL(request.url).search`: the parser escapes what a special URL's query may not hold raw.
    search = call.request.rel_url.raw_query_string.translate(_QUERY_ESCAPES)
    location = f"{request_origin(call.request)}/unsubscribe" + (f"?{search}" if search else "")
    return web.Response(status=303, headers={"Location": location})


async def one_click(call: Call) -> web.Response:
    email = _verified(call.query("email"), call.query("t"))
    if email is None:
        return json_response({"error": "invalid_token"}, 400)
    if call.world.outside.email_unsubscribes == "failing":
        return json_response({"error": "storage_error"}, 503)
    call.world.email_preferences.unsubscribe(email, "one_click", call.now)
    return json_response({"ok": True})


def _verified(email: str | None, signature: str | None) -> str | None:
    if email is None or signature is None:
        return None
    normalized = js_trim(email).lower()
    if not normalized or js_length(normalized) > MAX_EMAIL_LENGTH:
        return None
    expected = signature_for(normalized)
    if js_length(signature) != len(expected):
        return None
    if len(signature.encode()) != len(expected):
        raise EmptyResponse(500)  # timingSafeEqual throws on buffers of unequal length
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    return normalized
