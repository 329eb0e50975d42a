"""The managed-auth broker (Pipedream Connect) behind Sentry connections: the connect
tokens the server asks it for, the connected accounts it holds, and the key it signs its
webhooks with (the server's PIPEDREAM_CONNECT_WEBHOOK_SIGNING_KEY).

Opening a connect link stands for the user finishing the provider's consent at once: the
broker then holds a healthy Sentry account for that user, which a CONNECTION_SUCCESS
webhook names."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockplex.ids import IdGenerator
from mockplex.jsvalues import js_iso

# A development key, documented in world.yaml so a local caller can sign a delivery.
WEBHOOK_SIGNING_KEY = "mpx_pd_webhook_signing_dev_0001"
SENTRY_APP = {"id": "app_OrZhaO", "name_slug": "sentry", "name": "Sentry", "auth_type": "oauth"}
CONNECT_LINK_BASE = "https://pipedream.mock/_static/connect.html"
SCOPES = ["org:read", "project:read", "event:read"]
DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
NOBODY = "0b7d4e2a-6c1f-4a8e-9d3b-2f5c7e9a1d60"  # an external user id no profile has


@dataclass
class BrokerAccount:
    id: str
    external_id: str
    created_at: str
    updated_at: str
    healthy: bool = True
    dead: bool | None = False
    app: dict[str, Any] = field(default_factory=lambda: dict(SENTRY_APP))
    name: str | None = "harborlight-sentry"
    authorized_scopes: list[str] | None = field(default_factory=lambda: list(SCOPES))
    expires_at: str | None = None
    access_token: str = ""

    def as_payload(self) -> dict[str, Any]:
        """The account as the broker's webhook names it."""
        return {"id": self.id, "external_id": self.external_id, "healthy": self.healthy, "dead": self.dead,
                "app": dict(self.app), "created_at": self.created_at, "updated_at": self.updated_at}


def _seeded() -> dict[str, BrokerAccount]:
    stamp = "2026-03-02T09:15:00.000Z"
    accounts = (
        BrokerAccount("apn_dev_sentry_dana", DANA, stamp, "2026-03-02T09:16:30.000Z",
                      access_token="mpx_pd_sentry_access_dev_0001"),
        BrokerAccount("apn_dev_sentry_unhealthy", DANA, stamp, stamp, healthy=False,
                      access_token="mpx_pd_sentry_access_dev_0002"),
        BrokerAccount("apn_dev_sentry_dead", DANA, stamp, stamp, dead=True),
        BrokerAccount("apn_dev_sentry_nobody", NOBODY, stamp, stamp, access_token="mpx_pd_sentry_access_dev_0003"),
        BrokerAccount("apn_dev_github_dana", DANA, stamp, stamp, app={"name_slug": "github", "name": "GitHub"}),
    )
    return {account.id: account for account in accounts}


@dataclass
class ManagedAuthBroker:
    accounts: dict[str, BrokerAccount] = field(default_factory=_seeded)
    connect_tokens: dict[str, str] = field(default_factory=dict)  # token -> external user id

    def connect_link(self, external_user_id: str, ids: IdGenerator, now: datetime) -> str:
        """A connect token for the user, and the account their consent leaves behind."""
        token = ids.short("ctok_", 24)
        self.connect_tokens[token] = external_user_id
        stamp = js_iso(now)
        account = BrokerAccount(ids.short("apn_", 8), external_user_id, stamp, stamp,
                                access_token=ids.short("mpx_pd_sentry_access_", 24))
        self.accounts[account.id] = account
        return f"{CONNECT_LINK_BASE}?token={token}&connectLink=true&app={SENTRY_APP['name_slug']}"

    def latest_account_of(self, external_user_id: str) -> BrokerAccount | None:
        mine = [account for account in self.accounts.values() if account.external_id == external_user_id]
        return mine[-1] if mine else None


def webhook_signature(body: bytes, timestamp: int, key: str = WEBHOOK_SIGNING_KEY) -> str:
    """The x-pd-signature header a delivery carries: t=<unix seconds>,v1=<hex HMAC>."""
    digest = hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
