"""Webhook delivery: POST each event to its ``callback_url`` until acknowledged.

Ding re-sends an event until the receiver answers 200 (for up to two weeks);
the fake does the same within a bounded number of attempts, in a daemon
thread so that neither an event loop nor interpreter exit waits on it. Every
event carries a stable ``id``, identical on every re-send, for
de-duplication.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Final

import attrs
import httpx

__all__ = ["Delivery", "WebhookDeliverer"]

_logger: Final = logging.getLogger("ding.testing")


@attrs.define
class Delivery:
    """One event and what became of it."""

    url: str
    payload: dict[str, Any]
    attempts: int = 0
    acknowledged: bool = False
    last_status: int | None = None


class WebhookDeliverer:
    """Deliver webhook events in the background, re-sending until a 200.

    Each event is delivered by its own short-lived daemon thread, so a slow
    or unreachable receiver delays only its own events.

    Args:
        transport: Where requests go (default: the network); tests pass an
            `httpx.MockTransport`.
        max_attempts: Attempts per event before giving up.
        backoff: Seconds before the first re-send; doubles after each.
        timeout: Per-attempt timeout in seconds.
    """

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int = 5,
        backoff: float = 0.2,
        timeout: float = 5.0,
    ) -> None:
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._transport = transport
        self._timeout = timeout
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._deliveries: list[Delivery] = []
        self._busy = 0

    @property
    def deliveries(self) -> list[Delivery]:
        """Every event queued so far, in order, with its delivery state."""
        with self._lock:
            return list(self._deliveries)

    def enqueue(self, url: str, payload: dict[str, Any]) -> Delivery:
        """Start delivering one event (returns at once).

        Returns:
            The delivery, updated as it goes.
        """
        delivery = Delivery(url=url, payload=payload)
        with self._lock:
            self._deliveries.append(delivery)
            self._busy += 1
        threading.Thread(
            target=self._run,
            args=(delivery,),
            name="ding-fake-webhook",
            daemon=True,
        ).start()
        return delivery

    def redeliver(self, delivery: Delivery) -> Delivery:
        """Deliver an event again, as Ding does when it saw no 200 in time.

        The payload is the same (its ``id`` included), so a receiver that
        de-duplicates lets it through once (`ding.webhooks.Deduplicator`).

        Returns:
            The new delivery.
        """
        return self.enqueue(delivery.url, dict(delivery.payload))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every event is acknowledged or given up on.

        Returns:
            True when idle, False if *timeout* passed first.
        """
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def _run(self, delivery: Delivery) -> None:
        try:
            with httpx.Client(transport=self._transport, timeout=self._timeout) as http:
                self._deliver(http, delivery)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _deliver(self, http: httpx.Client, delivery: Delivery) -> None:
        delay = self.backoff
        for attempt in range(1, self.max_attempts + 1):
            delivery.attempts = attempt
            try:
                response = http.post(delivery.url, json=delivery.payload)
            except Exception as exc:  # noqa: BLE001 - any failure is a failed attempt
                # httpx raises more than HTTPError for odd URLs (UnicodeError
                # from IDNA, for one); the receiver's problem, never the fake's.
                _logger.debug("webhook %s attempt %d: %r", delivery.url, attempt, exc)
            else:
                delivery.last_status = response.status_code
                if response.status_code == 200:  # noqa: PLR2004 - Ding wants exactly 200
                    delivery.acknowledged = True
                    return
            if attempt < self.max_attempts:
                time.sleep(delay)
                delay *= 2
