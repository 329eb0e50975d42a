"""The record proxy: forward each request upstream unchanged, stream the answer back as
it arrives, and hand the completed exchange to the recorder.

Upstream faults are reported, not recorded: a refused or reset connection is a 502, a
timeout a 504, each in the shape the path's family uses and with X-Mockplex-Error.
"""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
from aiohttp import web

from mockplex.admin.guard import addressed_here
from mockplex.connection import in_task
from mockplex.origins import OriginRewrite, carries_json, origin_of, rewrite_between
from mockplex.recording.decoding import UndecodableBody, content_coded, decoded_chunks
from mockplex.recording.recorder import Exchange, Recorder
from mockplex.responses import family_error, request_origin
from mockplex.rules.route_match import match_route

log = logging.getLogger("mockplex.record")

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade", "host", "content-length"})
RECORDER = web.AppKey("recorder", Recorder)
UPSTREAM = web.AppKey("upstream", str)
SESSION = web.AppKey("upstream_session", aiohttp.ClientSession)


def fault_response(path: str, status: int, message: str, kind: str) -> web.Response:
    """A proxy fault in the path's family shape, flagged for people and scripts."""
    return family_error(path, status, "SERVICE_UNAVAILABLE", message,
                        {"X-Mockplex-Error": kind, "X-Mockplex-Source": "record"})


async def forward(request: web.Request, recorder: Recorder | None = None,
                  added_headers: dict[str, str] | None = None) -> web.StreamResponse:
    """Forward one request; `added_headers` are mockplex's own, set on the answer."""
    await in_task()
    recorder, upstream = recorder or request.app[RECORDER], request.app[UPSTREAM]
    sequence = recorder.next_sequence()
    body = await request.read()
    upstream_origin, own_origin = origin_of(upstream), request_origin(request)
    # Only a client that called a loopback name or the bound address is the proxy's own
    # origin; a rebinding page's Host must not make its Origin look like the upstream's.
    own_host = addressed_here(request, request.headers.get("Host", ""), "")
    to_upstream = rewrite_between(own_origin if own_host else upstream_origin, upstream_origin)  # else: as sent
    route = match_route(request.method, request.rel_url.raw_path).spec  # the record app has no Flow
    exchange = Exchange(request.method, upstream + request.rel_url.raw_path_qs, request.path,
                        _forwarded_headers(request, to_upstream), body, route_scope=route.scope if route else None)
    started = time.perf_counter()
    try:
        response = await _relay(request, exchange, rewrite_between(upstream_origin, own_origin), added_headers or {})
    except asyncio.TimeoutError:
        if exchange.status:
            return _broken(request, exchange, "timed out mid-answer")
        return _fault(request, exchange, 504, "upstream-timeout", "timed out waiting for an answer")
    except aiohttp.ClientConnectorError as error:
        return _fault(request, exchange, 502, "upstream-unreachable", f"connection failed ({error.os_error})")
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
        if exchange.status:
            return _broken(request, exchange, f"reset mid-answer ({error})")
        return _fault(request, exchange, 502, "upstream-reset", f"connection reset ({error})")
    kept = await recorder.keep_beside_the_loop(sequence, exchange)
    log.info("%-6s %s -> %d upstream %.1fms %s", request.method, request.rel_url.raw_path_qs, exchange.status,
             (time.perf_counter() - started) * 1000, "recorded" if kept else "not recorded")
    return response


def _forwarded_headers(request: web.Request, to_upstream: OriginRewrite) -> dict[str, str]:
    """The request's own headers, as addressed to the upstream: Host is its own (the
    session sets it) and an Origin or Referer naming the proxy names the upstream, so a
    same-origin call stays same-origin there. When aiohttp has already decompressed the
    body, it goes on decompressed, so it must no longer claim a Content-Encoding."""
    decompressed = getattr(request.content, "total_compressed_bytes", None) is not None  # no body: no attribute
    return {str(name): to_upstream.header(name, value) for name, value in request.headers.items()
            if name.lower() not in HOP_BY_HOP and not (decompressed and name.lower() == "content-encoding")}


async def _relay(request: web.Request, exchange: Exchange, to_client: OriginRewrite,
                 added_headers: dict[str, str]) -> web.StreamResponse:
    """Stream the answer back as it comes, naming the proxy where the upstream named
    itself; the cassette keeps the upstream's own words."""
    session = request.app[SESSION]
    async with session.request(exchange.method, exchange.url, headers=exchange.request_headers,
                               data=exchange.request_body or None, allow_redirects=False,
                               skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type")) as upstream:
        exchange.status, exchange.reason = upstream.status, upstream.reason or ""
        for name, value in upstream.headers.items():
            exchange.response_headers.setdefault(str(name), []).append(value)
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
        for name, value in upstream.headers.items():
            if name.lower() not in HOP_BY_HOP:
                response.headers.add(name, to_client.header(name, value))
        response.headers.update(added_headers)
        json_body = carries_json(exchange.header("content-type")) and request.method != "HEAD"
        encoding = exchange.header("content-encoding")
        body = to_client.stream(json_body and not content_coded(encoding))  # a coded stream passes as it came
        if upstream.content_length is not None and "text/event-stream" not in upstream.content_type:
            if json_body:  # its length is known only once rewritten
                whole = _moved_whole(to_client, response, encoding,
                                     b"".join([chunk async for chunk in _received(upstream, exchange)]))
                response.content_length = len(whole)
                await response.prepare(request)
                await response.write(whole)
                await response.write_eof()
                return response
            response.content_length = upstream.content_length
        await response.prepare(request)
        async for chunk in _received(upstream, exchange):
            await response.write(body.feed(chunk))
        await response.write(body.finish())
        await response.write_eof()
        return response


def _moved_whole(to_client: OriginRewrite, response: web.StreamResponse, encoding: str | None,
                 sent: bytes) -> bytes:
    """A whole JSON body with the upstream's origin moved. A coded one that names it goes
    on decoded; any other (or one that does not decode) as it came."""
    try:
        decoded = b"".join(decoded_chunks([sent], encoding))
    except UndecodableBody:
        return sent
    moved = to_client.body(decoded)
    if moved == decoded:
        return sent
    response.headers.popall("Content-Encoding", None)
    return moved


async def _received(upstream: aiohttp.ClientResponse, exchange: Exchange):
    """The upstream's chunks as they arrive, each kept in the exchange with its delay."""
    last = time.perf_counter()
    async for chunk in upstream.content.iter_any():
        now = time.perf_counter()
        exchange.chunks.append((chunk, (now - last) * 1000))
        last = now
        yield chunk


def _broken(request: web.Request, exchange: Exchange, cause: str) -> web.StreamResponse:
    """The answer had begun: end the client's connection too, so it sees a broken answer,
    and record nothing."""
    log.warning("%-6s %s -> upstream %s; not recorded", request.method, request.rel_url.raw_path_qs, cause)
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=exchange.status)


def _fault(request: web.Request, exchange: Exchange, status: int, kind: str, cause: str) -> web.Response:
    upstream = request.app[UPSTREAM]
    message = f"mockplex could not get an answer from the upstream {upstream}: {cause}"
    log.warning("%-6s %s -> %d %s (%s); not recorded", request.method, request.rel_url.raw_path_qs, status, kind, cause)
    return fault_response(request.path, status, message, kind)


