"""The SDK's connections: one httpx client per event loop, and one send.

`Pool` is what a family of `ding.AsyncDing` copies sends through: an
injected httpx client, or the SDK's own, made lazily for each event loop
that uses it (`Lane`), with the queue of `ding._transport._queue` in front and
the transport chosen for the loop (aiohttp on asyncio, httpx's pool on trio,
both applying the reuse rules of `ding._transport._reuse`). `Lane.send` makes
one attempt: a request a stale connection lost is sent once more there.
`send_once` sends once and reads the body within its bound.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import os
import sys
import threading
import time
import urllib.request
import weakref
from typing import TYPE_CHECKING, Final

import attrs
import httpx

from ding._config import (
    DEFAULT_TIMEOUT,
    HTTPX_LIMITS,
    LIMITS,
    MAX_CONNECTIONS,
    shared_ssl_context,
)
from ding._errors import MalformedResponseError, ResponseTooLargeError, UsageError
from ding._schema._converter import warm as warm_converter
from ding._schema._phone import available as phone_numbers_available
from ding._transport._body import read_bounded, unread_body_dropped
from ding._transport._cleanup import watch
from ding._transport._queue import Queue
from ding._transport._reuse import CURRENT, traced

if TYPE_CHECKING:
    from collections.abc import Callable

    from ding._transport._reuse import Exchange

__all__ = ["Lane", "Pool", "prepare_in_place", "send_once"]


def running_loop() -> object:
    """Return the running event loop: the asyncio loop, or the trio token.

    The same object as ``anyio.lowlevel.current_token().native_token``, which
    costs several microseconds per call (and an import); on asyncio, the
    common case, this asks asyncio directly.

    Raises:
        RuntimeError: No event loop is running in this thread.
    """
    asyncio = sys.modules.get("asyncio")  # not imported: not an asyncio loop
    if asyncio is not None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            pass  # trio, or no loop at all
    import anyio.lowlevel  # noqa: PLC0415 - only off asyncio

    return anyio.lowlevel.current_token().native_token


_FORKED_AWAY: Final[list[httpx.AsyncClient]] = []


class Lane:
    """The httpx client a `Pool` sends through on one event loop.

    For the SDK's own client, the `Queue` in front of it (as many slots as
    it has connections) and the finalizer that closes its connections on
    its loop (`ding._transport._cleanup.watch`); an injected client has
    neither: its pool is the caller's.
    """

    __slots__ = ("client", "finalizer", "queue")

    def __init__(
        self,
        client: httpx.AsyncClient,
        queue: Queue | None = None,
        finalizer: Callable[[], object] | None = None,
    ) -> None:
        self.client = client
        self.queue = queue
        self.finalizer = finalizer

    async def send(
        self,
        direct: httpx.AsyncBaseTransport | None,
        request: httpx.Request,
        max_size: int,
        exchange: Exchange,
    ) -> httpx.Response:
        """`send_once`, queued for a connection when the client is the SDK's.

        A request that a reused connection lost before any answer
        (`ding._transport._reuse`) is sent once more, on a new connection,
        within the same attempt and the same slot.

        Raises:
            httpx.PoolTimeout: No connection came free within the pool timeout.
        """
        queue = self.queue
        if queue is not None and not queue.take():
            await queue.wait(request)
        token = CURRENT.set(exchange)
        # Sent by the client, not by one of the SDK's own transports (which
        # tell directly): what its transport, if it is httpcore, says of its
        # connection; only of a GET (`ding._transport._reuse.traced`).
        trace = direct is None and request.method == "GET"
        if trace:
            request.extensions["trace"] = traced(exchange)
        try:
            try:
                return await send_once(self.client, direct, request, max_size)
            except (httpx.NetworkError, httpx.RemoteProtocolError):
                if not exchange.stale():
                    raise
            exchange.resend()
            if trace:
                request.extensions["trace"] = traced(exchange)
            return await send_once(self.client, direct, request, max_size)
        finally:
            CURRENT.reset(token)
            if trace:
                request.extensions.pop("trace", None)
            if queue is not None:
                queue.give()


@attrs.define
class Pool:
    """The httpx clients a family of `with_options` copies shares.

    The original client owns it; each copy holds a pool *borrowed* from it
    (`borrow`), which sends through the owner's and whose `aclose` ends
    only the copy. The SDK makes its own client lazily, one per event loop
    (`Lane`): a connection belongs to the loop that opened it, and one
    `AsyncDing` may serve several loops at once (Django runs each async
    view of a WSGI server in a new loop, in threads). A loop's lane goes
    when the loop ends; after a fork, the parent's lanes are kept, never
    touched.
    """

    injected: httpx.AsyncClient | None
    closed: bool = False
    lender: Pool | None = None
    # The lane of each running loop. Threads running their own loops look
    # it up and add to it at once: each step is one dict operation (atomic;
    # loops hash by identity), and a thread never needs another's lane, so
    # no lock is taken (under gevent's patching a lock would be a greenlet
    # lock, taken here from the portal's OS thread).
    _lanes: dict[object, Lane] = attrs.field(factory=dict[object, Lane])
    # The lane used last and its loop: one identity check for the common
    # case of a single loop.
    _last: tuple[object, Lane] | None = None
    _pid: int = attrs.field(factory=os.getpid)
    # The one lane of an injected client, on every loop.
    _injected_lane: Lane | None = None

    @property
    def client(self) -> httpx.AsyncClient | None:
        """The SDK's own client the last call went through, if any."""
        if self.lender is not None:
            return self.lender.client
        last = self._last
        return None if last is None else last[1].client

    def borrow(self) -> Pool:
        """Return a pool for a `with_options` copy: the same connections, its own close."""
        return Pool(injected=self.injected, lender=self.lender or self)

    def direct(self, client: httpx.AsyncClient) -> httpx.AsyncBaseTransport | None:
        """Return the transport to send through directly, if *client* is the SDK's.

        None for an injected client, and when the environment mounted a
        proxy (``HTTPS_PROXY`` and the like): the client then routes.
        """
        if self.injected is not None or client._mounts:  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - proxies from the environment
            return None
        return client._transport  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - the SDK created this client

    def get(self) -> Lane | None:
        """Return the lane to send through on the running loop.

        None when the loop has none yet: `open` makes it.

        Raises:
            UsageError: The pool, or the injected client, is closed.
        """
        if self.closed:
            raise UsageError("this client is closed; create a new one")
        if self.lender is not None:
            return self.lender.get()
        if self.injected is not None:
            if self.injected.is_closed:
                raise UsageError("the httpx.AsyncClient passed as client= is closed")
            lane = self._injected_lane
            if lane is None:
                lane = self._injected_lane = Lane(self.injected)
            return lane
        loop = running_loop()
        last = self._last
        if last is not None and last[0] is loop and self._pid == os.getpid():
            return last[1]
        if self._pid == os.getpid():
            lane = self._lanes.get(loop)
            if lane is not None:
                self._last = (loop, lane)
                return lane
        return None

    async def prepare(self) -> None:
        """Get ready for the first call on the running loop; at once after.

        Every operation awaits it before it touches a model class: what
        the call needs is made in a thread of its own (`_prepare`), the
        transport only for the SDK's own client.
        """
        owner = self.lender or self
        loop = running_loop()
        transport = (
            None if owner.injected is not None else _TRANSPORTS[_on_asyncio(loop)]
        )
        if transport not in _WARMED:
            await _prepare(loop, transport)

    async def open(self) -> Lane:
        """Return the running loop's lane, made once the transport is ready.

        Raises:
            UsageError: The pool was closed meanwhile.
        """
        loop = running_loop()
        await _prepare(loop, _TRANSPORTS[_on_asyncio(loop)])
        if self.closed:
            raise UsageError("this client is closed; create a new one")
        if self.lender is not None:
            return await self.lender.open()
        return self._lane(loop)

    def _lane(self, loop: object) -> Lane:
        if self._pid != os.getpid():
            # The parent's connections, inherited by fork: never touched
            # here (closing them would unregister the parent's sockets from
            # the event-loop selector both processes share), and kept from
            # the garbage collector, which would log them.
            _FORKED_AWAY.extend(lane.client for lane in self._lanes.values())
            self._lanes = {}
            self._pid = os.getpid()
        lane = self._lanes.get(loop)
        if lane is None:
            _drop_closed_loops(self._lanes)
            client = _new_client(loop)
            # Closed on its own loop when collected unclosed or when the
            # loop ends (ding._transport._cleanup), which also drops the lane.
            # Only a weak reference to the pool: a pool nobody holds any more
            # goes, and its clients with it.
            finalizer = watch(
                client,
                _transports(client),
                loop,
                functools.partial(_forget, weakref.ref(self), loop),
            )
            lane = Lane(client, Queue(MAX_CONNECTIONS), finalizer)
            self._lanes[loop] = lane
        self._last = (loop, lane)
        return lane

    async def aclose(self) -> None:
        """Close the pool (a borrowed one: only the copy); later calls raise `UsageError`.

        The running loop's client is closed here. Those of other loops are
        let go, not closed from here, where they may be carrying calls: each
        is closed on its own loop when that loop ends, or once its calls are
        done and it is collected (`ding._transport._cleanup`). An injected
        client belongs to the caller and is left open.
        """
        self.closed = True
        if self.lender is not None or self._pid != os.getpid():
            return
        lanes, self._lanes, self._last = self._lanes, {}, None
        try:
            here = running_loop()
        except RuntimeError:  # pragma: no cover - aclose() is always awaited
            here = None
        mine = lanes.get(here)
        if mine is not None:
            await mine.client.aclose()


def _transports(client: httpx.AsyncClient) -> list[httpx.AsyncBaseTransport]:
    """The transports of a client the SDK made: its own and its proxies'."""
    mounted = client._mounts.values()  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - the SDK created this client
    return [
        client._transport,  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - likewise
        *(transport for transport in mounted if transport is not None),
    ]


def _on_asyncio(loop: object) -> bool:
    asyncio = sys.modules.get("asyncio")  # not imported: not an asyncio loop
    return asyncio is not None and isinstance(loop, asyncio.AbstractEventLoop)


#: The transport module the SDK's own client uses, by kind of loop.
_TRANSPORTS: Final = {
    True: "ding._transport._aiohttp",
    False: "ding._transport._httpcore",
}


def _warm(transport: str | None) -> None:
    """Do in advance what a first call would do.

    Import the data model (`ding._lazy` leaves it out of ``import ding``)
    and build the converter's functions (`ding._schema._converter`), and
    ``phonenumbers`` if installed (some 25 ms; `ding._schema._phone`); for
    the SDK's own client, import its *transport* and build the TLS context
    too.
    """
    warm_converter()
    phone_numbers_available()
    if transport is not None:
        importlib.import_module(transport)
        shared_ssl_context()


#: What `_warm` has done: the model (None) and the transports it imported.
_WARMED: Final[set[str | None]] = set()

#: The sync clients' event loop, which `ding._sync._portal` names here when
#: it makes one (`prepare_in_place`).
_IN_PLACE: Final[list[object]] = []


def prepare_in_place(loop: object) -> None:
    """Have a first call on *loop* prepared in place, not in a thread.

    For the sync clients' own loop: it serves only the SDK's calls, which
    would wait for the preparation anyway.
    """
    _IN_PLACE[:] = [loop]


class _Job:
    """One `_warm` run in a thread of its own, as the waiting calls see it."""

    __slots__ = ("done", "error", "pid")

    def __init__(self) -> None:
        self.done = False
        self.error: BaseException | None = None
        self.pid = os.getpid()

    def run(self, transport: str | None) -> None:
        try:
            _warm(transport)
        except BaseException as exc:  # noqa: BLE001 - handed to the calls waiting for it
            _JOBS.pop(transport, None)  # the next first call tries again
            self.error = exc
        self.done = True


#: How often a call waiting for the first-call preparation looks again.
_POLL: Final = 0.005

#: The `_warm` run of each transport, running or done.
_JOBS: Final[dict[str | None, _Job]] = {}


def _started(transport: str | None) -> _Job | None:
    """Return the `_warm` run for *transport*, starting it if none runs.

    One daemon thread of its own per run, not the loop's executor, which
    the application's own jobs may keep busy (or wait in). None when no
    thread can start (the interpreter is shutting down).
    """
    job = _JOBS.get(transport)
    if job is not None and job.pid == os.getpid():
        return job
    job = _Job()
    _JOBS[transport] = job
    try:
        threading.Thread(
            target=job.run, args=(transport,), name="ding-prepare", daemon=True
        ).start()
    except RuntimeError:
        _JOBS.pop(transport, None)
        return None
    return job


async def _prepare(loop: object, transport: str | None) -> None:
    """Get ready what a first call on *loop* needs, without blocking *loop*.

    Importing aiohttp takes some 100 ms, building the TLS context (the CA
    bundle) some 20 ms and the data model some 15: done in a thread of
    their own (`_started`), shared by the calls that wait for it, while the
    loop serves its other tasks; each waiting call looks again every 5 ms.
    On the sync clients' own loop it is done in place (`prepare_in_place`).
    """
    if transport in _WARMED:
        return
    in_place = any(known is loop for known in _IN_PLACE)
    job = None if in_place else _started(transport)
    if job is None:
        _warm(transport)
    else:
        on_asyncio = _on_asyncio(loop)
        while not job.done:
            if on_asyncio:
                import asyncio  # noqa: PLC0415 - the running loop's: imported

                await asyncio.sleep(_POLL)
            else:
                import trio  # noqa: PLC0415 - likewise

                await trio.sleep(_POLL)
        if job.error is not None:
            raise job.error
    _WARMED.add(None)
    _WARMED.add(transport)


def _forget(pool: weakref.ref[Pool], loop: object) -> None:
    """Drop the lane of *loop*, which has ended, from *pool* if it still exists."""
    owner = pool()
    if owner is None:
        return
    owner._lanes.pop(loop, None)  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - the pool's own helper
    last = owner._last  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - likewise
    if last is not None and last[0] is loop:
        owner._last = None  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - likewise


def _drop_closed_loops(lanes: dict[object, Lane]) -> None:
    """Drop the lanes of asyncio loops closed without the end `watch` sees.

    A loop closed after ``run_until_complete``, rather than by `asyncio.run`,
    never finalizes its async generators. The connections of such a lane
    are closed as far as a closed loop allows.
    """
    for loop in list(lanes):
        is_closed = getattr(loop, "is_closed", None)  # asyncio's; a trio token has none
        if is_closed is not None and is_closed():
            lane = lanes.pop(loop, None)
            if lane is not None and lane.finalizer is not None:
                lane.finalizer()


def _new_client(loop: object) -> httpx.AsyncClient:
    """Create the SDK's own httpx client for the running event loop.

    On asyncio it sends through aiohttp (`ding._transport._aiohttp`), whose
    pool keeps its speed under concurrency; on trio through httpx's own pool
    (`ding._transport._httpcore`). Both apply the reuse rules of
    `ding._transport._reuse`. When the environment names a proxy, httpx's plain
    transport routes instead.
    """
    transport: httpx.AsyncBaseTransport | None = None
    # httpx honours HTTP(S)_PROXY, ALL_PROXY and NO_PROXY only with its own
    # transport: with a proxy configured, that one is used.
    if not _environment_proxies():
        if _on_asyncio(loop):
            from ding._transport._aiohttp import AiohttpTransport  # noqa: PLC0415 - aiohttp is imported on first use

            transport = AiohttpTransport(
                ssl_context=shared_ssl_context(), limits=LIMITS
            )
        else:
            from ding._transport._httpcore import HttpcoreTransport  # noqa: PLC0415 - only on trio

            transport = HttpcoreTransport(
                ssl_context=shared_ssl_context(), limits=HTTPX_LIMITS
            )
    return httpx.AsyncClient(
        verify=shared_ssl_context(),
        timeout=DEFAULT_TIMEOUT,
        follow_redirects=False,
        limits=HTTPX_LIMITS,
        transport=transport,
    )


def _environment_proxies() -> bool:
    """Whether the environment names a proxy httpx would use."""
    proxies = urllib.request.getproxies()
    return any(scheme in proxies for scheme in ("http", "https", "all"))


async def send_once(
    client: httpx.AsyncClient,
    direct: httpx.AsyncBaseTransport | None,
    request: httpx.Request,
    max_size: int,
) -> httpx.Response:
    """Send once and read the body, mapping what only a response can mean.

    Through *direct*, the client's own transport, when given; else through
    the client. At most *max_size* decoded bytes of the body are read: a
    longer error answer keeps its first *max_size* bytes, a longer success
    raises `ResponseTooLargeError`.
    """
    started = time.perf_counter()
    try:
        if direct is not None:
            try:
                response = await direct.handle_async_request(request)
            except httpx.RequestError as exc:
                exc.request = request  # as the client would
                raise
            response.request = request  # likewise
        else:
            # Never follow a redirect, whatever the injected client says:
            # the request carries the key (a 3xx becomes RedirectError).
            response = await client.send(request, stream=True, follow_redirects=False)
    except httpx.HTTPStatusError as exc:
        # Raised by an event hook of an injected client (raise_for_status):
        # the answer is mapped like any other error status.
        response = unread_body_dropped(exc.response)
    try:
        too_large = await read_bounded(response, max_size)
        if direct is not None:
            response.elapsed = dt.timedelta(seconds=time.perf_counter() - started)
    except httpx.DecodingError as exc:
        raise MalformedResponseError(
            "the response body could not be decoded (Content-Encoding)",
            response.status_code,
            "",
            response,
        ) from exc
    finally:
        await response.aclose()
    if too_large and 200 <= response.status_code < 300:  # noqa: PLR2004
        raise ResponseTooLargeError(
            f"{request.method} {request.url.path}: the answer is longer than "
            f"max_response_size ({max_size:,} bytes once decoded); the rest was "
            "not read",
            response.status_code,
            "",
            response,
        )
    return response
