"""A sandbox VM's file system: what the provider's file API and the commands the server
runs in the VM (`ls`, `find`, `test`, `mkdir`, `mv`, `rm`, `cat`, `cd`) see and change.

Paths are absolute under the VM; a relative path is relative to the VM's working
directory, as the provider's SDK reads it."""

from __future__ import annotations

import posixpath

SANDBOX_ROOT = "/vercel/sandbox"
DIRECTORY_SIZE = 4096  # what `ls -l` shows for a directory on the VM's ext4


def vm_path(path: str) -> str:
    return posixpath.normpath(posixpath.join(SANDBOX_ROOT, path))


class CommandFailed(Exception):
    """A command in the VM exited non-zero; its stderr is the message."""


class SandboxDisk:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files: dict[str, bytes] = {}
        self.dirs: set[str] = {"/", SANDBOX_ROOT}
        for path, content in files.items():
            self.write(path, content)

    def exists(self, path: str) -> bool:
        absolute = vm_path(path)
        return absolute in self.files or absolute in self.dirs

    def is_dir(self, path: str) -> bool:
        return vm_path(path) in self.dirs

    def read(self, path: str) -> bytes | None:
        return self.files.get(vm_path(path))

    def write(self, path: str, content: bytes) -> None:
        """The provider's file write: missing parent directories are made."""
        absolute = vm_path(path)
        self._make_parents(absolute)
        self.files[absolute] = content

    def make_dirs(self, path: str) -> None:
        """`mkdir -p`."""
        absolute = vm_path(path)
        if absolute in self.files:
            raise CommandFailed(f"mkdir: cannot create directory '{path}': File exists\n")
        self._make_parents(absolute, shown=path)
        self.dirs.add(absolute)

    def move(self, source: str, target: str) -> None:
        """`mv` to a destination that does not exist yet."""
        old, new = vm_path(source), vm_path(target)
        if new == old or new.startswith(old + "/"):
            raise CommandFailed(f"mv: cannot move '{source}' to a subdirectory of itself, '{target}'\n")
        for path in self._subtree(old):
            moved = new + path[len(old):]
            if path in self.files:
                self.files[moved] = self.files.pop(path)
            else:
                self.dirs.discard(path)
                self.dirs.add(moved)

    def remove(self, path: str, recursive: bool) -> None:
        """`rm -f` or `rm -rf`."""
        absolute = vm_path(path)
        if absolute in self.dirs and not recursive:
            raise CommandFailed(f"rm: cannot remove '{path}': Is a directory\n")
        for inside in self._subtree(absolute):
            self.files.pop(inside, None)
            self.dirs.discard(inside)

    def children(self, directory: str) -> list[str]:
        """The names directly inside a directory, in byte order (the VM's C locale)."""
        absolute = vm_path(directory)
        prefix = absolute.rstrip("/") + "/"
        names = {path[len(prefix):] for path in [*self.files, *self.dirs]
                 if path.startswith(prefix) and "/" not in path[len(prefix):]}
        return sorted(names)

    def walk(self, directory: str, pruned: frozenset[str]) -> list[tuple[str, str]]:
        """`find DIR -mindepth 1 ( -name … ) -prune -o -printf '%P\\t%y\\n'`: each path under
        the directory (relative to it) and its kind, `d` or `f`, skipping pruned names."""
        found: list[tuple[str, str]] = []
        for name in self.children(directory):
            if name in pruned:
                continue
            child = posixpath.join(vm_path(directory), name)
            found.append((name, "d" if child in self.dirs else "f"))
            if child in self.dirs:
                found += [(f"{name}/{inner}", kind) for inner, kind in self.walk(child, pruned)]
        return found

    def size(self, path: str) -> int:
        content = self.read(path)
        return DIRECTORY_SIZE if content is None else len(content)

    def _make_parents(self, absolute: str, shown: str | None = None) -> None:
        parent = posixpath.dirname(absolute)
        while parent not in self.dirs:
            if parent in self.files:
                raise CommandFailed(f"mkdir: cannot create directory '{shown or parent}': Not a directory\n")
            self.dirs.add(parent)
            parent = posixpath.dirname(parent)

    def _subtree(self, absolute: str) -> list[str]:
        inside = absolute + "/"
        return [path for path in [*self.files, *self.dirs] if path == absolute or path.startswith(inside)]
