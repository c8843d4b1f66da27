"""The SDK's own pool, on each transport it chooses, against a misbehaving server.

On asyncio the pool sends through aiohttp (`ding._transport._aiohttp`), on trio through
httpx's transport: every test here runs on both backends, so on both
transports, over real sockets. Each failure must map to the same error, be
retried (or not) by the same rules, and never show the key. (The rest of
the suite runs on every transport through the `client` and `connect`
fixtures of conftest.py, against a stub that answers well or as scripted.)
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import importlib.metadata
import logging
import re
import socket
import ssl
import struct
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import httpx
import pytest

import ding
from ding._config import shared_ssl_context
from ding._pipeline._send import _wire_headers
from ding._transport._aiohttp import AiohttpTransport, _Handler, _header_items
from ding._transport._httpcore import HttpcoreTransport
from tests._stub import CUSTOMER_UUID, StubDing
from tests.conftest import pytest_generate_tests

if TYPE_CHECKING:
    from collections.abc import Generator

pytestmark = pytest.mark.anyio

SECRET = "sk_live_transport_0123456789"  # noqa: S105 - a fake key to hunt for
BODY = (
    b'{"authentication_uuid":"b96e4807-1510-4bd2-8106-8ca1a09d679e","status":"pending"}'
)
OK = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)
GZIPPED = gzip.compress(BODY, mtime=0)
# What the server does with each request it reads.
ANSWERS = {
    "ok": OK,
    # Closes the connection without a word.
    "drop": b"",
    # Not HTTP at all.
    "garbage": b"SMTP ready\r\n\r\n",
    # The same answer, chunked, then gzip-encoded.
    "chunked": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
    + f"{len(BODY) - 10:x}".encode()
    + b"\r\n"
    + BODY[:-10]
    + b"\r\na\r\n"
    + BODY[-10:]
    + b"\r\n0\r\n\r\n",
    "gzip": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b"content-encoding: gzip\r\ncontent-length: "
    + str(len(GZIPPED)).encode()
    + b"\r\n\r\n"
    + GZIPPED,
    # The ok answer, announcing that the server closes an idle connection
    # after a second.
    "keep-alive": OK.replace(b"\r\n", b"\r\nkeep-alive: timeout=1\r\n", 1),
    # The ok answer with a cookie.
    "cookie": OK.replace(b"\r\n", b"\r\nset-cookie: session=s1; Path=/\r\n", 1),
    # Promises 100 bytes, sends 10, closes.
    "half": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b"content-length: 100\r\n\r\n0123456789",
    # Chunked (so read as it streams in), closed in the middle of a chunk.
    "chunked-half": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b"transfer-encoding: chunked\r\n\r\n64\r\n0123456789",
    # The ok answer with a reason phrase of the server's own, then with none.
    "reason": OK.replace(b" 200 OK\r\n", b" 200 Fine by me\r\n", 1),
    "no-reason": OK.replace(b" 200 OK\r\n", b" 200 \r\n", 1),
}
# The answers after which the server waits for the next request.
KEPT_OPEN = frozenset(
    {"ok", "chunked", "gzip", "keep-alive", "cookie", "reason", "no-reason"}
)


#: The name of the scripted servers' threads.
SERVER_THREAD = "raw-server"


class RawServer:
    """A TCP server that answers every request the same scripted way."""

    def __init__(self, behaviour: str, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour = behaviour
        self.tls = tls
        # What it answers, by behaviour; a test may script its own.
        self.answers = dict(ANSWERS)
        self.requests = 0
        self.connections = 0
        # Connections the client closed (between requests).
        self.hung_up = threading.Semaphore(0)
        self.request_lines: list[bytes] = []
        self.heads: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.stop = threading.Event()
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(
                target=self.serve, args=(conn,), name=SERVER_THREAD, daemon=True
            ).start()

    def serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):  # a refused TLS handshake among them
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.answer(conn)

    def answer(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while not self.stop.is_set():
                request, buffer = read_request(conn, buffer)
                if request is None:
                    self.hung_up.release()
                    return
                self.requests += 1
                self.request_lines.append(request.split(b"\r\n", 1)[0])
                self.heads.append(request.partition(b"\r\n\r\n")[0].lower())
                if self.behaviour == "silent":
                    self.stop.wait(10)
                    return
                if self.behaviour == "reset":
                    # Closed with a reset (RST) instead of a polite FIN.
                    conn.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    return
                if self.behaviour == "slow":
                    # The ok answer, half a second late.
                    self.stop.wait(0.5)
                    conn.sendall(OK)
                    continue
                if self.behaviour == "one-per-connection":
                    # Keeps the connection open after answering, then closes
                    # it on the next request, unanswered: what a server does
                    # that dropped an idle connection as the request came.
                    conn.sendall(OK)
                    if read_request(conn, buffer)[0] is not None:
                        self.requests += 1
                    return
                conn.sendall(self.answers[self.behaviour])
                if self.behaviour not in KEPT_OPEN:
                    return


def read_request(conn: socket.socket, buffer: bytes) -> tuple[bytes | None, bytes]:
    """Read one request (head and body); return it and what follows it."""
    while b"\r\n\r\n" not in buffer:
        data = conn.recv(65536)
        if not data:
            return None, b""
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        rest += conn.recv(65536)
    return head + rest[:length], rest[length:]


@contextlib.contextmanager
def raw_server(
    behaviour: str, tls: ssl.SSLContext | None = None
) -> Generator[RawServer]:
    server = RawServer(behaviour, tls)
    threading.Thread(target=server.accept, name=SERVER_THREAD, daemon=True).start()
    try:
        yield server
    finally:
        server.stop.set()
        server.sock.close()


def make_client(url: str, **kwargs: object) -> ding.AsyncDing:
    return ding.AsyncDing(
        api_key=SECRET,
        server_url=url,
        customer_uuid=CUSTOMER_UUID,
        retry_config=ding.RetryConfig(
            "backoff",
            ding.BackoffStrategy(1, 5, 2, 5_000),
            retry_connection_errors=True,
        ),
        **kwargs,  # type: ignore[arg-type]
    )


def assert_no_key(info: pytest.ExceptionInfo[BaseException]) -> None:
    rendered = str(info.getrepr(showlocals=True, style="long", chain=True))
    assert SECRET not in rendered
    assert SECRET not in str(info.value) + repr(info.value)


async def test_the_pool_chooses_the_transport_of_the_backend(
    anyio_backend: str,
) -> None:
    with raw_server("ok") as server:
        async with make_client(server.url) as client:
            res = await client.otp.create_authentication(phone_number="+14155550123")
            assert res.status_code == 200
            http = client._pipeline.pool.client
            assert http is not None
            transport = http._transport
    expected = AiohttpTransport if anyio_backend == "asyncio" else HttpcoreTransport
    assert type(transport) is expected
    assert res.raw_response is not None
    assert res.raw_response.request.headers["x-api-key"] == "[redacted]"


async def test_the_own_pool_opens_at_most_100_connections(anyio_backend: str) -> None:
    # aiohttp's connector on asyncio keeps idle connections 4 s; httpx's pool
    # on trio keeps 20 of them 4 s; a queue of 100 slots is in front of both.
    with raw_server("ok") as server:
        async with make_client(server.url) as client:
            await client.otp.create_authentication(phone_number="+14155550123")
            pool = client._pipeline.pool
            lane = pool.get()
            assert lane is not None
            queue = lane.queue
            assert queue is not None
            assert queue.size == 100
            assert pool.client is not None
            transport = pool.client._transport
            if anyio_backend == "asyncio":
                assert isinstance(transport, AiohttpTransport)
                assert transport._session is not None
                connector = transport._session.connector
                assert connector is not None
                assert (connector.limit, connector.limit_per_host) == (100, 0)
                assert connector._keepalive_timeout == 4.0  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
            else:
                assert isinstance(transport, httpx.AsyncHTTPTransport)
                limits = (
                    transport._pool._max_connections,
                    transport._pool._max_keepalive_connections,
                    transport._pool._keepalive_expiry,
                )
                assert limits == (100, 20, 4.0)


async def test_every_client_the_sdk_makes_shares_one_tls_context(
    anyio_backend: str,
) -> None:
    # Building one loads the CA bundle, tens of milliseconds: built once.
    contexts: list[object] = []
    with raw_server("ok") as server:
        for _ in range(2):
            async with make_client(server.url) as client:
                await client.otp.create_authentication(phone_number="+14155550123")
                assert client._pipeline.pool.client is not None
                transport = client._pipeline.pool.client._transport
                if anyio_backend == "asyncio":
                    assert isinstance(transport, AiohttpTransport)
                    contexts.append(transport._ssl)
                else:
                    assert isinstance(transport, httpx.AsyncHTTPTransport)
                    contexts.append(transport._pool._ssl_context)
    assert contexts == [shared_ssl_context()] * 2


class _Definition:
    """What `pytest_generate_tests` reads of a test's definition."""

    nodeid = "tests/test_x.py::test_x"

    def __init__(self, *marks: pytest.MarkDecorator) -> None:
        self.marks = [m.mark for m in marks]

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return next((m for m in self.marks if m.name == name), None)

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.marks.append(marker.mark)


class _Metafunc:
    fixturenames = ("client", "connect", "transport")

    def __init__(self, *marks: pytest.MarkDecorator) -> None:
        self.definition = _Definition(*marks)


def _transports_of(*marks: pytest.MarkDecorator) -> list[str]:
    metafunc = _Metafunc(*marks)
    pytest_generate_tests(metafunc)  # type: ignore[arg-type]
    parametrize = metafunc.definition.get_closest_marker("parametrize")
    assert parametrize is not None
    return list(parametrize.kwargs["ids"])


def test_every_test_of_connect_runs_on_the_five_transports() -> None:
    # A test that uses `client` or `connect` (hence `transport`) runs once
    # per transport; one marked in_process_only on the in-process ones.
    assert _transports_of() == [
        "asyncio-mock",
        "trio-mock",
        "asyncio-aiohttp",
        "trio-httpcore",
        "asyncio-httpx",
    ]
    only = pytest.mark.in_process_only(reason="a connect error on demand")
    assert _transports_of(only) == ["asyncio-mock", "trio-mock"]


def test_in_process_only_needs_a_reason() -> None:
    with pytest.raises(pytest.UsageError, match="in_process_only needs a reason="):
        _transports_of(pytest.mark.in_process_only)


async def test_the_own_pool_keeps_no_cookies() -> None:
    # Neither of the SDK's own transports sends back a cookie the server set
    # (httpx's direct path never did; aiohttp's session would have).
    with raw_server("cookie") as server:
        # A host name: aiohttp's cookie jar ignores cookies from IP addresses.
        async with make_client(server.url.replace("127.0.0.1", "localhost")) as client:
            for _ in range(2):
                await client.otp.create_authentication(phone_number="+14155550123")
    assert len(server.heads) == 2
    assert all(b"\r\ncookie:" not in head for head in server.heads)


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "all_proxy"])
async def test_a_proxy_from_the_environment_is_used_on_every_backend(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    # httpx applies HTTP_PROXY and the like only with its own transport: the
    # SDK's own pool must not bypass a proxy the environment names.
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with raw_server("ok") as proxy:
        monkeypatch.setenv(variable, proxy.url.removesuffix("/v1"))
        async with make_client(
            "http://ding-api.invalid/v1", allow_insecure_http=True
        ) as client:
            res = await client.otp.create_authentication(phone_number="+14155550123")
    assert res.status_code == 200
    assert proxy.request_lines == [
        b"POST http://ding-api.invalid/v1/authentication HTTP/1.1"
    ]


async def test_an_https_proxy_from_the_environment_is_used_on_every_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The proxy is asked for a tunnel; this one cannot give a working one,
    # which fails the call, but the tunnel was asked of it.
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with raw_server("ok") as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url.removesuffix("/v1"))
        async with ding.AsyncDing(
            api_key=SECRET,
            server_url="https://ding-api.invalid/v1",
            customer_uuid=CUSTOMER_UUID,
            max_retries=0,
            timeout=0.5,  # this proxy never answers the TLS handshake
        ) as client:
            with pytest.raises(ding.APIConnectionError):
                await client.otp.create_authentication(phone_number="+14155550123")
    assert proxy.request_lines[:1] == [b"CONNECT ding-api.invalid:443 HTTP/1.1"]


@pytest.mark.parametrize("behaviour", ["ok", "chunked", "gzip"])
async def test_the_answer_is_read_as_httpx_reads_it(behaviour: str) -> None:
    # However the transport reads the body, the response is left as
    # httpx.Response.aread() leaves one read from the wire.
    head = ANSWERS[behaviour].partition(b"\r\n\r\n")[0]
    expected = httpx.Response(
        200,
        headers=[
            (name, value)
            for name, _, value in (
                line.partition(b": ") for line in head.split(b"\r\n")[1:]
            )
        ],
        stream=httpx.ByteStream(GZIPPED if behaviour == "gzip" else BODY),
    )
    await expected.aread()
    with raw_server(behaviour) as server:
        async with make_client(server.url) as client:
            for _ in range(2):  # a fresh connection, then a kept-alive one
                res = await client.otp.create_authentication(
                    phone_number="+14155550123"
                )
                raw = res.raw_response
                assert raw is not None
                assert res.create_authentication_response is not None
                assert raw.headers.raw == expected.headers.raw
                assert raw.content == expected.content == BODY
                assert raw.text == expected.text
                assert raw.json() == expected.json()
                assert raw.num_bytes_downloaded == expected.num_bytes_downloaded
                assert raw.is_closed
                assert raw.is_stream_consumed
                assert raw.http_version == "HTTP/1.1"
                assert raw.reason_phrase == "OK"
                assert await raw.aread() == BODY
                await raw.aclose()
                with pytest.raises(httpx.StreamConsumed):
                    async for _ in raw.aiter_raw():
                        pass
        assert server.requests == 2


@pytest.mark.parametrize("behaviour", ["reason", "no-reason"])
async def test_the_reason_phrase_is_the_servers(behaviour: str) -> None:
    # raw_response shows the status line as the server wrote it, whichever
    # transport read it: its own reason phrase, or none.
    with raw_server(behaviour) as server:
        async with make_client(server.url) as client:
            res = await client.otp.create_authentication(phone_number="+14155550123")
    assert res.raw_response is not None
    phrase = "Fine by me" if behaviour == "reason" else ""
    assert res.raw_response.reason_phrase == phrase
    assert res.raw_response.http_version == "HTTP/1.1"


BROKEN_ANSWERS = ["drop", "garbage", "half", "chunked-half"]


@pytest.mark.parametrize("behaviour", BROKEN_ANSWERS)
async def test_a_post_that_may_have_arrived_is_not_retried(behaviour: str) -> None:
    with raw_server(behaviour) as server:
        async with make_client(server.url, max_retries=3) as client:
            with pytest.raises(ding.APIConnectionError) as info:
                await client.otp.create_authentication(phone_number="+14155550123")
        assert server.requests == 1
    assert not isinstance(info.value, ding.APITimeoutError)
    cause = info.value.__cause__
    assert isinstance(cause, httpx.TransportError)
    assert not isinstance(cause, httpx.ConnectError)
    # httpx's contract: a transport's error carries the request it failed on.
    assert info.value.request is not None
    assert cause.request.url == info.value.request.url
    assert_no_key(info)


@pytest.mark.parametrize(
    ("behaviour", "said"),
    [
        ("drop", "Server disconnected without sending a response"),
        ("garbage", "(?i)status line"),
        ("half", "complete"),
        ("chunked-half", "complete"),
    ],
)
async def test_a_broken_answer_says_what_broke(behaviour: str, said: str) -> None:
    # In the transport's own words, the same for a closed connection.
    with raw_server(behaviour) as server:
        async with make_client(server.url, max_retries=0) as client:
            with pytest.raises(ding.APIConnectionError, match=said):
                await client.otp.create_authentication(phone_number="+14155550123")


async def test_a_post_lost_on_a_kept_alive_connection_goes_again_on_a_new_one() -> None:
    # The server closed the reused connection on reading the request, before
    # a byte of answer: nothing was done, and the one resend (not a retry)
    # goes on a new connection, which answers.
    with raw_server("one-per-connection") as server:
        async with make_client(server.url, max_retries=0) as client:
            for _ in range(2):
                res = await client.otp.create_authentication(
                    phone_number="+14155550123"
                )
                assert res.create_authentication_response is not None
        # The first call, the second one lost, then sent again.
        assert server.requests == 3


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_asyncio_transport_tracks_what_the_reuse_rules_read() -> None:
    # `ding._transport._reuse.Tracked`: the bytes a connection received, and
    # whether its peer closed or reset it (not when it is new, nor when it
    # was closed from this side). A POST is sent again only on that word.
    loop = asyncio.get_running_loop()
    fresh = _Handler(loop)
    assert (fresh.received, fresh.requests, fresh.peer_closed) == (0, 0, False)
    fresh.data_received(b"HTTP/1.1")
    fresh.data_received(b" 200")
    assert fresh.received == 12
    ours = _Handler(loop)
    ours.connection_lost(None)
    assert ours.peer_closed is False
    ended = _Handler(loop)
    ended.eof_received()
    assert ended.peer_closed is True
    reset = _Handler(loop)
    reset.connection_lost(ConnectionResetError())
    assert reset.peer_closed is True


async def test_a_connection_is_not_used_past_the_keep_alive_the_server_announced() -> (
    None
):
    # "Keep-Alive: timeout=1": the server may close the connection a second
    # after an answer. The pool sends on it for 0.75 s only
    # (ding._transport._reuse), not its own 4 s: the first two calls share
    # a connection, the one after a pause of a second takes a new one.
    with raw_server("keep-alive") as server:
        async with make_client(server.url) as client:
            for pause in (0.0, 0.0, 1.0):
                await anyio.sleep(pause)
                await client.otp.create_authentication(phone_number="+14155550123")
    assert (server.requests, server.connections) == (3, 2)


@pytest.mark.parametrize("behaviour", BROKEN_ANSWERS)
async def test_a_get_is_retried_after_a_broken_answer(behaviour: str) -> None:
    with raw_server(behaviour) as server:
        async with make_client(server.url, max_retries=2) as client:
            with pytest.raises(ding.APIConnectionError) as info:
                await client.lookup.lookup("+14155550123")
        # The first attempt and two retries: the transport adds none.
        assert server.requests == 3
    assert_no_key(info)


async def test_a_silent_server_times_out() -> None:
    with raw_server("silent") as server:
        async with make_client(server.url, max_retries=3, timeout=0.3) as client:
            started = time.monotonic()
            with pytest.raises(ding.APITimeoutError) as info:
                await client.otp.check(authentication_uuid="a", check_code="1")
            elapsed = time.monotonic() - started
        assert server.requests == 1
    assert elapsed < 3
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert_no_key(info)


async def test_a_refused_connection_is_retried_even_for_a_post(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{placeholder.getsockname()[1]}/v1"
        # Bound, never listening: every connection attempt is refused.
        with caplog.at_level(logging.DEBUG, logger="ding"):
            async with make_client(url, max_retries=2) as client:
                with pytest.raises(ding.APIConnectionError) as info:
                    await client.otp.create_authentication(phone_number="+14155550123")
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    retries = [
        r.getMessage().split("; ")[1].split(" in ")[0]
        for r in caplog.records
        if r.levelno == logging.DEBUG  # the INFO lines are one per attempt
    ]
    assert retries == ["retry 1", "retry 2"]
    assert_no_key(info)


@pytest.mark.parametrize("injected", [False, True], ids=["own", "injected"])
async def test_a_refused_connection_names_the_host_and_port(injected: bool) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
        async with (
            httpx.AsyncClient() as http,
            make_client(
                f"http://127.0.0.1:{port}/v1",
                max_retries=0,
                client=http if injected else None,
            ) as client,
        ):
            with pytest.raises(ding.APIConnectionError) as info:
                await client.otp.create_authentication(phone_number="+14155550123")
    # The SDK's words, the same on each transport, then the transport's.
    assert str(info.value).startswith(
        f"POST /v1/authentication: cannot connect to 127.0.0.1:{port}: ConnectError: "
    )
    assert_no_key(info)


@pytest.mark.parametrize("injected", [False, True], ids=["own", "injected"])
async def test_a_reset_connection_has_a_detail(injected: bool) -> None:
    # httpcore on asyncio raises a ReadError without words for a reset.
    with raw_server("reset") as server:
        async with (
            httpx.AsyncClient() as http,
            make_client(
                server.url, max_retries=0, client=http if injected else None
            ) as client,
        ):
            with pytest.raises(ding.APIConnectionError) as info:
                await client.otp.create_authentication(phone_number="+14155550123")
    port = server.url.removesuffix("/v1").rsplit(":", 1)[1]
    message = str(info.value)
    assert message.startswith(
        f"POST /v1/authentication: the connection to 127.0.0.1:{port} broke "
        "while reading the answer: ReadError: "
    )
    assert message.endswith("Connection reset by peer")
    assert_no_key(info)


async def test_the_own_pool_sends_what_an_injected_client_sends(
    tcp_stub: tuple[StubDing, str],
) -> None:
    # The SDK's own client sends straight through its transport; a client of
    # the caller's goes through httpx.AsyncClient. The wire must not differ.
    stub, url = tcp_stub
    seen: list[dict[str, str]] = []
    async with httpx.AsyncClient() as injected:
        for client in (
            make_client(url),
            make_client(url, client=injected),
        ):
            async with client:
                await client.otp.check(authentication_uuid="a", check_code="1")
                await client.lookup.lookup("+14155550123", type_="cnam")
            seen.extend(
                {"url": str(request.url), **dict(request.headers)}
                for request in stub.requests[-2:]
            )
    direct, through_client = seen[:2], seen[2:]
    assert direct == through_client
    assert direct[0]["x-api-key"] == SECRET
    assert direct[1]["url"].endswith("/lookup/%2B14155550123?type=cnam")


def test_sniffio_is_a_dependency_so_httpcore_never_searches_for_it() -> None:
    # httpx's own transport (trio, and any injected client) runs through
    # httpcore, which imports sniffio for every lock and event it creates and
    # does not cache a failed import: without sniffio installed, each request
    # pays several failed module searches. anyio no longer installs it, and
    # trio (which does) is not a dependency of ding, so ding must.
    requirements = importlib.metadata.requires("ding") or []
    installed_always = {
        re.split(r"[\s<>=!~;\[]", line, maxsplit=1)[0].lower()
        for line in requirements
        if "extra ==" not in line
    }
    assert "sniffio" in installed_always


@pytest.mark.parametrize(
    ("method", "url", "params", "fields", "content"),
    [
        ("POST", "https://api.example/v1/check", None, {"accept": "a"}, b'{"a":1}'),
        ("POST", "http://127.0.0.1:8080/v1/x", None, {"a": "1", "B": "2"}, b"{}"),
        ("POST", "https://api.example/v1/x", None, {"a": "1"}, b""),
        ("POST", "https://api.example/v1/x", None, {"a": "1"}, None),
        ("GET", "https://api.example/v1/x", {"type": "cnam"}, {"a": "1"}, None),
        ("GET", "https://api.example:444/v1/x", None, {}, None),
        ("POST", "https://api.example/v1/x", None, {"HOST": "h", "a": "1"}, b"{}"),
        ("POST", "https://api.example/v1/x", None, {"content-length": "2"}, b"{}"),
        ("POST", "https://api.example/v1/x", None, {"Transfer-Encoding": "x"}, b""),
        ("POST", "https://api.example/v1/x", None, {"host": "h"}, None),
    ],
)
def test_the_direct_request_has_the_headers_httpx_gives_it(
    method: str,
    url: str,
    params: dict[str, str] | None,
    fields: dict[str, str],
    content: bytes | None,
) -> None:
    # The SDK's own pool builds its requests without httpx's header
    # handling; the headers must come out as httpx would have made them.
    expected = httpx.Request(
        method, url, params=params, headers=fields, content=content
    )
    request = httpx.Request(
        method, url, params=params, stream=httpx.ByteStream(content or b"")
    )
    assert _wire_headers(request, fields, content).raw == expected.headers.raw


@pytest.mark.parametrize(
    "default_headers",
    [
        None,
        {"X-Trace": "1", "Accept": "text/plain"},
        {"host": "elsewhere.example"},
        {"Host": "elsewhere.example", "X-Trace": "1"},
        {"x-api-key": "other"},
    ],
)
@pytest.mark.parametrize("server_url", ["https://api.example/v1", "http://[::1]:81"])
def test_the_cached_json_headers_are_the_full_ones(
    default_headers: dict[str, str] | None, server_url: str
) -> None:
    client = ding.AsyncDing(
        api_key=SECRET, server_url=server_url, default_headers=default_headers
    )
    pipeline = client._pipeline
    for content in (b'{"a":1}', b"{}" * 50, b'{"a":1}'):  # the second from the cache
        expected = httpx.Request(
            "POST",
            server_url + "/check",
            headers=pipeline.headers(None, None, json=True, direct=True),
            content=content,
        )
        request = httpx.Request(
            "POST", server_url + "/check", stream=httpx.ByteStream(content)
        )
        assert pipeline._json_headers(request, content).raw == expected.headers.raw


@pytest.mark.parametrize(
    "headers",
    [
        httpx.Headers([("Host", "h"), ("X-A", "1"), ("x-a", "2"), ("B", "")]),
        httpx.Headers([(b"X-Latin", "caf\u00e9".encode("latin-1")), (b"Y", b"1")]),
        httpx.Headers([(b"X-Utf8", "caf\u00e9".encode()), (b"Y", b"1")]),
    ],
)
def test_the_transport_sends_the_headers_multi_items_gives(
    headers: httpx.Headers,
) -> None:
    assert _header_items(headers) == headers.multi_items()


@pytest.mark.anyio
async def test_the_pool_keys_its_client_on_the_running_loop() -> None:
    # The pool replaces its client when the loop changes: the loop it sees
    # must be the one anyio sees, on asyncio and on trio.
    import anyio.lowlevel  # noqa: PLC0415

    from ding._transport._pool import running_loop  # noqa: PLC0415

    assert running_loop() is anyio.lowlevel.current_token().native_token


# A CA and a certificate it signed for 127.0.0.1, valid until 2126, made
# for these tests with openssl (the CA's key was not kept).
TLS = Path(__file__).resolve().parents[1] / "tls"


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "untrusted"])
async def test_https_is_verified_against_the_ca_httpx_would_use_on_every_backend(
    monkeypatch: pytest.MonkeyPatch, trusted: bool
) -> None:
    # SSL_CERT_FILE names the CAs to trust, as it does for httpx; a server
    # whose certificate none of them signed is refused, never sent the key.
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(TLS / "server.pem", TLS / "server.key")
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    if trusted:
        monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "ca.pem"))
    else:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    shared_ssl_context.cache_clear()  # built anew, from this environment
    try:
        with raw_server("ok", server_tls) as server:
            async with make_client(server.url) as client:
                if trusted:
                    res = await client.otp.create_authentication(
                        phone_number="+14155550123"
                    )
                    assert res.status_code == 200
                else:
                    with pytest.raises(ding.APIConnectionError) as info:
                        await client.otp.create_authentication(
                            phone_number="+14155550123"
                        )
                    assert "certificate" in str(info.value).lower()
                    assert_no_key(info)
        assert server.requests == (1 if trusted else 0)
    finally:
        shared_ssl_context.cache_clear()
