"""Faults the fake can inject, scheduled per operation and per call count.

| fault | what the client sees | does the operation happen? |
| --- | --- | --- |
| `Fault.server_error(status_code)` | that 5xx with a Ding error body | no |
| `Fault.rate_limited(retry_after)` | 429 with ``Retry-After`` | no |
| `Fault.unavailable(retry_after)` | 503, with ``Retry-After`` when given | no |
| `Fault.delay(seconds)` | the normal answer, late | yes |
| `Fault.drop_before_response()` | the connection closes, no response | no |
| `Fault.drop_mid_response()` | headers and half the body, then the connection closes | yes (the answer is lost) |
| `Fault.malformed_json()` | 200, ``application/json``, a truncated body | yes |
| `Fault.wrong_content_type()` | 200, the right JSON labelled ``text/plain`` | yes |
| `Fault.html_error(status_code)` | an HTML error page, as a proxy would send | no |
| `Fault.empty_body()` | 200, ``application/json``, no body | yes |
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Final, Literal

import attrs

from ding._errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["OPERATIONS", "Fault", "FaultPlan"]

FaultKind = Literal[
    "server_error",
    "rate_limited",
    "unavailable",
    "delay",
    "drop_before_response",
    "drop_mid_response",
    "malformed_json",
    "wrong_content_type",
    "html_error",
    "empty_body",
]

#: The operation names faults are scheduled on ("*" matches any of them).
OPERATIONS: Final = (
    "create_authentication",
    "check",
    "retry",
    "authentication_status",
    "feedback",
    "lookup",
)

#: Faults after which the fake still performs the operation.
PERFORMED: Final = frozenset(
    {
        "delay",
        "drop_mid_response",
        "malformed_json",
        "wrong_content_type",
        "empty_body",
    },
)


def _seconds(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


_STATUS_RANGES: Final = {
    "server_error": range(500, 600),
    "html_error": range(400, 600),
}


@attrs.frozen(kw_only=True)
class Fault:
    """One misbehaviour of the fake; build it with the class methods.

    Raises:
        UsageError: A status code outside the fault's range (5xx for
            ``server_error``, 4xx or 5xx for ``html_error``), or a delay or
            ``Retry-After`` that is not a finite, non-negative number.
    """

    kind: FaultKind
    status_code: int = 200
    retry_after: float | None = None
    seconds: float = 0.0

    def __attrs_post_init__(self) -> None:
        allowed = _STATUS_RANGES.get(self.kind)
        if allowed is not None and self.status_code not in allowed:
            raise UsageError(
                f"{self.kind} needs a status code in {allowed.start}..{allowed.stop - 1}, "
                f"not {self.status_code!r}",
            )
        if not _seconds(self.seconds) or not (
            self.retry_after is None or _seconds(self.retry_after)
        ):
            raise UsageError("delays must be finite, non-negative numbers of seconds")

    @property
    def performs_operation(self) -> bool:
        """Whether the operation still takes effect (see the module table)."""
        return self.kind in PERFORMED

    @classmethod
    def server_error(cls, status_code: int = 500) -> Fault:
        """Answer a 5xx with an ``internal_server_error`` body."""
        return cls(kind="server_error", status_code=status_code)

    @classmethod
    def rate_limited(cls, retry_after: float = 1.0) -> Fault:
        """Answer 429 with ``Retry-After``."""
        return cls(kind="rate_limited", status_code=429, retry_after=retry_after)

    @classmethod
    def unavailable(cls, retry_after: float | None = None) -> Fault:
        """Answer 503, with ``Retry-After`` when given."""
        return cls(kind="unavailable", status_code=503, retry_after=retry_after)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Answer normally after *seconds*."""
        return cls(kind="delay", seconds=seconds)

    @classmethod
    def drop_before_response(cls) -> Fault:
        """Close the connection without answering."""
        return cls(kind="drop_before_response")

    @classmethod
    def drop_mid_response(cls) -> Fault:
        """Perform the operation, send half the answer, close the connection."""
        return cls(kind="drop_mid_response")

    @classmethod
    def malformed_json(cls) -> Fault:
        """Perform the operation and answer truncated JSON."""
        return cls(kind="malformed_json")

    @classmethod
    def wrong_content_type(cls) -> Fault:
        """Perform the operation and label the JSON answer ``text/plain``."""
        return cls(kind="wrong_content_type")

    @classmethod
    def html_error(cls, status_code: int = 502) -> Fault:
        """Answer an HTML error page, as a proxy in front of the API would."""
        return cls(kind="html_error", status_code=status_code)

    @classmethod
    def empty_body(cls) -> Fault:
        """Perform the operation and answer 200 with no body."""
        return cls(kind="empty_body")


@attrs.define
class _Rule:
    operation: str
    fault: Fault
    calls: frozenset[int] | None
    remaining: int


class FaultPlan:
    """Which calls misbehave: a thread-safe schedule of faults.

    Every request to an operation counts as one call (1-based), faulted or
    not. A rule fires on the listed call numbers, or, without them, on the
    next ``times`` calls. The first matching rule wins.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._calls: dict[str, int] = dict.fromkeys(OPERATIONS, 0)

    def inject(
        self,
        operation: str,
        fault: Fault,
        *,
        on_call: int | Iterable[int] | None = None,
        times: int = 1,
    ) -> None:
        """Schedule *fault* for *operation* (one of `OPERATIONS`, or ``"*"``).

        Args:
            operation: The operation name, or ``"*"`` for any operation.
            fault: What to do.
            on_call: Call numbers (counted per operation from the start, or
                from the last `reset`) to fault; None means the next calls.
            times: How many calls to fault when *on_call* is None.

        Raises:
            UsageError: Unknown operation or invalid counts.
        """
        if operation != "*" and operation not in OPERATIONS:
            raise UsageError(f"unknown operation {operation!r}; one of {OPERATIONS}")
        calls = None
        if on_call is not None:
            calls = frozenset([on_call] if isinstance(on_call, int) else on_call)
            if not calls or min(calls) < 1:
                raise UsageError("on_call must name call numbers from 1")
            times = len(calls)
        if times < 1:
            raise UsageError("times must be at least 1")
        with self._lock:
            self._rules.append(_Rule(operation, fault, calls, times))

    def take(self, operation: str) -> Fault | None:
        """Count one call of *operation* and return the fault for it, if any."""
        with self._lock:
            self._calls[operation] = number = self._calls.get(operation, 0) + 1
            for rule in self._rules:
                if rule.operation not in {"*", operation}:
                    continue
                if rule.calls is not None and number not in rule.calls:
                    continue
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
                return rule.fault
        return None

    def calls(self, operation: str) -> int:
        """Return how many calls *operation* has received."""
        with self._lock:
            return self._calls.get(operation, 0)

    @property
    def pending(self) -> int:
        """How many fault rules have not fired yet."""
        with self._lock:
            return len(self._rules)

    def reset(self) -> None:
        """Forget every rule and every call count."""
        with self._lock:
            self._rules.clear()
            self._calls = dict.fromkeys(OPERATIONS, 0)
