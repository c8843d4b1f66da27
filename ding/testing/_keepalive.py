"""How long the fake's server keeps an idle keep-alive connection, and whether it says so.

Real servers close a keep-alive connection that waits too long for its next
request (nginx, Node, uvicorn, load balancers), some silently and some
announcing the limit in a ``Keep-Alive: timeout=N`` response header. The
server in `ding.testing._server` does the same when given an idle timeout,
so that a client's recovery from a stale connection can be tested.
"""

from __future__ import annotations

import contextlib
import math
from typing import Final

import h11

from ding._errors import UsageError

__all__ = ["KeepAlivePolicy", "seconds_text"]

_KEEP_ALIVE: Final = b"keep-alive"


def seconds_text(seconds: float) -> str:
    """Write *seconds* as short as it reads back exactly: ``5``, ``0.25``.

    Not ``format(seconds, "g")`` as is: its six significant digits would
    announce ``1.23457e+06`` for 1234567 seconds.
    """
    return repr(float(seconds)).removesuffix(".0")


class KeepAlivePolicy:
    """The idle timeout of keep-alive connections, checked, and its header.

    Args:
        idle_timeout: Seconds a connection may wait for the first byte of its
            next request; None never closes an idle connection.
        announce: Whether responses that keep the connection open carry
            ``Keep-Alive: timeout=N``.

    Raises:
        UsageError: *idle_timeout* is not a positive finite number, or
            *announce* is set without it.
    """

    __slots__ = ("header", "idle_timeout")

    def __init__(self, idle_timeout: float | None, *, announce: bool = False) -> None:
        self.idle_timeout = _checked(idle_timeout)
        if announce and self.idle_timeout is None:
            raise UsageError("announce_idle_timeout=True needs an idle_timeout")
        self.header: tuple[bytes, bytes] | None = None
        if announce and self.idle_timeout is not None:
            value = "timeout=" + seconds_text(self.idle_timeout)
            self.header = (_KEEP_ALIVE, value.encode("ascii"))

    def announced(self, request: h11.Request, response: h11.Response) -> h11.Response:
        """Return *response*, with the ``Keep-Alive`` header if it is announced.

        Only on a response after which the connection stays open: not when
        either side says ``Connection: close``, nor to an HTTP/1.0 client
        (h11 closes those connections), nor when the app set its own.
        """
        header = self.header
        if header is None or request.http_version < b"1.1":
            return response
        if any(name == _KEEP_ALIVE for name, _ in response.headers):
            return response
        for name, value in (*request.headers, *response.headers):
            if name == b"connection" and b"close" in _tokens(value):
                return response
        return h11.Response(
            status_code=response.status_code,
            headers=[*response.headers, header],
            reason=response.reason,
        )


def _checked(idle_timeout: object) -> float | None:
    if idle_timeout is None:
        return None
    # bool is an int, but True seconds is surely a mistake.
    if isinstance(idle_timeout, int | float) and not isinstance(idle_timeout, bool):
        with contextlib.suppress(OverflowError):  # an int past any float
            seconds = float(idle_timeout)
            if math.isfinite(seconds) and seconds > 0:
                return seconds
    raise UsageError(
        "idle_timeout must be a positive finite number of seconds or None,"
        f" not {idle_timeout!r}"
    )


def _tokens(value: bytes) -> list[bytes]:
    return [token.strip().lower() for token in value.split(b",")]
