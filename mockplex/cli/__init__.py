"""The `mockplex` command: the top-level group, one module per command or group of them."""

from __future__ import annotations

import click

from mockplex import __version__
from mockplex.cli.cassettes import cassettes
from mockplex.cli.journal import journal
from mockplex.cli.record import record
from mockplex.cli.routes import routes
from mockplex.cli.serve import serve
from mockplex.cli.sessions import sessions
from mockplex.cli.tokens import tokens
from mockplex.contract.commands import lint, openapi, verify


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockplex")
def main() -> None:
    """mockplex: a local, offline stand-in for the Mogplex hosted API.

    `mockplex serve` answers the v1 API (/api/v1/mogplex/...), its MCP endpoint and
    the web app's /api/* routes from a built-in, stateful world with documented dev
    tokens and sessions. No account, no network.
    """


for command in (serve, record, routes, tokens, sessions, cassettes, journal, openapi, lint, verify):
    main.add_command(command)
