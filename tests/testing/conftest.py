"""Fixtures for the tests of the fake's state machine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ding.testing._state import FakeState
from ding.testing._values import ManualClock

if TYPE_CHECKING:
    from tests.testing._state_helpers import Hooks

# Its assert helpers fail with the same detail as asserts in a test module.
pytest.register_assert_rewrite("tests.testing._state_helpers")

# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def hooks() -> Hooks:
    return []


@pytest.fixture
def fake(clock: ManualClock, hooks: Hooks) -> FakeState:
    return FakeState(
        clock=clock,
        seed=0,
        webhook_sink=lambda url, payload: hooks.append((url, payload)),
    )
