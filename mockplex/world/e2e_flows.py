"""The server's Playwright-mode flows store (`/api/test/e2e/flows`): a state a test run
seeds, reads back and resets. Lists keep whatever truthy value the seed gave."""

from __future__ import annotations

import copy
from typing import Any

LIST_KEYS = ("installations", "agents", "flows", "flowVersions", "flowTemplates", "triggers", "jobRuns",
             "flowNodeRuns", "dispatchEvents", "aiCalls", "aiCallEvents")


def js_field(value: Any, key: str) -> Any:
    """`value.key` in JavaScript for a parsed JSON value: only objects have fields."""
    return value.get(key) if isinstance(value, dict) else None


def js_truthy(value: Any) -> bool:
    return value not in (None, False, 0, "")


class E2eFlowsStore:
    def __init__(self) -> None:
        self.state = self._seeded(None)

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.state)

    def reset(self, seed: Any = None) -> dict[str, Any]:
        self.state = self._seeded(seed)
        return self.snapshot()

    @staticmethod
    def _seeded(seed: Any) -> dict[str, Any]:
        given = seed if js_truthy(seed) else None
        state: dict[str, Any] = {}
        for key in LIST_KEYS:
            value = js_field(given, key)
            state[key] = copy.deepcopy(value) if js_truthy(value) else []
        assistant = js_field(given, "assistant")
        next_result = js_field(assistant, "nextResult")
        state["assistant"] = {"nextResult": copy.deepcopy(next_result) if js_truthy(next_result) else None,
                              "nextError": js_field(assistant, "nextError")}
        state["faults"] = {"failNextFlowDelete": js_field(js_field(given, "faults"), "failNextFlowDelete")}
        return state
