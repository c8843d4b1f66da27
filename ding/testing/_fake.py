"""`FakeDing`: `FakeState` with its app, faults, webhooks and clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import httpx

from ding._client import AsyncDing
from ding._sync._client import Ding
from ding.testing._app import FakeApp, FakeTransport
from ding.testing._faults import FaultPlan
from ding.testing._server_thread import ServerThread
from ding.testing._state import FakeState
from ding.testing._webhooks import WebhookDeliverer

if TYPE_CHECKING:
    from ding.testing._values import Clock, CodeGenerator, FakeSettings

__all__ = ["DEFAULT_API_KEY", "DEFAULT_CUSTOMER_UUID", "FakeDing"]

#: The customer UUID the ready-made clients use in open mode.
DEFAULT_CUSTOMER_UUID: Final = "28591d9e-a825-47f6-ab11-1a61726305bf"
#: The API key the ready-made clients send in open mode.
DEFAULT_API_KEY: Final = "fake-ding-api-key"
#: The base URL of the in-process fake (no DNS lookup ever happens).
IN_PROCESS_URL: Final = "https://ding.fake/v1"


class FakeDing(FakeState):
    """A stateful fake of the Ding v1 API, to run in-process or over TCP.

    Everything the real API does is answered from memory: codes "sent" land
    in `outbox`, time comes from *clock*, codes from *codes*. `faults`
    scripts failures per operation and call; `webhooks` delivers events to
    ``callback_url``. `handled_requests` counts the requests that reached
    the app, whatever their path or answer, so that a test can tell a
    request the fake handled from one lost on the way (say, on a
    connection its server closed for idleness).

    Example::

        fake = FakeDing()
        async with fake.async_client() as client:
            sent = await client.otp.create_authentication(phone_number="+14155550123")
            code = fake.outbox.last_code("+14155550123")

    Args:
        settings: Lifetimes, limits, strict mode (see `FakeSettings`).
        clock: Returns the current time (default: the system clock);
            `ManualClock` stands still until moved. Whichever it is,
            ``fake.clock`` (a `MovableClock`) moves by hand:
            ``fake.clock.advance(600)``; a clock other than a `ManualClock`
            is wrapped in a `ShiftedClock` that adds the moves to its time.
        codes: Makes the code for a phone number (default: random digits);
            `deterministic_codes` gives reproducible ones.
        seed: Makes every generated UUID reproducible.
        webhook_transport: Where webhook requests go (default: the network).
    """

    def __init__(
        self,
        settings: FakeSettings | None = None,
        *,
        clock: Clock | None = None,
        codes: CodeGenerator | None = None,
        seed: int | None = None,
        webhook_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.webhooks = WebhookDeliverer(transport=webhook_transport)
        super().__init__(
            settings,
            clock=clock,
            codes=codes,
            seed=seed,
            webhook_sink=self.webhooks.enqueue,
        )
        self.faults = FaultPlan()
        self.app = FakeApp(self, self.faults)

    @property
    def handled_requests(self) -> int:
        """How many HTTP requests reached the app, in-process or over TCP.

        Every request the app was handed counts once, answered or dropped by a
        fault, ``/_fake`` routes included; a request the server closed the
        connection on before reading it never does. Zero again after `reset`.
        """
        return self.app.requests

    def reset(self) -> None:
        """Forget every authentication, feedback, sent code and scheduled fault.

        `handled_requests` starts again from zero.
        """
        super().reset()
        self.faults.reset()
        self.app.reset_requests()

    def transport(self) -> httpx.AsyncBaseTransport:
        """Return an in-process transport to this fake (ASGI, no sockets)."""
        return FakeTransport(self.app)

    def _client_settings(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        settings = self.settings
        kwargs.setdefault("api_key", min(settings.api_keys, default=DEFAULT_API_KEY))
        kwargs.setdefault(
            "customer_uuid",
            min(settings.customer_uuids, default=DEFAULT_CUSTOMER_UUID),
        )
        kwargs.setdefault("server_url", IN_PROCESS_URL)
        kwargs.setdefault("client", httpx.AsyncClient(transport=self.transport()))
        return kwargs

    def async_client(self, **kwargs: Any) -> AsyncDing:  # noqa: ANN401 - AsyncDing's keywords
        """Return an `AsyncDing` bound to this fake, in-process.

        Keywords are passed to `AsyncDing`; by default it gets a working API
        key and customer UUID (the first configured ones in strict mode).
        """
        return AsyncDing(**self._client_settings(kwargs))

    def client(self, **kwargs: Any) -> Ding:  # noqa: ANN401 - Ding's keywords
        """Return a `Ding` (sync) bound to this fake, in-process.

        Keywords are passed to `Ding`, with the defaults of `async_client`.
        """
        return Ding(**self._client_settings(kwargs))

    def serve(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        idle_timeout: float | None = None,
        announce_idle_timeout: bool = False,
    ) -> ServerThread:
        """Return a context manager serving this fake over TCP in a thread.

        Its ``url`` attribute is the server root; the API is at ``url + "/v1"``.

        Args:
            host: The address to bind (default: loopback only).
            port: The port (default: any free port).
            idle_timeout: Close a keep-alive connection whose next request
                has not begun (not one byte read) this many seconds after
                its last response, as real servers do; what the client sent
                too late is discarded unread, never handled. None (the
                default) keeps idle connections open.
            announce_idle_timeout: Announce it on every response that keeps
                the connection open: ``Keep-Alive: timeout=5``.

        Raises:
            UsageError: *idle_timeout* is not a positive finite number, or
                *announce_idle_timeout* is set without it.
        """
        return ServerThread(
            self.app,
            host=host,
            port=port,
            idle_timeout=idle_timeout,
            announce_idle_timeout=announce_idle_timeout,
        )
