"""The route table against the server's own list of route files and exported methods
(tests/server_routes.txt): a route the server has and the table lacks, or one the table
invents, fails here; so does a route left unmodeled."""

from __future__ import annotations

from pathlib import Path

from mockplex.routes import ROUTES
from mockplex.routes.lazy import LazyHandler

SERVER_ROUTES = Path(__file__).with_name("server_routes.txt")


def server_routes() -> set[tuple[str, str]]:
    lines = SERVER_ROUTES.read_text().splitlines()
    return {tuple(line.split()) for line in lines if line and not line.startswith("#")}


def table_routes() -> set[tuple[str, str]]:
    return {(spec.method, spec.template) for spec in ROUTES if spec.template.startswith("/api/")}


def test_the_table_has_every_route_and_method_the_server_exports():
    assert sorted(server_routes() - table_routes()) == []


def test_the_table_invents_no_route():
    assert sorted(table_routes() - server_routes()) == []


def test_every_route_is_modeled():
    assert [spec.name for spec in ROUTES if spec.name.startswith("unmodeled ")] == []


def test_every_route_names_a_handler_that_exists():
    """The web routes' handlers are imported on first call (routes.lazy): a misspelt one
    would otherwise fail only when its route is asked."""
    for spec in ROUTES:
        handler = spec.handler.resolve() if isinstance(spec.handler, LazyHandler) else spec.handler
        assert callable(handler), spec.name
        for step in spec.steps:
            assert callable(step.resolve() if isinstance(step, LazyHandler) else step), spec.name
