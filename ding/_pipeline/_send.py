"""The request pipeline: build a request, retry, map failures, redact.

Every operation of `ding.AsyncDing` goes through `Pipeline.send`: build the
`httpx.Request` (headers, key, timeout), send each attempt through the pool
of `ding._transport._pool` within its bound (`ding._pipeline._deadline`),
ask `ding._pipeline._retry.RetryPolicy` whether a failed attempt is tried
again, map every failure onto the `ding.DingError` tree
(`ding._pipeline._failures` for answers, `connection_error` for the rest),
redact the key from the sent request and decode the body through
`ding._schema._converter`.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from typing import TYPE_CHECKING, Final, Protocol, TypeVar

import anyio
import attrs
import httpx
from attrs import AttrsInstance

from ding._config import (
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TOTAL_TIMEOUT,
    ENV_CUSTOMER_UUID,
    NotGiven,
    Secret,
    TimeoutTypes,
    merge_headers,
    to_timeout,
)
from ding._errors import (
    APIConnectionError,
    APITimeoutError,
    MalformedResponseError,
    UsageError,
)
from ding._pipeline._deadline import asyncio_timeout, attempt_bound
from ding._pipeline._explain import add_hint, connection_error
from ding._pipeline._failures import error_from_response
from ding._pipeline._log import logged, request_line
from ding._schema._converter import DecodeError, decode_response, encode_request
from ding._transport._body import ACCEPT_ENCODING
from ding._transport._pool import Lane, Pool
from ding._transport._reuse import Exchange

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping, Sequence

    from ding._pipeline._retry import RetryPolicy
    from ding._pipeline._telemetry import Telemetry

__all__ = ["REDACTED", "Lane", "Pipeline", "Pool", "RequestModel"]

_logger: Final = logging.getLogger("ding")

_Model = TypeVar("_Model", bound=AttrsInstance)

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
    #: The region a national phone number is read in (`ding._schema._phone`).
    default_region: str | None = None
    #: Spans and metrics (`ding._pipeline._telemetry`); None without
    #: OpenTelemetry.
    telemetry: Telemetry | None = None
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
        operation: str,
        template: str | None = None,
        body: object = None,
        params: Mapping[str, str | Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutTypes | NotGiven,
        extra_headers: Mapping[str, str] | None,
    ) -> tuple[httpx.Response, _Model | None]:
        """Send one operation, retrying what is safe; map every failure.

        *operation* names it (``otp.check``) and *template* is its path with
        the placeholders left in (``/lookup/{phone_number}``; *path* if
        None), for the spans and metrics.
        """
        sending = self._send(
            method,
            path,
            response_cls,
            template=path if template is None else template,
            body=body,
            params=params,
            headers=headers,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        telemetry = self.telemetry
        if telemetry is None or not telemetry.active():
            return await sending
        return await telemetry.operation(operation, _url(self.server_url), sending)

    async def _send(
        self,
        method: str,
        path: str,
        response_cls: type[_Model],
        *,
        template: str,
        body: object,
        params: Mapping[str, str | Sequence[str]] | None,
        headers: Mapping[str, str] | None,
        timeout: TimeoutTypes | NotGiven,
        extra_headers: Mapping[str, str] | None,
    ) -> tuple[httpx.Response, _Model | None]:
        content: bytes | None = None
        if body is not None:
            try:
                content = encode_request(body)
            except (TypeError, ValueError) as exc:
                raise UsageError(
                    f"the {type(body).__name__} cannot be sent as JSON: {exc}",
                ) from None
        per_try = self.timeout if isinstance(timeout, NotGiven) else to_timeout(timeout)
        lane = self.pool.get() or await self.pool.open()
        client = lane.client
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
                lane,
                direct,
                request,
                template,
                attempt_bound(per_try if per_try is not None else client.timeout),
            )
        finally:
            # The key has been sent. The request object outlives this call (on
            # the response and on errors), so it must not show the key.
            request.headers["x-api-key"] = REDACTED
        return response, self.decode(response, response_cls)

    async def _send_with_retries(
        self,
        lane: Lane,
        direct: httpx.AsyncBaseTransport | None,
        request: httpx.Request,
        template: str,
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
        while True:
            failure: httpx.Response | Exception
            try:
                exchange = Exchange()
                response = await self._observed(
                    self._attempt(
                        lane, direct, request, per_attempt, deadline, exchange=exchange
                    ),
                    request,
                    template,
                    retry,
                    exchange,
                )
            except (httpx.HTTPError, OSError) as exc:
                failure = exc
            except RuntimeError as exc:
                # httpx and anyio raise RuntimeError for a client used after
                # close or across event loops.
                raise APIConnectionError(
                    f"{request_line(request)}: the HTTP client cannot send: {exc}",
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
                    template.split("/", 2)[1],
                    _failure_name(failure),
                    retry,
                    wait,
                )
            await anyio.sleep(wait)

    def _observed(
        self,
        sending: Awaitable[httpx.Response],
        request: httpx.Request,
        template: str,
        retry: int,
        exchange: Exchange,
    ) -> Awaitable[httpx.Response]:
        """Return *sending*, logged and traced as the settings ask (or as it is).

        Logged by `ding._pipeline._log`, traced by `ding._pipeline._telemetry`.
        """
        if _logger.isEnabledFor(logging.INFO):
            sending = logged(sending, request, retry + 1, exchange)
        telemetry = self.telemetry
        if telemetry is not None:
            sending = (
                telemetry.attempt(sending, request, template, retry, exchange)
                if telemetry.active()
                else telemetry.unrecorded(sending)
            )
        return sending

    async def _attempt(
        self,
        lane: Lane,
        direct: httpx.AsyncBaseTransport | None,
        request: httpx.Request,
        per_attempt: float | None,
        deadline: float | None,
        *,
        exchange: Exchange,
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
                    return await lane.send(
                        direct, request, self.max_response_size, exchange
                    )
            except TimeoutError:
                if not bound.expired():
                    raise  # not the bound's: the transport's own
        else:
            with anyio.move_on_after(limit):
                return await lane.send(
                    direct, request, self.max_response_size, exchange
                )
        if deadline is not None and time.monotonic() >= deadline:
            raise self._total_timeout_error(request)
        raise httpx.ReadTimeout(
            f"the attempt took longer than {per_attempt:g} s", request=request
        )

    def _total_timeout_error(self, request: httpx.Request) -> APITimeoutError:
        return APITimeoutError(
            f"{request_line(request)}: total timeout: the call took "
            f"longer than total_timeout ({self.total_timeout:g} s), retries included",
            request=request,
        )

    async def post(
        self,
        path: str,
        request: RequestModel,
        response_cls: type[_Model],
        *,
        operation: str,
        timeout: TimeoutTypes | NotGiven,
        extra_headers: Mapping[str, str] | None,
    ) -> tuple[httpx.Response, _Model | None]:
        """Send a request model, its customer UUID defaulted from the client."""
        body = attrs.evolve(request, customer_uuid=self.customer(request.customer_uuid))  # type: ignore[misc]  # mypy's attrs plugin cannot see the attrs class behind the protocol
        return await self.send(
            "POST",
            path,
            response_cls,
            operation=operation,
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


def _cause(exc: Exception) -> Exception | None:
    # h11 quotes the offending header in a LocalProtocolError, and a header
    # can hold the key: such a cause is dropped rather than shown.
    return None if isinstance(exc, httpx.LocalProtocolError) else exc
