"""The fake's values: clock, codes, settings, timestamps, reserved numbers, outbox."""

from __future__ import annotations

import importlib
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, cast

import pytest

from ding._errors import UsageError
from ding.testing._state import FakeState
from ding.testing._values import (
    RESERVED_NUMBERS,
    FakeSettings,
    ManualClock,
    Outbox,
    ShiftedClock,
    deterministic_codes,
    random_codes,
)
from tests.testing._state_helpers import (
    PHONE,
    START,
    check_status,
    create,
    new_auth,
    retry_body,
    ts,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

# --------------------------------------------------------------------------
# Clock, codes, settings, timestamps
# --------------------------------------------------------------------------


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> type[FakeSettings]:
    """`FakeSettings` of a fresh import of its module; the module of before is back after.

    The settings' validators are built when the module is imported. Imported
    once, at collection, mutation testing would map them to no test (mutmut
    maps a function to the tests during which it runs); imported here, they
    are built in the test's own setup.
    """
    package = importlib.import_module("ding.testing")
    monkeypatch.delitem(sys.modules, "ding.testing._values")
    monkeypatch.delattr(package, "_values", raising=False)
    fresh = importlib.import_module("ding.testing._values")
    return cast("type[FakeSettings]", fresh.FakeSettings)


def test_manual_clock_starts_at_2025_and_moves_when_told() -> None:
    clock = ManualClock()
    assert clock() == START
    assert clock().tzinfo is not None
    clock.advance(1.5)
    assert clock() == START + timedelta(seconds=1.5)
    clock.advance(timedelta(minutes=2))
    assert clock() == START + timedelta(minutes=2, seconds=1.5)
    clock.set(START)
    assert clock() == START
    clock.advance(-10)
    assert clock() == START - timedelta(seconds=10)
    assert "2024-12-31T23:59:50Z" in repr(clock)


class _NoOffset(tzinfo):
    """A time zone that knows no offset: its times are naive (Python's rule)."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:  # noqa: ARG002
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:  # noqa: ARG002
        return None

    def tzname(self, dt: datetime | None) -> str | None:  # noqa: ARG002
        return None


@pytest.fixture
def local_time_not_utc() -> Iterator[None]:
    # The machine's own time zone must not leak into the fake's times: CI
    # machines run in UTC, people do not.
    before = os.environ.get("TZ")
    os.environ["TZ"] = "IST-5:30"  # POSIX form, no tzdata needed: UTC+5:30
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.usefixtures("local_time_not_utc")
def test_manual_clock_requires_aware_times_and_keeps_utc() -> None:
    # The error names the argument at fault.
    with pytest.raises(UsageError, match=r"^start must be a timezone-aware datetime"):
        ManualClock(datetime(2025, 1, 1))  # noqa: DTZ001
    with pytest.raises(UsageError, match=r"^start must be a timezone-aware datetime"):
        ManualClock(datetime(2025, 1, 1, tzinfo=_NoOffset()))
    clock = ManualClock()
    with pytest.raises(UsageError, match=r"^when must be a timezone-aware datetime"):
        clock.set(datetime(2025, 1, 1))  # noqa: DTZ001
    with pytest.raises(UsageError, match=r"^when must be a timezone-aware datetime"):
        clock.set(datetime(2025, 1, 1, tzinfo=_NoOffset()))
    assert clock() == START
    paris = timezone(timedelta(hours=1))
    clock.set(datetime(2025, 6, 1, 13, 0, tzinfo=paris))
    assert clock() == datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert clock().utcoffset() == timedelta(0)
    assert ManualClock(datetime(2030, 1, 1, 1, tzinfo=paris))() == datetime(
        2030, 1, 1, tzinfo=timezone.utc
    )
    assert ManualClock(datetime(2030, 1, 1, 1, tzinfo=paris))().utcoffset() == (
        timedelta(0)
    )


def test_a_manual_clock_is_the_fakes_clock_as_it_is() -> None:
    clock = ManualClock()
    fake = FakeState(clock=clock)
    assert fake.clock is clock
    fake.clock.advance(600)
    assert clock() == START + timedelta(minutes=10)


def test_a_plain_callable_clock_is_wrapped_so_it_can_be_moved() -> None:
    ticks = [START]  # the source keeps flowing under the moves
    fake = FakeState(clock=lambda: ticks[-1])
    assert isinstance(fake.clock, ShiftedClock)
    assert fake.clock() == START
    fake.clock.advance(600)
    assert fake.clock() == START + timedelta(minutes=10)
    ticks.append(START + timedelta(seconds=1))
    fake.clock.advance(timedelta(seconds=-0.5))
    assert fake.clock() == START + timedelta(minutes=10, seconds=0.5)
    assert create(fake).body["created_at"] == "2025-01-01T00:10:00.500000Z"
    fake.clock.set(START)
    assert fake.clock() == START
    ticks.append(START + timedelta(seconds=3))
    assert fake.clock() == START + timedelta(seconds=2)
    with pytest.raises(UsageError, match=r"^when must be a timezone-aware datetime"):
        fake.clock.set(datetime(2025, 1, 1))  # noqa: DTZ001
    assert "2025-01-01T00:00:02Z" in repr(fake.clock)


def test_the_system_clock_can_be_moved_too() -> None:
    fake = FakeState()
    before = datetime.now(timezone.utc)
    fake.clock.advance(3600)
    now = fake.clock()
    assert now.tzinfo is not None
    assert before + timedelta(hours=1) <= now
    assert now <= datetime.now(timezone.utc) + timedelta(hours=1)


def test_random_codes_are_digits_of_the_asked_length() -> None:
    for length in (1, 4, 6, 10):
        generate = random_codes(length)
        codes = {generate(PHONE) for _ in range(50)}
        assert all(len(c) == length and c.isdigit() and c.isascii() for c in codes)
    assert len({random_codes()(PHONE) for _ in range(50)}) > 1
    assert {len(random_codes()(PHONE)) for _ in range(5)} == {6}  # the default
    with pytest.raises(UsageError, match=r"^length must be at least 1, got 0$"):
        random_codes(0)


def test_deterministic_codes_repeat_for_a_seed() -> None:
    a, b, c = deterministic_codes(3), deterministic_codes(3), deterministic_codes(4)
    first = [a(PHONE) for _ in range(10)]
    assert first == [b("+4400000") for _ in range(10)]
    assert first != [c(PHONE) for _ in range(10)]
    assert all(len(x) == 6 and x.isdigit() for x in first)
    assert len(deterministic_codes(0, length=4)(PHONE)) == 4
    # The defaults: seed 0, six digits.
    default, zero = deterministic_codes(), deterministic_codes(0)
    assert [default(PHONE) for _ in range(10)] == [zero(PHONE) for _ in range(10)]
    with pytest.raises(UsageError, match=r"^length must be at least 1, got 0$"):
        deterministic_codes(0, length=0)


def test_deterministic_codes_are_thread_safe() -> None:
    expected = deterministic_codes(9)
    sequential = sorted(expected(PHONE) for _ in range(400))
    shared = deterministic_codes(9)
    with ThreadPoolExecutor(8) as pool:
        threaded = sorted(pool.map(shared, [PHONE] * 400))
    assert threaded == sequential


@pytest.mark.parametrize(
    "policy",
    [
        {"lifetime": timedelta(0)},
        {"lifetime": timedelta(seconds=-1)},
        {"retry_interval": timedelta(seconds=-1)},
        {"max_retries": -1},
        {"max_invalid_checks": -1},
        {"code_length": 0},
        {"max_retries": True},
        {"max_invalid_checks": 2.0},
        {"code_length": "6"},
    ],
)
def test_settings_reject_nonsense(
    fresh_settings: type[FakeSettings], policy: dict[str, Any]
) -> None:
    [field] = policy
    with pytest.raises(UsageError, match=rf"^{field} must"):
        fresh_settings(**policy)


def test_settings_take_each_minimum(fresh_settings: type[FakeSettings]) -> None:
    # A lock after the first wrong code, no retries, one-digit codes.
    s = fresh_settings(max_invalid_checks=1, max_retries=0, code_length=1)
    assert (s.max_invalid_checks, s.max_retries, s.code_length) == (1, 0, 1)


def settings_with(field: str, value: object) -> FakeSettings:
    """Build settings with one field set to a value of any type."""
    policy: dict[str, Any] = {field: value}
    return FakeSettings(**policy)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (60, timedelta(minutes=1)),
        (0.5, timedelta(milliseconds=500)),
        (timedelta(hours=1), timedelta(hours=1)),
    ],
)
def test_durations_take_seconds_or_a_timedelta(
    seconds: float | timedelta, expected: timedelta
) -> None:
    s = FakeSettings(lifetime=seconds, retry_interval=seconds)
    assert s.lifetime == s.retry_interval == expected
    assert type(s.lifetime) is type(s.retry_interval) is timedelta
    assert FakeSettings(retry_interval=0).retry_interval == timedelta(0)


@pytest.mark.parametrize("field", ["lifetime", "retry_interval"])
@pytest.mark.parametrize("value", ["60", True, None, float("nan"), float("inf"), 1e20])
def test_durations_refuse_what_is_not_a_finite_number_of_seconds(
    field: str, value: object
) -> None:
    with pytest.raises(UsageError, match=rf"^{field} must be a timedelta or a finite"):
        settings_with(field, value)


def test_a_duration_in_seconds_must_still_be_in_range() -> None:
    with pytest.raises(UsageError, match="lifetime must be positive"):
        FakeSettings(lifetime=0)
    with pytest.raises(UsageError, match="retry_interval must not be negative"):
        FakeSettings(retry_interval=-1)


def test_collections_of_names_become_frozensets() -> None:
    s = FakeSettings(api_keys=["k1", "k2", "k1"], customer_uuids=("u",))
    assert s.api_keys == frozenset({"k1", "k2"})
    assert s.customer_uuids == frozenset({"u"})
    assert type(s.api_keys) is type(s.customer_uuids) is frozenset
    assert FakeSettings(api_keys={"k"}).api_keys == frozenset({"k"})


@pytest.mark.parametrize("field", ["api_keys", "customer_uuids"])
def test_a_bare_string_is_not_a_collection_of_names(field: str) -> None:
    # A str is an iterable of one-character strings: strict mode would admit "s".
    for value in ("secret-key", b"secret-key"):
        with pytest.raises(UsageError, match=rf"^{field} must be a collection") as info:
            settings_with(field, value)
        assert "secret" not in str(info.value)  # an API key is never echoed
        assert str(info.value).endswith(
            f"not a single {type(value).__name__}; wrap one in a set"
        )


@pytest.mark.parametrize("field", ["api_keys", "customer_uuids"])
def test_collections_of_names_hold_strings_only(field: str) -> None:
    with pytest.raises(
        UsageError, match=rf"^{field} must be a collection of strings, not int$"
    ):
        settings_with(field, 5)
    with pytest.raises(UsageError, match=rf"^{field} must hold strings only, not int"):
        settings_with(field, {"ok", 5})
    with pytest.raises(
        UsageError, match=rf"^{field} must hold strings only, not float, int$"
    ):
        settings_with(field, ["ok", 5, 2.5, 7])


def test_strict_mode_admits_only_the_listed_keys() -> None:
    fake = FakeState(FakeSettings(strict=True, api_keys=["secret-key"]))
    assert fake.authorize("secret-key") is None
    for key in ("s", "secret", None):
        reply = fake.authorize(key)
        assert reply is not None
        assert reply.status == 403


def test_settings_defaults() -> None:
    s = FakeSettings()
    assert s.lifetime == timedelta(minutes=10)
    assert (s.max_invalid_checks, s.max_retries, s.code_length) == (5, 3, 6)
    assert s.retry_interval == timedelta(seconds=30)
    assert not s.stateless
    assert not s.strict
    assert s.api_keys == s.customer_uuids == frozenset()


@pytest.mark.usefixtures("local_time_not_utc")
def test_timestamps_are_rfc3339_z_with_microseconds_only_when_nonzero(
    clock: ManualClock, fake: FakeState
) -> None:
    body = create(fake).body
    assert body["created_at"] == "2025-01-01T00:00:00Z"
    assert body["expires_at"] == "2025-01-01T00:10:00Z"
    clock.advance(timedelta(microseconds=1500))
    body = create(fake, "+33600000001").body
    assert body["created_at"] == "2025-01-01T00:00:00.001500Z"


@pytest.mark.usefixtures("local_time_not_utc")
def test_naive_or_offset_clock_values_are_read_as_utc() -> None:
    naive = FakeState(clock=lambda: datetime(2025, 3, 1, 8))  # noqa: DTZ001
    assert create(naive).body["created_at"] == "2025-03-01T08:00:00Z"
    no_offset = FakeState(clock=lambda: datetime(2025, 3, 1, 8, tzinfo=_NoOffset()))
    assert create(no_offset).body["created_at"] == "2025-03-01T08:00:00Z"
    plus2 = timezone(timedelta(hours=2))
    offset = FakeState(clock=lambda: datetime(2025, 3, 1, 8, tzinfo=plus2))
    assert create(offset).body["created_at"] == "2025-03-01T06:00:00Z"
    # The fake's clock gives that time in UTC too.
    assert offset.clock() == datetime(2025, 3, 1, 6, tzinfo=timezone.utc)
    assert offset.clock().utcoffset() == timedelta(0)


@pytest.mark.usefixtures("local_time_not_utc")
def test_default_clock_is_the_system_clock() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    created = ts(create(FakeState()).body["created_at"])
    assert before <= created <= datetime.now(timezone.utc)


# --------------------------------------------------------------------------
# Reserved numbers
# --------------------------------------------------------------------------


def test_reserved_numbers_table() -> None:
    assert dict(RESERVED_NUMBERS) == {
        "+15005550001": "rate_limited",
        "+15005550002": "spam_detected",
        "+15005550003": "blocked_number",
        "+15005550004": "unsupported_region",
        "+15005550005": "invalid_line",
        "+15005550006": "negative_balance",
    }
    assert all(re.fullmatch(r"\+15005550[0-9]{3}", n) for n in RESERVED_NUMBERS)
    with pytest.raises(TypeError):
        RESERVED_NUMBERS["+15005550007"] = "x"  # type: ignore[index]


# --------------------------------------------------------------------------
# Outbox
# --------------------------------------------------------------------------


def test_outbox_helpers(fake: FakeState, clock: ManualClock) -> None:
    assert isinstance(fake.outbox, Outbox)
    assert len(fake.outbox) == 0
    assert fake.outbox.last(PHONE) is None
    assert fake.outbox.last_code(PHONE) is None
    assert fake.outbox.for_number(PHONE) == []
    a = new_auth(fake)
    new_auth(fake, "+33600000002")
    clock.advance(30)
    retry_body(fake, a)
    assert len(fake.outbox) == 3
    assert [m.phone_number for m in fake.outbox] == [PHONE, "+33600000002", PHONE]
    mine = fake.outbox.for_number(PHONE)
    assert [m.attempt_number for m in mine] == [1, 2]
    assert fake.outbox.last(PHONE) == mine[-1] == fake.outbox[2] == fake.outbox[-1]
    assert fake.outbox.last_code(PHONE) == mine[-1].code
    assert fake.outbox[0:2] == list(fake.outbox)[:2]
    assert mine[0] in fake.outbox
    assert fake.outbox.index(mine[1]) == 2
    assert "3 messages" in repr(fake.outbox)
    fake.outbox.clear()
    assert len(fake.outbox) == 0
    assert list(fake.outbox) == []
    # Clearing the outbox keeps the authentications.
    assert check_status(fake, a, mine[-1].code) == "valid"
