"""The queue in front of the SDK's own connection pool.

A call takes one of `Queue.size` slots (the pool's connection limit) for
as long as its attempt uses a connection; the others wait here, first come
first served, so that the pool itself never has more requests than
connections. httpx's pool (httpcore) scans its whole queue whenever a
connection frees up, so thousands of waiters inside it slow every call and
block the event loop; this queue hands a slot over in constant time. It
also makes the wait for a connection the same on every transport: the
pool timeout bounds it, and running out raises `httpx.PoolTimeout`
(aiohttp would raise its connect timeout instead).

Taking a free slot does not suspend: a call that does not have to wait
costs a counter decrement. Only a waiter allocates an event.
"""

from __future__ import annotations

import math
from collections import deque

import anyio
import httpx

__all__ = ["Queue"]


class _Waiter:
    __slots__ = ("event", "gone")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.gone = False  # timed out or cancelled: skipped when its turn comes


class Queue:
    """A first-come, first-served queue for *size* slots, per event loop.

    Invariant: a slot is free only when nobody waits (`give` hands a
    released slot straight to the first waiter).
    """

    __slots__ = ("_free", "_waiters", "_waiting", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._waiters: deque[_Waiter] = deque()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """How many callers wait for a slot."""
        return self._waiting

    def take(self) -> bool:
        """Take a free slot without waiting; False when there is none."""
        if self._free:
            self._free -= 1
            return True
        return False

    async def wait(self, request: httpx.Request) -> None:
        """Wait for a slot, at most the pool timeout of *request*.

        Raises:
            httpx.PoolTimeout: No slot came free within the pool timeout.
        """
        pool = request.extensions.get("timeout", {}).get("pool")
        waiter = _Waiter()
        self._waiters.append(waiter)
        self._waiting += 1
        try:
            with anyio.move_on_after(math.inf if pool is None else pool):
                await waiter.event.wait()
        except BaseException:
            # Cancelled from outside: leave the line, or pass on the slot
            # handed over in the meantime.
            self._leave(waiter)
            raise
        if not waiter.event.is_set():
            self._leave(waiter)
            raise httpx.PoolTimeout(
                "timed out waiting for a free connection in the pool",
                request=request,
            )

    def _leave(self, waiter: _Waiter) -> None:
        if waiter.event.is_set():
            self.give()  # its turn had come: the slot goes to the next
        else:
            waiter.gone = True
            self._waiting -= 1

    def give(self) -> None:
        """Release a slot: to the first waiter still waiting, else to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.gone:
                self._waiting -= 1
                waiter.event.set()
                return
        self._free += 1
