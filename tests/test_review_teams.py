"""Review of the teams routes against the server's handlers: where an earlier model differed."""

from __future__ import annotations

import shutil

from conftest import REPO_ROOT, Api, body_of, make_settings
from test_web_team_audit import AUDIT, ICON, ICON_URL, PNG, _upload
from test_web_teams import DANA, LEE, NORTHWIND, _answer, _members

from mockplex.app import build_app

SUPABASE_COOKIE = "sb-mockplex-auth-token"
DANA_SESSION = "mpx_session_dana_dev_0001"


async def _world(aiohttp_client, tmp_path, world_yaml: str = "", users=None) -> Api:
    """An Api over a copy of the default world, with extra world.yaml lines and users.yaml edits."""
    world = tmp_path / "world"
    shutil.copytree(REPO_ROOT / "fixtures", world)
    if world_yaml:
        (world / "world.yaml").write_text("name: review\n" + world_yaml)
    for old, new in users or ():
        users_file = world / "users.yaml"
        text = users_file.read_text()
        assert old in text
        users_file.write_text(text.replace(old, new, 1))
    return Api(await aiohttp_client(build_app(make_settings(tmp_path, fixtures_dir=world))))


async def _trail(api, **kwargs) -> list[tuple]:
    """The trail's (action, payload) rows; a frozen clock orders same-instant rows by id, so sorted."""
    events = body_of(await api.internal("GET", AUDIT, **kwargs))["events"]
    return sorted(((event["action"], event["payload"]) for event in events), key=repr)


def _path_of(url: str) -> str:
    return url.split("/team-icons/")[1]


# -- the icon on Neon: the storage shim has no `remove` -------------------------------------------

async def test_replacing_an_icon_on_neon_saves_it_then_crashes_before_the_trail(api):
    first = body_of(await _upload(api, PNG))["icon_url"]
    second = await _upload(api, b"GIF89a" + b"\x00" * 8)
    assert (second.status, second.raw_body) == (500, b"")
    saved = (await _members(api))["team"]["iconUrl"]
    assert saved != first and ICON_URL.fullmatch(saved).group(2) == "gif"
    assert await _trail(api) == [("team.icon.updated", {"icon_path": _path_of(first)})]


async def test_removing_an_icon_on_neon_clears_it_then_crashes_before_the_trail(api):
    url = body_of(await _upload(api, PNG))["icon_url"]
    removed = await api.internal("DELETE", ICON)
    assert (removed.status, removed.raw_body) == (500, b"")
    assert (await _members(api))["team"]["iconUrl"] is None
    memberships = body_of(await api.internal("GET", "/api/memberships"))["teams"]
    assert [team["iconUrl"] for team in memberships if team["id"] == NORTHWIND] == [None]
    assert await _trail(api) == [("team.icon.updated", {"icon_path": _path_of(url)})]
    again = await api.internal("DELETE", ICON)
    assert _answer(again) == (200, {"icon_url": None})
    assert ("team.icon.removed", {"icon_path": None}) in await _trail(api)


async def test_on_supabase_storage_the_old_icon_is_removed_and_both_changes_are_recorded(aiohttp_client, tmp_path):
    api = await _world(aiohttp_client, tmp_path, "session_backend: supabase\n")
    cookie = {"Cookie": f"{SUPABASE_COOKIE}={DANA_SESSION}"}

    async def as_dana(method, path, **kwargs):
        return await api.internal(method, path, session=None, headers={**cookie, **kwargs.pop("headers", {})},
                                  **kwargs)

    body = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n" + PNG + b"\r\n--b--\r\n"
    form = {"Content-Type": "multipart/form-data; boundary=b"}
    first = body_of(await as_dana("POST", ICON, data=body, headers=form))["icon_url"]
    second = await as_dana("POST", ICON, data=body, headers=form)
    assert second.status == 200 and body_of(second)["icon_url"] != first
    removed = await as_dana("DELETE", ICON)
    assert _answer(removed) == (200, {"icon_url": None})
    trail = await _trail(api, session=None, headers=cookie)
    second_path = _path_of(body_of(second)["icon_url"])
    assert trail == sorted([("team.icon.removed", {"icon_path": second_path}),
                            ("team.icon.updated", {"icon_path": second_path}),
                            ("team.icon.updated", {"icon_path": _path_of(first)})], key=repr)


# -- GET /api/teams/{teamId}/members: `username ?? github_username` -----------------------------

async def test_an_empty_username_is_kept_rather_than_replaced_by_the_github_login(aiohttp_client, tmp_path):
    api = await _world(aiohttp_client, tmp_path, users=[("username: lee\n", "username: \"\"\n")])
    members = {member["userId"]: member for member in (await _members(api, DANA))["members"]}
    assert (members[LEE]["username"], members[LEE]["name"]) == ("", "Lee Park")
