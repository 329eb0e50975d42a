"""Mogplex's own OAuth server for MCP clients (Supabase Auth's OAuth 2.1 server, outside
the app): the authorization requests its /oauth/authorize left pending for the consent
page, the consents users gave, and the clients the app admitted (`mcp_oauth_clients`).

An approved request carries a code; `exchange` is what the token endpoint does with it:
the code (and its PKCE verifier) becomes an OAuth bearer in the world's tokens, which v1
and the MCP endpoint then accept like any OAuth grant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mockplex.ids import IdGenerator, s256
from mockplex.world.records import OAuthGrant
from mockplex.world.tokens import TokenStore

AUTHORIZATION_TTL = timedelta(minutes=10)
CLAUDE_CLIENT = ("5d0c8f3a-2b7e-4c19-8a6d-3e9f1b2c4d70", "Claude Code", "http://127.0.0.1:33418/callback")
CODEX_CLIENT = ("9a4e6b21-7c3d-4f58-b1e2-6d8c0f3a5b94", "Codex", "http://127.0.0.1:1455/auth/callback")
# PKCE of the seeded requests: S256 of this verifier (a documented development value).
SEED_VERIFIER = "mpx-dev-pkce-verifier-0001-abcdefghijklmnopqrstuvwxyz"
_FOREVER = datetime(2099, 1, 1, tzinfo=UTC)


@dataclass
class Authorization:
    id: str
    client_id: str
    client_name: str
    redirect_uri: str
    scope: str
    state: str | None
    expires_at: datetime
    code_challenge: str | None = None
    user_id: str | None = None
    status: str = "pending"  # pending | approved | denied
    code: str | None = None
    code_used: bool = False


@dataclass
class AdmittedClient:
    client_id: str
    client_name: str
    resource_url: str
    approved_by: str
    approved_at: datetime


def _seeded() -> dict[str, Authorization]:
    requests = (
        Authorization("mpx_authz_dev_pending_0001", *CLAUDE_CLIENT, "read write", "st-claude-0001", _FOREVER,
                      s256(SEED_VERIFIER)),
        Authorization("mpx_authz_dev_pending_0002", *CODEX_CLIENT, "read write", "st-codex-0002", _FOREVER,
                      s256(SEED_VERIFIER)),
        Authorization("mpx_authz_dev_expired_0001", *CLAUDE_CLIENT, "read write", "st-claude-old",
                      datetime(2026, 1, 1, tzinfo=UTC), s256(SEED_VERIFIER)),
    )
    return {request.id: request for request in requests}


@dataclass
class McpAuthorizations:
    requests: dict[str, Authorization] = field(default_factory=_seeded)
    consents: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (user, client) -> scopes
    clients: dict[str, AdmittedClient] = field(default_factory=dict)

    def details(self, authorization_id: str, user_id: str, now: datetime) -> Authorization | None:
        """getAuthorizationDetails: a live pending request, bound to its first viewer;
        None for an unknown, expired, settled or someone else's request."""
        request = self.requests.get(authorization_id)
        if request is None or request.expires_at <= now or request.status != "pending":
            return None
        if request.user_id is None:
            request.user_id = user_id
        return request if request.user_id == user_id else None

    def consented(self, request: Authorization) -> bool:
        """A consent the user gave this client before covers every scope asked for."""
        granted = self.consents.get((request.user_id, request.client_id))
        return granted is not None and set(request.scope.split()) <= granted

    def admit(self, request: Authorization, resource_url: str, now: datetime) -> AdmittedClient | None:
        """registerMogplexOAuthClient: None when the client was already admitted (23505)."""
        if request.client_id in self.clients:
            return None
        admitted = AdmittedClient(request.client_id, request.client_name, resource_url, request.user_id, now)
        self.clients[request.client_id] = admitted
        return admitted

    def withdraw(self, admitted: AdmittedClient) -> None:
        if self.clients.get(admitted.client_id) == admitted:
            del self.clients[admitted.client_id]

    def approve(self, request: Authorization, ids: IdGenerator) -> str:
        request.status, request.code = "approved", ids.uuid()
        self.consents.setdefault((request.user_id, request.client_id), set()).update(request.scope.split())
        return _with_query(request.redirect_uri, {"code": request.code, "state": request.state})

    def deny(self, request: Authorization) -> str:
        request.status = "denied"
        return _with_query(request.redirect_uri, {"error": "access_denied", "error_description":
                                                  "User denied the request", "state": request.state})

    def exchange(self, code: str, verifier: str | None, tokens: TokenStore, ids: IdGenerator) -> str | None:
        """The token endpoint: an unused approved code whose verifier matches, for an
        admitted client, becomes an access token; None otherwise."""
        request = next((r for r in self.requests.values() if r.code == code and r.status == "approved"), None)
        if request is None or request.code_used or request.client_id not in self.clients:
            return None
        if request.code_challenge and (verifier is None or s256(verifier) != request.code_challenge):
            return None
        request.code_used = True
        token = ids.short("mpx_oauth_", 32)
        tokens.add_grant(OAuthGrant(token, request.user_id, request.client_id, tuple(request.scope.split())))
        return token


def _with_query(uri: str, params: dict[str, str | None]) -> str:
    """Go's url.Values.Encode over the redirect URI's query: keys sorted, form-encoded;
    an empty state is left out."""
    parts = urlsplit(uri)
    values = dict(parse_qsl(parts.query, keep_blank_values=True))
    values.update({key: value for key, value in params.items() if value})
    return urlunsplit(parts._replace(query=urlencode(sorted(values.items()))))
