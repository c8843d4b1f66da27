"""The blocking portal behind the sync client (`ding._portal`)."""

# These tests inspect and patch the portal's private state on purpose (as
# ruff's per-file SLF001 ignore for tests already allows).
# pyright: reportPrivateUsage=false

from __future__ import annotations

import _thread
import asyncio
import concurrent.futures
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import pytest

from ding import _portal
from ding._errors import BlockingCallInEventLoopWarning, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# Nothing here may hang: every wait has a deadline well under pytest-timeout's.
DEADLINE = 10.0
# The directory that holds the `ding` package, for subprocesses.
PACKAGE_ROOT = str(Path(_portal.__file__).resolve().parents[1])


@pytest.fixture(autouse=True)
def _fresh_portal() -> Iterator[None]:
    _portal.shutdown()
    yield
    _portal.shutdown()
    assert not _portal_threads(), "shutdown() left a portal thread running"


def _portal_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ding-portal"]


def _current() -> _portal._LoopThread:
    current = _portal._current
    assert current is not None
    return current


async def add(a: int, b: int) -> int:
    await anyio.lowlevel.checkpoint()
    return a + b


async def loop_thread() -> int:
    return threading.get_ident()


def run_script(script: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": PACKAGE_ROOT}
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=2 * DEADLINE,
        env=env,
        check=False,
    )


def run_threads(count: int, target: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    assert not any(thread.is_alive() for thread in threads), "a caller hung"


# --- 1. lazy, one shared thread ------------------------------------------------


def test_import_starts_nothing() -> None:
    result = run_script("""
        import threading
        import ding._portal as portal
        assert portal._current is None, portal._current
        assert threading.active_count() == 1, threading.enumerate()
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_first_call_starts_the_portal() -> None:
    assert _portal._current is None
    assert not _portal_threads()
    assert _portal.call(add, 1, 2) == 3
    assert _portal_threads() == [_current().thread]
    assert _current().thread.daemon


def test_concurrent_first_calls_start_exactly_one_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    starts: list[None] = []
    original_start = _portal._LoopThread.start

    def counting_start(self: _portal._LoopThread) -> None:
        starts.append(None)
        original_start(self)

    monkeypatch.setattr(_portal._LoopThread, "start", counting_start)
    barrier = threading.Barrier(32)
    loops: list[int] = []

    def caller(_: int) -> None:
        barrier.wait(DEADLINE)
        loops.append(_portal.call(loop_thread))

    run_threads(32, caller)
    assert len(loops) == 32
    assert len(starts) == 1
    assert set(loops) == {_current().thread.ident}
    assert len(_portal_threads()) == 1


class _InterruptedEvent(threading.Event):
    """A startup event whose wait is interrupted, optionally after it is set."""

    wait_first = False

    def wait(self, timeout: float | None = None) -> bool:
        if self.wait_first:
            super().wait(DEADLINE if timeout is None else timeout)
        raise KeyboardInterrupt


@pytest.mark.parametrize("after_ready", [False, True])
def test_interrupted_start_leaves_no_thread_behind(
    monkeypatch: pytest.MonkeyPatch, after_ready: bool
) -> None:
    # Ctrl-C while the first call waits for the loop to come up, either
    # before the loop is ready (it must notice and stop) or after (the
    # interrupted starter must stop it).
    started: list[_portal._LoopThread] = []
    original_init = _portal._LoopThread.__init__
    original_run = _portal._LoopThread._run

    def init(self: _portal._LoopThread) -> None:
        original_init(self)
        self._ready = _InterruptedEvent()
        self._ready.wait_first = after_ready
        started.append(self)

    def run(self: _portal._LoopThread) -> None:
        deadline = time.monotonic() + DEADLINE
        while not (after_ready or self._abandoned) and time.monotonic() < deadline:
            time.sleep(0.001)  # come up only once the starter gave up
        original_run(self)

    monkeypatch.setattr(_portal._LoopThread, "__init__", init)
    monkeypatch.setattr(_portal._LoopThread, "_run", run)
    with pytest.raises(KeyboardInterrupt):
        _portal.call(add, 1, 2)
    monkeypatch.undo()
    assert len(started) == 1
    started[0].thread.join(DEADLINE)
    assert not started[0].thread.is_alive(), "the abandoned portal kept running"
    assert not started[0].usable
    assert _portal._current is None
    assert _portal.call(add, 1, 2) == 3


# --- 2. never hangs interpreter exit -------------------------------------------

# The first atexit hook registered runs last, so this one runs after the
# portal's own hook and reports what that hook left behind.
_EXIT_CHECK = """
    import atexit, threading

    @atexit.register
    def report():
        alive = [t for t in threading.enumerate() if t.name == "ding-portal"]
        print("portal threads at exit:", len(alive), flush=True)

    import anyio
    from ding import _portal
"""


def test_exit_without_shutdown_does_not_hang() -> None:
    started = time.monotonic()
    result = run_script(
        _EXIT_CHECK
        + """
    async def add(a, b):
        return a + b

    assert _portal.call(add, 1, 2) == 3
    """
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < DEADLINE
    assert "portal threads at exit: 0" in result.stdout
    assert result.stderr == ""


def test_exit_with_a_call_in_flight_does_not_hang() -> None:
    started = time.monotonic()
    result = run_script(
        _EXIT_CHECK
        + """
    running = threading.Event()

    async def forever():
        running.set()
        await anyio.sleep(3600)

    threading.Thread(target=_portal.call, args=(forever,), daemon=True).start()
    assert running.wait(10)
    """
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < DEADLINE
    assert "portal threads at exit: 0" in result.stdout


# --- 3. fork -------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_child_gets_a_fresh_portal_and_parent_keeps_its_own() -> None:
    # A script of its own, so the fork happens in a process where only the
    # portal's thread runs (and pytest's warning filters do not apply).
    result = run_script("""
        import os, signal, threading, traceback, warnings
        from ding import _portal

        # Python 3.12+ warns that forking a multi-threaded process may deadlock
        # the child; surviving exactly that is what this test checks.
        warnings.filterwarnings(
            "ignore", r"This process .* is multi-threaded", DeprecationWarning
        )

        async def where():
            return os.getpid(), threading.get_ident()

        parent = _portal.call(where)
        old = _portal._current
        pid = os.fork()
        if pid == 0:
            signal.alarm(10)  # never hang: SIGALRM's default action kills us
            code = 1
            try:
                child_pid, child_loop = _portal.call(where)
                new = _portal._current
                assert child_pid == os.getpid()
                assert new is not None and new is not old, "kept the parent's portal"
                assert new.thread.is_alive() and new.thread.ident == child_loop
                assert _portal.call(where) == (child_pid, child_loop)
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        assert _portal.call(where) == parent, "the parent's portal changed"
        assert _portal._current is old
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok", result.stderr


# --- 4. Ctrl-C cancels the call in flight --------------------------------------


def _interrupt_with_interrupt_main() -> None:
    _thread.interrupt_main()


def _interrupt_with_sigint() -> None:
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


@pytest.mark.parametrize(
    "interrupt",
    [
        _interrupt_with_interrupt_main,
        pytest.param(
            _interrupt_with_sigint,
            marks=pytest.mark.skipif(
                not hasattr(signal, "pthread_kill"), reason="needs pthread_kill"
            ),
        ),
    ],
)
@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c_cancels_the_call_in_flight(interrupt: Callable[[], None]) -> None:
    assert threading.current_thread() is threading.main_thread()
    outcome: list[str] = []
    running = threading.Event()

    async def slow() -> None:
        running.set()
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        outcome.append("completed")

    def interrupter() -> None:
        if running.wait(DEADLINE):
            interrupt()

    threading.Thread(target=interrupter, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(slow)
    assert time.monotonic() - started < 5
    # The cancellation finished inside the loop before call() re-raised.
    assert outcome == ["cancelled"]
    assert _portal.call(add, 1, 2) == 3  # the portal survived


@pytest.mark.parametrize("spawned", [True, False])
def test_interrupt_while_handing_the_call_over_still_cancels(
    monkeypatch: pytest.MonkeyPatch, spawned: bool
) -> None:
    # Ctrl-C can land inside submit(), after the job was handed to the loop or
    # before; the task must still not run on, and the caller must not wait for
    # nothing.
    _portal.call(add, 1, 2)
    portal = _current()
    original = portal.submit
    outcome: list[str] = []

    async def short() -> None:
        outcome.append("started")
        try:
            await anyio.sleep(0.5)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        outcome.append("completed")

    def interrupted(job: _portal._Job[Any]) -> None:
        if spawned:
            original(job)
            time.sleep(0.1)  # the task has started by now
        raise KeyboardInterrupt

    monkeypatch.setattr(portal, "submit", interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(short)
    assert time.monotonic() - started < 2
    time.sleep(1)  # longer than short() would have taken
    assert outcome == (["started", "cancelled"] if spawned else [])
    monkeypatch.undo()
    assert _portal.call(add, 1, 2) == 3  # the portal survived
    assert _current().jobs == set()  # nothing left running


def test_a_job_cancelled_before_its_first_step_still_finishes() -> None:
    # Ctrl-C right after the hand-over: abandon() cancels a task that has not
    # run a single step, so run() never starts; the caller must not wait the
    # whole cancel timeout for it.
    _portal.call(add, 1, 2)
    portal = _current()
    assert portal.loop is not None
    calls: list[None] = []

    async def record() -> None:
        calls.append(None)

    job = _portal._Job(record, (), {})

    def start_then_abandon() -> None:
        job.start(portal)
        job.abandon()

    portal.loop.call_soon_threadsafe(start_then_abandon)
    assert job.finished.acquire(timeout=DEADLINE)
    assert job.done
    assert not job.completed
    assert calls == []


def test_a_job_abandoned_before_it_starts_never_runs() -> None:
    # The loop may run the caller's abandon() before the spawned task's first
    # step; the task must then not call fn at all.
    calls: list[None] = []

    async def record() -> None:
        calls.append(None)

    job = _portal._Job(record, (), {})
    job.abandon()
    assert job.done
    asyncio.run(job.run())
    assert calls == []
    assert not job.completed


# --- 5. called from a thread running an event loop -----------------------------


def test_warns_when_called_inside_asyncio() -> None:
    async def main() -> int:
        with pytest.warns(BlockingCallInEventLoopWarning) as record:
            result = _portal.call(add, 1, 2)
        assert len(record) == 1
        assert record[0].filename == __file__  # points at the caller, not ding
        return result

    assert asyncio.run(main()) == 3


def test_warns_when_called_inside_trio() -> None:
    trio = pytest.importorskip("trio")

    async def main() -> int:
        with pytest.warns(BlockingCallInEventLoopWarning) as record:
            result = _portal.call(add, 1, 2)
        assert len(record) == 1
        assert record[0].filename == __file__
        return result

    assert trio.run(main) == 3


def test_no_warning_with_trio_imported_but_not_running() -> None:
    pytest.importorskip("trio")
    # filterwarnings=error turns any warning into a failure.
    assert _portal.call(add, 1, 2) == 3


def test_warning_skips_frames_inside_ding() -> None:
    # The generated sync client calls `call` from inside the ding package;
    # the warning must name the user's line, not the client's.
    namespace: dict[str, Any] = {"call": _portal.call}
    exec(  # noqa: S102 - compiles a stand-in for a ding module
        compile(
            "def method(fn, *args):\n    return call(fn, *args)\n",
            "ding/_sync_client.py",
            "exec",
        ),
        {**namespace, "__name__": "ding._sync_client"},
        namespace,
    )
    method: Callable[..., int] = namespace["method"]

    async def main() -> int:
        with pytest.warns(BlockingCallInEventLoopWarning) as record:
            result = method(add, 1, 2)
        assert record[0].filename == __file__
        return result

    assert asyncio.run(main()) == 3


# --- 6. called from the portal's own loop --------------------------------------


def test_call_from_the_portal_loop_raises_usage_error() -> None:
    async def reentrant() -> int:
        return _portal.call(add, 1, 2)

    started = time.monotonic()
    with pytest.raises(UsageError, match="own event loop"):
        _portal.call(reentrant)
    assert time.monotonic() - started < 5
    assert _portal.call(add, 1, 2) == 3


# --- 7. thread-safety ------------------------------------------------------------


def test_many_threads_calling_at_once_get_their_own_results() -> None:
    failures: list[str] = []
    barrier = threading.Barrier(32)

    def caller(i: int) -> None:
        barrier.wait(DEADLINE)
        for j in range(50):
            result = _portal.call(add, i, j * 1000)
            if result != i + j * 1000:
                failures.append(f"thread {i} call {j}: got {result}")

    run_threads(32, caller)
    assert failures == []


# --- 8. restarts, errors --------------------------------------------------------


def test_call_after_shutdown_starts_a_new_portal() -> None:
    first = _portal.call(loop_thread)
    old = _current()
    _portal.shutdown()
    assert not old.thread.is_alive()
    assert _portal._current is None
    second = _portal.call(loop_thread)
    assert _current() is not old
    assert second == _current().thread.ident
    assert _current().thread is not old.thread
    assert first == old.thread.ident


def test_a_thread_that_cannot_start_raises_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As happens when a client is used while the interpreter shuts down.
    def refuse(_self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with pytest.raises(UsageError, match="could not start") as excinfo:
        _portal.call(add, 1, 2)
    assert isinstance(excinfo.value.__cause__, RuntimeError)
    assert _portal._current is None
    monkeypatch.undo()
    assert _portal.call(add, 1, 2) == 3


def test_call_after_the_portal_thread_died_starts_a_new_portal() -> None:
    _portal.call(add, 1, 2)
    old = _current()
    assert old.loop is not None

    def die() -> None:
        raise SystemExit  # escapes the loop and ends anyio.run

    old.loop.call_soon_threadsafe(die)
    old.thread.join(DEADLINE)
    assert not old.thread.is_alive()
    assert isinstance(old.error, SystemExit)
    assert _portal.call(add, 1, 2) == 3
    assert _current() is not old


def test_shutdown_during_a_call_raises_usage_error_in_the_caller() -> None:
    running = threading.Event()
    raised: list[BaseException] = []

    async def forever() -> None:
        running.set()
        await anyio.sleep(3600)

    def caller() -> None:
        try:
            _portal.call(forever)
        except BaseException as exc:  # noqa: BLE001 - inspected below
            raised.append(exc)

    thread = threading.Thread(target=caller)
    thread.start()
    assert running.wait(DEADLINE)
    _portal.shutdown()
    thread.join(DEADLINE)
    assert not thread.is_alive()
    assert len(raised) == 1
    assert type(raised[0]) is UsageError
    assert "shutting down" in str(raised[0])


def test_a_lost_call_fails_once_the_loop_thread_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # If the loop dies with a call's task never run, the caller must not wait
    # forever for a job nobody will finish.
    _portal.call(add, 1, 2)
    doomed = _current()

    def lose(_job: _portal._Job[Any]) -> None:
        pass  # the job never reaches the loop

    monkeypatch.setattr(doomed, "submit", lose)
    raised: list[BaseException] = []

    def caller() -> None:
        try:
            _portal.call(add, 1, 2)
        except BaseException as exc:  # noqa: BLE001 - inspected below
            raised.append(exc)

    thread = threading.Thread(target=caller)
    thread.start()
    time.sleep(0.3)
    doomed.stop(DEADLINE)  # stop the loop without telling call() about it
    thread.join(DEADLINE)
    assert not thread.is_alive(), "call() hung on a dead loop"
    assert len(raised) == 1
    assert type(raised[0]) is UsageError


def test_a_stopped_portal_raises_usage_error_not_anyio_runtime_error() -> None:
    # Simulates the race of a call picking the portal just as it stops.
    _portal.call(add, 1, 2)
    stale = _current()
    _portal.shutdown()
    stale.usable = True
    _portal._current = stale
    try:
        with pytest.raises(UsageError, match="shutting down") as excinfo:
            _portal.call(add, 1, 2)
    finally:
        _portal._current = None
    assert excinfo.value.__cause__ is None
    assert excinfo.value.__suppress_context__


class BoomError(Exception):
    pass


@pytest.mark.parametrize(
    "error",
    [
        BoomError("boom"),
        RuntimeError("a RuntimeError of the coroutine's own"),
        TimeoutError("a timeout of the coroutine's own"),
        concurrent.futures.CancelledError(),
        KeyboardInterrupt(),
        SystemExit(3),
    ],
    ids=type,
)
def test_exceptions_reach_the_caller_unchanged(error: BaseException) -> None:
    loop = _portal.call(loop_thread)

    async def fail() -> None:
        await anyio.lowlevel.checkpoint()
        raise error

    with pytest.raises(type(error)) as excinfo:
        _portal.call(fail)
    assert excinfo.value is error
    # The original traceback is kept: it still shows the raising coroutine.
    assert "fail" in [entry.name for entry in excinfo.traceback]
    assert _portal.call(loop_thread) == loop  # the portal survived


def test_arguments_are_passed_through() -> None:
    async def echo(*args: object, **kwargs: object) -> tuple[Any, ...]:
        return args, kwargs

    # `fn` is positional-only, so a keyword argument may be called `fn`.
    assert _portal.call(echo, 1, "a", fn=2, b=None) == ((1, "a"), {"fn": 2, "b": None})
