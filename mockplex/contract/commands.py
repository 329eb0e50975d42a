"""The contract commands: `mockplex openapi`, `mockplex lint` and `mockplex verify`."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

import click

from mockplex.contract.openapi import DEFAULT_SERVER
from mockplex.world.loader import default_fixtures_dir

EXIT_DRIFT = 1
EXIT_UNREACHABLE = 3


@click.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the document here (default: standard output).")
@click.option("--server-url", default=DEFAULT_SERVER, show_default=True,
              help="The server the document points clients at, e.g. http://127.0.0.1:8765 for a local mock.")
@click.option("--yaml", "as_yaml", is_flag=True, help="YAML instead of JSON.")
def openapi(output, server_url, as_yaml):
    """Write the OpenAPI 3.1 document of the v1 API (and its OAuth discovery routes).

    It is generated from the same route table and payload schemas the mock serves, and is
    checked with openapi-spec-validator before it is written."""
    from openapi_spec_validator import validate

    from mockplex.contract.openapi import build

    document = build(server_url)
    validate(document)
    if as_yaml:
        import yaml

        class _NoAliases(yaml.SafeDumper):
            def ignore_aliases(self, data):
                return True

        text = yaml.dump(document, Dumper=_NoAliases, sort_keys=False, allow_unicode=True)
    else:
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    operations = sum(len(item) for item in document["paths"].values())
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    click.echo(f"{output or 'stdout'}: OpenAPI 3.1, {len(document['paths'])} paths, {operations} operations, "
               "valid", err=True)


@click.command()
@click.option("--fixtures", "fixtures_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="The fixture world to lint (default: the built-in world).")
@click.option("--cassette-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("cassettes"),
              show_default=True, help="Cassettes to lint (every *.yaml below it; skipped when absent).")
@click.option("--no-fixtures", is_flag=True, help="Lint cassettes only.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the findings and a summary.")
def lint(fixtures_dir, cassette_dir, no_fixtures, as_json):
    """Check every fixture and cassette answer against the published contract.

    Fixture records are judged as a client sees them: a private copy of the world answers
    every v1 read route for every user. Each finding names the file, the interaction or
    record, and the field; a file that does not load is a finding too, and the rest are
    still linted. Exit 0 when clean, 1 when anything was found."""
    from mockplex.contract.lint import lint_cassette_file, lint_fixtures
    from mockplex.recording.inspect import cassette_files

    findings, checked = [], Counter()
    if not no_fixtures:
        findings += asyncio.run(lint_fixtures(fixtures_dir or default_fixtures_dir()))
        checked["fixture folders"] += 1
    for path in cassette_files(cassette_dir) if cassette_dir.is_dir() else []:
        findings += lint_cassette_file(path)
        checked["cassettes"] += 1
    summary = ", ".join(f"{count} {what}" for what, count in checked.items()) or "nothing"
    if as_json:
        click.echo(json.dumps({"findings": [finding.to_json() for finding in findings],
                               "checked": dict(checked), "problems": len(findings)}, indent=2))
    else:
        for finding in findings:
            click.echo(finding.describe())
    click.echo(f"linted {summary}: {len(findings)} problem(s)", err=True)
    sys.exit(1 if findings else 0)


@click.command()
@click.option("--cassettes", "source", required=True,
              help="A cassette NAME in cassettes/, a path to a cassette file, or a folder of them.")
@click.option("--against", "target", required=True, metavar="URL",
              help="Where to re-send: the live API (https://mogplex.com) or a mockplex server.")
@click.option("--token", envvar="MOGPLEX_API_KEY", default=None,
              help="Bearer token sent where the recording has a redacted one. Env: MOGPLEX_API_KEY.")
@click.option("--credential", "credentials", multiple=True, metavar="[CASSETTE:]N=TOKEN",
              help="The token for <redacted:credential:N>, in every cassette or in the one named "
                   "(placeholders are numbered per cassette); wins over --token. Repeatable.")
@click.option("--cookie", "cookies", multiple=True, metavar="[CASSETTE:]N=COOKIE",
              help="The Cookie header sent for <redacted:cookie:N>, e.g. "
                   "2=better-auth.session_token=mpx_session_... (as `mockplex sessions create` prints). "
                   "Without it, such requests are skipped. Repeatable.")
@click.option("--allow-writes", is_flag=True, help="Also re-send POST, PUT, PATCH and DELETE requests.")
@click.option("--ignore-field", "ignored", multiple=True, help="Another field whose value may change (repeatable).")
@click.option("--shape-only", is_flag=True, help="Compare status, codes, fields and types; not values.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds per request.")
@click.option("--json", "as_json", is_flag=True, help="A JSON report for CI instead of the table.")
def verify(source, target, token, credentials, cookies, allow_writes, ignored, shape_only, timeout, as_json):
    """Re-send recorded requests to a target and report drift per interaction.

    Drift is a changed status or error code, a field added or removed, a changed type, or
    a changed value; ids, timestamps, URLs with ids and redacted values are ignored by
    rule. Only safe methods are sent unless --allow-writes is given.

    Exit 0 when nothing drifted, 1 on drift, 2 on bad arguments or unreadable cassettes,
    3 when the target could not be reached."""
    from mockplex.contract.verify import VerifyInputError, VerifyOptions, load_interactions
    from mockplex.contract.verify import verify as run_verify

    if not target.startswith(("http://", "https://")):
        raise click.BadParameter("must be an http:// or https:// URL", param_hint="--against")
    try:
        interactions = load_interactions(_cassettes_given(source))
    except VerifyInputError as error:
        raise click.BadParameter(str(error), param_hint="--cassettes") from None
    tokens = _stand_ins(credentials, "--credential", "credential", "errors:2=mog_...")
    tokens |= _stand_ins(cookies, "--cookie", "cookie", "2=better-auth.session_token=mpx_session_...")
    options = VerifyOptions(target, token, allow_writes, frozenset(ignored), not shape_only, timeout, tokens)
    with click.progressbar(length=len(interactions), label="verifying", file=sys.stderr,
                           hidden=not sys.stderr.isatty()) as bar:
        outcomes = asyncio.run(run_verify(interactions, options, lambda: bar.update(1)))
    states = Counter(outcome.state for outcome in outcomes)
    if as_json:
        click.echo(json.dumps({"target": target, "summary": {"interactions": len(outcomes), **states},
                               "results": [outcome.to_json() for outcome in outcomes]}, indent=2))
    else:
        _print_table(outcomes)
    click.echo(f"{len(outcomes)} interaction(s): {states['same']} same, {states['drift']} drifted, "
               f"{states['skipped']} skipped, {states['error']} unreachable", err=True)
    if states["drift"]:
        sys.exit(EXIT_DRIFT)
    sys.exit(EXIT_UNREACHABLE if states["error"] else 0)


def _stand_ins(pairs: tuple[str, ...], option: str, kind: str, example: str) -> dict[tuple[str, str], str]:
    from mockplex.config import credential_pairs

    try:
        return credential_pairs(pairs, kind, example)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


TABLE_WIDTH = 100  # the request column shrinks (middle elided) so a row fits
_WIDEST = {"cassette": 24, "result": 12}  # caps used only to budget the request column


def _print_table(outcomes) -> None:
    rows = [("cassette", "#", "request", "recorded", "live", "result")]
    for outcome in outcomes:
        result = outcome.state if outcome.state != "drift" else f"drift ({len(outcome.drift)})"
        rows.append((_elided(outcome.cassette, _WIDEST["cassette"]), str(outcome.index),
                     f"{outcome.method} {outcome.target}", str(outcome.recorded_status),
                     str(outcome.live_status or "-"), f"{result}: {outcome.note}" if outcome.note else result))
    widths = [max(len(row[column]) for row in rows) for column in range(6)]
    widths[2] = min(widths[2], _request_budget(widths))
    for row, outcome in zip(rows, [None, *outcomes], strict=False):
        cells = [_elided(cell, width).ljust(width) for cell, width in zip(row[:5], widths, strict=False)]
        click.echo("  ".join([*cells, row[5]]).rstrip())
        for drift in outcome.drift if outcome else ():
            click.echo(f"    - {drift.describe()}")


def _request_budget(widths: list[int]) -> int:
    others = sum(widths[:2]) + sum(widths[3:5]) + min(widths[5], _WIDEST["result"]) + 2 * 5
    return max(len("request"), TABLE_WIDTH - others)


def _elided(text: str, width: int) -> str:
    """`text` in `width` characters, its middle replaced by an ellipsis when too long."""
    if len(text) <= width:
        return text
    tail = (width - 1) // 2
    return text[:width - 1 - tail] + "…" + text[len(text) - tail:]


def _cassettes_given(given: str) -> Path:
    """A folder or a file as given, else a cassette name read as every command reads one."""
    from mockplex.choices import DEFAULT_CASSETTE_DIR
    from mockplex.contract.verify import VerifyInputError
    from mockplex.recording.names import CassetteNameError, cassette_argument

    if Path(given).exists():
        return Path(given)
    try:
        return cassette_argument(Path(DEFAULT_CASSETTE_DIR), given)
    except CassetteNameError as error:
        raise VerifyInputError(str(error)) from None
