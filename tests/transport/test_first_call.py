"""The first call does its slow first-time work off the event loop.

Importing aiohttp (some 100 ms), the data model and building the TLS
context would block the loop that makes the first call, and every other
request its server handles meanwhile (`ding._transport._pool._prepare`).
How long the loop stalls is measured by `nox -s bench -- --only stall` and
``scripts/first_call_stall.py``; here, where the work happens: each test
runs a fresh process that records the thread every import of interest ran
in.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from ding.testing import DEFAULT_CUSTOMER_UUID, FakeDing
from tests._child import run_script

if TYPE_CHECKING:
    from collections.abc import Iterator


# Records, for each module below, whether it was imported on the thread
# that runs the event loop; then makes a first call and prints the record.
CHILD = """
import importlib.abc, json, sys, threading

WATCHED = {"aiohttp", "ding._transport._aiohttp", "ding._transport._httpcore", "ding._schema._models", "phonenumbers"}
where = {}

class Recorder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in WATCHED and name not in where:
            where[name] = threading.current_thread() is loop_thread
        return None

sys.meta_path.insert(0, Recorder())
import ding

url, backend, kind, customer = sys.argv[1:5]
loop_thread = threading.main_thread()

async def first_call():
    http = None
    if kind == "injected":
        import httpx
        http = httpx.AsyncClient()
    async with ding.AsyncDing(
        api_key="k", server_url=url, customer_uuid=customer, client=http
    ) as client:
        await client.otp.create_authentication(phone_number="+14155550123")
    if http is not None:
        await http.aclose()

if backend == "trio":
    import trio
    trio.run(first_call)
else:
    import asyncio
    asyncio.run(first_call())
print(json.dumps(where))
"""


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with FakeDing().serve() as server:
        yield server.url + "/v1"


def first_call(url: str, backend: str, kind: str) -> dict[str, bool]:
    result = run_script(CHILD, url, backend, kind, DEFAULT_CUSTOMER_UUID, timeout=50)
    assert result.returncode == 0, result.stderr
    where: dict[str, bool] = json.loads(result.stdout)
    return where


@pytest.mark.parametrize(
    ("runner", "module"),
    [("asyncio", "ding._transport._aiohttp"), ("trio", "ding._transport._httpcore")],
)
def test_the_first_call_imports_its_transport_off_the_loop(
    url: str, runner: str, module: str
) -> None:
    where = first_call(url, runner, "own")
    assert where[module] is False
    assert where["ding._schema._models"] is False
    assert where["phonenumbers"] is False
    if runner == "asyncio":
        assert where["aiohttp"] is False


def test_an_injected_client_needs_no_transport_of_the_sdk(url: str) -> None:
    where = first_call(url, "asyncio", "injected")
    assert where == {"ding._schema._models": False, "phonenumbers": False}


# The sync clients' loop serves only the SDK's calls, which would wait for
# the preparation anyway: there it is done in place, on the loop's thread.
SYNC_CHILD = """
import importlib.abc, json, sys, threading

WATCHED = {"aiohttp", "ding._transport._aiohttp", "ding._schema._models", "phonenumbers"}
where = {}

class Recorder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in WATCHED and name not in where:
            where[name] = threading.current_thread().name
        return None

sys.meta_path.insert(0, Recorder())
import ding

url, customer = sys.argv[1:3]
with ding.Ding(api_key="k", server_url=url, customer_uuid=customer) as client:
    client.otp.create_authentication(phone_number="+14155550123")
print(json.dumps(where))
"""


def test_the_sync_clients_loop_prepares_in_place(url: str) -> None:
    result = run_script(SYNC_CHILD, url, DEFAULT_CUSTOMER_UUID, timeout=50)
    assert result.returncode == 0, result.stderr
    where: dict[str, str] = json.loads(result.stdout)
    assert where == dict.fromkeys(
        ("aiohttp", "ding._transport._aiohttp", "ding._schema._models", "phonenumbers"),
        "ding-portal",
    )


# The loop's default executor has one worker, and it waits on the loop (as
# code bridged with asgiref's sync_to_async does): the first call, made from
# that worker, must not need a worker of that executor.
BRIDGED = """
import asyncio, concurrent.futures, sys
import ding

async def main():
    loop = asyncio.get_running_loop()
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=1))
    client = ding.AsyncDing(api_key="k", server_url=sys.argv[1], customer_uuid=sys.argv[2])

    def sync_view():
        call = client.otp.create_authentication(phone_number="+14155550123")
        return asyncio.run_coroutine_threadsafe(call, loop).result(timeout=10)

    sent = await asyncio.wait_for(loop.run_in_executor(None, sync_view), 20)
    print(type(sent).__name__)
    await client.aclose()

asyncio.run(main())
"""


def test_the_first_call_needs_no_worker_of_the_loops_executor(url: str) -> None:
    result = run_script(BRIDGED, url, DEFAULT_CUSTOMER_UUID, timeout=50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["PostAuthenticationResponse"]
