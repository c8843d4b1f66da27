"""The rules of `ding._transport._reuse`, one by one.

When a pooled connection may carry another request (`reuse_window`,
`refused`), and when a request a reused connection lost before any answer
is sent once more (`Exchange`, and `traced` for an injected client's
httpcore). tests/transport/test_idle_connections.py runs them against a
server that closes idle connections, in processes of their own.
"""

from __future__ import annotations

import math
import time
from typing import Final

import httpcore
import pytest

from ding._transport._reuse import CURRENT, Exchange, refused, reuse_window, traced

UNANSWERED = "Server disconnected without sending a response."


@pytest.mark.parametrize(
    ("header", "window"),
    [
        ("timeout=5", 4.0),  # a quarter of 5 s, capped at 1 s
        ("timeout=5, max=100", 4.0),
        ("max=100, Timeout = 60", 59.0),
        ('timeout="2"', 1.5),
        ("timeout=0.1", 0.075),
        ("timeout=0", 0.0),
        ("max=100", None),
        ("timeout=", None),
        ("timeout=soon", None),
        ("timeout=5X", None),  # junk after the number
        ("timeout=1=2, timeout=5", None),  # the first timeout decides
        ("timeout=-1", None),
        ("timeout=inf", None),
        ("timeout=nan", None),
        ("", None),
    ],
)
def test_a_keep_alive_timeout_is_kept_with_a_margin(
    header: str, window: float | None
) -> None:
    result = reuse_window(header)
    assert result == window if window is None else result == pytest.approx(window)


class Connection:
    """A connection as a transport keeps it (`ding._transport._reuse.Tracked`)."""

    def __init__(self) -> None:
        self.received = 0
        self.requests = 0
        self.reuse_until = math.inf
        self.peer_closed = False


def test_only_a_reused_connection_lost_before_any_answer_is_stale() -> None:
    connection = Connection()
    first = Exchange()
    first.start(connection)
    connection.peer_closed = True
    assert not first.stale()  # a new connection: the server may have read it

    connection = Connection()
    connection.requests, connection.received = 1, 120  # one answer already
    second = Exchange()
    second.start(connection)
    assert not second.stale()  # still open
    connection.peer_closed = True
    assert second.stale()
    connection.received += 1  # one byte of this answer arrived
    assert not second.stale()


def test_a_request_is_sent_again_only_once_and_on_a_new_connection() -> None:
    connection = Connection()
    connection.requests = 1
    exchange = Exchange()
    exchange.start(connection)
    connection.peer_closed = True
    assert exchange.stale()
    exchange.resend()
    assert exchange.resent == 1
    assert exchange.fresh
    another = Connection()
    another.requests = 1
    assert not refused(another)  # to another request
    token = CURRENT.set(exchange)
    try:
        assert refused(another)  # to the resend: a used connection
        assert not refused(Connection())
    finally:
        CURRENT.reset(token)
    exchange.start(another)
    another.peer_closed = True
    assert not exchange.stale()  # never a second time


def test_a_connection_is_not_reused_past_its_deadline() -> None:
    connection = Connection()
    assert not refused(connection)  # unused: always taken
    connection.requests = 1
    assert not refused(connection)
    token = CURRENT.set(Exchange())
    try:
        assert not refused(connection)  # to an attempt's first send
    finally:
        CURRENT.reset(token)
    exchange = Exchange()
    exchange.start(connection)
    exchange.answered("timeout=1")
    assert connection.reuse_until == pytest.approx(time.monotonic() + 0.75, abs=0.1)
    connection.reuse_until = time.monotonic() - 0.001
    assert refused(connection)
    exchange.answered(None)  # no header: the deadline stays
    assert refused(connection)


def reset() -> httpcore.ReadError:
    error = httpcore.ReadError("[Errno 104] Connection reset by peer")
    error.__cause__ = ConnectionResetError(104, "Connection reset by peer")
    return error


TCP: Final = ("connection.connect_tcp.started", "connection.connect_tcp.complete")


def headers(method: bytes = b"GET") -> tuple[str, dict[str, object]]:
    request = httpcore.Request(method, "https://ding.test/v1/lookup/x")
    return "http11.send_request_headers.started", {"request": request}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("before", "failure", "stale"),
    [
        ((), httpcore.RemoteProtocolError(UNANSWERED), True),
        ((), reset(), True),
        (TCP, httpcore.RemoteProtocolError(UNANSWERED), False),  # a new one
        (  # a Unix socket, opened for it
            ("connection.connect_unix_socket.started",),
            httpcore.RemoteProtocolError(UNANSWERED),
            False,
        ),
        (  # a proxy's tunnel, opened for it: CONNECT and its answer, then
            # TLS (traced by httpcore's proxy, not its connection), then the GET
            (
                *TCP,
                headers(b"CONNECT")[0],
                "http11.receive_response_headers.started",
                "http11.receive_response_headers.complete",
                "proxy.start_tls.started",
                "proxy.start_tls.complete",
            ),
            httpcore.RemoteProtocolError(UNANSWERED),
            False,
        ),
        ((), httpcore.RemoteProtocolError("illegal status line"), False),
        ((), httpcore.ReadError("timed out"), False),
        ((), httpcore.ReadTimeout("timed out"), False),
        ((), None, False),  # the head arrived
    ],
)
async def test_what_httpcore_reports_of_an_injected_clients_connection(
    before: tuple[str, ...], failure: Exception | None, stale: bool
) -> None:
    exchange = Exchange()
    on_event = traced(exchange)
    for name in before:
        info = headers(b"CONNECT")[1] if name == headers()[0] else {}
        await on_event(name, info)
    await on_event(*headers())
    await on_event("http11.receive_response_headers.started", {})
    if failure is None:
        await on_event("http11.receive_response_headers.complete", {})
    else:
        await on_event("http11.receive_response_headers.failed", {"exception": failure})
    assert exchange.stale() is stale
