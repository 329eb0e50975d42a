"""Handler modules the web routes name, imported when one of their handlers is first
called. A start needs few of the web app's ~90 handler modules, and a replay server may
need none; importing them all with the route table cost about 0.13 s of every start.
(tests/test_route_coverage.py resolves every route's handler, so a misspelt one still fails there.)
"""

from __future__ import annotations

import importlib
from typing import Any, Awaitable, Callable


class LazyHandler:
    """A handler named by its module and function, imported on its first call."""

    __slots__ = ("module", "name", "_function")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self._function: Callable[..., Awaitable[Any]] | None = None

    def resolve(self) -> Callable[..., Awaitable[Any]]:
        if self._function is None:
            self._function = getattr(importlib.import_module(self.module), self.name)
        return self._function

    def __call__(self, *args: Any) -> Awaitable[Any]:
        return (self._function or self.resolve())(*args)


class HandlerModule:
    """`module.function` in a route row, without importing the module."""

    def __init__(self, name: str) -> None:
        self._module = f"mockplex.handlers.{name}"

    def __getattr__(self, name: str) -> LazyHandler:
        if name.startswith("__"):  # what Python itself asks of an object, not a handler
            raise AttributeError(name)
        return LazyHandler(self._module, name)
