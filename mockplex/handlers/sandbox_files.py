"""/api/sandbox/{id}/files and /tree: a sandbox's file system, the same one exec's
commands see. Each route loads the owned sandbox as the server's shared route context
does (401, the capability's 403, 404 `Not found`, the provider's 500, 409 while pending),
then reads or changes the VM's disk."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from mockplex import jsonio
from mockplex.call import Call
from mockplex.handlers.json_failure import parse_failure_message
from mockplex.handlers.sandbox_web import capable_caller, is_pending, owned_sandbox
from mockplex.jsvalues import js_truthy
from mockplex.responses import EmptyResponse, flat_error, json_response
from mockplex.world import tree_paths
from mockplex.world.records import Sandbox
from mockplex.world.sandbox_disk import CommandFailed, SandboxDisk
from mockplex.world.sandbox_lifecycle import ProviderFailed
from mockplex.world.sandbox_machines import SandboxMachine, hydrate, machine
from mockplex.world.tree_paths import TreePathError

WRITE_FILE = "tools.write_file"
BASH = "tools.bash"
NO_STORE = {"cache-control": "no-store"}


def loaded_sandbox(call: Call, capability: str | None) -> Sandbox:
    sandbox = owned_sandbox(call, capable_caller(call, capability), "Not found")
    if not is_pending(sandbox):
        try:
            hydrate(call.world, sandbox)
        except ProviderFailed as failed:
            raise flat_error(500, str(failed)) from None
    if is_pending(sandbox):
        raise flat_error(409, "Sandbox is not ready")
    return sandbox


def sandbox_path(root: str | None, path: Any) -> str:
    """The server's resolveSandboxPath: relative to the sandbox's root directory."""
    if not js_truthy(path) or path == ".":
        return _normalized_root(root) or "."
    if not isinstance(path, str):
        raise ProviderFailed("path.startsWith is not a function")
    if path.startswith("/"):
        return path
    root_dir, relative = _normalized_root(root), re.sub(r"^\./+", "", path)
    return f"{root_dir}/{relative}" if root_dir else relative


def _normalized_root(root: str | None) -> str | None:
    """The server's normalizeRootDirectory: no leading `./` or `/`, no doubled or trailing `/`."""
    stripped = re.sub(r"/+$", "", re.sub(r"/+", "/", re.sub(r"^/+", "", re.sub(r"^\./+", "", (root or "").strip()))))
    return None if stripped in ("", ".") else stripped


def _touch(call: Call, sandbox: Sandbox) -> None:
    sandbox.last_active_at = call.now


@contextmanager
def in_the_vm() -> Iterator[None]:
    """What the route's catch makes of a provider error or a failed command: 500 with its message."""
    try:
        yield
    except (ProviderFailed, CommandFailed) as failed:
        raise flat_error(500, str(failed)) from None


def _vm(call: Call, sandbox: Sandbox) -> SandboxMachine:
    with in_the_vm():
        return machine(call.world, sandbox)


# -- /files ---------------------------------------------------------------------------------------

async def read_file(call: Call) -> web.Response:
    path = call.query("path")
    if not path:
        raise flat_error(400, "path required")
    sandbox = loaded_sandbox(call, None)
    content = _vm(call, sandbox).disk.read(sandbox_path(sandbox.root_directory, path))
    if content is None:
        raise flat_error(404, "File not found")
    _touch(call, sandbox)
    return json_response({"path": path, "content": content.decode("utf-8", "replace")})


async def write_file(call: Call) -> web.Response:
    fields = await _destructured_body(call)
    path, content = fields.get("path"), fields.get("content", _ABSENT)
    if not js_truthy(path) or content is _ABSENT:
        raise flat_error(400, "path and content required")
    sandbox = loaded_sandbox(call, WRITE_FILE)
    with in_the_vm():  # the path and the buffer are made before the provider is called
        target, data = sandbox_path(sandbox.root_directory, path), node_buffer(content)
        machine(call.world, sandbox).disk.write(target, data)
    _touch(call, sandbox)
    return json_response({"ok": True})


async def list_directory(call: Call) -> web.Response:
    fields = await _destructured_body(call)
    path = fields.get("path", ".")
    sandbox = loaded_sandbox(call, BASH)
    with in_the_vm():
        target = sandbox_path(sandbox.root_directory, path)
        disk = machine(call.world, sandbox).disk
    _touch(call, sandbox)
    return json_response({"path": path, "entries": long_listing(disk, target)})


_ABSENT = object()


async def _destructured_body(call: Call) -> dict[str, Any]:
    """`const { … } = await request.json()` outside any try: unparsable or null is the
    framework's empty 500; any other value has no fields."""
    body = await call.body()
    if body is jsonio.NOT_JSON or body is None:
        raise EmptyResponse(500)
    return body if isinstance(body, dict) else {}


def long_listing(disk: SandboxDisk, target: str) -> list[dict[str, Any]]:
    """What the route parses out of `ls -la --group-directories-first`: nothing for a missing
    path or a file (its one line is dropped as if it were the `total` line)."""
    if not disk.is_dir(target):
        return []
    names = disk.children(target)
    ordered = [name for name in names if disk.is_dir(posixpath.join(target, name))]
    ordered += [name for name in names if name not in ordered]
    return [{"name": name, "isDir": disk.is_dir(posixpath.join(target, name)),
             "size": disk.size(posixpath.join(target, name))} for name in ordered]


def node_buffer(content: Any) -> bytes:
    """`Buffer.from(content)`: a string's UTF-8, an array's bytes, and Node's TypeError for the rest."""
    if isinstance(content, str):
        return content.encode("utf-8", "surrogatepass")
    if isinstance(content, list):
        return bytes(_byte(item) for item in content)
    raise ProviderFailed("The first argument must be of type string or an instance of Buffer, ArrayBuffer, or "
                         f"Array or an Array-like Object. Received {_node_received(content)}")


def _byte(item: Any) -> int:
    if isinstance(item, bool):
        return int(item)
    return int(item) & 255 if isinstance(item, (int, float)) else 0


def _node_received(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"type boolean ({'true' if value else 'false'})"
    if isinstance(value, (int, float)):
        return f"type number ({jsonio.dumps(value).decode()})"
    return "an instance of Object"


# -- /tree ----------------------------------------------------------------------------------------

async def tree(call: Call) -> web.Response:
    sandbox = loaded_sandbox(call, None)
    disk = _vm(call, sandbox).disk
    root = sandbox_path(sandbox.root_directory, ".")
    if not disk.is_dir(root):
        raise flat_error(500, f"find: '{root}': No such file or directory\n")
    paths = [name + "/" if kind == "d" else name for name, kind in disk.walk(root, tree_paths.PRUNED_NAMES)]
    _touch(call, sandbox)
    return json_response({"paths": tree_paths.sort_paths(paths)}, headers=NO_STORE)


async def create_tree_entry(call: Call) -> web.Response:
    sandbox, body = await _tree_change(call)
    kind = body.get("kind") if body.get("kind") in ("file", "directory") else None
    if kind is None:
        raise flat_error(400, "kind must be 'file' or 'directory'")
    repo_path = _checked(lambda: tree_paths.normalize(body.get("path"), kind))
    disk = _vm(call, sandbox).disk
    target = _fs_path(sandbox, repo_path)
    _ensure_missing(disk, target)
    with in_the_vm():
        _make_parent(disk, target)
        if kind == "directory":
            disk.make_dirs(target)
        else:
            disk.write(target, b"")
    _touch(call, sandbox)
    return json_response({"ok": True, "path": repo_path}, 201)


async def move_tree_entries(call: Call) -> web.Response:
    sandbox, body = await _tree_change(call)
    raw_moves = body.get("moves") if isinstance(body.get("moves"), list) else []
    if not raw_moves:
        raise flat_error(400, "moves required")
    moves = [_checked(lambda move=move: _move(move)) for move in raw_moves]
    disk = _vm(call, sandbox).disk
    for move in moves:
        if move["fromPath"] == move["toPath"]:
            continue
        source, target = _fs_path(sandbox, move["fromPath"]), _fs_path(sandbox, move["toPath"])
        if not disk.exists(source):
            raise flat_error(404, "Path not found")
        _ensure_missing(disk, target)
        with in_the_vm():
            _make_parent(disk, target)
            disk.move(source, target)
    _touch(call, sandbox)
    return json_response({"ok": True, "moves": moves})


async def delete_tree_entry(call: Call) -> web.Response:
    sandbox, body = await _tree_change(call)
    repo_path = _checked(lambda: tree_paths.normalize(body.get("path"), "either"))
    disk = _vm(call, sandbox).disk
    target = _fs_path(sandbox, repo_path)
    if not disk.exists(target):
        raise flat_error(404, "Path not found")
    with in_the_vm():
        disk.remove(target, recursive=tree_paths.is_directory(repo_path))
    _touch(call, sandbox)
    return json_response({"ok": True, "path": repo_path})


async def _tree_change(call: Call) -> tuple[Sandbox, dict[str, Any]]:
    """The sandbox, then the body (inside the route's try: unparsable JSON is a 500 naming V8's error)."""
    sandbox = loaded_sandbox(call, WRITE_FILE)
    raw = await call.request.read()
    body = jsonio.parse_body(raw)
    if body is jsonio.NOT_JSON:
        raise flat_error(500, parse_failure_message(raw))
    return sandbox, body if isinstance(body, dict) else {}


def _move(move: Any) -> dict[str, str]:
    fields = move if isinstance(move, dict) else {}
    source = tree_paths.normalize(fields.get("fromPath"), "either")
    target = tree_paths.normalize(fields.get("toPath"), "directory" if tree_paths.is_directory(source) else "file")
    if tree_paths.is_directory(source) and target != source and target.startswith(source):
        raise TreePathError("Cannot move a directory into itself")
    return {"fromPath": source, "toPath": target}


def _checked(step):
    try:
        return step()
    except TreePathError as refused:
        raise flat_error(refused.status, str(refused)) from None


def _make_parent(disk: SandboxDisk, target: str) -> None:
    """`mkdir -p` of the parent; a top-level path's parent is `.`, which exists."""
    if posixpath.dirname(target):
        disk.make_dirs(posixpath.dirname(target))


def _ensure_missing(disk: SandboxDisk, target: str) -> None:
    if disk.exists(target):
        raise flat_error(409, "Destination already exists")


def _fs_path(sandbox: Sandbox, repo_path: str) -> str:
    return sandbox_path(sandbox.root_directory, tree_paths.strip_directory(repo_path))
