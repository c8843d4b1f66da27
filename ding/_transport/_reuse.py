"""When a pooled connection may carry another request, and the stale-connection resend.

Servers close keep-alive connections that stay idle too long, most of them
without saying when: Node.js, Apache, uvicorn and hypercorn after 5 s by
default, gunicorn's async workers after 2 s, nginx after 75 s, cloud load
balancers after a minute or more. A request written to such a connection
while the server closes it is never read there: the client sees the
connection closed, or reset, before a single byte of an answer.

The rules, applied by the transports the SDK makes (`ding._transport._aiohttp`
on asyncio, `ding._transport._httpcore` on trio), each of which keeps per
connection the numbers below (`Tracked`):

1. An idle connection is not reused after `ding._config.IDLE_EXPIRY`
   seconds.
2. An answer carrying ``Keep-Alive: timeout=N`` bounds the reuse of its
   connection to N seconds from its arrival, less a margin for the time the
   answer took to arrive (`reuse_window`).
3. A request sent on a *reused* connection that the peer closed or reset
   before any byte of the answer arrived is sent once more, on a new
   connection, whatever its method (`Exchange.stale`): the server closed an
   idle connection and never read the request. This is the rule curl and
   the major browsers apply. The one residual risk is a server that
   processed the request and then dropped the connection without writing a
   byte of the answer. Every other failure is left to the retry policy
   (`ding._pipeline._retry`), which sends a POST again only when the server
   answered that it did nothing.

The pipeline makes one `Exchange` per attempt and hands it to the transport
through `CURRENT`, since it crosses httpx's transport interface, and the
transport fills it in. Through an injected client (or httpx's transport
behind a proxy) the SDK sees only what httpcore reports to a request's
``trace`` extension (`traced`): whether a connection was opened for the
request, and whether the answer's head failed because the connection was
closed or reset. httpcore reports a head cut short as it reports none at
all, so there only a GET is sent again; that client's pool, which reads no
``Keep-Alive``, picks the connection.
"""

from __future__ import annotations

import contextvars
import math
import time
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = [
    "CURRENT",
    "Exchange",
    "Tracked",
    "peer_reset",
    "refused",
    "reuse_window",
    "traced",
]

#: The most a ``Keep-Alive`` timeout is shortened by (`reuse_window`).
_MAX_MARGIN: Final = 1.0


def reuse_window(keep_alive: str) -> float | None:
    """Return how long a connection may be reused after an answer with this header.

    *keep_alive* is a ``Keep-Alive`` header value (``timeout=5, max=100``).
    Its timeout less a quarter of it, and less at most `_MAX_MARGIN`
    seconds; a fractional timeout is accepted. None when the header states
    no usable timeout (absent, malformed, negative or not finite).
    """
    for param in keep_alive.split(","):
        name, _, value = param.partition("=")
        if name.strip().lower() != "timeout":
            continue
        try:
            timeout = float(value.strip().strip('"'))
        except ValueError:
            return None
        if not math.isfinite(timeout) or timeout < 0:
            return None
        return timeout - min(timeout / 4, _MAX_MARGIN)
    return None


class Tracked(Protocol):
    """What a transport keeps about each connection it makes."""

    #: Bytes received on the connection so far.
    received: int
    #: Requests started on it so far.
    requests: int
    #: The `time.monotonic` time after which it is not reused.
    reuse_until: float
    #: Whether the peer has closed or reset it.
    peer_closed: bool


class Exchange:
    """What one attempt learned about the connection that carried it.

    The transport calls `start` when the request goes out on a connection
    and `answered` when an answer's head arrived, and asks `refused` before
    it reuses one; the pipeline asks `stale` after a failure, and calls
    `resend` before sending once more.
    """

    __slots__ = ("_received_before", "connection", "fresh", "resent", "reused")

    def __init__(self) -> None:
        self.connection: Tracked | None = None
        self.reused = False
        self._received_before = 0
        #: Set for the resend: only a new connection may carry it.
        self.fresh = False
        #: How many times the request was sent once more (0 or 1).
        self.resent = 0

    def start(self, connection: Tracked) -> None:
        """Record that the request goes out on *connection*."""
        self.connection = connection
        self.reused = connection.requests > 0
        self._received_before = connection.received
        connection.requests += 1
        self.fresh = False

    def answered(self, keep_alive: str | None) -> None:
        """Record the ``Keep-Alive`` header of the answer's head, if any."""
        connection = self.connection
        if keep_alive is None or connection is None:
            return
        window = reuse_window(keep_alive)
        if window is not None:
            connection.reuse_until = time.monotonic() + window

    def stale(self) -> bool:
        """Whether a reused connection lost the request before any answer.

        True when the request went out on a connection that had carried one
        before, and the peer closed or reset it before a byte of the answer
        arrived; never after the one resend.
        """
        connection = self.connection
        return (
            not self.resent
            and self.reused
            and connection is not None
            and connection.peer_closed
            and connection.received == self._received_before
        )

    def resend(self) -> None:
        """Prepare the one resend: a new connection, counted."""
        self.resent += 1
        self.fresh = True
        self.connection = None
        self.reused = False


#: The exchange of the attempt running in this task, for its transport.
CURRENT: Final[contextvars.ContextVar[Exchange | None]] = contextvars.ContextVar(
    "ding_exchange", default=None
)


def refused(connection: Tracked) -> bool:
    """Whether the pool must not hand *connection* to the request of this task.

    A connection that carried no request yet is always taken. A used one is
    refused past its `Tracked.reuse_until`, and for a resend.
    """
    if not connection.requests:
        return False
    exchange = CURRENT.get()
    return (exchange is not None and exchange.fresh) or (
        time.monotonic() >= connection.reuse_until
    )


class _Traced:
    """A connection as httpcore's trace shows it: used before or not, and closed."""

    __slots__ = ("peer_closed", "received", "requests", "reuse_until")

    def __init__(self, *, reused: bool) -> None:
        self.received = 0
        self.requests = int(reused)
        self.reuse_until = math.inf
        self.peer_closed = False


# What httpcore raises when the connection closed before an answer's head.
_UNANSWERED: Final = "Server disconnected without sending a response."


def _closed_unanswered(exc: object) -> bool:
    # Imported by whatever raised it; at the top, it would make `import
    # ding` import httpcore, and trio with it (httpcore's TrioBackend).
    import httpcore  # noqa: PLC0415

    if isinstance(exc, httpcore.RemoteProtocolError):
        return str(exc) == _UNANSWERED
    return isinstance(exc, httpcore.ReadError) and peer_reset(exc)


def peer_reset(exc: BaseException) -> bool:
    """Whether *exc* was caused by the peer resetting the connection.

    httpcore raises its own error from the backend's (trio's
    ``BrokenResourceError``), which is raised from the socket's ``OSError``.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionError):  # reset, aborted, broken pipe
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def traced(exchange: Exchange) -> Callable[[str, dict[str, object]], Awaitable[None]]:
    """Return a ``trace`` extension for a request that fills in *exchange*.

    httpcore calls it at each step of an HTTP/1.1 request; any other
    transport never does, and the exchange then never counts as stale. A
    connection counts as reused only when no step of opening one (a TCP or
    Unix socket, TLS, a proxy's ``CONNECT`` tunnel) came before the request.
    Only for a GET: httpcore reports a connection closed after part of an
    answer's head as it reports one closed before any byte, and a POST is
    never sent again once an answer may have begun.
    """
    opened = False

    async def on_event(name: str, info: dict[str, object]) -> None:
        nonlocal opened
        if name.startswith("connection."):
            opened = True
        elif name == "http11.send_request_headers.started":
            request = info.get("request")
            if getattr(request, "method", None) == b"CONNECT":
                return  # a proxy's tunnel, opened for this request
            exchange.start(_Traced(reused=not opened))
            opened = False
        elif (
            name == "http11.receive_response_headers.failed"
            and exchange.connection is not None
            and _closed_unanswered(info.get("exception"))
        ):
            exchange.connection.peer_closed = True

    return on_event
