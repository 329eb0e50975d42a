"""`mockplex serve`: its options, grouped by concern, become one Choices."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import click

from mockplex.admin.faults import FaultError, check_fault
from mockplex.choices import SEEDED_CLOCK, ChoiceError, Choices, assemble
from mockplex.cli.cassettes import BadCassetteInput
from mockplex.cli.options import checked_by, fixtures_option, load_world, option_group, state_option
from mockplex.clock import CLOCK_HELP, ClockSpecError, parse_clock
from mockplex.config import ignorable_header, query_key, route_key, upstream_url
from mockplex.listener import HEADER_TIMEOUT
from mockplex.names import ADMIN_PREFIX
from mockplex.recording.modes import DEFAULT_UPSTREAM, RECORD_MODES
from mockplex.replay.route import TIMINGS_HELP
from mockplex.routes import FAMILIES
from mockplex.settings import DEFAULT_E2E_SECRET, DEFAULT_HOST, DEFAULT_PORT, MODES
from mockplex.world.fixtures import FixtureError


def _clock(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_clock(value)
    except ClockSpecError as exc:
        raise click.BadParameter(str(exc)) from None


def _fault(spec: str) -> dict:
    """A --fault 'KEY=VALUE,...' flag as a checked fault rule."""
    pairs = (pair.partition("=") for pair in spec.split(","))
    try:
        return check_fault({key.strip(): value.strip() for key, _, value in pairs})
    except FaultError as error:
        raise ValueError(f"{spec!r}: {error}") from None


world_options = option_group(
    click.option("--host", default=DEFAULT_HOST, show_default=True,
                 help="Interface to bind. Stays on loopback unless you say otherwise."),
    click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
                 help="Port to listen on; 0 picks a free one (the banner shows it)."),
    click.option("--seed", type=int,
                 help="Seeds every generated id: same seed + same requests = same bytes. Without "
                      f"--clock it also starts the deterministic clock {SEEDED_CLOCK}.  [default: 0]"),
    click.option("--clock", "clock", callback=_clock,
                 help=CLOCK_HELP + f"  [default: real; {SEEDED_CLOCK} with --seed]"),
    fixtures_option,
    state_option,
    click.option("--no-source-header", is_flag=True, help="Do not add X-Mockplex-Source to responses."),
    click.option("--no-rate-limits", is_flag=True,
                 help="Lift the per-token window and the run-start budgets (for load tests)."),
)

secret_options = option_group(
    click.option("--mcp-allowed-origins", default="", envvar="MOGPLEX_MCP_ALLOWED_ORIGINS",
                 help="Comma-separated browser origins the MCP endpoint accepts besides its own."),
    click.option("--test-mode", is_flag=True,
                 help="Behave like the server under PLAYWRIGHT=1: honour the end-to-end auth headers."),
    click.option("--e2e-secret", default=DEFAULT_E2E_SECRET, show_default=True,
                 envvar="PLAYWRIGHT_AUTH_BYPASS_SECRET", help="The x-mogplex-e2e-auth value test mode accepts."),
    click.option("--cron-secret", default=None, envvar="CRON_SECRET",
                 help="Bearer secret for /api/cron/*, /api/jobs/process (unset: they answer 503)."),
    click.option("--internal-secret", default=None, envvar="INTERNAL_API_SECRET",
                 help="Bearer secret for delegated calls (with X-Delegated-User-Id) on /api/sandbox."),
    click.option("--github-webhook-secret", default=None, envvar="GITHUB_WEBHOOK_SECRET",
                 help="HMAC secret that signs POST /api/webhooks/github."),
)

admin_options = option_group(
    click.option("--fault", "faults", multiple=True, metavar="KEY=VALUE,...", callback=checked_by(_fault),
                 help="A fault rule, e.g. 'kind=error,status=503,family=v1,count=2' (repeatable; "
                      "kinds: latency, error, drop, reset, trickle)."),
    click.option("--admin-token", default=None, envvar="MOCKPLEX_ADMIN_TOKEN",
                 help=f"Require this X-Mockplex-Admin-Token on {ADMIN_PREFIX} (needed to bind beyond loopback)."),
)

mode_options = option_group(
    click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                 default=None, help="A mockplex.yaml with per-family and per-route modes (flags override it)."),
    click.option("--mode", type=click.Choice(MODES), default=None,
                 help="How every route is answered: fixture (the world), replay (--cassette), record "
                      "(forward to --upstream and record), passthrough (forward only). Default: fixture."),
    click.option("--family", "family_modes", multiple=True, metavar="FAMILY=MODE",
                 help=f"Override one family's mode (repeatable). Families: {', '.join(FAMILIES)}."),
    click.option("--cassette", default=None, help="Cassette to replay: <cassette-dir>/<name>.yaml."),
    click.option("--cassette-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Where cassettes live (default: cassettes)."),
)

replay_options = option_group(
    click.option("--on-exhausted", type=click.Choice(("repeat", "fail")), default=None,
                 help="After the last recorded answer to a request: repeat it (default), or answer as not recorded."),
    click.option("--replay-timing", default=None, help=f"Stream pacing: {TIMINGS_HELP} (default recorded)."),
    click.option("--fallback", type=click.Choice(("error", "fixture")), default=None,
                 help="A request the cassette lacks: explain the miss (default), or answer it from the world."),
)

forwarding_options = option_group(
    click.option("--upstream", default=None, envvar="MOCKPLEX_UPSTREAM", callback=checked_by(upstream_url),
                 help=f"Where record and passthrough routes go (default {DEFAULT_UPSTREAM})."),
    click.option("--record-mode", type=click.Choice(RECORD_MODES), default=None,
                 help="vcrpy record mode for record routes (default once)."),
)

matching_options = option_group(
    click.option("--ignore-field", "ignore_fields", multiple=True,
                 help="A JSON body field matching ignores (repeatable)."),
    click.option("--ignore-header", "ignore_headers", multiple=True, callback=checked_by(ignorable_header),
                 help="A request header matching ignores: Idempotency-Key, whose rule still applies (repeatable)."),
    click.option("--ignore-query", multiple=True, callback=checked_by(query_key),
                 help="A query key matching ignores (repeatable)."),
    click.option("--ordered", multiple=True, metavar="'METHOD /template'", callback=checked_by(route_key),
                 help="Match this route on its template and caller alone: the n-th call gets the n-th recorded "
                      "answer, whatever its ids, query, body and key (repeatable)."),
    click.option("--credential", "credentials", multiple=True, metavar="[CASSETTE:]N=TOKEN",
                 help="Replay answers TOKEN as the caller whose credential became <redacted:credential:N> "
                      "(see `mockplex cassettes credentials`). Repeatable."),
)


@click.command()
@world_options
@secret_options
@admin_options
@mode_options
@replay_options
@forwarding_options
@matching_options
@click.option("--header-timeout", type=click.FloatRange(min=0.1), default=HEADER_TIMEOUT, show_default=True,
              help="Seconds a client may take to send its request headers before an empty 408 (as Node does).")
@click.option("--quiet", "-q", is_flag=True, help="No per-request log lines.")
def serve(quiet, **flags):
    """Serve the v1 API from the fixture world.

    \b
    Examples:
      mockplex serve
      mockplex serve --port 0 --seed 7 --clock frozen@2026-05-17T10:00:00Z
      mockplex serve --clock step:2   # every request moves time 2 s: runs progress
      mockplex serve --fixtures ./my-world
    """
    # What start-up makes (modules, the world, a cassette's index) lives as long as the
    # server: collections on the way would walk it for nothing. server.run freezes it and
    # turns the collector back on; so does leaving the command early.
    gc.disable()
    try:
        _serve(quiet, Choices(**flags))
    finally:
        gc.enable()


def _serve(quiet: bool, choices: Choices) -> None:
    from mockplex.replay.store import CassetteLoadError
    from mockplex.server import configure_logging
    from mockplex.server import serve as run

    load_world(choices.fixtures_dir)  # fail fast, with file and line, before binding
    try:
        settings = assemble(choices)
    except FixtureError as exc:
        raise click.ClickException(f"bad config: {exc}") from None
    except ChoiceError as error:
        raise click.BadParameter(str(error), param_hint=error.flag) from None
    if choices.cassette and not settings.modes_in_use() & {"replay", "record"}:  # a cassette named is one to serve
        raise click.BadParameter(f"a cassette is read only in replay or record mode, and every route here is answered "
                                 f"by {', '.join(sorted(settings.modes_in_use()))}: drop --mode, or give --mode replay",
                                 param_hint="--cassette")
    configure_logging(quiet)
    unrecordable: tuple[type[Exception], ...] = ()  # a cassette only a forwarding server writes to
    if settings.forwarding is not None:
        from mockplex.recording.cassette_file import CassetteError
        unrecordable = (CassetteError,)
    try:
        asyncio.run(run(settings))
    except KeyboardInterrupt:
        pass
    except CassetteLoadError as error:
        raise BadCassetteInput(str(error)) from None
    except unrecordable as error:
        raise click.ClickException(str(error)) from None
