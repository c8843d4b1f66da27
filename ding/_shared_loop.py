"""The sync client's event loop and the calls in it; see `ding._portal`.

`SharedLoop` is one asyncio loop that no thread runs all the time: each
caller runs it while its own call needs it, and hands it on (see
`ding._portal` for the rules). `Job` is one call in it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ding._errors import UsageError

if TYPE_CHECKING:
    # Imported at run time by the code that needs it, on the first call:
    # asyncio costs about 12 ms to import, which `import ding` does not pay
    # when only the async client on trio is used.
    import asyncio
    from collections.abc import Awaitable, Callable
    from types import FrameType

__all__ = ["CLOSED_MESSAGE", "Job", "SharedLoop"]

T = TypeVar("T")

# A waiting caller wakes up this often (only while a call is still running)
# to check that somebody runs the loop (and to run it itself if nobody
# does), so that a lost hand-over can never hang it, and so that
# `_thread.interrupt_main()`, which sends no real signal, is noticed
# promptly. A real SIGINT interrupts the wait at once.
_POLL_INTERVAL = 0.25
# How long an interrupted caller waits for the cancelled coroutine to finish.
_CANCEL_TIMEOUT = 5.0
# Loop turns the helper gives to closing a collected client's connections:
# the close is one callback, the socket is closed by the callback it schedules.
_IDLE_TURNS = 3
# How long a caller that stops running the loop after a shutdown timed out
# gives the loop's last tasks to end before closing it.
_CLOSE_LATE_TIMEOUT = 1.0

CLOSED_MESSAGE = (
    "the sync client's event loop is shutting down or has stopped; "
    "the call did not complete"
)


class SharedLoop:
    """The process's sync event loop, and who runs it.

    Attributes:
        loop: The asyncio loop; run by one thread at a time (holding `_drive`).
        usable: True until a shutdown is requested. Read without a lock.
        jobs: The calls started in the loop (touched only by the thread
            running the loop).
    """

    def __init__(self) -> None:
        import asyncio  # noqa: PLC0415 - see the TYPE_CHECKING imports

        self.loop: asyncio.AbstractEventLoop = asyncio.new_event_loop()
        self.usable = True
        self.jobs: set[Job[Any]] = set()
        # Held by the thread running the loop.
        self._drive = _Baton()
        # Guards the wake-up flags of the jobs and the sets below.
        self._state = threading.Lock()
        # Callers waiting for their call while another thread runs the loop,
        # in arrival order: the loop is handed to the first whose call is not
        # done when the thread running it stops.
        self._waiting: dict[Job[Any], None] = {}
        # Calls of callers that cannot run the loop (they run one already).
        self._assisted: set[Job[Any]] = set()
        self._helper: threading.Thread | None = None
        self._helper_wake = threading.Event()
        self._helper_running = False
        self._idle_work = False
        self._stopping = False
        # close() timed out while a caller ran the loop: that caller closes it.
        self._close_when_free = False
        # A BaseException a signal handler raised in the thread running the
        # loop, inside another thread's call: re-raised in the running thread.
        self._signal_error: BaseException | None = None
        self._tick = _Tick(self.loop)

    @property
    def closed(self) -> bool:
        """The loop is closed: no call will make progress any more."""
        return self.loop.is_closed()

    # --- the calling thread -------------------------------------------------

    def run(self, job: Job[T]) -> None:
        """Run *job* to its end from a thread that may run the loop itself.

        Raises:
            UsageError: The loop closed before the job was done.
        """
        try:
            if self._drive.try_take():
                # Nobody runs the loop: run it here, for this call.
                try:
                    self._check_open()
                    self.loop.call_soon(job.start)
                    self._run_loop_for(job, None)
                finally:
                    self._release()
            else:
                self._hand_over(job)
            if not job.done:
                self._wait(job, None)
        except BaseException:
            # A signal can land between taking the loop and the `try` that
            # hands it back: whoever took it hands it back here.
            if self._drive.mine():
                self._release()
            self._cancel(job, may_run_loop=True, wait=not job.forced)
            raise
        if not job.completed:  # cancelled inside the loop: it is shutting down
            raise UsageError(CLOSED_MESSAGE)

    def run_assisted(self, job: Job[T]) -> None:
        """Run *job* from a thread that cannot run the loop: the helper does.

        Raises:
            UsageError: The helper thread could not start, or the loop closed
                before the job was done.
        """
        if self._stopping:
            raise UsageError(CLOSED_MESSAGE)
        self._start_helper()  # UsageError: nothing was handed over
        with self._state:
            self._assisted.add(job)
        try:
            self._hand_over(job)
            self._helper_wake.set()
            while self._sleep(job, None):
                self._check_helped()
        except BaseException:
            self._cancel(job, may_run_loop=False)
            raise
        finally:
            with self._state:
                self._assisted.discard(job)
                idle = self._helper_running and not self._assisted
            if idle:  # given up on: else the helper runs the loop for it alone
                with contextlib.suppress(RuntimeError):  # closed meanwhile
                    self.loop.call_soon_threadsafe(self._stop_helping)
        if not job.completed:
            raise UsageError(CLOSED_MESSAGE)

    def _hand_over(self, job: Job[Any]) -> None:
        try:
            self.loop.call_soon_threadsafe(job.start)
        except RuntimeError:  # "Event loop is closed"
            raise UsageError(CLOSED_MESSAGE) from None

    def _wait(self, job: Job[Any], deadline: float | None) -> None:
        """Wait until *job* is done, running the loop whenever nobody else does.

        Returns at *deadline* (a `time.monotonic` value) if one is given.
        """
        with self._state:
            self._waiting[job] = None
        try:
            # Registered first, then the lock tried: a thread that releases
            # the loop after this try failed sees this caller when it looks
            # for one to hand the loop to.
            while not job.done:
                if self._drive.try_take():
                    try:
                        if not job.done:
                            self._check_open()
                            self._run_loop_for(job, deadline)
                    finally:
                        self._release()
                    if deadline is not None and time.monotonic() >= deadline:
                        return
                    continue
                if not self._sleep(job, deadline):
                    return
        finally:
            with self._state:
                self._waiting.pop(job, None)

    def _sleep(self, job: Job[Any], deadline: float | None) -> bool:
        """Block until *job* is woken or a poll interval passes.

        Returns:
            Whether to go on waiting: false once *job* is done or *deadline*
            has passed.

        Raises:
            UsageError: The loop is closed and the job is not done.
        """
        timeout = _POLL_INTERVAL
        if deadline is not None:
            timeout = min(timeout, deadline - time.monotonic())
            if timeout <= 0:
                return False
        if job.signal.acquire(timeout=timeout):
            with self._state:
                job.signaled = False
        if job.done:
            return False
        if self.closed:
            raise UsageError(CLOSED_MESSAGE)
        return True

    def _run_loop_for(self, job: Job[Any], deadline: float | None) -> None:
        """Run the loop (holding `_drive`) until *job* is done or *deadline*."""
        loop = self.loop
        timer = None
        if deadline is not None:
            timer = loop.call_at(loop.time() + deadline - time.monotonic(), loop.stop)
        previous = None
        if threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                previous = signal.signal(signal.SIGINT, job.on_sigint)
            self._tick.arm()
        job.running_loop = True
        try:
            loop.run_forever()
        finally:
            job.running_loop = False
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            if timer is not None:
                timer.cancel()
        error, self._signal_error = self._signal_error, None
        if error is not None:
            raise error
        if job.interrupted:
            raise KeyboardInterrupt

    def _cancel(self, job: Job[Any], *, may_run_loop: bool, wait: bool = True) -> None:
        """Cancel an interrupted call and wait (bounded) until it is over."""
        if job.done:
            return
        try:
            # Runs after the job's own start(), if that was handed over: the
            # loop runs callbacks in the order they were scheduled.
            self.loop.call_soon_threadsafe(job.abandon)
        except RuntimeError:  # the loop is closed: the job never ran
            return
        if not wait:  # a second Ctrl-C: the cancellation ends when the loop next runs
            return
        deadline = time.monotonic() + _CANCEL_TIMEOUT
        # UsageError: the loop closed meanwhile, which ends the job too.
        with contextlib.suppress(UsageError):
            if may_run_loop:
                self._wait(job, deadline)
            else:
                self._helper_wake.set()
                while self._sleep(job, deadline):
                    pass

    def _check_open(self) -> None:
        if self.closed:
            raise UsageError(CLOSED_MESSAGE)

    def _release(self) -> None:
        """Stop running the loop, and hand it to whoever needs it next."""
        self._drive.give()
        if self._close_when_free and not self.closed and self._drive.try_take():
            self._close_taken(_CLOSE_LATE_TIMEOUT)
        elif self._waiting or self._assisted or self._idle_work:
            self._hand_on()

    def _helper_alive(self) -> bool:
        helper = self._helper
        return helper is not None and helper.is_alive()

    def _check_helped(self) -> None:
        """Raise `UsageError` if shut down with no helper left to run a call."""
        if self._stopping and not self._helper_alive():
            raise UsageError(CLOSED_MESSAGE)

    def forward_signal_error(self, error: BaseException) -> None:
        """Re-raise *error* in the thread running the loop, once it stops.

        Called in the loop for a KeyboardInterrupt or SystemExit raised in
        another thread's call: a signal handler raises in the main thread,
        in whatever code it runs, which may be that call's.
        """
        self._signal_error = error
        self.loop.stop()

    def _hand_on(self) -> None:
        with self._state:
            for waiter in self._waiting:
                if not waiter.done:
                    if not waiter.signaled:  # else it is about to try already
                        waiter.signaled = True
                        waiter.signal.release()
                    return
        if self._assisted or self._idle_work:
            self._helper_wake.set()

    # --- the loop's side -------------------------------------------------------

    def finished(self, job: Job[Any]) -> None:
        """Called in the loop when *job* is over: stop the loop or wake the caller."""
        if job.running_loop:
            self.loop.stop()  # the caller runs the loop for this very job
            return
        with self._state:
            if job in self._assisted:
                # Only calls not done stay here: the helper runs the loop
                # while there are any.
                self._assisted.discard(job)
                if self._helper_running and not self._assisted:
                    self.loop.stop()
            if not job.signaled:
                job.signaled = True
                job.signal.release()

    # --- the helper thread --------------------------------------------------

    def _stop_helping(self) -> None:
        """Stop the loop if the helper runs it for no assisted call (in the loop)."""
        if self._helper_running and not self._assisted:
            self.loop.stop()

    def run_soon(self, fn: Callable[..., object], *args: object) -> None:
        """Run ``fn(*args)`` in the loop soon, even if no call is running.

        Raises:
            RuntimeError: The loop is closed.
        """
        self.loop.call_soon_threadsafe(fn, *args)
        self._idle_work = True
        with contextlib.suppress(UsageError):  # at interpreter shutdown
            self._start_helper()
        self._helper_wake.set()

    def _start_helper(self) -> None:
        with self._state:
            if self._helper is not None and self._helper.is_alive():
                return
            helper = threading.Thread(
                target=self._help, name="ding-portal", daemon=True
            )
            try:
                helper.start()
            except RuntimeError as exc:  # for example at interpreter shutdown
                raise UsageError(
                    "the sync client could not start its event-loop thread"
                ) from exc
            self._helper = helper

    def _help(self) -> None:
        while not self._stopping:
            self._helper_wake.wait()
            self._helper_wake.clear()
            while (self._assisted or self._idle_work) and not self._stopping:
                if not self._drive.take(_POLL_INTERVAL):
                    continue
                try:
                    if self.closed:
                        return
                    self._idle_work = False
                    if self._assisted:
                        self._helper_running = True
                        try:
                            self.loop.run_forever()  # until the last assisted job ends
                        finally:
                            self._helper_running = False
                    else:
                        self.loop.run_until_complete(_turns(_IDLE_TURNS))
                except BaseException:  # noqa: BLE001, S112 - a thread must not raise; the callers poll
                    continue
                finally:
                    self._release()

    # --- shutdown -------------------------------------------------------------

    def close(self, timeout: float) -> None:
        """Cancel the calls in flight and close the loop, waiting at most *timeout* s.

        If a caller keeps running the loop past *timeout*, that caller closes
        it when it stops.
        """
        self.usable = False
        self._stopping = True
        self._helper_wake.set()
        deadline = time.monotonic() + timeout
        try:
            self.loop.call_soon_threadsafe(self._cancel_all)
        except RuntimeError:  # closed already
            return
        self._close_when_free = True
        if not self._drive.take(max(0.0, timeout)):
            return
        self._close_taken(max(0.0, deadline - time.monotonic()))
        helper = self._helper
        if helper is not None and helper is not threading.current_thread():
            helper.join(max(0.0, deadline - time.monotonic()))

    def _close_taken(self, timeout: float) -> None:
        """Close the loop, which this thread has taken, and wake every caller."""
        try:
            if not self.loop.is_closed():
                with contextlib.suppress(Exception):
                    self.loop.run_until_complete(_wind_down(self.loop, timeout))
                self.loop.close()
        finally:
            self._drive.give()
            with self._state:
                for job in (*self._waiting, *self._assisted):
                    if not job.signaled:
                        job.signaled = True
                        job.signal.release()

    def _cancel_all(self) -> None:
        for job in list(self.jobs):
            if job.task is not None:
                job.task.cancel()


class _Baton:
    """Who runs the loop: one thread at a time, recorded where a signal cannot split it.

    Between a ``Lock.acquire()`` that succeeds and the ``try`` whose
    ``finally`` releases it, a signal handler can raise (CPython runs
    handlers as a call returns), and the lock would stay held by nobody who
    knows. Taking the baton is one dictionary operation that records the
    taker, so whoever catches such an exception can see that the baton is
    its own and hand it back (`mine`).
    """

    __slots__ = ("_freed", "_slot", "_takers")

    def __init__(self) -> None:
        self._slot: dict[int, int] = {}
        self._freed = threading.Event()
        self._takers = 0  # threads blocked in take()

    def try_take(self) -> bool:
        """Take the baton if nobody holds it; never blocks."""
        me = threading.get_ident()
        return self._slot.setdefault(0, me) == me

    def take(self, timeout: float) -> bool:
        """Take the baton, waiting up to *timeout* seconds for it."""
        deadline = time.monotonic() + timeout
        self._takers += 1
        try:
            while not self.try_take():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._freed.wait(min(remaining, _POLL_INTERVAL))
                self._freed.clear()
            return True
        finally:
            self._takers -= 1

    def give(self) -> None:
        """Hand the baton back."""
        self._slot.pop(0, None)
        if self._takers:
            self._freed.set()

    def mine(self) -> bool:
        """Whether this thread holds the baton."""
        return self._slot.get(0) == threading.get_ident()

    def held(self) -> bool:
        """Whether any thread holds the baton."""
        return 0 in self._slot


class _Tick:
    """Wakes the loop every poll interval while the main thread runs it.

    `_thread.interrupt_main()` sends no real signal: its handler runs only
    once the loop wakes up, which this makes prompt. One timer serves every
    call (none is made or cancelled per call): it re-arms itself while the
    main thread runs the loop, and lapses when it finds another thread
    running it.
    """

    __slots__ = ("_armed", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._armed = False

    def arm(self) -> None:
        """Make sure the timer runs (from the main thread, about to run the loop)."""
        if not self._armed:
            self._armed = True
            self._loop.call_later(_POLL_INTERVAL, self._again)

    def _again(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._loop.call_later(_POLL_INTERVAL, self._again)
        else:
            self._armed = False


async def _turns(count: int) -> None:
    import asyncio  # noqa: PLC0415 - see the TYPE_CHECKING imports

    for _ in range(count):
        await asyncio.sleep(0)


async def _wind_down(loop: asyncio.AbstractEventLoop, timeout: float) -> None:
    """Cancel what is left in *loop* and let it end, as `asyncio.run` does.

    The calls in flight were cancelled first (`SharedLoop._cancel_all`);
    this cancels any other task too, then closes what `ding._cleanup`
    watches (the connections of clients nobody closed), and drains the
    tasks that closing made, within *timeout* seconds in all.
    """
    import asyncio  # noqa: PLC0415 - see the TYPE_CHECKING imports

    deadline = loop.time() + timeout
    for round_ in range(3):
        this = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks(loop) if task is not this]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=max(0.0, deadline - loop.time()))
        if round_ == 0:
            await loop.shutdown_asyncgens()
        await asyncio.sleep(0)  # the callbacks those queued


class Job(Generic[T]):
    """One `call`: runs `fn` as a task in the loop and keeps its outcome.

    The outcome (result or exception, including BaseExceptions such as
    SystemExit) is stored here rather than in the task, so that a failing
    coroutine never reaches asyncio's "exception was never retrieved" logging
    and its exception reaches the caller as the very same object.

    Attributes:
        completed: `fn` ran to the end (returned or raised); false when it was
            cancelled or never started.
        done: The job is over (ran, or will never run).
        signal: A lock released to wake the waiting caller (the job is done,
            or the loop is free for it to run); `signaled` says it is released.
        running_loop: The caller is running the loop for this job: its end
            stops the loop.
        interrupted: A Ctrl-C arrived while the caller ran the loop.
        task: The task running `fn`, once started (loop thread only).
    """

    __slots__ = (
        "_abandoned",
        "_shared",
        "args",
        "caller",
        "completed",
        "done",
        "error",
        "fn",
        "forced",
        "interrupted",
        "kwargs",
        "result",
        "running_loop",
        "signal",
        "signaled",
        "task",
    )

    result: T

    def __init__(
        self,
        shared: SharedLoop | None,
        fn: Callable[..., Awaitable[T]],
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> None:
        self._shared = shared
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.error: BaseException | None = None
        self.task: asyncio.Task[None] | None = None
        self._abandoned = False
        self.completed = False
        self.done = False
        self.running_loop = False
        self.interrupted = False
        self.forced = False
        self.caller = threading.get_ident()
        self.signaled = False
        # A Lock is cheaper to create and to wait on than an Event.
        self.signal = threading.Lock()
        self.signal.acquire()

    def start(self) -> None:
        """Start the task (in the loop), unless the job is already over."""
        shared = self._shared
        if self._abandoned or self.done or shared is None or not shared.usable:
            self._finish()  # abandoned by its caller, or the loop is stopping
            return
        self.task = task = shared.loop.create_task(self.run())
        shared.jobs.add(self)
        # A task cancelled before its first step never enters run(): this
        # callback finishes the job whatever happened.
        task.add_done_callback(self._task_done)

    async def run(self) -> None:
        """Run the call (in the loop) and record its outcome."""
        import asyncio  # noqa: PLC0415 - see the TYPE_CHECKING imports

        try:
            # run() finishes the job itself. Left in place, the callback
            # would outlive the call: a task's done callbacks run on the
            # loop's next turn, which may come only with the next call, and
            # it holds the job (and so the client) until then.
            task = self.task
            if task is not None:
                task.remove_done_callback(self._task_done)
            if self._abandoned:
                return
            try:
                self.result = await self.fn(*self.args, **self.kwargs)
            except asyncio.CancelledError:
                # Cancelled by the caller's interruption or by a stopping
                # loop: the task ends cancelled, and the job not completed.
                raise
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                shared = self._shared
                if (
                    not isinstance(exc, Exception)
                    and shared is not None
                    and threading.get_ident() != self.caller
                    and threading.current_thread() is threading.main_thread()
                ):
                    # A signal handler's exception (Ctrl-C, a SIGTERM handler
                    # calling sys.exit), raised in the main thread while it
                    # ran this call for another thread: it is the main
                    # thread's, and this call cannot go on.
                    shared.forward_signal_error(exc)
                    self.error = UsageError(
                        "the call was interrupted by a signal handled in the "
                        "thread that was running the sync client's event loop"
                    )
                else:
                    self.error = exc
            self.completed = True
        finally:
            self._finish()

    def abandon(self) -> None:
        """Stop the job of an interrupted caller (in the loop).

        A job that has not started yet never will; a running one is cancelled
        (`Task.cancel`, which anyio's cancel scopes inside the coroutine see as
        a cancellation from outside).
        """
        self._abandoned = True
        if self.task is not None:
            self.task.cancel()
        else:  # not started (or already over): it never will run
            self._finish()

    def on_sigint(self, _signum: int, _frame: FrameType | None) -> None:
        """SIGINT while the caller runs the loop: cancel the call, then raise."""
        shared = self._shared
        if shared is None:
            raise KeyboardInterrupt
        if self.interrupted:
            # The second Ctrl-C: stop the loop at once, and raise once out
            # of it rather than in whichever call's code runs now.
            self.forced = True
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                shared.loop.call_soon_threadsafe(shared.loop.stop)
            return
        self.interrupted = True
        try:
            # Threadsafe: wakes the loop if it is waiting in its selector.
            shared.loop.call_soon_threadsafe(self.abandon)
        except RuntimeError:  # the loop closed meanwhile: nothing to cancel
            raise KeyboardInterrupt from None

    def _task_done(self, _task: object) -> None:
        self._finish()

    def _finish(self) -> None:
        if not self.done:
            shared = self._shared
            if shared is not None:
                shared.jobs.discard(self)
            self.task = None  # no job -> task -> callback -> job cycle
            self.done = True
            if shared is not None:
                shared.finished(self)
