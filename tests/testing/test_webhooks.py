"""Webhooks: events POSTed to callback_url, re-sent until a 200, stable ids."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TYPE_CHECKING

import httpx

from ding.testing import FakeDing, ManualClock, WebhookDeliverer, deterministic_codes

if TYPE_CHECKING:
    import pytest

PHONE = "+14155550123"
CALLBACK = "https://hooks.example.com/ding"


class Receiver:
    """Answers `failures` errors per event id, then 200; records every POST."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[dict[str, object]] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        with self.lock:
            self.received.append(payload)
            seen = sum(1 for p in self.received if p["id"] == payload["id"])
        if seen <= self.failures:
            return httpx.Response(500)
        return httpx.Response(200)


def make_fake(receiver: Receiver) -> FakeDing:
    fake = FakeDing(
        clock=ManualClock(),
        codes=deterministic_codes(),
        seed=1,
        webhook_transport=httpx.MockTransport(receiver),
    )
    fake.webhooks.backoff = 0.01
    return fake


def test_events_are_delivered_with_the_documented_shape() -> None:
    receiver = Receiver()
    fake = make_fake(receiver)
    with fake.client() as client:
        res = client.otp.create_authentication(
            phone_number=PHONE,
            callback_url=CALLBACK,
            correlation_id="order-42",
        )
    assert fake.webhooks.wait_idle(10)
    assert res.create_authentication_response is not None
    uuid = res.create_authentication_response.authentication_uuid
    kinds = [p["type"] for p in receiver.received]
    assert kinds[0] == "authentication"
    assert "attempt" in kinds
    assert "delivery_status" in kinds
    first = receiver.received[0]
    assert first["auth_uuid"] == uuid
    assert first["recipient_phone_number"] == PHONE
    assert first["price"] == {"amount": 0.009, "currency": "EUR"}
    assert first["correlation_id"] == "order-42"
    assert isinstance(first["time"], str)
    assert first["time"].endswith("+0000")
    assert all(d.acknowledged for d in fake.webhooks.deliveries)
    assert len({p["id"] for p in receiver.received}) == len(receiver.received)


def test_events_are_resent_until_acknowledged_with_the_same_id() -> None:
    receiver = Receiver(failures=2)
    fake = make_fake(receiver)
    with fake.client() as client:
        client.otp.create_authentication(phone_number=PHONE, callback_url=CALLBACK)
    assert fake.webhooks.wait_idle(10)
    deliveries = fake.webhooks.deliveries
    assert deliveries
    for delivery in deliveries:
        assert delivery.acknowledged
        assert delivery.attempts == 3
        sent = [p for p in receiver.received if p["id"] == delivery.payload["id"]]
        assert len(sent) == 3
        assert all(p == sent[0] for p in sent)


def test_resending_is_bounded() -> None:
    receiver = Receiver(failures=100)
    fake = make_fake(receiver)
    fake.webhooks.max_attempts = 3
    with fake.client() as client:
        client.otp.create_authentication(phone_number=PHONE, callback_url=CALLBACK)
    assert fake.webhooks.wait_idle(10)
    for delivery in fake.webhooks.deliveries:
        assert not delivery.acknowledged
        assert delivery.attempts == 3
        assert delivery.last_status == 500


def test_no_callback_url_no_webhook() -> None:
    receiver = Receiver()
    fake = make_fake(receiver)
    with fake.client() as client:
        client.otp.create_authentication(phone_number=PHONE)
    assert fake.webhooks.wait_idle(1)
    assert receiver.received == []
    assert fake.webhooks.deliveries == []


def test_a_bad_url_neither_crashes_nor_blocks_the_others() -> None:
    receiver = Receiver()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "bad.example.com":
            # What httpx raises for a host IDNA cannot encode: not an HTTPError.
            raise UnicodeError("label empty or too long")
        return receiver(request)

    fake = FakeDing(webhook_transport=httpx.MockTransport(handler))
    fake.webhooks.backoff = 0.01
    fake.webhooks.max_attempts = 2
    bad = "https://bad.example.com/hook"
    with fake.client() as client:
        client.otp.create_authentication(phone_number=PHONE, callback_url=bad)
        client.otp.create_authentication(
            phone_number="+14155550124", callback_url=CALLBACK
        )
    assert fake.webhooks.wait_idle(10)
    deliveries = fake.webhooks.deliveries
    assert all(
        not d.acknowledged and d.attempts == 2 for d in deliveries if d.url == bad
    )
    assert all(d.acknowledged for d in deliveries if d.url == CALLBACK)
    assert {d.url for d in deliveries} == {bad, CALLBACK}


def test_a_slow_receiver_does_not_delay_the_others() -> None:
    release = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "slow.example.com":
            release.wait(10)
        return httpx.Response(200)

    fake = FakeDing(webhook_transport=httpx.MockTransport(handler))
    with fake.client() as client:
        client.otp.create_authentication(
            phone_number=PHONE, callback_url="https://slow.example.com/hook"
        )
        client.otp.create_authentication(
            phone_number="+14155550124", callback_url=CALLBACK
        )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        fast = [d for d in fake.webhooks.deliveries if d.url == CALLBACK]
        if fast and all(d.acknowledged for d in fast):
            break
        time.sleep(0.01)
    else:
        raise AssertionError("the fast receiver waited for the slow one")
    release.set()
    assert fake.webhooks.wait_idle(10)


def test_delivery_threads_do_not_outlive_their_events() -> None:
    before = threading.active_count()
    for _ in range(5):
        receiver = Receiver()
        fake = make_fake(receiver)
        with fake.client() as client:
            client.otp.create_authentication(phone_number=PHONE, callback_url=CALLBACK)
        assert fake.webhooks.wait_idle(10)
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= before


def test_by_default_five_attempts_with_the_wait_doubling_from_a_fifth_of_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # docs/fake.md: "5 attempts, backoff from 0.2 s"; the backoff doubles
    # after each re-send, and nothing is waited for after the last attempt.
    waits: list[tuple[int, float]] = []
    senders: set[int] = set()
    receiver = Receiver(failures=100)

    def receive(request: httpx.Request) -> httpx.Response:
        senders.add(threading.get_ident())
        return receiver(request)

    def sleep(seconds: float) -> None:
        waits.append((threading.get_ident(), seconds))

    monkeypatch.setattr(time, "sleep", sleep)
    fake = FakeDing(webhook_transport=httpx.MockTransport(receive))
    delivery = fake.webhooks.enqueue(CALLBACK, {"id": "e-1", "type": "attempt"})
    assert fake.webhooks.wait_idle(10)
    assert delivery.attempts == 5
    assert len(receiver.received) == 5
    assert not delivery.acknowledged
    # The waits of this event's thread (another test's may still be running).
    assert [s for thread, s in waits if thread in senders] == [0.2, 0.4, 0.8, 1.6]


def test_each_attempt_has_the_per_attempt_timeout() -> None:
    timeouts: list[object] = []

    def receive(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return httpx.Response(200)

    transport = httpx.MockTransport(receive)
    by_default = WebhookDeliverer(transport=transport)
    by_default.enqueue(CALLBACK, {"id": "e-1", "type": "attempt"})
    assert by_default.wait_idle(10)
    given = WebhookDeliverer(transport=transport, timeout=1.5)
    given.enqueue(CALLBACK, {"id": "e-2", "type": "attempt"})
    assert given.wait_idle(10)
    assert timeouts == [
        {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0},
        {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5},
    ]


def test_events_are_delivered_by_named_daemon_threads() -> None:
    # Daemon threads, so that interpreter exit never waits on a receiver;
    # named, so that a thread dump or a leaked-thread check can tell them.
    seen: list[tuple[str, bool]] = []

    def receive(_request: httpx.Request) -> httpx.Response:
        thread = threading.current_thread()
        seen.append((thread.name, thread.daemon))
        return httpx.Response(200)

    deliverer = WebhookDeliverer(transport=httpx.MockTransport(receive))
    deliverer.enqueue(CALLBACK, {"id": "e-1", "type": "attempt"})
    assert deliverer.wait_idle(10)
    assert seen == [("ding-fake-webhook", True)]


def test_a_failed_attempt_is_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    # What tells a test why its receiver got nothing: the URL, the attempt
    # and the error, on the `ding.testing` logger.
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    caplog.set_level(logging.DEBUG, logger="ding.testing")
    deliverer = WebhookDeliverer(transport=httpx.MockTransport(refuse), backoff=0.01)
    deliverer.max_attempts = 2
    delivery = deliverer.enqueue(CALLBACK, {"id": "e-1", "type": "attempt"})
    assert deliverer.wait_idle(10)
    assert delivery.attempts == 2
    assert delivery.last_status is None
    records = [r for r in caplog.records if r.name == "ding.testing"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (
            logging.DEBUG,
            f"webhook {CALLBACK} attempt {n}: ConnectError('connection refused')",
        )
        for n in (1, 2)
    ]


def _blocked(release: threading.Event) -> WebhookDeliverer:
    """A deliverer with one event in flight until *release* is set."""

    def receive(_request: httpx.Request) -> httpx.Response:
        release.wait(10)
        return httpx.Response(200)

    deliverer = WebhookDeliverer(transport=httpx.MockTransport(receive))
    deliverer.enqueue(CALLBACK, {"id": "e-1", "type": "attempt"})
    return deliverer


def test_wait_idle_returns_false_when_its_timeout_passes_first() -> None:
    release = threading.Event()
    deliverer = _blocked(release)
    timer = threading.Timer(3, release.set)
    timer.start()
    try:
        started = time.monotonic()
        assert deliverer.wait_idle(0.2) is False
        assert time.monotonic() - started < 2
    finally:
        release.set()
        timer.cancel()
    assert deliverer.wait_idle(10)


def test_wait_idle_waits_for_an_event_in_flight() -> None:
    release = threading.Event()
    deliverer = _blocked(release)
    timer = threading.Timer(0.05, release.set)
    timer.start()
    try:
        assert deliverer.wait_idle(0.99) is True
    finally:
        release.set()
        timer.cancel()
    assert [d.acknowledged for d in deliverer.deliveries] == [True]


def test_wait_idle_gives_up_after_ten_seconds_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The clock of this thread leaps 10.1 s ahead after wait_idle's first
    # reading; the event in flight is let through at that moment, so a
    # wait_idle that waited past its 10 s would see it acknowledged.
    release = threading.Event()
    deliverer = _blocked(release)
    real = time.monotonic
    waiter = threading.current_thread()
    readings = 0

    def leaping() -> float:
        nonlocal readings
        if threading.current_thread() is not waiter:
            return real()
        readings += 1
        if readings == 1:
            return real()
        release.set()
        return real() + 10.1

    monkeypatch.setattr(time, "monotonic", leaping)
    try:
        assert deliverer.wait_idle() is False
    finally:
        release.set()
        monkeypatch.undo()
    assert deliverer.wait_idle(10)
