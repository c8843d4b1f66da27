"""The event loop behind the sync client (`ding._portal`, `ding._shared_loop`)."""

# These tests inspect and patch the portal's private state on purpose (as
# ruff's per-file SLF001 ignore for tests already allows).
# pyright: reportPrivateUsage=false

from __future__ import annotations

import _thread
import asyncio
import concurrent.futures
import contextlib
import gc
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import anyio
import anyio.lowlevel
import pytest

from ding import _portal, _shared_loop
from ding._errors import BlockingCallInEventLoopWarning, UsageError
from ding._shared_loop import Job, SharedLoop

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Generator, Iterator

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


def _current() -> SharedLoop:
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


# --- 1. lazy, one shared loop, run by its callers -------------------------------


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


def test_a_call_runs_the_loop_in_the_calling_thread() -> None:
    # No other thread involved: no hop there and back for a sequential caller.
    assert _portal._current is None
    assert _portal.call(loop_thread) == threading.get_ident()
    ran_in: list[int] = []

    def caller(_: int) -> None:
        ran_in.append(_portal.call(loop_thread))

    thread = threading.Thread(target=caller, args=(0,))
    thread.start()
    thread.join(DEADLINE)
    assert ran_in == [thread.ident]
    assert not _portal_threads()


async def loop_id() -> int:
    return id(asyncio.get_running_loop())


def test_concurrent_first_calls_make_exactly_one_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[None] = []

    class Counting(SharedLoop):
        def __init__(self) -> None:
            made.append(None)
            super().__init__()

    monkeypatch.setattr(_portal, "SharedLoop", Counting)
    barrier = threading.Barrier(32)
    loops: list[int] = []

    def caller(_: int) -> None:
        barrier.wait(DEADLINE)
        loops.append(_portal.call(loop_id))

    run_threads(32, caller)
    assert len(loops) == 32
    assert len(made) == 1
    assert set(loops) == {id(_current().loop)}


# --- 2. several callers: the loop is run by one, and handed on -------------------


def _no_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    # A waiting caller then wakes only when it is woken: a lost hand-over
    # hangs it instead of being covered up by its periodic check.
    monkeypatch.setattr(_shared_loop, "_POLL_INTERVAL", 3600.0)


def _in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:  # noqa: BLE001 - inspected by the test
            outcome.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def test_a_call_made_while_another_runs_the_loop_is_run_by_that_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_polling(monkeypatch)
    second_done = threading.Event()

    async def until_second_done() -> int:
        while not second_done.is_set():  # noqa: ASYNC110 - a threading.Event
            await anyio.sleep(0.01)
        return threading.get_ident()

    first, first_outcome = _in_thread(lambda: _portal.call(until_second_done))
    time.sleep(0.2)  # the first call runs the loop by now
    # This call is run by the first caller's loop, and returns while the
    # first call is still running.
    assert _portal.call(loop_thread) == first.ident
    second_done.set()
    first.join(DEADLINE)
    assert first_outcome == [first.ident]


def test_the_loop_is_handed_to_a_waiting_caller_when_its_runner_is_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_polling(monkeypatch)
    second_started = threading.Event()

    async def until_second_started() -> None:
        while not second_started.is_set():  # noqa: ASYNC110 - a threading.Event
            await anyio.sleep(0.01)

    async def outlives_the_first() -> tuple[int, int]:
        before = threading.get_ident()
        second_started.set()
        await anyio.sleep(0.5)
        return before, threading.get_ident()

    first, first_outcome = _in_thread(lambda: _portal.call(until_second_started))
    time.sleep(0.2)
    second, second_outcome = _in_thread(lambda: _portal.call(outlives_the_first))
    first.join(DEADLINE)
    second.join(DEADLINE)
    assert not second.is_alive(), "the loop was never handed to the waiting call"
    assert first_outcome == [None]
    # Started in the first caller's loop, finished in the second's own.
    assert second_outcome == [(first.ident, second.ident)]


def test_many_threads_calling_at_once_get_their_own_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_polling(monkeypatch)
    failures: list[str] = []
    runners: set[int] = set()
    barrier = threading.Barrier(32)

    async def add_where(a: int, b: int) -> tuple[int, int]:
        await anyio.lowlevel.checkpoint()
        return a + b, threading.get_ident()

    def caller(i: int) -> None:
        barrier.wait(DEADLINE)
        for j in range(50):
            result, runner = _portal.call(add_where, i, j * 1000)
            runners.add(runner)
            if result != i + j * 1000:
                failures.append(f"thread {i} call {j}: got {result}")

    run_threads(32, caller)
    assert failures == []
    assert len(runners) > 1  # the loop changed hands


# --- 3. never hangs interpreter exit -------------------------------------------

# The first atexit hook registered runs last, so this one runs after the
# portal's own hook and reports what that hook left behind.
_EXIT_CHECK = """
    import atexit, threading

    @atexit.register
    def report():
        alive = [t for t in threading.enumerate() if t.name == "ding-portal"]
        print("portal threads at exit:", len(alive), flush=True)

    import anyio
    from ding import _portal, _shared_loop
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


def test_exit_with_a_call_in_flight_cancels_it_and_does_not_hang() -> None:
    started = time.monotonic()
    result = run_script(
        _EXIT_CHECK
        + """
    running = threading.Event()

    async def forever():
        running.set()
        try:
            await anyio.sleep(3600)
        except anyio.get_cancelled_exc_class():
            print("cancelled at exit", flush=True)
            raise

    threading.Thread(target=_portal.call, args=(forever,), daemon=True).start()
    assert running.wait(10)
    """
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < DEADLINE
    assert result.stdout.splitlines() == [
        "cancelled at exit",
        "portal threads at exit: 0",
    ]


# --- 4. fork -------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_child_gets_a_fresh_loop_and_parent_keeps_its_own() -> None:
    # A script of its own, so that pytest's warning filters do not apply.
    result = run_script("""
        import os, signal, threading, traceback, warnings
        from ding import _portal, _shared_loop

        # Python 3.12+ warns that forking a multi-threaded process may deadlock
        # the child; surviving exactly that is what this test checks.
        warnings.filterwarnings(
            "ignore", r"This process .* is multi-threaded", DeprecationWarning
        )

        async def where():
            return os.getpid(), threading.get_ident()

        parent = _portal.call(where)
        old = _portal._current
        # Fork while another thread runs the loop for a call: the child has
        # no such thread, and must not wait for it to hand the loop on.
        release = threading.Event()
        running = threading.Event()

        async def hold():
            running.set()
            while not release.is_set():  # noqa: ASYNC110 - a threading.Event
                await asyncio.sleep(0.01)

        import asyncio
        holder = threading.Thread(target=_portal.call, args=(hold,))
        holder.start()
        assert running.wait(10)
        pid = os.fork()
        if pid == 0:
            signal.alarm(10)  # never hang: SIGALRM's default action kills us
            code = 1
            try:
                child_pid, child_loop = _portal.call(where)
                new = _portal._current
                assert child_pid == os.getpid()
                assert new is not None and new is not old, "kept the parent's loop"
                assert new.loop is not old.loop
                assert child_loop == threading.get_ident()
                assert _portal.call(where) == (child_pid, child_loop)
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        release.set()
        holder.join(10)
        assert os.waitstatus_to_exitcode(status) == 0, status
        assert _portal.call(where) == parent, "the parent's loop changed"
        assert _portal._current is old
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok", result.stderr


# --- 5. Ctrl-C cancels the call in flight --------------------------------------


def _interrupt_with_interrupt_main() -> None:
    _thread.interrupt_main()


def _interrupt_with_sigint() -> None:
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


INTERRUPTS = [
    _interrupt_with_interrupt_main,
    pytest.param(
        _interrupt_with_sigint,
        marks=pytest.mark.skipif(
            not hasattr(signal, "pthread_kill"), reason="needs pthread_kill"
        ),
    ),
]


@contextlib.contextmanager
def _loop_run_by_another_thread() -> Generator[None]:
    """Keep another thread running the loop (for a call of its own) meanwhile."""
    release = threading.Event()
    running = threading.Event()

    async def hold() -> None:
        running.set()
        while not release.is_set():  # noqa: ASYNC110 - a threading.Event
            await anyio.sleep(0.01)

    def holder() -> None:
        with contextlib.suppress(UsageError):  # a test may shut the loop down
            _portal.call(hold)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert running.wait(DEADLINE)
        yield
    finally:
        release.set()
        thread.join(DEADLINE)


@pytest.mark.parametrize("role", ["runs the loop", "waits for another thread"])
@pytest.mark.parametrize("interrupt", INTERRUPTS)
@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c_cancels_the_call_in_flight(
    interrupt: Callable[[], None], role: str
) -> None:
    assert threading.current_thread() is threading.main_thread()
    outcome: list[str] = []
    running = threading.Event()

    async def slow() -> int:
        running.set()
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        outcome.append("completed")
        return threading.get_ident()

    def interrupter() -> None:
        if running.wait(DEADLINE):
            interrupt()

    threading.Thread(target=interrupter, daemon=True).start()
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        if role != "runs the loop":
            stack.enter_context(_loop_run_by_another_thread())
        with pytest.raises(KeyboardInterrupt):
            _portal.call(slow)
    assert time.monotonic() - started < 5
    # The cancellation finished inside the loop before call() re-raised.
    assert outcome == ["cancelled"]
    assert _portal.call(add, 1, 2) == 3  # the loop survived
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize("interrupt", INTERRUPTS)
@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c_while_the_loop_runs_code_cancels_instead_of_raising_there(
    interrupt: Callable[[], None],
) -> None:
    # The main thread runs the loop for its call: a Ctrl-C landing in the
    # middle of the loop's (or the call's) code must not raise there, which
    # could leave the loop, or another thread's call in it, half done.
    outcome: list[str] = []
    running = threading.Event()

    async def blocks_the_loop() -> None:
        running.set()
        try:
            time.sleep(0.5)  # noqa: ASYNC251 - the Ctrl-C lands in here
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        except KeyboardInterrupt:
            outcome.append("interrupted mid-step")
            raise

    def interrupter() -> None:
        if running.wait(DEADLINE):
            time.sleep(0.1)
            interrupt()

    threading.Thread(target=interrupter, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(blocks_the_loop)
    assert outcome == ["cancelled"]


@pytest.mark.usefixtures("ctrl_c")
def test_a_second_ctrl_c_raises_at_once() -> None:
    # The first one cancels the call; a call slow to end its cancellation
    # does not hold up the second.
    outcome: list[str] = []
    running = threading.Event()
    let_go = threading.Event()

    async def slow_to_cancel() -> None:
        running.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            outcome.append("cancelled once")
            with anyio.CancelScope(shield=True):  # deaf to the second Ctrl-C
                await _until(let_go, 3)
            outcome.append("cleaned up")
            raise

    def interrupter() -> None:
        if running.wait(DEADLINE):
            for _ in range(2):
                time.sleep(0.2)
                _interrupt_with_interrupt_main()

    threading.Thread(target=interrupter, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(slow_to_cancel)
    assert time.monotonic() - started < 2.5
    assert outcome == ["cancelled once"]  # raised before the cleanup ended
    let_go.set()
    assert _portal.call(add, 1, 2) == 3


@pytest.mark.parametrize("started", [True, False])
def test_interrupt_around_running_the_loop_still_cancels(
    monkeypatch: pytest.MonkeyPatch, started: bool
) -> None:
    # Ctrl-C can land after the job was handed to the loop and before the
    # loop ran, or while it runs; the task must still not run on, and the
    # caller must not wait for nothing.
    outcome: list[str] = []

    async def short() -> None:
        outcome.append("started")
        try:
            await anyio.sleep(0.5)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        outcome.append("completed")

    original = SharedLoop._run_loop_for
    runs: list[None] = []

    def interrupted(self: SharedLoop, job: Job[Any], deadline: float | None) -> None:
        runs.append(None)
        if len(runs) == 1:
            if started:
                original(self, job, time.monotonic() + 0.1)  # the task has started
            raise KeyboardInterrupt
        original(self, job, deadline)

    monkeypatch.setattr(SharedLoop, "_run_loop_for", interrupted)
    begun = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(short)
    assert time.monotonic() - begun < 2
    time.sleep(1)  # longer than short() would have taken
    assert outcome == (["started", "cancelled"] if started else [])
    monkeypatch.undo()
    assert _portal.call(add, 1, 2) == 3  # the loop survived
    assert _current().jobs == set()  # nothing left running


def test_a_job_cancelled_before_its_first_step_still_finishes() -> None:
    # Ctrl-C right after the hand-over: abandon() cancels a task that has not
    # run a single step, so run() never starts; the caller must not wait the
    # whole cancel timeout for it.
    _portal.call(add, 1, 2)
    shared = _current()
    calls: list[None] = []

    async def record() -> None:
        calls.append(None)

    job = Job(shared, record, (), {})

    async def start_then_abandon() -> None:
        job.start()
        job.abandon()
        for _ in range(3):
            await asyncio.sleep(0)

    _portal.call(start_then_abandon)
    assert job.done
    assert not job.completed
    assert calls == []


def test_a_job_abandoned_before_it_starts_never_runs() -> None:
    # The loop may run the caller's abandon() before the spawned task's first
    # step; the task must then not call fn at all.
    calls: list[None] = []

    async def record() -> None:
        calls.append(None)

    job = Job(None, record, (), {})
    job.abandon()
    assert job.done
    asyncio.run(job.run())
    assert calls == []
    assert not job.completed


# --- 6. called from a thread running an event loop -----------------------------


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


@pytest.mark.parametrize("runner", ["asyncio", "trio"])
def test_a_call_from_inside_an_event_loop_is_run_by_the_helper_thread(
    runner: str,
) -> None:
    # That thread's own loop cannot run a second one meanwhile.
    async def main() -> int:
        with pytest.warns(BlockingCallInEventLoopWarning):
            return _portal.call(loop_thread)

    if runner == "trio":
        trio = pytest.importorskip("trio")
        ran_in = trio.run(main)
    else:
        ran_in = asyncio.run(main())
    assert [thread.ident for thread in _portal_threads()] == [ran_in]
    assert ran_in != threading.get_ident()
    # It never holds up the interpreter's exit, which waits for the others.
    assert all(thread.daemon for thread in _portal_threads())


def test_a_helper_that_cannot_start_raises_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As happens when a client is used while the interpreter shuts down.
    def refuse(_self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    async def main() -> None:
        with pytest.warns(BlockingCallInEventLoopWarning):
            _portal.call(add, 1, 2)

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with pytest.raises(UsageError) as excinfo:
        asyncio.run(main())
    assert str(excinfo.value) == "the sync client could not start its event-loop thread"
    assert isinstance(excinfo.value.__cause__, RuntimeError)
    monkeypatch.undo()
    assert _portal.call(add, 1, 2) == 3


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
    # A frame of the package's own __init__ (module "ding") counts as inside.
    exec(  # noqa: S102 - compiles a stand-in for ding/__init__.py
        compile(
            "def entry(fn, *args):\n    return method(fn, *args)\n",
            "ding/__init__.py",
            "exec",
        ),
        {**namespace, "__name__": "ding"},
        namespace,
    )
    entry: Callable[..., int] = namespace["entry"]

    async def main() -> int:
        with pytest.warns(BlockingCallInEventLoopWarning) as record:
            result = entry(add, 1, 2)
        assert record[0].filename == __file__
        return result

    assert asyncio.run(main()) == 3


# --- 7. called from the shared loop itself --------------------------------------


def test_call_from_the_portal_loop_raises_usage_error() -> None:
    async def reentrant() -> int:
        return _portal.call(add, 1, 2)

    started = time.monotonic()
    with pytest.raises(UsageError) as info:
        _portal.call(reentrant)
    assert time.monotonic() - started < 5
    assert str(info.value) == (
        "the sync client was called from inside its own event loop (for "
        "example from a coroutine run by the sync client); this would "
        "deadlock. Await the ding.AsyncDing method instead"
    )
    assert _portal.call(add, 1, 2) == 3


def test_a_call_in_a_process_without_trio_neither_warns_nor_imports_it() -> None:
    result = run_script("""
        import sys
        import warnings
        warnings.simplefilter("error")
        import ding._portal as portal

        async def add(a, b):
            return a + b

        assert portal.call(add, 1, 2) == 3
        assert "trio" not in sys.modules
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_thread_that_imported_trio_but_runs_no_trio_is_not_in_an_event_loop() -> None:
    # With trio imported, a call from a thread that runs no trio (nor any
    # other loop) runs as usual: no warning, in the calling thread.
    import trio  # noqa: PLC0415 - imported here on purpose

    assert trio.__name__ in sys.modules
    with warnings.catch_warnings():
        warnings.simplefilter("error", BlockingCallInEventLoopWarning)
        assert _portal.call(loop_thread) == threading.get_ident()


# --- 8. shutdown, errors ---------------------------------------------------------


def test_call_after_shutdown_makes_a_new_loop() -> None:
    first = _portal.call(loop_id)
    old = _current()
    _portal.shutdown()
    assert old.closed
    assert old.loop.is_closed()
    assert _portal._current is None
    second = _portal.call(loop_id)
    assert _current() is not old
    assert first == id(old.loop)
    assert second == id(_current().loop)


def test_an_exception_escaping_the_loop_reaches_its_runner_and_the_loop_goes_on() -> (
    None
):
    # A BaseException raised by a bare callback (not a task) leaves the
    # loop; the call it was running for is cancelled, not left behind.
    outcome: list[str] = []

    async def dies() -> None:
        def die() -> None:
            raise SystemExit(7)

        asyncio.get_running_loop().call_soon(die)
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise

    with pytest.raises(SystemExit):
        _portal.call(dies)
    assert outcome == ["cancelled"]
    assert _current().jobs == set()
    assert _portal.call(add, 1, 2) == 3


@pytest.mark.parametrize("role", ["runs the loop", "waits for another thread"])
def test_shutdown_during_a_call_raises_usage_error_in_the_caller(role: str) -> None:
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

    with contextlib.ExitStack() as stack:
        if role != "runs the loop":
            stack.enter_context(_loop_run_by_another_thread())
        thread = threading.Thread(target=caller)
        thread.start()
        assert running.wait(DEADLINE)
        _portal.shutdown()
        thread.join(DEADLINE)
    assert not thread.is_alive()
    assert len(raised) == 1
    assert type(raised[0]) is UsageError
    assert str(raised[0]) == _shared_loop.CLOSED_MESSAGE


def test_a_closed_loop_raises_usage_error_not_runtime_error() -> None:
    # Simulates the race of a call picking the loop just as it closes.
    _portal.call(add, 1, 2)
    stale = _current()
    _portal.shutdown()
    stale.usable = True
    _portal._current = stale
    try:
        with pytest.raises(UsageError, match="shutting down") as excinfo:
            _portal.call(add, 1, 2)  # would run the loop itself
        assert excinfo.value.__cause__ is None
        # Another thread holds the loop: the call would hand itself over.
        holder = threading.Thread(target=stale._drive.try_take)
        holder.start()
        holder.join(DEADLINE)
        with pytest.raises(UsageError, match="shutting down") as excinfo:
            _portal.call(add, 1, 2)
        assert excinfo.value.__cause__ is None
        stale._drive.give()
    finally:
        _portal._current = None


def test_run_soon_runs_on_the_shared_loop_only() -> None:
    # What closes the connections of a sync client collected unclosed: it
    # runs even though no call is running (tests/test_unclosed.py checks
    # the connections themselves).
    _portal.call(add, 1, 2)
    ran = threading.Event()
    ran_in: list[int] = []

    def record() -> None:
        ran_in.append(threading.get_ident())
        ran.set()

    other = asyncio.new_event_loop()
    try:
        assert not _portal.run_soon(other, record)
    finally:
        other.close()
    assert _portal.run_soon(_current().loop, record)
    assert ran.wait(DEADLINE)
    assert [thread.ident for thread in _portal_threads()] == ran_in


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


# --- 9. signals, shutdown races (found by a hostile review) ---------------------


class SignalledError(BaseException):
    """What a signal handler of the app raises (as sys.exit raises SystemExit)."""


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs SIGUSR1")
def test_a_signal_handlers_exception_reaches_the_main_thread_not_another_call() -> None:
    # The main thread runs the loop for its call while another thread's
    # call computes in it; the app's handler raises in the main thread,
    # inside that other call's code.
    def handler(_signum: int, _frame: object) -> None:
        raise SignalledError

    async def main_call() -> str:
        await anyio.sleep(2)
        return "main result"

    async def busy() -> str:
        end = time.monotonic() + 0.6
        while time.monotonic() < end:
            pass  # the signal lands here
        return "other result"

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        other, outcome = _in_thread_after(0.1, lambda: _portal.call(busy))
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        with pytest.raises(SignalledError):
            _portal.call(main_call)
        other.join(DEADLINE)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert len(outcome) == 1
    assert isinstance(outcome[0], UsageError), outcome
    assert str(outcome[0]) == (
        "the call was interrupted by a signal handled in the thread that was "
        "running the sync client's event loop"
    )


@pytest.mark.usefixtures("ctrl_c")
def test_a_second_ctrl_c_never_lands_in_another_threads_call() -> None:
    async def main_call() -> None:
        try:
            await anyio.sleep(5)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.sleep(0.8)  # slow to end: a second Ctrl-C comes

    async def busy() -> str:
        end = time.monotonic() + 0.6
        while time.monotonic() < end:
            pass
        return "other result"

    def interrupter() -> None:
        time.sleep(0.2)
        _interrupt_with_interrupt_main()  # cancels main_call
        time.sleep(0.3)  # busy() runs in the main thread's loop by now
        _interrupt_with_interrupt_main()

    other, outcome = _in_thread_after(0.25, lambda: _portal.call(busy))
    threading.Thread(target=interrupter, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(main_call)
    other.join(DEADLINE)
    assert outcome == ["other result"]


def test_an_interrupt_right_after_taking_the_loop_does_not_keep_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # CPython runs signal handlers as a call returns: here, as the call that
    # takes the loop returns, before the `try` that hands it back.
    _portal.call(add, 1, 2)
    shared = _current()
    original = _shared_loop._Baton.try_take
    fired: list[None] = []

    def taken_then_interrupted(self: _shared_loop._Baton) -> bool:
        taken = original(self)
        if taken and not fired:
            fired.append(None)
            raise KeyboardInterrupt
        return taken

    monkeypatch.setattr(_shared_loop._Baton, "try_take", taken_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        _portal.call(add, 1, 2)
    monkeypatch.undo()
    assert fired
    assert not shared._drive.held()

    async def held_while_running() -> bool:
        return shared._drive.held()

    assert _portal.call(held_while_running)  # so held() above is no tautology
    thread, outcome = _in_thread_after(0, lambda: _portal.call(add, 2, 2))
    thread.join(DEADLINE)
    assert outcome == [4]


async def _slow_to_cancel() -> None:
    try:
        await anyio.sleep(10)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.sleep(0.5)


def test_a_shutdown_that_times_out_closes_the_loop_when_its_runner_stops() -> None:
    thread, outcome = _in_thread_after(0, lambda: _portal.call(_slow_to_cancel))
    time.sleep(0.2)  # the thread runs the loop now
    shared = _current()
    _portal.shutdown(timeout=0.1)  # gives up waiting
    thread.join(DEADLINE)
    assert len(outcome) == 1
    assert isinstance(outcome[0], UsageError)
    assert shared.closed
    assert shared.loop.is_closed()


def test_a_call_from_an_event_loop_after_a_shutdown_fails_instead_of_hanging() -> None:
    runner, _ = _in_thread_after(0, lambda: _portal.call(_slow_to_cancel))
    time.sleep(0.2)
    stale = _current()
    _portal.shutdown(timeout=0.1)  # times out: the runner still runs the loop
    # As for a call that picked the loop just before the shutdown.
    stale.usable = True
    _portal._current = stale

    async def main() -> BaseException | None:
        try:
            with pytest.warns(BlockingCallInEventLoopWarning):
                _portal.call(add, 1, 2)
        except UsageError as exc:
            return exc
        return None

    try:
        started = time.monotonic()
        error = asyncio.run(main())
    finally:
        _portal._current = None
        runner.join(DEADLINE)
    assert isinstance(error, UsageError)
    assert str(error) == _shared_loop.CLOSED_MESSAGE
    assert time.monotonic() - started < 5


def _in_thread_after(
    delay: float, fn: Callable[[], object]
) -> tuple[threading.Thread, list[object]]:
    """Run *fn* in a thread after *delay* seconds; its outcome lands in the list."""

    def later() -> object:
        time.sleep(delay)
        return fn()

    return _in_thread(later)


def test_closing_a_closed_loop_again_does_nothing() -> None:
    _portal.call(add, 1, 2)
    shared = _current()
    _portal.shutdown()
    assert shared.closed
    shared.close(0.1)  # as a second shutdown racing the first would
    assert shared.closed
    assert _portal.call(add, 1, 2) == 3


def test_after_a_fork_the_first_call_makes_a_new_loop_and_keeps_the_old_one() -> None:
    # The child side of os.fork (test_fork_child_gets_a_fresh_loop_and_parent_keeps_its_own
    # forks for real), run here: the parent's loop is never used again, but stays
    # referenced so that it is never finalized with the parent's selector.
    _portal.call(add, 1, 2)
    parent = _current()
    _portal._forget_after_fork()
    try:
        assert _portal._current is None
        assert _portal._forked_away[-1] is parent
        assert _portal.call(loop_id) == id(_current().loop)
        assert _current() is not parent
    finally:
        with contextlib.suppress(ValueError):
            _portal._forked_away.remove(parent)
        parent.close(DEADLINE)


@pytest.mark.parametrize("work", ["a collected client's close", "a call"])
def test_once_idle_the_helper_leaves_the_loop_to_the_callers(work: str) -> None:
    # The helper runs the loop only while a call from inside an event loop
    # or a collected client's close needs it: afterwards a sequential call
    # still runs in its caller's thread.
    _portal.call(add, 1, 2)
    if work == "a call":

        async def main() -> int:
            with pytest.warns(BlockingCallInEventLoopWarning):
                return _portal.call(add, 1, 2)

        assert asyncio.run(main()) == 3
    else:
        ran = threading.Event()
        assert _portal.run_soon(_current().loop, ran.set)
        assert ran.wait(DEADLINE)
    time.sleep(0.05)  # the helper's last turns
    me = threading.get_ident()
    assert {_portal.call(loop_thread) for _ in range(200)} == {me}


def test_work_queued_with_no_call_running_gets_its_follow_up_turns() -> None:
    # Closing a collected client's connections is one callback, and the
    # socket is closed by what that one schedules (a TLS transport takes a
    # turn more): all of it runs though no call runs the loop.
    _portal.call(add, 1, 2)
    loop = _current().loop
    closed = threading.Event()

    def close_connection(connection: str) -> None:
        assert connection == "the connection"
        loop.call_soon(close_transport)

    def close_transport() -> None:
        loop.call_soon(closed.set)

    assert _portal.run_soon(loop, close_connection, "the connection")
    assert closed.wait(DEADLINE)


def test_a_call_from_an_event_loop_cancelled_by_a_shutdown_returns_once_it_has_ended() -> (
    None
):
    # As for a caller that runs the loop itself: the UsageError never comes
    # while the cancelled coroutine's cleanup still runs.
    started = threading.Event()
    ended: list[str] = []

    async def slow_to_end() -> None:
        started.set()
        try:
            await anyio.sleep(10)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.sleep(0.6)
            ended.append("cleanup done")

    async def main() -> list[str]:
        with (
            pytest.warns(BlockingCallInEventLoopWarning),
            pytest.raises(UsageError, match="shutting down or has stopped"),
        ):
            _portal.call(slow_to_end)
        return list(ended)

    caller, outcome = _in_thread(lambda: asyncio.run(main()))
    assert started.wait(DEADLINE)
    helpers = _portal_threads()
    _portal.shutdown(timeout=0.1)  # gives up waiting: the helper runs the call
    caller.join(DEADLINE)
    for helper in helpers:
        helper.join(DEADLINE)
    assert outcome == [["cleanup done"]]


@pytest.mark.parametrize("runner", ["the helper", "a caller that stops meanwhile"])
@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c_cancels_a_call_made_from_inside_an_event_loop(runner: str) -> None:
    # Another thread runs that call (the helper, or a sync caller running
    # the loop meanwhile): the interrupted caller cancels it there, and
    # waits for the cancellation, before re-raising, even when the thread
    # running the loop stops during the cancellation.
    outcome: list[str] = []
    running = threading.Event()
    release = threading.Event()

    async def hold() -> None:
        while not release.is_set():  # noqa: ASYNC110 - a threading.Event
            await anyio.sleep(0.01)

    async def slow() -> None:
        running.set()
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            release.set()  # the other caller's call ends: it stops the loop
            with anyio.CancelScope(shield=True):
                await anyio.sleep(0.3)
            outcome.append("cancelled")
            raise
        outcome.append("completed")

    async def main() -> None:
        with pytest.warns(BlockingCallInEventLoopWarning):
            _portal.call(slow)

    def interrupter() -> None:
        if running.wait(DEADLINE):
            _interrupt_with_interrupt_main()

    holder: threading.Thread | None = None
    held: list[object] = [None]
    if runner != "the helper":
        holder, held = _in_thread(lambda: _portal.call(hold))
        time.sleep(0.1)  # it runs the loop now
    threading.Thread(target=interrupter, daemon=True).start()
    # Not asyncio.run, whose own SIGINT handler would only cancel main().
    loop = asyncio.new_event_loop()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(main())
    finally:
        loop.close()
        release.set()
        if holder is not None:
            holder.join(DEADLINE)
    assert time.monotonic() - started < 5
    assert outcome == ["cancelled"]
    assert held == [None]  # the other caller's call ended normally
    assert _portal.call(add, 1, 2) == 3  # the loop survived


async def _until(event: threading.Event, limit: float) -> None:
    """Wait (polling) until *event* is set, for at most *limit* seconds."""
    end = time.monotonic() + limit
    while not event.is_set() and time.monotonic() < end:  # noqa: ASYNC110 - a threading.Event
        await anyio.sleep(0.01)


@pytest.mark.usefixtures("ctrl_c")
def test_an_interrupted_caller_waits_for_the_cancellation_a_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # It waits for the cancelled call to end, but not past the bound: a
    # call that ignores its cancellation does not keep Ctrl-C from raising.
    monkeypatch.setattr(_shared_loop, "_CANCEL_TIMEOUT", 0.5)
    outcome: list[str] = []
    running = threading.Event()
    let_go = threading.Event()

    async def deaf_to_cancellation() -> None:
        running.set()
        try:
            await anyio.sleep(10)
        finally:
            outcome.append("cancelled")
            with anyio.CancelScope(shield=True):
                await _until(let_go, 3)
            outcome.append("cleaned up")

    def interrupter() -> None:
        if running.wait(DEADLINE):
            interrupted.append(time.monotonic())
            _interrupt_with_interrupt_main()

    interrupted: list[float] = []
    threading.Thread(target=interrupter, daemon=True).start()
    with _loop_run_by_another_thread():
        with pytest.raises(KeyboardInterrupt):
            _portal.call(deaf_to_cancellation)
        waited = time.monotonic() - interrupted[0]
        assert outcome == ["cancelled"]  # raised with the cleanup still going
        let_go.set()
    assert 0.4 <= waited < 2.5
    assert _portal.call(add, 1, 2) == 3


def test_work_queued_while_the_helper_cannot_start_runs_with_the_next_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As at interpreter shutdown: closing a collected client's connections
    # is still queued (never an error in the garbage collector), and runs
    # as soon as a call runs the loop.
    def refuse(_self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    _portal.call(add, 1, 2)
    ran = threading.Event()
    monkeypatch.setattr(threading.Thread, "start", refuse)
    assert _portal.run_soon(_current().loop, ran.set)
    monkeypatch.undo()
    assert _portal.call(add, 1, 2) == 3
    assert ran.is_set()


def test_a_call_that_waited_for_another_thread_keeps_nothing_alive() -> None:
    # The sync client's calls hold their arguments (the client among them)
    # only while they run.
    class Argument:
        pass

    async def use(argument: Argument) -> int:
        await anyio.lowlevel.checkpoint()
        return id(argument)

    argument = Argument()
    ref = weakref.ref(argument)
    with _loop_run_by_another_thread():
        assert _portal.call(use, argument) == id(argument)
    del argument
    gc.collect()
    assert ref() is None


def test_the_warning_says_the_loop_is_blocked_and_what_to_use_instead() -> None:
    async def main() -> int:
        with pytest.warns(BlockingCallInEventLoopWarning) as record:
            result = _portal.call(add, 1, 2)
        expected = (
            "a blocking ding.Ding method was called from a thread that is "
            "running an event loop; the loop is blocked until the request "
            "finishes. Use ding.AsyncDing in async code"
        )
        assert [str(warning.message) for warning in record] == [expected]
        return result

    assert asyncio.run(main()) == 3


# --- shutdown: what calls left behind, and its timeout ------------------------


def _leave_a_task(
    cleaned: list[str], kept: list[object], *, cleanup: float = 0
) -> None:
    """Start a task in the running loop that adds "task" to *cleaned* as it ends.

    Its cleanup takes *cleanup* seconds first; *kept* holds the task.
    """

    async def background() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            if cleanup:
                await asyncio.sleep(cleanup)
            cleaned.append("task")

    kept.append(asyncio.get_running_loop().create_task(background()))


def test_a_shutdown_ends_what_calls_left_in_the_loop_and_lets_it_clean_up() -> None:
    # As asyncio.run does: tasks a call started and left running are
    # cancelled, and async generators it left open are closed, so their
    # cleanup (a `finally`, closing a connection) runs before the loop ends.
    cleaned: list[str] = []
    kept: list[object] = []

    async def numbers() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            cleaned.append("generator")

    async def leave_work_behind() -> None:
        _leave_a_task(cleaned, kept, cleanup=0.05)  # a cleanup that takes a while
        generator = numbers()
        await generator.__anext__()
        kept.append(generator)
        await asyncio.sleep(0)  # the task starts

    _portal.call(leave_work_behind)
    assert cleaned == []
    _portal.shutdown(timeout=DEADLINE)
    assert sorted(cleaned) == ["generator", "task"]


async def _stubborn(seconds: float) -> None:
    """Ignore every cancellation for *seconds*."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(end - time.monotonic())


def test_a_shutdown_waits_for_a_task_deaf_to_cancellation_no_longer_than_its_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def leave_a_stubborn_task() -> None:
        kept.append(asyncio.get_running_loop().create_task(_stubborn(5)))
        await asyncio.sleep(0)

    kept: list[object] = []
    _portal.call(leave_a_stubborn_task)
    shared = _current()
    started = time.monotonic()
    _portal.shutdown(timeout=0.1)
    assert time.monotonic() - started < 0.8
    assert shared.closed
    # The task never ended: asyncio says so when it is collected.
    with caplog.at_level(logging.CRITICAL, logger="asyncio"):
        kept.clear()
        gc.collect()


async def _very_slow_to_cancel() -> None:
    try:
        await anyio.sleep(10)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.sleep(1.5)


def test_a_shutdown_gives_up_on_a_loop_another_thread_runs_at_its_timeout() -> None:
    thread, outcome = _in_thread_after(0, lambda: _portal.call(_very_slow_to_cancel))
    time.sleep(0.2)  # the thread runs the loop now
    shared = _current()
    started = time.monotonic()
    _portal.shutdown(timeout=0.05)
    assert time.monotonic() - started < 0.8
    assert not shared.closed  # the thread closes it once its call has ended
    thread.join(DEADLINE)
    assert len(outcome) == 1
    assert isinstance(outcome[0], UsageError)
    assert shared.closed


def test_a_shutdown_waits_up_to_its_timeout_for_the_loop_then_closes_it() -> None:
    thread, outcome = _in_thread_after(0, lambda: _portal.call(_slow_to_cancel))
    time.sleep(0.2)  # the thread runs the loop now, and gives it up in 0.5 s
    shared = _current()
    _portal.shutdown(timeout=1.2)
    assert shared.closed
    thread.join(DEADLINE)
    assert len(outcome) == 1
    assert isinstance(outcome[0], UsageError)


def test_a_call_handed_to_a_loop_that_is_shutting_down_never_runs() -> None:
    # A caller that took the loop just before a shutdown (the shutdown gave
    # up waiting for another thread running it) gets UsageError, and its
    # coroutine never starts.
    thread, _ = _in_thread_after(0, lambda: _portal.call(_slow_to_cancel))
    time.sleep(0.2)  # the thread runs the loop now
    shared = _current()
    _portal.shutdown(timeout=0.05)
    ran: list[None] = []

    async def record() -> str:
        ran.append(None)
        return "ran"

    with pytest.raises(UsageError, match="shutting down or has stopped"):
        shared.run(Job(shared, record, (), {}))
    thread.join(DEADLINE)
    assert ran == []


def test_calls_from_two_threads_back_to_back_all_return_and_log_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Each caller hands the loop on as its call ends, sometimes twice before
    # the waiting one wakes up: that never fails a call, nor raises inside
    # the loop (which asyncio would log as an error).
    results: dict[int, list[int]] = {0: [], 1: []}

    def caller(index: int) -> None:
        for i in range(300):
            results[index].append(_portal.call(add, index, i))

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        run_threads(2, caller)
        gc.collect()  # asyncio logs a task's lost exception when it is collected
    assert results == {k: [k + i for i in range(300)] for k in (0, 1)}
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


@pytest.mark.usefixtures("ctrl_c")
def test_a_second_ctrl_c_raises_at_once_without_waiting_for_the_cancellation() -> None:
    async def deaf() -> None:
        await _stubborn(2.5)

    def interrupter() -> None:
        time.sleep(0.2)
        _interrupt_with_interrupt_main()  # cancels the call, which ignores it
        time.sleep(0.3)
        second.append(time.monotonic())
        _interrupt_with_interrupt_main()

    second: list[float] = []
    threading.Thread(target=interrupter, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(deaf)
    assert second
    assert time.monotonic() - second[0] < 1.0


def test_a_shutdown_also_ends_the_tasks_that_ending_the_others_started() -> None:
    # Closing a generator can start a task whose cancellation starts another
    # (a connection closed in the background): each is cancelled in turn.
    cleaned: list[str] = []
    kept: list[object] = []

    async def second() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            cleaned.append("second")

    async def first() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            kept.append(asyncio.get_running_loop().create_task(second()))

    async def numbers() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            kept.append(asyncio.get_running_loop().create_task(first()))

    async def leave_a_generator_open() -> None:
        generator = numbers()
        await generator.__anext__()
        kept.append(generator)

    _portal.call(leave_a_generator_open)
    _portal.shutdown(timeout=DEADLINE)
    assert cleaned == ["second"]


async def _pause() -> None:
    await asyncio.sleep(0.3)


@pytest.mark.parametrize("after", [0.3, 1.1], ids=["0.3 s", "1.1 s"])
@pytest.mark.parametrize("before", ["nothing", "another thread ran the loop"])
@pytest.mark.usefixtures("ctrl_c")
def test_an_interrupt_main_is_noticed_within_a_poll_interval(
    before: str, after: float
) -> None:
    # `_thread.interrupt_main()` sends no signal: the main thread sees it
    # only once the loop it runs wakes up, which happens every poll interval
    # even while the call only waits, whoever ran the loop before, and
    # however many intervals the call has waited already.
    async def waits() -> None:
        await asyncio.sleep(5)

    _portal.call(add, 1, 2)
    if before != "nothing":
        thread, _ = _in_thread_after(0, lambda: _portal.call(_pause))
        thread.join(DEADLINE)

    def interrupter() -> None:
        time.sleep(after)
        interrupted.append(time.monotonic())
        _interrupt_with_interrupt_main()

    interrupted: list[float] = []
    threading.Thread(target=interrupter, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(waits)
    assert time.monotonic() - interrupted[0] < 1.0


def test_the_main_thread_keeps_one_wake_up_timer_however_many_calls(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # One timer serves every call the main thread runs the loop for: none is
    # added per call.
    def timers() -> list[Any]:
        scheduled = cast("list[Any]", _current().loop._scheduled)  # type: ignore[attr-defined]
        return [timer for timer in scheduled if not timer.cancelled()]

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        for i in range(50):
            assert _portal.call(add, i, 1) == i + 1
        assert len(timers()) == 1
        _portal.call(_pause)  # the timer fires, and re-arms, while the call waits
        assert len(timers()) == 1
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


@pytest.mark.usefixtures("ctrl_c")
def test_an_interrupted_caller_that_gets_the_loop_back_waits_a_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Interrupted while another thread ran the loop, the caller waits for
    # the cancellation; that thread's call ends meanwhile and the caller
    # runs the loop itself, still not past the bound.
    monkeypatch.setattr(_shared_loop, "_CANCEL_TIMEOUT", 0.6)

    def interrupter() -> None:
        time.sleep(0.2)
        interrupted.append(time.monotonic())
        _interrupt_with_interrupt_main()

    interrupted: list[float] = []
    holder, held = _in_thread(lambda: _portal.call(asyncio.sleep, 0.4))
    time.sleep(0.1)  # it runs the loop now, for 0.3 s more
    threading.Thread(target=interrupter, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(_stubborn, 3)
    waited = time.monotonic() - interrupted[0]
    holder.join(DEADLINE)
    assert held == [None]
    assert 0.5 <= waited < 1.8


def test_an_exception_of_another_threads_call_run_by_the_main_thread_is_that_calls() -> (
    None
):
    # Only a signal handler's exception belongs to the main thread: an
    # exception of the call itself reaches its own caller, whoever ran it.
    async def fails() -> None:
        raise BoomError("its own")

    async def busy() -> str:
        await asyncio.sleep(0.6)
        return "main result"

    other, outcome = _in_thread_after(0.2, lambda: _portal.call(fails))
    assert _portal.call(busy) == "main result"  # runs the other's call too
    other.join(DEADLINE)
    assert len(outcome) == 1
    assert isinstance(outcome[0], BoomError)
    assert str(outcome[0]) == "its own"


def test_a_call_run_by_its_own_thread_keeps_nothing_alive_after_it() -> None:
    class Argument:
        pass

    async def use(argument: Argument) -> int:
        await anyio.lowlevel.checkpoint()
        return id(argument)

    argument = Argument()
    ref = weakref.ref(argument)
    assert _portal.call(use, argument) == id(argument)
    del argument
    gc.collect()
    assert ref() is None


@pytest.mark.usefixtures("ctrl_c")
def test_an_interrupted_caller_inside_an_event_loop_waits_a_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The helper thread runs the cancelled call; the caller waits for it to
    # end, but not past the bound.
    monkeypatch.setattr(_shared_loop, "_CANCEL_TIMEOUT", 0.5)

    def interrupter() -> None:
        time.sleep(0.3)
        interrupted.append(time.monotonic())
        _interrupt_with_interrupt_main()

    async def main() -> None:
        with pytest.warns(BlockingCallInEventLoopWarning):
            _portal.call(_stubborn, 3)

    interrupted: list[float] = []
    threading.Thread(target=interrupter, daemon=True).start()
    # Not asyncio.run, whose own SIGINT handler would only cancel main().
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(main())
    finally:
        loop.close()
    waited = time.monotonic() - interrupted[0]
    assert 0.4 <= waited < 1.8


def test_a_loop_closed_late_by_its_runner_still_ends_what_calls_left_behind() -> None:
    # The shutdown gave up waiting for the thread running the loop: that
    # thread closes it as its call ends, and winds it down as the shutdown
    # would have.
    cleaned: list[str] = []
    kept: list[object] = []

    async def leave_a_task_then_wait() -> None:
        _leave_a_task(cleaned, kept)
        await _slow_to_cancel()

    thread, outcome = _in_thread_after(0, lambda: _portal.call(leave_a_task_then_wait))
    time.sleep(0.2)  # the thread runs the loop now
    shared = _current()
    _portal.shutdown(timeout=0.05)
    assert not shared.closed
    thread.join(DEADLINE)
    assert isinstance(outcome[0], UsageError)
    assert shared.loop.is_closed()
    assert cleaned == ["task"]


# --- the waiting caller's wake-up, and the closed loop's refusal ---------------


def _waiting_job(shared: SharedLoop) -> Job[int]:
    """A job whose caller waits for it, as `SharedLoop._wait` registers one."""
    job = Job(shared, add, (1, 2), {})
    shared._waiting[job] = None
    return job


def _close(shared: SharedLoop) -> None:
    assert shared._drive.try_take()
    shared._close_taken(DEADLINE)


# Whatever wakes a waiting caller: a hand-on of the loop (twice, from two
# threads that stopped running it before the caller woke), the end of its
# call, the closing of the loop.
_WAKE_UPS: dict[str, Callable[[SharedLoop, Job[int]], None]] = {
    "hand-on": lambda shared, _job: shared._hand_on(),
    "end": lambda _shared, job: job._finish(),
    "close": lambda shared, _job: _close(shared),
}


@pytest.mark.parametrize(
    "order",
    [
        ("hand-on", "hand-on", "end", "close"),
        ("end", "close", "hand-on"),
        ("close", "end"),
        ("hand-on", "close", "end"),
    ],
    ids="-then-".join,
)
def test_a_waiting_caller_is_woken_once_whoever_wakes_it(
    order: tuple[str, ...],
) -> None:
    # Its lock is released once until the caller takes it: a second release
    # would raise RuntimeError ("release unlocked lock") in the thread that
    # woke it, which may be another caller's, or the shutdown's.
    shared = SharedLoop()
    job = _waiting_job(shared)
    try:
        for wake_up in order:
            _WAKE_UPS[wake_up](shared, job)
        assert job.signal.acquire(blocking=False)
        assert not job.signal.acquire(blocking=False)
    finally:
        shared.loop.close()


def test_a_call_waiting_on_a_closed_loop_is_refused_in_its_words() -> None:
    # Its call never ran (the loop closed before it started): the caller
    # stops waiting and says why, rather than polling a dead loop forever.
    shared = SharedLoop()
    job = _waiting_job(shared)
    shared.loop.close()
    with pytest.raises(UsageError) as info:
        shared._sleep(job, None)
    assert str(info.value) == _shared_loop.CLOSED_MESSAGE


@pytest.mark.parametrize("helper", ["never started", "stopped"])
def test_a_call_from_an_event_loop_with_no_helper_left_is_refused_in_its_words(
    helper: str,
) -> None:
    # Shutting down, the helper thread is gone: nobody will run such a call.
    shared = SharedLoop()
    try:
        if helper == "stopped":
            gone = threading.Thread(target=lambda: None)
            gone.start()
            gone.join(DEADLINE)
            shared._helper = gone
        shared._stopping = True
        with pytest.raises(UsageError) as info:
            shared._check_helped()
        assert str(info.value) == _shared_loop.CLOSED_MESSAGE
    finally:
        shared.loop.close()


def test_a_shutdown_waits_for_a_loop_being_made_before_taking_it() -> None:
    # shutdown() takes the loop under the lock that makes one: a first call
    # making the loop meanwhile never sees it swapped out halfway.
    _portal.call(add, 1, 2)
    shared = _current()
    with _portal._lock:
        thread, outcome = _in_thread(lambda: _portal.shutdown(DEADLINE))
        time.sleep(0.1)  # shutdown() is blocked on the lock by now
        assert _current() is shared
        assert not shared.closed
    thread.join(DEADLINE)
    assert outcome == [None]
    assert _portal._current is None
    assert shared.closed
