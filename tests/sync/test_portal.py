"""The event loop behind the sync client (`ding._sync._portal`): one thread per process."""

# These tests inspect and patch the portal's private state on purpose (as
# ruff's per-file SLF001 ignore for tests already allows).
# pyright: reportPrivateUsage=false

from __future__ import annotations

import _thread
import asyncio
import concurrent.futures
import contextlib
import os
import selectors
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import pytest

from ding._errors import BlockingCallInEventLoopWarning, UsageError
from ding._sync import _portal

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

# Nothing here may hang: every wait has a deadline well under pytest-timeout's.
DEADLINE = 10.0
# The directory that holds the `ding` package, for subprocesses.
PACKAGE_ROOT = str(Path(_portal.__file__).resolve().parents[2])


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


async def loop_id() -> int:
    return id(asyncio.get_running_loop())


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


def in_thread(target: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Run *target* in a new thread; its result or exception lands in the list."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(target())
        except BaseException as exc:  # noqa: BLE001 - inspected by the test
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


# --- 1. one loop thread, started lazily, shared -------------------------------


def test_import_starts_nothing() -> None:
    result = run_script("""
        import threading
        import ding
        import ding._sync._portal as portal
        client = ding.Ding(api_key="k")  # no call yet
        assert portal._current is None, portal._current
        assert threading.active_count() == 1, threading.enumerate()
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_every_call_of_every_thread_runs_on_one_daemon_loop_thread() -> None:
    assert _portal._current is None
    ran_in: list[int] = [_portal.call(loop_thread)]
    run_threads(8, lambda _: ran_in.append(_portal.call(loop_thread)))
    (portal,) = _portal_threads()
    assert set(ran_in) == {portal.ident}
    assert portal.ident != threading.get_ident()
    # It never holds up the interpreter's exit, which waits for the others.
    assert portal.daemon


def test_concurrent_first_calls_start_exactly_one_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[object] = []
    original = _portal._LoopThread.__init__

    def counting(self: _portal._LoopThread) -> None:
        made.append(self)
        time.sleep(0.05)  # widen the window in which a second one could start
        original(self)

    monkeypatch.setattr(_portal._LoopThread, "__init__", counting)
    loops: list[int] = []
    run_threads(16, lambda _: loops.append(_portal.call(loop_id)))
    assert len(made) == 1
    assert len(set(loops)) == 1


def test_many_threads_calling_at_once_get_their_own_results() -> None:
    results: dict[int, list[int]] = {i: [] for i in range(16)}

    def caller(index: int) -> None:
        for i in range(50):
            results[index].append(_portal.call(add, index, i))

    run_threads(16, caller)
    assert results == {i: [i + j for j in range(50)] for i in range(16)}


def test_arguments_are_passed_through() -> None:
    async def echo(*args: object, **kwargs: object) -> tuple[Any, ...]:
        return args, kwargs

    # `fn` is positional-only, so a keyword argument may be called `fn`.
    assert _portal.call(echo, 1, "a", fn=2, b=None) == ((1, "a"), {"fn": 2, "b": None})


class BoomError(Exception):
    """An exception of a coroutine's own."""


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
    assert _portal.call(loop_thread) == loop  # the loop survived, even SystemExit


def test_a_call_keeps_nothing_alive_after_it() -> None:
    class Argument:
        pass

    async def use(argument: Argument) -> int:
        await asyncio.sleep(0)
        return id(argument)

    argument = Argument()
    gone = weakref.ref(argument)
    assert _portal.call(use, argument) == id(argument)
    del argument
    assert gone() is None, "the call kept its argument alive"


# --- 2. interpreter exit ----------------------------------------------------------

_EXIT_CHECK = """
    import asyncio, atexit, threading, time
    import anyio

    loops = []

    # Registered before ding's hook, so it runs after it.
    @atexit.register
    def report():
        print("loop closed at exit:", [loop.is_closed() for loop in loops], flush=True)

    from ding._sync import _portal

    async def remember_the_loop():
        loops.append(asyncio.get_running_loop())

    _portal.call(remember_the_loop)
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
    assert result.stdout == "loop closed at exit: [True]\n"
    assert result.stderr == ""


@pytest.mark.parametrize("deaf", [False, True], ids=["cancellable", "deaf"])
def test_exit_with_a_call_in_flight_is_delayed_about_a_second_at_most(
    deaf: bool,
) -> None:
    result = run_script(
        _EXIT_CHECK
        + f"""
    running = threading.Event()

    async def forever():
        running.set()
        try:
            await anyio.sleep(3600)
        except anyio.get_cancelled_exc_class():
            print("cancelled at exit", flush=True)
            if {deaf}:  # ignore the cancellation for a long while
                time.sleep(30)
            raise

    threading.Thread(target=_portal.call, args=(forever,), daemon=True).start()
    assert running.wait(10)
    print(time.time(), flush=True)
    """
    )
    ended = time.time()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # A loop deaf to cancellation is left to the daemon thread, unclosed.
    assert lines[1:] == ["cancelled at exit", f"loop closed at exit: [{not deaf}]"]
    # About a second: the wait, plus the rest of the exit on a loaded machine.
    assert ended - float(lines[0]) < 2.0


def test_the_exit_hook_waits_about_a_second_for_a_call_deaf_to_its_cancel() -> None:
    # At interpreter exit the calls in flight are cancelled, and the exit
    # waits about a second at most, even for a call that ignores its
    # cancellation. The hook atexit runs, here run in this process (the exit
    # itself: test_exit_with_a_call_in_flight_is_delayed_about_a_second_at_most).
    running = threading.Event()
    deaf = threading.Event()

    async def forever() -> None:
        running.set()
        try:
            await anyio.sleep(3600)
        except anyio.get_cancelled_exc_class():
            deaf.wait(DEADLINE)  # ignores the cancellation meanwhile
            raise

    thread, outcome = in_thread(lambda: _portal.call(forever))
    assert running.wait(DEADLINE)
    [portal_thread] = _portal_threads()
    started = time.monotonic()
    _portal._shutdown_at_exit()
    waited = time.monotonic() - started
    deaf.set()
    thread.join(DEADLINE)
    portal_thread.join(DEADLINE)
    assert waited < 3.0
    assert len(outcome) == 1
    assert isinstance(outcome[0], UsageError)


def test_the_exit_hook_lets_the_exit_go_on_whatever_the_shutdown_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The hook is best effort: a failure to stop the loop (a green runtime's
    # hub already gone at exit) is never an error of the exit.
    def fail(timeout: float = 5.0) -> None:
        raise OSError(timeout)

    with monkeypatch.context() as patched:
        patched.setattr(_portal, "shutdown", fail)
        _portal._shutdown_at_exit()


# --- 3. fork ---------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_child_gets_a_fresh_loop_and_parent_keeps_its_own() -> None:
    # A script of its own, so that pytest's warning filters do not apply.
    result = run_script("""
        import asyncio, gc, os, signal, threading, traceback, warnings
        from ding._sync import _portal

        # Python 3.12+ warns that forking a multi-threaded process may deadlock
        # the child; surviving exactly that is what this test checks.
        warnings.filterwarnings(
            "ignore", r"This process .* is multi-threaded", DeprecationWarning
        )

        async def where():
            return os.getpid(), threading.get_ident(), id(asyncio.get_running_loop())

        parent = _portal.call(where)
        old = _portal._current
        # Fork while a call of another thread is in flight on the loop.
        release = threading.Event()
        running = threading.Event()

        async def hold():
            running.set()
            while not release.is_set():  # noqa: ASYNC110 - a threading.Event
                await asyncio.sleep(0.01)

        holder = threading.Thread(target=_portal.call, args=(hold,))
        holder.start()
        assert running.wait(10)
        pid = os.fork()
        if pid == 0:
            signal.alarm(10)  # never hang: SIGALRM's default action kills us
            code = 1
            try:
                child = _portal.call(where)
                new = _portal._current
                assert child[0] == os.getpid()
                assert new is not None and new is not old, "kept the parent's loop"
                assert new.loop is not old.loop
                assert child[1] != parent[1], "ran on the parent's thread id"
                assert _portal.call(where) == child
                gc.collect()  # the parent's loop is never closed from here
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


def test_after_the_fork_hook_the_next_call_starts_a_loop_of_its_own() -> None:
    # A forked child's first call starts a loop and a thread of its own, and
    # leaves the parent's loop alone. The hook os.register_at_fork runs in
    # the child, here run in this process (the fork itself:
    # test_fork_child_gets_a_fresh_loop_and_parent_keeps_its_own).
    parent = _portal.call(loop_id)
    old = _current()
    _portal._forget_after_fork()
    try:
        assert _portal.call(loop_id) != parent
        assert _current() is not old
        assert _portal.call(loop_id) == _portal.call(loop_id)
        assert old.loop is not None
        assert not old.loop.is_closed()
    finally:
        _portal._forked_away[:] = [
            kept for kept in _portal._forked_away if kept is not old
        ]
        old.stop(DEADLINE)


# --- 4. Ctrl-C cancels the call in flight ---------------------------------------


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


@pytest.mark.parametrize("interrupt", INTERRUPTS)
@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c_cancels_the_call_in_flight(interrupt: Callable[[], None]) -> None:
    outcome: list[str] = []

    async def slow() -> None:
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        outcome.append("completed")

    threading.Timer(0.2, interrupt).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(slow)
    # Promptly: a real signal at once, interrupt_main within a poll interval
    # (and one more for a loaded machine).
    assert time.monotonic() - started < 0.2 + 3 * _portal._POLL_INTERVAL
    assert outcome == ["cancelled"]  # before the caller got control back
    assert _portal.call(add, 1, 2) == 3  # the loop survived


@pytest.mark.usefixtures("ctrl_c")
def test_an_interrupted_caller_waits_for_the_cancellation_a_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_portal, "_CANCEL_TIMEOUT", 0.5)
    ended = threading.Event()

    async def deaf() -> None:
        try:
            await _stubborn(2.0)
        finally:
            ended.set()

    threading.Timer(0.2, _thread.interrupt_main).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(deaf)
    waited = time.monotonic() - started
    assert 0.2 + 0.5 <= waited < 0.2 + 0.5 + 2 * _portal._POLL_INTERVAL
    assert not ended.is_set()
    assert ended.wait(DEADLINE)  # it does end, in the loop, later


@pytest.mark.usefixtures("ctrl_c")
def test_a_second_ctrl_c_raises_at_once_without_waiting_for_the_cancellation() -> None:
    async def deaf() -> None:
        await _stubborn(3.0)

    threading.Timer(0.2, _thread.interrupt_main).start()
    threading.Timer(0.6, _thread.interrupt_main).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _portal.call(deaf)
    assert time.monotonic() - started < 0.6 + 2 * _portal._POLL_INTERVAL


async def _stubborn(seconds: float) -> None:
    """Ignore every cancellation for *seconds*."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(end - time.monotonic())


# --- 5. signals: none installed, none changed ------------------------------------

_SIGACTIONS = """
    import ctypes, ctypes.util, signal

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)

    class Sigaction(ctypes.Structure):  # glibc's struct sigaction on Linux
        _fields_ = [
            ("handler", ctypes.c_void_p),
            ("mask", ctypes.c_ulong * (1024 // (8 * ctypes.sizeof(ctypes.c_ulong)))),
            ("flags", ctypes.c_int),
            ("restorer", ctypes.c_void_p),
        ]

    def dispositions():
        # Each signal's handler, flags and mask as the kernel keeps them (the
        # kernel's mask is 64 bits: glibc leaves the rest of its own unset).
        seen = {}
        for number in range(1, signal.NSIG):
            action = Sigaction()
            if libc.sigaction(number, None, ctypes.byref(action)) == 0:
                seen[number] = (action.handler, action.flags, action.mask[0])
        return seen
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads sigaction")
def test_calls_leave_every_signal_disposition_as_they_found_it() -> None:
    # As under uWSGI, whose SIGINT and SIGTERM handlers are C functions that
    # Python does not know about: Python's own table says SIG_DFL for them,
    # and restoring "the previous handler" from that table replaces them.
    result = run_script(
        _SIGACTIONS
        + """
    import os, threading, _thread
    import ding
    from ding.testing import FakeDing

    SIG_IGN = ctypes.c_void_p(1)
    libc.signal.restype = ctypes.c_void_p
    libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        libc.signal(number, SIG_IGN)  # below Python, which still says otherwise
    before = dispositions()
    python_before = {n: signal.getsignal(n) for n in before}
    mask_before = signal.pthread_sigmask(signal.SIG_BLOCK, [])

    fake = FakeDing()
    with fake.client() as client:
        client.otp.create_authentication(phone_number="+14155550123")
        threads = [
            threading.Thread(
                target=client.otp.create_authentication,
                kwargs={"phone_number": "+14155550124"},
            )
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        client.otp.create_authentication(phone_number="+14155550125")
        for thread in threads:
            thread.join()

    assert dispositions() == before, "a signal's disposition changed"
    assert {n: signal.getsignal(n) for n in before} == python_before
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == mask_before
    print("ok", len(before))
    """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "ok"
    assert int(result.stdout.split()[1]) > 30  # every signal was read


# --- 6. called from a thread running an event loop -------------------------------


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


def test_the_warning_says_the_loop_is_blocked_and_what_to_use_instead() -> None:
    async def main() -> None:
        with pytest.warns(BlockingCallInEventLoopWarning) as record:
            _portal.call(add, 1, 2)
        assert str(record[0].message) == (
            "a blocking ding.Ding method was called from a thread that is "
            "running an event loop; the loop is blocked until the request "
            "finishes. Use ding.AsyncDing in async code"
        )

    asyncio.run(main())


def test_no_warning_with_trio_imported_but_not_running() -> None:
    import trio  # noqa: PLC0415 - imported here on purpose

    assert trio.__name__ in sys.modules
    with warnings.catch_warnings():
        warnings.simplefilter("error", BlockingCallInEventLoopWarning)
        assert _portal.call(add, 1, 2) == 3


def test_a_call_in_a_process_without_trio_neither_warns_nor_imports_it() -> None:
    result = run_script("""
        import sys
        import warnings
        warnings.simplefilter("error")
        import ding._sync._portal as portal

        async def add(a, b):
            return a + b

        assert portal.call(add, 1, 2) == 3
        assert "trio" not in sys.modules
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


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


def test_a_call_from_the_loop_thread_itself_is_a_usage_error() -> None:
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


# --- 7. shutdown and a thread that cannot start ------------------------------------


def test_shutdown_cancels_the_calls_in_flight_and_a_later_call_starts_anew() -> None:
    first = _portal.call(loop_id)
    running = threading.Event()

    async def forever() -> None:
        running.set()
        await anyio.sleep(3600)

    thread, outcome = in_thread(lambda: _portal.call(forever))
    assert running.wait(DEADLINE)
    _portal.shutdown()
    thread.join(DEADLINE)
    (error,) = outcome
    assert isinstance(error, UsageError)
    assert str(error) == _portal.CLOSED_MESSAGE
    assert _portal._current is None
    assert _portal.call(loop_id) != first


def test_a_call_on_a_loop_that_has_stopped_is_a_usage_error() -> None:
    _portal.call(add, 1, 2)
    stale = _current()
    _portal.shutdown()
    assert stale.ended
    _portal._current = stale  # as a caller that took it just before
    try:
        started = time.monotonic()
        with pytest.raises(UsageError) as info:
            _portal.call(add, 1, 2)
        assert time.monotonic() - started < DEADLINE
        assert str(info.value) == _portal.CLOSED_MESSAGE
    finally:
        _portal._current = None


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

    async def background() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.05)  # a cleanup that takes a while
            cleaned.append("task")

    async def leave_work_behind() -> None:
        kept.append(asyncio.get_running_loop().create_task(background()))
        generator = numbers()
        await generator.__anext__()
        kept.append(generator)
        await asyncio.sleep(0)  # the task starts

    _portal.call(leave_work_behind)
    assert cleaned == []
    _portal.shutdown(timeout=DEADLINE)
    assert sorted(cleaned) == ["generator", "task"]


def test_a_thread_that_cannot_start_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As happens when a client is first used while the interpreter shuts down.
    def refuse(_self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with pytest.raises(UsageError) as excinfo:
        _portal.call(add, 1, 2)
    assert str(excinfo.value) == "the sync client could not start its event-loop thread"
    assert isinstance(excinfo.value.__cause__, RuntimeError)
    monkeypatch.undo()
    assert _portal.call(add, 1, 2) == 3


# --- 8. under gevent and eventlet --------------------------------------------------


def test_under_green_threads_the_loop_never_sleeps_past_a_poll_interval() -> None:
    # Under gevent's and eventlet's patching, the threads of the loop's
    # executor are greenlets of its thread, which run only when the loop
    # wakes up: the SDK's loop there (`_tick`) wakes every poll interval,
    # with nothing else to wake it. (The patched runtimes: tests/runtimes/.)
    sleeps: list[float | None] = []

    class Selector(selectors.DefaultSelector):
        def select(
            self, timeout: float | None = None
        ) -> list[tuple[selectors.SelectorKey, int]]:
            sleeps.append(timeout)
            if timeout is None or len(sleeps) == 4:
                loop.stop()
                timeout = 0
            return super().select(timeout)

    loop = asyncio.SelectorEventLoop(Selector())
    try:
        loop.call_soon(_portal._tick, loop)
        loop.run_forever()
    finally:
        loop.close()
    assert len(sleeps) == 4
    for sleep in sleeps:
        assert sleep is not None
        assert sleep <= _portal._POLL_INTERVAL
