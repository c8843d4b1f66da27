"""Values and settings of the fake Ding API: its policy, answers, clock, codes, outbox.

`FakeSettings` is the policy where the real API's is unknown, `Reply` an answer
for the HTTP layer, `SentMessage` one code "sent" and `Outbox` all of them;
`ManualClock`, `random_codes` and `deterministic_codes` are the injectable time
and codes. Nothing here knows the API's operations (see `FakeState`).
"""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, Final, Protocol, TypeAlias, cast, overload, runtime_checkable

import attrs

from ding._errors import UsageError

__all__ = [
    "RESERVED_NUMBERS",
    "UTC",
    "Clock",
    "CodeGenerator",
    "FakeSettings",
    "ManualClock",
    "MovableClock",
    "Outbox",
    "Reply",
    "SentMessage",
    "ShiftedClock",
    "WebhookSink",
    "as_utc",
    "deterministic_codes",
    "movable",
    "random_codes",
    "rfc3339",
    "webhook_time",
]

Clock: TypeAlias = Callable[[], datetime]
"""A source of the current time (aware, UTC)."""

CodeGenerator: TypeAlias = Callable[[str], str]
"""Makes the code to send to a phone number."""

WebhookSink: TypeAlias = Callable[[str, dict[str, Any]], object]
"""Receives each webhook event: ``(callback_url, payload)``."""

RESERVED_NUMBERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "+15005550001": "rate_limited",
        "+15005550002": "spam_detected",
        "+15005550003": "blocked_number",
        "+15005550004": "unsupported_region",
        "+15005550005": "invalid_line",
        "+15005550006": "negative_balance",
    }
)
"""Phone numbers with a fixed ``POST /authentication`` outcome (docs/fake.md)."""

UTC: Final = timezone.utc
_DEFAULT_START: Final = datetime(2025, 1, 1, tzinfo=UTC)


def _require_aware(when: datetime, what: str) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise UsageError(f"{what} must be a timezone-aware datetime, got {when!r}")
    return when.astimezone(UTC)


def as_utc(when: datetime) -> datetime:
    """Return *when* in UTC; a naive time is read as UTC already."""
    if when.tzinfo is None or when.utcoffset() is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _step(delta: timedelta | float) -> timedelta:
    return delta if isinstance(delta, timedelta) else timedelta(seconds=delta)


def rfc3339(when: datetime) -> str:
    """Format as RFC 3339 in UTC with ``Z``; microseconds only when nonzero."""
    w = when.astimezone(UTC)
    text = (
        f"{w.year:04d}-{w.month:02d}-{w.day:02d}"
        f"T{w.hour:02d}:{w.minute:02d}:{w.second:02d}"
    )
    if w.microsecond:
        text += f".{w.microsecond:06d}"
    return text + "Z"


def webhook_time(when: datetime) -> str:
    """Format like the webhook docs: ``2023-05-09T12:09:31+0000``."""
    return rfc3339(when).removesuffix("Z") + "+0000"


def _at_least(
    minimum: int,
) -> Callable[[object, attrs.Attribute[int], object], None]:
    def check(_: object, attribute: attrs.Attribute[int], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise UsageError(
                f"{attribute.name} must be an integer >= {minimum}, got {value!r}",
            )

    return check


def _positive(
    _: object, attribute: attrs.Attribute[timedelta], value: timedelta
) -> None:
    if value <= timedelta(0):
        raise UsageError(f"{attribute.name} must be positive, got {value!r}")


def _not_negative(
    _: object, attribute: attrs.Attribute[timedelta], value: timedelta
) -> None:
    if value < timedelta(0):
        raise UsageError(f"{attribute.name} must not be negative, got {value!r}")


def _duration(name: str, value: object) -> timedelta:
    # Seconds, as the CLI and `ManualClock.advance` take them, or a timedelta.
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return timedelta(seconds=value)
        except (ValueError, OverflowError):  # NaN, infinite, or too many days
            pass
    raise UsageError(
        f"{name} must be a timedelta or a finite number of seconds, got {value!r}"
    )


# One named converter per field: mypy's attrs plugin reads the parameter type
# of a named function only, and the message names the field.
def _lifetime(value: timedelta | float) -> timedelta:
    return _duration("lifetime", value)


def _retry_interval(value: timedelta | float) -> timedelta:
    return _duration("retry_interval", value)


def _names(name: str, value: object) -> frozenset[str]:
    # A str is an iterable of strings: api_keys="secret" would admit "s".
    # The message never shows the value (an API key).
    if isinstance(value, str | bytes):
        raise UsageError(
            f"{name} must be a collection of strings (a set, list or tuple), "
            f"not a single {type(value).__name__}; wrap one in a set"
        )
    try:
        names = frozenset(cast("Iterable[object]", value))
    except TypeError:
        raise UsageError(
            f"{name} must be a collection of strings, not {type(value).__name__}"
        ) from None
    wrong = sorted({type(n).__name__ for n in names if not isinstance(n, str)})
    if wrong:
        raise UsageError(f"{name} must hold strings only, not {', '.join(wrong)}")
    return cast("frozenset[str]", names)


# What type checkers offer callers: a str is none of these, so
# api_keys="secret" is flagged before it runs.
_StrCollection: TypeAlias = AbstractSet[str] | list[str] | tuple[str, ...]


def _api_keys(value: _StrCollection) -> frozenset[str]:
    return _names("api_keys", value)


def _customer_uuids(value: _StrCollection) -> frozenset[str]:
    return _names("customer_uuids", value)


@attrs.frozen(kw_only=True)
class FakeSettings:
    """How the fake behaves where the real API's policy is unknown.

    Attributes:
        lifetime: How long an authentication can be checked or retried
            (``expires_at = created_at + lifetime``). Like every duration
            here, a `timedelta` or a number of seconds.
        max_invalid_checks: Wrong codes allowed per authentication; once that
            many were submitted every check and retry answers ``rate_limited``.
        max_retries: Retries approved per authentication.
        retry_interval: Wait after an attempt before a retry is approved
            (``next_retry_at = last attempt + retry_interval``).
        stateless: Stateless mode: a create for a number (same customer) with
            a live authentication re-uses it, and counts as a retry when one is
            allowed.
        strict: Accept only the API keys and customer UUIDs listed below; in
            open mode (the default) any of them is accepted.
        api_keys: The API keys accepted in strict mode: a set, list or tuple
            of strings (a bare string is refused: it would admit each of its
            characters); kept as a frozenset.
        customer_uuids: The customer UUIDs accepted in strict mode, the same
            way.
        code_length: Digits in the codes of the default code generators.
    """

    lifetime: timedelta = attrs.field(
        default=timedelta(minutes=10), converter=_lifetime, validator=_positive
    )
    max_invalid_checks: int = attrs.field(default=5, validator=_at_least(1))
    max_retries: int = attrs.field(default=3, validator=_at_least(0))
    retry_interval: timedelta = attrs.field(
        default=timedelta(seconds=30),
        converter=_retry_interval,
        validator=_not_negative,
    )
    stateless: bool = False
    strict: bool = False
    api_keys: frozenset[str] = attrs.field(default=frozenset(), converter=_api_keys)
    customer_uuids: frozenset[str] = attrs.field(
        default=frozenset(), converter=_customer_uuids
    )
    code_length: int = attrs.field(default=6, validator=_at_least(1))


@attrs.frozen(kw_only=True)
class Reply:
    """What the HTTP layer sends back: a status and a JSON-ready body."""

    status: int
    body: dict[str, Any]


@attrs.frozen(kw_only=True)
class SentMessage:
    """One SMS the fake "sent"."""

    phone_number: str
    code: str
    content: str
    authentication_uuid: str
    attempt_number: int
    sent_at: datetime
    customer_uuid: str


@runtime_checkable
class MovableClock(Protocol):
    """A clock a test can move by hand: the type of `FakeDing.clock`.

    `ManualClock` is one. Any other clock given to the fake (the system
    clock by default) is wrapped in one that adds the moves to its time.
    """

    def __call__(self) -> datetime:
        """Return the current time."""
        ...

    def advance(self, delta: timedelta | float) -> None:
        """Move the clock by ``delta`` (a `timedelta` or seconds)."""
        ...

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (timezone-aware), forwards or backwards."""
        ...


class ManualClock:
    """A clock that only moves when told to; starts at 2025-01-01T00:00:00Z.

    Args:
        start: The initial time; must be timezone-aware (kept in UTC).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = _DEFAULT_START if start is None else _require_aware(start, "start")

    def __call__(self) -> datetime:
        """Return the current time."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | float) -> None:
        """Move the clock by ``delta`` (a `timedelta` or seconds)."""
        step = _step(delta)
        with self._lock:
            self._now += step

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (timezone-aware), forwards or backwards."""
        aware = _require_aware(when, "when")
        with self._lock:
            self._now = aware

    def __repr__(self) -> str:
        return f"ManualClock({rfc3339(self())})"


class ShiftedClock:
    """Another clock's time, in UTC, plus the moves made with `advance` and `set`.

    What `FakeDing` makes of a clock that cannot move itself (a plain
    callable, the system clock), so that ``fake.clock.advance(...)`` works
    whatever clock the fake was given.

    Args:
        source: The clock to follow; a naive time it returns is read as UTC.
    """

    def __init__(self, source: Clock) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._offset = timedelta(0)

    def __call__(self) -> datetime:
        """Return the source's time plus the moves made so far."""
        now = as_utc(self.source())
        with self._lock:
            return now + self._offset

    def advance(self, delta: timedelta | float) -> None:
        """Move the clock by ``delta`` (a `timedelta` or seconds)."""
        step = _step(delta)
        with self._lock:
            self._offset += step

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (timezone-aware); the source's time keeps flowing."""
        aware = _require_aware(when, "when")
        with self._lock:
            self._offset = aware - as_utc(self.source())

    def __repr__(self) -> str:
        return f"ShiftedClock({rfc3339(self())}, source={self.source!r})"


def movable(clock: Clock) -> MovableClock:
    """Return *clock* if it can be moved, else a `ShiftedClock` following it."""
    return clock if isinstance(clock, MovableClock) else ShiftedClock(clock)


def random_codes(length: int = 6) -> CodeGenerator:
    """Return a generator of unpredictable ``length``-digit codes."""
    if length < 1:
        raise UsageError(f"length must be at least 1, got {length}")

    def generate(_phone_number: str) -> str:
        return "".join(secrets.choice("0123456789") for _ in range(length))

    return generate


def deterministic_codes(seed: int = 0, length: int = 6) -> CodeGenerator:
    """Return a generator of reproducible ``length``-digit codes.

    The codes come from ``random.Random(seed)`` in call order, whatever the
    phone number; the generator can be shared between threads.
    """
    if length < 1:
        raise UsageError(f"length must be at least 1, got {length}")
    rng = random.Random(seed)  # noqa: S311 - reproducible codes for tests, not secrets
    lock = threading.Lock()

    def generate(_phone_number: str) -> str:
        with lock:
            return "".join(rng.choice("0123456789") for _ in range(length))

    return generate


class Outbox(Sequence[SentMessage]):
    """Every message the fake sent, in send order; safe to read from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[SentMessage] = []

    @overload
    def __getitem__(self, index: int) -> SentMessage: ...
    @overload
    def __getitem__(self, index: slice) -> list[SentMessage]: ...
    def __getitem__(self, index: int | slice) -> SentMessage | list[SentMessage]:
        with self._lock:
            return self._messages[index]

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)

    def __iter__(self) -> Iterator[SentMessage]:
        with self._lock:
            return iter(list(self._messages))

    def __repr__(self) -> str:
        return f"Outbox({len(self)} messages)"

    def last(self, phone_number: str) -> SentMessage | None:
        """Return the newest message sent to ``phone_number``, if any."""
        with self._lock:
            for message in reversed(self._messages):
                if message.phone_number == phone_number:
                    return message
        return None

    def last_code(self, phone_number: str) -> str | None:
        """Return the newest code sent to ``phone_number``, if any."""
        message = self.last(phone_number)
        return None if message is None else message.code

    def for_number(self, phone_number: str) -> list[SentMessage]:
        """Return the messages sent to ``phone_number``, oldest first."""
        with self._lock:
            return [m for m in self._messages if m.phone_number == phone_number]

    def clear(self) -> None:
        """Forget every message."""
        with self._lock:
            self._messages.clear()

    def _append(self, message: SentMessage) -> None:
        with self._lock:
            self._messages.append(message)
