"""The HTTP/1.1 server for ASGI apps behind ``FakeDing.serve()``: real sockets."""

from __future__ import annotations

import contextlib
import errno
import functools
import gc
import json
import logging
import math
import os
import resource
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import anyio
import h11
import httpx
import pytest

from ding._errors import DingError, UsageError
from ding.testing import FakeDing
from ding.testing import _server_thread as server_thread
from ding.testing._keepalive import seconds_text
from ding.testing._server import (
    MAX_BODY_SIZE,
    ConnectionDropped,
    _log_request,  # pyright: ignore[reportPrivateUsage]
    serve,
)
from ding.testing._server_thread import ServerThread

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from ding.testing._server import ASGIApp, Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


async def _read_body(receive: Receive) -> tuple[bytes, list[bool]]:
    body = b""
    more: list[bool] = []
    while True:
        message = await receive()
        assert message["type"] == "http.request"
        body += message.get("body", b"")
        more.append(bool(message.get("more_body", False)))
        if not more[-1]:
            return body, more


async def _respond(
    send: Send, status: int, body: bytes, *, length: bool = True
) -> None:
    headers = [(b"content-type", b"application/json")]
    if length:
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: C901
    """Answer with what the server told the app; a few paths misbehave."""
    assert scope["type"] == "http"
    path = scope["path"]
    if path == "/drop-before":
        raise ConnectionDropped
    body, more = await _read_body(receive)
    if path == "/drop-mid":
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"100")],
            }
        )
        await send({"type": "http.response.body", "body": b"x" * 10, "more_body": True})
        raise ConnectionDropped(mid_response=True)
    if path == "/drop-after-start":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ConnectionDropped(mid_response=True)
    if path == "/boom":
        raise RuntimeError("boom")
    if path == "/boom-after-start":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("boom")
    if path == "/boom-mid":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send(
            {"type": "http.response.body", "body": b"partial", "more_body": True}
        )
        raise RuntimeError("boom")
    if path == "/silent":
        return
    if path == "/sleep":
        await anyio.sleep(3600)
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/wait":
        # Nothing comes after the body while the client stays: receive() waits.
        with anyio.move_on_after(0.3) as scope_:
            await receive()
        await _respond(send, 200, json.dumps({"waited": scope_.cancel_called}).encode())
        return
    info: dict[str, Any] = {
        "type": scope["type"],
        "asgi": scope["asgi"],
        "http_version": scope["http_version"],
        "method": scope["method"],
        "scheme": scope["scheme"],
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "query_string": scope["query_string"].decode("latin-1"),
        "root_path": scope["root_path"],
        "headers": [
            [k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]
        ],
        "client": list(scope["client"]),
        "server": list(scope["server"]),
        "body": body.decode("latin-1"),
        "more_body": more,
    }
    await _respond(send, 200, json.dumps(info).encode())


@contextlib.asynccontextmanager
async def running(app: ASGIApp = echo_app, **options: Any) -> AsyncGenerator[str]:
    """Serve *app* in the current event loop; yield the base URL."""
    async with anyio.create_task_group() as tg:
        url: str = await tg.start(functools.partial(serve, app, **options))
        yield url
        tg.cancel_scope.cancel()


@contextlib.asynccontextmanager
async def connect(url: str) -> AsyncGenerator[anyio.abc.SocketStream]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    async with await anyio.connect_tcp(parts.hostname, parts.port) as stream:
        yield stream


async def read_all(stream: anyio.abc.SocketStream) -> bytes:
    """Read until the server closes the connection."""
    chunks: list[bytes] = []
    with anyio.fail_after(5), contextlib.suppress(anyio.BrokenResourceError):
        async for chunk in stream:  # until EndOfStream
            chunks.append(chunk)  # noqa: PERF401
    return b"".join(chunks)


async def read_until(stream: anyio.abc.SocketStream, marker: bytes) -> bytes:
    data = b""
    with anyio.fail_after(5):
        while marker not in data:
            data += await stream.receive()
    return data


async def raw_exchange(url: str, data: bytes) -> bytes:
    async with connect(url) as stream:
        await stream.send(data)
        return await read_all(stream)


# --- requests and responses ---------------------------------------------------


async def test_get_reports_the_scope() -> None:
    async with running() as url, httpx.AsyncClient() as client:
        response = await client.get(url + "/v1/thing", headers={"X-Custom": "Value"})
    assert response.status_code == 200
    assert response.reason_phrase == "OK"
    info = response.json()
    port = urlsplit(url).port
    assert url == f"http://127.0.0.1:{port}"
    assert info["type"] == "http"
    assert info["asgi"]["version"] == "3.0"
    assert info["http_version"] == "1.1"
    assert info["method"] == "GET"
    assert info["scheme"] == "http"
    assert info["path"] == "/v1/thing"
    assert info["raw_path"] == "/v1/thing"
    assert info["query_string"] == ""
    assert info["root_path"] == ""
    assert ["x-custom", "Value"] in info["headers"]
    assert all(name == name.lower() for name, _ in info["headers"])
    assert info["client"][0] == "127.0.0.1"
    assert info["server"] == ["127.0.0.1", port]
    assert info["body"] == ""
    assert info["more_body"] == [False]


async def test_post_body_roundtrip() -> None:
    payload = json.dumps({"phone_number": "+33612345678", "pad": "é" * 1000})
    async with running() as url, httpx.AsyncClient() as client:
        response = await client.post(url + "/v1/authentication", content=payload)
    info = response.json()
    assert info["method"] == "POST"
    assert info["body"].encode("latin-1").decode() == payload
    assert ["content-length", str(len(payload.encode()))] in info["headers"]


async def test_keep_alive_reuses_one_connection() -> None:
    async with running() as url, httpx.AsyncClient() as client:
        ports: set[int] = set()
        for i in range(5):
            response = await client.post(url + "/", content=f"request {i}")
            assert response.json()["body"] == f"request {i}"
            ports.add(response.json()["client"][1])
    assert len(ports) == 1


async def test_chunked_request_body() -> None:
    async def parts() -> AsyncIterator[bytes]:
        for i in range(5):
            yield f"part{i};".encode()

    async with running() as url, httpx.AsyncClient() as client:
        response = await client.post(url + "/", content=parts())
    info = response.json()
    assert ["transfer-encoding", "chunked"] in info["headers"]
    assert info["body"] == "part0;part1;part2;part3;part4;"
    assert info["more_body"] == [False]


async def test_path_is_decoded_and_raw_path_is_not() -> None:
    async with running() as url, httpx.AsyncClient() as client:
        response = await client.get(url + "/v1/a%2Bb/c%20d?x=1&y=%2B")
    info = response.json()
    assert info["path"] == "/v1/a+b/c d"
    assert info["raw_path"] == "/v1/a%2Bb/c%20d"
    assert info["query_string"] == "x=1&y=%2B"


async def test_the_request_log_cannot_be_forged_with_a_line_break(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="ding.testing"):
        async with running() as url, httpx.AsyncClient() as client:
            await client.get(url + "/v1/a%0D%0AGET%20/forged%20200?q=%2B1%09")
    assert [r.getMessage().rsplit(" ", 2)[0] for r in caplog.records] == [
        "GET /v1/a\\x0d\\x0aGET /forged 200?q=+1\\x09 200"
    ]


def test_the_request_log_gives_the_time_taken_in_ms(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The line ends with how long the request took, in milliseconds.
    request = h11.Request(method="POST", target="/v1/check", headers=[("Host", "a")])
    monkeypatch.setattr(time, "perf_counter", lambda: 12.5)
    with caplog.at_level(logging.INFO, logger="ding.testing"):
        _log_request(request, cast("Any", None), 12.25, "200")
    assert [r.getMessage() for r in caplog.records] == ["POST /v1/check 200 250.0 ms"]


async def test_response_without_content_length_is_chunked() -> None:
    async with running() as url, httpx.AsyncClient() as client:
        response = await client.get(url + "/stream")
        again = await client.get(url + "/")
    assert response.status_code == 200
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.text == "one,two,three"
    assert again.status_code == 200


async def test_a_body_message_without_a_body_is_an_empty_one() -> None:
    # ASGI: "body" defaults to b"" and "more_body" to False.
    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
        await _read_body(receive)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok", "more_body": True})
        await send({"type": "http.response.body"})

    async with running(app) as url, httpx.AsyncClient() as client:
        response = await client.get(url + "/")
    assert response.text == "ok"


async def test_head_response_has_no_body() -> None:
    async with running() as url, httpx.AsyncClient() as client:
        response = await client.head(url + "/")
        again = await client.get(url + "/")
    assert response.status_code == 200
    assert int(response.headers["content-length"]) > 0
    assert response.content == b""
    assert again.json()["method"] == "GET"


async def test_connection_close_closes_after_the_response() -> None:
    async with running() as url, httpx.AsyncClient() as client:
        first = await client.get(url + "/", headers={"Connection": "close"})
        second = await client.get(url + "/")
    assert first.headers["connection"] == "close"
    assert first.json()["client"] != second.json()["client"]

    async with running() as url:
        raw = await raw_exchange(
            url, b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        )
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'"path": "/x"' in raw


async def test_pipelined_requests_are_answered_in_order() -> None:
    requests = (
        b"GET /first HTTP/1.1\r\nHost: a\r\n\r\n"
        b"POST /second HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
        b"GET /third HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )
    async with running() as url:
        raw = await raw_exchange(url, requests)
    assert raw.count(b"HTTP/1.1 200 OK\r\n") == 3
    assert raw.index(b"/first") < raw.index(b"/second") < raw.index(b"/third")
    assert b'"body": "abc"' in raw


async def test_expect_100_continue() -> None:
    async with running() as url, connect(url) as stream:
        await stream.send(
            b"POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        interim = await read_until(stream, b"\r\n\r\n")
        assert interim.startswith(b"HTTP/1.1 100 ")
        await stream.send(b"hello")
        raw = interim + await read_all(stream)
    assert b"HTTP/1.1 200 OK\r\n" in raw
    assert b'"body": "hello"' in raw


async def test_http_1_0_client() -> None:
    async with running() as url:
        raw = await raw_exchange(url, b"GET /old HTTP/1.0\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'"http_version": "1.0"' in raw


async def test_receive_after_the_body_waits_for_disconnect() -> None:
    async with running() as url, httpx.AsyncClient() as client:
        response = await client.post(url + "/wait", content=b"body")
    assert response.json() == {"waited": True}


async def test_disconnect_is_reported_when_the_client_goes_away() -> None:
    received: list[Message] = []
    got_it = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
        received.append(await receive())
        received.append(await receive())
        received.append(await receive())  # still disconnected, no busy loop
        got_it.set()

    async with running(app) as url:
        async with connect(url) as stream:
            await stream.send(
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
            )
            await anyio.sleep(0.05)
        with anyio.fail_after(5):
            await got_it.wait()
    assert received == [
        {"type": "http.request", "body": b"hi", "more_body": False},
        {"type": "http.disconnect"},
        {"type": "http.disconnect"},
    ]


async def test_a_request_pipelined_while_the_app_waits_is_answered_next() -> None:
    # Bytes read while the app waits for http.disconnect are the next request.
    waiting = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _read_body(receive)
        if scope["path"] == "/wait":
            waiting.set()
            with anyio.move_on_after(0.5):
                await receive()
        await _respond(send, 200, scope["path"].encode())

    async with running(app) as url, connect(url) as stream:
        await stream.send(b"GET /wait HTTP/1.1\r\nHost: a\r\n\r\n")
        with anyio.fail_after(5):
            await waiting.wait()
        await stream.send(b"GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        raw = await read_all(stream)
    assert raw.count(b"HTTP/1.1 200 OK\r\n") == 2
    assert raw.endswith(b"\r\n\r\n/next")


async def test_the_app_hears_the_disconnect_with_64_kib_pipelined() -> None:
    # Up to 64 KiB pipelined while the app waits, the server reads on, so the
    # client's leaving still reaches the app as http.disconnect.
    heard = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
        await _read_body(receive)
        assert await receive() == {"type": "http.disconnect"}
        heard.set()

    async with running(app) as url, connect(url) as stream:
        await stream.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" + b"x" * (64 << 10))
        await stream.send_eof()
        with anyio.fail_after(5):
            await heard.wait()


# --- faults and errors ----------------------------------------------------------


async def test_drop_before_response_sends_nothing() -> None:
    async with running() as url, httpx.AsyncClient() as client:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
            await client.get(url + "/drop-before")
        assert (await client.get(url + "/")).status_code == 200
    async with running() as url:
        assert (
            await raw_exchange(url, b"GET /drop-before HTTP/1.1\r\nHost: a\r\n\r\n")
            == b""
        )


async def test_drop_mid_response_leaves_the_body_incomplete() -> None:
    async with running() as url, httpx.AsyncClient() as client:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await client.get(url + "/drop-mid")
        assert (await client.get(url + "/")).status_code == 200
    async with running() as url:
        raw = await raw_exchange(url, b"GET /drop-mid HTTP/1.1\r\nHost: a\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert raw.endswith(b"\r\n\r\n" + b"x" * 10)


async def test_drop_after_start_sends_the_head_only() -> None:
    async with running() as url, httpx.AsyncClient() as client:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await client.get(url + "/drop-after-start")
    async with running() as url:
        raw = await raw_exchange(
            url, b"GET /drop-after-start HTTP/1.1\r\nHost: a\r\n\r\n"
        )
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert raw.endswith(b"\r\n\r\n")


@pytest.mark.parametrize("path", ["/boom", "/boom-after-start", "/silent"])
async def test_app_failure_before_any_byte_is_a_500(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ding.testing")
    async with running() as url, httpx.AsyncClient() as client:
        response = await client.get(url + path)
        assert (await client.get(url + "/")).status_code == 200
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["connection"] == "close"
    records = [r for r in caplog.records if r.name == "ding.testing"]
    # The failure at debug level; at info, only the one line per request.
    assert any(r.levelno == logging.DEBUG for r in records)
    assert [
        r.getMessage().rsplit(" ", 2)[0] for r in records if r.levelno > logging.DEBUG
    ] == [f"GET {path} 500", "GET / 200"]


async def test_a_status_http_does_not_name_goes_out_with_an_empty_reason() -> None:
    # A 5xx fault may use any code (520, as some proxies send): it is sent
    # as it is, with no reason phrase made up for it.
    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
        await _read_body(receive)
        await _respond(send, 520, b"{}")

    async with running(app) as url, httpx.AsyncClient() as client:
        response = await client.get(url + "/")
    assert response.status_code == 520
    assert response.reason_phrase == ""


async def test_an_app_misusing_the_protocol_is_told_what_it_did() -> None:
    # send() refuses a message out of order with an error naming the misuse.
    errors: list[str] = []

    async def attempt(send: Send, message: Message) -> None:
        try:
            await send(message)
        except RuntimeError as exc:
            errors.append(str(exc))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
        await _read_body(receive)
        await attempt(send, {"type": "http.response.body", "body": b"early"})
        await attempt(send, {"type": "http.response.trailers"})
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"2")],
        }
        await send(start)
        await attempt(send, start)
        await send({"type": "http.response.body", "body": b"ok"})
        await attempt(send, {"type": "http.response.body", "body": b"late"})

    async with running(app) as url, httpx.AsyncClient() as client:
        response = await client.get(url + "/")
    assert response.text == "ok"
    assert errors == [
        "http.response.body before http.response.start",
        "unexpected ASGI message type 'http.response.trailers'",
        "http.response.start sent twice",
        "http.response.body after the response completed",
    ]


async def test_no_500_for_a_client_that_has_gone() -> None:
    # The 500 is for a client still there: once the app was told
    # http.disconnect (the client shut its side), its failure answers nothing.
    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
        await _read_body(receive)
        assert await receive() == {"type": "http.disconnect"}
        raise RuntimeError("boom")

    async with running(app) as url, connect(url) as stream:
        await stream.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        await stream.send_eof()
        assert await read_all(stream) == b""


async def test_app_failure_mid_response_closes_the_connection() -> None:
    async with running() as url, httpx.AsyncClient() as client:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await client.get(url + "/boom-mid")
        assert (await client.get(url + "/")).status_code == 200


async def test_oversized_body_is_a_413() -> None:
    async def parts() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * (64 << 10)

    async with running() as url, httpx.AsyncClient() as client:
        fixed = await client.post(url + "/", content=b"x" * (MAX_BODY_SIZE + 1))
        chunked = await client.post(url + "/", content=parts())
        at_limit = await client.post(url + "/", content=b"y" * MAX_BODY_SIZE)
    assert fixed.status_code == 413
    assert fixed.text == "Request body too large"
    assert chunked.status_code == 413
    assert at_limit.status_code == 200
    assert len(at_limit.json()["body"]) == MAX_BODY_SIZE


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",  # no Host header
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
async def test_malformed_request_is_a_400(request_bytes: bytes) -> None:
    async with running() as url:
        raw = await raw_exchange(url, request_bytes)
        assert raw.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert b"connection: close\r\n" in raw.lower()
        async with httpx.AsyncClient() as client:
            assert (await client.get(url + "/")).status_code == 200


async def test_a_malformed_request_is_logged_with_its_client_and_fault(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # At debug level: who sent it and what h11 found wrong (the 400's text).
    caplog.set_level(logging.DEBUG, logger="ding.testing")
    async with running() as url:
        raw = await raw_exchange(url, b"GARBAGE\r\n\r\n")
    fault = raw.partition(b"\r\n\r\n")[2].decode()
    assert fault
    assert any(
        r.levelno == logging.DEBUG
        and r.getMessage().startswith("bad request from ('127.0.0.1', ")
        and r.getMessage().endswith(f"): {fault}")
        for r in caplog.records
    )


async def test_a_head_up_to_max_head_size_is_served() -> None:
    # MAX_HEAD_SIZE (64 KiB) bounds the head, not h11's smaller default.
    big = b"X-Big: " + b"a" * (40 << 10) + b"\r\n"
    head = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n" + big + b"\r\n"
    async with running() as url:
        raw = await raw_exchange(url, head)
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")


async def test_oversized_head_is_a_431() -> None:
    head = b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * (100 << 10) + b"\r\n\r\n"
    async with running() as url:
        raw = await raw_exchange(url, head)
    assert raw.startswith(b"HTTP/1.1 431 ")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"GET /boom HTTP/1.1\r\nHost: a\r\n\r\n", b"500"),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n"
            % (MAX_BODY_SIZE + 1),
            b"413",
        ),
    ],
)
async def test_an_error_answer_is_one_plain_text_response_then_the_close(
    request_bytes: bytes, status: bytes
) -> None:
    # The server's own answers: a text body of the length announced, and
    # nothing after it but the close.
    async with running() as url:
        raw = await raw_exchange(url, request_bytes)
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.split(b"\r\n")
    headers = dict(line.lower().split(b": ", 1) for line in lines)
    assert status_line.startswith(b"HTTP/1.1 " + status + b" ")
    assert headers[b"content-type"] == b"text/plain; charset=utf-8"
    assert headers[b"connection"] == b"close"
    assert body
    assert int(headers[b"content-length"]) == len(body)


async def test_client_leaving_mid_request_is_harmless() -> None:
    async with running() as url:
        async with connect(url) as stream:
            await stream.send(
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc"
            )
        async with connect(url) as stream:
            await stream.send(b"GET / HTTP/1.1\r\nHo")
        async with httpx.AsyncClient() as client:
            assert (await client.get(url + "/")).status_code == 200


# --- lifecycle -----------------------------------------------------------------


async def test_cancelling_serve_is_prompt_with_open_connections() -> None:
    app_started = anyio.Event()
    errors: list[Exception] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/sleep":
            app_started.set()
        await echo_app(scope, receive, send)

    async def sleeper(client: httpx.AsyncClient, url: str) -> None:
        try:
            await client.get(url + "/sleep")
        except httpx.HTTPError as exc:
            errors.append(exc)

    url = ""
    async with httpx.AsyncClient() as client, anyio.create_task_group() as tg:
        server_scope = anyio.CancelScope()
        server_done = anyio.Event()

        async def run_server(*, task_status: anyio.abc.TaskStatus[str]) -> None:
            with server_scope:
                await serve(app, task_status=task_status)
            server_done.set()

        url = await tg.start(run_server)
        # An idle keep-alive connection in the client's pool ...
        assert (await client.get(url + "/")).status_code == 200
        async with connect(url) as idle:  # ... a connection that never sent a byte ...
            tg.start_soon(sleeper, client, url)  # ... and an app that sleeps.
            with anyio.fail_after(5):
                await app_started.wait()
            start = time.monotonic()
            server_scope.cancel()
            with anyio.fail_after(1):
                await server_done.wait()
            assert time.monotonic() - start < 1
            with (
                anyio.fail_after(1),
                pytest.raises((anyio.EndOfStream, anyio.BrokenResourceError)),
            ):
                await idle.receive()
    assert len(errors) == 1
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(url + "/")


# --- ServerThread ----------------------------------------------------------------


def test_server_thread_serves_on_loopback_only() -> None:
    with ServerThread(echo_app) as server:
        url = server.url
        port = urlsplit(url).port
        assert port is not None
        assert url == f"http://127.0.0.1:{port}"
        with httpx.Client() as client:
            assert client.get(url + "/").json()["path"] == "/"
        if sys.platform == "linux":
            # All of 127/8 reaches the loopback interface on Linux: a server
            # on the wildcard address would accept this connection.
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.2", port), timeout=2).close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with pytest.raises(UsageError, match="not running"):
        _ = server.url


def test_server_thread_reports_a_port_in_use() -> None:
    with ServerThread(echo_app) as server:
        port = urlsplit(server.url).port
        assert port is not None
        other = ServerThread(echo_app, port=port)
        with pytest.raises(
            OSError,
            match=rf"cannot serve on 127\.0\.0\.1:{port}: Address already in use$",
        ):
            other.start()
        with pytest.raises(UsageError, match="not running"):
            _ = other.url


# asyncio's half-made event loop fails as it is collected.
@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning", "ignore::ResourceWarning"
)
def test_server_thread_reports_an_event_loop_it_cannot_make() -> None:
    # With no file descriptor left, the thread cannot make its event loop:
    # start() raises the OSError, as for an address it cannot bind, and the
    # server is not running.
    server = ServerThread(echo_app)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowest_free = os.open(os.devnull, os.O_RDONLY)
    os.close(lowest_free)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, hard))
    try:
        with pytest.raises(
            OSError, match=r"cannot serve on 127\.0\.0\.1:0: "
        ) as raised:
            server.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert raised.value.errno == errno.EMFILE
    with pytest.raises(UsageError, match="not running"):
        _ = server.url
    del raised
    gc.collect()


def test_server_thread_reports_a_port_out_of_range() -> None:
    # Not an OSError: a DingError, saying where and what went wrong.
    server = ServerThread(echo_app, port=70000)
    with pytest.raises(
        DingError, match=r"^cannot serve on 127\.0\.0\.1:70000: OverflowError\("
    ):
        server.start()


def test_server_thread_start_stop_restart() -> None:
    server = ServerThread(echo_app)
    with pytest.raises(UsageError, match="not running"):
        _ = server.url
    server.stop()  # not started: nothing to do
    server.start()
    with pytest.raises(UsageError, match=r"^the server is already running$"):
        server.start()
    server.stop()
    server.stop()
    server.start()
    try:
        with httpx.Client() as client:
            assert client.get(server.url + "/").status_code == 200
    finally:
        server.stop()


def test_server_thread_serves_from_a_daemon_thread() -> None:
    # A server left running does not keep the interpreter from exiting.
    before = set(threading.enumerate())
    with ServerThread(echo_app):
        started = set(threading.enumerate()) - before
        assert started
        assert all(thread.daemon for thread in started)


def test_server_thread_that_does_not_start_in_time_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # start() waits a bounded time for the server to listen, then says so.
    async def slow_serve(
        *_args: object,
        task_status: anyio.abc.TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
        **_options: object,
    ) -> None:
        await anyio.sleep(0.5)
        task_status.started("http://127.0.0.1:9")
        await anyio.sleep_forever()

    monkeypatch.setattr(server_thread, "_START_TIMEOUT", 0.1)
    monkeypatch.setattr(server_thread, "serve", slow_serve)
    server = ServerThread(echo_app)
    with pytest.raises(
        DingError, match=r"^the server on 127\.0\.0\.1:0 did not start within 0\.1 s$"
    ):
        server.start()
    with pytest.raises(UsageError, match="not running"):
        _ = server.url


def test_server_thread_exit_is_prompt_with_open_connections() -> None:
    app_started = threading.Event()
    outcome: list[BaseException] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/sleep":
            app_started.set()
        await echo_app(scope, receive, send)

    def sleeper(url: str) -> None:
        try:
            httpx.get(url + "/sleep", timeout=10)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    with httpx.Client() as client, contextlib.ExitStack() as stack:
        server = stack.enter_context(ServerThread(app))
        assert client.get(server.url + "/").status_code == 200  # idle keep-alive
        port = urlsplit(server.url).port
        assert port is not None
        idle = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
        thread = threading.Thread(target=sleeper, args=(server.url,))
        thread.start()
        assert app_started.wait(5)
        start = time.monotonic()
        server.stop()
        assert time.monotonic() - start < 1
        thread.join(5)
        assert outcome
        idle.settimeout(2)
        assert idle.recv(1) == b""


async def test_drop_inside_an_exception_group_still_drops() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
        async def fail() -> None:
            raise ConnectionDropped

        async with anyio.create_task_group() as tg:
            tg.start_soon(fail)

    async with running(app) as url:
        assert await raw_exchange(url, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n") == b""


# --- idle keep-alive connections ---------------------------------------------------

GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
OK = b"\r\n\r\nok"


def counting() -> tuple[ASGIApp, list[str]]:
    """An app answering ``ok`` and the list of the paths it was handed, in order."""
    handled: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        handled.append(scope["path"])
        await _read_body(receive)
        await _respond(send, 200, b"ok")
        if scope["path"] == "/linger":
            # The response is complete; the app runs on, as apps may.
            await anyio.sleep(0.6)

    return app, handled


async def closed_by_server(stream: anyio.abc.SocketStream) -> float:
    """Wait until the server closes (EOF or reset); return the seconds it took."""
    started = time.monotonic()
    assert await read_all(stream) == b""
    return time.monotonic() - started


async def test_an_idle_connection_is_closed_after_the_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="ding.testing")
    app, handled = counting()
    async with running(app, idle_timeout=0.2) as url, connect(url) as stream:
        await stream.send(GET)
        await read_until(stream, OK)
        # Bounds for a loaded machine: not before the timeout, not never.
        assert 0.15 <= await closed_by_server(stream) < 5
    assert handled == ["/"]
    assert any(
        r.name == "ding.testing" and r.levelno == logging.DEBUG and "idle" in r.message
        for r in caplog.records
    )


async def test_a_silent_new_connection_is_closed_after_the_timeout() -> None:
    app, handled = counting()
    async with running(app, idle_timeout=0.2) as url, connect(url) as stream:
        assert 0.15 <= await closed_by_server(stream) < 5
    assert handled == []


async def test_a_request_that_came_too_late_to_be_read_is_never_handled() -> None:
    # The clock starts when the response is written, not when the app returns:
    # the next request arrives within the app's 0.6 s but after the timeout,
    # unread; the server then closes without handling it, as a server does
    # when a request crosses its idle close.
    app, handled = counting()
    async with running(app, idle_timeout=0.2) as url, connect(url) as stream:
        await stream.send(b"GET /linger HTTP/1.1\r\nHost: a\r\n\r\n")
        await read_until(stream, OK)
        await stream.send(GET)
        await closed_by_server(stream)
    assert handled == ["/linger"]


async def test_the_idle_timer_restarts_after_each_response() -> None:
    app, handled = counting()
    async with running(app, idle_timeout=0.5) as url, connect(url) as stream:
        # 1 s on one connection, twice the timeout, never 0.5 s idle.
        for _ in range(4):
            await anyio.sleep(0.25)
            await stream.send(GET)
            await read_until(stream, OK)
    assert handled == ["/"] * 4


async def test_a_request_begun_before_the_timeout_is_served() -> None:
    app, handled = counting()
    async with running(app, idle_timeout=0.2) as url, connect(url) as stream:
        await stream.send(GET[:8])
        await anyio.sleep(0.5)
        await stream.send(GET[8:])
        await read_until(stream, OK)
    assert handled == ["/"]


async def test_pipelined_requests_are_not_idle() -> None:
    app, handled = counting()
    async with running(app, idle_timeout=0.2) as url, connect(url) as stream:
        await stream.send(b"GET /linger HTTP/1.1\r\nHost: a\r\n\r\n" + GET)
        data = b""
        with anyio.fail_after(5):
            while data.count(OK) < 2:
                data += await stream.receive()
    assert handled == ["/linger", "/"]


async def test_keep_alive_is_announced_only_when_asked() -> None:
    async with httpx.AsyncClient() as client:
        async with running(echo_app, idle_timeout=0.25) as url:
            silent = await client.get(url + "/")
        async with running(
            echo_app, idle_timeout=0.25, announce_idle_timeout=True
        ) as url:
            announced = await client.get(url + "/")
            closing = await client.get(url + "/", headers={"Connection": "close"})
    assert "keep-alive" not in silent.headers
    assert announced.headers["keep-alive"] == "timeout=0.25"
    # Announcing adds the header, and changes nothing else of the response.
    assert (announced.status_code, announced.reason_phrase) == (200, "OK")
    assert (silent.status_code, silent.reason_phrase) == (200, "OK")
    assert [k for k in announced.headers if k != "keep-alive"] == list(silent.headers)
    # The connection closes after this one: nothing to announce.
    assert "keep-alive" not in closing.headers


async def test_keep_alive_is_not_announced_on_a_closing_connection() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _read_body(receive)
        headers = {
            "/close": [(b"connection", b"close")],
            "/own": [(b"keep-alive", b"timeout=9")],
        }.get(scope["path"], [])
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    options: dict[str, Any] = {"idle_timeout": 0.25, "announce_idle_timeout": True}
    async with running(app, **options) as url:
        http_1_0 = await raw_exchange(url, b"GET / HTTP/1.0\r\n\r\n")
        closing = await raw_exchange(url, b"GET /close HTTP/1.1\r\nHost: a\r\n\r\n")
        async with httpx.AsyncClient() as client:
            own = await client.get(url + "/own")
            plain = await client.get(url + "/")
    assert http_1_0.startswith(b"HTTP/1.1 200 ")
    assert b"keep-alive" not in http_1_0.lower()
    assert closing.startswith(b"HTTP/1.1 200 ")
    assert b"keep-alive" not in closing.lower()
    assert own.headers.get_list("keep-alive") == ["timeout=9"]
    assert plain.headers.get_list("keep-alive") == ["timeout=0.25"]


@pytest.mark.parametrize(
    "connection", [b"keep-alive,close", b"Keep-Alive, Close", b"upgrade ,close"]
)
async def test_keep_alive_is_not_announced_when_a_connection_list_says_close(
    connection: bytes,
) -> None:
    # Connection is a comma-separated list, its tokens in any case: "close"
    # among them closes the connection after the response.
    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
        await _read_body(receive)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    options: dict[str, Any] = {"idle_timeout": 0.25, "announce_idle_timeout": True}
    request = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: %s\r\n\r\n" % connection
    async with running(app, **options) as url:
        answer = await raw_exchange(url, request)
    head = answer.split(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 200 ")
    assert b"\r\nconnection: close" in head
    assert b"keep-alive" not in head


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5.0, "5"),
        (5, "5"),
        (0.25, "0.25"),
        (0.1, "0.1"),
        (90.5, "90.5"),
        (1234567, "1234567"),
    ],
)
def test_the_announced_timeout_is_written_short(seconds: float, text: str) -> None:
    assert seconds_text(seconds) == text


def test_fake_serve_closes_idle_connections_and_counts_only_handled_requests() -> None:
    fake = FakeDing()
    health = b"GET /_fake/health HTTP/1.1\r\nHost: a\r\n\r\n"
    with fake.serve(idle_timeout=5, announce_idle_timeout=True) as server:
        response = httpx.get(server.url + "/_fake/health")
        assert response.headers["keep-alive"] == "timeout=5"
    assert fake.handled_requests == 1
    fake.reset()
    assert fake.handled_requests == 0
    with fake.serve(idle_timeout=0.2) as server:
        port = urlsplit(server.url).port
        assert port is not None
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(health)
            data = b""
            while b'{"status":"ok"}' not in data:
                chunk = sock.recv(4096)
                assert chunk
                data += chunk
            assert fake.handled_requests == 1
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(4096) == b""  # closed for idleness
            # Sent on the connection the server closed: never handled.
            with contextlib.suppress(OSError):
                sock.sendall(health)
                time.sleep(0.1)
                with contextlib.suppress(ConnectionResetError):
                    assert sock.recv(4096) == b""
        assert httpx.get(server.url + "/_fake/health").status_code == 200
    assert fake.handled_requests == 2


NOT_POSITIVE = "^idle_timeout must be a positive finite number of seconds or None, not "
NEEDS_IT = "^announce_idle_timeout=True needs an idle_timeout$"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"idle_timeout": 0}, NOT_POSITIVE + "0$"),
        ({"idle_timeout": -1.0}, NOT_POSITIVE + "-1.0$"),
        ({"idle_timeout": math.nan}, NOT_POSITIVE + "nan$"),
        ({"idle_timeout": math.inf}, NOT_POSITIVE + "inf$"),
        ({"idle_timeout": True}, NOT_POSITIVE + "True$"),
        ({"idle_timeout": "5"}, NOT_POSITIVE + "'5'$"),
        ({"idle_timeout": 10**400}, NOT_POSITIVE + "1000"),  # past any float
        ({"announce_idle_timeout": True}, NEEDS_IT),
        ({"idle_timeout": None, "announce_idle_timeout": True}, NEEDS_IT),
    ],
)
async def test_bad_idle_timeouts_are_usage_errors(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        ServerThread(echo_app, **options)
    with pytest.raises(UsageError, match=message):
        FakeDing().serve(**options)
    with pytest.raises(UsageError, match=message):
        await serve(echo_app, **options)  # before it binds anything
