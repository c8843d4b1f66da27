"""`ding.webhooks`: Ding's callback events parsed, authenticated, de-duplicated."""

from __future__ import annotations

import datetime as dt
import decimal
import hmac
import importlib.util
import json
import string
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ding import DingError, UsageError, webhooks
from ding.models.shared import Capability, DeliveryStatusStatus
from ding.testing import FakeDing
from ding.webhooks import (
    AttemptEvent,
    AuthenticationEvent,
    Deduplicator,
    DeliveryStatusEvent,
    InMemorySeenStore,
    Price,
    UnknownWebhookEvent,
    WebhookError,
    parse_event,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+14155550123"
UTC = dt.timezone.utc

EVENT_ID = "90c7e8b2-203a-4984-ba25-6cf93d8fdbac"
AUTH_UUID = "f54b6bcc-3638-4437-83c8-1f76631c9403"
# The documented authentication event, as Ding's v1 guide shows it.
DOCUMENTED: dict[str, Any] = {
    "id": EVENT_ID,
    "auth_uuid": AUTH_UUID,
    "type": "authentication",
    "recipient_phone_number": "+33xxxxxxxx",
    "price": {"amount": 0.009, "currency": "EUR"},
    "time": "2023-05-09T12:09:31+0000",
    "correlation_id": AUTH_UUID,
}


def _events_from_the_fake(**create: Any) -> tuple[str, list[dict[str, Any]], list[str]]:
    """Create an authentication on a fake; return its UUID, its events and their URLs."""
    posted: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(200)

    fake = FakeDing(webhook_transport=httpx.MockTransport(receive))
    with fake.client() as client:
        sent = client.otp.create_authentication(phone_number=PHONE, **create)
        fake.clock.advance(fake.settings.retry_interval.total_seconds())
        retried = client.otp.retry(authentication_uuid=sent.authentication_uuid)
        assert retried.status_code == 200
    assert fake.webhooks.wait_idle()
    return (
        sent.authentication_uuid,
        [json.loads(request.content) for request in posted],
        [str(request.url) for request in posted],
    )


def test_docs_fake_md_describes_every_event_the_fake_sends() -> None:
    # Each kind of event the fake sends has its bullet in docs/fake.md's
    # "Webhook events", and each field of its payload is named there.
    text = (ROOT / "docs" / "fake.md").read_text(encoding="utf-8")
    section = text[text.index("## Webhook events") :]
    _, payloads, _ = _events_from_the_fake(
        callback_url="https://receiver.example/ding", correlation_id="order-42"
    )
    kinds = {payload["type"] for payload in payloads}
    assert kinds == {"authentication", "attempt", "delivery_status"}
    for payload in payloads:
        assert f"* `{payload['type']}` (" in section, payload["type"]
        for field in payload:
            assert f"`{field}`" in section, (payload["type"], field)


# --- parsing ---------------------------------------------------------------------


def test_the_documented_event_parses() -> None:
    event = parse_event(json.dumps(DOCUMENTED).encode())
    assert event == AuthenticationEvent(
        id=EVENT_ID,
        auth_uuid=AUTH_UUID,
        time=dt.datetime(2023, 5, 9, 12, 9, 31, tzinfo=UTC),
        recipient_phone_number="+33xxxxxxxx",
        correlation_id=AUTH_UUID,
        price=Price(amount=0.009, currency="EUR"),
    )
    assert event.raw == DOCUMENTED


def test_every_event_the_fake_sends_parses_to_its_type() -> None:
    auth_uuid, payloads, _ = _events_from_the_fake(
        callback_url="https://receiver.example/ding", correlation_id="order-42"
    )
    events = [parse_event(payload) for payload in payloads]
    kinds = sorted(type(event).__name__ for event in events)
    # One authentication, then one attempt and one delivery report per code
    # sent (the create's and the retry's).
    assert kinds == [
        "AttemptEvent",
        "AttemptEvent",
        "AuthenticationEvent",
        "DeliveryStatusEvent",
        "DeliveryStatusEvent",
    ]
    for event in events:
        assert event.auth_uuid == auth_uuid
        assert event.correlation_id == "order-42"
        assert event.recipient_phone_number == PHONE
        assert event.time is not None
        assert event.time.utcoffset() == dt.timedelta(0)
        assert event.id
    attempts = [e for e in events if isinstance(e, AttemptEvent)]
    reports = [e for e in events if isinstance(e, DeliveryStatusEvent)]
    assert sorted(e.attempt_number or 0 for e in attempts) == [1, 2]
    assert {e.capability for e in attempts} == {Capability.TEXT}
    assert {e.price for e in attempts} == {Price(amount=0.009, currency="EUR")}
    assert {e.status for e in reports} == {DeliveryStatusStatus.DELIVERED}
    # A report names the attempt it is about.
    assert {e.attempt_uuid for e in reports} == {e.attempt_uuid for e in attempts}
    assert len({e.id for e in events}) == len(events)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-05-09T12:09:31+0000", dt.datetime(2023, 5, 9, 12, 9, 31, tzinfo=UTC)),
        ("2023-05-09T12:09:31+00:00", dt.datetime(2023, 5, 9, 12, 9, 31, tzinfo=UTC)),
        ("2023-05-09T12:09:31Z", dt.datetime(2023, 5, 9, 12, 9, 31, tzinfo=UTC)),
        ("2023-05-09 12:09:31", dt.datetime(2023, 5, 9, 12, 9, 31, tzinfo=UTC)),
        (
            "2023-05-09T14:09:31.123456789+0200",
            dt.datetime(2023, 5, 9, 12, 9, 31, 123456, tzinfo=UTC),
        ),
        (" 2023-05-09T12:09:31+0000\n", dt.datetime(2023, 5, 9, 12, 9, 31, tzinfo=UTC)),
    ],
)
def test_timestamps_are_read_leniently(text: str, expected: dt.datetime) -> None:
    event = parse_event({"type": "attempt", "time": text})
    assert event.time == expected
    assert event.time is not None
    assert event.time.tzinfo is not None


def test_an_unknown_kind_is_kept_raw() -> None:
    payload = {"id": "e1", "type": "balance_update", "amount": -0.009, "auth_uuid": "a"}
    event = parse_event(payload)
    assert isinstance(event, UnknownWebhookEvent)
    assert event.type == "balance_update"
    assert event.id == "e1"
    assert event.auth_uuid == "a"
    assert event.raw == payload


def test_unknown_fields_and_values_are_kept() -> None:
    event = parse_event(
        {"type": "attempt", "capability": "carrier_pigeon", "sender_id": "ACME"}
    )
    assert isinstance(event, AttemptEvent)
    assert event.capability == "carrier_pigeon"
    assert not isinstance(event.capability, Capability)
    assert event.raw["sender_id"] == "ACME"
    report = parse_event({"type": "delivery_status", "status": "lost_at_sea"})
    assert isinstance(report, DeliveryStatusEvent)
    assert report.status == "lost_at_sea"


def test_missing_fields_are_none() -> None:
    event = parse_event(b'{"type": "delivery_status"}')
    assert event == DeliveryStatusEvent()


@pytest.mark.parametrize("kind", [AttemptEvent, DeliveryStatusEvent])
def test_an_event_about_an_attempt_names_the_attempt(
    kind: type[AttemptEvent | DeliveryStatusEvent],
) -> None:
    name = "attempt" if kind is AttemptEvent else "delivery_status"
    event = parse_event(
        {"type": name, "attempt_uuid": "at-7", "attempt_number": 2, "auth_uuid": "a"}
    )
    assert isinstance(event, kind)
    assert event.attempt_uuid == "at-7"
    assert event.attempt_number == 2


def test_a_price_may_lack_its_amount_or_its_currency() -> None:
    event = parse_event({"type": "authentication", "price": {"currency": "EUR"}})
    assert isinstance(event, AuthenticationEvent)
    assert event.price == Price(amount=None, currency="EUR")
    event = parse_event({"type": "attempt", "price": {"amount": 1}})
    assert isinstance(event, AttemptEvent)
    assert event.price == Price(amount=1.0, currency=None)
    assert event.price is not None
    assert isinstance(event.price.amount, float)


@pytest.mark.parametrize("buffer", [bytes, bytearray, memoryview])
def test_the_raw_body_may_come_in_any_bytes_buffer(
    buffer: Callable[[bytes], bytes | bytearray | memoryview],
) -> None:
    # Frameworks hand the body over as bytes, a bytearray or a memoryview.
    body = json.dumps(DOCUMENTED).encode()
    event = parse_event(buffer(body))  # type: ignore[arg-type]
    assert event == parse_event(body)
    with pytest.raises(WebhookError, match="not JSON"):
        parse_event(buffer(b"{"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "names"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"authentication"', "not a JSON object"),
        (b"{}", "'type'"),
        (b'{"type": 3}', "'type'"),
        (b'{"type": "attempt", "attempt_number": "1"}', "'attempt_number'"),
        (b'{"type": "attempt", "attempt_number": 1.5}', "'attempt_number'"),
        (b'{"type": "attempt", "attempt_number": true}', "'attempt_number'"),
        (b'{"type": "authentication", "price": 0.009}', "'price'"),
        (b'{"type": "authentication", "price": {"amount": "0.009"}}', "'amount'"),
        (b'{"type": "authentication", "id": 7}', "'id'"),
        (b'{"type": "authentication", "time": "yesterday"}', "'time'"),
        (b'{"type": "authentication", "time": "2023-13-45T00:00:00Z"}', "'time'"),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_a_body_that_is_not_an_event_raises_webhook_error(
    body: bytes, names: str
) -> None:
    with pytest.raises(WebhookError, match=names) as excinfo:
        parse_event(body)
    assert isinstance(excinfo.value, DingError)
    assert excinfo.value.__cause__ is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "the webhook body is not JSON"),
        (b"[1, 2]", "the webhook body is not a JSON object"),
        (b'{"type": null}', "the event has no string 'type' field"),
        (b'{"type": "attempt", "id": 7}', "the event's 'id' field is not a string"),
        (
            b'{"type": "attempt", "price": {"amount": "0.009"}}',
            "the event's 'amount' field is not a number",
        ),
        (
            b'{"type": "attempt", "attempt_number": "1"}',
            "the event's 'attempt_number' field is not an integer",
        ),
        (
            b'{"type": "attempt", "attempt_number": 1.5}',
            "the event's 'attempt_number' field is not an integer",
        ),
        (
            b'{"type": "authentication", "price": 0.009}',
            "the event's 'price' field is not an object",
        ),
        (
            b'{"type": "authentication", "time": "yesterday"}',
            "the event's 'time' field is not a timestamp",
        ),
    ],
)
def test_a_webhook_error_says_what_is_wrong(body: bytes, message: str) -> None:
    # What a receiver logs, or answers with its 400: the field and what it
    # should have been, never the value that came.
    with pytest.raises(WebhookError) as excinfo:
        parse_event(body)
    assert str(excinfo.value) == message


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_KINDS = st.sampled_from(["authentication", "attempt", "delivery_status", "other"])
_FIELDS = st.sampled_from(
    [
        "id",
        "auth_uuid",
        "time",
        "price",
        "attempt_number",
        "attempt_uuid",
        "capability",
        "status",
        "correlation_id",
    ]
)


@settings(max_examples=300, deadline=None)
@given(kind=_KINDS, fields=st.dictionaries(_FIELDS, _JSON, max_size=5))
def test_any_json_gives_an_event_or_a_webhook_error(
    kind: str, fields: dict[str, Any]
) -> None:
    try:
        event = parse_event(json.dumps({"type": kind, **fields}, allow_nan=True))
    except WebhookError:
        return
    assert event.raw["type"] == kind


# --- authenticating ----------------------------------------------------------------


def test_callback_url_adds_the_token_and_token_of_reads_it_back() -> None:
    url = webhooks.callback_url("https://example.com/hooks/ding?site=eu", "s3cr3t")
    assert url == "https://example.com/hooks/ding?site=eu&ding_token=s3cr3t"
    path = "/hooks/ding?site=eu&ding_token=s3cr3t"
    assert webhooks.token_of(url) == "s3cr3t"
    assert webhooks.token_of(path) == "s3cr3t"
    assert webhooks.token_of("site=eu&ding_token=s3cr3t") == "s3cr3t"
    assert webhooks.token_of("https://example.com/hooks/ding") is None


def test_a_repeated_token_parameter_is_no_token() -> None:
    assert webhooks.token_of("/hook?ding_token=guess&ding_token=s3cr3t") is None
    # An empty copy is a copy too: a forger must not make the other one count.
    assert webhooks.token_of("/hook?ding_token=&ding_token=s3cr3t") is None
    assert webhooks.token_of("/hook?ding_token=s3cr3t&ding_token=") is None


def test_callback_url_keeps_the_query_it_was_given() -> None:
    url = webhooks.callback_url("https://example.com/hook?debug=&site=eu", "s3cr3t")
    assert url == "https://example.com/hook?debug=&site=eu&ding_token=s3cr3t"
    assert webhooks.token_of(url) == "s3cr3t"


@pytest.mark.parametrize(
    ("url", "token"),
    [
        ("/relative", "t"),
        ("ftp://example.com/x", "t"),
        ("https://example.com/x#frag", "t"),
        ("https://example.com/x?ding_token=old", "t"),
        ("https://example.com/x", ""),
    ],
)
def test_callback_url_refuses_what_cannot_work(url: str, token: str) -> None:
    with pytest.raises(DingError):
        webhooks.callback_url(url, token)


@pytest.mark.parametrize(
    ("url", "token", "message"),
    [
        ("https://example.com/x", "", "the webhook token is empty"),
        ("/relative", "t", "callback_url needs an absolute http(s) URL"),
        ("ftp://example.com/x", "t", "callback_url needs an absolute http(s) URL"),
        (
            "https://example.com/x#frag",
            "t",
            "callback_url takes no fragment (it never reaches the server)",
        ),
        (
            "https://example.com/x?ding_token=old",
            "t",
            "the URL already has a 'ding_token' query parameter",
        ),
    ],
)
def test_callback_url_says_why_it_refuses(url: str, token: str, message: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        webhooks.callback_url(url, token)
    assert str(excinfo.value) == message


def test_new_tokens_are_long_and_distinct() -> None:
    tokens = {webhooks.new_token() for _ in range(100)}
    assert len(tokens) == 100
    # As documented: 43 URL-safe characters (32 random bytes), nothing to escape.
    assert {len(token) for token in tokens} == {43}
    alphabet = set(string.ascii_letters + string.digits + "-_")
    assert all(set(token) <= alphabet for token in tokens)


def test_verify_token_accepts_only_the_exact_secret() -> None:
    assert webhooks.verify_token("s3cr3t", "s3cr3t")
    assert not webhooks.verify_token("s3cr3", "s3cr3t")
    assert not webhooks.verify_token("s3cr3t ", "s3cr3t")
    assert not webhooks.verify_token(None, "s3cr3t")
    assert not webhooks.verify_token("", "")  # no secret configured: refuse all
    assert not webhooks.verify_token("é", "s3cr3t")


def test_verify_token_compares_in_constant_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    assert webhooks.verify_token("s3cr3t", "s3cr3t")
    assert not webhooks.verify_token("guess!", "s3cr3t")
    assert compared == [(b"s3cr3t", b"s3cr3t"), (b"guess!", b"s3cr3t")]


# --- de-duplicating --------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_event_gets_through_once() -> None:
    dedup = Deduplicator()
    event = parse_event(DOCUMENTED)
    again = parse_event(json.dumps(DOCUMENTED))
    assert dedup.first_time(event)
    assert not dedup.first_time(again)
    other = parse_event({**DOCUMENTED, "id": "another"})
    assert dedup.first_time(other)


def test_events_without_an_id_are_told_apart_by_content() -> None:
    dedup = Deduplicator()
    first = {"type": "delivery_status", "auth_uuid": "a", "attempt_number": 1}
    assert dedup.first_time(parse_event({**first, "status": "submitted"}))
    assert dedup.first_time(parse_event({**first, "status": "delivered"}))
    assert not dedup.first_time(parse_event({**first, "status": "delivered"}))
    assert dedup.first_time(parse_event({"type": "other", "n": 1}))
    assert dedup.first_time(parse_event({"type": "other", "n": 2}))
    assert not dedup.first_time(parse_event({"n": 2, "type": "other"}))


def test_events_without_an_id_from_different_authentications_are_apart() -> None:
    dedup = Deduplicator()
    first = {"type": "attempt", "attempt_number": 1, "time": "2023-05-09T12:09:31Z"}
    assert dedup.first_time(parse_event({**first, "auth_uuid": "a"}))
    assert dedup.first_time(parse_event({**first, "auth_uuid": "b"}))
    later = {**first, "auth_uuid": "b", "time": "2023-05-09T12:09:32Z"}
    assert dedup.first_time(parse_event(later))
    assert not dedup.first_time(parse_event({**first, "auth_uuid": "b"}))
    # Each kind, with and without a time, is keyed without error.
    for kind in ("authentication", "attempt", "delivery_status", "other"):
        event = parse_event({"type": kind, "auth_uuid": "c", "time": first["time"]})
        assert dedup.first_time(event)
        assert not dedup.first_time(event)


def test_an_unknown_event_decoded_with_decimals_is_deduplicated() -> None:
    # parse_event takes JSON decoded by the framework, which may give
    # Decimal numbers (json.loads(parse_float=Decimal), simplejson, DRF).
    body = '{"type": "balance_update", "amount": -0.009, "auth_uuid": "a"}'
    event = parse_event(json.loads(body, parse_float=decimal.Decimal))
    dedup = Deduplicator()
    assert dedup.first_time(event)
    again = parse_event(json.loads(body, parse_float=decimal.Decimal))
    assert not dedup.first_time(again)


def test_keys_are_the_same_from_one_version_to_the_next() -> None:
    # A shared store outlives a deploy, and workers on several hosts run
    # old and new versions side by side during one: a key that changed
    # would let a re-send of an event already handled through again.
    key = Deduplicator.key
    assert key(parse_event(DOCUMENTED)) == f"id:{EVENT_ID}"
    envelope = {"auth_uuid": "a-1", "time": "2023-05-09T12:09:31+0000"}
    attempt = {**envelope, "attempt_uuid": "at-1", "attempt_number": 1}
    assert key(parse_event({"type": "authentication", **envelope})) == (
        'content:["AuthenticationEvent", "a-1", "2023-05-09 12:09:31+00:00"]'
    )
    assert key(parse_event({"type": "attempt", **attempt})) == (
        'content:["AttemptEvent", "a-1", "2023-05-09 12:09:31+00:00", "at-1", 1]'
    )
    assert key(
        parse_event({"type": "delivery_status", **attempt, "status": "delivered"})
    ) == (
        'content:["DeliveryStatusEvent", "a-1", "2023-05-09 12:09:31+00:00",'
        ' "at-1", 1, "delivered"]'
    )
    assert key(parse_event({"type": "other", "n": 1})) == (
        'content:["UnknownWebhookEvent", null, null, "{\\"n\\": 1, \\"type\\": \\"other\\"}"]'
    )


def test_keys_expire_after_the_ttl() -> None:
    clock = Clock()
    dedup = Deduplicator(InMemorySeenStore(clock=clock), ttl=60)
    event = parse_event(DOCUMENTED)
    assert dedup.first_time(event)
    clock.now += 59
    assert not dedup.first_time(event)
    clock.now += 2
    assert dedup.first_time(event)


def test_a_key_is_kept_for_exactly_its_ttl() -> None:
    clock = Clock()
    store = InMemorySeenStore(clock=clock)
    assert store.add("a", 60)
    clock.now += 30
    assert store.add("b", 60)
    clock.now += 29.5
    assert not store.add("a", 60)
    clock.now += 0.5  # 60 s after "a" was recorded: forgotten
    assert store.add("a", 60)
    clock.now += 30  # 60 s after "b" was recorded
    assert store.add("c", 60)
    assert len(store) == 2  # "b" is gone, not only ignored


def test_the_default_ttl_covers_dings_two_weeks_of_resends() -> None:
    assert Deduplicator().ttl >= 14 * 24 * 3600


def test_the_in_memory_store_is_bounded_dropping_the_oldest() -> None:
    store = InMemorySeenStore(max_entries=3)
    for key in "abcd":
        assert store.add(key, 60)
    assert len(store) == 3
    assert store.add("a", 60)  # forgotten: the oldest went first
    assert not store.add("d", 60)


def test_a_key_recorded_again_counts_as_the_newest() -> None:
    clock = Clock()
    store = InMemorySeenStore(max_entries=2, clock=clock)
    assert store.add("a", 10)
    clock.now += 5
    assert store.add("b", 10)
    clock.now += 6  # "a" has expired; "b" has not
    assert store.add("a", 10)  # recorded again, after "b"
    assert store.add("c", 10)  # one too many: "b", now the oldest, goes
    assert not store.add("a", 10)
    assert not store.add("c", 10)
    assert store.add("b", 10)


def test_the_in_memory_store_keeps_at_least_one_key() -> None:
    store = InMemorySeenStore(max_entries=1)
    assert store.add("a", 60)
    assert not store.add("a", 60)
    assert store.add("b", 60)
    assert store.add("a", 60)  # one key kept: the newest
    with pytest.raises(UsageError) as excinfo:
        InMemorySeenStore(max_entries=0)
    assert str(excinfo.value) == "max_entries must be at least 1"


def test_the_in_memory_store_is_thread_safe() -> None:
    def yielding_clock() -> float:
        time.sleep(0)  # lets another thread in, between reading a key and writing it
        return 1000.0

    store = InMemorySeenStore(clock=yielding_clock)
    firsts: list[int] = []
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        firsts.append(sum(store.add(f"k{i}", 60) for i in range(2000)))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(firsts) == 2000


def test_a_shared_store_plugs_in() -> None:
    calls: list[tuple[str, float]] = []

    class SetNx:
        def __init__(self) -> None:
            self.keys: set[str] = set()

        def add(self, key: str, ttl: float) -> bool:
            calls.append((key, ttl))
            if key in self.keys:
                return False
            self.keys.add(key)
            return True

    shared = SetNx()
    one, two = Deduplicator(shared, ttl=5.0), Deduplicator(shared, ttl=5.0)
    event = parse_event(DOCUMENTED)
    assert one.first_time(event)
    assert not two.first_time(event)  # another worker, the same store
    assert calls == [(f"id:{DOCUMENTED['id']}", 5.0)] * 2


# --- end to end: the example receiver against the fake ---------------------------------


def _example(name: str) -> ModuleType:
    path = ROOT / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_example_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_example_receiver_authenticates_parses_and_deduplicates() -> None:
    example = _example("webhook_receiver")
    fake = FakeDing()
    with example.Receiver() as receiver, fake.client() as client:
        sent = client.otp.create_authentication(
            phone_number=PHONE, callback_url=receiver.callback_url
        )
        assert fake.webhooks.wait_idle()
        deliveries = fake.webhooks.deliveries
        assert len(deliveries) == 3
        assert all(d.acknowledged and d.attempts == 1 for d in deliveries)
        # A repeated delivery (Ding saw no 200 in time) and an unknown kind.
        repeat = fake.webhooks.redeliver(deliveries[0])
        unknown = fake.webhooks.enqueue(
            receiver.callback_url, {"id": "u-1", "type": "balance_update"}
        )
        assert fake.webhooks.wait_idle()
        assert repeat.acknowledged  # answered 200, so Ding stops re-sending
        assert unknown.acknowledged
        # Without the token, and with a wrong one.
        assert httpx.post(receiver.url, json=DOCUMENTED).status_code == 403
        wrong = webhooks.callback_url(receiver.url, "guess")
        assert httpx.post(wrong, json=DOCUMENTED).status_code == 403
        assert httpx.post(receiver.callback_url, content=b"{").status_code == 400
    kinds = sorted(type(event).__name__ for event in receiver.events)
    assert kinds == [
        "AttemptEvent",
        "AuthenticationEvent",
        "DeliveryStatusEvent",
        "UnknownWebhookEvent",
    ]
    assert receiver.duplicates == 1
    assert receiver.refused == 2
    known = [e for e in receiver.events if not isinstance(e, UnknownWebhookEvent)]
    assert {e.auth_uuid for e in known} == {sent.authentication_uuid}
    assert {e.id for e in receiver.events} >= {d.payload["id"] for d in deliveries}


def test_the_example_receiver_walk_through_runs() -> None:
    lines = list(_example("webhook_receiver").demo())
    assert lines[-1] == "repeats dropped: 1; requests refused: 1"
    assert "forged request answered 403" in lines
    assert sum(line.startswith("event: ") for line in lines) == 4
