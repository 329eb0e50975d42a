"""The `mockplex` command."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import click

from mockplex import __version__
from mockplex.admin.faults import FaultError, check_fault
from mockplex.clock import CLOCK_HELP, ClockSpecError, format_timestamp, parse_clock
from mockplex.config import (
    MODES, FileConfig, ignorable_header, load_config, query_key, redact_pattern, route_key, upstream_url,
)
from mockplex.contract.commands import lint as lint_command
from mockplex.contract.commands import openapi as openapi_command
from mockplex.contract.commands import verify as verify_command
from mockplex.listener import HEADER_TIMEOUT
from mockplex.recording.app import DEFAULT_UPSTREAM, RECORD_MODES
from mockplex.replay.route import TIMINGS_HELP
from mockplex.routes import FAMILIES
from mockplex.settings import DEFAULT_HOST, DEFAULT_PORT, Settings
from mockplex.world.fixtures import FixtureError
from mockplex.world.loader import default_fixtures_dir, load_seed
from mockplex.world.sessions import SessionStore, cookie_name, mint_session
from mockplex.world.tokens import TokenStore, mint_into_state

DEFAULT_STATE_DIR = ".mockplex"

fixtures_option = click.option(
    "--fixtures", "fixtures_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="A world of your own: a folder laid out like mockplex's fixtures/ (default: the built-in world).")
state_option = click.option(
    "--state-dir", type=click.Path(file_okay=False, path_type=Path), default=Path(DEFAULT_STATE_DIR),
    show_default=True, envvar="MOCKPLEX_STATE_DIR",
    help="Where minted tokens are kept (hashes only). Env: MOCKPLEX_STATE_DIR.")


def _clock(ctx, param, value):
    try:
        return parse_clock(value)
    except ClockSpecError as exc:
        raise click.BadParameter(str(exc)) from None


def _checked_by(check):
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


def _fault(spec: str) -> dict:
    """A --fault 'KEY=VALUE,...' flag as a checked fault rule."""
    pairs = (pair.partition("=") for pair in spec.split(","))
    try:
        return check_fault({key.strip(): value.strip() for key, _, value in pairs})
    except FaultError as error:
        raise ValueError(f"{spec!r}: {error}") from None


def _load(fixtures_dir: Path | None):
    try:
        return load_seed(fixtures_dir or default_fixtures_dir())
    except FixtureError as exc:
        raise click.ClickException(f"bad fixture: {exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mockplex")
def main() -> None:
    """mockplex: a local, offline stand-in for the Mogplex hosted API.

    `mockplex serve` answers the v1 API (/api/v1/mogplex/...), its MCP endpoint and
    the web app's /api/* routes from a built-in, stateful world with documented dev
    tokens and sessions. No account, no network.
    """


@main.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Interface to bind. Stays on loopback unless you say otherwise.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one (the banner shows it).")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seeds every generated id: same seed + same requests = same bytes.")
@click.option("--clock", "clock", default="real", show_default=True, callback=_clock, help=CLOCK_HELP)
@fixtures_option
@state_option
@click.option("--no-source-header", is_flag=True, help="Do not add X-Mockplex-Source to responses.")
@click.option("--no-rate-limits", is_flag=True,
              help="Lift the per-token window and the run-start budgets (for load tests).")
@click.option("--mcp-allowed-origins", default="", envvar="MOGPLEX_MCP_ALLOWED_ORIGINS",
              help="Comma-separated browser origins the MCP endpoint accepts besides its own.")
@click.option("--test-mode", is_flag=True,
              help="Behave like the server under PLAYWRIGHT=1: honour the end-to-end auth headers.")
@click.option("--e2e-secret", default="playwright-auth-bypass", show_default=True,
              envvar="PLAYWRIGHT_AUTH_BYPASS_SECRET", help="The x-mogplex-e2e-auth value test mode accepts.")
@click.option("--cron-secret", default=None, envvar="CRON_SECRET",
              help="Bearer secret for /api/cron/*, /api/jobs/process (unset: they answer 503).")
@click.option("--internal-secret", default=None, envvar="INTERNAL_API_SECRET",
              help="Bearer secret for delegated calls (with X-Delegated-User-Id) on /api/sandbox.")
@click.option("--github-webhook-secret", default=None, envvar="GITHUB_WEBHOOK_SECRET",
              help="HMAC secret that signs POST /api/webhooks/github.")
@click.option("--fault", "fault_rules", multiple=True, metavar="KEY=VALUE,...", callback=_checked_by(_fault),
              help="A fault rule, e.g. 'kind=error,status=503,family=v1,count=2' (repeatable; "
                   "kinds: latency, error, drop, reset, trickle).")
@click.option("--admin-token", default=None, envvar="MOCKPLEX_ADMIN_TOKEN",
              help="Require this X-Mockplex-Admin-Token on /__mockplex/ (needed to bind beyond loopback).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="A mockplex.yaml with per-family and per-route modes (flags override it).")
@click.option("--mode", type=click.Choice(MODES), default=None,
              help="How every route is answered: fixture (the world), replay (--cassette), record "
                   "(forward to --upstream and record), passthrough (forward only). Default: fixture.")
@click.option("--family", "family_modes", multiple=True, metavar="FAMILY=MODE",
              help=f"Override one family's mode (repeatable). Families: {', '.join(FAMILIES)}.")
@click.option("--cassette", "cassette_name", default=None, help="Cassette to replay: <cassette-dir>/<name>.yaml.")
@click.option("--cassette-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where cassettes live (default: cassettes).")
@click.option("--on-exhausted", type=click.Choice(("repeat", "fail")), default=None,
              help="After the last recorded answer to a request: repeat it (default), or answer as not recorded.")
@click.option("--replay-timing", default=None, help=f"Stream pacing: {TIMINGS_HELP} (default recorded).")
@click.option("--fallback", type=click.Choice(("error", "fixture")), default=None,
              help="A request the cassette lacks: explain the miss (default), or answer it from the world.")
@click.option("--upstream", default=None, envvar="MOCKPLEX_UPSTREAM", callback=_checked_by(upstream_url),
              help=f"Where record and passthrough routes go (default {DEFAULT_UPSTREAM}).")
@click.option("--record-mode", type=click.Choice(RECORD_MODES), default=None,
              help="vcrpy record mode for record routes (default once).")
@click.option("--ignore-field", multiple=True, help="A JSON body field matching ignores (repeatable).")
@click.option("--ignore-header", multiple=True, callback=_checked_by(ignorable_header),
              help="A request header matching ignores: Idempotency-Key, whose rule still applies (repeatable).")
@click.option("--ignore-query", multiple=True, callback=_checked_by(query_key),
              help="A query key matching ignores (repeatable).")
@click.option("--ordered", multiple=True, metavar="'METHOD /template'", callback=_checked_by(route_key),
              help="Match this route on its template and caller alone: the n-th call gets the n-th recorded "
                   "answer, whatever its ids, query, body and key (repeatable).")
@click.option("--credential", "credentials", multiple=True, metavar="[CASSETTE:]N=TOKEN",
              help="Replay answers TOKEN as the caller whose credential became <redacted:credential:N> "
                   "(see `mockplex cassettes credentials`). Repeatable.")
@click.option("--header-timeout", type=click.FloatRange(min=0.1), default=HEADER_TIMEOUT, show_default=True,
              help="Seconds a client may take to send its request headers before an empty 408 (as Node does).")
@click.option("--quiet", "-q", is_flag=True, help="No per-request log lines.")
def serve(host, port, seed, clock, fixtures_dir, state_dir, no_source_header, no_rate_limits,
          mcp_allowed_origins, test_mode, e2e_secret, cron_secret, internal_secret, github_webhook_secret,
          fault_rules, admin_token, config_path, mode, family_modes, cassette_name, cassette_dir, on_exhausted, replay_timing, fallback,
          upstream, record_mode, ignore_field, ignore_header, ignore_query, ordered, credentials, header_timeout,
          quiet):
    """Serve the v1 API from the fixture world.

    \b
    Examples:
      mockplex serve
      mockplex serve --port 0 --seed 7 --clock frozen@2026-05-17T10:00:00Z
      mockplex serve --clock step:2   # every request moves time 2 s: runs progress
      mockplex serve --fixtures ./my-world
    """
    from mockplex.server import configure_logging
    from mockplex.server import serve as run

    _load(fixtures_dir)  # fail fast, with file and line, before binding
    try:
        config = load_config(config_path) if config_path else FileConfig(None)
    except FixtureError as exc:
        raise click.ClickException(f"bad config: {exc}") from None
    modes = ServeModes(
        default=mode or config.mode or "fixture", families={**config.families, **_family_modes(family_modes)},
        routes=config.routes, cassette=cassette_name or config.cassette,
        cassette_dir=cassette_dir or Path(config.cassette_dir or "cassettes"))
    matching_flags = {"ignore_fields": ignore_field, "ignore_headers": ignore_header, "ignore_query": ignore_query,
                      "ordered": ordered}
    replay_settings = _replay_settings(modes, config, on_exhausted, replay_timing, fallback, matching_flags,
                                       credentials)
    forwarding = _forwarding_settings(modes, config, upstream, record_mode)
    settings = Settings(fixtures_dir=fixtures_dir, state_dir=state_dir, seed=seed, clock=clock,
                        source_header=not no_source_header, rate_limits=not no_rate_limits,
                        mcp_allowed_origins=tuple(o.strip() for o in mcp_allowed_origins.split(",") if o.strip()),
                        test_mode=test_mode, e2e_secret=e2e_secret, cron_secret=cron_secret,
                        internal_secret=internal_secret, github_webhook_secret=github_webhook_secret,
                        default_mode=modes.default, family_modes=modes.families, route_modes=modes.routes,
                        replay=replay_settings, forwarding=forwarding, config_file=config_path,
                        admin_token=admin_token, faults=config.faults + list(fault_rules), host=host, port=port,
                        header_timeout=header_timeout)
    from mockplex.recording.cassette_file import CassetteError
    from mockplex.replay.store import CassetteLoadError
    configure_logging(quiet)
    try:
        asyncio.run(run(settings))
    except KeyboardInterrupt:
        pass
    except CassetteLoadError as error:
        raise BadCassetteInput(str(error)) from None
    except CassetteError as error:
        raise click.ClickException(str(error)) from None


@main.command()
@click.option("--upstream", default=DEFAULT_UPSTREAM, show_default=True, envvar="MOCKPLEX_UPSTREAM",
              callback=_checked_by(upstream_url), help="The API to forward to. Env: MOCKPLEX_UPSTREAM.")
@click.option("--cassette", "cassette_name", required=True, help="Cassette name: <cassette-dir>/<name>.yaml.")
@click.option("--cassette-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("cassettes"),
              show_default=True, help="Where cassettes live.")
@click.option("--record-mode", type=click.Choice(RECORD_MODES), default="once", show_default=True,
              help="once: only a new cassette; new_episodes: add to it; all: rewrite it; none: record nothing.")
@click.option("--record-errors", is_flag=True, help="Also record upstream 5xx answers.")
@click.option("--upstream-timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds to wait for the upstream before answering 504.")
@click.option("--redact-header", multiple=True, help="Another header whose value is a secret (repeatable).")
@click.option("--redact-json-key", multiple=True, help="Another JSON key whose value is a secret (repeatable).")
@click.option("--redact-regex", multiple=True, callback=_checked_by(redact_pattern),
              help="A regex whose matches are secrets (repeatable).")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Interface to bind.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one.")
@click.option("--quiet", "-q", is_flag=True, help="No per-request log lines.")
def record(upstream, cassette_name, cassette_dir, record_mode, record_errors, upstream_timeout, redact_header,
           redact_json_key, redact_regex, host, port, quiet):
    """Forward to the real API and record every exchange into a vcrpy cassette.

    Tokens, cookies, test-auth headers, env-var values and freshly minted keys are
    replaced by stable placeholders before anything reaches disk; an interaction that
    would still hold a secret is refused alone (logged, and the exit status is 1).
    """
    from mockplex.recording.app import RecordSettings, build_record_app
    from mockplex.recording.cassette_file import CassetteError
    from mockplex.recording.names import CassetteNameError, cassette_path
    from mockplex.recording.proxy import RECORDER
    from mockplex.recording.redaction import Redactor
    from mockplex.server import configure_logging, record_banner, run

    try:
        path = cassette_path(cassette_dir, cassette_name)
    except CassetteNameError as error:
        raise click.BadParameter(str(error), param_hint="--cassette") from None
    redactor = Redactor(frozenset(h.lower() for h in redact_header), frozenset(redact_json_key), redact_regex)
    settings = RecordSettings(upstream, path, record_mode, record_errors, upstream_timeout, redactor=redactor)
    try:
        app = build_record_app(settings)
    except (CassetteError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    configure_logging(quiet)
    try:
        asyncio.run(run(app, host, port, lambda base: record_banner(upstream, str(path), record_mode, base)))
    except KeyboardInterrupt:
        pass
    if app[RECORDER].cassette.failure is not None:
        sys.exit(1)  # the log said what was lost and why


main.add_command(openapi_command)
main.add_command(lint_command)
main.add_command(verify_command)


@main.command()
@click.option("--markdown", is_flag=True, help="A Markdown table per family (as in the README).")
def routes(markdown):
    """List every route mockplex knows, by family, and how each is answered."""
    from mockplex.routes import ROUTES

    families: dict[str, list] = {}
    for spec in ROUTES:
        families.setdefault(spec.family, []).append(spec)
    for family, specs in families.items():
        modeled = [f"{s.method} {s.template}" for s in specs if not s.name.startswith("unmodeled")]
        unmodeled = [s.name.removeprefix("unmodeled ") for s in specs if s.name.startswith("unmodeled")]
        if markdown:
            click.echo(f"| {family} | {'<br>'.join(modeled)} | {'<br>'.join(unmodeled) or '—'} |")
            continue
        click.echo(f"{family}:")
        for line in modeled:
            click.echo(f"  {line}")
        for line in unmodeled:
            click.echo(f"  {line}  (unmodeled: 404 in the family's shape)")


@main.group()
def tokens() -> None:
    """List the dev tokens, or mint a new personal access token."""


@tokens.command("list")
@fixtures_option
@state_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_tokens(fixtures_dir, state_dir, as_json):
    """Show every token the server accepts: documented dev tokens, minted ones, OAuth."""
    seed = _load(fixtures_dir)
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
        click.echo(f"{row['name']}\n  {shown}\n  scopes: {','.join(row['scopes'])} | {state}")
        if row["description"]:
            click.echo(f"  {row['description']}")


def _family_modes(pairs: tuple[str, ...]) -> dict[str, str]:
    modes = {}
    for pair in pairs:
        family, _, mode = pair.partition("=")
        if family not in FAMILIES or mode not in MODES:
            raise click.BadParameter(f"{pair!r}: expected FAMILY=MODE with MODE one of {', '.join(MODES)} and FAMILY one of "
                                     f"{', '.join(FAMILIES)}", param_hint="--family")
        modes[family] = mode
    return modes


@dataclass
class ServeModes:
    default: str
    families: dict[str, str]
    routes: dict[str, str]
    cassette: str | None
    cassette_dir: Path

    def in_use(self) -> set[str]:
        return {self.default, *self.families.values(), *self.routes.values()}

    def cassette_path(self) -> Path:
        from mockplex.recording.names import CassetteNameError, cassette_path

        if not self.cassette:
            raise click.BadParameter("replaying or recording needs --cassette NAME", param_hint="--cassette")
        try:
            return cassette_path(self.cassette_dir, self.cassette)
        except CassetteNameError as error:
            raise click.BadParameter(str(error), param_hint="--cassette") from None


def _replay_settings(modes: ServeModes, config: FileConfig, on_exhausted, timing, fallback,
                     matching_flags: dict[str, tuple[str, ...]], credentials):
    """`matching_flags` are the knobs of replay.store.Matching; each flag overrides the file's key."""
    from mockplex.contract.commands import credential_pairs
    from mockplex.replay.callers import CALLER_PLACEHOLDER
    from mockplex.replay.route import ReplaySettings
    from mockplex.replay.store import Matching

    if "replay" not in modes.in_use():
        return None
    timing = str(timing or config.replay.get("timing") or "recorded")
    if timing not in ("recorded", "none"):
        try:
            assert float(timing) > 0
        except (ValueError, AssertionError):
            raise click.BadParameter(f"{timing!r}: expected {TIMINGS_HELP}", param_hint="--replay-timing") from None
    path = modes.cassette_path()
    if not path.is_file():
        raise click.BadParameter(f"no cassette at {path}", param_hint="--cassette")
    return ReplaySettings(path, modes.cassette, on_exhausted or config.replay.get("on_exhausted") or "repeat",
                          timing, fallback or config.replay.get("fallback") or "error",
                          Matching(**{knob: frozenset(flags or config.replay.get(knob) or ())
                                      for knob, flags in matching_flags.items()}),
                          {token: CALLER_PLACEHOLDER.fullmatch(placeholder).group(1)
                           for (cassette, placeholder), token in credential_pairs(credentials).items()
                           if cassette in ("", modes.cassette)})


def _forwarding_settings(modes: ServeModes, config: FileConfig, upstream, record_mode):
    import re

    from mockplex.recording.app import RecordSettings
    from mockplex.recording.redaction import Redactor

    if not modes.in_use() & {"record", "passthrough"}:
        return None
    record = config.record
    redactor = Redactor(frozenset(h.lower() for h in record.get("redact_headers") or ()),
                        frozenset(record.get("redact_json_keys") or ()),
                        tuple(re.compile(pattern) for pattern in record.get("redact_regexes") or ()))
    recording = "record" in modes.in_use()
    path = modes.cassette_path() if recording else Path(os.devnull)
    mode = (record_mode or record.get("mode") or "once") if recording else "none"
    return RecordSettings(upstream or config.upstream or DEFAULT_UPSTREAM, path, mode, bool(record.get("errors")),
                          redactor=redactor)


@main.group()
def cassettes() -> None:
    """List, show and lint recorded cassettes (exit 1 when lint finds a problem)."""


cassette_dir_option = click.option("--cassette-dir", type=click.Path(file_okay=False, path_type=Path),
                                   default=Path("cassettes"), show_default=True, help="Where cassettes live.")


class BadCassetteInput(click.ClickException):
    """A one-line error about a cassette or its folder, with the usage error's exit code."""

    exit_code = 2


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
@cassette_dir_option
def show_cassette(name, cassette_dir):
    """A readable table of one cassette's interactions."""
    from mockplex.recording.inspect import load, rows
    from mockplex.recording.names import CassetteNameError, cassette_path
    from mockplex.replay.reading import CassetteLoadError

    try:
        path = cassette_path(cassette_dir, name)
        cassette = load(path)
    except CassetteNameError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    except CassetteLoadError as error:
        raise click.ClickException(str(error)) from None
    _echo_table([("#", "method", "request", "status", "body")] + rows(cassette))


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

    from mockplex.recording.names import CassetteNameError, cassette_path
    from mockplex.replay.callers import SCOPES, stand_in_token
    from mockplex.replay.reading import CassetteLoadError
    from mockplex.replay.route import ReplaySettings

    try:
        store = ReplaySettings(cassette_path(cassette_dir, name), name).open()  # read as replay reads it
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
    from mockplex.recording.names import CassetteNameError, cassette_path
    from mockplex.replay.reading import CassetteLoadError

    try:
        paths = [cassette_path(cassette_dir, name) for name in names] if names else _cassettes_in(cassette_dir)
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


@main.group()
def sessions() -> None:
    """List browser sessions, or mint one for the web app's session-only routes."""


@sessions.command("list")
@fixtures_option
@state_option
def list_sessions(fixtures_dir, state_dir):
    """Show the sessions the server accepts and the cookie to send them in."""
    seed = _load(fixtures_dir)
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

    seed = _load(fixtures_dir)
    owner = user_id or seed.users[0].id
    if owner not in {user.id for user in seed.users}:
        raise click.BadParameter(f"no user {owner!r} in the world", param_hint="--user")
    session = mint_session(state_dir, owner, datetime.now(timezone.utc), days)
    click.echo(f"{cookie_name(seed.session_backend)}={session.token}")
    print(f"Signed in {owner} for {days} days; stored in {state_dir}.", file=sys.stderr)


def _store(seed, state_dir: Path) -> TokenStore:
    try:
        return TokenStore(seed.tokens, seed.oauth_grants, state_dir)
    except FixtureError as exc:
        raise click.ClickException(f"bad token state: {exc}") from None


def _scopes(ctx, param, value):
    scopes = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not scopes or any(scope not in ("read", "write") for scope in scopes):
        raise click.BadParameter("give read, write or read,write")
    return scopes


@tokens.command("create")
@click.option("--name", required=True, help="A label for the token.")
@click.option("--scopes", default="read,write", show_default=True, callback=_scopes,
              help="Comma-separated: read, write.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None,
              help="Days until it expires (default: never).")
@click.option("--user", "user_id", default=None, help="Owner (default: the world's first user).")
@fixtures_option
@state_option
def create_token(name, scopes, expires_in_days, user_id, fixtures_dir, state_dir):
    """Mint a PAT the way the server does; prints the plaintext once, stores its hash.

    A running `mockplex serve` with the same --state-dir accepts it at once.
    """
    from datetime import datetime, timezone

    seed = _load(fixtures_dir)
    users = {user.id for user in seed.users}
    owner = user_id or seed.users[0].id
    if owner not in users:
        raise click.BadParameter(f"no user {owner!r} in the world", param_hint="--user")
    key_id = str(uuid.uuid4())
    try:
        token, pat = mint_into_state(state_dir, user_id=owner, key_id=key_id, name=name, scopes=scopes,
                                     created_at=datetime.now(timezone.utc), expires_in_days=expires_in_days)
    except FixtureError as exc:
        raise click.ClickException(f"bad token state: {exc}") from None
    click.echo(token)
    print(f"Created '{name}' ({','.join(scopes)}), id {pat.id}, stored in {state_dir}. "
          "This is the only time the token is shown.", file=sys.stderr)
