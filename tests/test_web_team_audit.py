"""A team's audit trail (`GET /api/teams/{teamId}/audit-events`: its rows, order, keyset
pages and cursor checks) and its icon (`POST|DELETE /api/teams/{teamId}/icon`)."""

from __future__ import annotations

import base64
import json
import re

import pytest

from conftest import body_of
from test_web_teams import DANA, KAI, LEE, NORTHWIND, NOW, SAM, UNKNOWN_TEAM, _answer, _as, _members

AUDIT = f"/api/teams/{NORTHWIND}/audit-events"
ICON = f"/api/teams/{NORTHWIND}/icon"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
ICON_URL = re.compile(r"https://mogplex-storage\.supabase\.mock/storage/v1/object/public/team-icons/"
                      rf"{NORTHWIND}/(\d+)-[0-9a-f]{{8}}\.(png|jpg|gif|webp)")


def _cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


async def _toggle_lee(api, times: int) -> None:
    for turn in range(times):
        role = "viewer" if turn % 2 == 0 else "developer"
        await api.internal("PATCH", f"/api/teams/{NORTHWIND}/members/{LEE}", json_body={"role": role})


# -- GET /api/teams/{teamId}/audit-events ---------------------------------------------------------

async def test_an_event_row_in_full(api):
    await api.internal("DELETE", f"/api/teams/{NORTHWIND}/members/{LEE}")
    answer = body_of(await api.internal("GET", AUDIT))
    event = answer["events"][0]
    assert answer == {"events": [{
        "id": event["id"], "action": "member.removed", "decisionCode": None, "targetType": "member", "targetId": LEE,
        "actorUserId": DANA, "repoId": None, "sandboxRecordId": None, "aiCallId": None, "jobRunId": None,
        "requestId": None, "authSource": None, "payload": {"role": "developer"}, "createdAt": NOW,
    }], "nextCursor": None, "viewer": {"canManage": True}}


async def test_pages_of_25_newest_first_then_by_id(api):
    await _toggle_lee(api, 27)
    first = body_of(await api.internal("GET", AUDIT))
    assert len(first["events"]) == 25 and first["nextCursor"] is not None
    last = first["events"][-1]
    decoded = json.loads(base64.urlsafe_b64decode(first["nextCursor"] + "=" * (-len(first["nextCursor"]) % 4)))
    assert decoded == {"createdAt": NOW, "id": last["id"]}
    second = body_of(await api.internal("GET", f"{AUDIT}?cursor={first['nextCursor']}"))
    assert (len(second["events"]), second["nextCursor"]) == (2, None)
    ids = [event["id"] for event in first["events"] + second["events"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 27


@pytest.mark.parametrize("cursor, count", [
    ("2026-05-17T10:00:00Z", 3), ("2026-05-17T10:00:00.000001%2B00:00", 3), ("2026-05-17T09:59:59.999Z", 0),
    ("2026-05-17T11:00:00%2B01:00", 3), ("2026-05-17T10:59:59%2B01:00", 0), ("2026-05-16T24:00:00Z", 0),
])
async def test_a_raw_timestamp_cursor_still_pages(api, cursor, count):
    await _toggle_lee(api, 3)
    answer = body_of(await api.internal("GET", f"{AUDIT}?cursor={cursor}"))
    assert len(answer["events"]) == count


@pytest.mark.parametrize("cursor", [
    "abc", "2026-05-17", "2026-13-01T00:00:00Z", "2026-05-17T10:00:00+00:00", _cursor({"createdAt": NOW}),
    _cursor({"createdAt": NOW, "id": "x"}),
    _cursor({"createdAt": "2026-05-17 10:00:00Z", "id": LEE}), _cursor([1]), _cursor("2026-05-17T10:00:00Z"),
])
async def test_a_malformed_cursor_is_refused_before_membership(api, cursor):
    for user in (DANA, KAI):
        response = await _as(api, user, "GET", f"{AUDIT}?cursor={cursor}")
        assert _answer(response) == (400, {"error": "Invalid cursor"})


async def test_a_cursor_date_postgres_cannot_read_is_a_500(api):
    response = await api.internal("GET", f"{AUDIT}?cursor={_cursor({'createdAt': '2026-02-30T00:00:00Z', 'id': LEE})}")
    assert _answer(response) == (500, {"error": "Internal server error"})


@pytest.mark.parametrize("user, team, status, error", [
    (LEE, NORTHWIND, 403, "Forbidden"), (KAI, NORTHWIND, 403, "Forbidden"),
    (DANA, UNKNOWN_TEAM, 404, "Team not found"), (DANA, "bad", 500, "Internal server error"),
])
async def test_only_managers_read_the_trail(api, user, team, status, error):
    response = await _as(api, user, "GET", f"/api/teams/{team}/audit-events")
    assert _answer(response) == (status, {"error": error})


async def test_an_admin_reads_the_trail(api):
    await _toggle_lee(api, 1)
    answer = body_of(await _as(api, SAM, "GET", AUDIT))
    assert [(e["action"], e["payload"]) for e in answer["events"]] == [
        ("member.role_changed", {"to_role": "viewer", "from_role": "developer"})]


# -- POST and DELETE /api/teams/{teamId}/icon -----------------------------------------------------

def _multipart(*parts: tuple[str, str | None, bytes]) -> tuple[bytes, dict[str, str]]:
    boundary = "mockplexBoundary7d1f"
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


async def _upload(api, data: bytes, user: str = DANA, filename: str | None = "icon.png", path: str = ICON):
    body, headers = _multipart(("file", filename, data))
    return await _as(api, user, "POST", path, data=body, headers=headers)


async def test_an_uploaded_icon_shows_on_the_team_and_its_trail(api):
    response = await _upload(api, PNG)
    url = body_of(response)["icon_url"]
    match = ICON_URL.fullmatch(url)
    assert response.status == 200 and match and match.group(1) == "1779012000000"
    assert (await _members(api))["team"]["iconUrl"] == url
    listed = body_of(await api.internal("GET", "/api/memberships"))["teams"]
    assert [team["iconUrl"] for team in listed if team["id"] == NORTHWIND] == [url]
    path = url.split("/team-icons/")[1]
    events = body_of(await api.internal("GET", AUDIT))["events"]
    assert [(e["action"], e["targetType"], e["targetId"], e["payload"]) for e in events] == [
        ("team.icon.updated", "team", NORTHWIND, {"icon_path": path})]
    removed = await _as(api, SAM, "DELETE", ICON)  # Neon's storage shim cannot remove the object
    assert (removed.status, removed.raw_body) == (500, b"")
    assert (await _members(api))["team"]["iconUrl"] is None
    assert len(body_of(await api.internal("GET", AUDIT))["events"]) == 1


@pytest.mark.parametrize("data, extension", [
    (b"\xff\xd8\xff\xe0" + b"\x00" * 8, "jpg"), (b"GIF89a" + b"\x00" * 8, "gif"), (b"GIF87a", "gif"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
])
async def test_the_format_comes_from_the_bytes(api, data, extension):
    url = body_of(await _upload(api, data, filename="claimed.png"))["icon_url"]
    assert ICON_URL.fullmatch(url).group(2) == extension


async def test_the_removed_icon_is_recorded_as_null_when_there_was_none(api):
    assert _answer(await api.internal("DELETE", ICON)) == (200, {"icon_url": None})
    assert body_of(await api.internal("GET", AUDIT))["events"][0]["payload"] == {"icon_path": None}


@pytest.mark.parametrize("body, content_type, status, error", [
    (b'{"file": "x"}', "application/json", 400, "Expected multipart/form-data"),
    (b"", None, 400, "Expected multipart/form-data"),
    (b"garbage", "multipart/form-data; boundary=zzz", 400, "Expected multipart/form-data"),
    (b"file=abc", "application/x-www-form-urlencoded", 400, "Missing file"),
])
async def test_a_body_that_is_not_a_form(api, body, content_type, status, error):
    headers = {"Content-Type": content_type} if content_type else {}
    response = await api.internal("POST", ICON, data=body, headers=headers)
    assert _answer(response) == (status, {"error": error})


@pytest.mark.parametrize("parts, status, error", [
    ([("other", "a.png", PNG)], 400, "Missing file"),
    ([("file", None, PNG)], 400, "Missing file"),
    ([("file", "a.png", b"")], 400, "Empty file"),
    ([("file", "a.png", PNG + b"\x00" * (2 * 1024 * 1024))], 413, "File too large (max 2 MB)"),
    ([("file", "a.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")], 415,
     "Unsupported image type (PNG, JPEG, WEBP, or GIF only)"),
])
async def test_upload_validation(api, parts, status, error):
    body, headers = _multipart(*parts)
    assert _answer(await api.internal("POST", ICON, data=body, headers=headers)) == (status, {"error": error})


@pytest.mark.parametrize("user, team, status, error", [
    (LEE, NORTHWIND, 403, "Forbidden"), (KAI, NORTHWIND, 403, "Forbidden"),
    (DANA, UNKNOWN_TEAM, 404, "Team not found"), (DANA, "x", 500, "Internal server error"),
])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_only_managers_change_the_icon(api, user, team, status, error, method):
    response = await _as(api, user, method, f"/api/teams/{team}/icon", data=b"not a form")
    assert _answer(response) == (status, {"error": error})


async def test_a_failing_bucket_refuses_the_upload(world_api):
    api = await world_api(team_icon_storage="failing")
    assert _answer(await _upload(api, PNG)) == (500, {"error": "Upload failed"})
    assert body_of(await api.internal("GET", AUDIT))["events"] == []


async def test_without_a_public_storage_url_icons_have_no_url(world_api):
    api = await world_api(team_icon_storage="no_public_url")
    assert _answer(await _upload(api, PNG)) == (200, {"icon_url": None})
    assert (await _members(api))["team"]["iconUrl"] is None
    assert len(body_of(await api.internal("GET", AUDIT))["events"]) == 1
