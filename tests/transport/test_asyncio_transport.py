"""The asyncio transport's own contract, as an httpx transport.

`ding._transport._aiohttp.AiohttpTransport` is what every asyncio call goes
through. It must read httpx's pool limits and timeouts as httpx's own
transport reads them, send the request httpx built (its URL as encoded, its
headers and no others), leave redirects to the caller and close whether or
not it was used. Each test drives the transport directly, over a real
socket, against the scripted servers of test_own_pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from ding._config import shared_ssl_context
from ding._transport._aiohttp import AiohttpTransport
from tests.transport.test_own_pool import OK, raw_server

if TYPE_CHECKING:
    from collections.abc import Generator

pytestmark = pytest.mark.anyio

# What httpx.AsyncClient puts in a request's extensions: every phase.
NO_TIMEOUT = {"connect": None, "read": None, "write": None, "pool": None}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def asyncio_transport(limits: httpx.Limits | None = None) -> AiohttpTransport:
    return AiohttpTransport(
        ssl_context=shared_ssl_context(), limits=limits or httpx.Limits()
    )


async def send(transport: AiohttpTransport, request: httpx.Request) -> httpx.Response:
    """Send *request*, read its answer; fail the test after 5 s."""
    response = await asyncio.wait_for(transport.handle_async_request(request), 5)
    await response.aread()
    return response


@pytest.mark.parametrize(("max_connections", "opened"), [(2, 2), (None, 4)])
async def test_it_opens_as_many_connections_as_its_limits_allow(
    max_connections: int | None, opened: int
) -> None:
    # httpx.Limits, read as httpx's own transport reads them: None is no
    # limit. Four requests at once, each answered half a second late.
    with raw_server("slow") as server:
        limits = httpx.Limits(max_connections=max_connections)
        async with httpx.AsyncClient(transport=asyncio_transport(limits)) as client:
            answers = await asyncio.gather(*(client.get(server.url) for _ in range(4)))
    assert [answer.status_code for answer in answers] == [200] * 4
    assert (server.requests, server.connections) == (4, opened)


@pytest.mark.parametrize(
    ("expiry", "idle", "opened"),
    [(0.0, 0.0, 2), (5.0, 0.0, 1), (0.2, 0.6, 2), (None, 0.6, 1)],
)
async def test_it_keeps_an_idle_connection_as_its_limits_say(
    expiry: float | None, idle: float, opened: int
) -> None:
    # keepalive_expiry, as httpx reads it: how long a connection may idle
    # and still be used again, None for ever.
    with raw_server("ok") as server:
        limits = httpx.Limits(keepalive_expiry=expiry)
        async with httpx.AsyncClient(transport=asyncio_transport(limits)) as client:
            await client.get(server.url)
            await asyncio.sleep(idle)
            await client.get(server.url)
    assert (server.requests, server.connections) == (2, opened)


@pytest.mark.parametrize("content", [None, b"{}"])
async def test_it_adds_no_header_of_its_own(content: bytes | None) -> None:
    # It sends the headers of the httpx request and no other (aiohttp would
    # add Accept, Accept-Encoding, Content-Type and User-Agent).
    with raw_server("ok") as server:
        request = httpx.Request("POST", server.url, content=content)
        transport = asyncio_transport()
        await send(transport, request)
        await transport.aclose()
    sent = [line.partition(b":")[0] for line in server.heads[0].split(b"\r\n")[1:]]
    assert sorted(sent) == sorted(name.lower() for name, _ in request.headers.raw)


async def test_it_sends_the_path_as_httpx_encoded_it() -> None:
    # A value the SDK percent-encoded into the path stays encoded: decoded,
    # %3D and %2F would name another path.
    with raw_server("ok") as server:
        url = server.url + "/authentication/a%3Db%2Fc%2B%20d"
        transport = asyncio_transport()
        await send(transport, httpx.Request("GET", url))
        await transport.aclose()
    assert server.request_lines == [b"GET /v1/authentication/a%3Db%2Fc%2B%20d HTTP/1.1"]


async def test_it_leaves_a_redirect_to_the_caller() -> None:
    # The 302 is the answer: whether to follow it is the SDK's rule
    # (ding._pipeline), as with httpx's transport.
    redirect = OK.replace(
        b" 200 OK\r\n", b" 302 Found\r\nlocation: /v1/elsewhere\r\n", 1
    )
    with raw_server("ok") as server:
        server.answers["ok"] = redirect
        transport = asyncio_transport()
        response = await send(transport, httpx.Request("GET", server.url))
        await transport.aclose()
    assert response.status_code == 302
    assert server.request_lines == [b"GET /v1 HTTP/1.1"]


async def test_it_sends_a_request_without_timeouts() -> None:
    # A request httpx.Request() made, not httpx.AsyncClient: no "timeout"
    # extension, so no phase is bounded.
    with raw_server("ok") as server:
        transport = asyncio_transport()
        response = await send(transport, httpx.Request("GET", server.url))
        await transport.aclose()
    assert response.status_code == 200


async def test_the_read_timeout_bounds_the_wait_for_the_answer() -> None:
    with raw_server("silent") as server:
        transport = asyncio_transport()
        request = httpx.Request(
            "GET", server.url, extensions={"timeout": {**NO_TIMEOUT, "read": 0.2}}
        )
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await send(transport, request)
        await transport.aclose()
    assert time.monotonic() - started < 2


@contextlib.contextmanager
def unaccepting_server() -> Generator[str]:
    """The URL of a server whose backlog is full: a connection never completes."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    queued: list[socket.socket] = []
    try:
        for _ in range(4):
            waiting = socket.socket()
            waiting.settimeout(0)
            waiting.connect_ex(("127.0.0.1", port))
            queued.append(waiting)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        for waiting in queued:
            waiting.close()
        listener.close()


async def test_the_connect_timeout_bounds_the_wait_for_a_connection() -> None:
    # ConnectTimeout: nothing was sent, so even a POST may go again.
    with unaccepting_server() as url:
        transport = asyncio_transport()
        request = httpx.Request(
            "POST",
            url,
            content=b"{}",
            extensions={"timeout": {**NO_TIMEOUT, "connect": 0.2}},
        )
        started = time.monotonic()
        with pytest.raises(httpx.ConnectTimeout):
            await send(transport, request)
        await transport.aclose()
    assert time.monotonic() - started < 2


async def test_the_pool_timeout_bounds_the_wait_for_a_free_connection() -> None:
    # One connection, busy half a second: the second request gives up
    # waiting for it, and was never sent.
    with raw_server("slow") as server:
        transport = asyncio_transport(httpx.Limits(max_connections=1))
        first = asyncio.ensure_future(send(transport, httpx.Request("GET", server.url)))
        await asyncio.sleep(0.1)
        request = httpx.Request(
            "POST", server.url, extensions={"timeout": {**NO_TIMEOUT, "pool": 0.1}}
        )
        started = time.monotonic()
        with pytest.raises(httpx.ConnectTimeout):
            await send(transport, request)
        waited = time.monotonic() - started
        assert (await first).status_code == 200
        await transport.aclose()
    assert waited < 0.4
    assert server.requests == 1


async def test_an_answer_closed_before_its_end_closes_its_connection() -> None:
    # The rest of its body would be read as the next answer: the connection
    # is closed, not put back in the pool (here the body stalls after ten
    # of its hundred bytes).
    stalled = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n64\r\n0123456789"
    with raw_server("ok") as server:
        server.answers["ok"] = stalled
        transport = asyncio_transport()
        response = await asyncio.wait_for(
            transport.handle_async_request(httpx.Request("GET", server.url)), 5
        )
        await response.aclose()
        assert await asyncio.to_thread(server.hung_up.acquire, timeout=2)
        await transport.aclose()


@pytest.mark.parametrize("close", ["aclose", "close_now"])
async def test_closing_it_closes_its_connections(close: str) -> None:
    # Awaited (AsyncDing.aclose), or at once on the loop's thread (a client
    # nobody closed: ding._transport._cleanup): the server sees each
    # connection end, without waiting for the pool's idle expiry.
    with raw_server("slow") as server:
        transport = asyncio_transport()
        await asyncio.gather(
            *(send(transport, httpx.Request("GET", server.url)) for _ in range(2))
        )
        assert server.connections == 2
        if close == "aclose":
            await transport.aclose()
        else:
            transport.close_now()
        for _ in range(2):
            assert await asyncio.to_thread(server.hung_up.acquire, timeout=2)


async def test_one_never_used_closes_quietly() -> None:
    transport = asyncio_transport()
    await transport.aclose()
    transport.close_now()
    asyncio_transport().close_now()
