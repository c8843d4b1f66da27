"""A client nobody closed goes quietly: no ResourceWarning, no file descriptor left.

Each case runs in a fresh interpreter under ``PYTHONDEVMODE=1 -W error`` (every
warning an error, asyncio's debug mode on) against the TCP stub: the
script counts its open file descriptors after a warm-up call made by a
client it closed, leaves a client unclosed in the way the case says, and
prints the count again once the collector has run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
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
