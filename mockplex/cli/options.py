"""What several commands share: the world and state folder options, flag checks, and
loading the world and choosing one of its users."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import click

from mockplex.world.fixtures import FixtureError
from mockplex.world.loader import default_fixtures_dir, load_seed

DEFAULT_STATE_DIR = ".mockplex"

fixtures_option = click.option(
    "--fixtures", "fixtures_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="A world of your own: a folder laid out like mockplex's fixtures/ (default: the built-in world).")
state_option = click.option(
    "--state-dir", type=click.Path(file_okay=False, path_type=Path), default=Path(DEFAULT_STATE_DIR),
    show_default=True, envvar="MOCKPLEX_STATE_DIR",
    help="Where minted tokens and sessions, and revocations, are kept (hashes only). Env: MOCKPLEX_STATE_DIR.")


def option_group(*options: Callable) -> Callable:
    """Several option decorators as one, listed in --help in the order given."""
    def apply(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command
    return apply


def checked_by(check: Callable) -> Callable:
    """A click callback refusing, as a usage error, a value (or each of a repeatable
    option's values) for which `check` raises ValueError; it passes on what `check` returns."""
    def callback(ctx, param, value):
        if value is None:
            return None
        try:
            return tuple(check(item) for item in value) if param.multiple else check(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    return callback


def load_world(fixtures_dir: Path | None):
    try:
        return load_seed(fixtures_dir or default_fixtures_dir())
    except FixtureError as exc:
        raise click.ClickException(f"bad fixture: {exc}") from None


def world_user(seed, user_id: str | None) -> str:
    """The --user given, or the world's first user; refused when the world lacks it."""
    owner = user_id or seed.users[0].id
    if owner not in {user.id for user in seed.users}:
        raise click.BadParameter(f"no user {owner!r} in the world", param_hint="--user")
    return owner
