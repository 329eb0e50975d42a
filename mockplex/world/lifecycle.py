"""How a started run moves over simulated time (v1 spec §7.5).

A run carries its script position; `advance` applies every step whose moment has
come, stamping events with the scheduled instant rather than the moment of the read,
so the timeline is the same however often a client polls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

FAILURE_MARKER = "[mockplex:fail]"
HARNESS_FAILURE = "Harness exited with code 1: the test command failed"


@dataclass(frozen=True)
class Step:
    offset_seconds: float
    kind: str  # "stream", "event" or "finish"
    event_type: str | None = None
    tool_name: str | None = None
    message: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


SCRIPT: tuple[Step, ...] = (
    Step(3.0, "stream"),
    Step(5.0, "event", "tool_started", "bash", "Running git status --short",
         {"command": "git status --short", "cwd": "."}),
    Step(7.5, "event", "tool_finished", "bash", "Command exited with code 0",
         {"exit_code": 0, "duration_ms": 2412}),
    Step(9.0, "event", "log", None, "Reading the files the prompt mentions",
         {"level": "info", "files_read": 6}),
    Step(12.0, "event", "tool_started", "apply_patch", "Editing 2 files",
         {"files": ["src/index.ts", "src/index.test.ts"]}),
    Step(14.5, "event", "tool_finished", "apply_patch", "Patch applied",
         {"files_changed": 2, "insertions": 18, "deletions": 4}),
    Step(16.0, "event", "tool_started", "bash", "Running pnpm test",
         {"command": "pnpm test", "cwd": "."}),
    Step(21.0, "event", "tool_finished", "bash", "Command exited with code 0",
         {"exit_code": 0, "duration_ms": 4968}),
    Step(23.0, "finish"),
)


@dataclass
class RunProgress:
    """Where one live run is in the script."""

    run_id: str
    started_at: datetime
    next_step: int = 0

    def due_steps(self, now: datetime) -> list[tuple[Step, datetime]]:
        due = []
        while self.next_step < len(SCRIPT):
            step = SCRIPT[self.next_step]
            moment = self.started_at + timedelta(seconds=step.offset_seconds)
            if moment > now:
                break
            due.append((step, moment))
            self.next_step += 1
        return due


def will_fail(prompt: str) -> bool:
    return FAILURE_MARKER in prompt


