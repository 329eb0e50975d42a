"""The words a v1 route's contract is written in: its query parameters and the usual shapes
of its `data`. Each route states its contract in its row of the route table (`routes.v1`)."""

from __future__ import annotations

from dataclasses import dataclass

from mockplex.contract import payloads as p
from mockplex.contract.payloads import Json
from mockplex.validation import Page


@dataclass(frozen=True)
class Query:
    name: str
    schema: Json
    description: str


def limit(page: Page) -> Query:
    return Query("limit", {"type": "string"}, f"Page size, parsed like parseInt and clamped to 1..{page.maximum}; "
                                              f"default {page.default}. Never an error.")


def listing(key: str, item: Json) -> Json:
    return p.closed({key: p.array(item)})


def holding(key: str, item: Json) -> Json:
    return p.closed({key: item})
