"""One client shared by many tasks: every call completes, the pool wait is bounded.

The SDK's own pool has `ding._transport._queue.Queue` in front of it: as many calls
use the pool at once as it has connections, the others wait in line for at
most the pool timeout, then raise the same `ding.APITimeoutError` on every
transport. (How fast, and how late the event loop wakes meanwhile, is
measured by scripts/concurrency.py, not here.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import httpx
import pytest

import ding
from ding._config import MAX_CONNECTIONS
from ding._transport._queue import Queue
from tests._stub import AUTH_UUID, CUSTOMER_UUID, STALL

if TYPE_CHECKING:
    from tests._stub import StubDing
    from tests.conftest import Connect

pytestmark = pytest.mark.anyio

CALLS = 1_000
# Turns a call that never ends (a slot never given back) into a failure.
HANG = 120


async def test_a_thousand_concurrent_calls_on_one_client_all_complete(
    connect: Connect, stub: StubDing, transport: str
) -> None:
    # Generous per-attempt time: this test is about every call completing,
    # and on a loaded 2-core machine under coverage a call through httpx's
    # pool once took longer than the injected client's 5 s default.
    client = connect(api_key="k", max_retries=0, timeout=30)
    statuses: list[object] = []
    # An injected client's pool is the caller's, and httpx's slows down as
    # its queue grows (here past the pool timeout): docs/configuration.md
    # advises a limiter in front of it, sized to its connections.
    limiter = anyio.CapacityLimiter(MAX_CONNECTIONS if transport == "httpx" else CALLS)

    async def call() -> None:
        async with limiter:
            res = await client.otp.check(authentication_uuid=AUTH_UUID, check_code="1")
        assert res.create_check_response is not None
        statuses.append(res.create_check_response.status)

    with anyio.fail_after(HANG):
        async with anyio.create_task_group() as group:
            for _ in range(CALLS):
                group.start_soon(call)
    assert len(statuses) == CALLS
    assert len(stub.requests) == CALLS
    lane = client._pipeline.pool.get()  # pyright: ignore[reportPrivateUsage]
    assert lane is not None
    queue = lane.queue
    if queue is not None:  # the SDK's own pool: every slot is back
        free = 0
        while queue.take():
            free += 1
        assert free == MAX_CONNECTIONS
        assert queue.waiting == 0


@pytest.mark.parametrize("injected", [False, True], ids=["own", "httpx"])
async def test_a_full_pool_raises_the_same_pool_timeout_on_every_transport(
    tcp_stub: tuple[StubDing, str], *, injected: bool
) -> None:
    # Every connection holds an answer that never comes; one more call
    # waits for the pool timeout. The SDK's own pool (aiohttp on asyncio,
    # httpcore on trio) and an injected httpx client raise the same error.
    stub, url = tcp_stub
    stub.script.extend([STALL] * MAX_CONNECTIONS)
    http = httpx.AsyncClient() if injected else None
    caught: ding.APITimeoutError | None = None
    async with ding.AsyncDing(
        api_key="k", server_url=url, customer_uuid=CUSTOMER_UUID, client=http
    ) as client:
        with anyio.fail_after(HANG):
            async with anyio.create_task_group() as stalled:
                for _ in range(MAX_CONNECTIONS):
                    stalled.start_soon(client.lookup.lookup, "+14155550123")
                # The stub records requests on its threads: polled.
                while len(stub.requests) < MAX_CONNECTIONS:  # noqa: ASYNC110
                    await anyio.sleep(0.01)
                with pytest.raises(ding.APITimeoutError) as info:
                    await client.otp.check(
                        authentication_uuid=AUTH_UUID,
                        check_code="1",
                        timeout=httpx.Timeout(10, pool=0.2),
                    )
                caught = info.value
                stalled.cancel_scope.cancel()
    if http is not None:
        await http.aclose()
    assert caught is not None
    assert str(caught) == "POST /v1/check: pool timeout"
    assert type(caught.__cause__) is httpx.PoolTimeout
    # Never sent, and not retried (max_retries is 2 here).
    assert len(stub.requests) == MAX_CONNECTIONS


async def test_the_queue_serves_in_order_and_skips_who_left() -> None:
    queue = Queue(1)
    request = httpx.Request("GET", "http://queue.test/")
    served: list[str] = []
    assert queue.take()
    assert not queue.take()

    async def wait(name: str) -> None:
        await queue.wait(request)
        served.append(name)

    async with anyio.create_task_group() as group:
        group.start_soon(wait, "first")
        await anyio.wait_all_tasks_blocked()
        group.start_soon(wait, "second")
        await anyio.wait_all_tasks_blocked()
        async with anyio.create_task_group() as leaving:
            leaving.start_soon(wait, "leaves")
            await anyio.wait_all_tasks_blocked()
            leaving.cancel_scope.cancel()
        group.start_soon(wait, "third")
        await anyio.wait_all_tasks_blocked()
        assert queue.waiting == 3  # first, second, third
        for _ in range(3):
            queue.give()
            await anyio.wait_all_tasks_blocked()
    assert served == ["first", "second", "third"]
    assert queue.waiting == 0
    assert not queue.take()  # third still holds the slot
    queue.give()
    assert queue.take()


async def test_a_waiter_cancelled_as_its_turn_comes_never_loses_the_slot() -> None:
    # Its turn comes and it is cancelled before it runs: it either uses the
    # slot and gives it back or passes it on (which one is the backend's
    # choice); the next in line is served either way, and no slot is lost.
    queue = Queue(1)
    request = httpx.Request("GET", "http://queue.test/")
    served: list[str] = []
    assert queue.take()

    async def use(name: str) -> None:
        await queue.wait(request)
        served.append(name)
        queue.give()

    with anyio.fail_after(HANG):
        async with (
            anyio.create_task_group() as group,
            anyio.create_task_group() as leaving,
        ):
            leaving.start_soon(use, "leaves")
            await anyio.wait_all_tasks_blocked()
            group.start_soon(use, "next")
            await anyio.wait_all_tasks_blocked()
            queue.give()
            leaving.cancel_scope.cancel()
    assert served[-1:] == ["next"]
    assert queue.waiting == 0
    assert queue.take()
    assert not queue.take()


async def test_the_pool_timeout_bounds_the_wait_in_line() -> None:
    queue = Queue(1)
    assert queue.take()
    request = httpx.Request(
        "GET",
        "http://queue.test/",
        extensions={"timeout": httpx.Timeout(5, pool=0.01).as_dict()},
    )
    with pytest.raises(httpx.PoolTimeout) as info:
        await queue.wait(request)
    assert info.value.request is request
    # The words a traceback shows under the SDK's "pool timeout".
    assert str(info.value) == "timed out waiting for a free connection in the pool"
    assert queue.waiting == 0
    queue.give()
    assert queue.take()


async def test_an_injected_clients_pool_has_no_queue_in_front() -> None:
    # More calls than the SDK's queue has slots all reach the injected
    # client at once: each is answered only when every one has arrived.
    calls = MAX_CONNECTIONS + 50
    arrived = 0
    all_in = anyio.Event()

    async def answer(_request: httpx.Request) -> httpx.Response:
        nonlocal arrived
        arrived += 1
        if arrived == calls:
            all_in.set()
        await all_in.wait()
        return httpx.Response(200, json={})

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http,
        ding.AsyncDing(
            api_key="k",
            server_url="https://stub.test/v1",
            customer_uuid=CUSTOMER_UUID,
            client=http,
        ) as client,
    ):
        lane = client._pipeline.pool.get()
        assert lane is not None
        assert lane.queue is None
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                for _ in range(calls):
                    group.start_soon(client.otp.get_authentication_status, AUTH_UUID)
    assert arrived == calls
