"""The server's Slack rows: a workspace's installation (`slack_installations`, one per
Slack team id, its bot token kept as the server keeps it in Vault: never shown) and the
installation's channel links (`slack_channel_links`: one Slack channel routed to one of
the installer's repos), with Slack itself (slack_service.py) behind them.

The database's rules hold: a reinstall keeps the row's id and created_at and, when
another user installs, drops the links; deleting an installation drops its links; a
deleted repo takes its links with it (each cascades in the schema).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Mapping

from mockplex.ids import IdGenerator
from mockplex.world.fixtures import Entry, FixtureError
from mockplex.world.slack_service import SLACK_BOT_SCOPES, SlackService, SlackWorkspace, read_slack_workspace

LINK_UNIQUE = "slack_channel_links_unique"
POLICY_FIELDS = ("repo_agent_enabled", "allowed_slack_user_ids", "monthly_repo_run_limit")


@dataclass
class SlackInstallation:
    id: str
    team_id: str
    team_name: str | None
    installed_by_user_id: str
    bot_user_id: str
    bot_token: str
    scopes: list[str]
    authed_user_slack_id: str | None
    created_at: datetime
    updated_at: datetime
    repo_agent_enabled: bool = True
    allowed_slack_user_ids: list[str] | None = None
    monthly_repo_run_limit: int | None = None


@dataclass
class SlackChannelLink:
    id: str
    installation_id: str
    channel_id: str
    channel_name: str | None
    repo_id: str
    created_by_user_id: str
    created_at: datetime


@dataclass
class SlackSeed:
    """A workspace of the fixture, and the installation (with links) the server already holds for it."""

    workspace: SlackWorkspace
    installation: SlackInstallation | None = None
    links: list[SlackChannelLink] = field(default_factory=list)


@dataclass
class SlackGrant:
    """What a successful oauth.v2.access gave the callback to store."""

    team_id: str
    team_name: str | None
    bot_user_id: str
    bot_token: str
    scopes: list[str]
    authed_user_slack_id: str | None


class DuplicateChannelLink(Exception):
    """The (installation, channel) unique constraint."""


class SlackIntegration:
    def __init__(self, seeds: list[SlackSeed], failing: bool, repos: Mapping[str, object]) -> None:
        self.service = SlackService([seed.workspace for seed in seeds], failing)
        self.installations = {seed.installation.team_id: seed.installation for seed in seeds if seed.installation}
        self.links = [link for seed in seeds for link in seed.links]
        self._repos = repos

    # -- installations ------------------------------------------------------------------

    def installation(self, team_id: str) -> SlackInstallation | None:
        return self.installations.get(team_id)

    def installations_of(self, user_id: str) -> list[SlackInstallation]:
        mine = [row for row in self.installations.values() if row.installed_by_user_id == user_id]
        return sorted(mine, key=lambda row: row.created_at, reverse=True)

    def install(self, ids: IdGenerator, now: datetime, user_id: str, grant: SlackGrant) -> SlackInstallation:
        """upsert_slack_installation: a new row, or the same row taken over by this install."""
        row = self.installations.get(grant.team_id)
        if row is not None and row.installed_by_user_id != user_id:
            self.links = [link for link in self.links if link.installation_id != row.id]
        if row is None:
            row = SlackInstallation(ids.uuid(), grant.team_id, None, user_id, "", "", [], None, now, now)
            self.installations[row.team_id] = row
        row.team_name, row.installed_by_user_id = grant.team_name, user_id
        row.bot_user_id, row.bot_token = grant.bot_user_id, grant.bot_token
        row.scopes, row.authed_user_slack_id, row.updated_at = grant.scopes, grant.authed_user_slack_id, now
        return row

    def uninstall(self, team_id: str, user_id: str) -> None:
        """delete_slack_installation: only the installer's row goes; anything else is a no-op."""
        row = self.installations.get(team_id)
        if row is None or row.installed_by_user_id != user_id:
            return
        del self.installations[team_id]
        self.links = [link for link in self.links if link.installation_id != row.id]

    def update_policy(self, team_id: str, user_id: str, now: datetime, changes: dict) -> SlackInstallation | None:
        row = self.installations.get(team_id)
        if row is None or row.installed_by_user_id != user_id:
            return None
        for name in POLICY_FIELDS:
            if name in changes:
                setattr(row, name, changes[name])
        row.updated_at = now
        return row

    # -- channel links ------------------------------------------------------------------

    def links_of(self, installation_id: str) -> list[SlackChannelLink]:
        mine = [link for link in self._live_links() if link.installation_id == installation_id]
        return sorted(mine, key=lambda link: link.created_at, reverse=True)

    def link(self, link: SlackChannelLink) -> SlackChannelLink:
        if any(existing.installation_id == link.installation_id and existing.channel_id == link.channel_id
               for existing in self._live_links()):
            raise DuplicateChannelLink(LINK_UNIQUE)
        self.links.append(link)
        return link

    def unlink(self, link_id: str, installation_id: str, user_id: str) -> None:
        self.links = [link for link in self.links
                      if not (link.id == link_id and link.installation_id == installation_id
                              and link.created_by_user_id == user_id)]

    def _live_links(self) -> list[SlackChannelLink]:
        """A repo's deletion cascades to its links."""
        self.links = [link for link in self.links if link.repo_id in self._repos]
        return self.links


# -- the fixture ---------------------------------------------------------------------------

def read_slack_seed(entry: Entry) -> SlackSeed:
    workspace = read_slack_workspace(entry)
    seed = SlackSeed(workspace)
    if entry.get("installation", dict, None) is not None:
        installed = Entry(entry.path, entry.mapping["installation"], "installation")
        seed.installation = _installation(workspace, installed)
        seed.links = [_link(seed.installation, link) for link in installed.entries("links", "links")]
        installed.finish()
    return seed


def _installation(workspace: SlackWorkspace, entry: Entry) -> SlackInstallation:
    created_at = entry.get("created_at", datetime)
    row_id = entry.get("id", str, None) or str(uuid.uuid5(uuid.NAMESPACE_URL, f"slack:{workspace.team_id}"))
    limit = entry.get("monthly_repo_run_limit", int, None)
    if limit is not None and limit <= 0:
        raise entry.fail("monthly_repo_run_limit", "'monthly_repo_run_limit' must be positive")
    row = SlackInstallation(
        row_id, workspace.team_id, workspace.name, entry.get("installed_by", str), workspace.bot_user_id,
        workspace.bot_token, entry.get("scopes", list, list(SLACK_BOT_SCOPES)), workspace.installer_slack_user_id,
        created_at, entry.get("updated_at", datetime, created_at), entry.get("repo_agent_enabled", bool, True),
        entry.get("allowed_slack_user_ids", list, None), limit)
    row._fixture_location = (entry.path, entry.line_of("installed_by"))
    return row


def _link(installation: SlackInstallation, entry: Entry) -> SlackChannelLink:
    link = SlackChannelLink(entry.get("id", str), installation.id, entry.get("channel", str),
                            entry.get("channel_name", str, None), entry.get("repo", str),
                            installation.installed_by_user_id, entry.get("created_at", datetime))
    link._fixture_location = (entry.path, entry.line_of("repo"))
    entry.finish()
    return link


def check_slack_references(seeds: list[SlackSeed], users: set[str], repo_owners: dict[str, str]) -> None:
    """An installation's installer is a user; a link's repo is one the installer owns."""
    for seed in seeds:
        if seed.installation and seed.installation.installed_by_user_id not in users:
            path, line = seed.installation._fixture_location
            raise FixtureError(Path(path), line, f"unknown user {seed.installation.installed_by_user_id!r}")
        for link in seed.links:
            if repo_owners.get(link.repo_id) != link.created_by_user_id:
                path, line = link._fixture_location
                raise FixtureError(Path(path), line, f"repo {link.repo_id!r} is not one the installer owns")
