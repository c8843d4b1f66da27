"""Real deadlines: a whole attempt, and a whole call, end on time.

httpx's timeouts bound each socket operation; a server that trickles a byte
every fraction of a second meets every one of them forever. The SDK bounds
each attempt (body included) by the largest of its ``timeout`` values and
each call (attempts and waits) by ``total_timeout``. The margins asserted
here are generous on purpose: they tell a deadline that works from one that
does not (the trickle below would take 20 s), not how fast the machine is.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

import anyio
import httpx
import pytest

import ding
import ding._pipeline._send
from ding._pipeline._deadline import attempt_bound
from tests._listen import listening, read_head
from tests._stub import AUTH_UUID, CUSTOMER_UUID

if TYPE_CHECKING:
    import socket
    import threading
    from collections.abc import Generator

    from tests._stub import StubDing

pytestmark = pytest.mark.anyio

HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
)
RETRY_LATER = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"retry-after: 1\r\ncontent-length: 2\r\n\r\n{}"
)


def serve(
    conn: socket.socket, answer: str, stop: threading.Event, arrivals: list[float]
) -> None:
    """Answer the requests of one connection, as `server` describes."""
    with conn, contextlib.suppress(OSError):
        while not stop.is_set() and read_head(conn):
            arrivals.append(time.monotonic())
            if answer == "503":
                conn.sendall(RETRY_LATER)
                continue
            conn.sendall(HEAD)
            for _ in range(100):
                if stop.wait(0.1):
                    return
                conn.sendall(b" ")
            return


@contextlib.contextmanager
def server(answer: str) -> Generator[tuple[str, list[float]]]:
    """A server that trickles a byte every 0.1 s, or answers 503 Retry-After: 1.

    Yields its base URL and the times requests arrived.
    """
    arrivals: list[float] = []

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        serve(conn, answer, stop, arrivals)

    with listening(handle) as origin:
        yield f"{origin}/v1", arrivals


def make(url: str, *, injected: bool, **kwargs: object) -> ding.AsyncDing:
    if injected:
        kwargs["client"] = httpx.AsyncClient()
    return ding.AsyncDing(
        api_key="k",
        server_url=url,
        customer_uuid=CUSTOMER_UUID,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("injected", [False, True], ids=["own-pool", "injected"])
async def test_a_trickling_answer_cannot_stretch_an_attempt(injected: bool) -> None:
    with server("trickle") as (url, arrivals):
        async with make(url, injected=injected, timeout=0.5) as client:
            started = time.monotonic()
            with pytest.raises(ding.APITimeoutError, match="read timeout"):
                await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
            took = time.monotonic() - started
    assert 0.45 < took < 3  # the whole attempt: 0.5 s, not 10 s of trickle
    assert len(arrivals) == 1  # a POST that may have arrived is not retried


async def test_a_get_retries_each_cut_attempt_within_the_total() -> None:
    with server("trickle") as (url, arrivals):
        async with make(url, injected=False, timeout=0.5, total_timeout=1.4) as client:
            started = time.monotonic()
            with pytest.raises(ding.APITimeoutError) as info:
                await client.otp.get_authentication_status(AUTH_UUID)
            took = time.monotonic() - started
    # Two attempts of 0.5 s and a backoff of at most 0.5 s fit in 1.4 s; the
    # third would not, so the call ends by 1.4 s, not after 3 x 10 s.
    assert took < 4
    assert len(arrivals) >= 2
    assert "timeout" in str(info.value)


async def test_the_total_deadline_cuts_an_attempt_in_flight() -> None:
    with server("trickle") as (url, _):
        async with make(url, injected=False, timeout=30, total_timeout=0.5) as client:
            started = time.monotonic()
            with pytest.raises(ding.APITimeoutError, match="total_timeout") as info:
                await client.otp.get_authentication_status(AUTH_UUID)
            took = time.monotonic() - started
    assert 0.45 < took < 3
    assert "total timeout" in str(info.value)


async def test_no_retry_is_made_that_would_end_past_the_deadline() -> None:
    # The server asks to retry after 1 s; with 1.5 s in all, one retry fits
    # (at about 1 s) and a second would not.
    with server("503") as (url, arrivals):
        async with make(url, injected=False, total_timeout=1.5) as client:
            started = time.monotonic()
            with pytest.raises(ding.ServerError):
                await client.otp.get_authentication_status(AUTH_UUID)
            took = time.monotonic() - started
    assert len(arrivals) == 2
    assert took < 1.5


async def test_total_timeout_per_call_through_with_options() -> None:
    with server("trickle") as (url, _):
        async with make(url, injected=False, timeout=30, total_timeout=None) as client:
            started = time.monotonic()
            with pytest.raises(ding.APITimeoutError, match="total_timeout"):
                await client.with_options(total_timeout=0.5).otp.check(
                    authentication_uuid=AUTH_UUID, check_code="1"
                )
            assert time.monotonic() - started < 3


@pytest.mark.parametrize("injected", [False, True], ids=["own-pool", "injected"])
async def test_a_cancel_from_outside_is_not_taken_for_the_bound(injected: bool) -> None:
    # The caller's own deadline ends the call as a cancellation: no error,
    # not a timeout of the SDK's, whatever bounds the attempt inside.
    with server("trickle") as (url, _):
        async with make(url, injected=injected, timeout=30) as client:
            started = time.monotonic()
            with anyio.move_on_after(0.3) as scope:
                # A POST: a cancellation taken for a timeout would raise.
                await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
            took = time.monotonic() - started
    assert scope.cancelled_caught
    assert took < 3


async def test_a_timeout_error_of_the_transport_is_not_taken_for_the_bound() -> None:
    # A TimeoutError raised inside an attempt is the transport's failure, not
    # the attempt running out of time: it reads the same on both backends.
    def fail(_: httpx.Request) -> httpx.Response:
        raise TimeoutError("the transport gave up")

    http = httpx.AsyncClient(transport=httpx.MockTransport(fail))
    async with http, make("https://x.test/v1", injected=False, client=http) as client:
        with pytest.raises(ding.DingError) as info:
            await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert type(info.value) is ding.APIConnectionError
    assert "took longer" not in str(info.value)


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), "60", True])
def test_total_timeout_must_be_positive_seconds_or_none(bad: object) -> None:
    with pytest.raises(ding.UsageError, match="total_timeout"):
        ding.AsyncDing(api_key="k", total_timeout=bad)  # type: ignore[arg-type]


def test_the_defaults_are_documented_numbers() -> None:
    client = ding.AsyncDing(api_key="k")
    assert client._pipeline.total_timeout == 60.0
    timeout = client._pipeline.timeout
    assert timeout is not None
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (
        5,
        15,
        15,
        15,
    )


async def test_each_attempt_is_bounded_by_15_s_by_default(
    tcp_stub: tuple[StubDing, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The largest of the default timeout's values bounds the whole attempt.
    bounds: list[float | None] = []

    def spy(timeout: httpx.Timeout) -> float | None:
        bounds.append(attempt_bound(timeout))
        return bounds[-1]

    monkeypatch.setattr(ding._pipeline._send, "attempt_bound", spy)
    _, url = tcp_stub
    async with ding.AsyncDing(
        api_key="k", server_url=url, customer_uuid=CUSTOMER_UUID
    ) as client:
        await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert bounds == [15.0]


async def test_a_cut_attempt_is_a_read_timeout_saying_how_long_it_was_allowed() -> None:
    # The attempt's bound fails as httpx's own read timeout would, chained,
    # with the bound in its words and the (redacted) request it cut.
    with server("trickle") as (url, _):
        async with make(url, injected=False, timeout=0.3) as client:
            with pytest.raises(ding.APITimeoutError) as info:
                await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert str(info.value) == "POST /v1/check: read timeout"
    cause = info.value.__cause__
    assert isinstance(cause, httpx.ReadTimeout)
    assert str(cause) == "the attempt took longer than 0.3 s"
    assert cause.request is info.value.request
    assert info.value.request is not None
    assert info.value.request.headers["x-api-key"] == "[redacted]"


async def test_the_total_timeout_error_names_the_call_and_the_bound() -> None:
    with server("trickle") as (url, _):
        async with make(url, injected=False, timeout=30, total_timeout=0.3) as client:
            with pytest.raises(ding.APITimeoutError) as info:
                await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
    assert str(info.value) == (
        "POST /v1/check: total timeout: the call took longer than "
        "total_timeout (0.3 s), retries included"
    )
    assert info.value.request is not None
    assert info.value.request.headers["x-api-key"] == "[redacted]"
