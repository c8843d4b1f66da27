"""A small HTTP/1.1 server for ASGI apps, on anyio and h11.

It serves the fake Ding API over real TCP (`serve`; `ServerThread` runs it
in a thread) without uvicorn: enough HTTP/1.1 for clients under test, not a
production server.

* Keep-alive connections, one request at a time; ``Content-Length`` and
  chunked request bodies; ``Expect: 100-continue``.
* The request body is read in full (at most `MAX_BODY_SIZE` bytes, else
  413) before the app runs, and delivered as one ``http.request`` message.
  A later ``receive()`` waits until the client goes away, then returns
  ``http.disconnect``.
* The response head is held back until the first body message, so a
  typical response leaves in one write. Without a ``content-length`` header
  from the app, h11 frames the body (chunked, or close-delimited for
  HTTP/1.0 clients).
* `ConnectionDropped` from the app closes the connection: with no response
  at all if none started, else in the middle of the response. Any other
  exception answers 500 if no response started, else closes the connection.
* Malformed requests get 400 (431 for an oversized head) and a close.
* With ``idle_timeout``, a connection whose next request has not begun
  (not one byte read) that many seconds after its last response, or after
  it was accepted, is closed at once; bytes that came too late are never
  read. ``announce_idle_timeout`` adds ``Keep-Alive: timeout=N`` to every
  response that keeps the connection open. None of this by default.
* Lifespan events are not sent; ``scope["type"]`` is always ``"http"``.

Only the ``ding.testing`` logger is used: one line per request at info
level (method, target, status, milliseconds; never a header, so never the
API key), the rest at debug level.
"""

from __future__ import annotations

import contextlib
import errno
import http
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final, cast
from urllib.parse import unquote

import anyio
import anyio.abc
import h11
from anyio.abc import SocketAttribute

from ding.testing._keepalive import KeepAlivePolicy

__all__ = [
    "MAX_BODY_SIZE",
    "MAX_HEAD_SIZE",
    "ASGIApp",
    "ClientDisconnected",
    "ConnectionDropped",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "serve",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_SIZE: Final = 1 << 20
"""The largest request body accepted; a larger one is answered 413."""
MAX_HEAD_SIZE: Final = 64 << 10
"""The largest request line plus headers accepted; a larger head gets 431."""

_logger: Final = logging.getLogger("ding.testing")

_READ_SIZE: Final = 64 << 10
_HEAD_SLICE: Final = 16 << 10
# Closing after an error answer: how long, and how many bytes, to keep reading
# (and discarding) what the client still sends, so that the kernel does not
# answer its unread bytes with a reset that would destroy our answer.
_LINGER_SECONDS: Final = 1.0
_LINGER_BYTES: Final = 4 << 20
# While the app waits for `http.disconnect`, pipelined bytes are kept for the
# next request, up to this many; past it, reading stops until the app is done.
_MAX_PIPELINED: Final = 64 << 10

_REASONS: Final = {s.value: s.phrase.encode() for s in http.HTTPStatus}
_STREAM_ERRORS: Final = (
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    OSError,
)


class ClientDisconnected(OSError):  # noqa: N818 - the ASGI spec calls it a disconnect
    """Raised by ``send()`` when the client has gone away (ASGI spec 2.4)."""


class ConnectionDropped(Exception):  # noqa: N818 - a signal, not an error
    """Raised by the ASGI app to make the server drop the connection.

    Raised before ``http.response.start``: the connection closes with no
    response at all. Raised after some of the body was sent
    (``mid_response=True``): the connection closes in the middle of the
    response.
    """

    def __init__(self, *, mid_response: bool = False) -> None:
        super().__init__(
            "connection dropped" + (" mid-response" if mid_response else "")
        )
        self.mid_response = mid_response


class _BodyTooLargeError(Exception):
    pass


class _Cycle:
    """One request/response on a connection: the app's ``receive`` and ``send``."""

    __slots__ = ("body", "body_sent", "complete", "conn", "request", "response")

    def __init__(self, conn: _Connection, request: h11.Request, body: bytes) -> None:
        self.conn = conn
        self.request = request
        self.body = body
        self.body_sent = False
        # The app's http.response.start, until the first body message sends it.
        self.response: h11.Response | None = None
        self.complete = False

    async def receive(self) -> Message:
        if not self.body_sent:
            self.body_sent = True
            body, self.body = self.body, b""
            return {"type": "http.request", "body": body, "more_body": False}
        if not self.complete:
            await self.conn.wait_for_disconnect()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            await self._send_body(message)
        elif kind == "http.response.start":
            if self.response is not None:
                raise RuntimeError("http.response.start sent twice")
            status = int(message["status"])
            # h11 validates the headers here, in the app's call.
            self.response = self.conn.keep_alive.announced(
                self.request,
                h11.Response(
                    status_code=status,
                    headers=message.get("headers") or [],
                    reason=_REASONS.get(status, b""),
                ),
            )
        else:
            raise RuntimeError(f"unexpected ASGI message type {kind!r}")

    async def _send_body(self, message: Message) -> None:
        response = self.response
        if response is None:
            raise RuntimeError("http.response.body before http.response.start")
        if self.complete:
            raise RuntimeError("http.response.body after the response completed")
        h11_conn = self.conn.h11
        data = b""
        if h11_conn.our_state is not h11.SEND_BODY:
            data = h11_conn.send(response) or b""
        body = message.get("body", b"")
        if body and not self.conn.head_request:
            data += h11_conn.send(h11.Data(data=body)) or b""
        if not message.get("more_body", False):
            data += h11_conn.send(h11.EndOfMessage()) or b""
            self.complete = True
        if data:
            await self.conn.write(data)
        if self.complete:
            # The idle clock starts now, even if the app runs on a while.
            self.conn.idle_since = anyio.current_time()

    async def flush_head(self) -> None:
        """Send the held-back response head, if any (the connection then drops)."""
        h11_conn = self.conn.h11
        if self.response is None or h11_conn.our_state is not h11.SEND_RESPONSE:
            return
        with contextlib.suppress(ClientDisconnected, h11.LocalProtocolError):
            await self.conn.write(h11_conn.send(self.response) or b"")


class _Connection:
    """One client connection, served by the task that accepted it."""

    __slots__ = (
        "app",
        "client",
        "h11",
        "head_request",
        "idle_since",
        "keep_alive",
        "peer_closed",
        "pending",
        "server",
        "stream",
    )

    def __init__(
        self,
        app: ASGIApp,
        stream: anyio.abc.SocketStream,
        keep_alive: KeepAlivePolicy,
    ) -> None:
        self.app = app
        self.stream = stream
        self.keep_alive = keep_alive
        self.idle_since = anyio.current_time()
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_SIZE)
        self.peer_closed = False
        self.pending = b""
        self.head_request = False
        self.client = _address(lambda: stream.extra(SocketAttribute.remote_address))  # noqa: S610 - anyio typed attributes, not Django
        self.server = _address(lambda: stream.extra(SocketAttribute.local_address))  # noqa: S610 - anyio typed attributes, not Django

    async def run(self) -> None:
        """Serve requests until one of the two sides ends the connection."""
        if not await self._serve():
            await self._close()

    async def _serve(self) -> bool:
        h11_conn = self.h11
        while True:
            if not await self._wait_for_request():
                return True  # no linger: what came too late stays unread
            try:
                event = await self._next_event()
                if not isinstance(event, h11.Request):
                    # ConnectionClosed: the client closed between requests.
                    return True
                self.head_request = event.method == b"HEAD"
                body = await self._read_body(event)
            except h11.RemoteProtocolError as exc:
                if not self.peer_closed:
                    _logger.debug("bad request from %s: %s", self.client, exc)
                    await self._send_simple(exc.error_status_hint, str(exc))
                return False
            except _BodyTooLargeError:
                await self._send_simple(413, "Request body too large")
                return False
            if not await self._run_app(event, body):
                return False
            if (
                h11_conn.our_state is not h11.DONE
                or h11_conn.their_state is not h11.DONE
            ):
                # Connection: close (ours or theirs), or an HTTP/1.0 client.
                return False
            h11_conn.start_next_cycle()
            self.head_request = False

    async def _wait_for_request(self) -> bool:
        """Whether the next request begins before the idle timeout, if any.

        Only the wait for its first bytes is timed: a request whose first
        byte was read is served however long the rest takes.
        """
        timeout = self.keep_alive.idle_timeout
        buffered, closed = self.h11.trailing_data
        if timeout is None or buffered or closed or self.pending or self.peer_closed:
            return True
        with anyio.move_on_after(self.idle_since + timeout - anyio.current_time()):
            self.pending = await self._read()
            return True
        _logger.debug(
            "closed the connection from %s: idle for %s s", self.client, timeout
        )
        return False

    async def _next_event(self) -> h11.Event | type[h11.PAUSED]:
        h11_conn = self.h11
        while True:
            event = h11_conn.next_event()
            if event is h11.NEED_DATA:
                data = await self._read()
                if len(data) > _HEAD_SLICE:
                    # h11 bounds only an *incomplete* head: feed it in slices.
                    data, self.pending = data[:_HEAD_SLICE], data[_HEAD_SLICE:]
                h11_conn.receive_data(data)
            else:
                return cast("h11.Event | type[h11.PAUSED]", event)

    async def _read_body(self, request: h11.Request) -> bytes:
        for name, value in request.headers:
            if name == b"content-length" and int(value) > MAX_BODY_SIZE:
                raise _BodyTooLargeError
        h11_conn = self.h11
        chunks: list[bytes] = []
        size = 0
        while True:
            event = h11_conn.next_event()
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > MAX_BODY_SIZE:
                    raise _BodyTooLargeError
                chunks.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
            elif event is h11.NEED_DATA:
                if h11_conn.they_are_waiting_for_100_continue:
                    continue_ = h11.InformationalResponse(status_code=100, headers=[])
                    await self.write(h11_conn.send(continue_) or b"")
                h11_conn.receive_data(await self._read())
            else:  # pragma: no cover - h11 yields only the above here
                raise h11.RemoteProtocolError(f"unexpected {event!r}")

    async def _run_app(self, request: h11.Request, body: bytes) -> bool:
        """Run the app on one request; return whether the connection may go on."""
        raw_target = request.target
        raw_path, _, query = raw_target.partition(b"?")
        if not raw_path.startswith(b"/"):
            # absolute-form (http://host/path) or asterisk-form (*)
            _, sep, rest = raw_path.partition(b"://")
            if sep:
                raw_path = b"/" + rest.partition(b"/")[2]
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": request.http_version.decode("ascii"),
            "method": request.method.decode("ascii"),
            "scheme": "http",
            "path": unquote(raw_path.decode("latin-1")),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": list(request.headers),
            "client": self.client,
            "server": self.server,
        }
        cycle = _Cycle(self, request, body)
        started = time.perf_counter()
        try:
            await self.app(scope, cycle.receive, cycle.send)
        except Exception as exc:
            if _is_drop(exc):
                await cycle.flush_head()
                _log_request(request, cycle, started, "dropped")
                _logger.debug("app dropped the connection from %s", self.client)
            else:
                _log_request(request, cycle, started, "500")
                _logger.debug(
                    "app failed on %s %r from %s",
                    scope["method"],
                    raw_target,
                    self.client,
                    exc_info=True,
                )
                # Only if nothing was sent yet (the head is held back).
                await self._send_simple(500, "Internal Server Error")
            return False
        _log_request(request, cycle, started, None if cycle.complete else "500")
        if not cycle.complete:
            _logger.debug("app returned without completing its response")
            await self._send_simple(500, "Internal Server Error")
            return False
        return not self.peer_closed

    async def _send_simple(self, status: int, text: str) -> None:
        """Answer *status* with a plain-text body and ``Connection: close``."""
        h11_conn = self.h11
        if self.peer_closed or h11_conn.our_state not in {h11.IDLE, h11.SEND_RESPONSE}:
            return
        body = text.encode("utf-8", "replace")
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        try:
            data = (
                h11_conn.send(
                    h11.Response(
                        status_code=status,
                        headers=headers,
                        reason=_REASONS.get(status, b""),
                    )
                )
                or b""
            )
            if not self.head_request:
                data += h11_conn.send(h11.Data(data=body)) or b""
            data += h11_conn.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:  # pragma: no cover - defensive
            _logger.debug("could not answer %d", status, exc_info=True)
            return
        with contextlib.suppress(ClientDisconnected):
            await self.write(data)

    async def _read(self) -> bytes:
        """Return the next bytes from the client, ``b""`` once it has gone."""
        if self.pending:
            data, self.pending = self.pending, b""
            return data
        if self.peer_closed:
            return b""
        try:
            return await self.stream.receive(_READ_SIZE)
        except _STREAM_ERRORS:
            self.peer_closed = True
            return b""

    async def write(self, data: bytes) -> None:
        """Send *data*, or raise `ClientDisconnected` if the client has gone."""
        try:
            await self.stream.send(data)
        except _STREAM_ERRORS as exc:
            self.peer_closed = True
            raise ClientDisconnected(errno.EPIPE, "the client disconnected") from exc

    async def wait_for_disconnect(self) -> None:
        """Wait until the client goes away, keeping what it pipelines meanwhile."""
        h11_conn = self.h11
        while not self.peer_closed:
            if len(h11_conn.trailing_data[0]) > _MAX_PIPELINED:
                await anyio.sleep_forever()
            data = await self._read()
            # b"" (the client has gone) is recorded too.
            h11_conn.receive_data(data)

    async def _close(self) -> None:
        """Close the connection politely: our FIN first, then read to the end.

        Reading on until the client closes (within bounds) keeps the kernel
        from resetting the connection over unread bytes, which could destroy
        the answer we just sent before the client reads it.
        """
        if self.peer_closed:
            return
        stream = self.stream
        with anyio.move_on_after(_LINGER_SECONDS):
            try:
                await stream.send_eof()
                received = 0
                while received < _LINGER_BYTES:
                    received += len(await stream.receive(_READ_SIZE))
            except _STREAM_ERRORS:
                pass


def _log_request(
    request: h11.Request, cycle: _Cycle, started: float, outcome: str | None
) -> None:
    """Log one request at info level: method, target, status (or *outcome*), ms."""
    if not _logger.isEnabledFor(logging.INFO):
        return
    if outcome is None:
        outcome = str(cycle.response.status_code) if cycle.response else "-"
    target = unquote(request.target.decode("latin-1"))
    # Printable, so that a request cannot forge a line of the log.
    target = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in target)
    _logger.info(
        "%s %s %s %.1f ms",
        request.method.decode("ascii", "replace"),
        target,
        outcome,
        (time.perf_counter() - started) * 1000,
    )


def _address(lookup: Callable[[], object]) -> tuple[str, int] | None:
    try:
        address = lookup()
    except (anyio.TypedAttributeLookupError, OSError):
        return None
    if isinstance(address, tuple):
        host, port = cast("tuple[object, object]", address[:2])
        return (str(host), int(cast("int", port)))
    return None  # pragma: no cover - not a TCP socket


def _is_drop(exc: BaseException) -> bool:
    """Whether *exc* is `ConnectionDropped`, possibly inside exception groups."""
    if isinstance(exc, ConnectionDropped):
        return True
    inner: object = getattr(exc, "exceptions", None)
    if isinstance(inner, tuple):
        members = cast("tuple[object, ...]", inner)
        return any(isinstance(e, BaseException) and _is_drop(e) for e in members)
    return False


async def _handle(
    app: ASGIApp, stream: anyio.abc.SocketStream, keep_alive: KeepAlivePolicy
) -> None:
    try:
        await _Connection(app, stream, keep_alive).run()
    except Exception:
        _logger.debug("connection failed", exc_info=True)
    finally:
        with anyio.CancelScope(shield=True):
            await stream.aclose()


async def _accept_loop(
    app: ASGIApp,
    listener: anyio.abc.SocketListener,
    task_group: anyio.abc.TaskGroup,
    keep_alive: KeepAlivePolicy,
) -> None:
    while True:
        try:
            stream = await listener.accept()
        except anyio.ClosedResourceError:
            return
        except (OSError, anyio.BrokenResourceError):
            # Out of file descriptors, a connection aborted before accept(), ...
            _logger.debug("accept() failed", exc_info=True)
            await anyio.sleep(0.05)
            continue
        task_group.start_soon(_handle, app, stream, keep_alive)


def _url(listener: anyio.abc.SocketListener) -> str:
    address = listener.extra(SocketAttribute.local_address)  # noqa: S610 - anyio typed attributes, not Django
    if not isinstance(address, tuple):  # pragma: no cover - TCP listeners only
        raise TypeError(f"not a TCP listener: {address!r}")
    host, port = str(address[0]), int(address[1])
    if host == "0.0.0.0":  # noqa: S104 - reports a wildcard bind as loopback, binds nothing
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


async def serve(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    idle_timeout: float | None = None,
    announce_idle_timeout: bool = False,
    task_status: anyio.abc.TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve *app* over HTTP/1.1 on *host*:*port* until cancelled.

    Args:
        app: An ASGI 3 application (``http`` scopes only).
        host: The address to bind; only this one (a name may resolve to
            several addresses, e.g. ``localhost``; all of them are bound).
        port: The port; 0 picks a free one.
        idle_timeout: Close a connection when the first byte of its next
            request has not been read this many seconds after its last
            response (or after it was accepted), as real servers do; the
            bytes that came too late are discarded, unread. None (the
            default) keeps idle connections open.
        announce_idle_timeout: Add ``Keep-Alive: timeout=N`` (``5``,
            ``0.25``) to every response that keeps the connection open;
            needs *idle_timeout*.
        task_status: Receives the base URL, ``http://HOST:PORT``, once the
            server listens (use ``await task_group.start(serve, app)``).

    Raises:
        OSError: The address cannot be bound.
        UsageError: *idle_timeout* is not a positive finite number, or
            *announce_idle_timeout* is set without it.
    """
    keep_alive = KeepAlivePolicy(idle_timeout, announce=announce_idle_timeout)
    multi = await anyio.create_tcp_listener(local_host=host, local_port=port)
    listeners = [s for s in multi.listeners if isinstance(s, anyio.abc.SocketListener)]
    async with multi, anyio.create_task_group() as task_group:
        for listener in listeners:
            task_group.start_soon(_accept_loop, app, listener, task_group, keep_alive)
        task_status.started(_url(listeners[0]))
