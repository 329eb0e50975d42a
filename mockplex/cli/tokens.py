"""`mockplex tokens`: the dev tokens the world documents, minting a new PAT, revoking one."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence, TypeVar

import click

from mockplex.cli.options import fixtures_option, load_world, state_option, world_user
from mockplex.clock import format_timestamp
from mockplex.names import READ, SCOPES, WRITE
from mockplex.world.fixtures import FixtureError
from mockplex.world.tokens import TokenStore, mint_into_state, sha256_hex

Item = TypeVar("Item")


@click.group()
def tokens() -> None:
    """List the dev tokens, mint a new personal access token, or revoke one."""


@tokens.command("list")
@fixtures_option
@state_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_tokens(fixtures_dir, state_dir, as_json):
    """Show every token the server accepts: documented dev tokens, minted ones, OAuth."""
    seed = load_world(fixtures_dir)
    store = _store(seed, state_dir)
    rows = [{
        "kind": "pat", "id": pat.id, "name": pat.name, "user": pat.user_id,
        "token": pat.documented_token, "prefix": pat.prefix, "scopes": list(pat.scopes),
        "expires_at": format_timestamp(pat.expires_at) if pat.expires_at else None,
        "revoked_at": format_timestamp(pat.revoked_at) if pat.revoked_at else None,
        "description": pat.description,
    } for pat in store.pats()] + [{
        "kind": "oauth", "id": grant.client_id, "name": f"OAuth bearer ({grant.client_id})",
        "user": grant.user_id, "token": grant.token, "prefix": grant.token[:12],
        "scopes": list(grant.scopes), "expires_at": None, "revoked_at": None,
        "description": grant.description,
    } for grant in store.grants()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = "revoked" if row["revoked_at"] else f"expires {row['expires_at']}" if row["expires_at"] else "active"
        shown = row["token"] or f"{row['prefix']}… (minted; plaintext was shown once)"
        key = f" | id {row['id']}" if row["kind"] == "pat" else ""
        click.echo(f"{row['name']}\n  {shown}\n  scopes: {','.join(row['scopes'])} | {state}{key}")
        if row["description"]:
            click.echo(f"  {row['description']}")


def _store(seed, state_dir: Path) -> TokenStore:
    try:
        return TokenStore(seed.tokens, seed.oauth_grants, state_dir)
    except FixtureError as exc:
        raise click.ClickException(f"bad token state: {exc}") from None


def _scopes(ctx, param, value):
    scopes = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not scopes or any(scope not in SCOPES for scope in scopes):
        raise click.BadParameter(f"give {READ}, {WRITE} or {READ},{WRITE}")
    return scopes


@tokens.command("create")
@click.option("--name", required=True, help="A label for the token.")
@click.option("--scopes", default=",".join(SCOPES), show_default=True, callback=_scopes,
              help=f"Comma-separated: {', '.join(SCOPES)}.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None,
              help="Days until it expires (default: never).")
@click.option("--user", "user_id", default=None, help="Owner (default: the world's first user).")
@fixtures_option
@state_option
def create_token(name, scopes, expires_in_days, user_id, fixtures_dir, state_dir):
    """Mint a PAT the way the server does; prints the plaintext once, stores its hash.

    A running `mockplex serve` with the same --state-dir accepts it at once.
    """
    owner = world_user(load_world(fixtures_dir), user_id)
    key_id = str(uuid.uuid4())
    try:
        token, pat = mint_into_state(state_dir, user_id=owner, key_id=key_id, name=name, scopes=scopes,
                                     created_at=datetime.now(timezone.utc), expires_in_days=expires_in_days)
    except FixtureError as exc:
        raise click.ClickException(f"bad token state: {exc}") from None
    click.echo(token)
    print(f"Created '{name}' ({','.join(scopes)}), id {pat.id}, stored in {state_dir}. "
          "This is the only time the token is shown.", file=sys.stderr)


def only_one(items: Sequence[Item], matches: Callable[[Item], bool], which: str, noun: str,
             label: Callable[[Item], str], listing: str) -> Item:
    """The one item `which` names; refused, with what to give instead, when it names none or several."""
    found = [item for item in items if matches(item)]
    if not found:
        raise click.ClickException(f"no {noun} matches {which!r}; `{listing}` shows them all.")
    if len(found) > 1:
        raise click.ClickException(f"{which!r} matches {len(found)} {noun}s: "
                                   f"{'; '.join(label(item) for item in found)}. Give the id.")
    return found[0]


@tokens.command("revoke")
@click.argument("which", metavar="NAME-OR-ID")
@fixtures_option
@state_option
def revoke_token(which, fixtures_dir, state_dir):
    """Revoke a personal access token: give its name, its id, or the token itself.

    The revocation is kept in --state-dir (dev tokens included), and a running
    `mockplex serve` with the same --state-dir answers the token 401 from its next request.
    """
    store = _store(load_world(fixtures_dir), state_dir)
    pat = only_one(store.pats(), lambda pat: which in (pat.id, pat.name) or sha256_hex(which) == pat.token_sha256,
                   which, "token", lambda pat: f"'{pat.name}' id {pat.id}", "mockplex tokens list")
    if pat.revoked_at is not None:
        click.echo(f"'{pat.name}' (id {pat.id}) was already revoked at {format_timestamp(pat.revoked_at)}.")
        return
    try:
        store.revoke(pat, datetime.now(timezone.utc))
    except FixtureError as exc:
        raise click.ClickException(f"bad token state: {exc}") from None
    click.echo(f"Revoked '{pat.name}' (id {pat.id}); servers using {state_dir} now answer it 401.")
