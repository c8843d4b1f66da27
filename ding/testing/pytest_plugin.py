"""Pytest fixtures for testing code that uses `ding`, installed with the package.

Fixtures (each test gets fresh ones):

* ``ding_fake``: a `FakeDing` with a `ManualClock` and reproducible codes
  and UUIDs; read codes with ``ding_fake.outbox.last_code(number)``, move
  time with ``ding_fake.clock.advance(seconds)``.
* ``ding_async_client``: an `AsyncDing` bound to ``ding_fake`` in-process.
* ``ding_client``: a `Ding` bound to ``ding_fake`` in-process.
* ``ding_server``: ``ding_fake`` served over TCP on 127.0.0.1; the value is
  the API base URL (``http://127.0.0.1:PORT/v1``).

Marker:

* ``@pytest.mark.ding_settings(**fields)``: the `FakeSettings` fields
  ``ding_fake`` gets for that test, e.g. ``ding_settings(max_retries=0)``.
  On a class or module (``pytestmark``) too; where several apply, each
  field comes from the nearest one (the test's, then its class's, then its
  module's). An unknown field fails the test at setup, naming the known ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs
import pytest

from ding._errors import UsageError
from ding.testing import FakeDing, FakeSettings, ManualClock, deterministic_codes

if TYPE_CHECKING:
    from collections.abc import Iterator

    import ding

MARKER: Final = "ding_settings"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``ding_settings`` marker (so ``--strict-markers`` knows it)."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**fields): the FakeSettings fields of the ding_fake fixture "
        "for this test, e.g. ding_settings(max_retries=0, strict=True)",
    )


def _settings(node: pytest.Item) -> FakeSettings:
    """Return the `FakeSettings` the ``ding_settings`` markers of *node* ask for."""
    fields: dict[str, Any] = {}
    # iter_markers goes from the test outwards: the nearest marker wins.
    for marker in node.iter_markers(MARKER):
        if marker.args:
            pytest.fail(
                f"@pytest.mark.{MARKER} takes keywords only (FakeSettings fields), "
                f"got {len(marker.args)} positional argument(s)",
                pytrace=False,
            )
        for name, value in marker.kwargs.items():
            fields.setdefault(name, value)
    known = attrs.fields_dict(FakeSettings)
    unknown = sorted(set(fields) - set(known))
    if unknown:
        pytest.fail(
            f"@pytest.mark.{MARKER}: unknown FakeSettings field(s) "
            f"{', '.join(unknown)}; known: {', '.join(known)}",
            pytrace=False,
        )
    try:
        return FakeSettings(**fields)
    except (UsageError, TypeError) as exc:  # TypeError: a value of the wrong type
        pytest.fail(f"@pytest.mark.{MARKER}: {exc}", pytrace=False)


@pytest.fixture
def ding_fake(request: pytest.FixtureRequest) -> FakeDing:
    """Return a fresh fake Ding API with a manual clock and reproducible codes.

    Its settings are `FakeSettings()`, changed by the ``ding_settings``
    marker of the test, its class or its module.
    """
    settings = _settings(request.node)
    return FakeDing(
        settings,
        clock=ManualClock(),
        codes=deterministic_codes(length=settings.code_length),
        seed=0,
    )


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
