"""Configuration: defaults, environment variables and the checks on settings.

Everything a client resolves once, at construction or in `with_options`,
lives here: the server URL (``server_url``, ``server_idx``, ``url_params``,
``DING_BASE_URL``), the API key and its `Secret` wrapper, header checks, the
``max_retries`` and ``timeout`` checks, and the defaults. Nothing here sends
a request.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import math
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, cast

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
ENV_ALLOW_INSECURE_HTTP: Final = "DING_ALLOW_INSECURE_HTTP"

#: Per-attempt timeouts: 5 s to connect, 15 s for each read, write and pool
#: wait, and 15 s (the largest) for the whole attempt, body included.
DEFAULT_TIMEOUT: Final = httpx.Timeout(15.0, connect=5.0)
#: The most one call takes, its attempts and the waits between them included.
DEFAULT_TOTAL_TIMEOUT: Final = 60.0
#: The connections of the SDK's own pool, on every transport. As many calls
#: use the pool at once; the others wait in the queue in front of it
#: (`ding._transport._queue`), for at most the pool timeout.
MAX_CONNECTIONS: Final = 100
#: Seconds an idle connection is kept for reuse: below the 5 s after which
#: Node.js, Apache, uvicorn and hypercorn close one by default, with a
#: second to spare for the time an answer takes to arrive (the server's
#: clock starts when it has written the answer, ours when it is read).
IDLE_EXPIRY: Final = 4.0
#: The aiohttp pool of the SDK on asyncio: idle connections kept
#: `IDLE_EXPIRY` seconds.
LIMITS: Final = httpx.Limits(
    max_connections=MAX_CONNECTIONS, keepalive_expiry=IDLE_EXPIRY
)
#: The httpx pool of the SDK on trio (or behind a proxy): 20 idle
#: connections, as httpx's default, kept as long as on asyncio. (Its pool
#: scans every kept connection for every request, and at concurrency 100
#: keeping 100 alive instead of 20 made it about 5 times slower, measured
#: here.)
HTTPX_LIMITS: Final = httpx.Limits(
    max_connections=MAX_CONNECTIONS,
    max_keepalive_connections=20,
    keepalive_expiry=IDLE_EXPIRY,
)
#: Retries after the first attempt, for failures that are safe to retry.
DEFAULT_MAX_RETRIES: Final = 2
#: The most bytes of a response body read (once decoded): Ding's answers are
#: a few hundred bytes; 1 MiB leaves room for any of them and bounds memory.
DEFAULT_MAX_RESPONSE_SIZE: Final = 1 << 20

USER_AGENT: Final = f"ding-python/{__version__} httpx/{httpx.__version__}"

_HEADER_NAME: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Printable ASCII, no leading or trailing space (which h11 would refuse).
_HEADER_VALUE: Final = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?")
# The SDK frames every body itself; a second framing header would make the
# request malformed (httpx would send both lengths) or hang the server.
_FRAMING_HEADERS: Final = frozenset({"content-length", "transfer-encoding"})


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


class Secret:
    """A string that never shows itself in a repr, a log or a traceback."""

    __slots__ = ("source", "value")

    def __init__(self, value: str, source: str = "the api_key argument") -> None:
        self.value = value
        #: Where the value came from, for messages (never the value itself).
        self.source = source

    def __repr__(self) -> str:
        return "<redacted>"

    __str__ = __repr__


def env(name: str) -> str | None:
    """Return the environment variable *name*, or None when unset or empty."""
    return os.environ.get(name) or None


def resolve_api_key(api_key: str | None) -> Secret:
    """Return the API key given, else ``DING_API_KEY``, checked and wrapped.

    Raises:
        UsageError: There is no key, or it cannot be sent as a header.
    """
    source = "the api_key argument"
    if api_key is None:
        api_key = os.environ.get(ENV_API_KEY)
        source = f"the {ENV_API_KEY} environment variable"
    if api_key is None:
        raise UsageError(
            f"no API key: pass api_key=... or set the {ENV_API_KEY} "
            "environment variable",
        )
    check_header_value("api_key", api_key)
    return Secret(api_key, source)


def check_header_value(name: str, value: object) -> None:
    """Refuse a header value h11 would refuse, without quoting it.

    httpx would raise UnicodeEncodeError or a protocol error deep inside the
    send, quoting the value (which may be the key); this refuses it early.

    Raises:
        UsageError: The value is not printable ASCII without outer spaces.
    """
    if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
        raise UsageError(
            f"{name} must be a string of printable ASCII characters "
            "without leading or trailing spaces",
        )


def merge_headers(
    base: Mapping[str, str],
    extra: Mapping[str, str] | None,
) -> dict[str, str]:
    """Return *base* with the checked headers of *extra* laid over it.

    Raises:
        UsageError: *extra* is not a mapping, or holds a header that cannot
            be sent. ``Content-Length`` and ``Transfer-Encoding`` are refused:
            given with a body, they would frame it twice or wrongly.
    """
    merged = dict(base)
    if extra is None:
        return merged
    if not isinstance(cast("object", extra), Mapping):
        raise UsageError("headers must be a mapping of names to values")
    for name, value in extra.items():
        if not isinstance(cast("object", name), str) or not _HEADER_NAME.fullmatch(
            name
        ):
            raise UsageError(f"{name!r} is not a valid HTTP header name")
        if name.lower() in _FRAMING_HEADERS:
            raise UsageError(
                f"header {name!r} is set from each request's body; it cannot be given"
            )
        check_header_value(f"header {name!r}", value)
        merged[name.lower()] = value
    return merged


def check_total_timeout(value: object) -> float | None:
    """Return *value* if it is a usable ``total_timeout``.

    Raises:
        UsageError: It is not None or a positive, finite number of seconds.
    """
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise UsageError("total_timeout must be None or a positive number of seconds")
    return float(value)


def check_max_response_size(value: object) -> int:
    """Return *value* if it is a usable body size bound.

    Raises:
        UsageError: It is not a positive integer.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError("max_response_size must be a positive integer (bytes)")
    return value


def check_max_retries(value: object) -> None:
    """Refuse anything but a non-negative integer.

    Raises:
        UsageError: The value is not a non-negative integer.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError("max_retries must be a non-negative integer")


def server_url_source(server_url: str | None, server_idx: int | None) -> str:
    """Return where `resolve_server_url` takes the URL from, for messages."""
    if server_url is not None:
        return "the server_url argument"
    if server_idx is not None:
        return "server_idx"
    if env(ENV_BASE_URL):
        return f"the {ENV_BASE_URL} environment variable"
    return "the default"


def resolve_server_url(
    server_url: str | None,
    server_idx: int | None,
    url_params: Mapping[str, str] | None,
    *,
    allow_insecure_http: bool,
) -> str:
    """Return the base URL requests go to, without a trailing slash.

    The first of *server_url*, ``SERVERS[server_idx]``, ``DING_BASE_URL`` and
    the default wins; ``{name}`` placeholders are filled from *url_params*.

    The URL is refused when it carries credentials (they would show in every
    repr and log), a query or a fragment (the operation's path would land in
    them), or when it is plain ``http://`` to a host that is not loopback (the
    key would cross the network in clear) unless *allow_insecure_http* or
    ``DING_ALLOW_INSECURE_HTTP`` (``1``, ``true`` or ``yes``) says the network
    is trusted.

    Raises:
        UsageError: A setting has the wrong type, the index is out of range,
            or the URL is not one requests may go to (see above).
    """
    if server_url is not None and not isinstance(cast("object", server_url), str):
        raise UsageError("server_url must be a string")
    if not isinstance(cast("object", allow_insecure_http), bool):
        raise UsageError("allow_insecure_http must be True or False")
    if server_url is None and server_idx is not None:
        if isinstance(server_idx, bool) or not isinstance(
            cast("object", server_idx), int
        ):
            raise UsageError("server_idx must be an integer")
        if not 0 <= server_idx < len(SERVERS):
            raise UsageError(
                f"server_idx must be between 0 and {len(SERVERS) - 1}, got {server_idx}",
            )
        server_url = SERVERS[server_idx]
    url = server_url or env(ENV_BASE_URL) or DEFAULT_BASE_URL
    if url_params:
        for key, value in url_params.items():
            if not isinstance(cast("object", value), str):
                raise UsageError(f"url_params[{key!r}] must be a string")
            url = url.replace("{" + key + "}", value)
    return _checked_url(url, allow_insecure_http=allow_insecure_http)


def _checked_url(url: str, *, allow_insecure_http: bool) -> str:
    """Return *url* without its trailing slash once it passed every check.

    Raises:
        UsageError: The URL is not one requests may go to.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        # httpx's message may quote the URL, credentials included.
        raise UsageError("server_url is not a valid URL") from None
    if parsed.userinfo:
        raise UsageError(
            "server_url must not contain credentials (user:password@): they "
            "would show wherever the URL does; the API key goes in api_key="
        )
    shown = str(parsed)
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise UsageError(f"server_url must be an absolute http(s) URL, got {shown!r}")
    if parsed.query or "?" in url:
        raise UsageError(
            f"server_url must not contain a query ('?...'), got {shown!r}: the "
            "operation's path would be appended after it"
        )
    if parsed.fragment or "#" in url:
        raise UsageError(
            f"server_url must not contain a fragment ('#...'), got {shown!r}"
        )
    if (
        parsed.scheme == "http"
        and not is_loopback(parsed.host)
        and not (allow_insecure_http or _truthy(env(ENV_ALLOW_INSECURE_HTTP)))
    ):
        raise UsageError(
            f"server_url {shown!r} is plain http to a host that is not loopback: "
            "the API key would cross the network unencrypted. Use https, or, "
            "for a trusted network (a fake Ding server in a container, say), "
            f"pass allow_insecure_http=True or set {ENV_ALLOW_INSECURE_HTTP}=1"
        )
    return url.rstrip("/")


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in {"1", "true", "yes"}


def is_loopback(host: str) -> bool:
    """Return whether *host* (a name or an IP address) is this machine."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
