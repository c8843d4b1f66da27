"""What an error says, so that it points at the fix.

Two kinds of words live here: the hint a refused answer gets (a 401 or 403
says where the refused key came from, a 404 says when the server URL lacks
``/v1``), and the message of a failed connection (what happened, to which
host and port, and the transport's own words, never empty). Neither ever
shows the key: a hint names where the key came from, not what it is, and
the server URL cannot hold credentials (`ding._config` refuses them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import httpx

from ding._config import ENV_API_KEY
from ding._errors import APIConnectionError, APITimeoutError, SDKError
from ding._pipeline._log import request_line

if TYPE_CHECKING:
    from ding._config import Secret

__all__ = ["add_hint", "connection_error"]

# What happened, by the httpx class the transport raised (first match wins).
_WHAT: Final[tuple[tuple[type[Exception], str], ...]] = (
    (httpx.ConnectError, "cannot connect to {where}"),
    (httpx.ReadError, "the connection to {where} broke while reading the answer"),
    (httpx.WriteError, "the connection to {where} broke while sending the request"),
    (httpx.RemoteProtocolError, "no complete answer from {where}"),
    (httpx.ProxyError, "the proxy did not open a connection to {where}"),
    (httpx.UnsupportedProtocol, "the URL's scheme is not supported"),
)
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


def add_hint(
    error: SDKError, *, api_key: Secret, server_url: str, server_url_source: str
) -> SDKError:
    """Give *error* a hint at the fix when its status has a likely cause; return it.

    401 and 403: the key was refused (or is empty), and where it came from.
    404: the server URL does not end in ``/v1``, where the API lives.
    """
    status = error.status_code
    if status in {401, 403}:
        source = api_key.source
        if not api_key.value:
            error.hint = (
                f"The API key is empty (from {source}): pass api_key=... or "
                f"set {ENV_API_KEY} to your Ding API key."
            )
        else:
            error.hint = (
                f"The API key was refused; it came from {source}. Check that "
                "it is a current key of your Ding account (the key itself is "
                "never shown)."
            )
    elif status == 404 and not httpx.URL(server_url).path.rstrip("/").endswith("/v1"):  # noqa: PLR2004
        error.hint = (
            f"The server URL {server_url} (from {server_url_source}) does not "
            f"end in /v1, where the Ding API's operations are: try "
            f"{server_url.rstrip('/')}/v1."
        )
    return error


def _where(url: httpx.URL) -> str:
    """Return ``host:port`` of *url*, the port spelt out even when it is the default."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = url.port or _DEFAULT_PORTS.get(url.scheme)
    return f"{host}:{port}" if port else host


def _detail(exc: Exception) -> str:
    """Return the exception's type and words, never empty.

    A transport may raise with no words (httpcore's ``ReadError`` of a
    broken stream): then those of the operating-system error behind it, if
    any, else a note that the transport gave none.
    """
    name = type(exc).__name__
    if str(exc):
        return f"{name}: {exc}"
    behind: BaseException = exc
    for _ in range(8):  # a chain is short; a cycle is not followed forever
        following = behind.__cause__ or behind.__context__
        if following is None:
            break
        behind = following
        if isinstance(behind, OSError) and str(behind):
            return f"{name}: {type(behind).__name__}: {behind}"
    return f"{name} (the transport gave no detail)"


def connection_error(exc: Exception, request: httpx.Request) -> APIConnectionError:
    """Map a failed send (no usable answer) to `APIConnectionError` or a timeout."""
    if isinstance(exc, httpx.LocalProtocolError):
        return APIConnectionError(
            f"{request_line(request)}: the request could not be sent "
            "(invalid HTTP); check the headers and the server URL",
            request=request,
        )
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__.removesuffix("Timeout").lower() or "request"
        return APITimeoutError(
            f"{request_line(request)}: {kind} timeout",
            request=request,
        )
    what = next(
        (text for cls, text in _WHAT if isinstance(exc, cls)),
        "the connection to {where} failed",
    )
    return APIConnectionError(
        f"{request_line(request)}: "
        f"{what.format(where=_where(request.url))}: {_detail(exc)}",
        request=request,
    )
