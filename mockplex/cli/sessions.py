"""`mockplex sessions`: the browser sessions the world holds, minting one, revoking one."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import click

from mockplex.cli.options import fixtures_option, load_world, state_option, world_user
from mockplex.cli.tokens import only_one
from mockplex.clock import format_timestamp
from mockplex.world.fixtures import FixtureError
from mockplex.world.sessions import Session, SessionStore, cookie_name, mint_session
from mockplex.world.tokens import sha256_hex


@click.group()
def sessions() -> None:
    """List browser sessions, mint one for the web app's session-only routes, or revoke one."""


@sessions.command("list")
@fixtures_option
@state_option
def list_sessions(fixtures_dir, state_dir):
    """Show the sessions the server accepts and the cookie to send them in."""
    seed = load_world(fixtures_dir)
    store = _store(seed, state_dir)
    name = cookie_name(seed.session_backend)
    for session in store.sessions():
        cookie = session.documented_token or f"{session.prefix}… (minted; the cookie was shown once)"
        click.echo(f"Cookie: {name}={cookie}\n  id {session.id} | user: {session.user_id or '(no profile)'}"
                   f" | {_state(session)}")
        if session.description:
            click.echo(f"  {session.description}")


def _state(session: Session) -> str:
    if session.revoked_at:
        return f"revoked {format_timestamp(session.revoked_at)}"
    return f"expires {format_timestamp(session.expires_at)}" if session.expires_at else "no expiry"


def _store(seed, state_dir) -> SessionStore:
    try:
        return SessionStore(seed.session_backend, seed.sessions, state_dir)
    except FixtureError as exc:
        raise click.ClickException(f"bad session state: {exc}") from None


@sessions.command("create")
@click.option("--user", "user_id", default=None, help="Who signs in (default: the world's first user).")
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True, help="Lifetime in days.")
@fixtures_option
@state_option
def create_session(user_id, days, fixtures_dir, state_dir):
    """Mint a signed-in session and print the Cookie header that carries it, once.

    Only its hash is stored; a running `mockplex serve` with the same --state-dir accepts it at once.
    """
    seed = load_world(fixtures_dir)
    owner = world_user(seed, user_id)
    try:
        token = mint_session(state_dir, owner, datetime.now(timezone.utc), days)
    except FixtureError as exc:
        raise click.ClickException(f"bad session state: {exc}") from None
    click.echo(f"{cookie_name(seed.session_backend)}={token}")
    print(f"Signed in {owner} for {days} days; stored in {state_dir} as a hash. "
          "This is the only time the cookie is shown.", file=sys.stderr)


@sessions.command("revoke")
@click.argument("which", metavar="COOKIE-ID-OR-USER")
@fixtures_option
@state_option
def revoke_session(which, fixtures_dir, state_dir):
    """Sign a session out everywhere: give its cookie (NAME=VALUE or the value), its id
    from `sessions list`, or a user with one live session.

    The revocation is kept in --state-dir (the world's sessions included), and a running
    `mockplex serve` with the same --state-dir treats the cookie as signed out at once.
    """
    store = _store(load_world(fixtures_dir), state_dir)
    now = datetime.now(timezone.utc)
    digest = sha256_hex(which.rpartition("=")[2])
    session = only_one(store.sessions(), lambda session: session.token_sha256 == digest or which == session.id
                       or (which == session.user_id and session.live_at(now)),
                       which, "session", lambda session: f"id {session.id}", "mockplex sessions list")
    if session.revoked_at is not None:
        click.echo(f"Session {session.id} was already revoked at {format_timestamp(session.revoked_at)}.")
        return
    try:
        store.revoke(session, now)
    except FixtureError as exc:
        raise click.ClickException(f"bad session state: {exc}") from None
    click.echo(f"Revoked session {session.id} of {session.user_id or '(no profile)'}; "
               f"servers using {state_dir} now treat its cookie as signed out.")
