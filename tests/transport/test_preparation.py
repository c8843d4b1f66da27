"""The first call's preparation, watched in the test's own process.

tests/transport/test_first_call.py checks in fresh processes that the first
call does its slow first-time work off the event loop
(`ding._transport._pool._prepare`); mutmut runs no test in another process,
and in one process only its first call prepares. Here each test forgets
what the process has prepared (`_WARMED` and `_JOBS` of
`ding._transport._pool`) and has the loop's transport module imported anew,
and a finder on ``sys.meta_path`` sees which thread imports it, and can
fail that import.
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from typing import TYPE_CHECKING

import anyio
import httpx
import pytest

import ding
import ding._transport
from ding._transport import _aiohttp, _httpcore, _pool
from tests._stub import CUSTOMER_UUID

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

    from tests._stub import StubDing

pytestmark = pytest.mark.anyio

#: The transport module of the SDK's own client, by event loop.
TRANSPORT = {"asyncio": _aiohttp, "trio": _httpcore}
#: How long a test waits for its calls.
HOLD = 5


class Watch(importlib.abc.MetaPathFinder):
    """Sees every import of one module, by which thread; can fail it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop_thread = threading.current_thread()
        self.importers: list[threading.Thread] = []
        # How many imports to fail.
        self.fail = 0

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,  # noqa: ARG002 - the finder protocol's
        target: ModuleType | None = None,  # noqa: ARG002 - likewise
    ) -> ModuleSpec | None:
        if fullname != self.name:
            return None
        thread = threading.current_thread()
        self.importers.append(thread)
        if self.fail:
            self.fail -= 1
            msg = f"{fullname} could not be imported this time"
            raise ImportError(msg)
        return None  # the next finder imports it


@pytest.fixture
def watch(anyio_backend: str, monkeypatch: pytest.MonkeyPatch) -> Watch:
    module = TRANSPORT[anyio_backend]
    name = module.__name__
    monkeypatch.setattr(_pool, "_WARMED", set[str | None]())
    monkeypatch.setattr(_pool, "_JOBS", {})
    # Imported anew; the module and the package's name for it are put back
    # at the end.
    monkeypatch.setattr(ding._transport, name.rpartition(".")[2], module)
    monkeypatch.delitem(sys.modules, name)
    finder = Watch(name)
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    return finder


async def first_call(url: str, http: httpx.AsyncClient | None = None) -> None:
    async with ding.AsyncDing(
        api_key="k",
        server_url=url,
        customer_uuid=CUSTOMER_UUID,
        client=http,
        max_retries=0,
    ) as client:
        await client.otp.create_authentication(phone_number="+14155550123")


async def test_an_injected_clients_first_call_imports_no_transport_of_the_sdk(
    watch: Watch, tcp_stub: tuple[StubDing, str]
) -> None:
    # An injected client sends through its own transport: its first call
    # prepares the rest and imports none of the SDK's.
    stub, url = tcp_stub
    with anyio.fail_after(2 * HOLD):
        async with httpx.AsyncClient() as http:
            await first_call(url, http)
    assert watch.importers == []
    assert len(stub.requests) == 1


async def test_a_failed_preparation_fails_the_first_call_and_the_next_tries_again(
    watch: Watch, tcp_stub: tuple[StubDing, str]
) -> None:
    # What the preparation raises, the first call raises (it is not done
    # again on the loop); the next first call prepares again, off the loop.
    stub, url = tcp_stub
    watch.fail = 1
    with anyio.fail_after(2 * HOLD):
        with pytest.raises(ImportError, match="could not be imported this time"):
            await first_call(url)
        await first_call(url)
    assert len(stub.requests) == 1
    assert [thread.name for thread in watch.importers] == ["ding-prepare"] * 2


async def test_where_no_thread_can_start_the_first_call_prepares_on_the_loop(
    watch: Watch, tcp_stub: tuple[StubDing, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # At interpreter shutdown no thread can start: the first call then
    # prepares on the loop's own thread, and after a failed preparation the
    # next first call tries again.
    stub, url = tcp_stub
    watch.fail = 1
    start = threading.Thread.start

    def refuse(thread: threading.Thread) -> None:
        if threading.current_thread() is watch.loop_thread:
            msg = "can't create new thread at interpreter shutdown"
            raise RuntimeError(msg)
        start(thread)  # the stub server's

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with anyio.fail_after(2 * HOLD):
        with pytest.raises(ImportError, match="could not be imported this time"):
            await first_call(url)
        await first_call(url)
    assert len(stub.requests) == 1
    assert watch.importers == [watch.loop_thread] * 2
