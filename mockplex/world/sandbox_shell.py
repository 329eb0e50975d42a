"""What `POST /api/sandbox/{id}/exec` runs: a tiny shell over an imagined checkout, the
server's `cd` handling, and its refusal of programs that need a TTY (no stdin exists)."""

from __future__ import annotations

import posixpath
import re

SANDBOX_ROOT = "/vercel/sandbox"
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


def run_command(command: str, directory: str) -> tuple[int, str, str]:
    """Enough for clients that probe a sandbox with echo, pwd, ls, true, false."""
    program, _, rest = command.strip().partition(" ")
    outputs = {"echo": (0, rest + "\n", ""), "pwd": (0, directory + "\n", ""), "true": (0, "", ""),
               "false": (1, "", ""), "ls": (0, "README.md\npackage.json\nsrc\ntests\n", "")}
    return outputs.get(program, (127, "", f"sh: {program}: command not found\n"))


def change_directory(command: str, directory: str) -> str | None:
    """Where `cd …` lands (every directory exists in the imagined checkout), or None when
    the command is not a cd."""
    match = CD_COMMAND.match(command)
    if match is None:
        return None
    return posixpath.normpath(posixpath.join(directory, (match.group(1) or ".").strip()))


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
