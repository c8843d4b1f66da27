"""`AsyncDing` and its operations: the surface the sync client is generated from.

This module holds what a caller touches: the client, its ``otp`` and
``lookup`` namespaces, and the building of each operation's request from a
request object, a mapping or keywords. Sending, retrying and mapping errors
live in `ding._pipeline`; configuration checks in `ding._config`; decoding
in `ding._schema._converter`. The sync `ding.Ding` is generated from
the classes in this module (``scripts/generate_sync.py``): every public
``Async*`` class, its public methods, properties and aliases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast, overload

import attrs
import httpx
from attrs import AttrsInstance

from ding._config import (
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_TOTAL_TIMEOUT,
    ENV_CUSTOMER_UUID,
    NOT_GIVEN,
    USER_AGENT,
    NotGiven,
    Secret,
    TimeoutTypes,
    check_header_value,
    check_max_response_size,
    check_max_retries,
    check_total_timeout,
    env,
    merge_headers,
    resolve_api_key,
    resolve_server_url,
    server_url_source,
    to_timeout,
)
from ding._errors import UsageError
from ding._lazy import lazy_module
from ding._pipeline._retry import RetryConfig, RetryPolicy
from ding._pipeline._send import Pipeline
from ding._pipeline._telemetry import Telemetry
from ding._schema._phone import check_default_region, to_e164
from ding._schema._validate import check_field_types, path_segment
from ding._transport._pool import Pool

if TYPE_CHECKING:
    from types import TracebackType

    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider
    from typing_extensions import Self

    from ding._schema import _models
    from ding._schema._models import (
        CreateAuthenticationRequest,
        CreateCheckRequest,
        DeviceType,
        DeviceTypeValue,
        FeedbackRequest,
        FeedbackRequestStatus,
        FeedbackStatusValue,
        GetAuthenticationStatusResponse,
        LookupRequest,
        LookupType,
        LookupTypeValue,
        PostAuthenticationResponse,
        PostCheckResponse,
        PostFeedbackResponse,
        PostLookupResponse,
        PostRetryResponse,
        RetryAuthenticationRequest,
    )
else:
    # Built on the first call: see ding._lazy.
    _models = lazy_module("ding._schema._models")

__all__ = ["AsyncDing", "AsyncLookup", "AsyncOtp"]

_Model = TypeVar("_Model", bound=AttrsInstance)


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
            check_field_types(request)
            return request
        if not isinstance(request, Mapping):
            raise UsageError(
                f"request must be a {cls.__name__} or a mapping, "
                f"not {type(request).__name__}",
            )
        given = dict(cast("Mapping[str, Any]", request))  # type: ignore[redundant-cast] # pyright infers Mapping[Unknown, Unknown]
        keys = cast("list[object]", list(given))  # a mapping may hold any key
        odd = [type(name).__name__ for name in keys if not isinstance(name, str)]
        if odd:  # else cls(**given) raises a bare TypeError
            raise UsageError(
                f"invalid {cls.__name__}: field names must be strings, not {odd[0]}"
            )
    try:
        model = cls(**given)
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
    check_field_types(model)
    return model


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
            (or the injected client's timeout). The largest of its values
            also bounds each whole attempt, body included (15 s by default),
            so a server sending a byte at a time cannot stretch it.
        total_timeout: The most seconds one call takes, its attempts and the
            waits between them included (default 60; None for no bound).
            Past it the call raises `ding.APITimeoutError`. For one call,
            use ``client.with_options(total_timeout=...)``.
        max_retries: How many times a safely retryable failure is retried
            (default 2). See `ding._pipeline._retry` for exactly what is retried.
        default_headers: Extra headers sent with every request.
        allow_insecure_http: Accept a plain ``http://`` server URL to a host
            that is not loopback (the key then crosses the network
            unencrypted); ``DING_ALLOW_INSECURE_HTTP=1`` does the same.
            Loopback (``localhost``, ``127.0.0.1``, ``::1``) is always
            accepted.
        max_response_size: The most bytes of a response body read, once
            decoded (default 1 MiB; Ding's answers are a few hundred bytes).
            A longer success raises `ding.ResponseTooLargeError` without
            reading the rest; a longer error answer keeps its first bytes.
        default_region: The country (ISO 3166-1 alpha-2, such as ``"FR"``)
            whose national format phone numbers may be given in:
            ``"06 12 34 56 78"`` is then sent as ``"+33612345678"``. Needs
            the ``phonenumbers`` library (``pip install 'ding[phonenumbers]'``),
            with which every number is sent in E.164 and one that cannot
            exist raises `ding.InvalidPhoneNumberError` before sending.
        tracer_provider: The OpenTelemetry tracer provider of this client's
            spans (default: the global one). Spans and metrics need
            ``opentelemetry-api`` (``pip install 'ding[otel]'``); see the
            tracing guide.
        meter_provider: The OpenTelemetry meter provider of this client's
            metrics (default: the global one).

    Raises:
        UsageError: No API key was given or found, or a setting is invalid
            (including a server URL with credentials, a query or a
            fragment, or plain http elsewhere than loopback).
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
        allow_insecure_http: bool = False,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        total_timeout: float | None = DEFAULT_TOTAL_TIMEOUT,
        default_region: str | None = None,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        key = resolve_api_key(api_key)
        if not isinstance(cast("object", client), httpx.AsyncClient | None):
            raise UsageError(
                "client must be an httpx.AsyncClient, "
                f"not {type(client).__module__}.{type(client).__qualname__}",
            )
        check_max_retries(max_retries)
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
            Pipeline(
                api_key=key,
                server_url=resolve_server_url(
                    server_url,
                    server_idx,
                    url_params,
                    allow_insecure_http=allow_insecure_http,
                ),
                server_url_source=server_url_source(server_url, server_idx),
                allow_insecure_http=allow_insecure_http,
                max_response_size=check_max_response_size(max_response_size),
                total_timeout=check_total_timeout(total_timeout),
                customer_uuid=customer_uuid or env(ENV_CUSTOMER_UUID),
                timeout=timeout_,
                policy=(
                    RetryPolicy(max_retries=max_retries)
                    if retry_config is None
                    else RetryPolicy.from_seed(max_retries, retry_config)
                ),
                default_headers=merge_headers(headers, default_headers),
                pool=Pool(injected=client),
                default_region=check_default_region(default_region),
                telemetry=Telemetry.create(tracer_provider, meter_provider),
            ),
        )

    def _bind(self, pipeline: Pipeline) -> None:
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

    @property
    def default_region(self) -> str | None:
        """The country national phone numbers are read in, or None."""
        return self._pipeline.default_region

    def with_options(
        self,
        *,
        api_key: str | None = None,
        customer_uuid: str | None = None,
        server_url: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        allow_insecure_http: bool | None = None,
        max_response_size: int | None = None,
        total_timeout: float | NotGiven | None = NOT_GIVEN,
        default_region: str | None = None,
    ) -> AsyncDing:
        """Return a copy with some settings changed, sharing the connection pool.

        Arguments left out keep this client's value; ``default_headers`` are
        merged over this client's headers. The copy borrows this client's
        pool: closing the copy, or the end of its context manager, ends the
        copy only, and closing this client closes the pool for every copy.
        The server URL is checked again (see `AsyncDing`) when it or
        ``allow_insecure_http`` changes.

        Returns:
            The new client.

        Raises:
            UsageError: A setting is invalid.
        """
        pipeline = self._pipeline
        changes: dict[str, Any] = {}
        if api_key is not None:
            check_header_value("api_key", api_key)
            changes["api_key"] = Secret(
                api_key, "the api_key argument of with_options()"
            )
        if customer_uuid is not None:
            changes["customer_uuid"] = customer_uuid
        if allow_insecure_http is not None:
            changes["allow_insecure_http"] = allow_insecure_http
        if max_response_size is not None:
            changes["max_response_size"] = check_max_response_size(max_response_size)
        if not isinstance(total_timeout, NotGiven):
            changes["total_timeout"] = check_total_timeout(total_timeout)
        # None keeps this client's region, as for the other arguments.
        changes["default_region"] = (
            check_default_region(default_region) or pipeline.default_region
        )
        if server_url is not None or allow_insecure_http is not None:
            changes["server_url_source"] = (
                pipeline.server_url_source
                if server_url is None
                else "the server_url argument of with_options()"
            )
            changes["server_url"] = resolve_server_url(
                pipeline.server_url if server_url is None else server_url,
                None,
                None,
                allow_insecure_http=changes.get(
                    "allow_insecure_http", pipeline.allow_insecure_http
                ),
            )
        if not isinstance(timeout, NotGiven):
            changes["timeout"] = to_timeout(timeout)
        if max_retries is not None:
            check_max_retries(max_retries)
            changes["policy"] = attrs.evolve(pipeline.policy, max_retries=max_retries)
        if default_headers:
            changes["default_headers"] = merge_headers(
                pipeline.default_headers,
                default_headers,
            )
        changes["pool"] = pipeline.pool.borrow()
        new = object.__new__(type(self))
        new._bind(attrs.evolve(pipeline, **changes))
        return new

    async def aclose(self) -> None:
        """Close the connection pool, unless it was injected by the caller.

        On a `with_options` copy, end the copy only: the pool it borrowed
        stays open for the client it was made from. Safe to call more than
        once. The client cannot be used afterwards.
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

    def __reduce__(self) -> NoReturn:
        refuse_pickling(self)


def refuse_pickling(client: object) -> NoReturn:
    """Raise the `TypeError` for pickling or copying *client*.

    Its connections, and the sync client's event loop, belong to the process
    that made it: a copy in another process could not use them.
    """
    name = type(client).__name__
    raise TypeError(
        f"a ding.{name} cannot be pickled or copied: its connections belong to "
        f"the process that made it. Make one {name} in each process (for example "
        "in each worker, after the fork), or with_options() for a copy that "
        "shares the connections"
    )


_Numbered = TypeVar("_Numbered", "CreateAuthenticationRequest", "FeedbackRequest")


def _with_e164(request: _Numbered, pipeline: Pipeline) -> _Numbered:
    """Return *request* with its phone number in E.164 (see `ding._schema._phone`).

    The caller's request object is left as it is: a changed number goes
    out on a copy.
    """
    number = to_e164(request.phone_number, pipeline.default_region)
    if number == request.phone_number:
        return request
    return attrs.evolve(request, phone_number=number)


def _meta(response: httpx.Response) -> dict[str, Any]:
    """Return the envelope fields every operation result shares."""
    return {
        "content_type": response.headers.get("content-type", ""),
        "status_code": response.status_code,
        "raw_response": response,
    }


class AsyncOtp:
    """Send one-time codes, check them, retry the send (``client.otp``).

    Each operation takes a request object (or a mapping of its fields) or
    the fields as keywords, not both. Its two overloads tell type checkers
    so: in the keyword style the required fields are required.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline

    @overload
    async def create_authentication(
        self,
        request: CreateAuthenticationRequest | Mapping[str, Any],
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostAuthenticationResponse: ...
    @overload
    async def create_authentication(
        self,
        *,
        phone_number: str,
        customer_uuid: str | None = None,
        ip: str | None = None,
        device_id: str | None = None,
        device_type: DeviceType | DeviceTypeValue | None = None,
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
    ) -> PostAuthenticationResponse: ...
    async def create_authentication(
        self,
        request: CreateAuthenticationRequest | Mapping[str, Any] | None = None,
        *,
        phone_number: str | None = None,
        customer_uuid: str | None = None,
        ip: str | None = None,
        device_id: str | None = None,
        device_type: DeviceType | DeviceTypeValue | None = None,
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
        await self._pipeline.pool.prepare()
        req = _build_request(
            _models.CreateAuthenticationRequest,
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
        req = _with_e164(req, self._pipeline)
        response, body = await self._pipeline.post(
            "/authentication",
            req,
            _models.CreateAuthenticationResponse,
            operation="otp.create_authentication",
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return _models.PostAuthenticationResponse(
            **_meta(response), create_authentication_response=body
        )

    #: The seed SDK's name for `create_authentication`.
    post_authentication = create_authentication
    #: The 2023 official SDK's (misspelt) name for `create_authentication`.
    create_autentication = create_authentication

    @overload
    async def check(
        self,
        request: CreateCheckRequest | Mapping[str, Any],
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostCheckResponse: ...
    @overload
    async def check(
        self,
        *,
        authentication_uuid: str,
        check_code: str,
        customer_uuid: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostCheckResponse: ...
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
        await self._pipeline.pool.prepare()
        req = _build_request(
            _models.CreateCheckRequest,
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
            _models.CreateCheckResponse,
            operation="otp.check",
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return _models.PostCheckResponse(**_meta(response), create_check_response=body)

    #: The seed SDK's name for `check`.
    post_check = check

    @overload
    async def retry(
        self,
        request: RetryAuthenticationRequest | Mapping[str, Any],
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostRetryResponse: ...
    @overload
    async def retry(
        self,
        *,
        authentication_uuid: str,
        customer_uuid: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostRetryResponse: ...
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
        await self._pipeline.pool.prepare()
        req = _build_request(
            _models.RetryAuthenticationRequest,
            request,
            {
                "authentication_uuid": authentication_uuid,
                "customer_uuid": customer_uuid,
            },
        )
        response, body = await self._pipeline.post(
            "/retry",
            req,
            _models.RetryAuthenticationResponse,
            operation="otp.retry",
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return _models.PostRetryResponse(
            **_meta(response), retry_authentication_response=body
        )

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
        await self._pipeline.pool.prepare()
        segment = path_segment("auth_uuid", auth_uuid)
        response, body = await self._pipeline.send(
            "GET",
            f"/authentication/{segment}",
            _models.AuthenticationStatusResponse,
            operation="otp.get_authentication_status",
            template="/authentication/{auth_uuid}",
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return _models.GetAuthenticationStatusResponse(
            **_meta(response), authentication_status_response=body
        )

    @overload
    async def feedback(
        self,
        request: FeedbackRequest | Mapping[str, Any],
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostFeedbackResponse: ...
    @overload
    async def feedback(
        self,
        *,
        phone_number: str,
        status: FeedbackRequestStatus | FeedbackStatusValue,
        customer_uuid: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostFeedbackResponse: ...
    async def feedback(
        self,
        request: FeedbackRequest | Mapping[str, Any] | None = None,
        *,
        phone_number: str | None = None,
        status: FeedbackRequestStatus | FeedbackStatusValue | None = None,
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
        await self._pipeline.pool.prepare()
        req = _build_request(
            _models.FeedbackRequest,
            request,
            {
                "phone_number": phone_number,
                "status": status,
                "customer_uuid": customer_uuid,
            },
        )
        req = _with_e164(req, self._pipeline)
        response, body = await self._pipeline.post(
            "/authentication/feedback",
            req,
            _models.FeedbackResponse,
            operation="otp.feedback",
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return _models.PostFeedbackResponse(**_meta(response), feedback_response=body)


class AsyncLookup:
    """Look up a phone number's carrier, line type and more (``client.lookup``)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline

    async def lookup(
        self,
        phone_number: str,
        customer_uuid: str | None = None,
        type_: Sequence[LookupType | LookupTypeValue]
        | LookupType
        | LookupTypeValue
        | None = None,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PostLookupResponse:
        """Look up a phone number (``GET /lookup/{phone_number}``).

        Args:
            phone_number: The number to look up: E.164, or any format
                `ding.normalize_phone_number` reads with ``phonenumbers``
                installed.
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
        await self._pipeline.pool.prepare()
        path_segment("phone_number", phone_number)  # a non-empty str, or UsageError
        segment = path_segment(
            "phone_number", to_e164(phone_number, self._pipeline.default_region)
        )
        customer = self._pipeline.customer(customer_uuid)
        check_header_value("customer_uuid", customer)
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
            _models.LookupResponse,
            operation="lookup.lookup",
            template="/lookup/{phone_number}",
            params=params,
            headers={"customer-uuid": customer},
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return _models.PostLookupResponse(**_meta(response), lookup_response=body)

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
        await self._pipeline.pool.prepare()
        req = _build_request(_models.LookupRequest, lookup_request, {})
        return await self.lookup(
            req.phone_number,
            customer_uuid,
            timeout=timeout,
            extra_headers=extra_headers,
        )
