"""A client nobody closed goes quietly: no ResourceWarning, no file descriptor left.

Most cases run in a fresh interpreter under ``PYTHONDEVMODE=1 -W error`` (every
warning an error, asyncio's debug mode on) against the TCP stub: the
script counts its open file descriptors after a warm-up call made by a
client it closed, leaves a client unclosed in the way the case says, and
prints the count again once the collector has run. The cases at the end
run in this process, against a server that notes when the client hangs up
each connection: they tell when the connections are closed, not only that
they are by the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Final

import anyio
import pytest
import trio

import ding
from tests._listen import listening
from tests._stub import AUTH_UUID, CUSTOMER_UUID, canned

if TYPE_CHECKING:
    import socket
    from collections.abc import Generator, Sequence

    from tests._stub import StubDing

ROOT: Final = str(Path(__file__).resolve().parents[2])

PRELUDE: Final = """
import asyncio, gc, os, sys, time
import trio
import ding

def fds():
    return len(os.listdir("/proc/self/fd"))

def settled(base):
    # The loop closes the sockets on its next turns (another thread's loop
    # for the sync client): wait for that, boundedly.
    for _ in range(200):
        gc.collect()
        if fds() <= base:
            break
        time.sleep(0.01)
    return fds()

def make():
    return ding.AsyncDing(api_key="k", server_url=URL, customer_uuid="c")

async def use(client):
    await client.otp.retry(authentication_uuid="a")

async def warm():
    async with make() as client:
        await use(client)

asyncio.run(warm())
trio.run(warm)
with ding.Ding(api_key="k", server_url=URL, customer_uuid="c") as warm_sync:
    warm_sync.otp.retry(authentication_uuid="a")
gc.collect()
BASE = fds()
"""

CASES: Final = {
    "asyncio: collected on its running loop": """
        async def main():
            for _ in range(3):
                await use(make())
            gc.collect()
            for _ in range(3):
                await asyncio.sleep(0)
        asyncio.run(main())
    """,
    "asyncio: collected after its loop ended": """
        client = make()
        asyncio.run(use(client))
        del client
    """,
    "asyncio: reused on a second loop": """
        client = make()
        asyncio.run(use(client))
        asyncio.run(use(client))
        del client
    """,
    "trio: collected during the run": """
        async def main():
            for _ in range(3):
                await use(make())
            gc.collect()
            await trio.sleep(0)
        trio.run(main)
    """,
    "trio: collected after the run ended": """
        client = make()
        trio.run(use, client)
        del client
    """,
    "trio, then asyncio": """
        client = make()
        trio.run(use, client)
        asyncio.run(use(client))
        del client
    """,
    "asyncio, then trio": """
        client = make()
        asyncio.run(use(client))
        trio.run(use, client)
        del client
    """,
    "asyncio: collected in another thread while its loop runs": """
        import threading
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever)
        thread.start()
        client = make()
        asyncio.run_coroutine_threadsafe(use(client), loop).result(10)
        del client
        gc.collect()  # here, while the loop runs in its own thread
        time.sleep(0.2)  # the loop closes the connections meanwhile
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    """,
    "sync: Ding dropped unclosed": """
        client = ding.Ding(api_key="k", server_url=URL, customer_uuid="c")
        client.otp.retry(authentication_uuid="a")
        del client
    """,
}


def run_case(url: str, body: str, *flags: str) -> subprocess.CompletedProcess[str]:
    code = (
        f"URL = {url!r}\n"
        + PRELUDE
        + textwrap.dedent(body)
        + "print('fds', BASE, settled(BASE))\n"
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, *flags, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": ROOT, "PYTHONDEVMODE": "1"},
        check=False,
    )


@pytest.mark.parametrize("case", list(CASES))
def test_unclosed_client_is_quiet(tcp_stub: tuple[StubDing, str], case: str) -> None:
    # PYTHONDEVMODE=1 is the same mode as -X dev.
    _, url = tcp_stub
    result = run_case(url, CASES[case])
    assert result.returncode == 0, result.stderr
    assert "nclosed" not in result.stderr, result.stderr
    assert "Exception ignored" not in result.stderr, result.stderr
    _, base, after = result.stdout.split()
    assert int(after) <= int(base), result.stdout


def test_forked_child_leaves_the_parents_connections_alone(
    tcp_stub: tuple[StubDing, str],
) -> None:
    # The child drops the parent's client, whose loop is between two runs:
    # closing its connections there would unregister the parent's sockets
    # from the epoll instance both processes share, and the parent's next
    # call on the pooled connection would never hear back (a timeout).
    _, url = tcp_stub
    body = """
        import warnings
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads
        loop = asyncio.new_event_loop()
        client = make().with_options(timeout=5, max_retries=0)
        loop.run_until_complete(use(client))
        pid = os.fork()
        if pid == 0:
            del client
            gc.collect()
            os._exit(0)
        os.waitpid(pid, 0)
        loop.run_until_complete(use(client))
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    """
    result = run_case(url, body)
    assert result.returncode == 0, result.stderr
    assert "nclosed" not in result.stderr, result.stderr


def test_a_short_soak_run_leaves_nothing_over() -> None:
    # scripts/soak.py, shortened: it fails (exit status 1) on a warning, an
    # unexpected exception, or a thread or file descriptor left over.
    script = Path(ROOT) / "scripts" / "soak.py"
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(script), "--lifecycles", "20", "--calls", "200"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": ROOT},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "round 2: 200 calls" in result.stdout, result.stdout


def _answer() -> bytes:
    status, headers, body = canned("GET", f"/authentication/{AUTH_UUID}", "", {})
    head = [f"HTTP/1.1 {status} OK", f"content-length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


ANSWER: Final = _answer()


@contextlib.contextmanager
def hang_ups() -> Generator[tuple[str, list[threading.Event]]]:
    """A server answering every GET; yields its URL and, per connection, an
    event set when the client closes that connection."""
    closed: list[threading.Event] = []

    def handle(conn: socket.socket, _stop: threading.Event) -> None:
        gone = threading.Event()
        closed.append(gone)
        data: bytes = b""
        with conn, contextlib.suppress(OSError):
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    gone.set()
                    return
                data += chunk
                while b"\r\n\r\n" in data:  # a GET: a head, no body
                    data = data[data.index(b"\r\n\r\n") + 4 :]
                    conn.sendall(ANSWER)

    with listening(handle) as origin:
        yield f"{origin}/v1", closed


def make_client(url: str) -> ding.AsyncDing:
    return ding.AsyncDing(api_key="k", server_url=url, customer_uuid=CUSTOMER_UUID)


async def call(client: ding.AsyncDing) -> None:
    await client.otp.get_authentication_status(AUTH_UUID)


def all_set(events: list[threading.Event], seconds: float = 3.0) -> bool:
    """Whether every event is set within *seconds* (the server's threads set them).

    Well before the 4 s after which the pool would close an idle connection
    of its own accord.
    """
    deadline = time.monotonic() + seconds
    return bool(events) and all(
        e.wait(max(0.0, deadline - time.monotonic())) for e in events
    )


async def all_closed(closed: Sequence[threading.Event]) -> None:
    """Wait, at most 3 s, for the server to see every connection closed."""
    with anyio.fail_after(3):
        while not all(e.is_set() for e in closed):  # noqa: ASYNC110 - set by the server's threads
            await anyio.sleep(0.01)


@contextlib.contextmanager
def no_resource_warning() -> Generator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        gc.collect()
    unclosed = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not unclosed, [str(w.message) for w in unclosed]


@pytest.mark.anyio
async def test_a_client_collected_while_its_loop_runs_closes_its_connections_then() -> (
    None
):
    # Not when the loop ends: a long-running loop would keep the sockets.
    with hang_ups() as (url, closed), no_resource_warning():
        client = make_client(url)
        await call(client)
        assert closed
        del client
        gc.collect()
        await all_closed(closed)


def test_a_client_collected_in_the_last_step_of_asyncio_run_is_closed() -> None:
    # The collector runs as the main coroutine ends: whatever closes the
    # connections must not be a task that asyncio.run() cancels before it
    # starts.
    with hang_ups() as (url, closed), no_resource_warning():

        async def main() -> None:
            client = make_client(url)
            await call(client)
            del client
            gc.collect()

        asyncio.run(main())
        assert all_set(closed)


def test_a_client_collected_in_another_thread_is_closed_on_its_loop() -> None:
    # The loop runs in a thread of its own, in debug mode (as under
    # `python -X dev`), which raises when a transport is touched from any
    # other thread; the collector runs here. The connections are closed on
    # the loop, promptly, while it runs on.
    loop = asyncio.new_event_loop()
    loop.set_debug(True)
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        with hang_ups() as (url, closed), no_resource_warning():
            client = make_client(url)
            asyncio.run_coroutine_threadsafe(call(client), loop).result(10)
            assert closed
            del client
            gc.collect()
            assert all_set(closed)
            assert loop.is_running()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def test_a_client_collected_between_two_runs_of_its_loop_is_closed_by_the_next() -> (
    None
):
    # A loop run by hand: the client is dropped while the loop is idle, and
    # the loop's next run, however short, closes its connections.
    with hang_ups() as (url, closed), no_resource_warning():
        loop = asyncio.new_event_loop()
        client = make_client(url)
        loop.run_until_complete(call(client))
        assert closed
        del client
        gc.collect()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        assert all_set(closed)


@pytest.mark.parametrize("runner", ["asyncio", "trio"])
def test_a_client_that_outlives_its_loop_is_closed_quietly_as_the_loop_ends(
    runner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client is still held when asyncio.run() or trio.run() returns:
    # its connections are closed then, and nothing is reported, not even
    # an exception ignored in a finalizer.
    ignored: list[str] = []

    def hook(what: sys.UnraisableHookArgs) -> None:
        ignored.append(repr(what.exc_value))

    monkeypatch.setattr(sys, "unraisablehook", hook)
    with hang_ups() as (url, closed), no_resource_warning():
        client = make_client(url)
        if runner == "asyncio":
            asyncio.run(call(client))
        else:
            trio.run(call, client)
        assert all_set(closed)
        del client
        gc.collect()
    assert ignored == []


def test_a_child_forked_while_trio_runs_leaves_the_parents_client_alone() -> None:
    # The child drops the client its parent is using: it neither closes the
    # parent's connections nor warns about what it leaves (trio warns about
    # an async generator collected unfinished), and the parent calls on.
    with hang_ups() as (url, closed):

        async def main() -> list[str]:
            client = make_client(url)
            await call(client)
            read, write = os.pipe()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # fork, threads
                pid = os.fork()
            if pid == 0:  # pragma: no cover - the child reports through the pipe
                try:
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        del client
                        gc.collect()
                    os.write(
                        write, json.dumps([str(w.message) for w in caught]).encode()
                    )
                finally:
                    os._exit(0)
            os.close(write)
            os.waitpid(pid, 0)  # noqa: ASYNC222 - the child exits at once
            with os.fdopen(read, "rb") as report:
                said: list[str] = json.loads(report.read() or b"null")
            assert not any(e.is_set() for e in closed)
            await call(client)
            await client.aclose()
            return said

        said = trio.run(main)
    assert said == []


@pytest.mark.anyio
async def test_a_client_collected_while_its_loop_runs_closes_its_proxy_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With HTTP_PROXY set the SDK sends through httpx's transport, whose
    # pool holds a connection to the proxy under each forwarded one.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with hang_ups() as (proxy, closed), no_resource_warning():
        monkeypatch.setenv("HTTP_PROXY", proxy.removesuffix("/v1"))
        client = ding.AsyncDing(
            api_key="k",
            server_url="http://ding-api.invalid/v1",
            customer_uuid=CUSTOMER_UUID,
            allow_insecure_http=True,
        )
        await call(client)
        assert closed
        del client
        gc.collect()
        await all_closed(closed)


def test_a_child_forked_inside_asyncio_run_ends_its_copy_quietly() -> None:
    # The child, forked from inside asyncio.run(), runs its copy of the
    # loop to its end and drops the client: what it inherited is the
    # parent's, neither closed nor left for the collector to warn about.
    with hang_ups() as (url, _):
        held = [make_client(url)]
        read, write = os.pipe()

        async def main() -> int:
            await call(held[0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # fork, threads
                return os.fork()

        parent = os.getpid()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                pid = asyncio.run(main())
                if pid == 0:  # pragma: no cover - the child reports through the pipe
                    held.clear()
                    gc.collect()
            except BaseException:
                if os.getpid() != parent:  # pragma: no cover - never run pytest on
                    os._exit(1)
                raise
        if pid == 0:  # pragma: no cover - likewise
            try:
                said = [str(w.message) for w in caught]
                os.write(write, json.dumps(said).encode())
            finally:
                os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        with os.fdopen(read, "rb") as report:
            child: list[str] = json.loads(report.read() or b"null")
        asyncio.run(call(held[0]))
    assert child == []
