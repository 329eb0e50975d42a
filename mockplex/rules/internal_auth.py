"""Who is calling an internal (unversioned) route: the shared resolver (internal spec §1.2).

Order: a recorded caller's credential (replay) → a valid, unthrottled PAT → the end-to-end
test headers (test mode only) → the browser session. Invalid, expired, revoked and throttled PATs fall through silently:
the internal surface never answers 429 for the PAT window. Sandbox routes honour a
delegated internal call first.
"""

from __future__ import annotations

from aiohttp import web

from mockplex import state
from mockplex.names import SCOPES, TOKEN_PREFIX
from mockplex.replay.callers import request_caller
from mockplex.rules.edge import SANDBOX_SUBTREE, bearer_token, delegated_user, e2e_authorized, in_subtree
from mockplex.world.tokens import Identity

def resolve_internal(request: web.Request) -> Identity | None:
    world = request.app[state.WORLD]
    flow = request[state.FLOW]
    now = flow.now
    if in_subtree(request.path, SANDBOX_SUBTREE):
        user_id = delegated_user(request)
        if user_id in world.users:
            return Identity(user_id, "delegated", SCOPES, "delegated")
    recorded = request_caller(request, flow)
    if recorded is not None:
        return recorded.identity
    token = bearer_token(request)
    if token is not None and token.startswith(TOKEN_PREFIX):
        pat = world.tokens.lookup_pat(token, now)
        if pat is not None and request.app[state.LIMITS].admit_pat(pat.id, now):
            pat.last_used_at = now
            return Identity(pat.user_id, pat.id, pat.scopes, "pat")
    if e2e_authorized(request):
        user_id = (request.headers.get("x-mogplex-e2e-user-id") or request.headers.get("x-delegated-user-id", ""))
        if user_id.strip() in world.users:
            return Identity(user_id.strip(), "e2e", SCOPES, "e2e")
    session = world.sessions.resolve(request.cookies, now)
    if session is not None and session.user_id in world.users:
        return Identity(session.user_id, "session", SCOPES, "session")
    return None
