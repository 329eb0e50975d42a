"""A team's icon (`POST|DELETE /api/teams/{teamId}/icon`): a raster image of at most 2 MB,
sent as the `file` field of a form, recognised by its first bytes (never by the type the
client claims), stored in the team-icons bucket and served from its public URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.message import Message
from urllib.parse import parse_qsl

from aiohttp import web

from mockplex.call import Call
from mockplex.handlers.team_access import managing_access, record_team_event
from mockplex.jsvalues import JS_EPOCH
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.world.database_errors import DatabaseErrors
from mockplex.world.team_icons import team_icon_url

MAX_BYTES = 2 * 1024 * 1024
# (content type, extension, magic bytes): SVG is left out on purpose, it can carry script.
IMAGE_FORMATS = (
    ("image/png", "png", (b"\x89PNG\r\n\x1a\n",)),
    ("image/jpeg", "jpg", (b"\xff\xd8\xff",)),
    ("image/gif", "gif", (b"GIF87a", b"GIF89a")),
)


@dataclass(frozen=True)
class FormPart:
    name: str | None
    filename: str | None
    data: bytes


class NotAForm(Exception):
    """What `request.formData()` throws on a body it cannot read as a form."""


def _header_params(value: str, header: str = "content-type") -> Message:
    message = Message()
    message[header] = value
    return message


def _multipart(body: bytes, boundary: str) -> list[FormPart]:
    delimiter = b"--" + boundary.encode("latin-1")
    start = body.find(delimiter)
    if not boundary or start < 0:
        raise NotAForm
    rest, parts = body[start + len(delimiter):], []
    while not rest.startswith(b"--"):
        end = rest.find(b"\r\n" + delimiter)
        head, separator, content = rest[2:end].partition(b"\r\n\r\n")
        if not rest.startswith(b"\r\n") or end < 0 or not separator:
            raise NotAForm
        parts.append(_part(head.decode("latin-1"), content))
        rest = rest[end + 2 + len(delimiter):]
    return parts


def _part(head: str, content: bytes) -> FormPart:
    disposition = next((line.split(":", 1)[1].strip() for line in head.split("\r\n")
                        if line.lower().startswith("content-disposition:")), "")
    params = _header_params(disposition, "content-disposition")
    name, filename = params.get_param("name", header="content-disposition"), params.get_filename()
    return FormPart(name if isinstance(name, str) else None, filename, content)


async def _form(call: Call) -> list[FormPart]:
    """The body as a form: multipart (a part with a file name is a File) or URL-encoded."""
    content_type = call.request.headers.get("Content-Type", "")
    essence = content_type.split(";", 1)[0].strip().lower()
    body = await call.request.read()
    if essence == "multipart/form-data":
        return _multipart(body, _header_params(content_type).get_param("boundary") or "")
    if essence == "application/x-www-form-urlencoded":
        return [FormPart(name, None, value.encode()) for name, value in parse_qsl(body.decode("utf-8", "replace"),
                                                                                 keep_blank_values=True)]
    raise NotAForm


def _remove_stored(call: Call, path: str | None) -> None:
    """The server's best-effort removal of a replaced or cleared icon. On Neon (a better-auth
    world) its storage shim has no `remove`, so any path to remove throws after the team row
    has already changed: the framework's empty 500, with nothing recorded in the trail."""
    if path and DatabaseErrors(call.world.sessions.backend).shim:
        raise EmptyResponse(500)
    call.world.team_icons.remove(path, call.world.outside.team_icon_storage)


def _image_format(data: bytes) -> tuple[str, str] | None:
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return next(((mime, ext) for mime, ext, magics in IMAGE_FORMATS if data.startswith(magics)), None)


async def _uploaded_file(call: Call) -> bytes:
    try:
        form = await _form(call)
    except NotAForm:
        raise flat_error(400, "Expected multipart/form-data") from None
    file = next((part for part in form if part.name == "file"), None)
    if file is None or file.filename is None:
        raise flat_error(400, "Missing file")
    if not file.data:
        raise flat_error(400, "Empty file")
    if len(file.data) > MAX_BYTES:
        raise flat_error(413, "File too large (max 2 MB)")
    return file.data


async def upload_icon(call: Call) -> web.Response:
    user_id = call.require_user()
    access = managing_access(call, user_id)
    data = await _uploaded_file(call)
    image = _image_format(data)
    if image is None:
        raise flat_error(415, "Unsupported image type (PNG, JPEG, WEBP, or GIF only)")
    mime, extension = image
    team, storage = call.world.teams.get(access.team_id), call.world.outside.team_icon_storage
    raw_team_id = call.params["teamId"]  # the object's folder keeps the id as the client wrote it
    epoch_ms = (call.now - JS_EPOCH) // timedelta(milliseconds=1)
    path = f"{raw_team_id}/{epoch_ms}-{call.world.ids.uuid()[:8]}.{extension}"
    if not call.world.team_icons.upload(path, data, mime, storage):
        raise flat_error(500, "Upload failed")
    previous, team.icon_path = team.icon_path, path
    if previous and previous != path:
        _remove_stored(call, previous)
    record_team_event(call, access.team_id, user_id, "team.icon.updated", "team", raw_team_id, {"icon_path": path})
    return json_response({"icon_url": team_icon_url(path, storage)})


async def remove_icon(call: Call) -> web.Response:
    user_id = call.require_user()
    access = managing_access(call, user_id)
    team = call.world.teams.get(access.team_id)
    previous, team.icon_path = team.icon_path, None
    _remove_stored(call, previous)
    record_team_event(call, access.team_id, user_id, "team.icon.removed", "team", call.params["teamId"],
                      {"icon_path": previous})
    return json_response({"icon_url": None})
