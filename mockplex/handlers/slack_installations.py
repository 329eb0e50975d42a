"""The caller's Slack installations: GET /api/integrations/slack/installations, PATCH and
DELETE /api/integrations/slack/installations/{teamId} (its repo-agent policy; teamId is
the Slack workspace's team id), and GET .../{teamId}/channels (Slack's conversations.list
for the workspace's bot, reduced to what the channel picker needs)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.responses import flat_error, json_response
from mockplex.validation import js_trim
from mockplex.world.slack import SlackInstallation

CHANNEL_PAGE = 200
MAX_ALLOWED_USERS = 100
MAX_MONTHLY_RUNS = 10000
NOT_A_LIMIT = object()


def installation_payload(row: SlackInstallation) -> dict[str, Any]:
    return {"teamId": row.team_id, "teamName": row.team_name, "botUserId": row.bot_user_id,
            "scopes": list(row.scopes), "installedAt": format_timestamp(row.created_at),
            "repoAgentEnabled": row.repo_agent_enabled is not False,
            "allowedSlackUserIds": row.allowed_slack_user_ids, "monthlyRepoRunLimit": row.monthly_repo_run_limit}


def owned_installation(call: Call) -> tuple[str, SlackInstallation]:
    """The caller and the workspace's installation: 404 not_found without one, 403 forbidden
    when someone else installed it."""
    user_id = call.require_user()
    row = call.world.slack.installation(call.params["teamId"])
    if row is None:
        raise flat_error(404, "not_found")
    if row.installed_by_user_id != user_id:
        raise flat_error(403, "forbidden")
    return user_id, row


async def list_installations(call: Call) -> web.Response:
    rows = call.world.slack.installations_of(call.require_user())
    return json_response({"installations": [installation_payload(row) for row in rows]})


async def delete_installation(call: Call) -> web.Response:
    """Only the installer's row goes (with its links); anyone else's answers the same."""
    call.world.slack.uninstall(call.params["teamId"], call.require_user())
    return json_response({"ok": True})


async def patch_installation(call: Call) -> web.Response:
    user_id = call.require_user()
    body = await call.body()
    if not isinstance(body, (dict, list)):
        raise flat_error(400, "Invalid body")
    changes = _policy_changes(body if isinstance(body, dict) else {})
    row = call.world.slack.update_policy(call.params["teamId"], user_id, call.now, changes)
    if row is None:
        raise flat_error(404, "not_found")
    return json_response({"installation": installation_payload(row)})


def _policy_changes(body: dict[str, Any]) -> dict[str, Any]:
    """Each field present is checked in turn; at least one must be."""
    changes: dict[str, Any] = {}
    if "repoAgentEnabled" in body:
        if not isinstance(body["repoAgentEnabled"], bool):
            raise flat_error(400, "repoAgentEnabled must be boolean")
        changes["repo_agent_enabled"] = body["repoAgentEnabled"]
    if "allowedSlackUserIds" in body:
        changes["allowed_slack_user_ids"] = _allowed_user_ids(body["allowedSlackUserIds"])
    if "monthlyRepoRunLimit" in body:
        limit = _monthly_limit(body["monthlyRepoRunLimit"])
        if limit is NOT_A_LIMIT:
            raise flat_error(400, "monthlyRepoRunLimit must be a positive integer or null")
        changes["monthly_repo_run_limit"] = limit
    if not changes:
        raise flat_error(400, "No supported Slack policy fields provided")
    return changes


def _allowed_user_ids(value: Any) -> list[str] | None:
    """null allows any explicitly mapped user; [] allows nobody. Blank entries count
    towards the limit, then drop out; duplicates keep their first place."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise flat_error(400, "allowedSlackUserIds must be an array of strings or null")
    if len(value) > MAX_ALLOWED_USERS:
        raise flat_error(400, "allowedSlackUserIds must contain at most 100 entries")
    trimmed = [js_trim(item) if isinstance(item, str) else "" for item in value]
    return list(dict.fromkeys(item for item in trimmed if item))


def _monthly_limit(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return NOT_A_LIMIT
    if isinstance(value, float) and not value.is_integer():
        return NOT_A_LIMIT
    return int(value) if 0 < value <= MAX_MONTHLY_RUNS else NOT_A_LIMIT


async def list_channels(call: Call) -> web.Response:
    _, row = owned_installation(call)
    answer = call.world.slack.service.conversations_list(row.bot_token, call.query("cursor") or "", CHANNEL_PAGE)
    if isinstance(answer, int):
        raise flat_error(502, f"slack_http_{answer}")
    if not answer.get("ok"):
        raise flat_error(502, answer.get("error") or "slack_error")
    channels = [{"id": channel["id"], "name": channel.get("name"), "isPrivate": bool(channel.get("is_private"))}
                for channel in answer.get("channels") or [] if not channel.get("is_archived") and channel.get("id")]
    next_cursor = (answer.get("response_metadata") or {}).get("next_cursor")
    return json_response({"channels": channels, "nextCursor": next_cursor})

