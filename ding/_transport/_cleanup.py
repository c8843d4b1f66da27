"""Closing the connections of an SDK-made httpx client nobody closed.

A client that is garbage-collected unclosed, or whose event loop ends while
it is still open, leaves sockets behind: aiohttp then warns "Unclosed client
session" and "Unclosed connector", asyncio "unclosed transport" and the
socket module "unclosed <socket.socket ...>" (all `ResourceWarning`), and
the file descriptors stay open until the collector gets to each socket.

`watch` ties the client's transport to an async generator started on the
event loop that owns its connections. Both asyncio and trio finalize such
a generator on their own loop (PEP 525's hooks): when it is collected, on
whatever thread the collector runs, the loop is asked to close it
(``call_soon_threadsafe`` on asyncio, trio's entry queue on trio); when the
loop ends first, the loop closes it before it stops (``shutdown_asyncgens``
in `asyncio.run`, the end of `trio.run`). Its ``finally`` then closes the
connections synchronously, on the loop's own thread, so that no cancelled
task and no pending callback can leave one open.

In a process forked from the one that made the client nothing is closed:
the sockets, and the event-loop selector they are registered with, are the
parent's.
"""

from __future__ import annotations

import contextlib
import os
import sys
import weakref
from typing import TYPE_CHECKING, Final, cast

if TYPE_CHECKING:
    from asyncio import AbstractEventLoop
    from collections.abc import AsyncGenerator, Callable, Sequence

    import httpx

__all__ = ["close_now", "watch"]

# Transports inherited by a forked child: never closed there, and kept from
# the collector, which would warn about their sockets.
_FORKED_AWAY: Final[list[object]] = []


def watch(
    client: httpx.AsyncClient,
    transports: Sequence[httpx.AsyncBaseTransport],
    loop: object,
    then: Callable[[], object],
) -> Callable[[], object]:
    """Close the connections of *transports* once *client* is collected or *loop* ends.

    *transports* are the client's: its own, and those it mounted for the
    proxies the environment names.

    Called in a task on *loop*'s thread, right after *client* was made.
    *then* is called after the connections are closed, on *loop*'s thread.

    Returns:
        The finalizer: calling it closes the connections now, from any
        thread (on *loop*'s thread, by asking the loop if it still runs).
    """
    closer = _close_when_finalized(tuple(transports), os.getpid(), then)
    # Runs up to the `yield`: the loop's first-iteration hook registers it,
    # and finalizes it when the loop ends.
    with contextlib.suppress(StopIteration):
        closer.asend(None).send(None)
    # The closer is finished by hand when the client goes, on the loop's
    # thread: trio warns about an async generator collected unfinished.
    finalizer = weakref.finalize(client, _finish_on_loop, closer, loop, os.getpid())
    finalizer.atexit = False
    return finalizer


def _finish_on_loop(closer: AsyncGenerator[None, None], loop: object, pid: int) -> None:
    """Finish *closer* on *loop*'s thread (this one, or by asking the loop)."""
    if os.getpid() != pid:
        _FORKED_AWAY.append(closer)  # not this process's loop
        return
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None and isinstance(loop, asyncio.AbstractEventLoop):
        if _handed_to_asyncio(closer, cast("AbstractEventLoop", loop)):
            return
    elif loop is not None:
        import trio  # noqa: PLC0415 - only a trio token gets here

        try:
            here = trio.lowlevel.current_trio_token()
        except RuntimeError:
            here = None
        if here is not loop:
            with contextlib.suppress(trio.RunFinishedError):
                loop.run_sync_soon(_finish, closer)  # type: ignore[attr-defined]
                return
    # This thread runs the loop, or the loop has ended (and finished the
    # closer already, unless it was closed by hand).
    _finish(closer)


def _handed_to_asyncio(
    closer: AsyncGenerator[None, None], owner: AbstractEventLoop
) -> bool:
    """Queue *closer*'s end on asyncio loop *owner* if it must run there.

    Returns:
        False if this thread runs *owner*, or *owner* has ended: then the
        caller finishes the closer itself.
    """
    import asyncio  # noqa: PLC0415 - imported already by whoever made the loop

    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is owner:
        return False
    if owner.is_running():
        with contextlib.suppress(RuntimeError):  # closed meanwhile
            owner.call_soon_threadsafe(_finish, closer)
            return True
    return False


def _finish(closer: AsyncGenerator[None, None]) -> None:
    # Its `finally` awaits nothing: one step finishes it.
    with contextlib.suppress(StopIteration, RuntimeError):
        closer.aclose().send(None)


async def _close_when_finalized(
    transports: tuple[httpx.AsyncBaseTransport, ...],
    pid: int,
    then: Callable[[], object],
) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if os.getpid() == pid:
            for transport in transports:
                close_now(transport)
            then()
        else:
            _FORKED_AWAY.append(transports)


def close_now(transport: httpx.AsyncBaseTransport) -> None:
    """Close *transport*'s connections without awaiting, on the loop's thread."""
    from ding._transport._aiohttp import AiohttpTransport  # noqa: PLC0415 - aiohttp is imported on first use

    if isinstance(transport, AiohttpTransport):
        transport.close_now()
        return
    # httpx's own transport (httpcore). Its pool closes only when awaited;
    # the sockets under its connections are closed here instead.
    pool = getattr(transport, "_pool", None)
    for connection in getattr(pool, "connections", ()):
        # HTTP/1.1 under the pool's connection; through a proxy's tunnel,
        # under the tunnel's connection to the proxy as well.
        inner = getattr(connection, "_connection", None)
        while inner is not None and not hasattr(inner, "_network_stream"):
            inner = getattr(inner, "_connection", None)
        stream = getattr(inner, "_network_stream", None)
        # On asyncio (anyio's stream) the socket is asyncio's, which cannot
        # be closed from outside: its transport is aborted instead. On trio
        # the socket itself is closed.
        asyncio_transport = getattr(
            getattr(stream, "_stream", None), "_transport", None
        )
        abort = getattr(asyncio_transport, "abort", None)
        with contextlib.suppress(Exception):
            if abort is not None:
                abort()
                continue
            sock = stream.get_extra_info("socket") if stream is not None else None
            close = getattr(sock, "close", None)
            if close is not None:
                close()
