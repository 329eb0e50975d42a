"""`mockplex sessions`: the browser sessions the world holds, and minting one."""

from __future__ import annotations

import sys

import click

from mockplex.cli.options import fixtures_option, load_world, state_option, world_user
from mockplex.clock import format_timestamp
from mockplex.world.sessions import SessionStore, cookie_name, mint_session


@click.group()
def sessions() -> None:
    """List browser sessions, or mint one for the web app's session-only routes."""


@sessions.command("list")
@fixtures_option
@state_option
def list_sessions(fixtures_dir, state_dir):
    """Show the sessions the server accepts and the cookie to send them in."""
    seed = load_world(fixtures_dir)
    store = SessionStore(seed.session_backend, seed.sessions, state_dir)
    name = cookie_name(seed.session_backend)
    for session in store.sessions():
        expiry = f"expires {format_timestamp(session.expires_at)}" if session.expires_at else "no expiry"
        click.echo(f"Cookie: {name}={session.token}\n  user: {session.user_id or '(no profile)'} | {expiry}")
        if session.description:
            click.echo(f"  {session.description}")


@sessions.command("create")
@click.option("--user", "user_id", default=None, help="Who signs in (default: the world's first user).")
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True, help="Lifetime in days.")
@fixtures_option
@state_option
def create_session(user_id, days, fixtures_dir, state_dir):
    """Mint a signed-in session and print the Cookie header that carries it.

    A running `mockplex serve` with the same --state-dir accepts it at once.
    """
    from datetime import datetime, timezone

    seed = load_world(fixtures_dir)
    owner = world_user(seed, user_id)
    session = mint_session(state_dir, owner, datetime.now(timezone.utc), days)
    click.echo(f"{cookie_name(seed.session_backend)}={session.token}")
    print(f"Signed in {owner} for {days} days; stored in {state_dir}.", file=sys.stderr)
