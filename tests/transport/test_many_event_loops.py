"""One `AsyncDing` serving many event loops at once, as Django does under WSGI.

Django runs an async view of a WSGI server in a new event loop per request
(asgiref's ``async_to_sync``), several at once in threads; scripts call
``asyncio.run`` per call. A module-level client then meets a new loop on
almost every call, from several threads. Each loop gets its own connections
(`ding._transport._pool.Lane`), and the lane of a loop that ended is dropped, its
connections closed on that loop, with no warning.

Each case runs in a child process, so that any warning, log line or open
file descriptor it leaves is its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ding.testing import DEFAULT_CUSTOMER_UUID, FakeDing
from tests._child import run_script

if TYPE_CHECKING:
    from collections.abc import Iterator

THREADS = 8
CALLS = 300

CHILD = """
import asyncio, gc, json, os, sys, threading
from asgiref.sync import async_to_sync
import ding

url, mode, threads, calls = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
client = ding.AsyncDing(api_key="k", server_url=url, customer_uuid=sys.argv[5])
failures = []

def one_call():
    lookup = client.lookup.lookup
    if mode == "asyncio.run":
        return asyncio.run(lookup("+14155550123"))
    return async_to_sync(lookup)("+14155550123")

def worker():
    for _ in range(calls):
        try:
            one_call()
        except Exception as exc:
            failures.append(repr(exc))

def open_fds():
    return len(os.listdir("/proc/self/fd"))

one_call()  # the imports and the TLS context, before counting
gc.collect()
before = open_fds()
workers = [threading.Thread(target=worker) for _ in range(threads)]
for thread in workers:
    thread.start()
for thread in workers:
    thread.join()
gc.collect()
print(json.dumps({
    "failures": failures[:3],
    "failed": len(failures),
    "lanes": len(client._pipeline.pool._lanes),
    "fds": open_fds() - before,
}))
"""


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with FakeDing().serve() as server:
        yield server.url + "/v1"


@pytest.mark.skipif(
    not Path("/proc/self/fd").exists(), reason="counts descriptors in /proc"
)
@pytest.mark.parametrize("mode", ["asyncio.run", "async_to_sync"])
def test_one_client_serves_many_loops_at_once(url: str, mode: str) -> None:
    result = run_script(
        CHILD,
        url,
        mode,
        str(THREADS),
        str(CALLS),
        DEFAULT_CUSTOMER_UUID,
        timeout=50,
        all_warnings=True,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["failed"] == 0, report["failures"]
    # No warning, and no log line from asyncio or aiohttp ("Unclosed ...").
    assert result.stderr == ""
    # Every loop has ended: its lane went with it, and its connections.
    assert report["lanes"] == 0
    assert report["fds"] <= 0


# A call in flight on a loop in another thread while the main loop closes the
# client: the call completes, and nothing is left open or logged.
CLOSE_WHILE_IN_FLIGHT = """
import asyncio, json, sys, threading
import ding
from ding.testing import FakeDing, Fault

fake = FakeDing()
fake.faults.inject("create_authentication", Fault.delay(0.5))
with fake.serve() as server:
    client = ding.AsyncDing(
        api_key="k", server_url=server.url + "/v1", customer_uuid=sys.argv[1]
    )
    outcome = []

    def other_loop():
        async def call():
            try:
                await client.otp.create_authentication(phone_number="+14155550123")
                outcome.append("ok")
            except Exception as exc:
                outcome.append(repr(exc))
        asyncio.run(call())

    thread = threading.Thread(target=other_loop)
    thread.start()
    while fake.handled_requests == 0:  # the call is at the fake, answered late
        pass

    async def close():
        await client.aclose()
    asyncio.run(close())
    thread.join()
    print(json.dumps({"outcome": outcome, "handled": fake.handled_requests}))
"""


def test_closing_on_one_loop_leaves_the_calls_of_another_to_finish() -> None:
    result = run_script(
        CLOSE_WHILE_IN_FLIGHT, DEFAULT_CUSTOMER_UUID, timeout=50, all_warnings=True
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"outcome": ["ok"], "handled": 1}
    assert result.stderr == ""
