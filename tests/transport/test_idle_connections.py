"""Servers that close idle connections: no call fails, none is handled twice.

`scripts/idle_connections.py` serves the fake with an idle timeout of
0.25 s, silently and announced (``Keep-Alive: timeout=0.25``), and spaces
100 ``create_authentication`` calls (a POST, with retries off) about 0.25 s
apart through each client: `ding.AsyncDing` on asyncio, on uvloop's loop
and on trio, and `ding.Ding`. Some calls are written to a connection at the
very moment the server closes it; the SDK sends those once more
(`ding._transport._reuse`). The script runs its eight cases at once, in processes of
their own, some 26 s.

Below it, the rules of `ding._transport._reuse` one by one.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Final

import httpcore
import pytest

from ding._transport._reuse import CURRENT, Exchange, refused, reuse_window, traced

ROOT = Path(__file__).resolve().parents[2]
CALLS = 100
IDLE_TIMEOUT = 0.25
UNANSWERED = "Server disconnected without sending a response."


@pytest.fixture(scope="module")
def reports() -> list[dict[str, Any]]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            str(ROOT / "scripts" / "idle_connections.py"),
            "--calls",
            str(CALLS),
            "--idle-timeout",
            # Long enough that a busy machine does not hold the fake's
            # server past it between accepting a connection and reading.
            str(IDLE_TIMEOUT),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=CALLS * IDLE_TIMEOUT * 1.03 + 30,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.stderr == ""
    runs: list[dict[str, Any]] = json.loads(result.stdout)
    return runs


@pytest.mark.parametrize("mode", ["silent", "announced"])
@pytest.mark.parametrize("client", ["asyncio", "uvloop", "trio", "sync"])
def test_no_call_fails_and_each_is_handled_once(
    reports: list[dict[str, Any]], client: str, mode: str
) -> None:
    (report,) = [r for r in reports if (r["client"], r["mode"]) == (client, mode)]
    assert report["calls"] == CALLS
    assert report["failed"] == 0, report["failures"]
    assert report["handled"] == CALLS
    assert report["codes_sent"] == CALLS
    if mode == "announced":
        # The server said when it closes: the SDK's pool reuses no
        # connection that late, so nothing has to be sent again.
        assert report["resent"] == 0


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
        (  # a proxy's tunnel, opened for it: CONNECT, then TLS, then the GET
            (*TCP, headers(b"CONNECT")[0], "connection.start_tls.started"),
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
