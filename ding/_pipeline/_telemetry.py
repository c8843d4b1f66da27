"""OpenTelemetry spans and metrics for every call, when the API is installed.

With ``opentelemetry-api`` installed (``pip install 'ding[otel]'``), each
operation is one INTERNAL span (``ding.otp.check``) and each HTTP attempt
under it one CLIENT span (``POST /check``) with the attributes of the HTTP
client semantic conventions. Without it, the import is tried once per
process, `Telemetry.create` returns None for every client, and the
pipeline takes the path it always took. Until a provider is set, a call
records nothing (`Telemetry.active`) and only keeps the HTTP
instrumentations aside (`Telemetry.unrecorded`).

The spans sit above the transport, so they are the same on aiohttp, on
httpx (trio, or an injected client) and through the sync client, whose
calls carry the caller's context to the background loop. While an attempt
runs, OpenTelemetry's own HTTP instrumentations (httpx, aiohttp) are told
to stand aside, so an application that also instruments those libraries
gets one span per attempt, not two.

What is never recorded: the API key, a phone number (the lookup's path is
a template, ``/lookup/{phone_number}``, and no full URL is recorded), a
code, a body, or an error's message (an answer's message may quote the
number). An operation's span carries its name, the status Ding answered
(``pending``, ``valid``...), the authentication UUID, and on failure the
API's error code or the exception's class.

Metrics: ``http.client.request.duration`` per attempt, as the conventions
define it; ``ding.client.operation.duration`` per operation, retries
included; ``ding.otp.sends`` (codes asked for by ``create_authentication``
and ``retry``) and ``ding.otp.checks``, each by the status Ding answered.

``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` listing ``ding`` (or ``*``) turns
all of it off, as it does for OpenTelemetry's own instrumentations.
"""

from __future__ import annotations

import enum
import importlib
import os
import time
from typing import TYPE_CHECKING, Final, TypeVar

from ding._errors import ErrorResponse
from ding._version import __version__

if TYPE_CHECKING:
    from collections.abc import Awaitable

    import httpx
    from opentelemetry.metrics import Counter, Histogram, MeterProvider
    from opentelemetry.trace import Span, Tracer, TracerProvider
    from opentelemetry.util.types import AttributeValue

    from ding._transport._reuse import Exchange

__all__ = ["DISABLE_VARIABLE", "SCHEMA_URL", "Telemetry"]

_Body = TypeVar("_Body")

#: The variable that lists the instrumentations to leave off.
DISABLE_VARIABLE: Final = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
#: The semantic conventions the attribute names follow.
SCHEMA_URL: Final = "https://opentelemetry.io/schemas/1.26.0"

# The conventions' advice for the boundaries of HTTP durations, in seconds.
_DURATION_BUCKETS: Final = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)

#: Whether ``opentelemetry`` can be imported; None until first asked.
_installed: bool | None = None


def _api_installed() -> bool:
    global _installed  # noqa: PLW0603 - one answer per process
    if _installed is None:
        try:
            importlib.import_module("opentelemetry.trace")
            importlib.import_module("opentelemetry.metrics")
        except ImportError:
            _installed = False
        else:
            _installed = True
    return _installed


def _disabled() -> bool:
    names = {name.strip() for name in os.environ.get(DISABLE_VARIABLE, "").split(",")}
    return "ding" in names or "*" in names


class Telemetry:
    """The tracer and instruments of one client, and how they record a call."""

    __slots__ = (
        "_checks",
        "_context",
        "_global",
        "_metrics",
        "_operation_duration",
        "_request_duration",
        "_sends",
        "_suppress_http",
        "_trace",
        "_tracer",
    )

    def __init__(
        self,
        tracer_provider: TracerProvider | None,
        meter_provider: MeterProvider | None,
    ) -> None:
        from opentelemetry import context, metrics, trace  # noqa: PLC0415 - installed

        self._trace = trace
        self._metrics = metrics
        self._context = context
        # The type of the global meter provider before one is set, or None
        # where the API does not have one under this name.
        proxy_meters: type | None = getattr(
            importlib.import_module("opentelemetry.metrics._internal"),
            "_ProxyMeterProvider",
            None,
        )
        #: Whether this client reports to the global providers, and of which
        #: types they are before any is set (`active`).
        self._global = (
            (trace.ProxyTracerProvider, proxy_meters)
            if tracer_provider is None
            and meter_provider is None
            and proxy_meters is not None
            else None
        )
        # The key OpenTelemetry's HTTP instrumentations read to stand aside;
        # private to the API package, so looked up rather than imported.
        self._suppress_http: str | None = getattr(
            context, "_SUPPRESS_HTTP_INSTRUMENTATION_KEY", None
        )
        self._tracer: Tracer = trace.get_tracer(
            "ding", __version__, tracer_provider, schema_url=SCHEMA_URL
        )
        meter = metrics.get_meter(
            "ding", __version__, meter_provider, schema_url=SCHEMA_URL
        )
        self._request_duration: Histogram = meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of HTTP client requests.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._operation_duration: Histogram = meter.create_histogram(
            "ding.client.operation.duration",
            unit="s",
            description="Duration of Ding operations, retries included.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._sends: Counter = meter.create_counter(
            "ding.otp.sends",
            unit="{request}",
            description="Codes asked for (create_authentication and retry), "
            "by the status Ding answered.",
        )
        self._checks: Counter = meter.create_counter(
            "ding.otp.checks",
            unit="{check}",
            description="Codes checked, by the status Ding answered.",
        )

    @classmethod
    def create(
        cls,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> Telemetry | None:
        """Return the telemetry of a new client, or None when there is none.

        None when ``opentelemetry-api`` is not installed, or when
        ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` lists ``ding``. Without
        providers, the global ones are used, including those set later.
        """
        if _disabled() or not _api_installed():
            return None
        return cls(tracer_provider, meter_provider)

    async def unrecorded(self, sending: Awaitable[httpx.Response]) -> httpx.Response:
        """Await one attempt that is not recorded, the instrumentations aside.

        An application may hand providers to OpenTelemetry's httpx or
        aiohttp instrumentation alone: they would then trace the SDK's
        request (the lookup's number in its URL) and send it a trace header.
        """
        if self._suppress_http is None:
            return await sending
        context = self._context
        token = context.attach(context.set_value(self._suppress_http, value=True))
        try:
            return await sending
        finally:
            context.detach(token)

    def active(self) -> bool:
        """Whether a call is recorded: a provider was given, or one is set.

        Before the application sets a global provider, the API's stand-ins
        would record nothing at some cost per call: the call skips them.
        """
        proxies = self._global
        return proxies is None or not (
            isinstance(self._trace.get_tracer_provider(), proxies[0])
            and isinstance(self._metrics.get_meter_provider(), proxies[1])
        )

    async def operation(
        self,
        name: str,
        server: httpx.URL,
        call: Awaitable[tuple[httpx.Response, _Body]],
    ) -> tuple[httpx.Response, _Body]:
        """Await one operation's *call* inside its span, and record it."""
        trace = self._trace
        attributes: dict[str, AttributeValue] = {"ding.operation": name}
        _add_server(attributes, server)
        started = time.perf_counter()
        # start_span and one attach, not start_as_current_span: the same
        # span for some 10 % less of the time both spans and the metrics take.
        span = self._tracer.start_span(
            f"ding.{name}", kind=trace.SpanKind.INTERNAL, attributes=attributes
        )
        token = self._context.attach(trace.set_span_in_context(span))
        try:
            response, body = await call
        except BaseException as exc:
            self._failed(span, exc, attributes)
            raise
        else:
            status = _text(getattr(body, "status", None))
            uuid = getattr(body, "authentication_uuid", None)
            if isinstance(uuid, str):
                span.set_attribute("ding.authentication_uuid", uuid)
            if status is not None:
                span.set_attribute("ding.status", status)
                counted = {"ding.operation": name, "ding.status": status}
                if name in {"otp.create_authentication", "otp.retry"}:
                    self._sends.add(1, counted)
                elif name == "otp.check":
                    self._checks.add(1, counted)
            return response, body
        finally:
            self._context.detach(token)
            span.end()
            self._operation_duration.record(time.perf_counter() - started, attributes)

    def _failed(
        self,
        span: Span,
        exc: BaseException,
        attributes: dict[str, AttributeValue],
    ) -> None:
        """Mark *span* and the metric's *attributes* with what *exc* was."""
        error = _error_type(exc)
        span.set_attribute("error.type", error)
        span.set_status(self._trace.StatusCode.ERROR, type(exc).__name__)
        attributes["error.type"] = error

    async def attempt(
        self,
        sending: Awaitable[httpx.Response],
        request: httpx.Request,
        template: str,
        retry: int,
        exchange: Exchange,
    ) -> httpx.Response:
        """Await one attempt (*sending*) inside its CLIENT span, and record it.

        While it runs, OpenTelemetry's HTTP instrumentations stand aside.
        """
        trace = self._trace
        context = self._context
        attributes: dict[str, AttributeValue] = {
            "http.request.method": request.method,
            "url.template": template,
        }
        _add_server(attributes, request.url)
        started = time.perf_counter()
        span = self._tracer.start_span(
            f"{request.method} {template}",
            kind=trace.SpanKind.CLIENT,
            attributes=attributes,
        )
        if retry:  # the span's alone: each retry is no series of its own
            span.set_attribute("http.request.resend_count", retry)
        current = trace.set_span_in_context(span)
        if self._suppress_http is not None:
            current = context.set_value(
                self._suppress_http, value=True, context=current
            )
        token = context.attach(current)
        try:
            response = await sending
        except BaseException as exc:
            self._failed(span, exc, attributes)
            raise
        else:
            status = response.status_code
            span.set_attribute("http.response.status_code", status)
            attributes["http.response.status_code"] = status
            version = response.http_version.removeprefix("HTTP/")
            if version:
                span.set_attribute("network.protocol.version", version)
                attributes["network.protocol.version"] = version
            if status >= 400:  # noqa: PLR2004 - the conventions' client errors
                span.set_attribute("error.type", str(status))
                span.set_status(trace.StatusCode.ERROR)
                attributes["error.type"] = str(status)
            return response
        finally:
            context.detach(token)
            if exchange.resent:
                span.add_event(
                    "ding.resent",
                    {"ding.reason": "the reused connection closed before answering"},
                )
            span.end()
            self._request_duration.record(time.perf_counter() - started, attributes)


def _add_server(attributes: dict[str, AttributeValue], url: httpx.URL) -> None:
    attributes["server.address"] = url.host
    attributes["server.port"] = url.port or (443 if url.scheme == "https" else 80)


def _text(value: object) -> str | None:
    if isinstance(value, enum.Enum):
        return str(value.value)
    return value if isinstance(value, str) else None


def _error_type(exc: BaseException) -> str:
    """The conventions' ``error.type``: a low-cardinality name, never a message.

    The API's error code for a refusal (``invalid_phone_number``), else the
    exception's class, qualified by its package unless it is a builtin.
    """
    if isinstance(exc, ErrorResponse) and exc.code is not None:
        return _text(exc.code) or type(exc).__name__
    cls = type(exc)
    package = cls.__module__.split(".", 1)[0]
    return (
        cls.__qualname__ if package == "builtins" else f"{package}.{cls.__qualname__}"
    )
