"""The web inspector's server side, through real HTTP: the page and its assets (types,
Content-Security-Policy, the admin API's protections), and the admin endpoints it reads:
the journal's new fields and `after=`, `world`, `cassettes`. Never a secret in any of them."""

from __future__ import annotations

import json
import shlex

import pytest
import yaml
from yarl import URL
from conftest import (DANA_SESSION, EXPIRED, OAUTH, REVOKED, RW, V1, WEB_REPO, Api, body_of,
                      make_settings)

from mockplex import state
from mockplex.admin.inspector import CONTENT_SECURITY_POLICY
from mockplex.app import build_app
from mockplex.replay.route import ReplaySettings

START = {"repoId": WEB_REPO, "prompt": "Fix the flaky test"}
SECRETS = (RW, OAUTH, DANA_SESSION, EXPIRED, REVOKED)
ASSETS = {"/__mockplex/": "text/html", "/__mockplex/inspector": "text/html",
          "/__mockplex/assets/inspector.css": "text/css", "/__mockplex/assets/inspector.js": "text/javascript",
          "/__mockplex/assets/icon.svg": "image/svg+xml"}
SVG_NAMESPACE = b'xmlns="http://www.w3.org/2000/svg"'  # a name, never fetched


async def admin(api: Api, method: str, name: str, body=None, headers=None):
    response = await api.call(method, f"/__mockplex/{name}", None, json_body=body, headers=headers)
    return response.status, (json.loads(response.raw_body) if response.raw_body else None)


async def journal(api: Api, query: str = "") -> dict:
    status, kept = await admin(api, "GET", f"journal{query}")
    assert status == 200
    return kept


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


@pytest.fixture
async def replay_api(aiohttp_client, tmp_path, shipped_cassettes) -> Api:
    """A replaying server over the shipped catalog cassette."""
    replay = ReplaySettings(shipped_cassettes / "examples" / "catalog.yaml", "examples/catalog")
    settings = make_settings(tmp_path, default_mode="replay", replay=replay, cassette_dir=shipped_cassettes)
    return Api(await aiohttp_client(build_app(settings)))


# -- the page ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(ASSETS))
async def test_the_page_and_its_assets_are_served_with_a_strict_content_security_policy(api, path):
    response = await api.call("GET", path, None)
    assert response.status == 200
    assert response.headers["Content-Type"] == f"{ASSETS[path]}; charset=utf-8"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    assert (response.headers["X-Content-Type-Options"], response.headers["X-Frame-Options"],
            response.headers["Cache-Control"]) == ("nosniff", "DENY", "no-store")
    assert b"://" not in response.raw_body.replace(SVG_NAMESPACE, b"")  # nothing from anywhere else, not even a link


async def test_the_page_loads_its_own_assets_and_every_hook_the_tests_drive(api):
    page = (await api.call("GET", "/__mockplex/", None)).raw_body.decode()
    assert '<link rel="stylesheet" href="/__mockplex/assets/inspector.css">' in page
    assert '<script src="/__mockplex/assets/inspector.js" defer></script>' in page
    assert "<style" not in page and "<script>" not in page and " on" + "click=" not in page  # CSP: no inline code
    for hook in ('data-view="traffic"', 'data-view="cassettes"', 'data-view="world"', 'data-view="faults"',
                 'id="view-traffic"', 'id="view-cassettes"', 'id="view-world"', 'id="view-faults"',
                 'id="traffic"', 'id="filter-family"', 'id="filter-status"', 'id="filter-source"', 'id="filter-text"',
                 'id="detail"', 'id="cassette-list"', 'id="clock-now"', 'id="clock-seconds"', 'id="clock-advance"',
                 'id="world-reset"', 'id="snapshot"', 'id="restore"', 'id="runs"', 'id="sandboxes"',
                 'id="automations"', 'id="tokens"', 'id="sessions"', 'id="fault-list"', 'id="fault-form"',
                 'name="route"', 'name="path"', 'name="kind"', 'name="status"', 'id="fault-error"'):
        assert hook in page, hook


async def test_nothing_else_under_assets_is_served(api):
    for path in ("/__mockplex/assets/index.html", "/__mockplex/assets/../admin/api.py", "/__mockplex/inspector.js"):
        # encoded=True: the `..` reaches the server as sent, as with `curl --path-as-is`
        async with api.client.session.get(URL(api.origin + path, encoded=True)) as response:
            answer = (response.status, await response.json())
        assert answer == (404, {"error": f"no admin operation GET {path}"}), path


@pytest.mark.parametrize("headers, refusal", [
    ({"Origin": "http://evil.example"}, "the admin API refuses cross-origin requests (Origin 'http://evil.example')"),
    ({"Sec-Fetch-Site": "cross-site"}, "the admin API refuses browser requests with Sec-Fetch-Site 'cross-site'"),
    ({"Host": "evil.example"},  # DNS rebinding
     "the admin API answers only requests addressed to loopback or 127.0.0.1, not Host 'evil.example'"),
])
async def test_the_page_is_refused_to_other_sites(api, headers, refusal):
    for path in ("/__mockplex/", "/__mockplex/assets/inspector.js", "/__mockplex/world"):
        response = await api.call("GET", path, None, headers=headers)
        assert (response.status, response.headers["Content-Type"], body_of(response)) == (
            403, "application/json", {"error": refusal}), path


async def test_the_pages_own_fetches_pass_the_guard(api):
    """What Chromium sends from the page: same-origin fetches, an Origin on writes."""
    page = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}
    assert (await admin(api, "GET", "journal?after=0&limit=500", headers=page))[0] == 200
    status, advanced = await admin(api, "POST", "clock", {"seconds": 5}, headers={**page, "Origin": api.origin})
    assert (status, advanced) == (200, {"ok": True, "now": "2026-05-17T10:00:05+00:00"})
    opened = await api.call("GET", "/__mockplex/", None, headers={"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"})
    assert opened.status == 200


async def test_with_an_admin_token_the_page_loads_but_its_data_needs_the_token(make_api):
    api = await make_api(admin_token="inspector-admin-token")
    assert (await api.call("GET", "/__mockplex/", None)).status == 200
    assert (await api.call("GET", "/__mockplex/assets/inspector.js", None)).status == 200
    refused = (401, {"error": "missing or wrong X-Mockplex-Admin-Token"})
    assert await admin(api, "GET", "world") == refused
    assert await admin(api, "GET", "journal") == refused
    assert await admin(api, "GET", "world", headers={"X-Mockplex-Admin-Token": "inspector-admin-tokeN"}) == refused
    token = {"X-Mockplex-Admin-Token": "inspector-admin-token"}
    assert (await admin(api, "GET", "world", headers=token))[0] == 200
    assert (await admin(api, "GET", "cassettes", headers=token))[0] == 200


# -- the journal: caller, source, duration, curl, after= -------------------------------------

async def test_journal_entries_name_their_caller_and_carry_source_duration_and_a_curl(api):
    await api.client.get(f"{V1}/repos?limit=1", headers={"Authorization": f"Bearer {RW}"},
                         skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"))
    await api.get("/repos", token=OAUTH)
    await api.internal("GET", "/api/github/installations")
    await api.get("/repos", token=None)
    entries = (await journal(api))["requests"]
    assert [(entry["caller"], entry["source"], entry["status"]) for entry in entries] == [
        ("mockplex dev (read+write)", "fixture", 200), ("OAuth client mogplex-cli", "fixture", 200),
        ("session dana.okafor@example.dev", "fixture", 200), (None, "rules", 307)]
    first = entries[0]
    assert first["duration_ms"] == first["latency_ms"] and first["duration_ms"] >= 0
    assert first["miss"] is None
    assert first["curl"] == (f"curl -sS -H 'Authorization: Bearer <redacted>' "
                             f"'{api.origin}{V1}/repos?limit=1'")
    assert "-H 'Cookie: <redacted>'" in entries[2]["curl"]
    assert_no_secret(json.dumps(entries))


async def test_a_curl_carries_the_method_and_body_and_masks_what_the_entry_masks(api):
    body = {**START, "env": {"GITHUB_TOKEN": "ghp_" + "a" * 36}}
    await api.start_run(body, key="curl-1")
    await api.call("POST", f"{V1}/nope?token={RW}", RW, data=b"plain text with " + RW.encode())
    entries = (await journal(api))["requests"]
    words = shlex.split(entries[0]["curl"])
    assert words[:4] == ["curl", "-sS", "-X", "POST"] and words[-1] == f"{api.origin}{V1}/runs"
    sent = json.loads(words[words.index("--data-raw") + 1])
    assert sent == {**START, "env": {"GITHUB_TOKEN": "<redacted>"}} == entries[0]["body"]
    assert "Idempotency-Key: curl-1" in words and "Content-Type: application/json" in words
    plain = shlex.split(entries[1]["curl"])
    assert plain[plain.index("--data-raw") + 1] == "plain text with <redacted>"
    assert plain[-1] == f"{api.origin}{V1}/nope?token=<redacted>"
    assert_no_secret(json.dumps(entries))


async def test_after_gives_only_newer_entries_and_ids_never_restart(api):
    for index in range(3):
        await api.get(f"/models?n={index}")
    everything = await journal(api)
    assert [entry["id"] for entry in everything["requests"]] == [1, 2, 3] and "last_id" not in everything
    assert (await journal(api, "?after=0"))["last_id"] == 3
    newer = await journal(api, "?after=1")
    assert (newer["last_id"], [entry["query"] for entry in newer["requests"]]) == (3, ["n=1", "n=2"])
    assert (await journal(api, "?after=3"))["requests"] == []
    assert [entry["id"] for entry in (await journal(api, "?after=0&limit=1"))["requests"]] == [3]
    await admin(api, "DELETE", "journal")
    await api.get("/models?n=after-clear")
    after_clear = await journal(api, "?after=3")
    assert (after_clear["last_id"], [entry["id"] for entry in after_clear["requests"]]) == (4, [4])


async def test_a_fault_that_answers_says_so_as_its_source(api):
    await admin(api, "POST", "faults", {"kind": "error", "status": 503, "route": f"GET {V1}/repos"})
    await api.get("/repos")
    await api.get("/models")
    entries = (await journal(api))["requests"]
    assert [(entry["source"], entry["status"]) for entry in entries] == [("fault", 503), ("fixture", 200)]


async def test_a_streamed_answer_is_kept_as_it_was_sent(api):
    streamed = await api.internal("POST", "/api/chat", json_body={"messages": []})
    assert streamed.headers["Content-Type"].startswith("text/event-stream")
    entry = (await journal(api))["requests"][0]
    assert entry["response_body"] == streamed.raw_body.decode() and entry["response_body"].endswith("data: [DONE]\n\n")


# -- replay misses ---------------------------------------------------------------------------

async def test_a_replay_miss_carries_the_closest_recording_and_what_differs(replay_api):
    await replay_api.get("/repos?limit=5")
    await replay_api.get("/repos?limit=20")
    await replay_api.get("/nothing-like-it")
    miss, hit, unlisted = (await journal(replay_api))["requests"]
    assert (miss["status"], miss["source"], miss["match"]) == (404, "replay", "miss")
    assert miss["miss"] == {
        "closest": {"method": "GET", "path": f"{V1}/repos", "query": "limit=20", "caller": "credential:1",
                    "idempotency_key": None, "status": 200},
        "differences": ["query key 'limit' ('20' recorded, '5' sent)"],
        "would_match_with": "--ignore-query limit", "exhausted": 0}
    assert shlex.split(miss["curl"])[-1] == f"{replay_api.origin}{V1}/repos?limit=5"
    assert (hit["match"], hit["miss"]) == ("hit", None)
    assert unlisted["miss"] is None  # no route: the framework's 404, not a replay miss


async def test_a_miss_never_quotes_a_secret_it_was_sent(replay_api):
    await replay_api.get(f"/repos?limit=20&api_key={OAUTH}")
    entry = (await journal(replay_api))["requests"][0]
    assert entry["miss"]["differences"] == ["query key 'api_key' (None recorded, '<redacted>' sent)"]
    assert_no_secret(json.dumps(entry))


async def test_a_miss_too_large_to_keep_is_marked_without_its_question(replay_api):
    await replay_api.post("/runs", {**START, "prompt": "x" * 70_000}, headers={"Idempotency-Key": "big-1"})
    entry = (await journal(replay_api))["requests"][0]
    assert (entry["match"], entry["miss"], entry["body"]) == ("miss", None, None)


async def test_an_exhausted_recording_says_every_answer_was_used(aiohttp_client, tmp_path, shipped_cassettes):
    replay = ReplaySettings(shipped_cassettes / "examples" / "catalog.yaml", "examples/catalog", on_exhausted="fail")
    api = Api(await aiohttp_client(build_app(make_settings(tmp_path, default_mode="replay", replay=replay))))
    await api.get("/repos?limit=20")
    await api.get("/repos?limit=20")
    exhausted = (await journal(api))["requests"][1]["miss"]
    assert (exhausted["exhausted"], exhausted["differences"], exhausted["would_match_with"]) == (
        1, ["recorded, and its 1 recorded answer(s) were all used"], "--on-exhausted repeat")


# -- the world -------------------------------------------------------------------------------

async def test_the_world_shows_the_clock_runs_and_their_events_as_time_moves(api):
    run_id = body_of(await api.start_run(START, key="world-1"))["data"]["runId"]
    status, shown = await admin(api, "GET", "world")
    assert status == 200
    assert shown["clock"] == {"now": "2026-05-17T10:00:00+00:00", "kind": "frozen",
                              "describe": "frozen at 2026-05-17T10:00:00+00:00"}
    run = next(run for run in shown["runs"] if run["id"] == run_id)
    assert (run["status"], run["repo"], run["prompt"], [event["type"] for event in run["events"]]) == (
        "pending", "harborlight/web", "Fix the flaky test", ["started"])
    assert run["events"][0]["at"] == "2026-05-17T10:00:00+00:00" and shown["runs"][0]["id"] == run_id
    await admin(api, "POST", "clock", {"seconds": 60})
    moved = next(run for run in (await admin(api, "GET", "world"))[1]["runs"] if run["id"] == run_id)
    assert moved["status"] == "success" and moved["events"][-1]["type"] == "finished"
    assert any(sandbox["repo"] == "harborlight/web" for sandbox in shown["sandboxes"])


async def test_the_world_names_tokens_and_sessions_and_never_shows_a_secret(api):
    shown = (await admin(api, "GET", "world"))[1]
    tokens = {token["name"]: token for token in shown["tokens"]}
    assert tokens["mockplex dev (read+write)"] == {"name": "mockplex dev (read+write)", "scopes": ["read", "write"],
                                                   "expires_at": None, "kind": "pat",
                                                   "user": "dana.okafor@example.dev", "status": "live"}
    assert {token["status"] for token in shown["tokens"]} == {"live", "expired", "revoked"}
    assert any(token["kind"] == "oauth" for token in shown["tokens"])
    assert all(set(session) == {"user", "expires_at", "description", "status"} for session in shown["sessions"])
    assert shown["automations"] and all({"id", "name", "status", "job_runs"} <= set(automation)
                                        for automation in shown["automations"])
    text = json.dumps(shown)
    assert_no_secret(text)
    world = api.client.server.app[state.WORLD]
    for pat in world.tokens.pats():
        assert pat.token_sha256 not in text and (pat.documented_token or "mog_never") not in text
    for session in world.sessions.sessions():
        assert session.token_sha256 not in text and (session.documented_token or "mpx_never") not in text


# -- cassettes -------------------------------------------------------------------------------

async def test_the_cassette_folder_is_listed_with_each_cassettes_size(replay_api, shipped_cassettes):
    status, listing = await admin(replay_api, "GET", "cassettes")
    assert status == 200 and listing["folder"] == str(shipped_cassettes)
    assert [(cassette["name"], cassette["interactions"]) for cassette in listing["cassettes"]] == [
        ("examples/catalog", 4), ("examples/errors", 4), ("examples/mcp-session", 3), ("examples/run-lifecycle", 7)]


async def test_a_missing_folder_is_said_not_failed(make_api, tmp_path):
    api = await make_api(cassette_dir=tmp_path / "none-here")
    assert (await admin(api, "GET", "cassettes"))[1] == {
        "folder": str(tmp_path / "none-here"), "cassettes": [], "error": f"{tmp_path / 'none-here'}: no such cassette folder"}


async def test_a_cassette_shows_the_table_of_cassettes_show_and_its_findings(replay_api, shipped_cassettes):
    status, shown = await admin(replay_api, "GET", "cassettes/examples/catalog")
    assert status == 200 and shown["name"] == "examples/catalog" and shown["findings"] == []
    upstream = yaml.safe_load((shipped_cassettes / "examples" / "catalog.yaml").read_text())
    first_uri = upstream["interactions"][0]["request"]["uri"]
    assert shown["interactions"][0] == {"index": 1, "method": "GET", "uri": first_uri,
                                        "request": f"{V1}/repos?limit=20", "status": 200, "bytes": 797, "chunks": 1}
    assert [row["index"] for row in shown["interactions"]] == [1, 2, 3, 4]


async def test_lint_findings_name_their_interaction(make_api, tmp_path, shipped_cassettes):
    path = shipped_cassettes / "examples" / "catalog.yaml"
    cassette = yaml.safe_load(path.read_text())
    cassette["interactions"][0]["response"]["body"]["string"] = '{"ok":true,"data":{"repos":"none"}}'
    cassette["interactions"][1]["response"]["headers"]["X-Leak"] = [RW]
    path.write_text(yaml.safe_dump(cassette))
    api = await make_api(cassette_dir=shipped_cassettes)
    findings = (await admin(api, "GET", "cassettes/examples/catalog"))[1]["findings"]
    assert [(finding["index"], finding["level"]) for finding in findings] == [(1, "error"), (2, "error")]
    assert "data.repos" in findings[0]["message"] and findings[1]["message"].startswith("a secret survived")
    assert_no_secret(json.dumps(findings))
    detail = (await admin(api, "GET", "cassettes/examples/catalog/2"))[1]
    assert ["X-Leak", "<redacted>"] in detail["response"]["headers"]
    assert_no_secret(json.dumps(detail))


async def test_one_interaction_whole_masked_with_its_bodies(replay_api):
    status, shown = await admin(replay_api, "GET", "cassettes/examples/catalog/1")
    assert status == 200 and (shown["name"], shown["index"], shown["of"]) == ("examples/catalog", 1, 4)
    request, response = shown["request"], shown["response"]
    assert request["method"] == "GET" and request["uri"].endswith(f"{V1}/repos?limit=20")
    assert ["Authorization", "Bearer <redacted:credential:1>"] in request["headers"]
    assert (response["status"], response["message"]) == (200, "OK")
    assert response["json"]["ok"] is True and json.loads(response["body"]) == response["json"]
    assert "events" not in response


async def test_a_streamed_recording_is_shown_event_by_event(make_api, shipped_cassettes):
    path = shipped_cassettes / "examples" / "catalog.yaml"
    cassette = yaml.safe_load(path.read_text())
    events = ['data: {"n":1}', f'data: {{"token":"{RW}"}}', "data: [DONE]"]
    body = "".join(f"{event}\n\n" for event in events)
    response = cassette["interactions"][0]["response"]
    response["headers"]["Content-Type"] = ["text/event-stream"]
    response["body"]["string"] = body
    response["mockplex"] = {"chunks": [[len(event) + 2, 10] for event in events]}
    path.write_text(yaml.safe_dump(cassette))
    api = await make_api(cassette_dir=shipped_cassettes)
    assert (await admin(api, "GET", "cassettes/examples/catalog"))[1]["interactions"][0]["chunks"] == 3
    shown = (await admin(api, "GET", "cassettes/examples/catalog/1"))[1]["response"]
    assert shown["events"] == ['data: {"n":1}', 'data: {"token":"<redacted>"}', "data: [DONE]"]
    assert shown["chunks"] == response["mockplex"]["chunks"]  # the recorded pace, beside the masked events


@pytest.mark.parametrize(("name", "status", "error"), [
    ("examples/catalog/9", 404, "cassette 'examples/catalog' has no interaction 9"),
    ("examples/nope", 404, "no cassette 'examples/nope' in {folder}"),
    ("examples/nope/1", 404, "no cassette 'examples/nope/1' in {folder}"),
    ("-bad", 400, "invalid cassette name '-bad': use letters, digits, '.', '_', '-' and '/' between segments; "
                  "no '..', no leading '/'"),
])
async def test_cassette_names_and_numbers_that_do_not_exist(replay_api, shipped_cassettes, name, status, error):
    assert await admin(replay_api, "GET", f"cassettes/{name}") == (status, {"error": error.format(folder=shipped_cassettes)})
