"""`AsyncDing`: the request pipeline and the operations, written once.

Everything that touches the network lives here: building requests, retries,
timeouts, mapping every failure onto the `ding.DingError` tree and decoding
bodies through the one cattrs converter. The sync `ding.Ding` is generated
from the classes in this module (``scripts/generate_sync.py``): every public
``Async*`` class, its public methods, properties and aliases.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar, cast
from urllib.parse import quote

import anyio
import anyio.lowlevel
import attrs
import httpx
from attrs import AttrsInstance

from ding._config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_CUSTOMER_UUID,
    NOT_GIVEN,
    SERVERS,
    USER_AGENT,
    NotGiven,
    TimeoutTypes,
    shared_ssl_context,
    to_timeout,
)
from ding._converter import DecodeError, structure_response, unstructure_request
from ding._errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientError,
    ErrorResponse,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    SDKError,
    ServerError,
    UsageError,
)
from ding._models import (
    AuthenticationStatusResponse,
    Code,
    CreateAuthenticationRequest,
    CreateAuthenticationResponse,
    CreateCheckRequest,
    CreateCheckResponse,
    DeviceType,
    FeedbackRequest,
    FeedbackRequestStatus,
    FeedbackResponse,
    GetAuthenticationStatusResponse,
    LookupRequest,
    LookupResponse,
    LookupType,
    PostAuthenticationResponse,
    PostCheckResponse,
    PostFeedbackResponse,
    PostLookupResponse,
    PostRetryResponse,
    RetryAuthenticationRequest,
    RetryAuthenticationResponse,
)
from ding._retry import MAX_RETRY_AFTER, RetryConfig, RetryPolicy, parse_retry_after

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["AsyncDing", "AsyncLookup", "AsyncOtp"]

_logger: Final = logging.getLogger("ding")

_Model = TypeVar("_Model", bound=AttrsInstance)


class _RequestModel(AttrsInstance, Protocol):
    """A request model that carries a customer UUID."""

    @property
    def customer_uuid(self) -> str | None: ...


_JSON_MEDIA_TYPES: Final = ("application/json",)
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Printable ASCII, no leading or trailing space (which h11 would refuse).
_HEADER_VALUE: Final = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?")
_MAX_JSON_DEPTH: Final = 64
_QUOTE, _BACKSLASH = b'"'[0], b"\\"[0]
_OPENERS, _CLOSERS = frozenset(b"[{"), frozenset(b"]}")
#: What the API key is replaced with on a request once it has been sent.
REDACTED: Final = "[redacted]"
_ERROR_CLASSES: Final[Mapping[int, type[SDKError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
}


class _Secret:
    """A string that never shows itself in a repr, a log or a traceback."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<redacted>"

    __str__ = __repr__


@attrs.define
class _Pool:
    """The httpx client a family of `with_options` copies shares.

    The client is created on first use. A client the SDK created is replaced
    (never closed) when the process forked or the event loop changed, since
    its connections belong to the parent process or to a dead loop.
    """

    injected: httpx.AsyncClient | None
    client: httpx.AsyncClient | None = None
    owner_pid: int = 0
    owner_loop: object = None
    closed: bool = False

    def get(self) -> httpx.AsyncClient:
        if self.closed:
            raise UsageError("this client is closed; create a new one")
        if self.injected is not None:
            if self.injected.is_closed:
                raise UsageError("the httpx.AsyncClient passed as client= is closed")
            return self.injected
        loop = anyio.lowlevel.current_token().native_token
        if (
            self.client is None
            or self.owner_pid != os.getpid()
            or self.owner_loop is not loop
        ):
            self.client = httpx.AsyncClient(
                verify=shared_ssl_context(),
                timeout=DEFAULT_TIMEOUT,
                follow_redirects=False,
            )
            self.owner_pid = os.getpid()
            self.owner_loop = loop
        return self.client

    async def aclose(self) -> None:
        self.closed = True
        client, self.client = self.client, None
        # Only a client the SDK created, on this process and this loop, is
        # closed: an injected one belongs to the caller.
        if client is not None and self.owner_pid == os.getpid():
            try:
                same_loop = (
                    anyio.lowlevel.current_token().native_token is self.owner_loop
                )
            except RuntimeError:  # pragma: no cover - aclose() is always awaited
                same_loop = False
            if same_loop:
                await client.aclose()


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _check_header_value(name: str, value: object) -> None:
    # httpx would raise UnicodeEncodeError or a protocol error deep inside the
    # send, quoting the value; refuse early, without the value.
    if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
        raise UsageError(
            f"{name} must be a string of printable ASCII characters "
            "without leading or trailing spaces",
        )


def _merge_headers(
    base: Mapping[str, str],
    extra: Mapping[str, str] | None,
) -> dict[str, str]:
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
        _check_header_value(f"header {name!r}", value)
        merged[name.lower()] = value
    return merged


def _check_max_retries(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError("max_retries must be a non-negative integer")


def _resolve_server_url(
    server_url: str | None,
    server_idx: int | None,
    url_params: Mapping[str, str] | None,
) -> str:
    if server_url is not None and not isinstance(cast("object", server_url), str):
        raise UsageError("server_url must be a string")
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
    url = server_url or _env(ENV_BASE_URL) or DEFAULT_BASE_URL
    if url_params:
        for key, value in url_params.items():
            if not isinstance(cast("object", value), str):
                raise UsageError(f"url_params[{key!r}] must be a string")
            url = url.replace("{" + key + "}", value)
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UsageError(f"server_url is not a valid URL: {url!r}") from exc
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise UsageError(f"server_url must be an absolute http(s) URL, got {url!r}")
    return url.rstrip("/")


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in _JSON_MEDIA_TYPES or media_type.endswith("+json")


def _error_for_status(response: httpx.Response, message: str) -> SDKError:
    status = response.status_code
    cls = _ERROR_CLASSES.get(status)
    if cls is None:
        if 500 <= status < 600:  # noqa: PLR2004
            cls = ServerError
        elif 400 <= status < 500:  # noqa: PLR2004
            cls = ClientError
        else:
            cls = SDKError
    return cls(message, status, response.text, response)


def _nesting_depth(content: bytes) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for byte in content:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif byte in _CLOSERS:
            depth -= 1
    return deepest


def _loads(content: bytes) -> object:
    """Parse JSON, refusing absurd nesting before the parser recurses into it.

    A RecursionError inside the C parser is recoverable but has been seen to
    upset the interpreter afterwards, so it is never provoked: a body with
    more brackets than any Ding answer has is measured first.
    """
    if (
        content.count(b"[") + content.count(b"{") > _MAX_JSON_DEPTH
        and _nesting_depth(content) > _MAX_JSON_DEPTH
    ):
        raise ValueError(f"JSON nested deeper than {_MAX_JSON_DEPTH} levels")
    return json.loads(content)


def _decode_json(response: httpx.Response) -> object:
    try:
        return _loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise MalformedResponseError(
            "response body is not valid JSON",
            response.status_code,
            response.text,
            response,
        ) from exc


def _error_response(response: httpx.Response) -> ErrorResponse | SDKError:
    """Map a 400 answer: a Ding error body, or a generic `BadRequestError`."""
    content_type = response.headers.get("content-type", "")
    if not _is_json(content_type):
        return _error_for_status(
            response, f"unknown content-type received: {content_type}"
        )
    try:
        data = _loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _error_for_status(response, "API error occurred")
    if not isinstance(data, dict):
        return _error_for_status(response, "API error occurred")
    fields = cast("dict[str, object]", data)
    code, message, doc_url = (fields.get(k) for k in ("code", "message", "doc_url"))
    return ErrorResponse(
        code=_open_code(code) if isinstance(code, str) else None,
        message=message if isinstance(message, str) else None,
        doc_url=doc_url if isinstance(doc_url, str) else None,
        raw_response=response,
    )


def _open_code(code: str) -> Code | str:
    try:
        return Code(code)
    except ValueError:
        return code  # a code newer than this SDK: kept as the raw string


def _build_request(
    cls: type[_Model],
    request: _Model | Mapping[str, Any] | None,
    fields: Mapping[str, Any],
) -> _Model:
    given = {k: v for k, v in fields.items() if v is not None}
    if request is not None:
        if given:
            raise UsageError(
                "pass either a request object or keyword fields, not both "
                f"(got request and {', '.join(sorted(given))})",
            )
        if isinstance(request, cls):
            return request
        if not isinstance(request, Mapping):
            raise UsageError(
                f"request must be a {cls.__name__} or a mapping, "
                f"not {type(request).__name__}",
            )
        given = dict(cast("Mapping[str, Any]", request))  # type: ignore[redundant-cast] # pyright infers Mapping[Unknown, Unknown]
    try:
        return cls(**given)
    except TypeError as exc:
        missing = [
            a.name
            for a in attrs.fields(cls)
            if a.default is attrs.NOTHING and a.name not in given
        ]
        unknown = sorted(set(given) - {a.name for a in attrs.fields(cls)})
        if missing:
            detail = f"missing required field(s): {', '.join(missing)}"
        elif unknown:
            detail = f"unknown field(s): {', '.join(unknown)}"
        else:  # pragma: no cover - attrs raises TypeError only for the two above
            detail = str(exc)
        raise UsageError(f"invalid {cls.__name__}: {detail}") from None


def _path_segment(name: str, value: object) -> str:
    if not isinstance(value, str) or not value or value in {".", ".."}:
        raise UsageError(f"{name} must be a non-empty string other than '.' and '..'")
    # Percent-encode everything, '+' and '/' included, so a value can never
    # change the path it is sent to.
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:
        raise UsageError(f"{name} is not valid text (lone surrogate)") from None


class AsyncDing:
    """The Ding OTP API client, for ``await`` in async code (asyncio or trio).

    Operations live on two namespaces: ``client.otp`` (send, check, retry,
    status, feedback) and ``client.lookup`` (number lookup). Use the client as
    ``async with AsyncDing(...) as client:`` or call `aclose` when done.

    Args:
        api_key: The API key, sent as ``x-api-key``. Defaults to the
            ``DING_API_KEY`` environment variable; an empty string is allowed.
        server_idx: Index into ``ding.SERVERS`` (the seed SDK's knob).
        server_url: Base URL of the API. Defaults to ``DING_BASE_URL``, then
            ``https://api.ding.live/v1``.
        url_params: Values for ``{name}`` placeholders in ``server_url``.
        client: An `httpx.AsyncClient` to send requests through. Its
            transport, proxies, TLS settings, headers, event hooks and
            timeouts are respected, and the SDK never closes it.
        retry_config: Seed-era `ding.RetryConfig`; overrides the backoff.
        customer_uuid: The default customer UUID for every operation.
            Defaults to ``DING_CUSTOMER_UUID``.
        timeout: Per-attempt timeout: seconds, an `httpx.Timeout`, or None
            for none. Defaults to 5 s to connect and 15 s per read or write
            (or the injected client's timeout).
        max_retries: How many times a safely retryable failure is retried
            (default 2). See `ding._retry` for exactly what is retried.
        default_headers: Extra headers sent with every request.

    Raises:
        UsageError: No API key was given or found, or a setting is invalid.
    """

    otp: AsyncOtp
    lookup: AsyncLookup

    def __init__(  # noqa: PLR0917 - the seed SDK took these positionally
        self,
        api_key: str | None = None,
        server_idx: int | None = None,
        server_url: str | None = None,
        url_params: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        retry_config: RetryConfig | None = None,
        *,
        customer_uuid: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get(ENV_API_KEY)
        if api_key is None:
            raise UsageError(
                f"no API key: pass api_key=... or set the {ENV_API_KEY} "
                "environment variable",
            )
        _check_header_value("api_key", api_key)
        if not isinstance(cast("object", client), httpx.AsyncClient | None):
            raise UsageError(
                "client must be an httpx.AsyncClient, "
                f"not {type(client).__module__}.{type(client).__qualname__}",
            )
        _check_max_retries(max_retries)
        timeout_: httpx.Timeout | None
        if isinstance(timeout, NotGiven):
            timeout_ = None if client is not None else DEFAULT_TIMEOUT
        else:
            timeout_ = to_timeout(timeout)
        headers = {"accept": "application/json", "user-agent": USER_AGENT}
        if client is not None and "user-agent" in client.headers:
            user_agent = client.headers["user-agent"]
            if not user_agent.startswith("python-httpx/"):
                headers["user-agent"] = user_agent
        self._bind(
            _Pipeline(
                api_key=_Secret(api_key),
                server_url=_resolve_server_url(server_url, server_idx, url_params),
                customer_uuid=customer_uuid or _env(ENV_CUSTOMER_UUID),
                timeout=timeout_,
                policy=(
                    RetryPolicy(max_retries=max_retries)
                    if retry_config is None
                    else RetryPolicy.from_seed(max_retries, retry_config)
                ),
                default_headers=_merge_headers(headers, default_headers),
                pool=_Pool(injected=client),
            ),
        )

    def _bind(self, pipeline: _Pipeline) -> None:
        self._pipeline = pipeline
        self.otp = AsyncOtp(pipeline)
        self.lookup = AsyncLookup(pipeline)

    @property
    def server_url(self) -> str:
        """The base URL requests are sent to."""
        return self._pipeline.server_url

    @property
    def customer_uuid(self) -> str | None:
        """The customer UUID used when an operation is not given one."""
        return self._pipeline.customer_uuid

    @property
    def max_retries(self) -> int:
        """How many times a safely retryable failure is retried."""
        return self._pipeline.policy.max_retries

    def with_options(
        self,
        *,
        api_key: str | None = None,
        customer_uuid: str | None = None,
        server_url: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> AsyncDing:
        """Return a copy with some settings changed, sharing the connection pool.

        Arguments left out keep this client's value; ``default_headers`` are
        merged over this client's headers. Closing any copy closes the shared
        pool.

        Returns:
            The new client.

        Raises:
            UsageError: A setting is invalid.
        """
        pipeline = self._pipeline
        changes: dict[str, Any] = {}
        if api_key is not None:
            _check_header_value("api_key", api_key)
            changes["api_key"] = _Secret(api_key)
        if customer_uuid is not None:
            changes["customer_uuid"] = customer_uuid
        if server_url is not None:
            changes["server_url"] = _resolve_server_url(server_url, None, None)
        if not isinstance(timeout, NotGiven):
            changes["timeout"] = to_timeout(timeout)
        if max_retries is not None:
            _check_max_retries(max_retries)
            changes["policy"] = attrs.evolve(pipeline.policy, max_retries=max_retries)
        if default_headers:
            changes["default_headers"] = _merge_headers(
                pipeline.default_headers,
                default_headers,
            )
        new = object.__new__(type(self))
        new._bind(attrs.evolve(pipeline, **changes))
        return new

    async def aclose(self) -> None:
        """Close the connection pool, unless it was injected by the caller.

        Safe to call more than once. The client cannot be used afterwards.
        """
        await self._pipeline.pool.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(server_url={self.server_url!r}, "
            f"customer_uuid={self.customer_uuid!r})"
        )


@attrs.frozen(kw_only=True)
class _Pipeline:
    """The settings of one client and the request pipeline that uses them.

    `AsyncDing.with_options` evolves a copy; every copy shares the `_Pool`.
    """

    api_key: _Secret
    server_url: str
    customer_uuid: str | None
    timeout: httpx.Timeout | None
    policy: RetryPolicy
    default_headers: Mapping[str, str]
    pool: _Pool

    def customer(self, given: str | None) -> str:
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
                content = json.dumps(
                    unstructure_request(body), allow_nan=False
                ).encode()
            except (TypeError, ValueError) as exc:
                raise UsageError(
                    f"the {type(body).__name__} cannot be sent as JSON: {exc}",
                ) from None
        per_try = self.timeout if isinstance(timeout, NotGiven) else to_timeout(timeout)
        client = self.pool.get()
        try:
            request = client.build_request(
                method,
                self.server_url + path,
                content=content,
                params=params,
                # Built inline so that no local variable of this frame holds
                # the key (tracebacks that show locals stay clean).
                headers=self.headers(headers, extra_headers, json=content is not None),
                timeout=per_try if per_try is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise UsageError(f"cannot build the request for {method} {path}") from exc
        try:
            response = await self._send_with_retries(client, request, path)
        finally:
            # The key has been sent. The request object outlives this call (on
            # the response and on errors), so it must not show the key.
            request.headers["x-api-key"] = REDACTED
        return response, self.decode(response, response_cls)

    async def _send_with_retries(  # noqa: C901, PLR0912 - the one retry loop, kept whole
        self,
        client: httpx.AsyncClient,
        request: httpx.Request,
        path: str,
    ) -> httpx.Response:
        policy = self.policy
        method = request.method
        is_get = method == "GET"
        started = time.monotonic()
        retry = 0
        while True:
            wait: float | None = None
            try:
                response = await _send_once(client, request)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # The request never reached the server: always safe to retry.
                if not policy.retry_connection_errors or retry >= policy.max_retries:
                    raise _connection_error(exc, request) from _cause(exc)
                wait = policy.delay(retry)
                error: Exception = exc
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if not is_get or retry >= policy.max_retries:
                    raise _connection_error(exc, request) from _cause(exc)
                wait = policy.delay(retry)
                error = exc
            except (httpx.HTTPError, OSError) as exc:
                raise _connection_error(exc, request) from _cause(exc)
            except RuntimeError as exc:
                # httpx and anyio raise RuntimeError for a client used after
                # close or across event loops.
                raise APIConnectionError(
                    f"{method} {request.url.path}: the HTTP client cannot send: {exc}",
                    request=request,
                ) from exc
            else:
                status = response.status_code
                if 200 <= status < 300:  # noqa: PLR2004
                    return response
                if retry < policy.max_retries:
                    wait = _retry_wait(response, policy, retry, is_get=is_get)
                if wait is None:
                    if status == 400:  # noqa: PLR2004
                        raise _error_response(response)
                    raise _error_for_status(response, "API error occurred")
                error = _error_for_status(response, "API error occurred")
            if time.monotonic() - started + wait > policy.max_elapsed:
                if isinstance(error, httpx.HTTPError):
                    raise _connection_error(error, request) from _cause(error)
                raise error
            retry += 1
            if _logger.isEnabledFor(logging.DEBUG):
                _logger.debug(
                    "%s %s failed (%s); retry %d in %.2fs",
                    method,
                    path.split("/", 2)[1],
                    type(error).__name__,
                    retry,
                    wait,
                )
            await anyio.sleep(wait)

    async def post(
        self,
        path: str,
        request: _RequestModel,
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
    ) -> dict[str, str]:
        result = _merge_headers(self.default_headers, extra_headers)
        if json:
            result["content-type"] = "application/json"
        if headers:
            result.update(headers)
        result["x-api-key"] = self.api_key.value
        return result

    @staticmethod
    def decode(response: httpx.Response, cls: type[_Model]) -> _Model | None:
        if response.status_code == 204 or (  # noqa: PLR2004
            not response.content and response.status_code != 200  # noqa: PLR2004
        ):
            return None
        content_type = response.headers.get("content-type", "")
        if not _is_json(content_type):
            raise MalformedResponseError(
                f"unknown content-type received: {content_type}",
                response.status_code,
                response.text,
                response,
            )
        data = _decode_json(response)
        try:
            return structure_response(data, cls)
        except DecodeError as exc:
            raise MalformedResponseError(
                f"response body does not match {cls.__name__}: {exc}",
                response.status_code,
                response.text,
                response,
            ) from exc


def _meta(response: httpx.Response) -> dict[str, Any]:
    """Return the envelope fields every operation result shares."""
    return {
        "content_type": response.headers.get("content-type", ""),
        "status_code": response.status_code,
        "raw_response": response,
    }


def _retry_wait(
    response: httpx.Response,
    policy: RetryPolicy,
    retry: int,
    *,
    is_get: bool,
) -> float | None:
    status = response.status_code
    if status in {429, 503}:
        asked = parse_retry_after(response.headers.get("retry-after"))
        if asked is not None:
            return asked if asked <= MAX_RETRY_AFTER else None
    if is_get and (status == 429 or 500 <= status < 600):  # noqa: PLR2004
        return policy.delay(retry)
    return None


async def _send_once(
    client: httpx.AsyncClient, request: httpx.Request
) -> httpx.Response:
    """Send once and read the whole body, mapping what only a response can mean."""
    try:
        response = await client.send(request, stream=True)
    except httpx.HTTPStatusError as exc:
        # Raised by an event hook of an injected client (raise_for_status):
        # the answer is mapped like any other error status.
        response = exc.response
    try:
        await response.aread()
    except httpx.DecodingError as exc:
        raise MalformedResponseError(
            "the response body could not be decoded (Content-Encoding)",
            response.status_code,
            "",
            response,
        ) from exc
    finally:
        await response.aclose()
    return response


def _cause(exc: Exception) -> Exception | None:
    # h11 quotes the offending header in a LocalProtocolError, and a header
    # can hold the key: such a cause is dropped rather than shown.
    return None if isinstance(exc, httpx.LocalProtocolError) else exc


def _connection_error(exc: Exception, request: httpx.Request) -> APIConnectionError:
    if isinstance(exc, httpx.LocalProtocolError):
        return APIConnectionError(
            f"{request.method} {request.url.path}: the request could not be sent "
            "(invalid HTTP); check the headers and the server URL",
            request=request,
        )
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__.removesuffix("Timeout").lower() or "request"
        return APITimeoutError(
            f"{request.method} {request.url.path}: {kind} timeout",
            request=request,
        )
    return APIConnectionError(
        f"{request.method} {request.url.path}: {type(exc).__name__}: {exc}",
        request=request,
    )


class AsyncOtp:
    """Send one-time codes, check them, retry the send (``client.otp``)."""

    def __init__(self, pipeline: _Pipeline) -> None:
        self._pipeline = pipeline

    async def create_authentication(
        self,
        request: CreateAuthenticationRequest | Mapping[str, Any] | None = None,
        *,
        phone_number: str | None = None,
        customer_uuid: str | None = None,
        ip: str | None = None,
        device_id: str | None = None,
        device_type: DeviceType | str | None = None,
        app_version: str | None = None,
        sender_id: str | None = None,
        callback_url: str | None = None,
        app_realm: str | None = None,
        os_version: str | None = None,
        device_model: str | None = None,
        is_returning_user: bool | None = None,
        template_id: str | None = None,
        correlation_id: str | None = None,
        locale: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostAuthenticationResponse:
        """Send a code to a phone number (``POST /authentication``).

        Pass a `CreateAuthenticationRequest` (or a mapping of its fields), or
        the fields as keywords. ``customer_uuid`` defaults to the client's.

        Not retried once the request may have reached the server: a second
        attempt could send a second SMS.

        Returns:
            The envelope; ``.create_authentication_response`` holds the
            ``authentication_uuid``, ``status`` (``pending``, ``rate_limited``
            or ``spam_detected``) and ``expires_at``.

        Raises:
            ErrorResponse: Ding refused the request (e.g. ``invalid_phone_number``).
            SDKError: Any other error status, or an unreadable body.
            APIConnectionError: The request failed in transit.
            UsageError: The arguments are invalid; nothing was sent.
        """
        req = _build_request(
            CreateAuthenticationRequest,
            request,
            {
                "phone_number": phone_number,
                "customer_uuid": customer_uuid,
                "ip": ip,
                "device_id": device_id,
                "device_type": device_type,
                "app_version": app_version,
                "sender_id": sender_id,
                "callback_url": callback_url,
                "app_realm": app_realm,
                "os_version": os_version,
                "device_model": device_model,
                "is_returning_user": is_returning_user,
                "template_id": template_id,
                "correlation_id": correlation_id,
                "locale": locale,
            },
        )
        response, body = await self._pipeline.post(
            "/authentication",
            req,
            CreateAuthenticationResponse,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return PostAuthenticationResponse(
            **_meta(response), create_authentication_response=body
        )

    #: The seed SDK's name for `create_authentication`.
    post_authentication = create_authentication
    #: The 2023 official SDK's (misspelt) name for `create_authentication`.
    create_autentication = create_authentication

    async def check(
        self,
        request: CreateCheckRequest | Mapping[str, Any] | None = None,
        *,
        authentication_uuid: str | None = None,
        check_code: str | None = None,
        customer_uuid: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostCheckResponse:
        """Check the code the user typed (``POST /check``).

        Returns:
            The envelope; ``.create_check_response.status`` is ``valid``,
            ``invalid``, ``rate_limited``, ``already_validated``,
            ``expired_auth``, ``without_attempt`` (or a newer value, as a str).

        Raises:
            ErrorResponse: Ding refused the request (e.g. ``invalid_auth_uuid``).
            SDKError: Any other error status, or an unreadable body.
            APIConnectionError: The request failed in transit.
            UsageError: The arguments are invalid; nothing was sent.
        """
        req = _build_request(
            CreateCheckRequest,
            request,
            {
                "authentication_uuid": authentication_uuid,
                "check_code": check_code,
                "customer_uuid": customer_uuid,
            },
        )
        response, body = await self._pipeline.post(
            "/check",
            req,
            CreateCheckResponse,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return PostCheckResponse(**_meta(response), create_check_response=body)

    #: The seed SDK's name for `check`.
    post_check = check

    async def retry(
        self,
        request: RetryAuthenticationRequest | Mapping[str, Any] | None = None,
        *,
        authentication_uuid: str | None = None,
        customer_uuid: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostRetryResponse:
        """Send the code again (``POST /retry``).

        Returns:
            The envelope; ``.retry_authentication_response`` holds ``status``
            (``approved``, ``denied``, ...), ``next_retry_at`` and
            ``remaining_retry``.

        Raises:
            ErrorResponse: Ding refused the request.
            SDKError: Any other error status, or an unreadable body.
            APIConnectionError: The request failed in transit.
            UsageError: The arguments are invalid; nothing was sent.
        """
        req = _build_request(
            RetryAuthenticationRequest,
            request,
            {
                "authentication_uuid": authentication_uuid,
                "customer_uuid": customer_uuid,
            },
        )
        response, body = await self._pipeline.post(
            "/retry",
            req,
            RetryAuthenticationResponse,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return PostRetryResponse(**_meta(response), retry_authentication_response=body)

    #: The seed SDK's name for `retry`.
    post_retry = retry

    async def get_authentication_status(
        self,
        auth_uuid: str,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> GetAuthenticationStatusResponse:
        """Read an authentication's history (``GET /authentication/{auth_uuid}``).

        Retried on connection failures, timeouts, 429 and 5xx answers.

        Returns:
            The envelope; ``.authentication_status_response.events`` lists the
            attempts, checks, delivery statuses and balance updates.

        Raises:
            ErrorResponse: Ding refused the request (e.g. ``invalid_auth_uuid``).
            SDKError: Any other error status, or an unreadable body.
            APIConnectionError: The request failed in transit.
            UsageError: The arguments are invalid; nothing was sent.
        """
        segment = _path_segment("auth_uuid", auth_uuid)
        response, body = await self._pipeline.send(
            "GET",
            f"/authentication/{segment}",
            AuthenticationStatusResponse,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return GetAuthenticationStatusResponse(
            **_meta(response), authentication_status_response=body
        )

    async def feedback(
        self,
        request: FeedbackRequest | Mapping[str, Any] | None = None,
        *,
        phone_number: str | None = None,
        status: FeedbackRequestStatus | str | None = None,
        customer_uuid: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostFeedbackResponse:
        """Report whether the user finished onboarding (``POST /authentication/feedback``).

        Returns:
            The envelope; ``.feedback_response.uuid`` identifies the feedback.

        Raises:
            ErrorResponse: Ding refused the request (e.g.
                ``duplicated_feedback_status``).
            SDKError: Any other error status, or an unreadable body.
            APIConnectionError: The request failed in transit.
            UsageError: The arguments are invalid; nothing was sent.
        """
        req = _build_request(
            FeedbackRequest,
            request,
            {
                "phone_number": phone_number,
                "status": status,
                "customer_uuid": customer_uuid,
            },
        )
        response, body = await self._pipeline.post(
            "/authentication/feedback",
            req,
            FeedbackResponse,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return PostFeedbackResponse(**_meta(response), feedback_response=body)


class AsyncLookup:
    """Look up a phone number's carrier, line type and more (``client.lookup``)."""

    def __init__(self, pipeline: _Pipeline) -> None:
        self._pipeline = pipeline

    async def lookup(
        self,
        phone_number: str,
        customer_uuid: str | None = None,
        type_: Sequence[LookupType | str] | LookupType | str | None = None,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostLookupResponse:
        """Look up a phone number (``GET /lookup/{phone_number}``).

        Args:
            phone_number: The E.164 number to look up.
            customer_uuid: Defaults to the client's.
            type_: Extra data to ask for: ``"cnam"`` adds ``caller_name``.
            timeout: Per-attempt timeout for this call.
            extra_headers: Headers added to this request only.

        Retried on connection failures, timeouts, 429 and 5xx answers.

        Returns:
            The envelope; ``.lookup_response`` holds carrier, line type, etc.

        Raises:
            ErrorResponse: Ding refused the request (e.g. ``invalid_phone_number``).
            SDKError: Any other error status, or an unreadable body.
            APIConnectionError: The request failed in transit.
            UsageError: The arguments are invalid; nothing was sent.
        """
        segment = _path_segment("phone_number", phone_number)
        customer = self._pipeline.customer(customer_uuid)
        _check_header_value("customer_uuid", customer)
        params: dict[str, str | Sequence[str]] | None = None
        if type_ is not None:
            given = cast("object", type_)
            values = (
                list(cast("Sequence[object]", given))
                if isinstance(given, Sequence) and not isinstance(given, str)
                else [given]
            )
            if not all(isinstance(v, str) for v in values):
                raise UsageError("type_ must be a string or a sequence of strings")
            params = {"type": [str(v) for v in values]}
        response, body = await self._pipeline.send(
            "GET",
            f"/lookup/{segment}",
            LookupResponse,
            params=params,
            headers={"customer-uuid": customer},
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return PostLookupResponse(**_meta(response), lookup_response=body)

    async def post_lookup(
        self,
        customer_uuid: str | None = None,
        lookup_request: LookupRequest | Mapping[str, Any] | None = None,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostLookupResponse:
        """Look up a phone number, the seed SDK's way.

        The seed SDK sent ``POST /lookup`` with a JSON body; that endpoint is
        gone, so this sends today's ``GET /lookup/{phone_number}``.

        Returns:
            The envelope; ``.lookup_response`` holds carrier, line type, etc.

        Raises:
            ErrorResponse: Ding refused the request (e.g. ``invalid_phone_number``).
            SDKError: Any other error status, or an unreadable body.
            APIConnectionError: The request failed in transit.
            UsageError: No phone number was given; nothing was sent.
        """
        req = _build_request(LookupRequest, lookup_request, {})
        return await self.lookup(
            req.phone_number,
            customer_uuid,
            timeout=timeout,
            extra_headers=extra_headers,
        )
