"""Defaults, environment variable names and the not-given sentinel."""

from __future__ import annotations

import enum
import functools
import math
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

import httpx

from ding._errors import UsageError
from ding._version import __version__

if TYPE_CHECKING:
    import ssl

#: The seed SDK's server list; ``server_idx`` indexes it.
SERVERS: Final = ["https://api.ding.live/v1"]
DEFAULT_BASE_URL: Final = SERVERS[0]

ENV_API_KEY: Final = "DING_API_KEY"
ENV_CUSTOMER_UUID: Final = "DING_CUSTOMER_UUID"
ENV_BASE_URL: Final = "DING_BASE_URL"

#: Per-attempt timeouts: 5 s to connect, 15 s for each read, write and pool wait.
DEFAULT_TIMEOUT: Final = httpx.Timeout(15.0, connect=5.0)
#: Retries after the first attempt, for failures that are safe to retry.
DEFAULT_MAX_RETRIES: Final = 2

USER_AGENT: Final = f"ding-python/{__version__} httpx/{httpx.__version__}"


class NotGiven(enum.Enum):
    """The type of `NOT_GIVEN`: an argument the caller left out.

    ``None`` cannot mean "not given" because ``timeout=None`` is a real choice
    (no timeout).
    """

    NOT_GIVEN = enum.auto()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


NOT_GIVEN: Final = NotGiven.NOT_GIVEN

#: What a ``timeout=`` argument accepts: seconds, an `httpx.Timeout`, or
#: ``None`` for no timeout at all.
TimeoutTypes: TypeAlias = float | httpx.Timeout | None


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """Return the process-wide TLS context, built on first use.

    Building one costs tens of milliseconds (loading the CA bundle), so every
    client the SDK creates shares this one.
    """
    return httpx.create_ssl_context()


def _is_seconds(value: object) -> bool:
    return value is None or (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def to_timeout(value: TimeoutTypes) -> httpx.Timeout:
    """Normalise a ``timeout=`` argument to an `httpx.Timeout`.

    Raises:
        UsageError: The value is not None, an `httpx.Timeout` or a finite,
            non-negative number of seconds.
    """
    parts = (
        (value.connect, value.read, value.write, value.pool)
        if isinstance(value, httpx.Timeout)
        else (value,)
    )
    for part in parts:
        if not _is_seconds(part):
            raise UsageError(
                "timeout must be None, an httpx.Timeout or a finite, "
                f"non-negative number of seconds, not {part!r}",
            )
    return value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)
