"""What `POST /api/sandbox/{id}/exec` runs: a tiny shell over the VM's file system, the
server's `cd` handling, and its refusal of programs that need a TTY (no stdin exists)."""

from __future__ import annotations

import posixpath
import re

from mockplex.world.sandbox_disk import SANDBOX_ROOT, SandboxDisk

CD_COMMAND = re.compile(r"^cd(?:\s+(.+))?$")
ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
TUI_PROGRAMS = frozenset({"vim", "nvim", "vi", "nano", "pico", "emacs", "joe", "micro", "htop", "top", "btop", "atop",
                          "less", "more", "most", "watch", "tig", "man", "ssh", "sftp", "mc", "ncdu"})
EDITORS = frozenset({"vim", "nvim", "vi", "nano", "emacs"})
REPL_PROGRAMS = frozenset({"python", "python3", "node", "deno", "bun", "irb", "ruby", "ghci", "lua", "php", "scala",
                           "tclsh", "perl"})
DB_PROMPTS = frozenset({"psql", "mysql", "mongo", "mongosh", "redis-cli", "sqlite3", "cqlsh"})
ONE_SHOT_FLAGS = frozenset({"-c", "-e", "--command", "--eval", "-f", "--file"})
BARE_HARNESS = {
    "claude": "Claude Code's interactive REPL needs a real TTY, which the sandbox terminal can't provide yet.\n"
              'Try: claude -p "your prompt"\nOr run it from the Agent pane, which streams through the harness.',
    "codex": "Codex's interactive mode needs a TTY that the sandbox terminal can't provide yet.\n"
             "Use the Agent pane with the Codex model, or pass a prompt argument.",
}


def absolute_dir(cwd: str | None) -> str:
    return posixpath.normpath(posixpath.join(SANDBOX_ROOT, cwd or "."))


def run_command(command: str, directory: str, disk: SandboxDisk) -> tuple[int, str, str]:
    """Enough for clients that probe a sandbox with echo, pwd, true, false, and read its
    files with ls and cat."""
    program, _, rest = command.strip().partition(" ")
    operands = [word for word in rest.split() if not word.startswith("-")]
    if program == "ls":
        return _list(operands[0] if operands else ".", directory, disk)
    if program == "cat":
        return _concatenate(operands, directory, disk)
    outputs = {"echo": (0, rest + "\n", ""), "pwd": (0, directory + "\n", ""), "true": (0, "", ""),
               "false": (1, "", "")}
    return outputs.get(program, (127, "", f"sh: {program}: command not found\n"))


def _list(operand: str, directory: str, disk: SandboxDisk) -> tuple[int, str, str]:
    target = posixpath.join(directory, operand)
    if not disk.exists(target):
        return 2, "", f"ls: cannot access '{operand}': No such file or directory\n"
    if not disk.is_dir(target):
        return 0, operand + "\n", ""
    return 0, "".join(name + "\n" for name in disk.children(target) if not name.startswith(".")), ""


def _concatenate(operands: list[str], directory: str, disk: SandboxDisk) -> tuple[int, str, str]:
    stdout, stderr = "", ""
    for operand in operands:
        target = posixpath.join(directory, operand)
        content = disk.read(target)
        if content is None:
            reason = "Is a directory" if disk.is_dir(target) else "No such file or directory"
            stderr += f"cat: {operand}: {reason}\n"
        else:
            stdout += content.decode("utf-8", "replace")
    return (1 if stderr else 0), stdout, stderr


def change_directory(command: str, directory: str) -> str | None:
    """Where `cd …` would land, or None when the command is not a cd."""
    match = CD_COMMAND.match(command)
    if match is None:
        return None
    return posixpath.normpath(posixpath.join(directory, cd_target(command)))


def cd_target(command: str) -> str:
    match = CD_COMMAND.match(command)
    return (match.group(1) or ".").strip() if match else "."


def cd_failure(target: str, landed: str, disk: SandboxDisk) -> str | None:
    """What the shell says when `cd` cannot enter where it would land."""
    if disk.is_dir(landed):
        return None
    reason = "Not a directory" if disk.exists(landed) else "No such file or directory"
    return f"sh: line 1: cd: {target}: {reason}\n"


def needs_a_terminal(command: str) -> str | None:
    """The hint the server answers instead of running a program that needs a TTY."""
    words = command.strip().split()
    while words and ENV_ASSIGNMENT.match(words[0]):
        words.pop(0)
    if not words:
        return None
    program, args = words[0], words[1:]
    if program in BARE_HARNESS and not args:
        return BARE_HARNESS[program]
    if program in TUI_PROGRAMS:
        return f"`{program}` needs an interactive terminal (PTY) which the sandbox can't provide yet.\n{_tui_hint(program)}"
    if program in REPL_PROGRAMS and not args:
        return (f"`{program}` started with no arguments drops into a REPL and hangs without a TTY.\n"
                f'Try: {program} -c "..."  or pass a script file.')
    if program in DB_PROMPTS and not any(_one_shot(arg) for arg in args):
        return (f"`{program}` opens an interactive prompt and needs a PTY.\n"
                "Pass a one-shot command with `-c` / `-e` / `--eval` instead.")
    return None


def _tui_hint(program: str) -> str:
    if program in EDITORS:
        return "Open the file in the Editor pane instead."
    if program in ("ssh", "sftp"):
        return "Non-interactive usage only, e.g. `ssh host -- command`."
    return "This TUI needs a PTY; run it locally or wait for PTY support."


def _one_shot(arg: str) -> bool:
    return arg in ONE_SHOT_FLAGS or arg.startswith(("-c=", "--command=", "--eval="))
