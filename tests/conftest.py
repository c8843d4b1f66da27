"""Shared fixtures: both async backends, a canned Ding API, clients bound to it."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

import httpx
import pytest
from hypothesis import settings

import ding
from tests._stub import CUSTOMER_UUID, StubDing, serve_tcp

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

# Hypothesis' per-example deadline measures how busy the machine is, not the
# code (the 2-core CI machine runs four interpreters' suites in a row, and a
# round-trip test failed once on a 200 ms deadline); speed is measured by the
# benchmarks instead.
settings.register_profile("ding", deadline=None)
settings.load_profile("ding")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every async test on asyncio and on trio, explicitly."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _no_ding_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The developer's own environment must not leak into the tests.
    for name in ("DING_API_KEY", "DING_CUSTOMER_UUID", "DING_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """Make SIGINT raise KeyboardInterrupt, as it does in a terminal.

    A process started in the background by a non-interactive shell inherits
    SIGINT ignored, and then neither a real SIGINT nor
    `_thread.interrupt_main()` does anything.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture
def stub() -> StubDing:
    return StubDing()


@pytest.fixture
async def client(stub: StubDing) -> AsyncIterator[ding.AsyncDing]:
    """An `AsyncDing` on the in-process stub, with a default customer UUID."""
    http = httpx.AsyncClient(transport=stub.async_transport())
    async with ding.AsyncDing(
        api_key="test-key",
        server_url="https://stub.test/v1",
        client=http,
        customer_uuid=CUSTOMER_UUID,
        max_retries=0,
    ) as c:
        yield c
    await http.aclose()


@pytest.fixture(scope="session")
def tcp_stub() -> Iterator[tuple[StubDing, str]]:
    """The stub served over TCP once per session: (stub, base URL)."""
    stub = StubDing()
    with serve_tcp(stub) as url:
        yield stub, url


@pytest.fixture
def sync_client(tcp_stub: tuple[StubDing, str]) -> Iterator[ding.Ding]:
    """A `Ding` (the generated sync client) on the TCP stub."""
    stub, url = tcp_stub
    stub.script.clear()
    stub.delay = 0.0
    with ding.Ding(
        api_key="test-key", server_url=url, customer_uuid=CUSTOMER_UUID
    ) as c:
        yield c
