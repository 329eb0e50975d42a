"""The Slack integration routes: the install redirect and its callback, the caller's
installations and their policy, a workspace's channels as Slack lists them, and the
installation's channel links, all on one world through real HTTP."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import (
    API_REPO, DANA_SESSION, OTHER_USERS_REPO, REPO_ROOT, RW, SESSION_COOKIE, WEB_REPO, Api, body_of, make_settings,
)

from mockplex.app import build_app
from mockplex.handlers.slack_oauth import sign_state, verify_state
from mockplex.recording.redaction import Redactor
from mockplex.world.fixtures import FixtureError
from mockplex.world.loader import load_seed

BASE = "/api/integrations/slack"
DANA = "3f6c2a1e-8d4b-4c7a-9b1e-5a2d7c9e4f10"
SAM_SESSION = "mpx_session_sam_dev_0001"
KAI_SESSION = "mpx_session_kai_dev_0001"
HARBOR, QUARRY, LANTERN = "T05HRBLT0PS", "T06QRYLABS2", "T07LNTRNST3"
HARBOR_CODE, LANTERN_CODE = "5183920461.7318204958213.3c9a1f07e2", "7305142683.9530426170435.5d2c81a6f4"
HARBOR_LINK = "8d2f6a1c-4b7e-4c3d-9a5f-1e6b0c7d2a48"
BOT_TOKENS = ("xoxb-5183920461-7318204958213-HbLtMockBotTokenA1", "xoxb-7305142683-9530426170435-LntSMockBotTokenC3")
NOW = datetime(2026, 5, 17, 10, 0, tzinfo=timezone.utc)
NOW_SECONDS = int(NOW.timestamp())
CLEARED = "slack_oauth_state=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
SCOPES = ["app_mentions:read", "channels:history", "channels:read", "chat:write", "groups:history", "groups:read",
          "im:history", "im:read", "mpim:history", "mpim:read", "users:read", "users:read.email"]
HARBOR_INSTALLATION = {"teamId": HARBOR, "teamName": "Harborlight", "botUserId": "U05MPLXB0T1", "scopes": SCOPES,
                       "installedAt": "2026-03-02T09:14:27.412+00:00", "repoAgentEnabled": True,
                       "allowedSlackUserIds": None, "monthlyRepoRunLimit": 250}
HARBOR_LINK_ROW = {"id": HARBOR_LINK, "channelId": "C05WEBALRT1", "channelName": "web-alerts", "repoId": WEB_REPO,
                   "createdAt": "2026-03-02T09:20:03.118+00:00"}
SEEN_BY = {DANA_SESSION: [HARBOR_INSTALLATION],
           SAM_SESSION: [{"teamId": QUARRY, "teamName": "Quarry Labs", "botUserId": "U06QRYB0T02", "scopes": SCOPES,
                          "installedAt": "2026-04-11T16:42:10+00:00", "repoAgentEnabled": False,
                          "allowedSlackUserIds": ["U06SAMREY02"], "monthlyRepoRunLimit": None}],
           KAI_SESSION: []}


async def installations(api, session=DANA_SESSION):
    return body_of(await api.internal("GET", f"{BASE}/installations", session=session))["installations"]


async def links(api, team=HARBOR, session=DANA_SESSION):
    return await api.internal("GET", f"{BASE}/installations/{team}/links", session=session)


async def callback(api, query: str, nonce: str | None = None, session: str = DANA_SESSION):
    cookie = f"{SESSION_COOKIE}={session}" + (f"; slack_oauth_state={nonce}" if nonce is not None else "")
    return await api.internal("GET", f"{BASE}/callback?{query}", session=None, headers={"Cookie": cookie})


async def install(api, code: str, session: str = DANA_SESSION):
    """The whole dance: the install redirect's state and cookie, handed back with Slack's code."""
    started = await api.internal("GET", f"{BASE}/install", session=session)
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    nonce = re.match(r"slack_oauth_state=([^;]+);", started.headers["Set-Cookie"]).group(1)
    return await callback(api, f"code={code}&state={state}", nonce, session)


def settings(api, query: str) -> str:
    return f"{api.origin}/settings?{query}"


# -- install ------------------------------------------------------------------------------------

async def test_install_redirects_to_slack_with_a_signed_state_and_its_nonce_in_a_cookie(api):
    response = await api.internal("GET", f"{BASE}/install")
    assert (response.status, response.raw_body) == (307, b"")
    location = response.headers["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    callback_uri = f"http%3A%2F%2F127.0.0.1%3A{api.client.server.port}%2Fapi%2Fintegrations%2Fslack%2Fcallback"
    assert location == ("https://slack.com/oauth/v2/authorize?client_id=5183920461.7402918365507&scope="
                        + "%2C".join(scope.replace(":", "%3A") for scope in SCOPES)
                        + f"&redirect_uri={callback_uri}&state={state}")
    payload = verify_state(state, NOW_SECONDS)
    assert list(payload) == ["userId", "nonce", "ts"] and (payload["userId"], payload["ts"]) == (DANA, NOW_SECONDS)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", payload["nonce"])
    assert response.headers.getall("Set-Cookie") == [
        f"slack_oauth_state={payload['nonce']}; Path=/; Expires=Sun, 17 May 2026 10:10:00 GMT; Max-Age=600; "
        "Secure; HttpOnly; SameSite=lax"]


async def test_install_without_the_slack_app_configured_goes_back_to_settings(world_api):
    api = await world_api(slack="not_configured")
    response = await api.internal("GET", f"{BASE}/install")
    assert (response.status, response.headers["Location"], response.raw_body) == (
        307, settings(api, "slack=not_configured"), b"")
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("method, path", [
    ("GET", "/install"), ("GET", "/callback?code=c&state=s"), ("GET", "/installations"),
    ("PATCH", f"/installations/{HARBOR}"), ("DELETE", f"/installations/{HARBOR}"),
    ("GET", f"/installations/{HARBOR}/channels"), ("GET", f"/installations/{HARBOR}/links"),
    ("POST", f"/installations/{HARBOR}/links"), ("DELETE", f"/installations/{HARBOR}/links/{HARBOR_LINK}"),
])
@pytest.mark.parametrize("token", [None, RW])
async def test_every_route_needs_a_browser_session_a_pat_is_not_one(api, method, path, token):
    response = await api.internal(method, BASE + path, session=None, token=token)
    assert (response.status, response.raw_body) == (307, b"")
    assert response.headers["Location"].startswith(f"{api.origin}/login?next=%2Fapi%2Fintegrations%2Fslack%2F")
    assert (await installations(api)) == [HARBOR_INSTALLATION]


@pytest.mark.parametrize("method, path", [("POST", "/install"), ("POST", "/callback"), ("POST", "/installations"),
                                          ("GET", f"/installations/{HARBOR}"), ("PUT", f"/installations/{HARBOR}/links"),
                                          ("GET", f"/installations/{HARBOR}/links/{HARBOR_LINK}")])
async def test_methods_a_route_does_not_export_are_the_frameworks_405(api, method, path):
    response = await api.internal(method, BASE + path)
    assert (response.status, response.raw_body) == (405, b"")


# -- callback -----------------------------------------------------------------------------------

async def test_an_install_made_through_the_callback_is_listed_with_its_channels(api):
    response = await install(api, LANTERN_CODE)
    assert (response.status, response.headers["Location"], response.raw_body) == (
        307, settings(api, f"slack=connected&team={LANTERN}"), b"")
    assert response.headers.getall("Set-Cookie") == [CLEARED]
    lantern = {"teamId": LANTERN, "teamName": "Lantern Studio", "botUserId": "U07LNTB0T03", "scopes": SCOPES,
               "installedAt": "2026-05-17T10:00:00+00:00", "repoAgentEnabled": True, "allowedSlackUserIds": None,
               "monthlyRepoRunLimit": None}
    assert await installations(api) == [lantern, HARBOR_INSTALLATION]
    channels = await api.internal("GET", f"{BASE}/installations/{LANTERN}/channels")
    assert (channels.status, body_of(channels)) == (200, {"channels": [
        {"id": "C07STUDIO03", "name": "studio", "isPrivate": False},
        {"id": "C07DESIGN03", "name": "design-review", "isPrivate": False},
        {"id": "C07RELEASE3", "name": "releases", "isPrivate": True}], "nextCursor": ""})
    assert body_of(await links(api, LANTERN)) == {"links": []}
    assert await installations(api, SAM_SESSION) == SEEN_BY[SAM_SESSION]


def _state(user_id: str = DANA, nonce: str = "n0nce", ts: int = NOW_SECONDS) -> str:
    return sign_state({"userId": user_id, "nonce": nonce, "ts": ts})


@pytest.mark.parametrize("query, nonce, outcome", [
    (f"error=access_denied&code=c&state={_state()}", "n0nce", "slack=denied&reason=access_denied"),
    ("error=it's+a+no%2Fthanks", None, "slack=denied&reason=it%27s%20a%20no%2Fthanks"),
    ("code=c", "n0nce", "slack=error&reason=missing_params"),
    (f"state={_state()}", "n0nce", "slack=error&reason=missing_params"),
    (f"code=&state={_state()}&error=", "n0nce", "slack=error&reason=missing_params"),
    ("code=c&state=garbage", "n0nce", "slack=error&reason=invalid_state"),
    (f"code=c&state={_state()}x", "n0nce", "slack=error&reason=invalid_state"),
    (f"code=c&state=.{_state().split('.')[1]}", "n0nce", "slack=error&reason=invalid_state"),
    (f"code=c&state={_state(ts=NOW_SECONDS - 601)}", "n0nce", "slack=error&reason=invalid_state"),
    (f"code=c&state={_state(ts=NOW_SECONDS + 61)}", "n0nce", "slack=error&reason=invalid_state"),
    (f"code=c&state={_state(ts=NOW_SECONDS - 600)}", "n0nce", "slack=error&reason=invalid_code"),
    (f"code=c&state={_state(ts=NOW_SECONDS + 60)}", "n0nce", "slack=error&reason=invalid_code"),
    (f"code=c&state={_state()}", None, "slack=error&reason=nonce_mismatch"),
    (f"code=c&state={_state()}", "0ther", "slack=error&reason=nonce_mismatch"),
    (f"code={LANTERN_CODE}&state={_state(user_id='9f9f9f9f-0000-4000-8000-000000000000')}", "n0nce",
     "slack=error&reason=persist_failed"),
])
async def test_each_callback_failure_goes_back_to_settings_in_the_servers_order(api, query, nonce, outcome):
    response = await callback(api, query, nonce)
    assert (response.status, response.headers["Location"], response.raw_body) == (307, settings(api, outcome), b"")
    assert response.headers.getall("Set-Cookie") == [CLEARED]
    assert await installations(api) == [HARBOR_INSTALLATION]


@pytest.mark.parametrize("query, outcome", [
    ("error=access_denied", "slack=denied&reason=access_denied"), ("code=c", "slack=error&reason=missing_params"),
    (f"code={LANTERN_CODE}&state=garbage", "slack=not_configured")])
async def test_a_callback_without_the_slack_app_configured(world_api, query, outcome):
    api = await world_api(slack="not_configured")
    response = await callback(api, query, "n0nce")
    assert (response.status, response.headers["Location"]) == (307, settings(api, outcome))


async def test_when_slack_is_down_the_code_exchange_and_the_channel_list_fail(world_api):
    api = await world_api(slack="api_failing")
    response = await install(api, LANTERN_CODE)
    assert response.headers["Location"] == settings(api, "slack=error&reason=http_503")
    assert await installations(api) == [HARBOR_INSTALLATION]
    channels = await api.internal("GET", f"{BASE}/installations/{HARBOR}/channels")
    assert (channels.status, body_of(channels)) == (502, {"error": "slack_http_503"})


async def test_the_installation_belongs_to_whoever_signed_the_state_not_whoever_brings_it_back(api):
    state = _state()
    response = await callback(api, f"code={LANTERN_CODE}&state={state}", "n0nce", session=SAM_SESSION)
    assert response.headers["Location"] == settings(api, f"slack=connected&team={LANTERN}")
    assert [row["teamId"] for row in await installations(api)] == [LANTERN, HARBOR]
    assert await installations(api, SAM_SESSION) == SEEN_BY[SAM_SESSION]


async def test_reinstalling_keeps_the_row_and_its_links_but_a_new_installer_takes_it_without_them(api):
    assert (await install(api, HARBOR_CODE)).headers["Location"] == settings(api, f"slack=connected&team={HARBOR}")
    assert await installations(api) == [HARBOR_INSTALLATION]
    assert body_of(await links(api)) == {"links": [HARBOR_LINK_ROW]}
    await api.internal("PATCH", f"{BASE}/installations/{HARBOR}", json_body={"monthlyRepoRunLimit": 9})
    await install(api, HARBOR_CODE, SAM_SESSION)
    assert await installations(api) == []
    assert (await links(api)).status == 403
    assert await installations(api, SAM_SESSION) == [*SEEN_BY[SAM_SESSION],  # created_at is kept: still older
                                                     {**HARBOR_INSTALLATION, "monthlyRepoRunLimit": 9}]
    assert body_of(await links(api, session=SAM_SESSION)) == {"links": []}


# -- installations ------------------------------------------------------------------------------

@pytest.mark.parametrize("session", list(SEEN_BY))
async def test_each_user_lists_only_the_workspaces_they_installed(api, session):
    response = await api.internal("GET", f"{BASE}/installations", session=session)
    assert (response.status, body_of(response)) == (200, {"installations": SEEN_BY[session]})


@pytest.mark.parametrize("body, expected", [
    ({"repoAgentEnabled": False}, {"repoAgentEnabled": False}),
    ({"allowedSlackUserIds": [" U1 ", "U2", "U1", 7, "  ", None, "U3"]}, {"allowedSlackUserIds": ["U1", "U2", "U3"]}),
    ({"allowedSlackUserIds": []}, {"allowedSlackUserIds": []}),
    ({"allowedSlackUserIds": [""] * 100}, {"allowedSlackUserIds": []}),
    ({"monthlyRepoRunLimit": None, "allowedSlackUserIds": None}, {"monthlyRepoRunLimit": None}),
    ({"monthlyRepoRunLimit": 10000, "other": 1}, {"monthlyRepoRunLimit": 10000}),
    ({"monthlyRepoRunLimit": 5.0, "repoAgentEnabled": True}, {"monthlyRepoRunLimit": 5}),
])
async def test_patch_sets_the_workspace_policy(api, body, expected):
    response = await api.internal("PATCH", f"{BASE}/installations/{HARBOR}", json_body=body)
    assert (response.status, body_of(response)) == (200, {"installation": {**HARBOR_INSTALLATION, **expected}})
    assert await installations(api) == [{**HARBOR_INSTALLATION, **expected}]


@pytest.mark.parametrize("body, message", [
    ("{nope", "Invalid body"), ("", "Invalid body"), ("null", "Invalid body"), ("5", "Invalid body"),
    ('"x"', "Invalid body"), ("true", "Invalid body"),
    ("[]", "No supported Slack policy fields provided"), ({}, "No supported Slack policy fields provided"),
    ({"teamName": "x"}, "No supported Slack policy fields provided"),
    ({"repoAgentEnabled": "yes"}, "repoAgentEnabled must be boolean"),
    ({"repoAgentEnabled": None, "monthlyRepoRunLimit": 0}, "repoAgentEnabled must be boolean"),
    ({"allowedSlackUserIds": "U1"}, "allowedSlackUserIds must be an array of strings or null"),
    ({"allowedSlackUserIds": {"0": "U1"}, "monthlyRepoRunLimit": 0},
     "allowedSlackUserIds must be an array of strings or null"),
    ({"allowedSlackUserIds": ["U1"] * 101}, "allowedSlackUserIds must contain at most 100 entries"),
    *[({"monthlyRepoRunLimit": bad}, "monthlyRepoRunLimit must be a positive integer or null")
      for bad in (0, -1, 10001, 2.5, "5", True, [5])],
])
async def test_patch_validation(api, body, message):
    response = await api.internal("PATCH", f"{BASE}/installations/{HARBOR}", json_body=body)
    assert (response.status, body_of(response)) == (400, {"error": message})
    assert await installations(api) == [HARBOR_INSTALLATION]


@pytest.mark.parametrize("team", [QUARRY, LANTERN, "T00NOPE"])
async def test_patch_of_a_workspace_the_caller_did_not_install_is_not_found_after_validation(api, team):
    path = f"{BASE}/installations/{team}"
    assert body_of(await api.internal("PATCH", path, json_body={"x": 1})) == {
        "error": "No supported Slack policy fields provided"}
    response = await api.internal("PATCH", path, json_body={"repoAgentEnabled": True})
    assert (response.status, body_of(response)) == (404, {"error": "not_found"})


async def test_delete_removes_the_installation_and_its_links(api):
    response = await api.internal("DELETE", f"{BASE}/installations/{HARBOR}")
    assert (response.status, body_of(response)) == (200, {"ok": True})
    assert await installations(api) == []
    for path in ("links", "channels"):
        gone = await api.internal("GET", f"{BASE}/installations/{HARBOR}/{path}")
        assert (gone.status, body_of(gone)) == (404, {"error": "not_found"})
    await install(api, HARBOR_CODE)
    assert body_of(await links(api)) == {"links": []}
    assert (await installations(api))[0]["installedAt"] == "2026-05-17T10:00:00+00:00"


@pytest.mark.parametrize("team", [QUARRY, "T00NOPE"])
async def test_deleting_someone_elses_or_no_installation_answers_ok_and_changes_nothing(api, team):
    response = await api.internal("DELETE", f"{BASE}/installations/{team}")
    assert (response.status, body_of(response)) == (200, {"ok": True})
    assert await installations(api, SAM_SESSION) == SEEN_BY[SAM_SESSION]
    assert body_of(await links(api, QUARRY, SAM_SESSION))["links"][0]["channelId"] == "C06PIPELIN2"


# -- channels -----------------------------------------------------------------------------------

async def test_channels_are_the_workspaces_unarchived_channels_the_bot_sees(api):
    response = await api.internal("GET", f"{BASE}/installations/{HARBOR}/channels?cursor=")
    assert (response.status, body_of(response)) == (200, {"channels": [
        {"id": "C05GENERAL1", "name": "general", "isPrivate": False},
        {"id": "C05WEBALRT1", "name": "web-alerts", "isPrivate": False},
        {"id": "C05APIDEV01", "name": "api-dev", "isPrivate": False},
        {"id": "C05DEPLOYS1", "name": "deploys", "isPrivate": True}], "nextCursor": ""})


@pytest.mark.parametrize("path, status, error", [
    (f"{QUARRY}/channels", 403, "forbidden"), ("T00NOPE/channels", 404, "not_found"),
    (f"{HARBOR}/channels?cursor=bm90LWEtY3Vyc29y", 502, "invalid_cursor"),
])
async def test_channel_failures(api, path, status, error):
    response = await api.internal("GET", f"{BASE}/installations/{path}")
    assert (response.status, body_of(response)) == (status, {"error": error})


# -- links --------------------------------------------------------------------------------------

async def test_a_link_made_through_post_is_listed_first_and_gone_after_delete(api):
    body = {"channelId": " C05APIDEV01 ", "channelName": "  api-dev ", "repoId": f" {API_REPO.upper()} "}
    response = await api.internal("POST", f"{BASE}/installations/{HARBOR}/links", json_body=body)
    created = body_of(response)["link"]
    assert response.status == 200 and re.fullmatch(r"[0-9a-f-]{36}", created["id"])
    assert created == {"id": created["id"], "channelId": "C05APIDEV01", "channelName": "api-dev",
                       "repoId": API_REPO, "createdAt": "2026-05-17T10:00:00+00:00"}
    assert body_of(await links(api)) == {"links": [created, HARBOR_LINK_ROW]}
    deleted = await api.internal("DELETE", f"{BASE}/installations/{HARBOR}/links/{created['id'].upper()}")
    assert (deleted.status, body_of(deleted)) == (200, {"ok": True})
    assert body_of(await links(api)) == {"links": [HARBOR_LINK_ROW]}


@pytest.mark.parametrize("name", [None, "   ", 42])
async def test_a_link_without_a_usable_channel_name_keeps_none(api, name):
    body = {"channelId": "C05GENERAL1", "channelName": name, "repoId": WEB_REPO}
    response = await api.internal("POST", f"{BASE}/installations/{HARBOR}/links", json_body=body)
    assert body_of(response)["link"]["channelName"] is None


@pytest.mark.parametrize("body, status, error", [
    ("{nope", 400, "channelId and repoId are required"), ([], 400, "channelId and repoId are required"),
    ({"repoId": WEB_REPO}, 400, "channelId and repoId are required"),
    ({"channelId": "  ", "repoId": WEB_REPO}, 400, "channelId and repoId are required"),
    ({"channelId": 7, "repoId": WEB_REPO}, 400, "channelId and repoId are required"),
    ({"channelId": "C05GENERAL1", "repoId": ""}, 400, "channelId and repoId are required"),
    ({"channelId": "C05GENERAL1", "repoId": OTHER_USERS_REPO}, 404, "repo_not_found"),
    ({"channelId": "C05GENERAL1", "repoId": "harborlight/web"}, 404, "repo_not_found"),
    ({"channelId": "C05GENERAL1", "repoId": "00000000-0000-4000-8000-000000000000"}, 404, "repo_not_found"),
    ({"channelId": "C05WEBALRT1", "repoId": API_REPO}, 409, "Channel already linked"),
])
async def test_link_creation_failures(api, body, status, error):
    response = await api.internal("POST", f"{BASE}/installations/{HARBOR}/links", json_body=body)
    assert (response.status, body_of(response)) == (status, {"error": error})
    assert body_of(await links(api)) == {"links": [HARBOR_LINK_ROW]}


@pytest.mark.parametrize("method, suffix", [("GET", ""), ("POST", ""), ("DELETE", f"/{HARBOR_LINK}")])
@pytest.mark.parametrize("team, session, status, error", [
    (HARBOR, SAM_SESSION, 403, "forbidden"), (QUARRY, DANA_SESSION, 403, "forbidden"),
    ("T00NOPE", DANA_SESSION, 404, "not_found")])
async def test_links_of_a_workspace_the_caller_did_not_install(api, method, suffix, team, session, status, error):
    response = await api.internal(method, f"{BASE}/installations/{team}/links{suffix}", session=session,
                                  json_body="{nope")
    assert (response.status, body_of(response)) == (status, {"error": error})
    assert body_of(await links(api)) == {"links": [HARBOR_LINK_ROW]}


@pytest.mark.parametrize("link_id, status, body", [
    ("not-a-uuid", 500, b""), ("00000000-0000-4000-8000-000000000000", 200, b'{"ok":true}'),
    ("3a7c9e1b-5d2f-4e8a-b6c0-9f4d1a2e7b35", 200, b'{"ok":true}')])  # another installation's link
async def test_deleting_a_link_that_is_not_this_installations(api, link_id, status, body):
    response = await api.internal("DELETE", f"{BASE}/installations/{HARBOR}/links/{link_id}")
    assert (response.status, response.raw_body) == (status, body)
    assert body_of(await links(api)) == {"links": [HARBOR_LINK_ROW]}
    assert len(body_of(await links(api, QUARRY, SAM_SESSION))["links"]) == 1


async def test_deleting_the_repo_takes_its_links_with_it(api):
    assert (await api.internal("DELETE", f"/api/repos?id={WEB_REPO}")).status == 200
    assert body_of(await links(api)) == {"links": []}
    body = {"channelId": "C05WEBALRT1", "repoId": WEB_REPO}
    refused = await api.internal("POST", f"{BASE}/installations/{HARBOR}/links", json_body=body)
    assert (refused.status, body_of(refused)) == (404, {"error": "repo_not_found"})


# -- the bot token ------------------------------------------------------------------------------

async def test_the_bot_token_never_leaves_the_world(api):
    answers = [await install(api, LANTERN_CODE), await install(api, HARBOR_CODE)]
    for path in ("installations", f"installations/{LANTERN}", f"installations/{LANTERN}/channels",
                 f"installations/{HARBOR}/links"):
        answers.append(await api.internal("PATCH" if path.count("/") == 1 else "GET", f"{BASE}/{path}",
                                          json_body={"repoAgentEnabled": True}))
    journal = await api.call("GET", "/__mockplex/journal", None)
    assert len(json.loads(journal.raw_body)["requests"]) >= len(answers)
    seen = b"".join(answer.raw_body + str(dict(answer.headers)).encode() for answer in [*answers, journal])
    assert not any(token.encode() in seen for token in BOT_TOKENS)


def test_a_recorded_slack_token_exchange_is_redacted():
    exchange = json.dumps({"ok": True, "access_token": BOT_TOKENS[0], "token_type": "bot",
                           "team": {"id": HARBOR, "name": "Harborlight"}, "bot_user_id": "U05MPLXB0T1"}).encode()
    for body in (exchange, f"stored {BOT_TOKENS[1]} for the workspace".encode()):
        redacted = Redactor().body(body, "application/json")
        assert not any(token.encode() in redacted for token in BOT_TOKENS) and b"<redacted:" in redacted
    assert json.loads(Redactor().body(exchange, "application/json"))["team"] == {"id": HARBOR, "name": "Harborlight"}


NO_PROFILE_SESSION = "mpx_session_no_profile_0001"


@pytest.mark.parametrize("method, path", [("GET", "/install"), ("GET", "/installations"),
                                          ("DELETE", f"/installations/{HARBOR}"),
                                          ("GET", f"/installations/{HARBOR}/links")])
async def test_a_session_without_a_profile_passes_the_gate_then_is_unauthorized(api, method, path):
    response = await api.internal(method, BASE + path, session=NO_PROFILE_SESSION)
    assert (response.status, body_of(response)) == (401, {"error": "Unauthorized"})


async def test_the_callback_asks_for_no_profile_it_trusts_the_signed_state(api):
    response = await callback(api, f"code={LANTERN_CODE}&state={_state()}", "n0nce", NO_PROFILE_SESSION)
    assert response.headers["Location"] == settings(api, f"slack=connected&team={LANTERN}")
    assert [row["teamId"] for row in await installations(api)] == [LANTERN, HARBOR]


@pytest.mark.parametrize("old, new, line, message", [
    ("installed_by: 8b1d4e7a-2c3f-4a9b-8e6d-1f0c3b5a7d92", "installed_by: nobody", 41, "unknown user 'nobody'"),
    ("repo: 6bc2ad8e-d07f-4e91-b2b3-ef80c17e92d6", f"repo: {WEB_REPO}", 49,
     f"repo '{WEB_REPO}' is not one the installer owns"),
    ("bot_token: xoxb-6294031572", "bot_token: xoxp-6294031572", 34,
     "workspaces[1]: 'bot_token' must be a bot token (xoxb-...)"),
    ("private: true}\n    installation:\n      installed_by: 8b", "privat: true}\n    installation:\n      installed_by: 8b",
     39, "channels[1]: unknown field 'privat'; known: archived, id, name, private"),
    ("repo_agent_enabled: false", "repo_agent_enabled: false\n      colour: red", 44,
     "installation: unknown field 'colour'; known: allowed_slack_user_ids, created_at, id, installed_by, links, "
     "monthly_repo_run_limit, repo_agent_enabled, scopes, updated_at"),
])
def test_a_broken_slack_fixture_names_its_file_and_line(tmp_path, old, new, line, message):
    folder = tmp_path / "world"
    shutil.copytree(REPO_ROOT / "fixtures", folder)
    text = (folder / "slack.yaml").read_text()
    assert text.count(old) == 1
    (folder / "slack.yaml").write_text(text.replace(old, new))
    with pytest.raises(FixtureError) as raised:
        load_seed(folder)
    assert str(raised.value) == f"{folder / 'slack.yaml'}:{line}: {message}"


async def test_a_workspace_with_more_channels_than_a_page_hands_out_slacks_cursor(aiohttp_client, tmp_path):
    folder = tmp_path / "world"
    shutil.copytree(REPO_ROOT / "fixtures", folder)
    extra = "".join(f"      - {{id: C05EXTRA{index:03d}, name: extra-{index}}}\n" for index in range(200))
    text = (folder / "slack.yaml").read_text()
    (folder / "slack.yaml").write_text(text.replace("      - {id: C05GENERAL1, name: general}\n",
                                                    "      - {id: C05GENERAL1, name: general}\n" + extra))
    api = Api(await aiohttp_client(build_app(make_settings(tmp_path, fixtures_dir=folder))))
    first = body_of(await api.internal("GET", f"{BASE}/installations/{HARBOR}/channels"))
    assert len(first["channels"]) == 200 and first["channels"][-1]["id"] == "C05EXTRA198"
    assert first["nextCursor"] == "Y2hhbm5lbDpDMDVFWFRSQTE5OQ=="  # Slack's base64 of "channel:<the next id>"
    second = await api.internal("GET", f"{BASE}/installations/{HARBOR}/channels?cursor={first['nextCursor']}")
    assert body_of(second) == {"channels": [
        {"id": "C05EXTRA199", "name": "extra-199", "isPrivate": False},
        {"id": "C05WEBALRT1", "name": "web-alerts", "isPrivate": False},
        {"id": "C05APIDEV01", "name": "api-dev", "isPrivate": False},
        {"id": "C05DEPLOYS1", "name": "deploys", "isPrivate": True}], "nextCursor": ""}
