"""Team invites (`team_invites`) and the invite emails the world's email sender delivered.

An invite is a bearer token mailed to an address; whoever signs in and presents it joins
the team in the invite's role. The sender is Resend on the real server; here every
delivered email lands in the outbox, so a client (or a test) can read the accept link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from mockplex.ids import b64url

INVITE_LIFETIME = timedelta(days=7)  # the column's default and a resend's new expiry
APP_URL = "https://mogplex.com"  # the server's fallback when no public site URL is set
TOKEN_BYTES = 24  # 32 base64url characters


@dataclass
class TeamInvite:
    id: str
    team_id: str
    email: str
    role: str  # admin | developer | viewer
    token: str
    invited_by_user_id: str | None
    expires_at: datetime
    created_at: datetime
    accepted_at: datetime | None = None


@dataclass(frozen=True)
class InviteEmail:
    to: str
    team_name: str
    inviter_name: str | None
    role: str
    accept_url: str
    subject: str
    channel: str  # resend (sent) | log (no sender configured: the link only went to the server's log)


def invite_token(random_bytes: bytes) -> str:
    return b64url(random_bytes)


def accept_url(token: str) -> str:
    return f"{APP_URL}/invite/{quote(token, safe='')}"


class TeamInvites:
    def __init__(self) -> None:
        self.rows: list[TeamInvite] = []
        self.outbox: list[InviteEmail] = []

    def create(self, invite: TeamInvite) -> TeamInvite:
        self.rows.append(invite)
        return invite

    def in_team(self, team_id: str, invite_id: str) -> TeamInvite | None:
        return next((row for row in self.rows if row.team_id == team_id and row.id == invite_id), None)

    def by_token(self, token: str) -> TeamInvite | None:
        return next((row for row in self.rows if row.token == token), None)

    def pending_for_team(self, team_id: str) -> list[TeamInvite]:
        """Not yet accepted (expired ones included), newest first, as the members list reads them."""
        pending = [row for row in reversed(self.rows) if row.team_id == team_id.lower() and row.accepted_at is None]
        return sorted(pending, key=lambda row: row.created_at, reverse=True)

    def delete(self, invite: TeamInvite) -> None:
        self.rows.remove(invite)

    def send(self, sender: str, to: str, team_name: str, inviter_name: str | None, role: str, token: str) -> str:
        """Deliver through the world's sender (`email_sender`): the channel, or resend_error."""
        if sender == "failing":
            return "resend_error"
        channel = "log" if sender == "missing" else "resend"
        subject = f"{inviter_name or 'A teammate'} invited you to {team_name} on Mogplex"
        self.outbox.append(InviteEmail(to, team_name, inviter_name, role, accept_url(token), subject, channel))
        return channel
