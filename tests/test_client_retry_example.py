"""An example worth copying: a small Mogplex client that retries 429 and 503 answers,
honouring Retry-After, tested against faults mockplex injects."""

from __future__ import annotations

import json
from typing import Awaitable, Callable

import aiohttp
from conftest import OAUTH, V1, body_of

RETRYABLE = (429, 503)


class RetryingClient:
    """GETs a v1 route; on 429/503 waits Retry-After seconds (else 0.5 s, doubling) and
    tries again, up to `attempts` times."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str, attempts: int = 4,
                 sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        import asyncio

        self.session, self.base_url, self.token, self.attempts = session, base_url, token, attempts
        self.sleep = sleep or asyncio.sleep

    async def get(self, path: str) -> dict:
        backoff = 0.5
        for attempt in range(1, self.attempts + 1):
            async with self.session.get(self.base_url + path,
                                        headers={"Authorization": f"Bearer {self.token}"}) as response:
                body = await response.read()
                if response.status not in RETRYABLE or attempt == self.attempts:
                    response.raise_for_status()
                    return json.loads(body)
                retry_after = response.headers.get("Retry-After")
            await self.sleep(float(retry_after) if retry_after else backoff)
            backoff *= 2
        raise AssertionError("unreachable")


async def test_the_client_rides_out_429s_and_503s(api):
    await api.call("POST", "/__mockplex/faults", None,
                   json_body={"kind": "error", "status": 429, "retry_after": 3, "count": 2, "family": "v1"})
    await api.call("POST", "/__mockplex/faults", None,
                   json_body={"kind": "error", "status": 503, "count": 1, "family": "v1"})
    waits: list[float] = []

    async def record_wait(seconds: float) -> None:
        waits.append(seconds)

    base = f"http://{api.client.server.host}:{api.client.server.port}{V1}"
    async with aiohttp.ClientSession() as session:
        client = RetryingClient(session, base, OAUTH, sleep=record_wait)
        data = await client.get("/repos?limit=1")
    assert data["ok"] is True and len(data["data"]["repos"]) == 1
    assert waits == [3.0, 3.0, 2.0]  # Retry-After twice, then backoff doubling from 0.5 (0.5 → 1 → 2)
    journal = body_of(await api.call("GET", "/__mockplex/journal", None))["requests"]
    assert [entry["status"] for entry in journal] == [429, 429, 503, 200]


async def test_the_client_gives_up_after_its_attempts(api):
    await api.call("POST", "/__mockplex/faults", None, json_body={"kind": "error", "status": 503})

    async def no_wait(seconds: float) -> None:
        return None

    base = f"http://{api.client.server.host}:{api.client.server.port}{V1}"
    async with aiohttp.ClientSession() as session:
        client = RetryingClient(session, base, OAUTH, attempts=3, sleep=no_wait)
        try:
            await client.get("/repos")
        except aiohttp.ClientResponseError as error:
            assert error.status == 503
        else:
            raise AssertionError("expected the 503 to surface")
