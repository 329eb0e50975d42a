"""Cassettes are committed and shared, so each is hostile input: alias bombs, wrong types,
links out of the folder. Every command refuses them in one line, never a traceback."""

from __future__ import annotations

import copy
import gc
import os
import random
import resource
import subprocess

import pytest
import vcr.serialize
import yaml
from conftest import OAUTH, REPO_ROOT
from test_cli import COMMAND, Served, run_cli
from vcr.request import Request
from vcr.serializers import yamlserializer

from mockplex.replay.bounded_yaml import CASSETTE_LOADER, FAST_DEPTH, BoundedYaml, may_hold_anchor
from mockplex.replay.reading import read_cassette

MEMORY_LIMIT = 1024 ** 3
BOMB = "YAML aliases would grow the cassette by more than 16 MiB when expanded (an alias bomb?); refused"
REPOS = "/api/v1/mogplex/repos"
REPO = ('{"id":"0b6c4d2e-7a1f-4e3b-9c5d-8f2a6b1e3c70","full_name":"harborlight/web","installation_id":48213,'
        '"default_branch":"main","root_directory":"apps/web"}')


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MOCKPLEX_CACHE_DIR", str(tmp_path / "cache"))


def run_bounded(*args: str) -> subprocess.CompletedProcess:
    """The CLI with 1 GiB of address space: a regression fails instead of eating the machine."""
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(COMMAND + list(args), capture_output=True, text=True, timeout=60, cwd=REPO_ROOT,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, preexec_fn=limit_memory)


def laughs() -> str:
    """Nine levels of nine aliases, 650 bytes that reference a billion strings, in an answer."""
    levels = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"l{level}: &l{level} [{','.join([f'*l{level - 1}'] * 9)}]" for level in range(1, 10)]
    return "\n".join(levels) + (f"\ninteractions:\n- request: {{method: GET, uri: 'http://u.test{REPOS}', body: null, "
                                f"headers: {{}}}}\n  response: {{status: {{code: 200}}, laughs: *l9}}\n")


def laughs_behind_byte_order_marks() -> str:
    """The laughs with each anchor after a byte-order mark, which libyaml skips at a line's start."""
    levels = ["p0:", "\ufeff&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        levels += [f"p{level}:", f"\ufeff&l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]"]
    return "interactions: []\n" + "\n".join(levels) + "\n"


def one_big_anchor() -> str:
    """One 1 MB string, the body of 4,000 answers."""
    answers = "".join(f"- request: {{method: GET, uri: 'http://u.test{REPOS}?n={n}', body: null, headers: {{}}}}\n"
                      f"  response: {{status: {{code: 200}}, headers: {{}}, body: {{string: *big}}}}\n"
                      for n in range(4000))
    return f"metadata: {{padding: &big '{'x' * 1_000_000}'}}\ninteractions:\n{answers}"


def repos_body(count: int) -> str:
    return '{"ok":true,"data":{"repos":[' + ",".join([REPO] * count) + "]}}"


def vcrpy_cassette(count: int = 2) -> dict:
    requests = [Request("GET", f"http://u.test{REPOS}?limit={n}", None, {}) for n in range(count)]
    responses = [{"status": {"code": 200, "message": "OK"}, "headers": {"Content-Type": ["application/json"]},
                  "body": {"string": repos_body(n)}} for n in range(count)]
    return {"requests": requests, "responses": responses}


def write_vcrpy(path, cassette: dict) -> None:
    path.write_text(vcr.serialize.serialize(cassette, yamlserializer))


@pytest.mark.parametrize(("bomb", "alias_line"), [(laughs, 2), (one_big_anchor, 4),
                                                  (laughs_behind_byte_order_marks, 5)])
def test_alias_bombs_are_refused_by_every_command_in_bounded_memory(tmp_path, bomb, alias_line):
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb())
    refusal = f"{path}: cannot load cassette: line {alias_line}: {BOMB}"
    shown = run_bounded("cassettes", "show", "bomb", "--cassette-dir", str(tmp_path))
    assert (shown.returncode, shown.stderr) == (1, f"Error: {refusal}\n")
    linted = run_bounded("cassettes", "lint", "--cassette-dir", str(tmp_path))
    assert (linted.returncode, linted.stdout) == (1, f"{refusal}\n")
    listed = run_bounded("cassettes", "list", "--cassette-dir", str(tmp_path))
    assert (listed.returncode, listed.stdout) == (0, f"bomb  (cannot load cassette: line {alias_line}: {BOMB})\n")
    served = run_bounded("serve", "--mode", "replay", "--cassette", "bomb", "--cassette-dir", str(tmp_path),
                         "--port", "0", "--quiet")
    *progress, error = served.stderr.splitlines()  # a load over a second says it is reading, first
    assert (served.returncode, error) == (2, f"Error: {refusal}")
    assert all(line.startswith(f"mockplex: reading {path} ") for line in progress)
    extended = run_bounded("record", "--record-mode", "new_episodes", "--cassette", "bomb", "--cassette-dir",
                           str(tmp_path), "--upstream", "http://127.0.0.1:9", "--port", "0", "--quiet")
    assert (extended.returncode, extended.stderr) == (1, f"Error: {refusal}\n")


def test_every_anchor_yaml_can_hold_is_seen_before_the_measuring_is_skipped():
    """Alias bombs are measured only in a text that may hold an anchor: random YAML made
    of the characters that can surround one is never judged anchor-free when PyYAML's own
    parser finds an anchor in it."""
    pieces = ["a", ":", " ", "\n", "-", "&x", "*x", "[", "]", "{", "}", ",", "?", "'", '"', "&", "\t", "!!str ",
              "|\n", "#", "---\n", "!t", "\ufeff"]
    rng, anchored = random.Random(19), 0
    for _ in range(30_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        try:
            events = list(yaml.parse(text, Loader=yaml.SafeLoader))
        except yaml.YAMLError:
            continue
        if any(getattr(event, "anchor", None) for event in events if not isinstance(event, yaml.AliasEvent)):
            anchored += 1
            assert may_hold_anchor(text), repr(text)
    assert anchored > 300
    assert not may_hold_anchor("uri: http://upstream.test/api?a=1&b=2\nbody: 'x & y'\n")


def test_a_vcrpy_cassette_with_aliases_still_replays(tmp_path):
    """vcrpy's dumper writes an anchor for any object a cassette holds twice."""
    cassette = vcrpy_cassette()
    shared = cassette["responses"][0]["headers"]["Content-Type"]
    cassette["responses"][1]["headers"] = {"Content-Type": shared, "X-Also": shared}
    write_vcrpy(tmp_path / "shared.yaml", cassette)
    text = (tmp_path / "shared.yaml").read_text()
    assert "Content-Type: &id001" in text and "X-Also: *id001" in text
    shown = run_cli("cassettes", "show", "shared", "--cassette-dir", str(tmp_path))
    assert shown.returncode == 0 and len(shown.stdout.splitlines()) == 3
    served = Served("--mode", "replay", "--cassette", "shared", "--cassette-dir", str(tmp_path), "--quiet",
                    cwd=tmp_path)
    try:
        assert served.get("/repos?limit=1", token=OAUTH) == (200, repos_body(1).encode())
    finally:
        assert served.stop()[0] == 0


def test_a_hand_written_cassette_is_read_with_yaml_1_1_as_pyyaml_reads_it(tmp_path):
    """Plain scalars mean what they meant to vcrpy's loader: 0310 is octal, so the recorded
    status is 200; `yes` is true, so the header value is refused as not a string."""
    answer = "{{method: GET, uri: 'http://u.test{path}', body: null, headers: {{}}}}"
    text = ("interactions:\n"
            f"- request: {answer.format(path=REPOS)}\n"
            "  response: {status: {code: 0310, message: OK}, headers: {Content-Type: [application/json]}, "
            "body: {string: '{\"ok\":true}'}}\n")
    (tmp_path / "octal.yaml").write_text(text)
    served = Served("--mode", "replay", "--cassette", "octal", "--cassette-dir", str(tmp_path), "--quiet",
                    cwd=tmp_path)
    try:
        assert served.get("/repos", token=OAUTH) == (200, b'{"ok":true}')
    finally:
        assert served.stop()[0] == 0
    (tmp_path / "octal.yaml").write_text(text.replace("[application/json]", "[yes]"))
    shown = run_cli("cassettes", "show", "octal", "--cassette-dir", str(tmp_path))
    assert (shown.returncode, shown.stderr.splitlines()[-1]) == (
        1, f"Error: {tmp_path / 'octal.yaml'}: cannot load cassette: interaction 1: "
           "response.headers.Content-Type is bool True, expected a list of strings")


YAML_1_1_DOCUMENTS = [
    "a: 017\nb: 0x1F\nc: 1_000\nd: +5\ne: -3\nf: 0\ng: 190:20:30\nh: 12\ni: '12'\nj: 0b101",
    "a: 1.5\nb: .inf\nc: yes\nd: Off\ne: ~\nf:\ng: null\nh: 2001-12-14\ni: 2001-12-14t21:59:43.10-05:00",
    "base: &b {x: 1, y: [1, 2]}\nmerged: {<<: *b, y: 3}\nagain: *b",
    "plain: {<<: {x: 1}, z: 2}\nvalue: {=: 5}",
    "200: ok\n3.5: float key\nnull: none key\nyes: bool key\n[1, 2]: null",
    "t: !!python/tuple [1, 2]\ns: !!str 12\nb: !!binary aGVsbG8=\nset: !!set {a, b}\nu: !!python/unicode x",
    "dup: 1\ndup: 2\nlist: [a, 'b', \"c\", 4, -0, 00]\nmulti: |\n  two\n  lines\n",
    "omap: !!omap [a: 1, b: 2]\npairs: !!pairs [a: 1, a: 2]\nts: 2001-12-14 21:59:43.10 -5",
    "deep: " + "[" * (FAST_DEPTH + 5) + "x" + "]" * (FAST_DEPTH + 5),
    "deeper: " + "[" * 300 + "{a: 017}" + "]" * 300,  # the loader builds it without recursing: so must the reader
    "[a, {b: c}, 017]",
    "just a scalar",
    "",
    "key: !!int 017\nstr_int: !!str 017\nnull_tag: !!null ''\nfloat: !!float 1",
]


@pytest.mark.parametrize("text", YAML_1_1_DOCUMENTS)
def test_the_cassette_reader_builds_what_vcrpys_loader_builds(text):
    """The reader builds common nodes itself and leaves the rest to vcrpy's loader: the
    result is the loader's, type for type (True is not 1), whatever the tags."""
    def loaded_by(load):
        try:
            return repr(load(text))
        except yaml.YAMLError as error:
            return f"{type(error).__name__}: {error}"
    assert loaded_by(BoundedYaml.deserialize) == loaded_by(lambda text: yaml.load(text, Loader=CASSETTE_LOADER))


def test_an_alias_the_text_check_misses_is_still_measured(monkeypatch):
    """The reader builds nodes itself only while each is met once: a node met twice is an
    alias, and the document is then measured as one with a visible anchor is."""
    monkeypatch.setattr("mockplex.replay.bounded_yaml.may_hold_anchor", lambda text: False)
    with pytest.raises(yaml.YAMLError, match="alias bomb"):
        BoundedYaml.deserialize(laughs())
    assert BoundedYaml.deserialize("a: &x [1, 2]\nb: *x\nc: !!python/tuple [*x]\n") == {
        "a": [1, 2], "b": [1, 2], "c": ([1, 2],)}


def test_a_vcrpy_cassette_reads_as_vcrpys_loader_reads_it(tmp_path):
    cassette = vcrpy_cassette(3)
    cassette["requests"][1] = Request("POST", f"http://u.test{REPOS}", b"\x00\xffbinary", {"X-Count": "017"})
    cassette["responses"][2]["body"]["string"] = "caf\u00e9 \U0001f600 'quoted' \"double\"\n"
    write_vcrpy(tmp_path / "mixed.yaml", cassette)
    text = (tmp_path / "mixed.yaml").read_text()
    assert "!!binary" in text
    assert repr(BoundedYaml.deserialize(text)) == repr(yaml.load(text, Loader=CASSETTE_LOADER))


@pytest.mark.parametrize("enabled_before", [True, False])
def test_a_cassette_is_read_with_the_collector_paused_and_left_as_it_was(tmp_path, enabled_before):
    """A large cassette is millions of objects: a collection during its load walks every
    one made so far, for nothing (a load makes no cycles)."""
    write_vcrpy(tmp_path / "many.yaml", vcrpy_cassette(400))
    collections = []

    def seen(phase: str, info: dict) -> None:
        collections.append(info["generation"])

    threshold = gc.get_threshold()
    gc.callbacks.append(seen)
    try:
        gc.set_threshold(50)
        yaml.load((tmp_path / "many.yaml").read_text(), Loader=CASSETTE_LOADER)
        unpaused, collections[:] = len(collections), []
        (gc.enable if enabled_before else gc.disable)()
        content = read_cassette(tmp_path / "many.yaml")
        paused = len(collections)
        assert gc.isenabled() is enabled_before
    finally:
        gc.set_threshold(*threshold)
        gc.callbacks.remove(seen)
        gc.enable()
    assert len(content.requests) == 400
    assert unpaused > 200 and paused <= 4  # a start and stop or two, before and after the pause
    gc.collect()
    read_cassette(tmp_path / "many.yaml")
    assert gc.collect() == 0  # what a load made and dropped, reference counting freed: it made no cycles


def set_field(data: dict, where: tuple, value) -> dict:
    changed = copy.deepcopy(data)
    target = changed
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    return changed


WRONG_TYPES = [
    ((0, "request"), 1, "interaction 1: request is int 1, expected a mapping"),
    ((1, "response", "status", "code"), "200", "interaction 2: response.status.code is str '200', expected a number"),
    ((0, "response", "headers"), ["Content-Type"],
     "interaction 1: response.headers is list ['Content-Type'], expected a mapping"),
    ((1, "response", "body", "string"), 5, "interaction 2: response.body.string is int 5, "
                                           "expected a string, bytes or empty"),
    ((0, "request", "headers"), {"Accept": 7}, "interaction 1: request.headers.Accept is int 7, "
                                               "expected a string or a list of strings"),
    ((0, "response", "mockplex"), {"chunks": [[10, float("inf")]]},  # a delay that would never end
     "interaction 1: response.mockplex.chunks holds list [10, inf], expected [size, delay_ms] pairs"),
]


@pytest.mark.parametrize(("where", "value", "detail"), WRONG_TYPES)
def test_fields_of_the_wrong_type_are_one_line_errors_naming_the_interaction(tmp_path, where, value, detail):
    write_vcrpy(tmp_path / "good.yaml", vcrpy_cassette())
    valid = yaml.safe_load((tmp_path / "good.yaml").read_text())
    broken = set_field(valid, ("interactions", *where), value)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    refusal = f"{path}: cannot load cassette: {detail}"
    shown = run_cli("cassettes", "show", "broken", "--cassette-dir", str(tmp_path))
    assert (shown.returncode, shown.stderr) == (1, f"Error: {refusal}\n")
    linted = run_cli("cassettes", "lint", "--cassette-dir", str(tmp_path))
    assert (linted.returncode, linted.stdout, linted.stderr) == (1, f"{refusal}\n", "2 cassette(s), 1 problem(s)\n")
    served = run_cli("serve", "--mode", "replay", "--cassette", "broken", "--cassette-dir", str(tmp_path),
                     "--port", "0", "--quiet")
    assert (served.returncode, served.stderr) == (2, f"Error: {refusal}\n")


def test_list_and_lint_skip_links_that_lead_out_of_the_folder(tmp_path):
    folder, elsewhere = tmp_path / "shared", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    write_vcrpy(folder / "kept.yaml", vcrpy_cassette())
    (elsewhere / "private.yaml").write_text("interactions: [\n")  # followed, it would be a finding
    (folder / "escape.yaml").symlink_to(elsewhere / "private.yaml")
    (folder / "alias.yaml").symlink_to(folder / "kept.yaml")
    note = f"{folder / 'escape.yaml'}: skipped: it links to {elsewhere / 'private.yaml'}, outside {folder}\n"
    listed = run_cli("cassettes", "list", "--cassette-dir", str(folder))
    assert (listed.returncode, listed.stderr) == (0, note)
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["alias", "kept"]
    linted = run_cli("cassettes", "lint", "--cassette-dir", str(folder))
    assert (linted.returncode, linted.stdout, linted.stderr) == (0, "", note + "2 cassette(s), 0 problem(s)\n")


@pytest.mark.parametrize("command", ["list", "lint"])
def test_a_missing_cassette_folder_is_an_error(tmp_path, command):
    result = run_cli("cassettes", command, "--cassette-dir", str(tmp_path / "does-not-exist"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"Error: {tmp_path / 'does-not-exist'}: no such cassette folder\n"


@pytest.mark.parametrize(("callers", "complaint"), [
    ([1], "metadata.mockplex.callers is list [1], expected a mapping"),
    ({"credential:1": "oops"}, "metadata.mockplex.callers.credential:1 is str 'oops', expected a mapping"),
    ({"credential:1": {"sha256": 5}}, "metadata.mockplex.callers.credential:1.sha256 is int 5, expected a hex SHA-256"),
])
def test_callers_of_the_wrong_type_are_refused_by_every_command(tmp_path, callers, complaint):
    cassette = yaml.safe_load(vcr.serialize.serialize(vcrpy_cassette(), yamlserializer))
    cassette["metadata"] = {"mockplex": {"callers": callers}}
    path = tmp_path / "callers.yaml"
    path.write_text(yaml.safe_dump(cassette))
    refusal = f"{path}: cannot load cassette: {complaint}"
    served = run_bounded("serve", "--mode", "replay", "--cassette", "callers", "--cassette-dir", str(tmp_path),
                         "--port", "0", "--quiet")
    assert (served.returncode, served.stderr) == (2, f"Error: {refusal}\n")
    linted = run_bounded("cassettes", "lint", "--cassette-dir", str(tmp_path))
    assert (linted.returncode, linted.stdout) == (1, f"{refusal}\n")
