"""When a failed attempt is tried again, and how long to wait first.

`RetryPolicy.wait_before_retry` is the one decision the request pipeline
asks after each failed attempt. The rules (an OTP send has no idempotency
key, so a retried POST can send a second SMS):

* A connection that was never established is always safe to retry.
* A 429 or 503 that carries ``Retry-After`` is retried after the delay the
  server asked for, when that delay is at most `MAX_RETRY_AFTER` seconds.
* GET operations (status, lookup) also retry 5xx answers, 429 without
  ``Retry-After``, read and write timeouts and connections dropped
  mid-request.
* A pool timeout (every connection stayed busy for the whole pool wait) is
  never retried: nothing was sent, but the client is saturated by its own
  callers, and a retry would queue behind them again, past the wait the
  caller set.
* Nothing else is retried: a POST that may have reached the server is not.

Between attempts the client sleeps ``initial * exponent ** n`` seconds
(capped at ``max_interval``, with up to 25 % random jitter subtracted), or
the server's ``Retry-After`` when given. ``max_retries`` bounds the number of
retries and ``max_elapsed`` the total time spent: a retry whose wait would
end past it is not made.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from typing import Final, cast

import attrs
import httpx

from ding._errors import UsageError
from ding._schema._records import MutableRecord as _MutableRecord
from ding._schema._records import Record as _Record

__all__ = ["BackoffStrategy", "Retries", "RetryConfig", "RetryPolicy"]

#: The longest ``Retry-After`` the client is willing to wait, in seconds.
MAX_RETRY_AFTER: Final = 60.0


@attrs.define(repr=False, eq=False)
class BackoffStrategy(_MutableRecord):
    """The seed SDK's backoff settings, in milliseconds.

    Attributes:
        initial_interval: Delay before the first retry.
        max_interval: Upper bound of any single delay.
        exponent: Growth factor between delays.
        max_elapsed_time: Stop retrying once this much time has passed.
    """

    initial_interval: int
    max_interval: int
    exponent: float
    max_elapsed_time: int


@attrs.define(repr=False, eq=False)
class RetryConfig(_MutableRecord):
    """The seed SDK's retry settings, honoured by this SDK.

    Attributes:
        strategy: ``"backoff"`` (the only strategy) or ``"none"`` to disable
            retries.
        backoff: The delays to use.
        retry_connection_errors: Whether connection failures are retried.
    """

    strategy: str
    backoff: BackoffStrategy
    retry_connection_errors: bool


@attrs.define(repr=False, eq=False)
class Retries(_MutableRecord):
    """The seed SDK's per-operation retry holder, kept for imports.

    Args:
        config: The retry settings.
        status_codes: Status patterns such as ``"5XX"`` or ``"429"``.
    """

    config: RetryConfig
    status_codes: list[str]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RetryPolicy(_Record):
    """The resolved retry settings a client uses (times in seconds)."""

    max_retries: int
    initial_interval: float = 0.5
    max_interval: float = 8.0
    exponent: float = 2.0
    max_elapsed: float = 60.0
    retry_connection_errors: bool = True

    @classmethod
    def from_seed(cls, max_retries: int, config: RetryConfig) -> RetryPolicy:
        """Translate a seed-era `RetryConfig` into a policy.

        Raises:
            UsageError: The configuration is not a well-formed `RetryConfig`.
        """
        if not isinstance(cast("object", config), RetryConfig):
            raise UsageError("retry_config must be a ding.RetryConfig")
        if config.strategy != "backoff":
            return cls(max_retries=0)
        b = config.backoff
        if not isinstance(cast("object", b), BackoffStrategy) or not all(
            isinstance(n, int | float)
            and not isinstance(n, bool)
            and math.isfinite(n)
            and n >= 0
            for n in cast(
                "tuple[object, ...]",
                (b.initial_interval, b.max_interval, b.exponent, b.max_elapsed_time),
            )
        ):
            raise UsageError(
                "retry_config.backoff must be a BackoffStrategy of finite, "
                "non-negative numbers",
            )
        return cls(
            max_retries=max_retries,
            initial_interval=b.initial_interval / 1000,
            max_interval=b.max_interval / 1000,
            exponent=b.exponent,
            max_elapsed=b.max_elapsed_time / 1000,
            retry_connection_errors=config.retry_connection_errors,
        )

    def wait_before_retry(
        self,
        retry: int,
        failure: httpx.Response | Exception,
        *,
        method: str,
        elapsed: float,
    ) -> float | None:
        """Decide whether a failed attempt is tried again, and after how long.

        Args:
            retry: How many retries were already made (0 after the first attempt).
            failure: The error answer, or the exception the attempt raised.
            method: The HTTP method; only GET is retried once it may have
                reached the server.
            elapsed: Seconds since the first attempt started.

        Returns:
            The seconds to sleep before the next attempt, or None to give up.
        """
        if retry >= self.max_retries:
            return None
        wait = self._wait(retry, failure, is_get=method == "GET")
        if wait is None or elapsed + wait > self.max_elapsed:
            return None
        return wait

    def _wait(
        self, retry: int, failure: httpx.Response | Exception, *, is_get: bool
    ) -> float | None:
        if isinstance(failure, httpx.Response):
            status = failure.status_code
            if status in {429, 503}:
                asked = parse_retry_after(failure.headers.get("retry-after"))
                if asked is not None:
                    return asked if asked <= MAX_RETRY_AFTER else None
            if is_get and (status == 429 or 500 <= status < 600):  # noqa: PLR2004
                return self.delay(retry)
            return None
        if isinstance(failure, httpx.ConnectError | httpx.ConnectTimeout):
            # The request never reached the server: always safe to retry.
            return self.delay(retry) if self.retry_connection_errors else None
        if (
            is_get
            and isinstance(failure, httpx.TimeoutException | httpx.TransportError)
            and not isinstance(failure, httpx.PoolTimeout)
        ):
            return self.delay(retry)
        return None

    def delay(self, retry_number: int) -> float:
        """Return the sleep before retry number *retry_number* (0-based)."""
        base = min(
            self.initial_interval * self.exponent**retry_number, self.max_interval
        )
        return base * (1 - 0.25 * random.random())  # noqa: S311 - jitter, not crypto


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Return the delay a ``Retry-After`` header asks for, in seconds.

    Accepts delta-seconds (``"2"``, ``"1.5"``) and HTTP dates. Returns None
    for a missing, malformed, negative or non-finite value.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        current = time.time() if now is None else now
        seconds = max(0.0, when.timestamp() - current)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds
