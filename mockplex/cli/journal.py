"""`mockplex journal`: a running server's request journal, read through its admin API."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Iterable

import click

from mockplex.admin.api import TOKEN_HEADER
from mockplex.admin.journal import MAX_ENTRIES
from mockplex.cli.options import checked_by
from mockplex.names import ADMIN_PREFIX, V1_PREFIX
from mockplex.settings import DEFAULT_PORT, MODES

DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
SOURCES = (*MODES, "rules", "unmodeled", "fault")
POLL_SECONDS = 0.5
POLL_LIMIT = 500  # a poll asks for this many newest entries; more arrived means a full re-read
FOLLOW_PATH_WIDTH = 40
TIMEOUT_SECONDS = 10
STATUS_PATTERN = re.compile(r"[1-5](\d\d|xx)")
HEADER = ("#", "method", "request", "status", "source", "route", "took")
FOLLOW_WIDTHS = [5, 7, FOLLOW_PATH_WIDTH, 6, 11, 40, 0]  # rows print as they come: no width known ahead


def server_base(url: str) -> str:
    """The server's base URL, also from a pasted MOGPLEX_BASE_URL (which ends in the v1 prefix)."""
    base = url.strip().rstrip("/").removesuffix(V1_PREFIX)
    if not re.match(r"https?://[^/]+$", base):
        raise ValueError(f"{url!r} is not a server address like {DEFAULT_URL}")
    return base


def status_filter(text: str) -> str:
    if not STATUS_PATTERN.fullmatch(text.lower()):
        raise ValueError(f"{text!r} is not a status like 404 or 4xx")
    return text.lower()


class Unreachable(click.ClickException):
    """Exit 1 with one line saying what to do, never a traceback."""


@dataclass(frozen=True)
class JournalClient:
    base: str
    admin_token: str | None

    def entries(self, limit: int = MAX_ENTRIES) -> list[dict[str, Any]]:
        return self._get(f"journal?limit={limit}")["requests"]

    def _get(self, name: str) -> dict[str, Any]:
        headers = {TOKEN_HEADER: self.admin_token} if self.admin_token else {}
        request = urllib.request.Request(f"{self.base}{ADMIN_PREFIX}{name}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise Unreachable(self._refusal(error)) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise Unreachable(f"no mockplex server answers at {self.base} ({reason}); start one with "
                              "`mockplex serve`, or point at it with --url or MOGPLEX_BASE_URL") from None
        except ValueError:
            raise Unreachable(f"{self.base} answered, but not as a mockplex server; check --url") from None

    def _refusal(self, error: urllib.error.HTTPError) -> str:
        if error.code == 401:
            return (f"the server at {self.base} wants its admin token: pass --admin-token "
                    "or set MOCKPLEX_ADMIN_TOKEN to the value it was started with")
        try:
            said = json.loads(error.read())["error"]
        except (ValueError, KeyError, TypeError):
            return f"{self.base} answered {error.code}, not as a mockplex server; check --url"
        return f"the server at {self.base} refused: {said}"


@dataclass(frozen=True)
class Filters:
    routes: tuple[str, ...]
    statuses: tuple[str, ...]
    sources: tuple[str, ...]
    text: str | None

    def narrow(self) -> bool:
        return bool(self.routes or self.statuses or self.sources or self.text)

    def keep(self, entry: dict[str, Any]) -> bool:
        return (self._any(self.routes, lambda route: route.lower() in (entry["route"] or "").lower())
                and self._any(self.statuses, lambda status: _status_matches(status, entry["status"]))
                and self._any(self.sources, lambda source: source == entry["mode"])
                and (self.text is None or self.text.lower() in _searchable(entry).lower()))

    @staticmethod
    def _any(wanted: tuple[str, ...], matches) -> bool:
        return not wanted or any(matches(item) for item in wanted)


def _status_matches(wanted: str, status: int) -> bool:
    return str(status)[0] == wanted[0] if wanted.endswith("xx") else str(status) == wanted


def _searchable(entry: dict[str, Any]) -> str:
    body = json.dumps(entry.get("body"), ensure_ascii=False) if "body" in entry else ""
    return " ".join((entry["method"], _target(entry), entry["route"] or "", body))


def _target(entry: dict[str, Any]) -> str:
    return entry["path"] + (f"?{entry['query']}" if entry["query"] else "")


def _row(entry: dict[str, Any]) -> tuple[str, ...]:
    return (str(entry["id"]), entry["method"], _target(entry), str(entry["status"]), entry["mode"],
            entry["route"] or "-", f"{entry['latency_ms']:.1f}ms")


def _echo_rows(rows: list[tuple[str, ...]], widths: list[int]) -> None:
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def echo_table(entries: list[dict[str, Any]]) -> None:
    rows = [HEADER] + [_row(entry) for entry in entries]
    _echo_rows(rows, [max(len(cell) for cell in column) for column in zip(*rows, strict=True)])



def echo_exchange(entry: dict[str, Any]) -> None:
    """One exchange whole: what the journal kept of it, secrets already masked by the server."""
    click.echo(f"exchange #{entry['id']}")
    click.echo(f"request   {entry['method']} {_target(entry)}")
    click.echo(f"status    {entry['status']}")
    click.echo(f"answered  by {entry['mode']}" + (f" ({entry['match']})" if entry.get("match") else ""))
    click.echo(f"route     {entry['route'] or '- (no route matched)'}" +
               (f", family {entry['family']}" if entry.get("family") else ""))
    click.echo(f"took      {entry['latency_ms']:.1f}ms" + (f", at {entry['at']}" if entry.get("at") else ""))
    click.echo("request headers:")
    _echo_headers(entry.get("request_headers", []))
    click.echo("request body:")
    click.echo(_body_text(entry))
    click.echo("response headers:")
    _echo_headers(entry.get("response_headers", []))
    click.echo("response body:")
    click.echo(_answer_text(entry.get("response_body")))


def _echo_headers(headers: list[list[str]]) -> None:
    for name, value in headers:
        click.echo(f"  {name}: {value}")


def _answer_text(body: str | None) -> str:
    if body is None:
        return "  (streamed, empty, or over 64 KiB: not kept)"
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _body_text(entry: dict[str, Any]) -> str:
    if "body" not in entry:
        return "  (not JSON: not kept)"
    if entry["body"] is None:
        return "  (empty, or over 64 KiB: not kept)"
    return json.dumps(entry["body"], indent=2, ensure_ascii=False)


def follow(client: JournalClient, filters: Filters, as_json: bool, seen: int) -> None:
    """Print each new exchange as it arrives, until Ctrl-C."""
    while True:
        time.sleep(POLL_SECONDS)
        entries = client.entries(POLL_LIMIT)
        if entries and entries[-1]["id"] < seen:  # the journal was cleared: ids start again at 1
            seen = 0
        if entries and entries[0]["id"] > seen + 1:  # more arrived than one poll reads
            entries = client.entries()
        fresh = [entry for entry in entries if entry["id"] > seen]
        seen = fresh[-1]["id"] if fresh else seen
        echo_entries([entry for entry in fresh if filters.keep(entry)], as_json, FOLLOW_WIDTHS)


def echo_entries(entries: Iterable[dict[str, Any]], as_json: bool, widths: list[int]) -> None:
    if as_json:
        for entry in entries:
            click.echo(json.dumps(entry, ensure_ascii=False))
    else:
        _echo_rows([_row(entry) for entry in entries], widths)


def show_one(entries: list[dict[str, Any]], exchange_id: int, as_json: bool) -> None:
    found = next((entry for entry in entries if entry["id"] == exchange_id), None)
    if found is None:
        kept = f"it holds #{entries[0]['id']} to #{entries[-1]['id']}" if entries else "it is empty"
        raise click.ClickException(f"no exchange #{exchange_id} in the journal ({kept})")
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
    else:
        echo_exchange(found)


@click.command("journal")
@click.option("--url", default=DEFAULT_URL, show_default=True, envvar="MOGPLEX_BASE_URL",
              callback=checked_by(server_base),
              help="The running server; its MOGPLEX_BASE_URL works too. Env: MOGPLEX_BASE_URL.")
@click.option("--admin-token", default=None, envvar="MOCKPLEX_ADMIN_TOKEN",
              help="The server's --admin-token, if it was started with one. Env: MOCKPLEX_ADMIN_TOKEN.")
@click.option("--route", "routes", multiple=True, metavar="TEXT",
              help='Only routes containing TEXT, e.g. "repos" or "POST /api/v1/mogplex/runs". Repeatable.')
@click.option("--status", "statuses", multiple=True, callback=checked_by(status_filter),
              help="Only this status or class: 404, 4xx, 5xx. Repeatable.")
@click.option("--source", "sources", multiple=True, type=click.Choice(SOURCES),
              help="Only exchanges answered by this source. Repeatable.")
@click.option("--grep", "text", default=None, metavar="TEXT",
              help="Only exchanges whose method, path, query, route or request body contains TEXT.")
@click.option("--last", type=click.IntRange(min=1), default=None, help="Only the newest N that match.")
@click.option("--follow", "-f", "following", is_flag=True, help="Keep printing new exchanges until Ctrl-C.")
@click.option("--show", "exchange_id", type=int, default=None, metavar="N",
              help="Print exchange #N whole (its request body too).")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts: a list of entries (--follow: one entry a line; --show: that entry).")
def journal(url, admin_token, routes, statuses, sources, text, last, following, exchange_id, as_json):
    """What a running `mockplex serve` was asked and how it answered, newest last.

    Credentials in paths, queries and bodies arrive masked as <redacted>: the server
    masks them before keeping anything.
    """
    if following and exchange_id is not None:
        raise click.UsageError("--show prints one exchange; it cannot be combined with --follow")
    client = JournalClient(url, admin_token)
    entries = client.entries()
    filters = Filters(routes, statuses, sources, text)
    kept = [entry for entry in entries if filters.keep(entry)][-last if last else None:]
    if exchange_id is not None:
        show_one(entries, exchange_id, as_json)
    elif following:
        _follow_until_interrupted(client, filters, as_json, kept, entries)
    elif as_json:
        click.echo(json.dumps(kept, indent=2, ensure_ascii=False))
    elif kept:
        echo_table(kept)
    else:
        click.echo("no exchanges" + (" match" if filters.narrow() else " yet"), err=True)


def _follow_until_interrupted(client, filters, as_json, kept, entries) -> None:
    if not as_json:
        _echo_rows([HEADER], FOLLOW_WIDTHS)
    echo_entries(kept, as_json, FOLLOW_WIDTHS)
    try:
        follow(client, filters, as_json, entries[-1]["id"] if entries else 0)
    except KeyboardInterrupt:
        pass
