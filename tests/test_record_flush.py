"""Writing a large cassette never stalls the clients of the record proxy."""

from __future__ import annotations

import asyncio
import time

import test_record
from aiohttp import web
from test_record import fine, url_of
from vcr.request import Request

from mockplex.recording.cassette_file import Interaction
from mockplex.recording.proxy import RECORDER

recording = test_record.recording  # the record proxy fixture
# Held as if loaded for new_episodes: writing them all once stalled every client for seconds.
HELD = 20000


async def test_clients_are_answered_promptly_while_a_large_cassette_is_written(aiohttp_server, recording):
    upstream = web.Application()
    upstream.router.add_get("/fine", fine)
    target = url_of(await aiohttp_server(upstream))
    client, path = await recording(target, "large", flush_seconds=0.05)
    client.server.app[RECORDER].cassette.interactions = [
        Interaction(index, Request("GET", f"{target}/held?i={index}", b"", {"Accept": "*/*"}),
                    {"status": {"code": 200, "message": "OK"}, "headers": {"Content-Type": ["application/json"]},
                     "body": {"string": b'{"ok":true,"data":{"i":%d}}' % index}}, on_disk=True)
        for index in range(HELD)]
    latencies = []
    until = time.perf_counter() + 2.5
    while time.perf_counter() < until:
        started = time.perf_counter()
        assert (await client.get("/fine")).status == 200
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.01)
    await client.close()
    assert max(latencies) < 1.0, f"slowest answer {max(latencies):.2f}s of {len(latencies)}"
    assert path.read_text().count("\n- request:\n") == HELD + len(latencies)  # all written; loading is slow
