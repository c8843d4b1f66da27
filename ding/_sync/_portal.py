"""The sync client's event loop: one daemon thread per process, started on first use.

`ding.Ding` forwards every method to the `ding.AsyncDing` coroutine of the
same name through `call`: the coroutine runs as a task on one asyncio loop,
run by one daemon thread that every sync client and every thread of the
process share, and the calling thread waits for its outcome. Retries,
timeouts, errors and decoding so exist once, in the async code.

- The thread starts with the first call and runs until the process ends.
  It is a daemon, so interpreter exit never waits for it; an ``atexit`` hook
  cancels the calls still in flight, waiting at most about a second.
- A forked child (gunicorn ``--preload``, Celery, multiprocessing) starts a
  loop and a thread of its own on its first call, and never touches the
  parent's: their selector and sockets are the parent's too.
- A caller interrupted while it waits (Ctrl-C in the main thread, or any
  exception raised in its thread) cancels its call, gives the cancellation
  a few seconds to end (so that the request is not sent after all), and
  re-raises. The SDK installs no signal handler: a waiting caller sits in a
  lock's acquire, which a signal interrupts.
- A call from a thread already running an event loop works, and warns
  (`BlockingCallInEventLoopWarning`): that loop is blocked meanwhile. A call
  from a coroutine on this very loop would deadlock: `UsageError`.

gevent and eventlet patch `threading` to make greenlets. A greenlet running
the loop would share its OS thread with every other greenlet, and asyncio
would see the loop running in all of them whenever it waits for the network
(`_Threads` says how the loop gets a real thread instead, and how a greenlet
waits for it).

Why asyncio's own primitives (one ``call_soon_threadsafe`` there, one lock
back), not anyio's `BlockingPortal` nor `asyncio.run_coroutine_threadsafe`:
measured side by side (``python scripts/bench_portal.py``, 2026-12-07), a
no-op call cost 72 µs of CPU here, against 156 through ``BlockingPortal``
(a task group and a cancel scope per call) and 91 through
``run_coroutine_threadsafe`` (a `concurrent.futures.Future` and its
condition); an ``AsyncDing`` call to a server 2 ms away, 561, 571 and 621.
At a real latency the three are alike; the lock also works where a
`concurrent.futures.Future` cannot, under eventlet (see `_Threads`).
"""

from __future__ import annotations

import _imp
import asyncio
import atexit
import contextlib
import importlib
import inspect
import os
import sys
import threading
import time
import warnings
from typing import TYPE_CHECKING, Final, ParamSpec, TypeVar

from ding._errors import BlockingCallInEventLoopWarning, UsageError
from ding._transport._pool import prepare_in_place

if TYPE_CHECKING:
    from _thread import LockType
    from collections.abc import Awaitable, Callable

__all__ = ["CLOSED_MESSAGE", "call", "shutdown"]

P = ParamSpec("P")
T = TypeVar("T")

# A waiting caller wakes this often to check that the loop's thread still
# runs, so that a call handed to a loop that has just stopped cannot hang.
_POLL_INTERVAL: Final = 0.25
# The same under eventlet while another thread imports: the wait then
# stalls eventlet's hub (see `_Threads`).
_IMPORTING_POLL_INTERVAL: Final = 0.02
# How long an interrupted caller waits for its cancelled call to end.
_CANCEL_TIMEOUT: Final = 5.0
# How long interpreter exit waits for the calls in flight to be cancelled.
_EXIT_TIMEOUT: Final = 1.0

CLOSED_MESSAGE: Final = (
    "the sync client's event loop is shutting down or has stopped; "
    "the call did not complete"
)
_REENTRANT_MESSAGE: Final = (
    "the sync client was called from inside its own event loop (for example "
    "from a coroutine run by the sync client); this would deadlock. Await the "
    "ding.AsyncDing method instead"
)


class _Threads:
    """How the loop's thread starts, and how a caller waits for the loop.

    A caller waits by acquiring a lock that the loop's thread releases, a
    poll interval at a time. Under gevent's patching, the thread comes from
    the unpatched ``_thread`` module, and the lock is gevent's, which parks
    only the waiting greenlet and can be released from another OS thread;
    a wait without a timeout would leave gevent's hub with nothing to wake
    it, and it would raise ``LoopExit``. eventlet's lock cannot be released
    from another OS thread: there the lock is a real one, waited for in
    eventlet's pool of real threads (`eventlet.tpool.execute`), which wakes
    the greenlet once it is released. While another thread holds the import
    lock (the loop's thread imports its transport on first use), tpool runs
    the wait in the hub's own thread: a short poll bounds that stall.

    Attributes:
        green: gevent or eventlet patched `threading`.
    """

    def __init__(self) -> None:
        self.start_new_thread: Callable[..., object] | None = None
        self.allocate_lock: Callable[[], LockType] = threading.Lock
        self.in_real_thread: Callable[..., bool] | None = None
        gevent = sys.modules.get("gevent.monkey")
        eventlet = sys.modules.get("eventlet.patcher")
        if gevent is not None and gevent.is_module_patched("threading"):
            self.start_new_thread = gevent.get_original("_thread", "start_new_thread")
        elif eventlet is not None and eventlet.is_monkey_patched("thread"):
            real = eventlet.original("_thread")
            self.start_new_thread = real.start_new_thread
            self.allocate_lock = real.allocate_lock
            self.in_real_thread = importlib.import_module("eventlet.tpool").execute
        self.green = self.start_new_thread is not None

    def start(self, target: Callable[[], None]) -> None:
        """Run *target* in a new daemon OS thread.

        Raises:
            UsageError: No thread can start (for example at interpreter exit).
        """
        try:
            if self.start_new_thread is None:
                threading.Thread(target=target, name="ding-portal", daemon=True).start()
            else:
                self.start_new_thread(target, ())
        except RuntimeError as exc:
            raise UsageError(
                "the sync client could not start its event-loop thread"
            ) from exc

    def held_lock(self) -> LockType:
        """Return a new lock, held until the loop's thread releases it."""
        lock = self.allocate_lock()
        lock.acquire()
        return lock

    def wait(
        self,
        lock: LockType,
        timeout: float | None = None,
        given_up: Callable[[], bool] = lambda: False,
    ) -> bool:
        """Take *lock* once it is released.

        Returns:
            False if *timeout* seconds passed first, or *given_up()* became
            true (it is asked once a poll interval).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            poll = _POLL_INTERVAL
            if self.in_real_thread is not None and _imp.lock_held():
                poll = _IMPORTING_POLL_INTERVAL
            if deadline is not None:
                poll = max(0.0, min(poll, deadline - time.monotonic()))
            if self.in_real_thread is None:
                if lock.acquire(blocking=True, timeout=poll):
                    return True
            elif self.in_real_thread(lock.acquire, True, poll):  # noqa: FBT003 - tpool passes no keywords
                return True
            if given_up() or (deadline is not None and time.monotonic() >= deadline):
                return False


class _LoopThread:
    """One asyncio loop, run until the process ends by one daemon OS thread.

    Attributes:
        loop: The loop.
        threads: How its thread was started, and how to wait for it.
        closing: The loop is winding down: a call that starts now is refused.
        ended: The thread has ended; the loop is closed.
    """

    def __init__(self) -> None:
        self.threads = _Threads()
        self.closing = False
        self.ended = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self._made = self.threads.held_lock()
        self._ended = self.threads.held_lock()
        self.threads.start(self._run)

    def ready(self) -> asyncio.AbstractEventLoop:
        """Return the loop, once its thread has made it.

        Raises:
            UsageError: The thread could not make it.
        """
        loop = self.loop
        if loop is None:
            self.threads.wait(self._made)
            self._made.release()  # for the other first callers
            loop = self.loop
            if loop is None:
                raise UsageError("the sync client could not make its event loop")
        return loop

    def _run(self) -> None:
        # Made in its own thread: under gevent, a selector and the sockets
        # of its wake-up pipe belong to the OS thread that makes them.
        try:
            self.loop = loop = asyncio.new_event_loop()
            prepare_in_place(loop)
        finally:
            self._made.release()
        if self.threads.green:
            loop.call_soon(_tick, loop)
        try:
            loop.run_forever()
            self.closing = True
            loop.run_until_complete(_wind_down(_EXIT_TIMEOUT))
        finally:
            loop.close()
            self.ended = True
            self._ended.release()

    def stop(self, timeout: float) -> None:
        """Cancel the calls in flight and end the thread; wait up to *timeout* s."""
        if self.loop is None:  # never made
            return
        with contextlib.suppress(RuntimeError):  # closed already
            self.loop.call_soon_threadsafe(self.loop.stop)
        if self.threads.wait(self._ended, timeout):
            self._ended.release()


def _tick(loop: asyncio.AbstractEventLoop) -> None:
    """Wake the loop every poll interval, under gevent and eventlet.

    Their patched `threading` makes the threads of the loop's default
    executor (aiohttp resolves host names there) greenlets of the loop's
    thread, which run only when its loop wakes up. At interpreter exit the
    executor wakes them from the main thread to end them, and waits: without
    this, until the loop's next timer, or forever when it has none.
    """
    loop.call_later(_POLL_INTERVAL, _tick, loop)


async def _wind_down(timeout: float) -> None:
    """Cancel every task left, as `asyncio.run` does, within *timeout* s."""
    this = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not this]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)
    await asyncio.get_running_loop().shutdown_asyncgens()


_current: _LoopThread | None = None
_lock = threading.Lock()
# A forked child's copies of the parent's loops: closing one would unregister
# the parent's sockets from the selector they share, so they are never closed
# (nor collected, which closes them).
_forked_away: list[_LoopThread] = []


def _loop_thread() -> _LoopThread:
    """Return the process's loop thread, starting it if there is none.

    The lock is never held while waiting: made before gevent or eventlet
    patched `threading` (gunicorn ``--preload``), it is a real lock, which a
    greenlet waiting on it would hold the whole OS thread in.
    """
    global _current  # noqa: PLW0603 - the one loop of the process
    current = _current
    if current is None:
        with _lock:
            current = _current
            if current is None:
                current = _current = _LoopThread()
    return current


def call(fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``await fn(*args, **kwargs)`` on the loop thread and return the result.

    Blocks the calling thread until the coroutine finishes; its exception,
    if any, is re-raised unchanged. If the wait is interrupted (for example
    by Ctrl-C), the coroutine is cancelled, the cancellation is given a few
    seconds to finish, and the interruption is re-raised.

    Args:
        fn: The coroutine function to run.
        *args: Its positional arguments.
        **kwargs: Its keyword arguments.

    Returns:
        What the coroutine returned.

    Raises:
        UsageError: Called from a coroutine running on the loop thread (which
            would deadlock), or the loop stopped before the call completed.
    """
    portal = _loop_thread()
    loop = portal.ready()
    running = asyncio.events._get_running_loop()  # noqa: SLF001 - None, not an exception, when none runs
    if running is loop:
        raise UsageError(_REENTRANT_MESSAGE)
    if running is not None or _in_trio():
        warnings.warn(
            "a blocking ding.Ding method was called from a thread that is running "
            "an event loop; the loop is blocked until the request finishes. Use "
            "ding.AsyncDing in async code",
            BlockingCallInEventLoopWarning,
            stacklevel=_user_stacklevel(),
        )
    job = _Call(portal, fn, args, kwargs)
    try:
        loop.call_soon_threadsafe(job.start)
        job.wait(None)
    except BaseException as exc:
        # Interrupted (or the loop closed): cancel the call, after its start
        # since the loop runs callbacks in order, and give the cancellation
        # time to end.
        with contextlib.suppress(RuntimeError):  # the loop is closed
            loop.call_soon_threadsafe(job.abandon)
        with contextlib.suppress(UsageError):
            job.wait(_CANCEL_TIMEOUT)
        if isinstance(exc, RuntimeError):  # from call_soon_threadsafe alone
            raise UsageError(CLOSED_MESSAGE) from None
        raise
    outcome, job.outcome = job.outcome, None
    if isinstance(outcome, _Raised):
        raise outcome.error
    return outcome  # type: ignore[return-value]


class _Raised:
    """What a call raised, kept apart from what it returned."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Call:
    """One `call`: its task in the loop, and its outcome for the caller.

    The outcome (a value, or a `_Raised`) is set before `done` is released.
    The coroutine's exception travels in it as the very object raised, and
    never reaches asyncio's "exception was never retrieved" logging.
    """

    __slots__ = ("args", "done", "fn", "kwargs", "outcome", "portal", "task")

    def __init__(
        self,
        portal: _LoopThread,
        fn: Callable[..., Awaitable[object]],
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> None:
        self.portal = portal
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.task: asyncio.Task[object] | None = None
        self.outcome: object = None
        self.done = portal.threads.held_lock()

    def start(self) -> None:
        """Start the task (in the loop), unless the loop is winding down."""
        if self.portal.closing:
            self._finish(_Raised(UsageError(CLOSED_MESSAGE)))
            return
        self.task = asyncio.get_running_loop().create_task(self._run())
        self.task.add_done_callback(self._task_done)

    async def _run(self) -> object:
        try:
            return await self.fn(*self.args, **self.kwargs)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            # A SystemExit or KeyboardInterrupt the call raises is its
            # caller's: asyncio would re-raise it out of the loop, and stop it.
            return _Raised(exc)

    def _task_done(self, task: asyncio.Task[object]) -> None:
        self.task = None  # no call -> task -> callback -> call cycle
        if task.cancelled():  # by its interrupted caller, or by a shutdown
            self._finish(_Raised(UsageError(CLOSED_MESSAGE)))
        else:
            self._finish(task.result())

    def _finish(self, outcome: object) -> None:
        self.outcome = outcome
        self.done.release()

    def abandon(self) -> None:
        """Cancel the call of an interrupted caller (in the loop)."""
        if self.task is not None:
            self.task.cancel()

    def wait(self, timeout: float | None) -> None:
        """Wait for the outcome, at most *timeout* s if given.

        Raises:
            UsageError: The loop's thread ended without it, or *timeout* passed.
        """
        portal = self.portal
        if not portal.threads.wait(self.done, timeout, lambda: portal.ended):
            raise UsageError(CLOSED_MESSAGE)


def _in_trio() -> bool:
    """Whether this thread runs trio (never imports it)."""
    if "trio" not in sys.modules:
        return False
    import trio  # noqa: PLC0415 - already imported (checked above)

    try:
        trio.lowlevel.current_trio_token()
    except RuntimeError:
        return False
    return True


def _user_stacklevel() -> int:
    """Return the `stacklevel` for a warning raised here that names user code.

    Counts the frames of the `ding` package (this module, the generated sync
    client) between the caller of `warnings.warn` and the first frame outside
    the package.
    """
    frame = inspect.currentframe()
    frame = frame.f_back if frame is not None else None  # the caller of warn()
    level = 1
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != "ding" and not str(module).startswith("ding."):
            break
        frame = frame.f_back
        level += 1
    return level


def shutdown(timeout: float = 5.0) -> None:
    """Stop the loop thread, if one runs; a later `call` starts a new one.

    Calls still in flight are cancelled: their callers get `UsageError`.

    Args:
        timeout: The most seconds to wait for the thread to end.
    """
    global _current
    with _lock:
        current, _current = _current, None
    if current is not None:
        current.stop(timeout)


def _shutdown_at_exit() -> None:
    with contextlib.suppress(Exception):  # best effort: never holds up the exit
        shutdown(_EXIT_TIMEOUT)


def _forget_after_fork() -> None:
    # Only the forking thread lives on in the child: the loop's thread is
    # gone, and the lock may be held by a thread that is gone too.
    global _current, _lock  # noqa: PLW0603 - the one loop of the process
    if _current is not None:
        _forked_away.append(_current)
    _current = None
    _lock = threading.Lock()


atexit.register(_shutdown_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
