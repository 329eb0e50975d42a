"""A cache for functions of one short text that come back request after request."""

from __future__ import annotations

from functools import lru_cache, wraps
from typing import Callable, TypeVar

Result = TypeVar("Result")

SHORT_TEXT = 512  # longer texts are worked out afresh, so nobody can fill the cache with them


def cached_for_short_texts(maxsize: int) -> Callable[[Callable[[str], Result]], Callable[[str], Result]]:
    """lru_cache(maxsize) for texts up to SHORT_TEXT long (the same paths, queries and
    credentials arrive again and again); a longer text is not kept."""
    def decorate(function: Callable[[str], Result]) -> Callable[[str], Result]:
        cached = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def call(text: str) -> Result:
            return cached(text) if len(text) <= SHORT_TEXT else function(text)
        return call
    return decorate
