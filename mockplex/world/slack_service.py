"""Slack itself, as the world plays it: the workspaces an install can reach and what
Slack's Web API answers the server about them (`oauth.v2.access` for an install's code,
`conversations.list` for a bot token). Answers are Slack's JSON, or the HTTP status of a
Slack that is down (the `slack: api_failing` setting)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from mockplex.world.fixtures import Entry

# What the server asks Slack for: its app manifest's bot scopes, in the manifest's order.
SLACK_BOT_SCOPES = (
    "app_mentions:read", "channels:history", "channels:read", "chat:write", "groups:history", "groups:read",
    "im:history", "im:read", "mpim:history", "mpim:read", "users:read", "users:read.email",
)
SLACK_DOWN = 503
CURSOR_PREFIX = "channel:"


@dataclass
class SlackChannel:
    id: str
    name: str
    private: bool = False
    archived: bool = False


@dataclass
class SlackWorkspace:
    team_id: str
    name: str
    bot_user_id: str
    bot_token: str  # what oauth.v2.access hands the server; never shown to a client
    code: str  # the code Slack's redirect carries back to the callback after an approved install
    installer_slack_user_id: str  # the Slack user who approves the install (authed_user)
    channels: list[SlackChannel] = field(default_factory=list)


class SlackService:
    """Slack's Web API over the world's workspaces."""

    def __init__(self, workspaces: list[SlackWorkspace], failing: bool) -> None:
        self.workspaces = {workspace.team_id: workspace for workspace in workspaces}
        self.failing = failing

    def oauth_access(self, code: str) -> dict[str, Any] | int:
        """oauth.v2.access: the bot's token for the workspace whose code this is."""
        if self.failing:
            return SLACK_DOWN
        workspace = next((ws for ws in self.workspaces.values() if ws.code == code), None)
        if workspace is None:
            return {"ok": False, "error": "invalid_code"}
        return {"ok": True, "app_id": "A07MOCKPLEX", "authed_user": {"id": workspace.installer_slack_user_id},
                "scope": ",".join(SLACK_BOT_SCOPES), "token_type": "bot", "access_token": workspace.bot_token,
                "bot_user_id": workspace.bot_user_id, "team": {"id": workspace.team_id, "name": workspace.name},
                "enterprise": None, "is_enterprise_install": False}

    def conversations_list(self, bot_token: str, cursor: str, limit: int) -> dict[str, Any] | int:
        """conversations.list with exclude_archived and public+private types: one page of the
        channels the bot sees, and the cursor of the next ("" on the last page)."""
        if self.failing:
            return SLACK_DOWN
        workspace = next((ws for ws in self.workspaces.values() if ws.bot_token == bot_token), None)
        if workspace is None:
            return {"ok": False, "error": "invalid_auth"}
        channels = [channel for channel in workspace.channels if not channel.archived]
        start = _cursor_start(channels, cursor)
        if start is None:
            return {"ok": False, "error": "invalid_cursor"}
        page = channels[start:start + limit]
        following = channels[start + limit:start + limit + 1]
        next_cursor = _cursor_of(following[0]) if following else ""
        return {"ok": True, "channels": [_conversation(channel) for channel in page],
                "response_metadata": {"next_cursor": next_cursor}}


def _cursor_of(channel: SlackChannel) -> str:
    return base64.b64encode((CURSOR_PREFIX + channel.id).encode()).decode()


def _cursor_start(channels: list[SlackChannel], cursor: str) -> int | None:
    if not cursor:
        return 0
    return next((index for index, channel in enumerate(channels) if _cursor_of(channel) == cursor), None)


def _conversation(channel: SlackChannel) -> dict[str, Any]:
    return {"id": channel.id, "name": channel.name, "is_channel": not channel.private, "is_group": channel.private,
            "is_im": False, "is_archived": channel.archived, "is_private": channel.private}


def read_slack_workspace(entry: Entry) -> SlackWorkspace:
    channels = []
    for channel_entry in entry.entries("channels", "channels"):
        channels.append(SlackChannel(channel_entry.get("id", str), channel_entry.get("name", str),
                                     channel_entry.get("private", bool, False),
                                     channel_entry.get("archived", bool, False)))
        channel_entry.finish()
    token = entry.get("bot_token", str)
    if not token.startswith("xoxb-"):
        raise entry.fail("bot_token", "'bot_token' must be a bot token (xoxb-...)")
    return SlackWorkspace(entry.get("team_id", str), entry.get("name", str), entry.get("bot_user_id", str), token,
                          entry.get("code", str), entry.get("installer_slack_user", str), channels)
