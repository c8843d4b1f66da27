"""The SDK's transport on trio: httpx's own, over connections that keep count.

It is httpx's transport (httpcore's pool), given a network backend whose
streams keep the counts the reuse rules of `ding._transport._reuse` need
(`_Stream`). httpcore drops an idle connection whose socket has become readable
(the server closed it) instead of reusing it, so a stream the rules refuse
reports itself readable: the pool then closes it and opens another.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

import httpcore
import httpx

from ding._transport._reuse import CURRENT, peer_reset, refused

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable

__all__ = ["HttpcoreTransport"]


class _Stream(httpcore.AsyncNetworkStream):
    """One connection's stream, keeping `ding._transport._reuse.Tracked`'s counts."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self.received = 0
        self.requests = 0
        self.reuse_until = math.inf
        self.peer_closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            data = await self._inner.read(max_bytes, timeout)
        except httpcore.ReadError as exc:
            self.peer_closed = self.peer_closed or peer_reset(exc)
            raise
        if not data:
            self.peer_closed = True
        self.received += len(data)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # The first write of a request: httpcore writes nothing else (the
        # TLS handshake goes through the inner stream).
        exchange = CURRENT.get()
        if exchange is not None and exchange.connection is not self:
            exchange.start(self)
        try:
            await self._inner.write(buffer, timeout)
        except httpcore.WriteError as exc:
            self.peer_closed = self.peer_closed or peer_reset(exc)
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self._inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return self

    def get_extra_info(self, info: str) -> object:
        # Asked by the pool of an idle connection before it reuses it.
        if info == "is_readable" and refused(self):
            return True
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    """trio's backend, whose streams are `_Stream`."""

    def __init__(self) -> None:
        # httpcore defines TrioBackend only when trio is installed.
        self._inner = cast("httpcore.AsyncNetworkBackend", httpcore.TrioBackend())

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(
            await self._inner.connect_tcp(
                host, port, timeout, local_address, socket_options
            )
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class HttpcoreTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, over `_Backend`'s connections.

    Args:
        ssl_context: The TLS context for https URLs.
        limits: The pool size, idle connections kept, and their expiry.
    """

    def __init__(self, *, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        super().__init__(verify=ssl_context, limits=limits)
        # The pool httpx made, with the backend swapped (httpx takes none).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_Backend(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send *request*; record the answer's ``Keep-Alive`` for its connection."""
        response = await super().handle_async_request(request)
        exchange = CURRENT.get()
        if exchange is not None:
            exchange.answered(response.headers.get("keep-alive"))
        return response
