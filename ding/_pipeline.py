"""The request pipeline: the connection pool, one send, retries, redaction.

Every operation of `ding.AsyncDing` goes through `Pipeline.send`: build the
`httpx.Request` (headers, key, timeout), send it through the pool, ask
`ding._retry.RetryPolicy` whether a failed attempt is tried again, map every
failure onto the `ding.DingError` tree (`ding._errors.error_from_response`
for answers, `connection_error` for the rest), redact the key from the sent
request and decode the body through `ding._converter`. The transport is
httpx's: whatever sends the request plugs in at `Pool` and `send_once`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import os
import sys
import time
import urllib.request
from typing import TYPE_CHECKING, Final, Protocol, TypeVar

import anyio
import attrs
import httpx
from attrs import AttrsInstance

from ding._body import ACCEPT_ENCODING, read_bounded, unread_body_dropped
from ding._cleanup import watch
from ding._config import (
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    DEFAULT_TOTAL_TIMEOUT,
    ENV_CUSTOMER_UUID,
    HTTPX_LIMITS,
    LIMITS,
    MAX_CONNECTIONS,
    NotGiven,
    Secret,
    TimeoutTypes,
    merge_headers,
    shared_ssl_context,
    to_timeout,
)
from ding._converter import DecodeError, decode_response, encode_request
from ding._errors import (
    APIConnectionError,
    APITimeoutError,
    MalformedResponseError,
    ResponseTooLargeError,
    UsageError,
    error_from_response,
)
from ding._explain import add_hint, connection_error
from ding._log import logged
from ding._loops import asyncio_timeout, attempt_bound, running_loop
from ding._queue import Queue

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ding._retry import RetryPolicy

__all__ = ["REDACTED", "Pipeline", "Pool", "RequestModel"]

_logger: Final = logging.getLogger("ding")

_Model = TypeVar("_Model", bound=AttrsInstance)

_FORKED_AWAY: Final[list[httpx.AsyncClient]] = []
# What httpx.AsyncClient adds to each request it builds, for requests built
# without it (accept and user-agent come from the client's settings).
_DIRECT_HEADERS: Final = {
    "accept-encoding": ACCEPT_ENCODING,
    "connection": "keep-alive",
}


@functools.lru_cache(maxsize=64)
def _url(text: str) -> httpx.URL:
    """Parse a URL once (the POST operations' URLs never change)."""
    return httpx.URL(text)


#: What the API key is replaced with on a request once it has been sent.
REDACTED: Final = "[redacted]"


class RequestModel(AttrsInstance, Protocol):
    """A request model that carries a customer UUID."""

    @property
    def customer_uuid(self) -> str | None: ...


@attrs.define
class Pool:
    """The httpx client a family of `with_options` copies shares.

    The original client owns it; each copy holds a pool *borrowed* from it
    (`borrow`), which sends through the owner's and whose `aclose` ends
    only the copy. The client is created on first use. A client the SDK created is replaced
    (never closed) when the process forked or the event loop changed, since
    its connections belong to the parent process or to a dead loop. In front
    of it, a `Queue` of as many slots as it has connections (none in front
    of an injected client: its pool is the caller's).
    """

    injected: httpx.AsyncClient | None
    client: httpx.AsyncClient | None = None
    queue: Queue | None = None
    owner_pid: int = 0
    owner_loop: object = None
    closed: bool = False
    lender: Pool | None = None

    def borrow(self) -> Pool:
        """Return a pool for a `with_options` copy: the same connections, its own close."""
        return Pool(injected=self.injected, lender=self.lender or self)

    def direct(self, client: httpx.AsyncClient) -> httpx.AsyncBaseTransport | None:
        """Return the transport to send through directly, if *client* is the SDK's.

        None for an injected client, and when the environment mounted a
        proxy (``HTTPS_PROXY`` and the like): the client then routes.
        """
        if self.injected is not None or client._mounts:  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - proxies from the environment
            return None
        return client._transport  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - the SDK created this client

    def get(self) -> httpx.AsyncClient:
        """Return the client to send through, creating it if needed.

        Raises:
            UsageError: The pool, or the injected client, is closed.
        """
        if self.closed:
            raise UsageError("this client is closed; create a new one")
        if self.lender is not None:
            return self.lender.get()
        if self.injected is not None:
            if self.injected.is_closed:
                raise UsageError("the httpx.AsyncClient passed as client= is closed")
            return self.injected
        loop = running_loop()
        if (
            self.client is None
            or self.owner_pid != os.getpid()
            or self.owner_loop is not loop
        ):
            if self.client is not None and self.owner_pid != os.getpid():
                # The parent's connections, inherited by fork: never touched
                # here (closing them would unregister the parent's sockets
                # from the event-loop selector both processes share), and
                # kept from the garbage collector, which would log them.
                _FORKED_AWAY.append(self.client)
            self.client = _new_client(loop)
            self.queue = Queue(MAX_CONNECTIONS)
            # Closed on its own loop when collected unclosed (ding._cleanup).
            watch(self.client, self.client._transport, loop)  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - the SDK created this client
            self.owner_pid = os.getpid()
            self.owner_loop = loop
        return self.client

    async def send(
        self,
        client: httpx.AsyncClient,
        direct: httpx.AsyncBaseTransport | None,
        request: httpx.Request,
        max_size: int,
    ) -> httpx.Response:
        """`send_once`, queued for a connection when the client is the SDK's.

        Raises:
            httpx.PoolTimeout: No connection came free within the pool timeout.
        """
        if self.lender is not None:
            return await self.lender.send(client, direct, request, max_size)
        queue = self.queue
        if queue is None or self.injected is not None:
            return await send_once(client, direct, request, max_size)
        if not queue.take():
            await queue.wait(request)
        try:
            return await send_once(client, direct, request, max_size)
        finally:
            queue.give()

    async def aclose(self) -> None:
        """Close the pool (a borrowed one: only the copy); later calls raise `UsageError`."""
        self.closed = True
        if self.lender is not None:
            return
        client, self.client = self.client, None
        # Only a client the SDK created, on this process and this loop, is
        # closed: an injected one belongs to the caller.
        if client is not None and self.owner_pid == os.getpid():
            try:
                same_loop = running_loop() is self.owner_loop
            except RuntimeError:  # pragma: no cover - aclose() is always awaited
                same_loop = False
            if same_loop:
                await client.aclose()


def _new_client(loop: object) -> httpx.AsyncClient:
    """Create the SDK's own httpx client for the running event loop.

    On asyncio it sends through aiohttp (`ding._aiohttp`), whose pool keeps
    its speed under concurrency; on trio, or when the environment names a
    proxy, through httpx's own transport.
    """
    transport: httpx.AsyncBaseTransport | None = None
    asyncio = sys.modules.get("asyncio")  # not imported: not an asyncio loop
    if (
        asyncio is not None
        and isinstance(loop, asyncio.AbstractEventLoop)
        # httpx honours HTTP(S)_PROXY, ALL_PROXY and NO_PROXY only with its
        # own transport: with a proxy configured, that one is used.
        and not _environment_proxies()
    ):
        from ding._aiohttp import AiohttpTransport  # noqa: PLC0415 - aiohttp is imported on first use

        transport = AiohttpTransport(ssl_context=shared_ssl_context(), limits=LIMITS)
    return httpx.AsyncClient(
        verify=shared_ssl_context(),
        timeout=DEFAULT_TIMEOUT,
        follow_redirects=False,
        limits=HTTPX_LIMITS,
        transport=transport,
    )


def _environment_proxies() -> bool:
    """Whether the environment names a proxy httpx would use."""
    proxies = urllib.request.getproxies()
    return any(scheme in proxies for scheme in ("http", "https", "all"))


@attrs.frozen(kw_only=True)
class Pipeline:
    """The settings of one client and the request pipeline that uses them.

    `AsyncDing.with_options` evolves a copy; every copy shares the `Pool`.
    """

    api_key: Secret
    server_url: str
    customer_uuid: str | None
    timeout: httpx.Timeout | None
    policy: RetryPolicy
    default_headers: Mapping[str, str]
    pool: Pool
    server_url_source: str = "the server_url argument"
    allow_insecure_http: bool = False
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE
    total_timeout: float | None = DEFAULT_TOTAL_TIMEOUT
    # The headers a JSON body sent direct starts with, the key and the
    # length left out; built on first use (None: a default header sets one
    # of those, so every request is built in full).
    _json_head: list[list[tuple[bytes, bytes]] | None] = attrs.field(
        factory=list[list[tuple[bytes, bytes]] | None],
        init=False,
        repr=False,
        eq=False,
    )

    def customer(self, given: str | None) -> str:
        """Return *given*, else the client's customer UUID.

        Raises:
            UsageError: Neither is set.
        """
        customer_uuid = given or self.customer_uuid
        if not customer_uuid:
            raise UsageError(
                "no customer_uuid: pass it to the operation or to the client, "
                f"or set the {ENV_CUSTOMER_UUID} environment variable",
            )
        return customer_uuid

    async def send(
        self,
        method: str,
        path: str,
        response_cls: type[_Model],
        *,
        body: object = None,
        params: Mapping[str, str | Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutTypes | NotGiven,
        extra_headers: Mapping[str, str] | None,
    ) -> tuple[httpx.Response, _Model | None]:
        """Send one operation, retrying what is safe; map every failure."""
        content: bytes | None = None
        if body is not None:
            try:
                content = encode_request(body)
            except (TypeError, ValueError) as exc:
                raise UsageError(
                    f"the {type(body).__name__} cannot be sent as JSON: {exc}",
                ) from None
        per_try = self.timeout if isinstance(timeout, NotGiven) else to_timeout(timeout)
        client = self.pool.get()
        direct = self.pool.direct(client)
        try:
            if direct is not None and per_try is not None:
                # The SDK's own client: the request is built and sent without
                # the client's merging of defaults, auth, cookies, redirects
                # and hooks, none of which it uses.
                request = httpx.Request(
                    method,
                    # A POST's URL is the same on every call; a GET's holds
                    # a phone number or an authentication UUID, not kept.
                    _url(self.server_url + path)
                    if body is not None
                    else self.server_url + path,
                    params=params,
                    stream=httpx.ByteStream(content or b""),
                    extensions={"timeout": per_try.as_dict()},
                )
                # Inline, so that no local variable holds the key
                # (tracebacks that show locals stay clean).
                request.headers = (
                    self._json_headers(request, content)
                    if content and not headers and not extra_headers
                    else _wire_headers(
                        request,
                        self.headers(
                            headers,
                            extra_headers,
                            json=content is not None,
                            direct=True,
                        ),
                        content,
                    )
                )
                request.read()
            else:
                direct = None
                request = client.build_request(
                    method,
                    self.server_url + path,
                    content=content,
                    params=params,
                    headers=self.headers(
                        headers, extra_headers, json=content is not None
                    ),
                    timeout=per_try
                    if per_try is not None
                    else httpx.USE_CLIENT_DEFAULT,
                )
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise UsageError(f"cannot build the request for {method} {path}") from exc
        try:
            response = await self._send_with_retries(
                client,
                direct,
                request,
                path,
                attempt_bound(per_try if per_try is not None else client.timeout),
            )
        finally:
            # The key has been sent. The request object outlives this call (on
            # the response and on errors), so it must not show the key.
            request.headers["x-api-key"] = REDACTED
        return response, self.decode(response, response_cls)

    async def _send_with_retries(
        self,
        client: httpx.AsyncClient,
        direct: httpx.AsyncBaseTransport | None,
        request: httpx.Request,
        path: str,
        per_attempt: float | None,
    ) -> httpx.Response:
        """Send until an attempt succeeds or the retry policy gives up.

        Each attempt, reading its body included, ends within *per_attempt*
        seconds, and the whole call within ``total_timeout``: an attempt cut
        by the first fails as a read timeout would (a GET may be retried, a
        POST not); the second raises `APITimeoutError` at once.
        """
        started = time.monotonic()
        deadline = None if self.total_timeout is None else started + self.total_timeout
        retry = 0
        log = _logger.isEnabledFor(logging.INFO)
        while True:
            failure: httpx.Response | Exception
            try:
                sending = self._attempt(client, direct, request, per_attempt, deadline)
                response = await (
                    logged(sending, request, retry + 1) if log else sending
                )
            except (httpx.HTTPError, OSError) as exc:
                failure = exc
            except RuntimeError as exc:
                # httpx and anyio raise RuntimeError for a client used after
                # close or across event loops.
                raise APIConnectionError(
                    f"{request.method} {request.url.path}: the HTTP client "
                    f"cannot send: {exc}",
                    request=request,
                ) from exc
            else:
                if 200 <= response.status_code < 300:  # noqa: PLR2004
                    return response
                failure = response
            wait = self.policy.wait_before_retry(
                retry,
                failure,
                method=request.method,
                elapsed=time.monotonic() - started,
            )
            if (
                wait is not None
                and deadline is not None
                and time.monotonic() + wait >= deadline
            ):
                wait = None  # the retry would start past the deadline
            if wait is None:
                if isinstance(failure, httpx.Response):
                    raise add_hint(
                        error_from_response(failure),
                        api_key=self.api_key,
                        server_url=self.server_url,
                        server_url_source=self.server_url_source,
                    )
                raise connection_error(failure, request) from _cause(failure)
            retry += 1
            if _logger.isEnabledFor(logging.DEBUG):
                _logger.debug(
                    "%s %s failed (%s); retry %d in %.2fs",
                    request.method,
                    path.split("/", 2)[1],
                    _failure_name(failure),
                    retry,
                    wait,
                )
            await anyio.sleep(wait)

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        direct: httpx.AsyncBaseTransport | None,
        request: httpx.Request,
        per_attempt: float | None,
        deadline: float | None,
    ) -> httpx.Response:
        """Send once within the attempt's bound and the call's deadline.

        Raises:
            httpx.ReadTimeout: The attempt took longer than *per_attempt*.
            APITimeoutError: The call's deadline passed.
        """
        limit = math.inf if per_attempt is None else per_attempt
        if deadline is not None:
            limit = min(limit, deadline - time.monotonic())
        bound = asyncio_timeout(limit)
        if bound is not None:
            try:
                async with bound:
                    return await self.pool.send(
                        client, direct, request, self.max_response_size
                    )
            except TimeoutError:
                if not bound.expired():
                    raise  # not the bound's: the transport's own
        else:
            with anyio.move_on_after(limit):
                return await self.pool.send(
                    client, direct, request, self.max_response_size
                )
        if deadline is not None and time.monotonic() >= deadline:
            raise self._total_timeout_error(request)
        raise httpx.ReadTimeout(
            f"the attempt took longer than {per_attempt:g} s", request=request
        )

    def _total_timeout_error(self, request: httpx.Request) -> APITimeoutError:
        return APITimeoutError(
            f"{request.method} {request.url.path}: total timeout: the call took "
            f"longer than total_timeout ({self.total_timeout:g} s), retries included",
            request=request,
        )

    async def post(
        self,
        path: str,
        request: RequestModel,
        response_cls: type[_Model],
        *,
        timeout: TimeoutTypes | NotGiven,
        extra_headers: Mapping[str, str] | None,
    ) -> tuple[httpx.Response, _Model | None]:
        """Send a request model, its customer UUID defaulted from the client."""
        body = attrs.evolve(request, customer_uuid=self.customer(request.customer_uuid))  # type: ignore[misc]  # mypy's attrs plugin cannot see the attrs class behind the protocol
        return await self.send(
            "POST",
            path,
            response_cls,
            body=body,
            timeout=timeout,
            extra_headers=extra_headers,
        )

    def headers(
        self,
        headers: Mapping[str, str] | None,
        extra_headers: Mapping[str, str] | None,
        *,
        json: bool,
        direct: bool = False,
    ) -> dict[str, str]:
        """Return the headers of one request, the key included.

        A request sent *direct* gets what the client would have added too.
        """
        result = merge_headers(
            {**_DIRECT_HEADERS, **self.default_headers}
            if direct
            else self.default_headers,
            extra_headers,
        )
        if json:
            result["content-type"] = "application/json"
        if headers:
            result.update(headers)
        # Only what `read_bounded` can decode within its bound, whatever
        # the client or the caller would ask for.
        result["accept-encoding"] = ACCEPT_ENCODING
        result["x-api-key"] = self.api_key.value
        return result

    def _json_headers(self, request: httpx.Request, content: bytes) -> httpx.Headers:
        """Return `_wire_headers` for a JSON body sent direct, from a cached head.

        Only the key and the length differ from one such request to the
        next: the rest (``Host``, the default headers, the content type)
        is worked out once.
        """
        if not self._json_head:
            fields = self.headers(None, None, json=True, direct=True)
            names = [name.lower() for name in fields]
            # The key goes last unless a default header put it elsewhere.
            simple = names[-1] == "x-api-key" and "host" not in names
            del fields["x-api-key"]
            host = (
                [("Host", request.url.netloc.decode("ascii"))]
                if request.url.host
                else []
            )
            self._json_head.append(
                httpx.Headers([*host, *fields.items()]).raw if simple else None
            )
        head = self._json_head[0]
        if head is None:
            return _wire_headers(
                request, self.headers(None, None, json=True, direct=True), content
            )
        return httpx.Headers(
            [
                *head,
                (b"x-api-key", self.api_key.value.encode("ascii")),
                (b"Content-Length", str(len(content)).encode("ascii")),
            ]
        )

    @staticmethod
    def decode(response: httpx.Response, cls: type[_Model]) -> _Model | None:
        """Return the model a successful answer holds, None for no content.

        Raises:
            MalformedResponseError: The body is not the JSON of ``cls``.
        """
        if response.status_code == 204 or (  # noqa: PLR2004
            not response.content and response.status_code != 200  # noqa: PLR2004
        ):
            return None
        try:
            return decode_response(
                response.content, response.headers.get("content-type", ""), cls
            )
        except DecodeError as exc:
            raise MalformedResponseError(
                str(exc), response.status_code, response.text, response
            ) from exc


def _wire_headers(
    request: httpx.Request, fields: Mapping[str, str], content: bytes | None
) -> httpx.Headers:
    """Return the headers ``httpx.Request`` gives a request with *fields* and *content*.

    The same headers in the same order: ``Host`` first, then *fields*, then
    the body's ``Content-Length`` (or ``Content-Length: 0`` after ``Host``
    for a POST without a body), each added only if *fields* lacks it.
    """
    given = {name.lower() for name in fields}
    items: list[tuple[str, str]] = []
    if "host" not in given and request.url.host:
        items.append(("Host", request.url.netloc.decode("ascii")))
    items.extend(fields.items())
    if "content-length" not in given and "transfer-encoding" not in given:
        if content:
            items.append(("Content-Length", str(len(content))))
        elif request.method in {"POST", "PUT", "PATCH"}:
            items.insert(len(items) - len(fields), ("Content-Length", "0"))
    return httpx.Headers(items)


def _failure_name(failure: httpx.Response | Exception) -> str:
    if isinstance(failure, httpx.Response):
        return type(error_from_response(failure)).__name__
    return type(failure).__name__


async def send_once(
    client: httpx.AsyncClient,
    direct: httpx.AsyncBaseTransport | None,
    request: httpx.Request,
    max_size: int,
) -> httpx.Response:
    """Send once and read the body, mapping what only a response can mean.

    Through *direct*, the client's own transport, when given; else through
    the client. At most *max_size* decoded bytes of the body are read: a
    longer error answer keeps its first *max_size* bytes, a longer success
    raises `ResponseTooLargeError`.
    """
    started = time.perf_counter()
    try:
        if direct is not None:
            response = await direct.handle_async_request(request)
            response.request = request  # as the client would
        else:
            # Never follow a redirect, whatever the injected client says:
            # the request carries the key (a 3xx becomes RedirectError).
            response = await client.send(request, stream=True, follow_redirects=False)
    except httpx.HTTPStatusError as exc:
        # Raised by an event hook of an injected client (raise_for_status):
        # the answer is mapped like any other error status.
        response = unread_body_dropped(exc.response)
    try:
        too_large = await read_bounded(response, max_size)
        if direct is not None:
            response.elapsed = dt.timedelta(seconds=time.perf_counter() - started)
    except httpx.DecodingError as exc:
        raise MalformedResponseError(
            "the response body could not be decoded (Content-Encoding)",
            response.status_code,
            "",
            response,
        ) from exc
    finally:
        await response.aclose()
    if too_large and 200 <= response.status_code < 300:  # noqa: PLR2004
        raise ResponseTooLargeError(
            f"{request.method} {request.url.path}: the answer is longer than "
            f"max_response_size ({max_size:,} bytes once decoded); the rest was "
            "not read",
            response.status_code,
            "",
            response,
        )
    return response


def _cause(exc: Exception) -> Exception | None:
    # h11 quotes the offending header in a LocalProtocolError, and a header
    # can hold the key: such a cause is dropped rather than shown.
    return None if isinstance(exc, httpx.LocalProtocolError) else exc
