"""Webhooks: events POSTed to callback_url, re-sent until a 200, stable ids."""

from __future__ import annotations

import json
import threading
import time

import httpx

from ding.testing import FakeDing, ManualClock, deterministic_codes

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
