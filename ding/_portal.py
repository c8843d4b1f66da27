"""The event loop behind the sync client, run by the threads that call it.

`ding.Ding` forwards every method to the matching `ding.AsyncDing` coroutine
through `call`. Every sync client of a process shares one asyncio event loop
(so copies made by ``with_options`` share connections). No thread runs that
loop all the time: it runs in the thread of a caller waiting for its result.

- A call made while no thread runs the loop runs it right there, in the
  calling thread, until its own coroutine is done. A sequential caller's
  call therefore never crosses to another thread: no wake-up of a second
  thread on the way in, none on the way back.
- A call made while another thread runs the loop hands its coroutine to that
  loop (one ``call_soon_threadsafe``) and waits. When the running thread's
  own call is done it stops the loop and hands it to one waiting caller
  whose call is not done yet, which runs it in turn. While any thread runs
  the loop, every call in it makes progress.
- A thread that is already running an event loop (asyncio or trio) cannot
  run a second one: its call is run by a helper thread, ``ding-portal``,
  started on first need (with a `BlockingCallInEventLoopWarning`, since the
  caller's own loop is blocked meanwhile). The helper also gives the loop
  the few turns that close the connections of a client collected unclosed
  while no call is running.

Cancellation: when the waiting caller is interrupted (Ctrl-C, or any exception
raised in its thread while it waits), the coroutine is cancelled inside the
loop and the caller waits a bounded time for that cancellation to finish
before re-raising. In the main thread, while the call runs the loop, a
Ctrl-C does not interrupt the loop's own code halfway: it cancels the call,
as in `asyncio.run`, and a second Ctrl-C raises at once.

In a forked child the parent's loop is forgotten (its selector is shared with
the parent) and the child's first call makes a new one. At interpreter exit
the loop is closed after cancelling the calls still in flight, never
delaying the exit for more than about a second.
"""

from __future__ import annotations

import atexit
import contextlib
import inspect
import os
import sys
import threading
import warnings
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from ding._errors import BlockingCallInEventLoopWarning, UsageError
from ding._shared_loop import Job, SharedLoop

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["call", "run_soon", "shutdown"]

P = ParamSpec("P")
T = TypeVar("T")
# How long the atexit hook waits for the calls in flight to be cancelled.
_EXIT_TIMEOUT = 1.0


_current: SharedLoop | None = None
_lock = threading.Lock()
# Loops inherited from the parent by a forked child: their selector is the
# parent's, so they are kept referenced (never finalized) instead of being
# collected with a warning.
_forked_away: list[SharedLoop] = []


def _ensure_started() -> SharedLoop:
    """Return the usable shared loop, making one if there is none (thread-safe)."""
    global _current  # noqa: PLW0603 - the one process-wide loop
    with _lock:
        current = _current
        if current is None or not current.usable:
            current = _current = SharedLoop()
        return current


def call(fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``await fn(*args, **kwargs)`` on the shared loop and return the result.

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
        UsageError: Called from a coroutine running on the shared loop
            (which would deadlock), or the loop stopped before the call
            completed.
    """
    shared = _current
    if shared is None or not shared.usable:
        shared = _ensure_started()
    job: Job[T] = Job(shared, fn, args, kwargs)
    if _in_event_loop(shared):
        warnings.warn(
            "a blocking ding.Ding method was called from a thread that is running "
            "an event loop; the loop is blocked until the request finishes. Use "
            "ding.AsyncDing in async code",
            BlockingCallInEventLoopWarning,
            stacklevel=_user_stacklevel(),
        )
        shared.run_assisted(job)
    else:
        shared.run(job)
    error = job.error
    if error is not None:
        job.error = None  # break the job -> exception -> traceback -> job cycle
        raise error
    return job.result


def run_soon(loop: object, fn: Callable[..., object], *args: object) -> bool:
    """Run ``fn(*args)`` soon on *loop* if it is the sync client's loop.

    For closing a collected client's connections, which must happen in the
    loop even when no call is running.

    Returns:
        Whether *loop* is the sync client's (open) loop, and ``fn`` queued.
    """
    shared = _current
    if shared is None or shared.loop is not loop or shared.closed:
        return False
    try:
        shared.run_soon(fn, *args)
    except RuntimeError:  # closed meanwhile
        return False
    return True


def _in_event_loop(shared: SharedLoop) -> bool:
    """Whether this thread runs an event loop already (not the shared one).

    Raises:
        UsageError: This thread runs the shared loop: the call comes from a
            coroutine the sync client runs, and waiting would deadlock.
    """
    asyncio = sys.modules.get("asyncio")  # no asyncio imported, no loop running
    if asyncio is not None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is shared.loop:
            raise UsageError(
                "the sync client was called from inside its own event loop (for "
                "example from a coroutine run by the sync client); this would "
                "deadlock. Await the ding.AsyncDing method instead"
            )
        if running is not None:
            return True
    return _in_trio()


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
    """Close the shared loop, if there is one.

    Calls still in flight are cancelled (their callers get `UsageError`).
    Waits up to `timeout` seconds for them to end and for the helper thread
    to stop. A later `call` makes a new loop.

    Args:
        timeout: The most seconds to wait.
    """
    global _current
    acquired = _lock.acquire(timeout=timeout)
    try:
        current, _current = _current, None
    finally:
        if acquired:
            _lock.release()
    if current is not None:
        current.close(timeout)


def _shutdown_at_exit() -> None:
    # Best effort: never holds up the exit for long.
    with contextlib.suppress(Exception):
        shutdown(_EXIT_TIMEOUT)


def _forget_after_fork() -> None:
    # In the child only the forking thread exists: the helper thread is gone,
    # the loop's selector is the parent's, and the lock may have been held by
    # a thread that is gone too.
    global _current, _lock  # noqa: PLW0603 - the one process-wide loop
    if _current is not None:
        _forked_away.append(_current)
    _current = None
    _lock = threading.Lock()


atexit.register(_shutdown_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
