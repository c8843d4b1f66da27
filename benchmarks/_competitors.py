"""The competitors: each client benchmarked, making the same calls its own way.

A competitor is created with the API's base URL and the server's root URL,
and offers `check` (one ``POST /v1/check``, the micro-benchmarks' call) and
`flow` (send a code, read it from the fake's outbox, check it). Every call
verifies the decoded answer. The raw clients send the same JSON and headers
the SDKs send and decode the answer to dicts; the SDKs run with their
defaults, as a user would create them.

Each competitor imports its library when it is created, never at the top:
this module must import in the environment where ``ding`` is the official
SDK, which is imported by name there and typed ``Any``.

The OpenTelemetry competitors are ``ding.Ding`` and ``ding.AsyncDing`` again,
in an environment with ``opentelemetry-api`` and ``opentelemetry-sdk``:
``*-otel-api`` set no provider (the API's no-op, what installing the extra
and configuring nothing gives), ``*-otel-sdk`` set the SDK's providers as
the global ones first, as an application's start-up would (`install_sdk`).
"""

from __future__ import annotations

import abc
import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

    import aiohttp
    import httpx
    import requests
    from opentelemetry.sdk.metrics.export import MetricExportResult, MetricsData
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export import SpanExportResult

    import ding

__all__ = [
    "API_KEY",
    "AUTH_UUID",
    "CHECK_BODY",
    "CODE",
    "COMPETITORS",
    "CUSTOMER",
    "HEADERS",
    "AsyncCompetitor",
    "SyncCompetitor",
    "WrongAnswerError",
    "install_sdk",
    "require_otel_api",
]

API_KEY: Final = "bench-api-key"
CUSTOMER: Final = "28591d9e-a825-47f6-ab11-1a61726305bf"
AUTH_UUID: Final = "b96e4807-1510-4bd2-8106-8ca1a09d679e"
CODE: Final = "123456"
#: The body of the micro-benchmarks' request, ``POST /v1/check``, for raw clients.
CHECK_BODY: Final = {
    "customer_uuid": CUSTOMER,
    "authentication_uuid": AUTH_UUID,
    "check_code": CODE,
}
#: What every raw client sends besides its defaults (the SDKs send the same).
HEADERS: Final = {"x-api-key": API_KEY, "accept": "application/json"}


class WrongAnswerError(Exception):
    """The server answered, but not what the benchmark expects."""


def expect_valid(status: object) -> None:
    """Raise `WrongAnswerError` unless a check's *status* is ``valid``."""
    if status != "valid":
        raise WrongAnswerError(f"status {status!r}, expected 'valid'")


class SyncCompetitor(abc.ABC):
    """A sync client: one micro request (`check`) and one OTP flow (`flow`)."""

    def __init__(self, api_url: str, root_url: str) -> None:
        self.api_url = api_url
        self.root_url = root_url

    @abc.abstractmethod
    def check(self) -> None:
        """Send ``POST /check`` and verify that the answer says ``valid``."""

    @abc.abstractmethod
    def flow(self, phone: str) -> None:
        """Send a code to *phone*, read it from the fake's outbox, check it."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the client's connections."""

    @staticmethod
    @abc.abstractmethod
    def construct(api_url: str) -> object:
        """Create one client, as a user would, and return it."""

    @staticmethod
    @abc.abstractmethod
    def destroy(client: object) -> None:
        """Close a client made by `construct`."""


class AsyncCompetitor(abc.ABC):
    """An async client: like `SyncCompetitor`, awaited."""

    def __init__(self, api_url: str, root_url: str) -> None:
        self.api_url = api_url
        self.root_url = root_url

    @abc.abstractmethod
    async def check(self) -> None:
        """Send ``POST /check`` and verify that the answer says ``valid``."""

    @abc.abstractmethod
    async def flow(self, phone: str) -> None:
        """Send a code to *phone*, read it from the fake's outbox, check it."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release the client's connections."""

    @staticmethod
    @abc.abstractmethod
    def construct(api_url: str) -> object:
        """Create one client, as a user would, and return it."""

    @staticmethod
    @abc.abstractmethod
    async def destroy(client: object) -> None:
        """Close a client made by `construct`."""


class DingSync(SyncCompetitor):
    """This project's ``ding.Ding``; the outbox is read with a plain httpx.Client."""

    def __init__(self, api_url: str, root_url: str) -> None:
        super().__init__(api_url, root_url)
        import ding  # noqa: PLC0415 - imported by the competitor that uses it

        self.client: ding.Ding = ding.Ding(
            api_key=API_KEY, server_url=api_url, customer_uuid=CUSTOMER
        )
        self._outbox: httpx.Client | None = None

    def check(self) -> None:
        result = self.client.otp.check(authentication_uuid=AUTH_UUID, check_code=CODE)
        body = result.create_check_response
        expect_valid(body.status if body is not None else None)

    def flow(self, phone: str) -> None:
        sent = self.client.otp.create_authentication(phone_number=phone)
        auth = sent.create_authentication_response
        if auth is None or auth.authentication_uuid is None:
            raise WrongAnswerError("no authentication_uuid")
        if self._outbox is None:
            import httpx  # noqa: PLC0415

            self._outbox = httpx.Client()
        code = _sync_outbox_code(self._outbox, self.root_url, phone)
        result = self.client.otp.check(
            authentication_uuid=auth.authentication_uuid, check_code=code
        )
        body = result.create_check_response
        expect_valid(body.status if body is not None else None)

    def close(self) -> None:
        self.client.close()
        if self._outbox is not None:
            self._outbox.close()

    @staticmethod
    def construct(api_url: str) -> object:
        import ding  # noqa: PLC0415

        return ding.Ding(api_key=API_KEY, server_url=api_url, customer_uuid=CUSTOMER)

    @staticmethod
    def destroy(client: object) -> None:
        import ding  # noqa: PLC0415

        assert isinstance(client, ding.Ding)  # noqa: S101 - made by construct
        client.close()


def _sync_outbox_code(
    client: httpx.Client | requests.Session, root: str, phone: str
) -> str:
    response = client.get(f"{root}/_fake/outbox/last", params={"phone_number": phone})
    response.raise_for_status()
    return str(response.json()["code"])


class _PlainSync(SyncCompetitor):
    """A plain HTTP client: the same requests, JSON decoded to dicts."""

    client: httpx.Client | requests.Session

    def check(self) -> None:
        response = self.client.post(
            self.api_url + "/check", json=CHECK_BODY, headers=HEADERS
        )
        response.raise_for_status()
        expect_valid(response.json()["status"])

    def flow(self, phone: str) -> None:
        response = self.client.post(
            self.api_url + "/authentication",
            json={"customer_uuid": CUSTOMER, "phone_number": phone},
            headers=HEADERS,
        )
        response.raise_for_status()
        auth_uuid = response.json()["authentication_uuid"]
        code = _sync_outbox_code(self.client, self.root_url, phone)
        response = self.client.post(
            self.api_url + "/check",
            json={
                "customer_uuid": CUSTOMER,
                "authentication_uuid": auth_uuid,
                "check_code": code,
            },
            headers=HEADERS,
        )
        response.raise_for_status()
        expect_valid(response.json()["status"])

    def close(self) -> None:
        self.client.close()


class HttpxSync(_PlainSync):
    """A plain ``httpx.Client``."""

    def __init__(self, api_url: str, root_url: str) -> None:
        super().__init__(api_url, root_url)
        import httpx  # noqa: PLC0415

        self.client = httpx.Client()

    @staticmethod
    def construct(api_url: str) -> object:  # noqa: ARG004 - same signature for all
        import httpx  # noqa: PLC0415

        return httpx.Client()

    @staticmethod
    def destroy(client: object) -> None:
        import httpx  # noqa: PLC0415

        assert isinstance(client, httpx.Client)  # noqa: S101 - made by construct
        client.close()


class RequestsSync(_PlainSync):
    """A plain ``requests.Session``."""

    def __init__(self, api_url: str, root_url: str) -> None:
        super().__init__(api_url, root_url)
        import requests  # noqa: PLC0415

        self.client = requests.Session()

    @staticmethod
    def construct(api_url: str) -> object:  # noqa: ARG004
        import requests  # noqa: PLC0415

        return requests.Session()

    @staticmethod
    def destroy(client: object) -> None:
        import requests  # noqa: PLC0415

        assert isinstance(client, requests.Session)  # noqa: S101 - made by construct
        client.close()


def _official_sdk() -> tuple[Any, Any]:
    """Import the official SDK (``ding-api-client``): its module and components.

    Imported by name and typed ``Any``: in this project's environments ``ding``
    is this project, and type checkers only know that one.

    Raises:
        RuntimeError: ``ding`` is this project, not the official SDK.
    """
    sdk = importlib.import_module("ding")
    if hasattr(sdk, "AsyncDing"):
        raise RuntimeError("the official SDK competitor found this project's ding")
    return sdk, importlib.import_module("ding.models.components")


class OfficialSync(SyncCompetitor):
    """The official SDK, ``ding-api-client`` 3.9.120 (requests underneath)."""

    def __init__(self, api_url: str, root_url: str) -> None:
        super().__init__(api_url, root_url)
        sdk, self.components = _official_sdk()
        self.client: Any = sdk.Ding(api_key=API_KEY, server_url=api_url)
        self._outbox: requests.Session | None = None

    def check(self) -> None:
        result = self.client.otp.check(
            self.components.CreateCheckRequest(
                customer_uuid=CUSTOMER, authentication_uuid=AUTH_UUID, check_code=CODE
            )
        )
        expect_valid(result.create_check_response.status)

    def flow(self, phone: str) -> None:
        components = self.components
        sent = self.client.otp.create_authentication(
            components.CreateAuthenticationRequest(
                customer_uuid=CUSTOMER, phone_number=phone
            )
        )
        auth_uuid = sent.create_authentication_response.authentication_uuid
        if self._outbox is None:
            import requests  # noqa: PLC0415

            self._outbox = requests.Session()
        code = _sync_outbox_code(self._outbox, self.root_url, phone)
        result = self.client.otp.check(
            components.CreateCheckRequest(
                customer_uuid=CUSTOMER, authentication_uuid=auth_uuid, check_code=code
            )
        )
        expect_valid(result.create_check_response.status)

    def close(self) -> None:
        self.client.sdk_configuration.client.close()
        if self._outbox is not None:
            self._outbox.close()

    @staticmethod
    def construct(api_url: str) -> object:
        sdk, _ = _official_sdk()
        return sdk.Ding(api_key=API_KEY, server_url=api_url)

    @staticmethod
    def destroy(client: object) -> None:
        official: Any = client
        official.sdk_configuration.client.close()


class DingAsync(AsyncCompetitor):
    """This project's ``ding.AsyncDing``; the outbox is read with httpx.AsyncClient."""

    def __init__(self, api_url: str, root_url: str) -> None:
        super().__init__(api_url, root_url)
        import ding  # noqa: PLC0415

        self.client: ding.AsyncDing = ding.AsyncDing(
            api_key=API_KEY, server_url=api_url, customer_uuid=CUSTOMER
        )
        self._outbox: httpx.AsyncClient | None = None

    async def check(self) -> None:
        result = await self.client.otp.check(
            authentication_uuid=AUTH_UUID, check_code=CODE
        )
        body = result.create_check_response
        expect_valid(body.status if body is not None else None)

    async def flow(self, phone: str) -> None:
        sent = await self.client.otp.create_authentication(phone_number=phone)
        auth = sent.create_authentication_response
        if auth is None or auth.authentication_uuid is None:
            raise WrongAnswerError("no authentication_uuid")
        if self._outbox is None:
            import httpx  # noqa: PLC0415

            self._outbox = httpx.AsyncClient()
        code = await _async_outbox_code(self._outbox, self.root_url, phone)
        result = await self.client.otp.check(
            authentication_uuid=auth.authentication_uuid, check_code=code
        )
        body = result.create_check_response
        expect_valid(body.status if body is not None else None)

    async def aclose(self) -> None:
        await self.client.aclose()
        if self._outbox is not None:
            await self._outbox.aclose()

    @staticmethod
    def construct(api_url: str) -> object:
        import ding  # noqa: PLC0415

        return ding.AsyncDing(
            api_key=API_KEY, server_url=api_url, customer_uuid=CUSTOMER
        )

    @staticmethod
    async def destroy(client: object) -> None:
        import ding  # noqa: PLC0415

        assert isinstance(client, ding.AsyncDing)  # noqa: S101 - made by construct
        await client.aclose()


async def _async_outbox_code(client: httpx.AsyncClient, root: str, phone: str) -> str:
    response = await client.get(
        f"{root}/_fake/outbox/last", params={"phone_number": phone}
    )
    response.raise_for_status()
    return str(response.json()["code"])


class HttpxAsync(AsyncCompetitor):
    """A plain ``httpx.AsyncClient``: the same requests, JSON decoded to dicts."""

    def __init__(self, api_url: str, root_url: str) -> None:
        super().__init__(api_url, root_url)
        import httpx  # noqa: PLC0415

        self.client: httpx.AsyncClient = httpx.AsyncClient()

    async def check(self) -> None:
        response = await self.client.post(
            self.api_url + "/check", json=CHECK_BODY, headers=HEADERS
        )
        response.raise_for_status()
        expect_valid(response.json()["status"])

    async def flow(self, phone: str) -> None:
        response = await self.client.post(
            self.api_url + "/authentication",
            json={"customer_uuid": CUSTOMER, "phone_number": phone},
            headers=HEADERS,
        )
        response.raise_for_status()
        auth_uuid = response.json()["authentication_uuid"]
        code = await _async_outbox_code(self.client, self.root_url, phone)
        response = await self.client.post(
            self.api_url + "/check",
            json={
                "customer_uuid": CUSTOMER,
                "authentication_uuid": auth_uuid,
                "check_code": code,
            },
            headers=HEADERS,
        )
        response.raise_for_status()
        expect_valid(response.json()["status"])

    async def aclose(self) -> None:
        await self.client.aclose()

    @staticmethod
    def construct(api_url: str) -> object:  # noqa: ARG004
        import httpx  # noqa: PLC0415

        return httpx.AsyncClient()

    @staticmethod
    async def destroy(client: object) -> None:
        import httpx  # noqa: PLC0415

        assert isinstance(client, httpx.AsyncClient)  # noqa: S101 - made by construct
        await client.aclose()


class AiohttpAsync(AsyncCompetitor):
    """A raw ``aiohttp.ClientSession``: the practical ceiling on asyncio."""

    def __init__(self, api_url: str, root_url: str) -> None:
        super().__init__(api_url, root_url)
        import aiohttp  # noqa: PLC0415

        self.client: aiohttp.ClientSession = aiohttp.ClientSession()

    async def check(self) -> None:
        async with self.client.post(
            self.api_url + "/check", json=CHECK_BODY, headers=HEADERS
        ) as response:
            response.raise_for_status()
            expect_valid((await response.json())["status"])

    async def flow(self, phone: str) -> None:
        async with self.client.post(
            self.api_url + "/authentication",
            json={"customer_uuid": CUSTOMER, "phone_number": phone},
            headers=HEADERS,
        ) as response:
            response.raise_for_status()
            auth_uuid = (await response.json())["authentication_uuid"]
        async with self.client.get(
            f"{self.root_url}/_fake/outbox/last", params={"phone_number": phone}
        ) as response:
            response.raise_for_status()
            code = (await response.json())["code"]
        async with self.client.post(
            self.api_url + "/check",
            json={
                "customer_uuid": CUSTOMER,
                "authentication_uuid": auth_uuid,
                "check_code": code,
            },
            headers=HEADERS,
        ) as response:
            response.raise_for_status()
            expect_valid((await response.json())["status"])

    async def aclose(self) -> None:
        await self.client.close()

    @staticmethod
    def construct(api_url: str) -> object:  # noqa: ARG004
        import aiohttp  # noqa: PLC0415

        return aiohttp.ClientSession()

    @staticmethod
    async def destroy(client: object) -> None:
        import aiohttp  # noqa: PLC0415

        assert isinstance(client, aiohttp.ClientSession)  # noqa: S101
        await client.close()


# --- OpenTelemetry ------------------------------------------------------------

#: Whether this process has set the SDK's providers (`install_sdk`): the
#: global providers can be set once per process, and a worker creates a new
#: competitor for each scenario.
_sdk_installed = False


def require_otel_api() -> None:
    """Fail unless ``opentelemetry-api`` is importable and no SDK provider is set.

    Without it, an ``*-otel-*`` competitor would measure the client without
    telemetry under an instrumented one's name.

    Raises:
        RuntimeError: The API is not installed, or a provider is set.
    """
    try:
        trace = importlib.import_module("opentelemetry.trace")
    except ImportError as exc:
        raise RuntimeError(f"opentelemetry-api is not installed here: {exc}") from exc
    if not _sdk_installed and not isinstance(
        trace.get_tracer_provider(), trace.ProxyTracerProvider
    ):
        raise RuntimeError("a tracer provider is already set in this process")


def install_sdk() -> None:
    """Set the SDK's tracer and meter providers as the global ones, once.

    As an application exporting its telemetry would: a `TracerProvider` whose
    `BatchSpanProcessor` hands spans, in batches on its own thread, to an
    exporter, and a `MeterProvider` whose `PeriodicExportingMetricReader`
    collects the metrics every minute (the default) for an exporter. Both
    exporters drop what they get: what is measured is the SDK's recording,
    not a collector's network.
    """
    global _sdk_installed  # noqa: PLW0603 - once per process
    require_otel_api()
    if _sdk_installed:
        return
    from opentelemetry import metrics, trace  # noqa: PLC0415 - otel competitors only
    from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415
    from opentelemetry.sdk.metrics.export import (  # noqa: PLC0415
        MetricExporter,
        MetricExportResult,
        PeriodicExportingMetricReader,
    )
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class DroppingSpanExporter(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:  # noqa: ARG002
            return SpanExportResult.SUCCESS

    class DroppingMetricExporter(MetricExporter):
        def export(
            self,
            metrics_data: MetricsData,  # noqa: ARG002
            timeout_millis: float = 10_000,  # noqa: ARG002
            **kwargs: object,  # noqa: ARG002
        ) -> MetricExportResult:
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 10_000) -> bool:  # noqa: ARG002
            return True

        def shutdown(self, timeout_millis: float = 30_000, **kwargs: object) -> None:
            pass

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(DroppingSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(DroppingMetricExporter())
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    _sdk_installed = True


class DingSyncOtelApi(DingSync):
    """``ding.Ding`` with the OpenTelemetry API installed and no provider set."""

    def __init__(self, api_url: str, root_url: str) -> None:
        require_otel_api()
        super().__init__(api_url, root_url)


class DingSyncOtelSdk(DingSync):
    """``ding.Ding`` with the SDK's providers set globally (`install_sdk`)."""

    def __init__(self, api_url: str, root_url: str) -> None:
        install_sdk()
        super().__init__(api_url, root_url)


class DingAsyncOtelApi(DingAsync):
    """``ding.AsyncDing`` with the OpenTelemetry API installed and no provider set."""

    def __init__(self, api_url: str, root_url: str) -> None:
        require_otel_api()
        super().__init__(api_url, root_url)


class DingAsyncOtelSdk(DingAsync):
    """``ding.AsyncDing`` with the SDK's providers set globally (`install_sdk`)."""

    def __init__(self, api_url: str, root_url: str) -> None:
        install_sdk()
        super().__init__(api_url, root_url)


#: Every competitor: its class and, for async ones, the event loop it runs on.
COMPETITORS: Final[
    dict[str, tuple[type[SyncCompetitor | AsyncCompetitor], str | None]]
] = {
    "ding-sync": (DingSync, None),
    "httpx-sync": (HttpxSync, None),
    "requests": (RequestsSync, None),
    "official": (OfficialSync, None),
    "ding-async": (DingAsync, "asyncio"),
    "httpx-async": (HttpxAsync, "asyncio"),
    "aiohttp": (AiohttpAsync, "asyncio"),
    "ding-trio": (DingAsync, "trio"),
    "httpx-trio": (HttpxAsync, "trio"),
    "ding-sync-otel-api": (DingSyncOtelApi, None),
    "ding-sync-otel-sdk": (DingSyncOtelSdk, None),
    "ding-async-otel-api": (DingAsyncOtelApi, "asyncio"),
    "ding-async-otel-sdk": (DingAsyncOtelSdk, "asyncio"),
}
