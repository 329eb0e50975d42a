"""The v1 REST auth helper (spec §2): bearer resolution, the PAT window, scopes,
and the Idempotency-Key header rule for routes that need one."""

from __future__ import annotations

from aiohttp import web

from mockplex import state
from mockplex.ids import is_strict_uuid
from mockplex.names import MCP_PATH, TOKEN_PREFIX
from mockplex.replay.callers import request_caller
from mockplex.responses import ApiError, flat_error, request_origin
from mockplex.rules.internal_auth import resolve_internal
from mockplex.rules.limits import pat_window_full
from mockplex.state import FLOW
from mockplex.world.tokens import Identity

MAX_IDEMPOTENCY_KEY = 200


def unauthorized(request: web.Request) -> ApiError:
    origin = request_origin(request)
    challenge = f'Bearer resource_metadata="{origin}/.well-known/oauth-protected-resource{MCP_PATH}"'
    return ApiError(401, "UNAUTHORIZED", "Unauthorized", {"WWW-Authenticate": challenge})


def resolve_bearer(request: web.Request) -> Identity:
    """A recorded caller's credential, PAT or OAuth bearer → identity; 401 or the
    PAT-window 429 otherwise."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise unauthorized(request)
    flow = request[FLOW]
    recorded = request_caller(request, flow)
    if recorded is not None:  # the window, like every other answer it got, is in the recording
        return recorded.identity
    token = header[7:]
    world = request.app[state.WORLD]
    now = flow.now
    if token.startswith(TOKEN_PREFIX):
        identity = world.tokens.resolve_pat(token, now)
        if identity is None:
            raise unauthorized(request)
        if not request.app[state.LIMITS].admit_pat(identity.key_id, now):
            raise pat_window_full()
        return identity
    identity = world.tokens.resolve_oauth(token, now)
    if identity is None:
        raise unauthorized(request)
    return identity


def missing_scope(scope: str) -> ApiError:
    return ApiError(403, "FORBIDDEN",
                    f"Missing required scope: {scope}. Issue a new token with the '{scope}' scope "
                    "at /settings/api-keys.")


def authenticate(request: web.Request) -> None:
    """The route's caller: bearer routes resolve and check scope (raising the envelope's
    401/403/429); internal routes resolve without enforcing."""
    flow = request[FLOW]
    spec = flow.route
    if spec.auth == "bearer":
        identity = resolve_bearer(request)
        if spec.scope is not None and spec.scope not in identity.scopes:
            raise missing_scope(spec.scope)
        flow.identity = identity
    elif spec.auth == "internal":
        # Resolved, not enforced: each internal route decides what no caller means.
        identity = resolve_internal(request)
        if identity is not None and spec.team_scope and not _team_scope_allowed(request, identity.user_id):
            raise flat_error(403, "Forbidden")
        flow.identity = identity


def _team_scope_allowed(request: web.Request, user_id: str) -> bool:
    """A well-formed x-mogplex-team-id must name a team the caller belongs to; a malformed
    one is ignored (personal scope)."""
    team_id = request.headers.get("x-mogplex-team-id", "").strip()
    if not is_strict_uuid(team_id):
        return True
    return request.app[state.WORLD].teams.is_member(user_id, team_id)


def require_idempotency_key(request: web.Request) -> None:
    flow = request[FLOW]
    if flow.route.idempotency:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise ApiError(400, "BAD_REQUEST", "Idempotency-Key is required")
        if len(key) > MAX_IDEMPOTENCY_KEY:
            raise ApiError(400, "BAD_REQUEST",
                           f"Idempotency-Key exceeds maximum length of {MAX_IDEMPOTENCY_KEY} characters")
        flow.idempotency_key = key
