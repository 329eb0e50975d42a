"""`mockplex record`: a recording proxy in front of the real API."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from mockplex.choices import DEFAULT_CASSETTE_DIR
from mockplex.cli.options import checked_by
from mockplex.config import redact_pattern, upstream_url
from mockplex.recording.modes import DEFAULT_UPSTREAM, RECORD_MODES
from mockplex.settings import DEFAULT_HOST, DEFAULT_PORT


@click.command()
@click.option("--upstream", default=DEFAULT_UPSTREAM, show_default=True, envvar="MOCKPLEX_UPSTREAM",
              callback=checked_by(upstream_url), help="The API to forward to. Env: MOCKPLEX_UPSTREAM.")
@click.option("--cassette", "cassette_name", required=True, help="Cassette name: <cassette-dir>/<name>.yaml.")
@click.option("--cassette-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path(DEFAULT_CASSETTE_DIR), show_default=True, help="Where cassettes live.")
@click.option("--record-mode", type=click.Choice(RECORD_MODES), default=RECORD_MODES[0], show_default=True,
              help="once: only a new cassette; new_episodes: add to it; all: rewrite it; none: record nothing.")
@click.option("--record-errors", is_flag=True, help="Also record upstream 5xx answers.")
@click.option("--upstream-timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds to wait for the upstream (at start, and before answering 504).")
@click.option("--redact-header", multiple=True, help="Another header whose value is a secret (repeatable).")
@click.option("--redact-json-key", multiple=True, help="Another JSON key whose value is a secret (repeatable).")
@click.option("--redact-regex", multiple=True, callback=checked_by(redact_pattern),
              help="A regex whose matches are secrets (repeatable).")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Interface to bind.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")
@click.option("--quiet", "-q", is_flag=True, help="No per-request log lines.")
def record(upstream, cassette_name, cassette_dir, record_mode, record_errors, upstream_timeout, redact_header,
           redact_json_key, redact_regex, host, port, quiet):
    """Forward to the real API and record every exchange into a vcrpy cassette.

    Checks first that the upstream answers (one HEAD /), and stops with an error if not.

    Tokens, cookies, test-auth headers, env-var values and freshly minted keys are
    replaced by stable placeholders before anything reaches disk; an interaction that
    would still hold a secret is refused alone (logged, and the exit status is 1).
    """
    from mockplex.recording.app import RecordSettings, UpstreamUnreachable, build_record_app, probe_upstream
    from mockplex.recording.cassette_file import CassetteError
    from mockplex.recording.names import CassetteNameError, cassette_argument
    from mockplex.recording.proxy import RECORDER
    from mockplex.recording.redaction import Redactor
    from mockplex.server import configure_logging, record_banner, run

    try:
        path = cassette_argument(cassette_dir, cassette_name)
    except CassetteNameError as error:
        raise click.BadParameter(str(error), param_hint="--cassette") from None
    redactor = Redactor(frozenset(h.lower() for h in redact_header), frozenset(redact_json_key), redact_regex)
    settings = RecordSettings(upstream, path, record_mode, record_errors, upstream_timeout, redactor=redactor)
    try:
        app = build_record_app(settings)
    except (CassetteError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    try:
        answered = asyncio.run(probe_upstream(upstream, upstream_timeout))
    except UpstreamUnreachable as error:
        raise click.ClickException(f"{error}. Check --upstream (or MOCKPLEX_UPSTREAM) and the network.") from None
    configure_logging(quiet)
    try:
        asyncio.run(run(app, host, port, lambda base: record_banner(upstream, str(path), record_mode, answered, base)))
    except KeyboardInterrupt:
        pass
    if app[RECORDER].cassette.failure is not None:
        sys.exit(1)  # the log said what was lost and why
