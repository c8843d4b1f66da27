"""OpenTelemetry: one span per operation, one CLIENT span per attempt, no secrets.

The spans are captured with the SDK's in-memory exporter and metric reader,
on each transport the client sends through: aiohttp (asyncio, the SDK's own
pool), httpx's pool (trio), an injected `httpx.AsyncClient`, and the sync
`ding.Ding` through its background loop. What a process-wide setup does
(the global providers, OpenTelemetry's own httpx and aiohttp
instrumentations, the package missing) runs in a child process, since
those are set once per process.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

import ding
from ding._pipeline._telemetry import DISABLE_VARIABLE, SCHEMA_URL, Telemetry
from ding._transport._aiohttp import AiohttpTransport
from ding._transport._httpcore import HttpcoreTransport
from ding.testing import DEFAULT_CUSTOMER_UUID, FakeDing, FakeSettings, Fault

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ding.testing import ServerThread

KEY = "sk_live_telemetry_5f1d0c9e7a"  # a key to hunt for
CUSTOMER = "c0ffee00-0000-4000-8000-00000000beef"
NUMBER = "+33612345678"
# The number as it may leak: E.164, without the plus, national digits.
NUMBER_FORMS = (NUMBER, NUMBER[1:], NUMBER[3:], "%2B33612345678")


class Captured:
    """A tracer provider and a meter provider that keep what they get."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def metrics(self) -> dict[str, list[dict[str, Any]]]:
        """Metric name -> its data points, as JSON-ready dicts."""
        data = self.reader.get_metrics_data()
        assert data is not None
        found: dict[str, list[dict[str, Any]]] = {}
        for resource in json.loads(data.to_json())["resource_metrics"]:
            for scope in resource["scope_metrics"]:
                for metric in scope["metrics"]:
                    found[metric["name"]] = metric["data"]["data_points"]
        return found

    def everything(self) -> str:
        """Every span and metric as text, for the secret scan."""
        spans = [span.to_json() for span in self.spans()]
        data = self.reader.get_metrics_data()
        assert data is not None
        return "\n".join([*spans, data.to_json()])


@pytest.fixture
def captured() -> Iterator[Captured]:
    result = Captured()
    yield result
    result.tracer_provider.shutdown()
    result.meter_provider.shutdown()


@pytest.fixture
def fake() -> FakeDing:
    return FakeDing(
        settings=FakeSettings(
            strict=True,
            api_keys={KEY},
            customer_uuids={CUSTOMER},
            retry_interval=timedelta(0),
        )
    )


@pytest.fixture
def server(fake: FakeDing) -> Iterator[ServerThread]:
    with fake.serve() as running:
        yield running


def _settings(captured: Captured) -> dict[str, Any]:
    return {
        "api_key": KEY,
        "customer_uuid": CUSTOMER,
        "tracer_provider": captured.tracer_provider,
        "meter_provider": captured.meter_provider,
    }


def _by_name(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def _check_retried_lookup(spans: list[ReadableSpan], port: int | None) -> None:
    """One operation span, and under it a 429 attempt then a resent 200."""
    (operation,) = _by_name(spans, "ding.lookup.lookup")
    attempts = _by_name(spans, "GET /lookup/{phone_number}")
    assert len(attempts) == 2
    first, second = sorted(attempts, key=lambda span: span.start_time or 0)
    assert operation.kind is trace.SpanKind.INTERNAL
    assert dict(operation.attributes or {})["ding.operation"] == "lookup.lookup"
    assert operation.status.status_code is trace.StatusCode.UNSET
    for attempt in (first, second):
        assert attempt.kind is trace.SpanKind.CLIENT
        assert attempt.parent is not None
        assert operation.context is not None
        assert attempt.context is not None
        assert attempt.parent.span_id == operation.context.span_id
        assert attempt.context.trace_id == operation.context.trace_id
        attributes = dict(attempt.attributes or {})
        assert attributes["http.request.method"] == "GET"
        assert attributes["url.template"] == "/lookup/{phone_number}"
        assert attributes["server.address"] in {"127.0.0.1", "ding.fake"}
        if port is not None:
            assert attributes["server.port"] == port
    first_attributes = dict(first.attributes or {})
    assert first_attributes["http.response.status_code"] == 429
    assert first_attributes["error.type"] == "429"
    assert "http.request.resend_count" not in first_attributes
    assert first.status.status_code is trace.StatusCode.ERROR
    second_attributes = dict(second.attributes or {})
    assert second_attributes["http.response.status_code"] == 200
    assert second_attributes["http.request.resend_count"] == 1
    assert "error.type" not in second_attributes
    assert second.status.status_code is trace.StatusCode.UNSET


def _check_request_durations(captured: Captured) -> None:
    points = captured.metrics()["http.client.request.duration"]
    statuses = sorted(
        point["attributes"]["http.response.status_code"] for point in points
    )
    assert statuses == [200, 429]
    for point in points:
        assert point["count"] == 1
        assert point["attributes"]["url.template"] == "/lookup/{phone_number}"
        assert point["attributes"]["network.protocol.version"] == "1.1"
        # The conventions' metric attributes: a retry is no series of its own.
        assert "http.request.resend_count" not in point["attributes"]
        assert 0 < point["sum"] < 10


@pytest.mark.anyio
async def test_the_sdk_pool_traces_a_retried_call(
    anyio_backend: str,
    captured: Captured,
    fake: FakeDing,
    server: ServerThread,
) -> None:
    fake.faults.inject("lookup", Fault.rate_limited(0.01), on_call=[1])
    port = httpx.URL(server.url).port
    async with ding.AsyncDing(
        server_url=server.url + "/v1", **_settings(captured)
    ) as client:
        await client.lookup.lookup(NUMBER)
        lane = client._pipeline.pool.get()
        assert lane is not None
        transport = client._pipeline.pool.direct(lane.client)
    expected = AiohttpTransport if anyio_backend == "asyncio" else HttpcoreTransport
    assert isinstance(transport, expected)
    _check_retried_lookup(captured.spans(), port)
    _check_request_durations(captured)


@pytest.mark.anyio
async def test_an_injected_client_traces_a_retried_call(
    anyio_backend: str,
    captured: Captured,
    fake: FakeDing,
) -> None:
    del anyio_backend  # both
    fake.faults.inject("lookup", Fault.rate_limited(0.01), on_call=[1])
    async with fake.async_client(**_settings(captured)) as client:
        assert client._pipeline.pool.injected is not None
        await client.lookup.lookup(NUMBER)
    _check_retried_lookup(captured.spans(), None)
    _check_request_durations(captured)


def test_the_sync_client_traces_a_retried_call_under_the_callers_span(
    captured: Captured, fake: FakeDing, server: ServerThread
) -> None:
    fake.faults.inject("lookup", Fault.rate_limited(0.01), on_call=[1])
    tracer = captured.tracer_provider.get_tracer("the app")
    with (
        ding.Ding(server_url=server.url + "/v1", **_settings(captured)) as client,
        tracer.start_as_current_span("GET /signup") as request_span,
    ):
        client.lookup.lookup(NUMBER)
    spans = captured.spans()
    _check_retried_lookup(spans, httpx.URL(server.url).port)
    (operation,) = _by_name(spans, "ding.lookup.lookup")
    # The call ran on the background loop, in the caller's context.
    assert operation.parent is not None
    assert operation.parent.span_id == request_span.get_span_context().span_id
    _check_request_durations(captured)


@pytest.mark.anyio
async def test_no_span_or_metric_holds_the_key_the_number_the_code_or_a_body(
    anyio_backend: str, captured: Captured, fake: FakeDing, server: ServerThread
) -> None:
    del anyio_backend  # both
    async with ding.AsyncDing(
        server_url=server.url + "/v1", **_settings(captured)
    ) as client:
        sent = await client.otp.create_authentication(phone_number=NUMBER)
        assert sent.create_authentication_response is not None
        uuid = sent.create_authentication_response.authentication_uuid
        assert uuid is not None
        code = fake.outbox.last_code(NUMBER)
        assert code is not None
        wrong = "000000" if code != "000000" else "111111"
        await client.otp.check(authentication_uuid=uuid, check_code=wrong)
        await client.otp.retry(authentication_uuid=uuid)
        code = fake.outbox.last_code(NUMBER)
        assert code is not None
        checked = await client.otp.check(authentication_uuid=uuid, check_code=code)
        await client.otp.get_authentication_status(uuid)
        await client.otp.feedback(phone_number=NUMBER, status="onboarded")
        looked_up = await client.lookup.lookup(NUMBER, type_="cnam")
        with pytest.raises(ding.ErrorResponse):  # the answer quotes the number
            await client.otp.feedback(phone_number=NUMBER, status="onboarded")
    assert checked.create_check_response is not None
    assert looked_up.lookup_response is not None
    text = captured.everything()
    assert KEY not in text
    for form in NUMBER_FORMS:
        assert form not in text
    for value in {code, wrong}:
        assert f'"{value}"' not in text
    # Nothing from an answer's body but the status and the UUID.
    assert looked_up.lookup_response.carrier is not None
    assert looked_up.lookup_response.carrier not in text
    assert looked_up.lookup_response.caller_name is not None
    assert looked_up.lookup_response.caller_name not in text
    assert "duplicated_feedback_status" in text  # the refusal's code, not its message
    # Each operation, once, under its own name; the UUID is kept.
    names = sorted(
        span.name for span in captured.spans() if span.name.startswith("ding.")
    )
    assert names == [
        "ding.lookup.lookup",
        "ding.otp.check",
        "ding.otp.check",
        "ding.otp.create_authentication",
        "ding.otp.feedback",
        "ding.otp.feedback",
        "ding.otp.get_authentication_status",
        "ding.otp.retry",
    ]
    assert uuid in text
    assert "/authentication/{auth_uuid}" in text


@pytest.mark.anyio
async def test_the_counters_count_codes_sent_and_checks_by_status(
    anyio_backend: str, captured: Captured, fake: FakeDing
) -> None:
    del anyio_backend  # both
    async with fake.async_client(**_settings(captured)) as client:
        sent = await client.otp.create_authentication(phone_number=NUMBER)
        assert sent.create_authentication_response is not None
        uuid = sent.create_authentication_response.authentication_uuid
        assert uuid is not None
        code = fake.outbox.last_code(NUMBER)
        assert code is not None
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(2):
            await client.otp.check(authentication_uuid=uuid, check_code=wrong)
        await client.otp.retry(authentication_uuid=uuid)
        code = fake.outbox.last_code(NUMBER)
        assert code is not None
        await client.otp.check(authentication_uuid=uuid, check_code=code)
    metrics = captured.metrics()

    def counts(name: str) -> dict[tuple[str, str], int]:
        return {
            (p["attributes"]["ding.operation"], p["attributes"]["ding.status"]): p[
                "value"
            ]
            for p in metrics[name]
        }

    assert counts("ding.otp.sends") == {
        ("otp.create_authentication", "pending"): 1,
        ("otp.retry", "approved"): 1,
    }
    assert counts("ding.otp.checks") == {
        ("otp.check", "invalid"): 2,
        ("otp.check", "valid"): 1,
    }
    durations = metrics["ding.client.operation.duration"]
    assert sum(point["count"] for point in durations) == 5


@pytest.mark.anyio
async def test_a_refusal_and_a_connection_failure_name_their_error_type(
    anyio_backend: str, captured: Captured, fake: FakeDing
) -> None:
    del anyio_backend  # both
    async with fake.async_client(**_settings(captured)) as client:
        with pytest.raises(ding.ErrorResponse):
            await client.otp.check(
                authentication_uuid="2f6f0c0e-0000-4000-8000-000000000000",
                check_code="123456",
            )
    # Nothing listens on port 9 of loopback: the connection is refused.
    async with ding.AsyncDing(
        server_url="http://127.0.0.1:9/v1", max_retries=0, **_settings(captured)
    ) as client:
        with pytest.raises(ding.APIConnectionError):
            await client.otp.get_authentication_status(
                "2f6f0c0e-0000-4000-8000-000000000000"
            )
    spans = captured.spans()
    (refused,) = _by_name(spans, "ding.otp.check")
    assert dict(refused.attributes or {})["error.type"] == "invalid_auth_uuid"
    assert refused.status.status_code is trace.StatusCode.ERROR
    assert refused.status.description == "ErrorResponse"
    (attempt,) = _by_name(spans, "POST /check")
    assert dict(attempt.attributes or {})["error.type"] == "400"
    (failed,) = _by_name(spans, "GET /authentication/{auth_uuid}")
    assert dict(failed.attributes or {})["error.type"] == "httpx.ConnectError"
    assert failed.status.status_code is trace.StatusCode.ERROR
    (operation,) = _by_name(spans, "ding.otp.get_authentication_status")
    assert dict(operation.attributes or {})["error.type"] == "ding.APIConnectionError"
    points = captured.metrics()["http.client.request.duration"]
    errors = sorted(point["attributes"]["error.type"] for point in points)
    assert errors == ["400", "httpx.ConnectError"]


@pytest.mark.anyio
async def test_a_traced_request_is_the_request_sent_without_tracing(
    anyio_backend: str, captured: Captured
) -> None:
    del anyio_backend  # both
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"authentication_uuid": CUSTOMER})

    tracer = captured.tracer_provider.get_tracer("the app")
    plain: dict[str, Any] = {"api_key": KEY, "customer_uuid": CUSTOMER}
    for settings in (plain, _settings(captured)):
        transport = httpx.MockTransport(answer)
        async with ding.AsyncDing(
            client=httpx.AsyncClient(transport=transport), **settings
        ) as client:
            with tracer.start_as_current_span("GET /signup"):
                await client.otp.get_authentication_status(CUSTOMER)
    untraced, traced = seen
    assert len(_by_name(captured.spans(), "GET /authentication/{auth_uuid}")) == 1
    assert traced.headers.multi_items() == untraced.headers.multi_items()
    assert traced.url == untraced.url


@pytest.mark.anyio
async def test_the_variable_that_disables_instrumentations_disables_these(
    anyio_backend: str,
    captured: Captured,
    fake: FakeDing,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    del anyio_backend  # both
    # A comma-separated list, with or without spaces.
    for names in ("requests, ding", "requests,ding", " ding ", "*"):
        monkeypatch.setenv(DISABLE_VARIABLE, names)
        async with fake.async_client(**_settings(captured)) as client:
            assert client._pipeline.telemetry is None
            await client.lookup.lookup(NUMBER)
    monkeypatch.setenv(DISABLE_VARIABLE, "requests, dingo")
    async with fake.async_client(**_settings(captured)) as client:
        assert client._pipeline.telemetry is not None
    assert captured.spans() == []


@pytest.mark.anyio
async def test_the_spans_and_metrics_hold_what_the_guide_lists(
    anyio_backend: str, captured: Captured, server: ServerThread
) -> None:
    # docs/guides/tracing.md: the operation's INTERNAL span and the
    # attempt's CLIENT span, with their attributes; the metrics with the
    # attributes its table lists.
    del anyio_backend  # both
    port = httpx.URL(server.url).port
    async with ding.AsyncDing(
        server_url=server.url + "/v1", **_settings(captured)
    ) as client:
        started = time.perf_counter()
        sent = await client.otp.create_authentication(phone_number=NUMBER)
        elapsed = time.perf_counter() - started
    assert sent.create_authentication_response is not None
    uuid = sent.create_authentication_response.authentication_uuid
    spans = captured.spans()
    (operation,) = _by_name(spans, "ding.otp.create_authentication")
    (attempt,) = _by_name(spans, "POST /authentication")
    assert operation.kind is trace.SpanKind.INTERNAL
    assert dict(operation.attributes or {}) == {
        "ding.operation": "otp.create_authentication",
        "server.address": "127.0.0.1",
        "server.port": port,
        "ding.authentication_uuid": uuid,
        "ding.status": "pending",
    }
    assert attempt.kind is trace.SpanKind.CLIENT
    assert attempt.parent is not None
    assert operation.context is not None
    assert attempt.parent.span_id == operation.context.span_id
    assert dict(attempt.attributes or {}) == {
        "http.request.method": "POST",
        "url.template": "/authentication",
        "server.address": "127.0.0.1",
        "server.port": port,
        "http.response.status_code": 200,
        "network.protocol.version": "1.1",
    }
    assert attempt.events == ()
    metrics = captured.metrics()
    (request,) = metrics["http.client.request.duration"]
    assert request["attributes"] == dict(attempt.attributes or {})
    (whole,) = metrics["ding.client.operation.duration"]
    assert whole["attributes"] == {
        "ding.operation": "otp.create_authentication",
        "server.address": "127.0.0.1",
        "server.port": port,
    }
    assert whole["count"] == 1
    assert 0 < request["sum"] <= whole["sum"] <= elapsed


@pytest.mark.anyio
async def test_after_a_call_the_callers_span_is_current_again(
    anyio_backend: str, captured: Captured, fake: FakeDing
) -> None:
    # docs/guides/tracing.md: called while a span of the app's is current,
    # the operation's span is its child: each call's, the next one's too.
    del anyio_backend  # both
    tracer = captured.tracer_provider.get_tracer("the app")
    async with fake.async_client(**_settings(captured)) as client:
        with tracer.start_as_current_span("GET /signup") as request_span:
            await client.lookup.lookup(NUMBER)
            assert trace.get_current_span() is request_span
            await client.lookup.lookup(NUMBER)
            assert trace.get_current_span() is request_span
    operations = _by_name(captured.spans(), "ding.lookup.lookup")
    assert len(operations) == 2
    for operation in operations:
        assert operation.parent is not None
        assert operation.parent.span_id == request_span.get_span_context().span_id


class _SpanOfEachLine(logging.Handler):
    """Keeps the span current when each record is logged, as log correlation does."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.span_ids: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        del record
        self.span_ids.append(trace.get_current_span().get_span_context().span_id)


@pytest.mark.anyio
async def test_an_attempt_runs_inside_its_span(
    anyio_backend: str, captured: Captured, fake: FakeDing
) -> None:
    # The module's promise: each attempt is awaited inside its CLIENT span,
    # so what runs for it (the SDK's log line of the attempt, an app's
    # log correlation, an injected client's hooks) sees that span.
    del anyio_backend  # both
    fake.faults.inject("lookup", Fault.rate_limited(0.01), on_call=[1])
    sdk = logging.getLogger("ding")
    level = sdk.level
    lines = _SpanOfEachLine()
    sdk.addHandler(lines)
    sdk.setLevel(logging.INFO)
    try:
        async with fake.async_client(**_settings(captured)) as client:
            await client.lookup.lookup(NUMBER)
    finally:
        sdk.removeHandler(lines)
        sdk.setLevel(level)
    attempts = sorted(
        _by_name(captured.spans(), "GET /lookup/{phone_number}"),
        key=lambda span: span.start_time or 0,
    )
    assert len(attempts) == 2
    contexts = [span.context for span in attempts]
    assert lines.span_ids == [c.span_id for c in contexts if c is not None]


@pytest.mark.anyio
async def test_an_instrumented_httpx_client_passed_in_adds_no_span_of_its_own(
    anyio_backend: str, captured: Captured, server: ServerThread
) -> None:
    # docs/guides/tracing.md: OpenTelemetry's httpx instrumentation stands
    # aside while an attempt runs: one CLIENT span per attempt, the SDK's,
    # and the app's own calls through that client are traced as before.
    del anyio_backend  # both
    http = httpx.AsyncClient()
    HTTPXClientInstrumentor.instrument_client(
        http, tracer_provider=captured.tracer_provider
    )
    try:
        async with ding.AsyncDing(
            server_url=server.url + "/v1", client=http, **_settings(captured)
        ) as client:
            await client.lookup.lookup(NUMBER)
            await http.get(server.url + "/v1/nothing-here")
    finally:
        HTTPXClientInstrumentor.uninstrument_client(http)
        await http.aclose()
    clients = [
        (span.name, span.instrumentation_scope and span.instrumentation_scope.name)
        for span in captured.spans()
        if span.kind is trace.SpanKind.CLIENT
    ]
    assert clients == [
        ("GET /lookup/{phone_number}", "ding"),
        ("GET", "opentelemetry.instrumentation.httpx"),
    ]


@pytest.mark.anyio
async def test_a_request_sent_again_has_a_resent_event(
    anyio_backend: str, captured: Captured, fake: FakeDing, server: ServerThread
) -> None:
    # docs/guides/tracing.md: a request sent a second time on a new
    # connection, the reused one closed before answering, has a
    # `ding.resent` event, which says why (as the log line does).
    del anyio_backend  # both
    async with ding.AsyncDing(
        server_url=server.url + "/v1", max_retries=0, **_settings(captured)
    ) as client:
        await client.lookup.lookup(NUMBER)
        fake.faults.inject("lookup", Fault.drop_before_response())
        await client.lookup.lookup(NUMBER)
    first, second = sorted(
        _by_name(captured.spans(), "GET /lookup/{phone_number}"),
        key=lambda span: span.start_time or 0,
    )
    assert first.events == ()
    events = [(event.name, dict(event.attributes or {})) for event in second.events]
    assert events == [
        (
            "ding.resent",
            {"ding.reason": "the reused connection closed before answering"},
        )
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("url", "port"),
    [("https://api.example.com/v1", 443), ("http://localhost/v1", 80)],
)
async def test_a_url_without_a_port_records_its_schemes(
    anyio_backend: str, captured: Captured, url: str, port: int
) -> None:
    # docs/guides/tracing.md: server.port is the API's port, the scheme's
    # own when the URL names none.
    del anyio_backend  # both

    def answer(request: httpx.Request) -> httpx.Response:
        del request
        return httpx.Response(200, json={"authentication_uuid": CUSTOMER})

    transport = httpx.MockTransport(answer)
    async with ding.AsyncDing(
        server_url=url,
        client=httpx.AsyncClient(transport=transport),
        **_settings(captured),
    ) as client:
        await client.otp.get_authentication_status(CUSTOMER)
    spans = captured.spans()
    assert len(spans) == 2
    for span in spans:
        assert dict(span.attributes or {})["server.port"] == port
    for point in captured.metrics()["ding.client.operation.duration"]:
        assert point["attributes"]["server.port"] == port


@pytest.mark.anyio
async def test_a_status_or_a_code_newer_than_the_sdk_is_recorded_as_sent(
    anyio_backend: str, captured: Captured
) -> None:
    # docs/guides/tracing.md: ding.status is the status Ding answered, and
    # error.type the API's error code, a value this SDK does not know
    # included (docs: an unknown value is kept as the plain string); a
    # refusal without a code is named by the exception's class.
    del anyio_backend  # both
    answers = [
        httpx.Response(200, json={"authentication_uuid": CUSTOMER, "status": "held"}),
        httpx.Response(400, json={"code": "too_new_to_know", "message": "no"}),
        httpx.Response(400, json={"code": "", "message": "no"}),
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        del request
        return answers.pop(0)

    transport = httpx.MockTransport(answer)
    async with ding.AsyncDing(
        client=httpx.AsyncClient(transport=transport), **_settings(captured)
    ) as client:
        await client.otp.create_authentication(phone_number=NUMBER)
        for _ in range(2):
            with pytest.raises(ding.ErrorResponse):
                await client.otp.create_authentication(phone_number=NUMBER)
    sent, refused, empty = sorted(
        _by_name(captured.spans(), "ding.otp.create_authentication"),
        key=lambda span: span.start_time or 0,
    )
    assert dict(sent.attributes or {})["ding.status"] == "held"
    assert dict(refused.attributes or {})["error.type"] == "too_new_to_know"
    assert dict(empty.attributes or {})["error.type"] == "ErrorResponse"
    (counted,) = captured.metrics()["ding.otp.sends"]
    assert counted["attributes"] == {
        "ding.operation": "otp.create_authentication",
        "ding.status": "held",
    }


ProxyRefused = type("ProxyRefused", (Exception,), {"__module__": "acme.proxy.errors"})


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("raised", "attempt_error", "operation_error"),
    [
        (
            ConnectionResetError("reset"),
            "ConnectionResetError",
            "ding.APIConnectionError",
        ),
        (ProxyRefused("refused"), "acme.ProxyRefused", "acme.ProxyRefused"),
    ],
)
async def test_error_type_is_the_class_qualified_by_its_package(
    anyio_backend: str,
    captured: Captured,
    raised: Exception,
    attempt_error: str,
    operation_error: str,
) -> None:
    # docs/guides/tracing.md: error.type is the exception's class, a
    # low-cardinality name: a builtin's name alone, else qualified by its
    # top-level package (ding.APITimeoutError, httpx.ConnectError), here
    # for what an injected client's transport raised.
    del anyio_backend  # both

    def answer(request: httpx.Request) -> httpx.Response:
        del request
        raise raised

    transport = httpx.MockTransport(answer)
    async with ding.AsyncDing(
        client=httpx.AsyncClient(transport=transport),
        max_retries=0,
        **_settings(captured),
    ) as client:
        with pytest.raises((ding.APIConnectionError, ProxyRefused)):
            await client.otp.get_authentication_status(CUSTOMER)
    spans = captured.spans()
    (attempt,) = _by_name(spans, "GET /authentication/{auth_uuid}")
    (operation,) = _by_name(spans, "ding.otp.get_authentication_status")
    assert dict(attempt.attributes or {})["error.type"] == attempt_error
    assert dict(operation.attributes or {})["error.type"] == operation_error


# The HTTP client conventions' advice for duration histograms, in seconds.
CONVENTION_BUCKETS = [
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1,
    2.5,
    5,
    7.5,
    10,
]


@pytest.mark.anyio
async def test_the_scope_and_instruments_are_those_the_conventions_define(
    anyio_backend: str, captured: Captured, fake: FakeDing
) -> None:
    # The module's promise: spans and metrics under the "ding" scope, at
    # the SDK's version, with the schema of the conventions followed;
    # http.client.request.duration as the conventions define it, and the
    # guide's units.
    del anyio_backend  # both
    async with fake.async_client(**_settings(captured)) as client:
        await client.otp.create_authentication(phone_number=NUMBER)
    for span in captured.spans():
        scope = span.instrumentation_scope
        assert scope is not None
        assert (scope.name, scope.version, scope.schema_url) == (
            "ding",
            ding.__version__,
            SCHEMA_URL,
        )
    data = captured.reader.get_metrics_data()
    assert data is not None
    (scoped,) = [s for r in data.resource_metrics for s in r.scope_metrics]
    assert (scoped.scope.name, scoped.scope.version, scoped.scope.schema_url) == (
        "ding",
        ding.__version__,
        SCHEMA_URL,
    )
    found = {metric.name: metric for metric in scoped.metrics}
    assert {name: metric.unit for name, metric in found.items()} == {
        "http.client.request.duration": "s",
        "ding.client.operation.duration": "s",
        "ding.otp.sends": "{request}",
    }
    assert (
        found["http.client.request.duration"].description
        == "Duration of HTTP client requests."
    )
    for name in ("http.client.request.duration", "ding.client.operation.duration"):
        points = json.loads(found[name].to_json())["data"]["data_points"]
        assert [point["explicit_bounds"] for point in points] == [CONVENTION_BUCKETS]


@pytest.mark.anyio
@pytest.mark.parametrize("given", ["tracer_provider", "meter_provider"])
async def test_a_client_given_one_provider_records_with_it(
    anyio_backend: str, captured: Captured, fake: FakeDing, given: str
) -> None:
    # docs/guides/tracing.md: a client given a provider of its own reports
    # to it, whether or not a global one is set (none is, in this process).
    del anyio_backend  # both
    settings = _settings(captured)
    provider = settings.pop(given)
    del settings["meter_provider" if given == "tracer_provider" else "tracer_provider"]
    async with fake.async_client(**settings, **{given: provider}) as client:
        await client.lookup.lookup(NUMBER)
    if given == "tracer_provider":
        assert {span.name for span in captured.spans()} == {
            "ding.lookup.lookup",
            "GET /lookup/{phone_number}",
        }
    else:
        assert set(captured.metrics()) == {
            "http.client.request.duration",
            "ding.client.operation.duration",
        }


@pytest.mark.anyio
async def test_before_a_provider_is_given_or_set_a_call_skips_the_api(
    anyio_backend: str, fake: FakeDing, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module's promise: until a provider is given or set, a call records
    # nothing and skips the API's stand-ins, which would cost it time. (No
    # global provider is set in this process; a child process sets one in
    # test_before_any_provider_is_set_a_call_skips_the_api.)
    del anyio_backend  # both
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    calls: list[str] = []

    def spying(name: str) -> Any:
        original = getattr(Telemetry, name)

        def spy(self: Telemetry, *args: Any) -> Any:
            calls.append(name)
            return original(self, *args)

        return spy

    for name in ("operation", "attempt"):
        monkeypatch.setattr(Telemetry, name, spying(name))
    async with fake.async_client() as client:
        assert client._pipeline.telemetry is not None
        await client.lookup.lookup(NUMBER)
    assert calls == []


@pytest.mark.anyio
async def test_with_nothing_recorded_an_instrumented_client_still_stays_aside(
    anyio_backend: str, captured: Captured, server: ServerThread
) -> None:
    # docs/guides/tracing.md: even when the SDK records nothing (no provider
    # given, none set), OpenTelemetry's httpx instrumentation, given a
    # provider of its own, must not trace the SDK's requests: their URL
    # holds the lookup's number.
    del anyio_backend  # both
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    http = httpx.AsyncClient()
    HTTPXClientInstrumentor.instrument_client(
        http, tracer_provider=captured.tracer_provider
    )
    try:
        async with ding.AsyncDing(
            server_url=server.url + "/v1",
            client=http,
            api_key=KEY,
            customer_uuid=CUSTOMER,
        ) as client:
            await client.lookup.lookup(NUMBER)
            await http.get(server.url + "/v1/nothing-here")
    finally:
        HTTPXClientInstrumentor.uninstrument_client(http)
        await http.aclose()
    assert [span.name for span in captured.spans()] == ["GET"]


def _child(code: str, *, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed program
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


GLOBAL_SETUP = """
    import json, sys

    import anyio
    import httpx
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
        InMemorySpanExporter,
    )

    import ding
    from ding.testing import DEFAULT_API_KEY, DEFAULT_CUSTOMER_UUID, FakeDing

    fake = FakeDing()
    settings = {"api_key": DEFAULT_API_KEY, "customer_uuid": DEFAULT_CUSTOMER_UUID}
    # Clients made before the standard setup still find it.
    early = ding.AsyncDing(server_url="http://127.0.0.1:1/v1", **settings)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    if "--not-global" not in sys.argv:
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
"""


def test_the_global_providers_are_picked_up_by_clients_made_before_them() -> None:
    out = _child(
        GLOBAL_SETUP
        + """
    async def main(url):
        await early.with_options(server_url=url).lookup.lookup("+33612345678")

    with fake.serve() as server:
        anyio.run(main, server.url + "/v1")
        with ding.Ding(server_url=server.url + "/v1", **settings) as client:
            client.otp.create_authentication(phone_number="+33612345678")
    data = reader.get_metrics_data()
    names = [m.name for r in data.resource_metrics for s in r.scope_metrics for m in s.metrics]
    print(json.dumps({"spans": [s.name for s in exporter.get_finished_spans()], "metrics": names}))
    """
    )
    found = json.loads(out)
    # A set: on a loaded machine an attempt may fail and be retried (two
    # spans of one name); what matters here is that each client reported.
    assert set(found["spans"]) == {
        "GET /lookup/{phone_number}",
        "POST /authentication",
        "ding.lookup.lookup",
        "ding.otp.create_authentication",
    }
    assert "http.client.request.duration" in found["metrics"]
    assert "ding.otp.sends" in found["metrics"]


def test_before_any_provider_is_set_a_call_skips_the_api() -> None:
    # The API's stand-ins would record nothing, at a cost per call.
    out = _child(
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
            InMemorySpanExporter,
        )

        from ding._pipeline._telemetry import Telemetry
        from ding.testing import FakeDing

        calls = []
        for name in ("operation", "attempt"):
            def spy(self, *args, original=getattr(Telemetry, name), name=name):
                calls.append(name)
                return original(self, *args)
            setattr(Telemetry, name, spy)

        fake = FakeDing()
        with fake.client() as client:
            client.lookup.lookup("+33612345678")
            print(calls)
            exporter = InMemorySpanExporter()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            trace.set_tracer_provider(provider)
            client.lookup.lookup("+33612345678")
            print(calls, len(exporter.get_finished_spans()))
        """
    )
    assert out.splitlines() == ["[]", "['operation', 'attempt'] 2"]


INSTRUMENTED = (
    GLOBAL_SETUP
    + """
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    import ding._pipeline._telemetry as telemetry

    if "--no-suppression" in sys.argv:  # the check, broken on purpose
        telemetry.Telemetry._suppress_http = property(lambda self: None, lambda self, v: None)

    # With --not-global, only the instrumentations get the provider: the
    # SDK records nothing, and must still keep them aside.
    given = {"tracer_provider": provider} if "--not-global" in sys.argv else {}
    HTTPXClientInstrumentor().instrument(**given)
    AioHttpClientInstrumentor().instrument(**given)

    async def main(url):
        async with ding.AsyncDing(server_url=url, **settings) as client:
            await client.lookup.lookup("+33612345678")
        async with ding.AsyncDing(server_url=url, client=httpx.AsyncClient(), **settings) as client:
            await client.lookup.lookup("+33612345678")
        async with httpx.AsyncClient() as plain:  # the app's own call: traced
            await plain.get(url + "/nothing-here")

    with fake.serve() as server:
        for backend in ("asyncio", "trio"):
            anyio.run(main, server.url + "/v1", backend=backend)
    print(json.dumps([
        [s.name, s.kind.name, s.instrumentation_scope.name]
        for s in exporter.get_finished_spans()
    ]))
    """
)


def _client_spans(argv: list[str]) -> list[list[str]]:
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed program
        [sys.executable, "-c", textwrap.dedent(INSTRUMENTED), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [span for span in json.loads(done.stdout) if span[1] == "CLIENT"]


def test_httpx_and_aiohttp_instrumentations_add_no_duplicate_spans() -> None:
    spans = _client_spans([])
    ours = [span for span in spans if span[2] == "ding"]
    theirs = [span for span in spans if span[2] != "ding"]
    # Two clients on two backends: four calls, one span per attempt (more
    # than four only if a loaded machine made an attempt fail and retry).
    assert len(ours) >= 4
    # The instrumentations are on: the app's own httpx calls are traced.
    assert theirs == [["GET", "CLIENT", "opentelemetry.instrumentation.httpx"]] * 2


def test_instrumentations_given_a_provider_of_their_own_stay_aside_too() -> None:
    # No global provider: the SDK records nothing, and the instrumentations
    # must not trace its requests (the lookup's number is in their URL)
    # nor send Ding a trace header.
    spans = _client_spans(["--not-global"])
    assert [span for span in spans if span[2] == "ding"] == []
    assert spans == [["GET", "CLIENT", "opentelemetry.instrumentation.httpx"]] * 2


def test_without_the_suppression_the_instrumentations_would_duplicate() -> None:
    # The test above would pass if the instrumentations never saw ding's
    # requests at all; this shows that they do, unless told to stand aside.
    theirs = [span for span in _client_spans(["--no-suppression"]) if span[2] != "ding"]
    assert len(theirs) > 2


def test_without_opentelemetry_nothing_is_imported_and_calls_work() -> None:
    out = _child(
        """
        import sys

        sys.modules["opentelemetry"] = None  # as if not installed

        import ding
        from ding._pipeline import _telemetry
        from ding.testing import FakeDing

        fake = FakeDing()
        with fake.client() as client:
            assert client._async._pipeline.telemetry is None
            client.lookup.lookup("+33612345678")
        assert _telemetry._installed is False
        print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))
        """
    )
    assert out.strip() == "['opentelemetry']"  # the blocked entry alone


def test_importing_ding_does_not_import_opentelemetry() -> None:
    out = _child(
        """
        import sys

        import ding

        print(any(name.startswith("opentelemetry") for name in sys.modules))
        ding.AsyncDing(api_key="k")
        print(any(name.startswith("opentelemetry") for name in sys.modules))
        """
    )
    assert out.split() == ["False", "True"]


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "tracing.md"
# What changes from one run to the next.
VOLATILE = {"server.port", "ding.authentication_uuid"}


def _json_objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects printed one after another in *text*."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    index = 0
    while (start := text.find("{", index)) != -1:
        value, index = decoder.raw_decode(text, start)
        found.append(value)
    return found


def _shape(span: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    return {
        "name": span["name"],
        "kind": span["kind"],
        "parent": ids.get(span["parent_id"]) if span["parent_id"] else None,
        "status": span["status"],
        "attributes": {
            key: "..." if key in VOLATILE else value
            for key, value in span["attributes"].items()
        },
        "events": span["events"],
    }


def _shapes(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {span["context"]["span_id"]: span["name"] for span in spans}
    return [_shape(span, ids) for span in spans]


def test_the_tracing_guide_shows_what_its_example_prints() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```(\w+)\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)
    (program,) = [body for tag, body in blocks if tag == "python"]
    (shown,) = [body for tag, body in blocks if tag == "json"]
    with FakeDing().serve() as running:
        done = subprocess.run(  # noqa: S603 - this interpreter, the guide's program
            [
                sys.executable,
                "-c",
                program.replace('"..."', repr(DEFAULT_CUSTOMER_UUID)),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "DING_BASE_URL": running.url + "/v1"},
        )
    assert done.returncode == 0, done.stderr
    printed = _json_objects(done.stdout)
    assert printed, done.stdout
    for span in printed:
        assert span["resource"]["attributes"]["service.name"] == "signup"
    assert _shapes(_json_objects(shown)) == _shapes(printed)
