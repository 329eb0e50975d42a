"""`mockplex cassettes`: list, show, lint a folder of recorded cassettes, and say who
recorded one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mockplex.choices import DEFAULT_CASSETTE_DIR


class BadCassetteInput(click.ClickException):
    """A one-line error about a cassette or its folder, with the usage error's exit code."""

    exit_code = 2


cassette_dir_option = click.option("--cassette-dir", type=click.Path(file_okay=False, path_type=Path),
                                   default=Path(DEFAULT_CASSETTE_DIR), show_default=True,
                                   help="Where cassettes live.")


@click.group()
def cassettes() -> None:
    """List, show and lint recorded cassettes (exit 1 when lint finds a problem)."""


def _cassettes_in(cassette_dir: Path) -> list[Path]:
    """The cassettes below the folder, saying which links that lead out of it are skipped."""
    from mockplex.recording.inspect import cassettes_inside_and_links_out

    if not cassette_dir.is_dir():
        raise BadCassetteInput(f"{cassette_dir}: no such cassette folder")
    inside, outside = cassettes_inside_and_links_out(cassette_dir)
    for path in outside:
        click.echo(f"{path}: skipped: it links to {path.resolve()}, outside {cassette_dir}", err=True)
    return inside
@cassettes.command("list")
@cassette_dir_option
def list_cassettes(cassette_dir):
    """One line per cassette: name, interactions, upstream, when it was recorded."""
    from mockplex.recording.inspect import load
    from mockplex.replay.reading import CassetteLoadError

    for path in _cassettes_in(cassette_dir):
        name = str(path.relative_to(cassette_dir))[:-5]
        try:
            cassette = load(path)
        except CassetteLoadError as error:
            click.echo(f"{name}  ({error.reason})")
            continue
        provenance = cassette.metadata.get("mockplex", {})
        click.echo(f"{name}  {len(cassette.requests)} interactions  from {provenance.get('upstream', '?')}  "
                   f"recorded {provenance.get('recorded_at', '?')}")


@cassettes.command("show")
@click.argument("name")
@click.option("--interaction", "number", type=int, metavar="N",
              help="Show interaction N whole (numbered as in the table): request and response headers and bodies.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of text.")
@cassette_dir_option
def show_cassette(name, number, as_json, cassette_dir):
    """A readable table of one cassette's interactions, or one interaction whole."""
    from mockplex.recording.inspect import interaction, interaction_text, load, rows, summaries
    from mockplex.recording.names import CassetteNameError, cassette_argument
    from mockplex.replay.reading import CassetteLoadError

    try:
        path = cassette_argument(cassette_dir, name)
        cassette = load(path)
    except CassetteNameError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    except CassetteLoadError as error:
        raise click.ClickException(str(error)) from None
    if number is None:
        if as_json:
            click.echo(json.dumps(summaries(cassette), indent=2))
        else:
            _echo_table([("#", "method", "request", "status", "body")] + rows(cassette))
        return
    _check_interaction_number(number, len(cassette.requests))
    click.echo(json.dumps(interaction(cassette, number), indent=2, ensure_ascii=False) if as_json
               else interaction_text(cassette, number))


def _check_interaction_number(number: int, count: int) -> None:
    if not 1 <= number <= count:
        held = f"holds {count} interaction(s): give 1 to {count}" if count else "holds no interactions"
        raise click.BadParameter(f"{number}: this cassette {held}", param_hint="'--interaction'")


def _echo_table(table: list[tuple[str, ...]]) -> None:
    widths = [max(len(cell) for cell in column) for column in zip(*table, strict=True)]
    for row in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@cassettes.command("credentials")
@click.argument("name")
@cassette_dir_option
def cassette_credentials(name, cassette_dir):
    """Who recorded a cassette: each caller's placeholder, the stand-in token replay
    accepts as that caller (for a CI without the real tokens), the scopes its answers
    showed (yes, no or ? when never tested) and how many requests it made."""
    from collections import Counter

    from mockplex.names import SCOPES
    from mockplex.recording.names import CassetteNameError, cassette_argument, cassette_name_of
    from mockplex.replay.callers import stand_in_token
    from mockplex.replay.reading import CassetteLoadError
    from mockplex.replay.route import ReplaySettings

    try:
        path = cassette_argument(cassette_dir, name)
        store = ReplaySettings(path, cassette_name_of(cassette_dir, path)).open()  # read as replay reads it
    except CassetteNameError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    except CassetteLoadError as error:
        raise BadCassetteInput(str(error)) from None
    uses = Counter(item.caller for item in store.interactions)
    shown = {None: "?", True: "yes", False: "no"}
    _echo_table([("placeholder", "stand-in token", "scopes", "requests")] + [
        (f"<redacted:{caller.name}>", stand_in_token(store.callers.cassette_sha256, caller.name),
         " ".join(f"{scope}={shown[caller.scopes.get(scope)]}" for scope in SCOPES), str(uses[caller.name]))
        for caller in store.callers.callers.values()])


@cassettes.command("lint")
@click.argument("names", nargs=-1)
@cassette_dir_option
def lint_cassettes(names, cassette_dir):
    """Check that every cassette loads, no secret survived, and every answer fits the
    published contract (see `mockplex openapi`). Exit 0 when clean, 1 when not."""
    from mockplex.contract.lint import lint_cassette
    from mockplex.recording.inspect import leaks, load
    from mockplex.recording.names import CassetteNameError, cassette_argument
    from mockplex.replay.reading import CassetteLoadError

    try:
        paths = [cassette_argument(cassette_dir, name) for name in names] if names else _cassettes_in(cassette_dir)
    except CassetteNameError as error:
        raise click.BadParameter(str(error), param_hint="NAMES") from None
    problems = 0
    for path in paths:
        try:
            cassette = load(path)
            found = leaks(cassette) + [finding.describe_in_file() for finding in lint_cassette(cassette)]
        except CassetteLoadError as error:
            found = [error.reason]
        problems += len(found)
        for problem in found:
            click.echo(f"{path}: {problem}")
    click.echo(f"{len(paths)} cassette(s), {problems} problem(s)", err=True)
    sys.exit(1 if problems else 0)
