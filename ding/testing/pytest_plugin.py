"""Pytest fixtures for testing code that uses `ding`, installed with the package.

Fixtures (each test gets fresh ones):

* ``ding_fake``: a `FakeDing` with a `ManualClock` and reproducible codes
  and UUIDs; read codes with ``ding_fake.outbox.last_code(number)``, move
  time with ``ding_fake.clock.advance(seconds)``.
* ``ding_async_client``: an `AsyncDing` bound to ``ding_fake`` in-process.
* ``ding_client``: a `Ding` bound to ``ding_fake`` in-process.
* ``ding_server``: ``ding_fake`` served over TCP on 127.0.0.1; the value is
  the API base URL (``http://127.0.0.1:PORT/v1``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ding.testing import FakeDing, ManualClock, deterministic_codes

if TYPE_CHECKING:
    from collections.abc import Iterator

    import ding


@pytest.fixture
def ding_fake() -> FakeDing:
    """Return a fresh fake Ding API with a manual clock and reproducible codes."""
    return FakeDing(clock=ManualClock(), codes=deterministic_codes(), seed=0)


@pytest.fixture
def ding_async_client(ding_fake: FakeDing) -> ding.AsyncDing:
    """Return an `AsyncDing` bound to ``ding_fake`` (in-process, no sockets)."""
    return ding_fake.async_client()


@pytest.fixture
def ding_client(ding_fake: FakeDing) -> Iterator[ding.Ding]:
    """Yield a `Ding` bound to ``ding_fake`` (in-process), closed afterwards."""
    with ding_fake.client() as client:
        yield client


@pytest.fixture
def ding_server(ding_fake: FakeDing) -> Iterator[str]:
    """Serve ``ding_fake`` over TCP and yield the API base URL."""
    with ding_fake.serve() as server:
        yield server.url + "/v1"
