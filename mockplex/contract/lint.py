"""`mockplex lint`: every cassette answer and every answer the fixture world gives, judged
against the published contract, each finding named by file, interaction and field.

Fixtures are linted through the server itself: a private in-process instance of the
world answers every v1 read route for every user and record, so what is judged is what
a client would receive, and a finding points back at the fixture record it came from.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from mockplex.app import build_app
from mockplex.clock import parse_clock
from mockplex.contract.conformance import Finding, check_answer
from mockplex.ids import IdGenerator
from mockplex.listener import make_runner
from mockplex.names import READ, V1_PREFIX
from mockplex.recording.inspect import LoadedCassette, body_bytes, content_type, load
from mockplex.replay.reading import CassetteLoadError
from mockplex.settings import Settings
from mockplex.world.fixtures import FixtureError, LocatedMap, load_yaml
from mockplex.world.loader import load_seed
from mockplex.world.records import OAuthGrant
from mockplex.world.world import World

LINT_CLIENT = "mockplex-lint"


@dataclass(frozen=True)
class LintFinding:
    file: str
    where: str  # "interaction 3 (GET /api/v1/mogplex/runs/…  → 200)" or "record <id> (line 12)"
    field: str
    message: str
    problem: str = "contract"  # or "load": the file does not load, so nothing in it was judged

    @classmethod
    def unloadable(cls, file: Path | str, line: int | None, message: str) -> "LintFinding":
        return cls(str(file), f"line {line}" if line else "", "", message, "load")

    def describe_in_file(self) -> str:
        if self.problem == "load":
            return f"{self.where}: {self.message}" if self.where else self.message
        return f"{self.where}: {self.field or 'body'}: {self.message}"

    def describe(self) -> str:
        return f"{self.file}: {self.describe_in_file()}"

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def lint_cassette_file(path: Path) -> list[LintFinding]:
    try:
        cassette = load(path)
    except CassetteLoadError as error:
        return [LintFinding.unloadable(path, None, error.reason)]
    except Exception as error:  # noqa: BLE001 - a cassette the reader did not foresee is a finding, never a traceback
        return [LintFinding.unloadable(path, None, f"cannot load cassette: {error}")]
    return lint_cassette(cassette)


def lint_cassette(cassette: LoadedCassette) -> list[LintFinding]:
    found = []
    for index, (request, response) in enumerate(zip(cassette.requests, cassette.responses, strict=True), 1):
        status = response["status"]["code"]
        target = urlsplit(request.uri).path
        for finding in check_answer(request.method, target, status, content_type(response), body_bytes(response)):
            found.append(LintFinding(str(cassette.path), f"interaction {index} ({request.method} {target} → {status})",
                                     finding.field, finding.message))
    return found


async def lint_fixtures(folder: Path) -> list[LintFinding]:
    """Every answer the fixture world gives; when the folder does not load, every load
    problem found instead (a syntax error in each file, then the first other error)."""
    unparsed = _unparsed_files(folder)
    try:
        seed = load_seed(folder)
    except FixtureError as error:
        first = LintFinding.unloadable(error.path, error.line, error.message)
        return unparsed + ([first] if first not in unparsed else [])
    return unparsed + await _lint_answers(folder, seed)


def _unparsed_files(folder: Path) -> list[LintFinding]:
    found = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            load_yaml(path)
        except FixtureError as error:
            found.append(LintFinding.unloadable(error.path, error.line, error.message))
    return found


async def _lint_answers(folder: Path, seed: Any) -> list[LintFinding]:
    users = [user.id for user in seed.users]
    seed.oauth_grants.extend(OAuthGrant(_lint_token(user), user, LINT_CLIENT, (READ,)) for user in users)
    records = index_records(folder)
    with tempfile.TemporaryDirectory(prefix="mockplex-lint-") as state:
        settings = Settings(fixtures_dir=folder, state_dir=Path(state), clock=parse_clock("frozen"),
                            rate_limits=False, source_header=False)
        world = World(seed, settings.clock, IdGenerator(settings.seed), settings.state_dir)
        runner = make_runner(build_app(settings, world))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            async with aiohttp.ClientSession(f"http://127.0.0.1:{runner.addresses[0][1]}") as client:
                return [finding for user in users for finding in await _lint_as(client, seed, user, records, folder)]
        finally:
            await runner.cleanup()


async def _lint_as(client: aiohttp.ClientSession, seed: Any, user: str, records: dict[str, tuple[str, int]],
                   folder: Path) -> list[LintFinding]:
    found = []
    headers = {"Authorization": f"Bearer {_lint_token(user)}"}
    for path in crawl(seed, user):
        async with client.get(V1_PREFIX + path, headers=headers, allow_redirects=False) as response:
            body = await response.read()
            findings = check_answer("GET", V1_PREFIX + path, response.status,
                                    response.headers.get("Content-Type", ""), body)
        found.extend(_locate(finding, records, folder, path) for finding in findings)
    return found


def _lint_token(user_id: str) -> str:
    return f"mockplex-lint-{user_id}"


def crawl(seed: Any, user: str) -> Iterator[str]:
    """Every v1 read path that shows this user's fixture records."""
    yield from ("/repos", "/agents", "/models", "/sandboxes", "/mcp/servers", "/automations")
    for sandbox in seed.sandboxes:
        if sandbox.user_id == user:
            yield f"/sandboxes/{sandbox.id}/logs"
    for run in seed.runs:
        if run.user_id == user:
            yield from (f"/runs/{run.id}", f"/runs/{run.id}/events")
    owned = {automation.id for automation in seed.automations if automation.user_id == user}
    for automation_id in sorted(owned):
        yield from (f"/automations/{automation_id}", f"/automations/{automation_id}/runs")
    for job_run in seed.job_runs:
        if job_run.flow_id in owned:
            yield f"/automations/{job_run.flow_id}/runs/{job_run.id}"


def index_records(folder: Path) -> dict[str, tuple[str, int]]:
    """Every fixture mapping with an `id`, by id: the file and line it is defined on."""
    found: dict[str, tuple[str, int]] = {}
    for path in sorted(folder.glob("*.yaml")):
        for mapping in _mappings(load_yaml(path)):
            if isinstance(mapping.get("id"), str):
                found.setdefault(mapping["id"], (str(path), mapping.line))
    return found


def _mappings(node: Any) -> Iterator[LocatedMap]:
    if isinstance(node, LocatedMap):
        yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from _mappings(child)


def _locate(finding: Finding, records: dict[str, tuple[str, int]], folder: Path, path: str) -> LintFinding:
    """Point a finding at the fixture record whose id is nearest above the bad field."""
    for record_id in reversed(_ids_along(finding, path)):
        if record_id in records:
            file, line = records[record_id]
            return LintFinding(file, f"record {record_id} (line {line}, seen at GET {path})",
                               finding.field, finding.message)
    return LintFinding(str(folder), f"GET {path}", finding.field, finding.message)


def _ids_along(finding: Finding, path: str) -> list[str]:
    """Ids in the request path, outermost first; the body ids come from the finding's field."""
    ids = [segment for segment in path.split("/") if len(segment) == 36]
    return ids + list(finding.record_ids)
