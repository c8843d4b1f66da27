"""An httpx transport over aiohttp, the SDK's default on asyncio.

httpx's own connection pool (httpcore) scans every connection for every
request and slows down as its queue grows; aiohttp's connector keeps a FIFO
of waiters and parses HTTP in C. This transport keeps httpx's request and
response objects (what `raw_response` exposes) and sends through aiohttp.

Failures are mapped to the httpx exceptions with the meaning the retry
policy relies on: `httpx.ConnectError` and `httpx.ConnectTimeout` only when
the request cannot have reached the server (no connection was made), every
later failure as a read, write or protocol error. aiohttp's own retry of
an idempotent request (a GET sent again, once, whenever the connection
broke, a fresh one too) is turned off: retries are the SDK's, counted
against `max_retries`, and the one resend that is not a retry follows the
rules of `ding._transport._reuse`, for which each connection keeps its counts
(`_Handler`) and the pool refuses a connection those rules rule out
(`_Connector`).
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Final, cast

import aiohttp
import httpx
import yarl
from aiohttp import hdrs
from aiohttp.client_proto import ResponseHandler

from ding._transport._reuse import CURRENT, refused

if TYPE_CHECKING:
    import asyncio
    import ssl
    from collections.abc import AsyncIterator

    from aiohttp.client_reqrep import ClientRequest
    from aiohttp.connector import Connection
    from aiohttp.tracing import Trace

__all__ = ["AiohttpTransport"]

_CHUNK: Final = 64 << 10
# An unencoded body of known length up to this size is read in one go (a
# Ding answer is a few hundred bytes); anything else is streamed.
_READ_AT_ONCE: Final = 64 << 10
_DISCONNECTED: Final = "Server disconnected without sending a response."


# aiohttp's exceptions and the httpx ones of the same meaning, first match
# wins; anything else is a protocol error (the answer could not be read).
_TRANSLATIONS: Final[
    tuple[tuple[type[aiohttp.ClientError], type[httpx.RequestError]], ...]
] = (
    # Waiting for a pooled connection, or connecting: nothing was sent.
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    # DNS, refused, unreachable, TLS handshake: no connection, nothing sent.
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientOSError, httpx.ReadError),
)


def _translate(exc: Exception) -> httpx.RequestError:
    """Return the httpx exception with the meaning of an aiohttp one.

    The caller raises it outside its ``except`` block, so that it chains
    nothing: the aiohttp exception, and the frames it went through, hold
    aiohttp's copy of the request, whose headers include the API key, and a
    traceback that shows locals would print them. As with httpx's own
    transports, the exception is given no request: the client, or
    `send_once` on the direct path, attaches it.
    """
    if not isinstance(exc, aiohttp.ClientError):
        # aiohttp refused to write the request (a ValueError); the message
        # may quote a header, so it is not kept.
        return httpx.LocalProtocolError("invalid request")
    cls = next(
        (to for frm, to in _TRANSLATIONS if isinstance(exc, frm)),
        httpx.RemoteProtocolError,
    )
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        # httpcore's words for a connection closed before the answer, the
        # most common failure, so that the message is the same on both.
        message = _DISCONNECTED
    elif isinstance(exc, aiohttp.ClientResponseError):
        # Its str() is fine, but only its message is needed; its
        # request_info holds the request headers, the key included.
        message = exc.message
    else:
        message = str(exc)
    return cls(message)


def _header_items(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Return ``headers.multi_items()``, quicker when every header is ASCII.

    ``multi_items`` first works out the headers' encoding by decoding each
    one, then decodes each again.
    """
    try:
        return [
            (name.lower().decode("ascii"), value.decode("ascii"))
            for name, value in headers.raw
        ]
    except UnicodeDecodeError:
        return headers.multi_items()


@functools.lru_cache(maxsize=32)
def _timeout(
    pool: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    """Return aiohttp's timeouts for httpx's (immutable, so shared)."""
    return aiohttp.ClientTimeout(
        total=None, connect=pool, sock_connect=connect, sock_read=read
    )


class _Handler(ResponseHandler):
    """aiohttp's protocol for one connection, keeping its counts.

    The counts are those of `ding._transport._reuse.Tracked`.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self.received = 0
        self.requests = 0
        self.reuse_until = math.inf
        self.peer_closed = False

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        super().data_received(data)

    def eof_received(self) -> None:
        self.peer_closed = True
        super().eof_received()

    def connection_lost(self, exc: BaseException | None) -> None:
        if isinstance(exc, ConnectionError):  # reset, or a broken pipe
            self.peer_closed = True
        super().connection_lost(exc)


class _Connector(aiohttp.TCPConnector):
    """aiohttp's pool, with the reuse rules of `ding._transport._reuse`."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # TCPConnector's own keywords
        # Every connection gets a `_Handler` (aiohttp makes its protocol
        # through this factory, and nothing else reads it).
        self._factory = cast(
            "functools.partial[ResponseHandler]",
            functools.partial(_Handler, loop=self._loop),
        )

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        """Return a connection for *req* that the reuse rules allow.

        The rules are applied by `ding._transport._reuse.refused`.
        """
        while True:
            connection = await super().connect(req, traces, timeout)
            handler = connection.protocol
            if not isinstance(handler, _Handler):  # pragma: no cover - every one is
                return connection
            if not refused(handler):
                exchange = CURRENT.get()
                if exchange is not None:
                    exchange.start(handler)
                return connection
            # Past its Keep-Alive deadline, or a used one for a resend: closed,
            # and the next one (or a new one) taken.
            connection.close()


class _Body(httpx.AsyncByteStream):
    """The response body, streamed from aiohttp (still compressed)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response: aiohttp.ClientResponse | None = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._response is None:
            return
        content = self._response.content
        while True:
            try:
                chunk = await content.read(_CHUNK)
            except aiohttp.ClientError as exc:
                error = _translate(exc)
            else:
                if not chunk:
                    return
                yield chunk
                continue
            raise error

    async def aclose(self) -> None:
        # Back to the pool when the body was read to the end, else closed.
        # The aiohttp response is let go: it holds the sent headers.
        response, self._response = self._response, None
        if response is not None:
            response.release()


def _response(
    response: aiohttp.ClientResponse, stream: httpx.AsyncByteStream
) -> httpx.Response:
    # Without its request, as httpx's own transports return one: the client
    # (or `send_once`, for the direct path) sets it. No "http_version"
    # extension either: httpx's default, HTTP/1.1, is all aiohttp speaks.
    return httpx.Response(
        status_code=response.status,
        headers=response.raw_headers,
        stream=stream,
        extensions={"reason_phrase": (response.reason or "").encode()},
    )


def _loaded(response: aiohttp.ClientResponse, body: bytes) -> httpx.Response:
    """Return the httpx response of an answer whose whole body is read.

    It is left as ``Response.aread()`` leaves one (``content`` set, the
    stream consumed; `send_once` closes it), without going through httpx's
    chain of async iterators; the body is not encoded, so there is nothing
    to decode.
    """
    result = _response(response, httpx.ByteStream(body))
    result._content = body  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - what aread() sets
    result._num_bytes_downloaded = len(body)  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - likewise
    result.is_stream_consumed = True
    return result


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Send httpx requests through one `aiohttp.ClientSession`.

    Args:
        ssl_context: The TLS context for https URLs.
        limits: The pool size (``max_connections``) and keep-alive expiry.
    """

    def __init__(self, *, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        self._ssl = ssl_context
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = _Connector(
            ssl=self._ssl,
            limit=self._limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=self._limits.keepalive_expiry,  # None: never expires
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # httpx decodes, as with its own transport
            # No cookies kept, as on the direct path of httpx's transport
            # (and the Ding API sets none): nothing to look up per request.
            cookie_jar=aiohttp.DummyCookieJar(),
            # httpx has set every header; aiohttp adds none of its own.
            skip_auto_headers=(
                "accept",
                "accept-encoding",
                "content-type",
                "user-agent",
            ),
        )
        # aiohttp would send a GET again on its own when the connection
        # broke (aio-libs/aiohttp#10790); `max_retries=0` must mean one send.
        # A private switch (aiohttp's test client sets it), there since
        # aiohttp 3.11, the floor in pyproject.toml.
        self._session._retry_connection = False  # noqa: SLF001  # pyright: ignore[reportPrivateUsage]
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send *request*; return the response, its body read unless encoded."""
        session = self._session or self._open()
        timeout = request.extensions.get("timeout", {})
        try:
            response = await session.request(
                request.method,
                # As httpx encoded it: yarl would otherwise re-quote the
                # path, and decode a %3D there to "=" (another path).
                yarl.URL(str(request.url), encoded=True),
                headers=_header_items(request.headers),
                data=request.content or None,
                allow_redirects=False,
                timeout=_timeout(
                    timeout.get("pool"), timeout.get("connect"), timeout.get("read")
                ),
            )
        except (aiohttp.ClientError, ValueError) as exc:
            error = _translate(exc)
        else:
            exchange = CURRENT.get()
            if exchange is not None:
                exchange.answered(response.headers.get(hdrs.KEEP_ALIVE))
            length = response.content_length
            if (
                hdrs.CONTENT_ENCODING in response.headers
                or length is None
                or length > _READ_AT_ONCE
            ):
                # Streamed: the pipeline decodes it and reads no more than its
                # bound (ding._transport._body), as with httpx's own transport.
                return _response(response, _Body(response))
            try:
                # Read here, in one go: the connection is back in the pool
                # when this returns, or closed if the read failed.
                body = await response.read()
            except aiohttp.ClientError as exc:
                error = _translate(exc)
            else:
                return _loaded(response, body)
        raise error

    async def aclose(self) -> None:
        """Close the session and its connections."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def close_now(self) -> None:
        """Close the connections without awaiting, on the loop's own thread.

        What a client nobody closed gets (`ding._transport._cleanup`): each
        connection's socket is closed by the loop on its next turn, and the
        session counts as closed, so that aiohttp has nothing to warn about.
        """
        session, self._session = self._session, None
        if session is not None and not session.closed:
            # Raises nothing, and on a closed loop only marks the pool closed.
            session.connector._close()  # type: ignore[union-attr]  # noqa: SLF001 - synchronous
