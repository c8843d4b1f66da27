"""The blocking portal behind the sync client: one event loop in a daemon thread.

`ding.Ding` forwards every method to the matching `ding.AsyncDing` coroutine
through `call`, which runs the coroutine as a task on a process-wide event
loop (`anyio.run` on the asyncio backend, in a daemon thread) and blocks the
calling thread until it is done. The portal is started lazily by the first
`call`, shared by every thread, replaced when it has stopped, forgotten in a
forked child, and stopped at interpreter exit without ever delaying that exit
for long.

A call crosses to the loop with one `call_soon_threadsafe` and comes back
through one released lock: about 20 µs here, against about 200 µs for
anyio's `BlockingPortal.start_task_soon`, whose task group, cancel scope and
future this module does not need (it keeps each call's outcome itself).

Cancellation: when the waiting caller is interrupted (Ctrl-C, or any exception
raised in its thread while it waits), the coroutine is cancelled inside the
loop and the caller waits a bounded time for that cancellation to finish
before re-raising.
"""

from __future__ import annotations

import atexit
import contextlib
import inspect
import os
import sys
import threading
import warnings
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

import anyio

from ding._errors import BlockingCallInEventLoopWarning, UsageError

if TYPE_CHECKING:
    # Imported at run time by the code that needs it, when the portal first
    # runs: asyncio costs about 12 ms to import, which `import ding` does not
    # pay when only the async client on trio is used.
    import asyncio
    from collections.abc import Awaitable, Callable

__all__ = ["call", "shutdown"]

P = ParamSpec("P")
T = TypeVar("T")

# A waiting caller wakes up this often (only while a call is still running)
# to check that its task and the loop thread are still alive, so that a dead
# loop can never hang it, and so that `_thread.interrupt_main()`, which sends
# no real signal, is noticed promptly. A real SIGINT interrupts the wait at once.
_POLL_INTERVAL = 0.25
# How long an interrupted caller waits for the cancelled coroutine to finish.
_CANCEL_TIMEOUT = 5.0
# How long the atexit hook waits for the loop thread to stop.
_EXIT_TIMEOUT = 1.0

_CLOSED_MESSAGE = (
    "the sync client's event-loop thread is shutting down or has stopped; "
    "the call did not complete"
)


class _LoopThread:
    """One portal: a daemon thread running an asyncio loop through `anyio.run`.

    Attributes:
        usable: True from the moment the portal accepts calls until a stop is
            requested or the thread ends. Read without a lock on the hot path.
        thread_id: The loop thread's `threading.get_ident()`, once started.
        loop: The running loop; set before `usable` becomes true.
        jobs: The calls running in the loop (touched only by the loop thread).
    """

    def __init__(self) -> None:
        self.jobs: set[_Job[Any]] = set()
        self.usable = False
        self.thread_id: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        self._stop_event: anyio.Event | None = None
        self._abandoned = False
        self._ready = threading.Event()
        self.thread = threading.Thread(
            target=self._run, name="ding-portal", daemon=True
        )

    def start(self) -> None:
        """Start the thread and wait until its portal accepts calls.

        Raises:
            UsageError: The event loop could not be started.
        """
        try:
            self.thread.start()
        except RuntimeError as exc:  # for example at interpreter shutdown
            raise UsageError(
                "the sync client could not start its event-loop thread"
            ) from exc
        try:
            self._ready.wait()
        except BaseException:
            # Interrupted while the loop was starting: nobody will use this
            # portal, so make sure it stops once it is up (whichever of this
            # thread and the loop thread sees the other's flag stops it).
            self._abandoned = True
            if self._ready.is_set():
                self.request_stop()
            raise
        if not self.usable:
            raise UsageError(
                "the sync client could not start its event-loop thread"
            ) from self.error

    def request_stop(self) -> None:
        """Ask the loop to stop, cancelling calls still in flight; do not wait."""
        self.usable = False
        loop, stop_event = self.loop, self._stop_event
        if loop is not None and stop_event is not None:
            # RuntimeError: the loop is already closed, nothing left to stop.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop_event.set)

    def submit(self, job: _Job[Any]) -> None:
        """Hand *job* to the loop (from any thread); it starts on the next turn.

        Raises:
            RuntimeError: The loop is closed.
        """
        loop = self.loop
        if loop is None:  # pragma: no cover - a usable portal has its loop
            raise RuntimeError("the portal has no loop")
        loop.call_soon_threadsafe(job.start, self)

    def stop(self, timeout: float) -> None:
        """Request a stop and wait up to `timeout` seconds for the thread to end."""
        self.request_stop()
        if threading.get_ident() != self.thread_id and self.thread.ident is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        try:
            anyio.run(self._main, backend="asyncio")
        except BaseException as exc:  # noqa: BLE001 - kept for the callers; a thread must not raise
            self.error = exc
        finally:
            self.usable = False
            self._ready.set()

    async def _main(self) -> None:
        import asyncio  # noqa: PLC0415 - see the TYPE_CHECKING imports

        self.loop = asyncio.get_running_loop()
        self._stop_event = stop_event = anyio.Event()
        self.thread_id = threading.get_ident()
        self.usable = True
        self._ready.set()
        if self._abandoned:
            stop_event.set()
        await stop_event.wait()
        self.usable = False
        # Cancel the calls in flight and let them finish their cleanup (their
        # callers then get UsageError); calls handed over later never start.
        tasks = [job.task for job in self.jobs if job.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)


class _Job(Generic[T]):
    """One `call`: runs `fn` as a task in the loop and keeps its outcome.

    The outcome (result or exception, including BaseExceptions such as
    SystemExit) is stored here rather than in the task, so that a failing
    coroutine never reaches asyncio's "exception was never retrieved" logging
    and its exception reaches the caller as the very same object.

    The loop thread writes the outcome, then sets `done` and releases
    `finished`; the caller reads the outcome only after acquiring `finished`.

    Attributes:
        completed: `fn` ran to the end (returned or raised); false when it was
            cancelled or never started.
        done: The job is over (ran, or will never run).
        finished: A lock held until `done`; the caller waits on it.
        task: The task running `fn`, once started (loop thread only).
    """

    __slots__ = (
        "_abandoned",
        "_portal",
        "args",
        "completed",
        "done",
        "error",
        "finished",
        "fn",
        "kwargs",
        "result",
        "task",
    )

    result: T

    def __init__(
        self,
        fn: Callable[..., Awaitable[T]],
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.error: BaseException | None = None
        self.task: asyncio.Task[None] | None = None
        self._portal: _LoopThread | None = None
        self._abandoned = False
        self.completed = False
        self.done = False
        # A Lock is cheaper to create and to wait on than an Event.
        self.finished = threading.Lock()
        self.finished.acquire()

    def start(self, portal: _LoopThread) -> None:
        """Start the task (in the loop thread), unless the job is already over."""
        if self._abandoned or not portal.usable:
            self._finish()  # abandoned by its caller, or the portal is stopping
            return
        import asyncio  # noqa: PLC0415 - see the TYPE_CHECKING imports

        self.task = task = asyncio.get_running_loop().create_task(self.run())
        self._portal = portal
        portal.jobs.add(self)
        # A task cancelled before its first step never enters run(): this
        # callback finishes the job whatever happened.
        task.add_done_callback(lambda _: self._finish())

    async def run(self) -> None:
        """Run the call (in the loop thread) and record its outcome."""
        import asyncio  # noqa: PLC0415 - see the TYPE_CHECKING imports

        try:
            if self._abandoned:
                return
            try:
                self.result = await self.fn(*self.args, **self.kwargs)
            except asyncio.CancelledError:
                # Cancelled by the caller's interruption or by a stopping
                # portal: the task ends cancelled, and the job not completed.
                raise
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self.error = exc
            self.completed = True
        finally:
            self._finish()

    def abandon(self) -> None:
        """Stop the job of an interrupted caller (in the loop thread).

        A job that has not started yet never will; a running one is cancelled
        (`Task.cancel`, which anyio's cancel scopes inside the coroutine see as
        a cancellation from outside).
        """
        self._abandoned = True
        if self.task is not None:
            self.task.cancel()
        else:  # not started (or already over): it never will run
            self._finish()

    def _finish(self) -> None:
        if not self.done:
            if self._portal is not None:
                self._portal.jobs.discard(self)
            self.task = None  # no job -> task -> callback -> job cycle
            self.done = True
            self.finished.release()


_current: _LoopThread | None = None
_lock = threading.Lock()
# Portals inherited from the parent by a forked child: their loop thread does
# not exist there and their loop cannot be closed cleanly, so they are kept
# referenced (never finalized) instead of being collected with a warning.
_forked_away: list[_LoopThread] = []


def _ensure_started() -> _LoopThread:
    """Return the running portal, starting one if there is none (thread-safe)."""
    global _current  # noqa: PLW0603 - the one process-wide portal
    with _lock:
        current = _current
        if current is None or not current.usable:
            current = _LoopThread()
            current.start()
            _current = current
        return current


def call(fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``await fn(*args, **kwargs)`` on the portal loop and return the result.

    Blocks the calling thread until the coroutine finishes. The coroutine's
    exception, if any, is re-raised unchanged. If the wait is interrupted (for
    example by Ctrl-C), the coroutine is cancelled, the cancellation is given a
    few seconds to finish, and the interruption is re-raised.

    Args:
        fn: The coroutine function to run.
        *args: Its positional arguments.
        **kwargs: Its keyword arguments.

    Returns:
        What the coroutine returned.

    Raises:
        UsageError: Called from the portal's own event-loop thread (which would
            deadlock), or the portal stopped before the call completed.
    """
    portal = _current
    if portal is None or not portal.usable:
        portal = _ensure_started()
    if portal.thread_id == threading.get_ident():
        raise UsageError(
            "the sync client was called from inside its own event loop (for example "
            "from a coroutine run by the sync client); this would deadlock. Await "
            "the ding.AsyncDing method instead"
        )
    _warn_if_in_event_loop()
    job: _Job[T] = _Job(fn, args, kwargs)
    try:
        portal.submit(job)
        _wait(job, portal)
    except BaseException as exc:
        _cancel(job, portal)
        if isinstance(exc, RuntimeError):
            # The portal's loop closed under us ("Event loop is closed"). The
            # coroutine's own errors are stored in the job and never get here.
            raise UsageError(_CLOSED_MESSAGE) from None
        raise
    error = job.error
    if error is not None:
        job.error = None  # break the job -> exception -> traceback -> job cycle
        raise error
    return job.result


def _wait(job: _Job[Any], portal: _LoopThread) -> None:
    """Block until the job is over; raise `UsageError` if it never will be."""
    while not job.finished.acquire(timeout=_POLL_INTERVAL):
        # Slow path (a call longer than the poll interval, or a lost one): a
        # job handed to a loop that then stopped may never start. The job
        # releases `finished` before the thread ends, so check once more.
        if not portal.thread.is_alive():
            if job.finished.acquire(blocking=False):
                break
            raise UsageError(_CLOSED_MESSAGE) from portal.error
    if not job.completed:  # cancelled inside the loop: the portal is stopping
        raise UsageError(_CLOSED_MESSAGE)


def _cancel(job: _Job[Any], portal: _LoopThread) -> None:
    """Cancel an interrupted call and wait (bounded) until it is over."""
    loop = portal.loop
    if loop is None:  # pragma: no cover - a usable portal has its loop
        return
    try:
        # Runs after the job's own start(), if that was handed over: the
        # loop runs callbacks in the order they were scheduled.
        loop.call_soon_threadsafe(job.abandon)
    except RuntimeError:  # the loop is closed: the job never ran
        return
    if not job.done and portal.thread.is_alive():
        job.finished.acquire(timeout=_CANCEL_TIMEOUT)


def _warn_if_in_event_loop() -> None:
    asyncio = sys.modules.get("asyncio")  # no asyncio imported, no loop running
    try:
        if asyncio is None:
            raise RuntimeError  # noqa: TRY301 - the same path as no running loop
        asyncio.get_running_loop()
    except RuntimeError:
        if not _in_trio():
            return
    warnings.warn(
        "a blocking ding.Ding method was called from a thread that is running an "
        "event loop; the loop is blocked until the request finishes. Use "
        "ding.AsyncDing in async code",
        BlockingCallInEventLoopWarning,
        stacklevel=_user_stacklevel(),
    )


def _in_trio() -> bool:
    if "trio" not in sys.modules:
        return False
    import trio  # noqa: PLC0415 - already imported (checked above); never import it

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
    """Stop the portal's event-loop thread, if one is running.

    Calls still in flight are cancelled (their callers get `UsageError`).
    Waits up to `timeout` seconds for the thread to end; after that the daemon
    thread is left to finish on its own. A later `call` starts a new portal.

    Args:
        timeout: The most seconds to wait for the thread to end.
    """
    global _current
    acquired = _lock.acquire(timeout=timeout)
    try:
        current, _current = _current, None
    finally:
        if acquired:
            _lock.release()
    if current is not None:
        current.stop(timeout)


def _shutdown_at_exit() -> None:
    # Best effort: the thread is a daemon, so it can never hold up the exit.
    with contextlib.suppress(Exception):
        shutdown(_EXIT_TIMEOUT)


def _forget_after_fork() -> None:
    # In the child only the forking thread exists: the loop thread is gone and
    # the lock may have been held by a thread that is gone too.
    global _current, _lock  # noqa: PLW0603 - the one process-wide portal
    if _current is not None:
        _forked_away.append(_current)
    _current = None
    _lock = threading.Lock()


atexit.register(_shutdown_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
