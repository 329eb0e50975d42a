"""The better-auth `mcp` plugin's OAuth provider (/api/auth/mcp/*): its registered
clients (`oauthApplication`), the authorization codes it hands out (verification values)
and the access/refresh token pairs it mints (`oauthAccessToken`).

Every access token minted here is also an OAuth grant in the world's tokens, so v1 and
the MCP endpoint accept it (with the read/write scopes it carries) until its hour is up.
A refresh does not delete the pair it was given: the plugin only adds a new one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mockplex.ids import IdGenerator
from mockplex.world.records import OAuthGrant
from mockplex.world.tokens import TokenStore

CODE_LIFETIME = timedelta(seconds=600)
ACCESS_TOKEN_SECONDS = 3600
# The server's oidcConfig: ~100 years ("never"), except the CLI's 30 days (cliTokenTtl).
REFRESH_TOKEN_LIFETIME = timedelta(days=100 * 365)
CLI_CLIENT_ID = "mogplex-cli"
CLI_REFRESH_LIFETIME = timedelta(days=30)
CLI_REDIRECT_URLS = ("http://127.0.0.1:24816/auth/callback", "http://127.0.0.1:24818/auth/callback",
                     "http://localhost:24816/auth/callback", "http://localhost:24818/auth/callback")
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


@dataclass
class McpClient:
    client_id: str
    name: str
    client_secret: str  # "" for a public client
    redirect_urls: tuple[str, ...]
    type: str  # "public" or "web"
    created_at: datetime
    disabled: bool = False
    user_id: str | None = None


@dataclass(frozen=True)
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    user_id: str
    code_challenge: str
    code_challenge_method: str
    nonce: str | None
    expires_at: datetime


@dataclass
class TokenPair:
    id: str
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    client_id: str
    user_id: str
    scopes: str  # space-separated, as stored
    created_at: datetime


def _cli_client() -> McpClient:
    return McpClient(CLI_CLIENT_ID, "Mogplex CLI", "", CLI_REDIRECT_URLS, "public",
                     datetime(2026, 3, 2, 9, 30, tzinfo=UTC))


class McpOAuthServer:
    def __init__(self) -> None:
        self.clients: dict[str, McpClient] = {CLI_CLIENT_ID: _cli_client()}
        self._codes: dict[str, AuthorizationCode] = {}
        self._pairs: list[TokenPair] = []

    def register(self, client: McpClient) -> None:
        self.clients[client.client_id] = client

    def issue_code(self, code: AuthorizationCode) -> None:
        self._codes[code.code] = code

    def consume_code(self, code: str, now: datetime) -> AuthorizationCode | None:
        """Single use: found or not, live or expired, the code is gone afterwards."""
        found = self._codes.pop(code, None)
        return found if found is not None and found.expires_at >= now else None

    def by_refresh_token(self, refresh_token: str) -> TokenPair | None:
        return next((pair for pair in self._pairs if pair.refresh_token == refresh_token), None)

    def by_access_token(self, access_token: str) -> TokenPair | None:
        return next((pair for pair in self._pairs if pair.access_token == access_token), None)

    def mint(self, tokens: TokenStore, ids: IdGenerator, *, client_id: str, user_id: str, scopes: str,
             now: datetime, refresh_alphabet: str) -> TokenPair:
        pair = TokenPair(id=ids.uuid(), access_token=ids.random_text(LETTERS),
                         refresh_token=ids.random_text(refresh_alphabet),
                         access_expires_at=now + timedelta(seconds=ACCESS_TOKEN_SECONDS),
                         refresh_expires_at=now + REFRESH_TOKEN_LIFETIME, client_id=client_id, user_id=user_id,
                         scopes=scopes, created_at=now)
        self._pairs.append(pair)
        tokens.add_grant(OAuthGrant(pair.access_token, user_id, client_id, tuple(scopes.split()),
                                    expires_at=pair.access_expires_at))
        return pair

    def cap_cli_refresh_tokens(self, now: datetime) -> None:
        """cliTokenTtl: after any /mcp/token call naming the CLI, no CLI refresh token
        outlives 30 days from now (only ever shortened)."""
        cap = now + CLI_REFRESH_LIFETIME
        for pair in self._pairs:
            if pair.client_id == CLI_CLIENT_ID and pair.refresh_expires_at > cap:
                pair.refresh_expires_at = cap
