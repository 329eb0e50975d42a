"""A Slack installation's channel links: GET and POST
/api/integrations/slack/installations/{teamId}/links and DELETE .../links/{linkId}. A link
routes one channel of the workspace to one of the installer's repos; only the installer
sees or changes them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockplex.call import Call
from mockplex.clock import format_timestamp
from mockplex.handlers.slack_installations import owned_installation
from mockplex.ids import is_strict_uuid, pg_uuid
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.validation import js_trim
from mockplex.world.slack import DuplicateChannelLink, SlackChannelLink


def _link_payload(link: SlackChannelLink) -> dict[str, Any]:
    return {"id": link.id, "channelId": link.channel_id, "channelName": link.channel_name, "repoId": link.repo_id,
            "createdAt": format_timestamp(link.created_at)}


async def list_links(call: Call) -> web.Response:
    _, installation = owned_installation(call)
    return json_response({"links": [_link_payload(link) for link in call.world.slack.links_of(installation.id)]})


async def create_link(call: Call) -> web.Response:
    user_id, installation = owned_installation(call)
    fields = _link_fields(await call.body())
    if fields is None:
        raise flat_error(400, "channelId and repoId are required")
    channel_id, channel_name, repo_id = fields
    repo = call.world.owned_repo(user_id, repo_id) if is_strict_uuid(repo_id) else None
    if repo is None:
        raise flat_error(404, "repo_not_found")
    link = SlackChannelLink(call.world.ids.uuid(), installation.id, channel_id, channel_name, repo.id, user_id,
                            call.now)
    try:
        call.world.slack.link(link)
    except DuplicateChannelLink:
        raise flat_error(409, "Channel already linked") from None
    return json_response({"link": _link_payload(link)})


def _link_fields(body: Any) -> tuple[str, str | None, str] | None:
    """channelId and repoId: non-blank strings, trimmed; channelName kept when it is a non-blank string."""
    if not isinstance(body, dict):
        return None
    channel_id, repo_id, name = body.get("channelId"), body.get("repoId"), body.get("channelName")
    if not isinstance(channel_id, str) or not js_trim(channel_id):
        return None
    if not isinstance(repo_id, str) or not js_trim(repo_id):
        return None
    channel_name = js_trim(name) if isinstance(name, str) and js_trim(name) else None
    return js_trim(channel_id), channel_name, js_trim(repo_id)


async def delete_link(call: Call) -> web.Response:
    user_id, installation = owned_installation(call)
    link_id = pg_uuid(call.params["linkId"])
    if link_id is None:
        raise EmptyResponse(500)  # Postgres cannot read the id as a uuid: the delete throws
    call.world.slack.unlink(link_id, installation.id, user_id)
    return json_response({"ok": True})
