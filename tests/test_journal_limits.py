"""The request journal keeps no secret in clear, stays within its memory budget, and
`verify` answers promptly whatever path pattern it is given."""

from __future__ import annotations

import http.client
import json
import re
from pathlib import Path

import pytest
from conftest import RW, V1, Api
from test_cli import Served

from mockplex.admin.journal import JOURNAL

# 64 KiB of `[[],[],...]`: the body that cost ~1.5 MB per request when the journal kept it parsed.
NESTED_LISTS = ("[" + ",".join(["[]"] * 21845) + "]").encode()
SECRETS = {"apiKey": "plain-api-key", "password": "hunter2", "nested": {"access_token": "opaque-1"},
           "env": {"OPENAI_API_KEY": "opaque-2"}, "items": [{"Authorization": "Bearer opaque-3"}],
           "key": "MY_VAR", "value": "opaque-4",
           "note": "use sk-abcdefghijklmnop1234, ghp_abcdefghijklmnopqrstuvwxyz or mpx_oauth_dev_access_token_0001",
           "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "prompt": "hello"}
MASKED = {"apiKey": "<redacted>", "password": "<redacted>", "nested": {"access_token": "<redacted>"},
          "env": {"OPENAI_API_KEY": "<redacted>"}, "items": [{"Authorization": "<redacted>"}],
          "key": "<redacted>", "value": "<redacted>", "note": "use <redacted>, <redacted> or <redacted>",
          "jwt": "<redacted>", "prompt": "hello"}


async def admin(api: Api, method: str, name: str, body=None):
    response = await api.call(method, f"/__mockplex/{name}", None, json_body=body)
    return response.status, json.loads(response.raw_body)


async def test_the_journal_masks_credentials_in_paths_queries_and_bodies(api):
    await api.call("POST", f"{V1}/nope/{RW}?limit=2&token=opaque-5&x=mog_mockplexDevReadOnly00001&api_key=opaque-6",
                   RW, json_body=SECRETS)
    response = await api.call("GET", "/__mockplex/journal", None)
    [entry] = json.loads(response.raw_body)["requests"]
    assert (entry["path"], entry["query"], entry["body"]) == (
        f"{V1}/nope/<redacted>", "limit=2&token=<redacted>&x=<redacted>&api_key=<redacted>", MASKED)
    for secret in re.findall(r"opaque-\d|plain-api-key|hunter2|sk-\w+|ghp_\w+|mpx_\w+|mog_\w+|eyJ[\w.]+",
                             json.dumps(SECRETS) + RW):
        assert secret.encode() not in response.raw_body


async def test_the_journal_masks_secrets_hidden_in_strings_text_and_nested_urls(api):
    """The cassette redactor's rules apply: JSON inside a string, `name=value` and `Bearer`
    in free text, a query parameter inside a percent-encoded URL, an OAuth code."""
    hidden = {"config": json.dumps({"token": "JsonInString4", "password": "pw5-hidden"}),
              "notes": "password=Inline6 Authorization: Bearer abcdefgh12", "prompt": "keep me"}
    await api.call("POST", f"{V1}/repos?redirect=https%3A%2F%2Fx%2Fcb%3Faccess_token%3DOpaqueNested2", RW,
                   json_body=hidden)
    await api.call("POST", f"{V1}/nope", RW, json_body={"grant_type": "authorization_code", "code": "AuthzCode15",
                                                         "code_verifier": "Verifier16-abcdefghijk"})
    response = await api.call("GET", "/__mockplex/journal", None)
    for secret in ("JsonInString4", "pw5-hidden", "Inline6", "abcdefgh12", "OpaqueNested2", "AuthzCode15",
                   "Verifier16"):
        assert secret.encode() not in response.raw_body, secret
    first = json.loads(response.raw_body)["requests"][0]
    assert first["body"]["prompt"] == "keep me" and first["query"].startswith("redirect=")
    assert "<redacted>" in first["query"]


async def test_the_journal_shows_a_query_decoded_as_the_server_reads_it(api):
    await api.call("GET", f"{V1}/repos?q=%E2%98%83%20web+app", RW)
    response = await api.call("GET", "/__mockplex/journal", None)
    [entry] = json.loads(response.raw_body)["requests"]
    assert entry["query"] == "q=\u2603 web app"


async def test_verify_still_compares_bodies_and_paths(api):
    await api.start_run({"repoId": "r", "prompt": "first"}, key="a")
    await api.start_run({"repoId": "r", "prompt": "second"}, key="b")
    status, found = await admin(api, "POST", "verify", {"path": f"{V1}/ru.s", "body": {"prompt": "second"}})
    assert (status, found["count"], [entry["body"] for entry in found["requests"]]) == (
        200, 1, [{"repoId": "r", "prompt": "second"}])


@pytest.mark.parametrize("pattern, message", [
    ("(", "path is not a regular expression RE2 accepts: missing ): ("),
    (r"(a)\1", r"path is not a regular expression RE2 accepts: invalid escape sequence: \1"),
])
async def test_a_path_pattern_re2_refuses_is_a_400(api, pattern, message):
    assert await admin(api, "POST", "verify", {"path": pattern}) == (400, {"error": message})


async def test_verify_fields_must_be_text(api):
    assert await admin(api, "POST", "verify", {"path": 5}) == (400, {"error": "path must be text"})


async def test_the_oldest_entries_go_first_once_the_entry_cap_is_reached(api):
    api.client.server.app[JOURNAL].max_entries = 3
    for index in range(5):
        await api.get(f"/models?n={index}")
    status, journal = await admin(api, "GET", "journal")
    assert (status, [(entry["id"], entry["query"]) for entry in journal["requests"]]) == (
        200, [(3, "n=2"), (4, "n=3"), (5, "n=4")])


class Client:
    """One keep-alive connection to a served mockplex."""

    def __init__(self, served: Served) -> None:
        port = int(served.base_url.split(":")[2].split("/")[0])
        # Generous: the journal masks an entry when it is first read, and reading 250 deeply
        # nested 64 KiB bodies at once takes seconds on a loaded two-core machine.
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes]:
        self.connection.request(method, path, body=body, headers={"Content-Type": "application/json", **headers})
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def rss_mib(served: Served) -> float:
    status = Path(f"/proc/{served.process.pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def test_big_bodies_cannot_grow_the_journal_beyond_its_budget(tmp_path):
    served = Served("--quiet", "--no-rate-limits", cwd=tmp_path)
    client = Client(served)
    before = rss_mib(served)
    for _ in range(100):
        assert client.send("POST", f"{V1}/nope", NESTED_LISTS, Authorization=f"Bearer {RW}")[0] == 404
    for index in range(200):
        client.send("POST", f"{V1}/runs", NESTED_LISTS, **{"Authorization": f"Bearer {RW}",
                                                           "Idempotency-Key": f"k{index}"})
    grown = rss_mib(served) - before
    status, body = client.send("GET", "/__mockplex/journal?limit=100000")
    ids = [entry["id"] for entry in json.loads(body)["requests"]]
    client.close()
    served.stop()
    assert grown < 64, f"RSS grew {grown:.0f} MiB"  # 450 MiB when every body was kept parsed
    # A 16 MiB budget holds about 250 of these 64 KiB bodies: the oldest went first.
    assert status == 200 and 200 < len(ids) < 260 and ids == list(range(301 - len(ids), 301))


def test_a_pathological_path_pattern_answers_at_once_and_the_server_keeps_answering(tmp_path):
    served = Served("--quiet", cwd=tmp_path)
    client, other = Client(served), Client(served)
    client.send("GET", f"{V1}/{'a' * 64}")
    pattern = json.dumps({"path": f"{V1}/(a+)+b"}).encode()
    assert client.send("POST", "/__mockplex/verify", pattern) == (200, b'{"count":0,"requests":[]}')
    assert other.send("GET", "/__mockplex/health")[0] == 200
    found = client.send("POST", "/__mockplex/verify", json.dumps({"path": f"{V1}/(a+)+"}).encode())
    client.close()
    other.close()
    served.stop()
    assert json.loads(found[1])["count"] == 1


async def test_the_journal_keeps_both_sides_headers_and_the_answer_with_every_secret_masked(api):
    from conftest import DANA_SESSION, SESSION_COOKIE

    await api.internal("POST", "/api/auth/logout")  # its answer sets cookies; the request carries a session
    entries = (await (await api.client.get("/__mockplex/journal")).json())["requests"]
    [logout] = [entry for entry in entries if entry["path"] == "/api/auth/logout"]
    assert ["Cookie", "<redacted>"] in logout["request_headers"]
    set_cookies = [value for name, value in logout["response_headers"] if name == "Set-Cookie"]
    assert set_cookies and all(value == "<redacted>" for value in set_cookies)
    assert logout["response_body"] == '{"ok":true}' and logout["at"]
    assert DANA_SESSION not in json.dumps(entries) and SESSION_COOKIE + "=" not in json.dumps(entries)


def test_a_stream_is_kept_as_sent_up_to_the_body_limit_and_not_at_all_past_it():
    from aiohttp import web

    from mockplex.admin.journal import MAX_BODY
    from mockplex.streamed import note_sent, sent_body

    fits, overflows, silent = web.StreamResponse(), web.StreamResponse(), web.StreamResponse()
    for chunk in (b"data: 1\n\n", b"", b"x" * (MAX_BODY - 9)):
        note_sent(fits, chunk)
        note_sent(overflows, chunk)
    note_sent(overflows, b"!")
    note_sent(overflows, b"")  # what comes after the limit is not kept either
    assert sent_body(fits) == b"data: 1\n\n" + b"x" * (MAX_BODY - 9)
    assert (sent_body(overflows), sent_body(silent)) == (None, None)


def test_a_kept_answer_costs_its_own_size_not_the_encoders_buffer(tmp_path):
    """orjson hands back its whole growth buffer (4 KiB for a 1 KiB answer); the journal
    keeps every answer it is given, so the copy it keeps must be the text's size."""
    served = Served("--quiet", "--no-rate-limits", cwd=tmp_path)
    client = Client(served)
    assert client.send("GET", f"{V1}/repos", Authorization=f"Bearer {RW}")[0] == 200
    before = rss_mib(served)
    for _ in range(6000):
        client.send("GET", f"{V1}/repos", Authorization=f"Bearer {RW}")
    grown = rss_mib(served) - before
    client.close()
    served.stop()
    # ~14 MiB with each answer kept at its size, ~33 MiB with orjson's buffers: the line is midway.
    assert grown < 24, f"RSS grew {grown:.0f} MiB"
