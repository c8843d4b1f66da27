"""Shared fixtures: both async backends, a canned Ding API, clients bound to it."""

from __future__ import annotations

import importlib
import json
import math
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx
import pytest
from hypothesis import settings

import ding
from tests._examples import examples
from tests._stub import CUSTOMER_UUID, StubDing, StubServer, serve_tcp

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

# Hypothesis' per-example deadline measures how busy the machine is, not the
# code (the 2-core CI machine runs four interpreters' suites in a row, and a
# round-trip test failed once on a 200 ms deadline); speed is measured by the
# benchmarks instead.
settings.register_profile("ding", deadline=None, max_examples=examples(100))
settings.load_profile("ding")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every async test on asyncio and on trio, explicitly."""
    return str(request.param)


if os.environ.get("MUTANT_UNDER_TEST"):
    # Under mutation testing (`nox -s mutants`), what the package builds once
    # per process is built again for each test: mutmut maps a function to the
    # tests during which it runs, so a converter built in the first test
    # would leave its code mapped to that test alone, and its mutants would
    # meet no other. Every functools cache of the package's imported
    # modules is emptied (the converter, the type checks' plans, the
    # timeouts, the TLS context...), so that a cache added later is too.

    @pytest.fixture(autouse=True)
    def _build_once_per_test() -> None:
        for name, module in list(sys.modules.items()):
            if name != "ding" and not name.startswith("ding."):
                continue
            for value in list(vars(module).values()):
                # What functools.cache and lru_cache return.
                clear = getattr(value, "cache_clear", None)
                if callable(clear) and hasattr(value, "cache_info"):
                    clear()


@pytest.fixture(scope="session", autouse=True)
def _carriers_loaded() -> None:
    # The fake's first lookup loads phonenumbers' carrier tables, megabytes
    # of Python: some 0.2 s, but 13 s under coverage's tracer on Python 3.12
    # (the tests-3.12 session), enough for a client's 15 s attempt to time
    # out on a busy machine and be retried. Loaded once per worker here,
    # before any call is timed.
    importlib.import_module("phonenumbers.carrier")


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


# The transports a test of `client` (or of `connect`) runs on: the anyio
# backend, and how the client reaches the stub. "mock": an injected
# httpx.AsyncClient over the in-process httpx.MockTransport. "own": no
# client=, the SDK's own pool over TCP, which sends through aiohttp on
# asyncio and through httpx's transport (httpcore) on trio. "httpx": an
# injected plain httpx.AsyncClient() over TCP, the documented way to choose
# httpx's transport on asyncio (on trio it is the own pool's transport, and
# the client's send path is the same as on asyncio: not run twice).
TRANSPORTS: Final = {
    "asyncio-mock": ("asyncio", "mock"),
    "trio-mock": ("trio", "mock"),
    "asyncio-aiohttp": ("asyncio", "own"),
    "trio-httpcore": ("trio", "own"),
    "asyncio-httpx": ("asyncio", "httpx"),
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "in_process_only(reason): run a test of `client` or `connect` on the "
        "in-process mock transport only; the reason says why no socket can "
        "show what it tests",
    )


# The --timeout of [tool.mutmut] pytest_add_cli_args in pyproject.toml.
_MUTANT_TEST_TIMEOUT: Final = 20


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under mutmut (`nox -s mutants`), run the fastest tests first.

    mutmut stops a mutant's run at its first failing test, and lists the
    tests to run in no order: a mutant the quick unit tests kill used to
    wait behind seconds-long ones. The durations are those mutmut measured
    (mutants/mutmut-stats.json, the working directory of its runs). Its
    run without a mutant uses this order too, and must pass first.
    """
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    stats = Path("mutmut-stats.json")
    if not stats.is_file():
        return
    durations: dict[str, float] = json.loads(stats.read_text(encoding="utf-8"))[
        "duration_by_test"
    ]
    items.sort(key=lambda item: durations.get(item.nodeid, math.inf))
    # A test that took seconds when measured can take over the 20 s that
    # end a hung test (pyproject.toml) on a loaded machine: its process would
    # end, and the mutant count as caught. Such a test gets 10 times its time.
    for item in items:
        measured = durations.get(item.nodeid, 0.0)
        if measured * 10 > _MUTANT_TEST_TIMEOUT and not item.get_closest_marker(
            "timeout"
        ):
            item.add_marker(pytest.mark.timeout(math.ceil(measured * 10)))


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that uses the `transport` fixture on every transport.

    A parametrize mark, added before pytest reads the marks: a test's own
    parametrization of `anyio_backend` takes precedence over the fixture's.
    """
    if "transport" not in metafunc.fixturenames:
        return
    ids = list(TRANSPORTS)
    marker = metafunc.definition.get_closest_marker("in_process_only")
    if marker is not None:
        if not marker.kwargs.get("reason"):
            msg = f"{metafunc.definition.nodeid}: in_process_only needs a reason="
            raise pytest.UsageError(msg)
        ids = [name for name in ids if TRANSPORTS[name][1] == "mock"]
    metafunc.definition.add_marker(
        pytest.mark.parametrize(
            ("anyio_backend", "transport"),
            [TRANSPORTS[name] for name in ids],
            ids=ids,
        )
    )


@pytest.fixture(scope="session")
def stub_server() -> Iterator[StubServer]:
    """The TCP server of the session; each test's `stub` is served in turn."""
    with serve_tcp() as server:
        yield server


@pytest.fixture
def stub(stub_server: StubServer) -> Iterator[StubDing]:
    """A fresh stub, served in-process (`async_transport`) and over TCP."""
    with stub_server.serving(StubDing()) as fresh:
        yield fresh


@pytest.fixture
def tcp_stub(stub: StubDing, stub_server: StubServer) -> tuple[StubDing, str]:
    """The test's stub and the base URL it is served at over TCP."""
    return stub, stub_server.url


Connect = Callable[..., ding.AsyncDing]


@pytest.fixture
def transport() -> str:
    """How `connect` reaches the stub; parametrized by pytest_generate_tests."""
    raise NotImplementedError  # pragma: no cover - always parametrized


@pytest.fixture
async def connect(
    transport: str, stub: StubDing, stub_server: StubServer
) -> AsyncIterator[Connect]:
    """Make `AsyncDing`s on the test's stub through the test's transport.

    The keyword arguments go to `AsyncDing`, whose `server_url`, `client`
    and `customer_uuid` are set here; every client is closed at the end.
    """
    made: list[ding.AsyncDing] = []
    injected: list[httpx.AsyncClient] = []

    def make(**kwargs: Any) -> ding.AsyncDing:
        url = stub_server.url
        http: httpx.AsyncClient | None = None
        if transport == "mock":
            url = "https://stub.test/v1"
            http = httpx.AsyncClient(transport=stub.async_transport())
        elif transport == "httpx":
            http = httpx.AsyncClient()
        if http is not None:
            injected.append(http)
        kwargs.setdefault("customer_uuid", CUSTOMER_UUID)
        client = ding.AsyncDing(server_url=url, client=http, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()
    for http in injected:
        await http.aclose()


@pytest.fixture
async def client(connect: Connect) -> ding.AsyncDing:
    """An `AsyncDing` on the stub, with a default customer UUID, no retries."""
    return connect(api_key="test-key", max_retries=0)


@pytest.fixture
def sync_client(tcp_stub: tuple[StubDing, str]) -> Iterator[ding.Ding]:
    """A `Ding` (the generated sync client) on the TCP stub."""
    _, url = tcp_stub
    with ding.Ding(
        api_key="test-key", server_url=url, customer_uuid=CUSTOMER_UUID
    ) as c:
        yield c
