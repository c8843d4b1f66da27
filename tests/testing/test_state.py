"""The fake's state machine: validation, lifecycle, retries, webhooks, threads."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, cast

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ding._errors import UsageError
from ding._models import Code

# The tests call the bare state machine, `FakeState`, by its old name.
from ding.testing._state import FakeState as FakeDing
from ding.testing._values import (
    RESERVED_NUMBERS,
    FakeSettings,
    ManualClock,
    Outbox,
    Reply,
    SentMessage,
    deterministic_codes,
    random_codes,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

CUSTOMER = "28591d9e-a825-47f6-ab11-1a61726305bf"
OTHER_CUSTOMER = "0f0e0d0c-0b0a-4908-8706-050403020100"
PHONE = "+33612345678"
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
DOC_URL = "https://docs.prelude.so/verify/v1/documentation/errors#"

UUID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)
TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z")
WEBHOOK_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+0000")
# The documented codes: tests/test_models.py checks `Code` against the docs.
ERROR_CODES = frozenset(code.value for code in Code)
CHECK_STATUSES = frozenset(
    {
        "unknown",
        "valid",
        "invalid",
        "without_attempt",
        "rate_limited",
        "already_validated",
        "expired_auth",
    }
)
RETRY_STATUSES = frozenset(
    {
        "approved",
        "denied",
        "no_attempt",
        "rate_limited",
        "expired_auth",
        "already_validated",
    }
)
LINE_TYPES = frozenset(
    {
        "CallingCards",
        "FixedLine",
        "InternetServiceProvider",
        "LocalRate",
        "Mobile",
        "Other",
        "Pager",
        "PayPhone",
        "PremiumRate",
        "Satellite",
        "Service",
        "SharedCost",
        "ShortCodesCommercial",
        "TollFree",
        "UniversalAccess",
        "Unknown",
        "VPN",
        "VoiceMail",
        "Voip",
    }
)

Hooks = list[tuple[str, dict[str, Any]]]


# --------------------------------------------------------------------------
# Shape checks (the openapi.yaml schemas, by hand)
# --------------------------------------------------------------------------


def ts(text: object) -> datetime:
    assert isinstance(text, str)
    assert TIMESTAMP_RE.fullmatch(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def is_uuid(text: object) -> bool:
    return isinstance(text, str) and UUID_RE.fullmatch(text) is not None


def assert_error(reply: Reply, code: str) -> None:
    assert reply.status == 400, reply
    assert set(reply.body) == {"code", "message", "doc_url"}
    assert reply.body["code"] == code, reply
    assert code in ERROR_CODES
    assert isinstance(reply.body["message"], str)
    assert reply.body["message"]
    assert reply.body["doc_url"] == DOC_URL + code


def assert_create_body(body: Mapping[str, Any]) -> None:
    assert set(body) == {"authentication_uuid", "status", "created_at", "expires_at"}
    assert is_uuid(body["authentication_uuid"])
    assert body["status"] in {"pending", "rate_limited", "spam_detected"}
    assert ts(body["created_at"]) < ts(body["expires_at"])


def assert_check_body(body: Mapping[str, Any]) -> None:
    assert set(body) == {"authentication_uuid", "status"}
    assert is_uuid(body["authentication_uuid"])
    assert body["status"] in CHECK_STATUSES


def assert_retry_body(body: Mapping[str, Any]) -> None:
    assert set(body) == {
        "authentication_uuid",
        "status",
        "created_at",
        "next_retry_at",
        "remaining_retry",
    }
    assert is_uuid(body["authentication_uuid"])
    assert body["status"] in RETRY_STATUSES
    ts(body["created_at"])
    ts(body["next_retry_at"])
    remaining = body["remaining_retry"]
    assert type(remaining) is int
    assert remaining >= 0


def assert_feedback_body(body: Mapping[str, Any]) -> None:
    assert set(body) == {"uuid"}
    assert is_uuid(body["uuid"])


EVENT_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # type -> (always present, optional)
    "attempt": (
        {
            "type",
            "created_at",
            "id",
            "content",
            "capability",
            "attempt_number",
            "status",
        },
        {"sender_id"},
    ),
    "delivery_status": (
        {
            "type",
            "created_at",
            "attempt_id",
            "attempt_number",
            "status",
            "originated_at",
        },
        set(),
    ),
    "balance_update": ({"type", "created_at", "balance_update_type", "amount"}, set()),
    "check": ({"type", "created_at", "id", "code", "status"}, set()),
}


def assert_status_body(body: Mapping[str, Any]) -> None:
    assert {"uuid", "phone_number", "created_at", "signals", "events"} <= set(body)
    assert set(body) <= {
        "uuid",
        "phone_number",
        "created_at",
        "signals",
        "events",
        "template_id",
        "correlation_id",
    }
    assert is_uuid(body["uuid"])
    ts(body["created_at"])
    signals = body["signals"]
    assert isinstance(signals, dict)
    assert isinstance(body["events"], list)
    for raw in cast("list[object]", body["events"]):
        assert isinstance(raw, dict)
        event = cast("dict[str, Any]", raw)
        required, optional = EVENT_KEYS[event["type"]]
        assert required <= set(event) <= required | optional, event
        ts(event["created_at"])
        if event["type"] == "attempt":
            assert event["capability"] == "text"
            assert event["status"] == "delivered"
            assert type(event["attempt_number"]) is int
        elif event["type"] == "delivery_status":
            assert event["status"] == "delivered"
            ts(event["originated_at"])
        elif event["type"] == "balance_update":
            assert event["balance_update_type"] == "attempt"
            assert event["amount"] == pytest.approx(0.009)
        else:
            assert event["status"] in CHECK_STATUSES


def assert_lookup_body(body: Mapping[str, Any], *, cnam: bool = False) -> None:
    keys = {
        "phone_number",
        "country_code",
        "carrier",
        "mcc",
        "mnc",
        "line_type",
        "number_ported",
        "temporary_phone_number",
    }
    assert set(body) == (keys | {"caller_name"} if cnam else keys)
    assert re.fullmatch(r"[A-Z]{2}", body["country_code"])
    assert re.fullmatch(r"[0-9]{3}", body["mcc"])
    assert re.fullmatch(r"[0-9]{2,3}", body["mnc"])
    assert isinstance(body["carrier"], str)
    assert body["carrier"]
    assert body["line_type"] in LINE_TYPES
    assert type(body["number_ported"]) is bool
    assert type(body["temporary_phone_number"]) is bool
    if cnam:
        assert isinstance(body["caller_name"], str)
        assert body["caller_name"]


# --------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def hooks() -> Hooks:
    return []


@pytest.fixture
def fake(clock: ManualClock, hooks: Hooks) -> FakeDing:
    return FakeDing(
        clock=clock,
        seed=0,
        webhook_sink=lambda url, payload: hooks.append((url, payload)),
    )


def make(clock: ManualClock | None = None, **policy: Any) -> FakeDing:
    return FakeDing(FakeSettings(**policy), clock=clock or ManualClock(), seed=0)


def create(
    fake: FakeDing, phone: str = PHONE, customer: str = CUSTOMER, **extra: object
) -> Reply:
    return fake.create_authentication(
        {
            "customer_uuid": customer,
            "phone_number": phone,
            **extra,
        }
    )


def new_auth(
    fake: FakeDing, phone: str = PHONE, customer: str = CUSTOMER, **extra: object
) -> str:
    reply = create(fake, phone, customer, **extra)
    assert reply.status == 200, reply
    assert_create_body(reply.body)
    auth = reply.body["authentication_uuid"]
    assert isinstance(auth, str)
    return auth


def check(fake: FakeDing, auth: str, code: str, customer: str = CUSTOMER) -> Reply:
    return fake.check(
        {
            "customer_uuid": customer,
            "authentication_uuid": auth,
            "check_code": code,
        }
    )


def check_status(fake: FakeDing, auth: str, code: str, customer: str = CUSTOMER) -> str:
    reply = check(fake, auth, code, customer)
    assert reply.status == 200, reply
    assert_check_body(reply.body)
    assert reply.body["authentication_uuid"] == auth
    return str(reply.body["status"])


def retry(fake: FakeDing, auth: str, customer: str = CUSTOMER) -> Reply:
    return fake.retry({"customer_uuid": customer, "authentication_uuid": auth})


def retry_body(fake: FakeDing, auth: str, customer: str = CUSTOMER) -> dict[str, Any]:
    reply = retry(fake, auth, customer)
    assert reply.status == 200, reply
    assert_retry_body(reply.body)
    assert reply.body["authentication_uuid"] == auth
    return reply.body


def code_of(fake: FakeDing, phone: str = PHONE) -> str:
    code = fake.outbox.last_code(phone)
    assert code is not None
    return code


def events(fake: FakeDing, auth: str) -> list[dict[str, Any]]:
    reply = fake.authentication_status(auth)
    assert reply.status == 200, reply
    assert_status_body(reply.body)
    found: list[dict[str, Any]] = reply.body["events"]
    return found


def feedback(
    fake: FakeDing,
    status: object = "onboarded",
    phone: object = PHONE,
    customer: object = CUSTOMER,
) -> Reply:
    return fake.feedback(
        {
            "customer_uuid": customer,
            "phone_number": phone,
            "status": status,
        }
    )


# --------------------------------------------------------------------------
# Clock, codes, settings, timestamps
# --------------------------------------------------------------------------


def test_manual_clock_starts_at_2025_and_moves_when_told() -> None:
    clock = ManualClock()
    assert clock() == START
    assert clock().tzinfo is not None
    clock.advance(1.5)
    assert clock() == START + timedelta(seconds=1.5)
    clock.advance(timedelta(minutes=2))
    assert clock() == START + timedelta(minutes=2, seconds=1.5)
    clock.set(START)
    assert clock() == START
    clock.advance(-10)
    assert clock() == START - timedelta(seconds=10)
    assert "2024-12-31T23:59:50Z" in repr(clock)


def test_manual_clock_requires_aware_times_and_keeps_utc() -> None:
    with pytest.raises(UsageError, match="timezone-aware"):
        ManualClock(datetime(2025, 1, 1))  # noqa: DTZ001
    clock = ManualClock()
    with pytest.raises(UsageError, match="timezone-aware"):
        clock.set(datetime(2025, 1, 1))  # noqa: DTZ001
    paris = timezone(timedelta(hours=1))
    clock.set(datetime(2025, 6, 1, 13, 0, tzinfo=paris))
    assert clock() == datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert clock().utcoffset() == timedelta(0)
    assert ManualClock(datetime(2030, 1, 1, 1, tzinfo=paris))() == datetime(
        2030, 1, 1, tzinfo=timezone.utc
    )


def test_random_codes_are_digits_of_the_asked_length() -> None:
    for length in (1, 4, 6, 10):
        generate = random_codes(length)
        codes = {generate(PHONE) for _ in range(50)}
        assert all(len(c) == length and c.isdigit() and c.isascii() for c in codes)
    assert len({random_codes()(PHONE) for _ in range(50)}) > 1
    with pytest.raises(UsageError, match="length"):
        random_codes(0)


def test_deterministic_codes_repeat_for_a_seed() -> None:
    a, b, c = deterministic_codes(3), deterministic_codes(3), deterministic_codes(4)
    first = [a(PHONE) for _ in range(10)]
    assert first == [b("+4400000") for _ in range(10)]
    assert first != [c(PHONE) for _ in range(10)]
    assert all(len(x) == 6 and x.isdigit() for x in first)
    assert len(deterministic_codes(0, length=4)(PHONE)) == 4
    with pytest.raises(UsageError, match="length"):
        deterministic_codes(0, length=0)


def test_deterministic_codes_are_thread_safe() -> None:
    expected = deterministic_codes(9)
    sequential = sorted(expected(PHONE) for _ in range(400))
    shared = deterministic_codes(9)
    with ThreadPoolExecutor(8) as pool:
        threaded = sorted(pool.map(shared, [PHONE] * 400))
    assert threaded == sequential


@pytest.mark.parametrize(
    "policy",
    [
        {"lifetime": timedelta(0)},
        {"lifetime": timedelta(seconds=-1)},
        {"retry_interval": timedelta(seconds=-1)},
        {"max_retries": -1},
        {"max_invalid_checks": -1},
        {"code_length": 0},
    ],
)
def test_settings_reject_nonsense(policy: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match=r"must"):
        FakeSettings(**policy)


def test_settings_defaults() -> None:
    s = FakeSettings()
    assert s.lifetime == timedelta(minutes=10)
    assert (s.max_invalid_checks, s.max_retries, s.code_length) == (5, 3, 6)
    assert s.retry_interval == timedelta(seconds=30)
    assert not s.stateless
    assert not s.strict
    assert s.api_keys == s.customer_uuids == frozenset()


def test_timestamps_are_rfc3339_z_with_microseconds_only_when_nonzero(
    clock: ManualClock, fake: FakeDing
) -> None:
    body = create(fake).body
    assert body["created_at"] == "2025-01-01T00:00:00Z"
    assert body["expires_at"] == "2025-01-01T00:10:00Z"
    clock.advance(timedelta(microseconds=1500))
    body = create(fake, "+33600000001").body
    assert body["created_at"] == "2025-01-01T00:00:00.001500Z"


def test_naive_or_offset_clock_values_are_read_as_utc() -> None:
    naive = FakeDing(clock=lambda: datetime(2025, 3, 1, 8))  # noqa: DTZ001
    assert create(naive).body["created_at"] == "2025-03-01T08:00:00Z"
    plus2 = timezone(timedelta(hours=2))
    offset = FakeDing(clock=lambda: datetime(2025, 3, 1, 8, tzinfo=plus2))
    assert create(offset).body["created_at"] == "2025-03-01T06:00:00Z"


def test_default_clock_is_the_system_clock() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    created = ts(create(FakeDing()).body["created_at"])
    assert before <= created <= datetime.now(timezone.utc)


# --------------------------------------------------------------------------
# Authorization
# --------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "anything", "sk_live_x"])
def test_open_mode_accepts_any_key(key: str | None) -> None:
    assert FakeDing().authorize(key) is None


def test_strict_mode_wants_a_known_key() -> None:
    fake = FakeDing(FakeSettings(strict=True, api_keys=frozenset({"good"})))
    assert fake.authorize("good") is None
    for key in (None, "", "bad", "GOOD"):
        reply = fake.authorize(key)
        assert reply == Reply(status=403, body={"message": "Forbidden"})


def test_strict_mode_without_keys_forbids_everything() -> None:
    reply = FakeDing(FakeSettings(strict=True)).authorize("x")
    assert reply is not None
    assert reply.status == 403


# --------------------------------------------------------------------------
# Creating authentications
# --------------------------------------------------------------------------


def test_create_sends_a_code(fake: FakeDing, clock: ManualClock) -> None:
    reply = create(fake)
    assert reply.status == 200
    assert_create_body(reply.body)
    assert reply.body["status"] == "pending"
    assert reply.body["created_at"] == "2025-01-01T00:00:00Z"
    assert reply.body["expires_at"] == "2025-01-01T00:10:00Z"
    [message] = fake.outbox
    assert message == SentMessage(
        phone_number=PHONE,
        code=message.code,
        content=f"Your verification code is {message.code}",
        authentication_uuid=reply.body["authentication_uuid"],
        attempt_number=1,
        sent_at=clock(),
        customer_uuid=CUSTOMER,
    )
    assert len(message.code) == 6
    assert message.code.isdigit()


def test_create_uses_lifetime_and_code_length() -> None:
    fake = make(lifetime=timedelta(seconds=90), code_length=4)
    body = create(fake).body
    assert ts(body["expires_at"]) - ts(body["created_at"]) == timedelta(seconds=90)
    assert len(code_of(fake)) == 4


def test_create_uses_the_injected_code_generator() -> None:
    seen: list[str] = []

    def codes(phone: str) -> str:
        seen.append(phone)
        return "4242"

    fake = FakeDing(codes=codes)
    auth = new_auth(fake)
    assert seen == [PHONE]
    assert check_status(fake, auth, "4242") == "valid"


def test_a_failing_code_generator_leaves_no_trace() -> None:
    def codes(_phone: str) -> str:
        raise RuntimeError("no codes today")

    fake = FakeDing(codes=codes)
    with pytest.raises(RuntimeError, match="no codes today"):
        create(fake)
    assert len(fake.outbox) == 0
    assert_error(feedback(fake), "no_associated_auth_found")


def test_each_create_is_a_new_authentication(fake: FakeDing) -> None:
    first, second = new_auth(fake), new_auth(fake)
    assert first != second
    assert [m.authentication_uuid for m in fake.outbox] == [first, second]


def test_create_ignores_unknown_keys_and_null_optionals(fake: FakeDing) -> None:
    reply = create(
        fake,
        surprise={"nested": [1, 2]},
        device_id=None,
        ip=None,
        is_returning_user=None,
        callback_url=None,
    )
    assert reply.status == 200
    assert (
        fake.authentication_status(reply.body["authentication_uuid"]).body["signals"]
        == {}
    )


def test_create_accepts_every_documented_field(fake: FakeDing, hooks: Hooks) -> None:
    auth = new_auth(
        fake,
        ip="192.168.0.1",
        device_id="dev-1",
        device_type="ANDROID",
        app_version="1.2.3",
        sender_id="Acme",
        callback_url="https://hooks.example.com/ding?x=1",
        app_realm="FA+9qCX9VSu",
        os_version="14",
        device_model="Pixel 8",
        is_returning_user=False,
        template_id="tpl_1",
        correlation_id="corr-1",
        locale="fr-FR",
    )
    body = fake.authentication_status(auth).body
    assert body["signals"] == {
        "ip": "192.168.0.1",
        "device_id": "dev-1",
        "device_type": "ANDROID",
        "app_version": "1.2.3",
        "app_realm": "FA+9qCX9VSu",
        "os_version": "14",
        "device_model": "Pixel 8",
        "is_returning_user": False,
    }
    assert body["template_id"] == "tpl_1"
    assert body["correlation_id"] == "corr-1"
    attempt = body["events"][0]
    assert attempt["sender_id"] == "Acme"
    # The SMS Retriever finds the message by the app hash at its end.
    assert attempt["content"].endswith("\n\nFA+9qCX9VSu")
    assert fake.outbox[0].content == attempt["content"]
    assert len(hooks) == 3


@pytest.mark.parametrize("body", [None, [], [1], "x", 1, 1.5, True, False])
def test_create_body_must_be_an_object(fake: FakeDing, body: object) -> None:
    assert_error(fake.create_authentication(body), "bad_request")


BAD_CREATE_FIELDS: list[tuple[str, object]] = [
    ("customer_uuid", None),
    ("customer_uuid", 12),
    ("phone_number", None),
    ("phone_number", 33612345678),
    ("phone_number", ["+33612345678"]),
    ("ip", 1),
    ("ip", "1.2.3"),
    ("ip", "256.1.1.1"),
    ("ip", "::1"),
    ("ip", "01.2.3.4"),
    ("ip", "1.2.3.4 "),
    ("device_id", 5),
    ("device_type", "ios"),
    ("device_type", "IPADOS"),
    ("device_type", 1),
    ("app_version", 1.0),
    ("sender_id", {}),
    ("callback_url", "ftp://example.com/x"),
    ("callback_url", "/relative/path"),
    ("callback_url", "http://"),
    ("callback_url", "not a url"),
    ("callback_url", "https://exa mple.com/"),
    ("callback_url", "https://example.com:99999/"),
    ("callback_url", "https://[::1/"),
    ("callback_url", 7),
    ("app_realm", False),
    ("os_version", []),
    ("device_model", 3),
    ("is_returning_user", "true"),
    ("is_returning_user", 1),
    ("template_id", 1),
    ("correlation_id", 1),
    ("locale", 1),
]


@pytest.mark.parametrize(("field", "value"), BAD_CREATE_FIELDS)
def test_create_rejects_wrong_types(fake: FakeDing, field: str, value: object) -> None:
    body: dict[str, object] = {"customer_uuid": CUSTOMER, "phone_number": PHONE}
    if value is None:
        del body[field]
    else:
        body[field] = value
    reply = fake.create_authentication(body)
    assert_error(reply, "bad_request")
    assert field in reply.body["message"]
    assert len(fake.outbox) == 0


@pytest.mark.parametrize(
    "url", ["http://localhost:8080/hook", "https://example.com", "HTTPS://EX.COM/a#b"]
)
def test_create_accepts_http_urls(fake: FakeDing, url: str) -> None:
    assert create(fake, callback_url=url).status == 200


@pytest.mark.parametrize(
    "phone",
    [
        "+0",
        "",
        "+",
        "+1",
        "33612345678",
        "0033612345678",
        "+0612345678",
        "+1234567890123456",
        "+33 6 12 34 56 78",
        "+33-612345678",
        "+33612345678\n",
        "+\u0663\u0663\u0666\u0661\u0662",
        "++33612345678",
    ],
)
def test_create_rejects_non_e164_numbers(fake: FakeDing, phone: str) -> None:
    reply = create(fake, phone)
    assert_error(reply, "invalid_phone_number")
    assert reply.body["message"] == f"{phone} is not a valid phone number"


def test_invalid_phone_message_matches_the_docs(fake: FakeDing) -> None:
    assert create(fake, "+0").body["message"] == "+0 is not a valid phone number"


@pytest.mark.parametrize("phone", ["+12", "+123456789012345", "+15005550000"])
def test_create_accepts_e164_edges(fake: FakeDing, phone: str) -> None:
    assert create(fake, phone).status == 200


@pytest.mark.parametrize(
    "customer",
    [
        "",
        "not-a-uuid",
        "28591d9ea82547f6ab111a61726305bf",
        "{28591d9e-a825-47f6-ab11-1a61726305bf}",
        "28591d9e-a825-47f6-ab11-1a61726305bg",
    ],
)
def test_create_rejects_malformed_customer(fake: FakeDing, customer: str) -> None:
    assert_error(create(fake, customer=customer), "account_invalid")


def test_customer_uuid_case_does_not_matter(fake: FakeDing) -> None:
    auth = new_auth(fake, customer=CUSTOMER.upper())
    assert fake.outbox[0].customer_uuid == CUSTOMER
    assert check_status(fake, auth, code_of(fake)) == "valid"


def test_errors_come_in_order_bad_request_account_phone(fake: FakeDing) -> None:
    assert_error(
        fake.create_authentication(
            {
                "customer_uuid": "nope",
                "phone_number": "+0",
                "ip": "x",
            }
        ),
        "bad_request",
    )
    assert_error(create(fake, "+0", customer="nope"), "account_invalid")
    assert_error(
        create(fake, "+0", device_type="WEB", app_realm="x"), "invalid_phone_number"
    )


def test_app_realm_needs_device_type(fake: FakeDing) -> None:
    assert_error(create(fake, app_realm="FA+9qCX9VSu"), "app_realm_require_device_type")


@pytest.mark.parametrize("device_type", ["IOS", "WEB"])
def test_app_realm_is_android_only(fake: FakeDing, device_type: str) -> None:
    assert_error(
        create(fake, app_realm="FA+9qCX9VSu", device_type=device_type),
        "unsupported_app_realm_device_type",
    )
    assert len(fake.outbox) == 0


def test_app_realm_with_android_is_fine(fake: FakeDing) -> None:
    assert create(fake, app_realm="FA+9qCX9VSu", device_type="ANDROID").status == 200


# --------------------------------------------------------------------------
# Reserved numbers
# --------------------------------------------------------------------------


def test_reserved_numbers_table() -> None:
    assert dict(RESERVED_NUMBERS) == {
        "+15005550001": "rate_limited",
        "+15005550002": "spam_detected",
        "+15005550003": "blocked_number",
        "+15005550004": "unsupported_region",
        "+15005550005": "invalid_line",
        "+15005550006": "negative_balance",
    }
    assert all(re.fullmatch(r"\+15005550[0-9]{3}", n) for n in RESERVED_NUMBERS)
    with pytest.raises(TypeError):
        RESERVED_NUMBERS["+15005550007"] = "x"  # type: ignore[index]


@pytest.mark.parametrize(
    "code", ["blocked_number", "unsupported_region", "invalid_line", "negative_balance"]
)
def test_reserved_error_numbers(fake: FakeDing, hooks: Hooks, code: str) -> None:
    phone = next(n for n, outcome in RESERVED_NUMBERS.items() if outcome == code)
    assert_error(create(fake, phone, callback_url="https://h.test/"), code)
    assert len(fake.outbox) == 0
    assert hooks == []
    # Nothing was created, so there is nothing to give feedback on.
    assert_error(feedback(fake, phone=phone), "no_associated_auth_found")


def test_reserved_rate_limited_number(fake: FakeDing, hooks: Hooks) -> None:
    reply = create(fake, "+15005550001", callback_url="https://h.test/")
    assert reply.status == 200
    assert_create_body(reply.body)
    assert reply.body["status"] == "rate_limited"
    auth = reply.body["authentication_uuid"]
    assert len(fake.outbox) == 0
    assert hooks == []
    assert check_status(fake, auth, "123456") == "rate_limited"
    body = retry_body(fake, auth)
    assert body["status"] == "rate_limited"
    assert body["remaining_retry"] == 0
    assert [e["status"] for e in events(fake, auth)] == ["rate_limited"]


def test_reserved_spam_number(fake: FakeDing, clock: ManualClock) -> None:
    reply = create(fake, "+15005550002")
    assert reply.status == 200
    assert_create_body(reply.body)
    assert reply.body["status"] == "spam_detected"
    auth = reply.body["authentication_uuid"]
    assert len(fake.outbox) == 0
    assert events(fake, auth) == []
    assert check_status(fake, auth, "123456") == "without_attempt"
    clock.advance(60)
    body = retry_body(fake, auth)
    assert body["status"] == "no_attempt"
    assert body["remaining_retry"] == 0
    # No retry will ever be accepted: the expiry is the honest answer.
    assert body["next_retry_at"] == "2025-01-01T00:10:00Z"
    clock.advance(timedelta(minutes=10))
    assert check_status(fake, auth, "1") == "expired_auth"


def test_reserved_numbers_are_ordinary_for_lookup_and_feedback(fake: FakeDing) -> None:
    for phone in RESERVED_NUMBERS:
        reply = fake.lookup(phone, CUSTOMER, [])
        assert reply.status == 200
        assert_lookup_body(reply.body)
        assert reply.body["country_code"] == "US"
    new_auth(fake, "+15005550002")
    assert feedback(fake, phone="+15005550002").status == 200


def test_reserved_numbers_win_over_stateless_reuse() -> None:
    fake = make(stateless=True)
    first = create(fake, "+15005550001").body["authentication_uuid"]
    second = create(fake, "+15005550001").body["authentication_uuid"]
    assert first != second


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


def test_check_valid_then_already_validated(fake: FakeDing) -> None:
    auth = new_auth(fake)
    code = code_of(fake)
    assert check_status(fake, auth, code) == "valid"
    assert check_status(fake, auth, code) == "already_validated"
    assert check_status(fake, auth, "000000") == "already_validated"
    assert retry_body(fake, auth)["status"] == "already_validated"


def test_check_invalid_code(fake: FakeDing) -> None:
    auth = new_auth(fake)
    wrong = "x" + code_of(fake)
    assert check_status(fake, auth, wrong) == "invalid"
    assert check_status(fake, auth, "") == "invalid"
    assert check_status(fake, auth, code_of(fake)) == "valid"


def test_codes_belong_to_their_authentication(fake: FakeDing) -> None:
    first = new_auth(fake)
    first_code = code_of(fake)
    second = new_auth(fake, "+33600000002")
    second_code = code_of(fake, "+33600000002")
    if first_code != second_code:
        assert check_status(fake, first, second_code) == "invalid"
    assert check_status(fake, second, second_code) == "valid"
    assert check_status(fake, first, first_code) == "valid"


def test_too_many_wrong_codes_lock_the_authentication(fake: FakeDing) -> None:
    auth = new_auth(fake)
    code = code_of(fake)
    for _ in range(5):
        assert check_status(fake, auth, "wrong") == "invalid"
    assert check_status(fake, auth, code) == "rate_limited"
    assert check_status(fake, auth, "wrong") == "rate_limited"
    assert retry_body(fake, auth)["status"] == "rate_limited"
    statuses = [e["status"] for e in events(fake, auth) if e["type"] == "check"]
    assert statuses == ["invalid"] * 5 + ["rate_limited"] * 2


def test_max_invalid_checks_of_zero_is_refused() -> None:
    # Zero would lock an authentication before its first check.
    with pytest.raises(UsageError, match="max_invalid_checks"):
        FakeSettings(max_invalid_checks=0)


@pytest.mark.parametrize("limit", [1, 3])
def test_max_invalid_checks_is_configurable(limit: int) -> None:
    fake = make(max_invalid_checks=limit)
    auth = new_auth(fake)
    for _ in range(limit):
        assert check_status(fake, auth, "wrong") == "invalid"
    assert check_status(fake, auth, code_of(fake)) == "rate_limited"


def test_check_expires_at_expires_at(fake: FakeDing, clock: ManualClock) -> None:
    auth = new_auth(fake)
    clock.advance(timedelta(minutes=10) - timedelta(microseconds=1))
    assert check_status(fake, auth, "wrong") == "invalid"
    clock.advance(timedelta(microseconds=1))
    assert check_status(fake, auth, code_of(fake)) == "expired_auth"
    assert retry_body(fake, auth)["status"] == "expired_auth"
    clock.advance(timedelta(days=1))
    assert check_status(fake, auth, code_of(fake)) == "expired_auth"


def test_check_precedence(fake: FakeDing, clock: ManualClock) -> None:
    validated = new_auth(fake, "+33600000001")
    assert check_status(fake, validated, code_of(fake, "+33600000001")) == "valid"
    locked = new_auth(fake, "+33600000002")
    for _ in range(5):
        check_status(fake, locked, "wrong")
    clock.advance(timedelta(hours=1))
    # validated beats expired; expired beats locked
    assert check_status(fake, validated, "x") == "already_validated"
    assert check_status(fake, locked, "x") == "expired_auth"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "bad_request"),
        ({"authentication_uuid": "a", "check_code": "1"}, "bad_request"),
        ({"customer_uuid": CUSTOMER, "check_code": "1"}, "bad_request"),
        ({"customer_uuid": CUSTOMER, "authentication_uuid": "a"}, "bad_request"),
        (
            {"customer_uuid": CUSTOMER, "authentication_uuid": 1, "check_code": "1"},
            "bad_request",
        ),
        (
            {
                "customer_uuid": CUSTOMER,
                "authentication_uuid": str(uuid.uuid4()),
                "check_code": 123456,
            },
            "bad_request",
        ),
        (
            {"customer_uuid": "x", "authentication_uuid": "y", "check_code": "1"},
            "account_invalid",
        ),
        (
            {"customer_uuid": CUSTOMER, "authentication_uuid": "y", "check_code": "1"},
            "invalid_auth_uuid",
        ),
        (
            {
                "customer_uuid": CUSTOMER,
                "authentication_uuid": str(uuid.uuid4()),
                "check_code": "1",
            },
            "invalid_auth_uuid",
        ),
    ],
)
def test_check_errors(fake: FakeDing, body: dict[str, object], code: str) -> None:
    assert_error(fake.check(body), code)


@pytest.mark.parametrize("body", [None, [], "x", 3])
def test_check_and_retry_bodies_must_be_objects(fake: FakeDing, body: object) -> None:
    assert_error(fake.check(body), "bad_request")
    assert_error(fake.retry(body), "bad_request")


def test_authentication_uuid_case_does_not_matter(fake: FakeDing) -> None:
    auth = new_auth(fake)
    reply = check(fake, auth.upper(), code_of(fake))
    assert reply.body == {"authentication_uuid": auth, "status": "valid"}


def test_open_mode_does_not_scope_authentications(fake: FakeDing) -> None:
    auth = new_auth(fake)
    assert check_status(fake, auth, code_of(fake), customer=OTHER_CUSTOMER) == "valid"


# --------------------------------------------------------------------------
# Retries
# --------------------------------------------------------------------------


def test_retry_timing_and_exhaustion(fake: FakeDing, clock: ManualClock) -> None:
    auth = new_auth(fake)
    first_code = code_of(fake)
    body = retry_body(fake, auth)
    assert body == {
        "authentication_uuid": auth,
        "status": "denied",
        "created_at": "2025-01-01T00:00:00Z",
        "next_retry_at": "2025-01-01T00:00:30Z",
        "remaining_retry": 3,
    }
    clock.advance(29.999)
    assert retry_body(fake, auth)["status"] == "denied"
    clock.advance(0.001)
    body = retry_body(fake, auth)
    assert body == {
        "authentication_uuid": auth,
        "status": "approved",
        "created_at": "2025-01-01T00:00:30Z",
        "next_retry_at": "2025-01-01T00:01:00Z",
        "remaining_retry": 2,
    }
    assert len(fake.outbox) == 2
    assert fake.outbox[-1].attempt_number == 2
    for expected_remaining in (1, 0):
        clock.advance(30)
        body = retry_body(fake, auth)
        assert body["status"] == "approved"
        assert body["remaining_retry"] == expected_remaining
    clock.advance(30)
    body = retry_body(fake, auth)
    assert body["status"] == "denied"
    assert body["remaining_retry"] == 0
    # The budget is spent: never "in the past", never before the expiry.
    assert body["next_retry_at"] == "2025-01-01T00:10:00Z"
    assert [m.attempt_number for m in fake.outbox] == [1, 2, 3, 4]
    # Only the newest code is valid.
    last = code_of(fake)
    if first_code != last:
        assert check_status(fake, auth, first_code) == "invalid"
    assert check_status(fake, auth, last) == "valid"


def test_retry_with_custom_policy() -> None:
    clock = ManualClock()
    fake = make(clock, max_retries=1, retry_interval=timedelta(0))
    auth = new_auth(fake)
    assert retry_body(fake, auth)["status"] == "approved"
    body = retry_body(fake, auth)
    assert body["status"] == "denied"
    assert body["remaining_retry"] == 0
    none = make(max_retries=0)
    auth = new_auth(none)
    assert retry_body(none, auth)["status"] == "denied"


def test_retry_precedence(fake: FakeDing, clock: ManualClock) -> None:
    validated = new_auth(fake, "+33600000001")
    check_status(fake, validated, code_of(fake, "+33600000001"))
    locked = new_auth(fake, "+33600000002")
    for _ in range(5):
        check_status(fake, locked, "x")
    clock.advance(60)
    assert retry_body(fake, validated)["status"] == "already_validated"
    body = retry_body(fake, locked)
    assert body["status"] == "rate_limited"
    assert body["remaining_retry"] == 0
    clock.advance(timedelta(minutes=10))
    assert retry_body(fake, validated)["status"] == "already_validated"
    body = retry_body(fake, locked)
    assert body["status"] == "expired_auth"
    assert body["remaining_retry"] == 0


def test_retry_errors(fake: FakeDing) -> None:
    assert_error(fake.retry({"customer_uuid": CUSTOMER}), "bad_request")
    assert_error(fake.retry({"authentication_uuid": str(uuid.uuid4())}), "bad_request")
    assert_error(retry(fake, "nope"), "invalid_auth_uuid")
    assert_error(retry(fake, str(uuid.uuid4())), "invalid_auth_uuid")
    assert_error(retry(fake, str(uuid.uuid4()), customer="x"), "account_invalid")


def test_retry_records_attempt_events(fake: FakeDing, clock: ManualClock) -> None:
    auth = new_auth(fake)
    clock.advance(30)
    retry_body(fake, auth)
    found = events(fake, auth)
    assert [e["type"] for e in found] == [
        "attempt",
        "delivery_status",
        "balance_update",
    ] * 2
    assert [e["attempt_number"] for e in found if e["type"] == "attempt"] == [1, 2]
    assert found[3]["created_at"] == "2025-01-01T00:00:30Z"
    assert found[3]["content"] == fake.outbox[1].content


# --------------------------------------------------------------------------
# Strict mode
# --------------------------------------------------------------------------


def strict_fake() -> FakeDing:
    return make(
        strict=True,
        api_keys=frozenset({"key"}),
        customer_uuids=frozenset({CUSTOMER, OTHER_CUSTOMER.upper()}),
    )


def test_strict_mode_accepts_only_listed_customers() -> None:
    fake = strict_fake()
    new_auth(fake)
    new_auth(fake, customer=OTHER_CUSTOMER)
    unknown = str(uuid.uuid4())
    reply = create(fake, customer=unknown)
    assert_error(reply, "account_invalid")
    assert unknown in reply.body["message"]
    assert_error(retry(fake, str(uuid.uuid4()), customer=unknown), "account_invalid")
    assert_error(check(fake, str(uuid.uuid4()), "1", unknown), "account_invalid")
    assert_error(feedback(fake, customer=unknown), "account_invalid")
    assert_error(fake.lookup(PHONE, unknown, []), "account_invalid")
    assert fake.lookup(PHONE, CUSTOMER, []).status == 200


def test_strict_mode_scopes_authentications_to_their_customer() -> None:
    fake = strict_fake()
    auth = new_auth(fake)
    assert_error(check(fake, auth, code_of(fake), OTHER_CUSTOMER), "invalid_auth_uuid")
    assert_error(retry(fake, auth, OTHER_CUSTOMER), "invalid_auth_uuid")
    assert check_status(fake, auth, code_of(fake)) == "valid"


def test_strict_mode_without_customers_refuses_all() -> None:
    fake = make(strict=True)
    assert_error(create(fake), "account_invalid")


def test_settings_can_be_swapped_at_runtime() -> None:
    fake = make()
    new_auth(fake)
    fake.settings = attrs.evolve(fake.settings, strict=True)
    assert_error(create(fake), "account_invalid")
    assert fake.authorize("k") is not None


# --------------------------------------------------------------------------
# Stateless mode
# --------------------------------------------------------------------------


def test_stateless_create_reuses_the_live_authentication(hooks: Hooks) -> None:
    clock = ManualClock()
    fake = FakeDing(
        FakeSettings(stateless=True),
        clock=clock,
        seed=0,
        webhook_sink=lambda url, payload: hooks.append((url, payload)),
    )
    first = create(fake, callback_url="https://h.test/").body
    clock.advance(10)
    again = create(fake).body
    # Too early for a retry: same authentication, nothing sent.
    assert again == first
    assert len(fake.outbox) == 1
    clock.advance(20)
    again = create(fake).body
    assert again["authentication_uuid"] == first["authentication_uuid"]
    assert again["status"] == "pending"
    assert again["created_at"] == first["created_at"]
    assert again["expires_at"] == first["expires_at"]
    assert [m.attempt_number for m in fake.outbox] == [1, 2]
    # The re-use counted as a retry.
    auth = first["authentication_uuid"]
    body = retry_body(fake, auth)
    assert body["status"] == "denied"
    assert body["remaining_retry"] == 2
    assert body["next_retry_at"] == "2025-01-01T00:01:00Z"
    # The attempt webhooks went out, not a second authentication event.
    assert [p["type"] for _, p in hooks] == [
        "authentication",
        "attempt",
        "delivery_status",
        "attempt",
        "delivery_status",
    ]
    assert check_status(fake, auth, code_of(fake)) == "valid"


def test_stateless_reuse_stops_sending_when_retries_run_out() -> None:
    clock = ManualClock()
    fake = make(clock, stateless=True, max_retries=1)
    auth = new_auth(fake)
    for _ in range(3):
        clock.advance(30)
        assert new_auth(fake) == auth
    assert len(fake.outbox) == 2


def test_stateless_starts_afresh_after_validation_or_expiry() -> None:
    clock = ManualClock()
    fake = make(clock, stateless=True)
    first = new_auth(fake)
    check_status(fake, first, code_of(fake))
    second = new_auth(fake)
    assert second != first
    clock.advance(timedelta(minutes=10))
    third = new_auth(fake)
    assert third not in {first, second}
    assert [m.attempt_number for m in fake.outbox] == [1, 1, 1]


def test_stateless_reuse_is_per_customer_and_number() -> None:
    fake = make(stateless=True)
    auth = new_auth(fake)
    assert new_auth(fake, customer=OTHER_CUSTOMER) != auth
    assert new_auth(fake, "+33600000009") != auth
    assert new_auth(fake) == auth


def test_stateless_reuse_of_a_locked_authentication_is_rate_limited() -> None:
    clock = ManualClock()
    fake = make(clock, stateless=True)
    auth = new_auth(fake)
    for _ in range(5):
        check_status(fake, auth, "wrong")
    clock.advance(60)
    reply = create(fake)
    assert reply.body["authentication_uuid"] == auth
    assert reply.body["status"] == "rate_limited"
    assert len(fake.outbox) == 1


def test_without_stateless_every_create_is_new() -> None:
    fake = make()
    assert new_auth(fake) != new_auth(fake)


# --------------------------------------------------------------------------
# The status endpoint
# --------------------------------------------------------------------------


def test_status_tells_the_whole_story(fake: FakeDing, clock: ManualClock) -> None:
    auth = new_auth(fake, device_type="IOS", is_returning_user=True)
    first_code = code_of(fake)
    clock.advance(5)
    check_status(fake, auth, "000")
    clock.advance(25)
    retry_body(fake, auth)
    clock.advance(5)
    check_status(fake, auth, code_of(fake))
    body = fake.authentication_status(auth).body
    assert_status_body(body)
    assert body["uuid"] == auth
    assert body["phone_number"] == PHONE
    assert body["created_at"] == "2025-01-01T00:00:00Z"
    assert body["signals"] == {"device_type": "IOS", "is_returning_user": True}
    assert "template_id" not in body
    assert "correlation_id" not in body
    found = body["events"]
    assert [(e["type"], e["created_at"][14:19]) for e in found] == [
        ("attempt", "00:00"),
        ("delivery_status", "00:00"),
        ("balance_update", "00:00"),
        ("check", "00:05"),
        ("attempt", "00:30"),
        ("delivery_status", "00:30"),
        ("balance_update", "00:30"),
        ("check", "00:35"),
    ]
    attempts = [e for e in found if e["type"] == "attempt"]
    deliveries = [e for e in found if e["type"] == "delivery_status"]
    assert [a["id"] for a in attempts] == [d["attempt_id"] for d in deliveries]
    assert [a["attempt_number"] for a in attempts] == [1, 2]
    assert [d["attempt_number"] for d in deliveries] == [1, 2]
    assert attempts[0]["content"] == f"Your verification code is {first_code}"
    assert all("sender_id" not in a for a in attempts)
    checks = [e for e in found if e["type"] == "check"]
    assert [(c["code"], c["status"]) for c in checks] == [
        ("000", "invalid"),
        (code_of(fake), "valid"),
    ]
    ids = [e["id"] for e in found if "id" in e]
    assert len(set(ids)) == len(ids)
    assert all(is_uuid(i) for i in ids)
    timestamps = [ts(e["created_at"]) for e in found]
    assert timestamps == sorted(timestamps)


def test_status_errors(fake: FakeDing) -> None:
    assert_error(fake.authentication_status("nope"), "invalid_auth_uuid")
    assert_error(fake.authentication_status(""), "invalid_auth_uuid")
    assert_error(fake.authentication_status(str(uuid.uuid4())), "invalid_auth_uuid")


def test_status_replies_are_copies(fake: FakeDing) -> None:
    auth = new_auth(fake, device_type="WEB")
    body = fake.authentication_status(auth).body
    body["signals"]["device_type"] = "IOS"
    body["events"][0]["status"] = "failed"
    body["events"].clear()
    again = fake.authentication_status(auth).body
    assert again["signals"] == {"device_type": "WEB"}
    assert again["events"][0]["status"] == "delivered"


def test_status_is_not_scoped_to_a_customer_even_in_strict_mode() -> None:
    fake = strict_fake()
    auth = new_auth(fake, customer=OTHER_CUSTOMER)
    assert fake.authentication_status(auth).status == 200


# --------------------------------------------------------------------------
# Feedback
# --------------------------------------------------------------------------


def test_feedback_needs_an_authentication(fake: FakeDing) -> None:
    assert_error(feedback(fake), "no_associated_auth_found")
    new_auth(fake)
    reply = feedback(fake)
    assert reply.status == 200
    assert_feedback_body(reply.body)


def test_feedback_duplicates(fake: FakeDing) -> None:
    new_auth(fake)
    first = feedback(fake, "onboarded")
    assert_error(feedback(fake, "onboarded"), "duplicated_feedback_status")
    second = feedback(fake, "not_onboarded")
    assert second.status == 200
    assert first.body["uuid"] != second.body["uuid"]
    assert_error(feedback(fake, "not_onboarded"), "duplicated_feedback_status")
    # A new authentication does not clear what was recorded.
    new_auth(fake)
    assert_error(feedback(fake, "onboarded"), "duplicated_feedback_status")


def test_feedback_is_per_customer_and_number(fake: FakeDing) -> None:
    new_auth(fake)
    assert_error(feedback(fake, customer=OTHER_CUSTOMER), "no_associated_auth_found")
    assert_error(feedback(fake, phone="+33600000000"), "no_associated_auth_found")
    new_auth(fake, customer=OTHER_CUSTOMER)
    assert feedback(fake).status == 200
    assert feedback(fake, customer=OTHER_CUSTOMER).status == 200


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"status": "ONBOARDED"}, "invalid_feedback_status"),
        ({"status": ""}, "invalid_feedback_status"),
        ({"status": 1}, "bad_request"),
        ({"status": None}, "bad_request"),
        ({"phone": "+0"}, "invalid_phone_number"),
        ({"phone": 33}, "bad_request"),
        ({"customer": "x"}, "account_invalid"),
        ({"customer": None}, "bad_request"),
        ({"customer": "x", "phone": "+0", "status": "?"}, "account_invalid"),
        ({"phone": "+0", "status": "?"}, "invalid_phone_number"),
    ],
)
def test_feedback_errors(fake: FakeDing, kwargs: dict[str, Any], code: str) -> None:
    new_auth(fake)
    assert_error(feedback(fake, **kwargs), code)


@pytest.mark.parametrize("body", [None, [], "onboarded", 0])
def test_feedback_body_must_be_an_object(fake: FakeDing, body: object) -> None:
    assert_error(fake.feedback(body), "bad_request")


# --------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "country"),
    [
        ("+14155550123", "US"),
        ("+33612345678", "FR"),
        ("+447700900123", "GB"),
        ("+4915123456789", "DE"),
        ("+34612345678", "ES"),
        ("+393123456789", "IT"),
        ("+819012345678", "JP"),
        ("+919812345678", "IN"),
        ("+5511912345678", "BR"),
        ("+61412345678", "AU"),
        ("+35312345678", "IE"),
        ("+2348012345678", "NG"),
        ("+79161234567", "RU"),
        ("+80012345678", "XX"),
    ],
)
def test_lookup_country(fake: FakeDing, phone: str, country: str) -> None:
    reply = fake.lookup(phone, CUSTOMER, [])
    assert reply.status == 200
    assert_lookup_body(reply.body)
    assert reply.body["phone_number"] == phone
    assert reply.body["country_code"] == country


def test_lookup_is_deterministic_and_varies(fake: FakeDing) -> None:
    other = FakeDing()
    bodies = [fake.lookup(f"+1415555{i:04d}", CUSTOMER, []).body for i in range(300)]
    again = [
        other.lookup(f"+1415555{i:04d}", OTHER_CUSTOMER, []).body for i in range(300)
    ]
    assert bodies == again
    for body in bodies:
        assert_lookup_body(body)
    line_types = [b["line_type"] for b in bodies]
    assert line_types.count("Mobile") > len(bodies) / 2
    assert len(set(line_types)) > 1
    assert {b["carrier"] for b in bodies} == {
        "T-Mobile USA",
        "AT&T",
        "Verizon Wireless",
    }
    assert {b["number_ported"] for b in bodies} == {True, False}
    assert {(b["mcc"], b["mnc"]) for b in bodies if b["carrier"] == "AT&T"} == {
        ("310", "410")
    }


def test_lookup_cnam(fake: FakeDing) -> None:
    plain = fake.lookup(PHONE, CUSTOMER, []).body
    named = fake.lookup(PHONE, CUSTOMER, ["cnam"]).body
    assert_lookup_body(named, cnam=True)
    assert {k: v for k, v in named.items() if k != "caller_name"} == plain
    assert fake.lookup(PHONE, CUSTOMER, ["cnam", "cnam"]).body == named
    assert fake.lookup(PHONE, CUSTOMER, "cnam").body == named


def test_lookup_errors(fake: FakeDing) -> None:
    assert_error(fake.lookup(PHONE, None, []), "bad_request")
    assert_error(fake.lookup(PHONE, CUSTOMER, ["carrier"]), "bad_request")
    assert_error(fake.lookup(PHONE, CUSTOMER, ["cnam", ""]), "bad_request")
    assert_error(fake.lookup(PHONE, "x", []), "account_invalid")
    reply = fake.lookup("+0", CUSTOMER, [])
    assert_error(reply, "invalid_phone_number")
    assert reply.body["message"] == "+0 is not a valid phone number"
    assert_error(fake.lookup("33612345678", CUSTOMER, []), "invalid_phone_number")


# --------------------------------------------------------------------------
# Webhooks
# --------------------------------------------------------------------------


def test_webhook_events_for_create(fake: FakeDing, hooks: Hooks) -> None:
    auth = new_auth(fake, callback_url="https://h.test/ding", correlation_id="c-1")
    assert [url for url, _ in hooks] == ["https://h.test/ding"] * 3
    authentication, attempt, delivery = (payload for _, payload in hooks)
    assert authentication == {
        "id": authentication["id"],
        "auth_uuid": auth,
        "type": "authentication",
        "recipient_phone_number": PHONE,
        "price": {"amount": 0.009, "currency": "EUR"},
        "time": "2025-01-01T00:00:00+0000",
        "correlation_id": "c-1",
    }
    attempt_id = events(fake, auth)[0]["id"]
    assert attempt == {
        "id": attempt["id"],
        "auth_uuid": auth,
        "type": "attempt",
        "recipient_phone_number": PHONE,
        "price": {"amount": 0.009, "currency": "EUR"},
        "time": "2025-01-01T00:00:00+0000",
        "attempt_uuid": attempt_id,
        "attempt_number": 1,
        "capability": "text",
        "correlation_id": "c-1",
    }
    assert delivery == {
        "id": delivery["id"],
        "auth_uuid": auth,
        "type": "delivery_status",
        "recipient_phone_number": PHONE,
        "time": "2025-01-01T00:00:00+0000",
        "attempt_uuid": attempt_id,
        "attempt_number": 1,
        "status": "delivered",
        "correlation_id": "c-1",
    }
    ids = [p["id"] for _, p in hooks]
    assert len(set(ids)) == 3
    assert all(is_uuid(i) for i in ids)
    assert all(WEBHOOK_TIME_RE.fullmatch(p["time"]) for _, p in hooks)


def test_webhook_events_for_retries(
    fake: FakeDing, hooks: Hooks, clock: ManualClock
) -> None:
    auth = new_auth(fake, callback_url="http://localhost:9000/")
    clock.advance(30)
    retry_body(fake, auth)
    clock.advance(1)
    retry_body(fake, auth)  # denied: no event
    check_status(fake, auth, code_of(fake))  # checks send no event
    assert [
        (p["type"], p.get("attempt_number"), p["time"][11:19]) for _, p in hooks
    ] == [
        ("authentication", None, "00:00:00"),
        ("attempt", 1, "00:00:00"),
        ("delivery_status", 1, "00:00:00"),
        ("attempt", 2, "00:00:30"),
        ("delivery_status", 2, "00:00:30"),
    ]
    assert all("correlation_id" not in p for _, p in hooks)


def test_no_webhooks_without_callback_url(fake: FakeDing, hooks: Hooks) -> None:
    new_auth(fake)
    assert hooks == []


def test_no_sink_is_fine() -> None:
    fake = FakeDing(seed=1)
    auth = new_auth(fake, callback_url="https://h.test/")
    assert check_status(fake, auth, code_of(fake)) == "valid"


def test_webhook_ids_are_stable_with_a_seed() -> None:
    def run(sink_given: bool) -> Hooks:
        got: Hooks = []
        fake = FakeDing(
            clock=ManualClock(),
            seed=5,
            webhook_sink=(lambda u, p: got.append((u, p))) if sink_given else None,
        )
        new_auth(fake, callback_url="https://h.test/")
        return got

    assert run(sink_given=True) == run(sink_given=True)
    # Whether anyone listens does not change the ids handed out.
    with_sink = FakeDing(
        clock=ManualClock(), seed=5, webhook_sink=lambda _url, _payload: None
    )
    without = FakeDing(clock=ManualClock(), seed=5)
    for f in (with_sink, without):
        new_auth(f, callback_url="https://h.test/")
    assert new_auth(with_sink) == new_auth(without)


def test_webhook_sink_runs_outside_the_lock() -> None:
    seen: list[int] = []
    fake: FakeDing

    def sink(_url: str, payload: dict[str, Any]) -> None:
        # Re-entering the fake from the sink must not deadlock.
        seen.append(fake.authentication_status(payload["auth_uuid"]).status)

    fake = FakeDing(webhook_sink=sink)
    new_auth(fake, callback_url="https://h.test/")
    assert seen == [200, 200, 200]


def test_webhook_sink_errors_reach_the_caller_after_the_change() -> None:
    def sink(_url: str, _payload: dict[str, Any]) -> None:
        raise RuntimeError("sink down")

    fake = FakeDing(webhook_sink=sink)
    with pytest.raises(RuntimeError, match="sink down"):
        create(fake, callback_url="https://h.test/")
    assert len(fake.outbox) == 1


# --------------------------------------------------------------------------
# Outbox, reset, seeds
# --------------------------------------------------------------------------


def test_outbox_helpers(fake: FakeDing, clock: ManualClock) -> None:
    assert isinstance(fake.outbox, Outbox)
    assert len(fake.outbox) == 0
    assert fake.outbox.last(PHONE) is None
    assert fake.outbox.last_code(PHONE) is None
    assert fake.outbox.for_number(PHONE) == []
    a = new_auth(fake)
    new_auth(fake, "+33600000002")
    clock.advance(30)
    retry_body(fake, a)
    assert len(fake.outbox) == 3
    assert [m.phone_number for m in fake.outbox] == [PHONE, "+33600000002", PHONE]
    mine = fake.outbox.for_number(PHONE)
    assert [m.attempt_number for m in mine] == [1, 2]
    assert fake.outbox.last(PHONE) == mine[-1] == fake.outbox[2] == fake.outbox[-1]
    assert fake.outbox.last_code(PHONE) == mine[-1].code
    assert fake.outbox[0:2] == list(fake.outbox)[:2]
    assert mine[0] in fake.outbox
    assert fake.outbox.index(mine[1]) == 2
    assert "3 messages" in repr(fake.outbox)
    fake.outbox.clear()
    assert len(fake.outbox) == 0
    assert list(fake.outbox) == []
    # Clearing the outbox keeps the authentications.
    assert check_status(fake, a, mine[-1].code) == "valid"


def test_reset_forgets_everything(fake: FakeDing) -> None:
    auth = new_auth(fake)
    assert feedback(fake).status == 200
    fake.reset()
    assert len(fake.outbox) == 0
    assert_error(check(fake, auth, "1"), "invalid_auth_uuid")
    assert_error(fake.authentication_status(auth), "invalid_auth_uuid")
    assert_error(feedback(fake), "no_associated_auth_found")
    new_auth(fake)
    assert feedback(fake).status == 200


def script(fake: FakeDing, clock: ManualClock) -> list[Reply]:
    replies = [create(fake, callback_url="https://h.test/")]
    auth = replies[0].body["authentication_uuid"]
    replies.append(check(fake, auth, "1"))
    clock.advance(30)
    replies.extend([retry(fake, auth), feedback(fake)])
    replies.append(fake.authentication_status(auth))
    return replies


def test_a_seed_makes_everything_reproducible() -> None:
    def run(seed: int) -> tuple[list[Reply], list[str], Hooks]:
        got: Hooks = []
        clock = ManualClock()
        fake = FakeDing(
            clock=clock, seed=seed, webhook_sink=lambda u, p: got.append((u, p))
        )
        return script(fake, clock), [m.code for m in fake.outbox], got

    assert run(7) == run(7)
    assert run(7) != run(8)
    replies = run(7)[0]
    assert is_uuid(replies[0].body["authentication_uuid"])
    assert is_uuid(replies[3].body["uuid"])


def test_without_a_seed_ids_are_random_v4() -> None:
    a, b = FakeDing(), FakeDing()
    first, second = new_auth(a), new_auth(b)
    assert first != second
    assert uuid.UUID(first).version == 4


# --------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------


def test_many_threads_creating_and_checking() -> None:
    fake = FakeDing()
    threads, per_thread = 16, 25

    def worker(index: int) -> list[str]:
        statuses: list[str] = []
        for j in range(per_thread):
            phone = f"+4477{index:03d}{j:05d}"
            auth = new_auth(fake, phone)
            statuses.append(check_status(fake, auth, "wrong"))
            statuses.append(check_status(fake, auth, code_of(fake, phone)))
            statuses.append(check_status(fake, auth, code_of(fake, phone)))
        return statuses

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(worker, range(threads)))
    assert all(
        r == ["invalid", "valid", "already_validated"] * per_thread for r in results
    )
    assert len(fake.outbox) == threads * per_thread
    assert len({m.authentication_uuid for m in fake.outbox}) == threads * per_thread


def hammer(count: int, call: Callable[[], str]) -> list[str]:
    barrier = threading.Barrier(count)

    def one(_: int) -> str:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_concurrent_right_codes_validate_once(fake: FakeDing) -> None:
    auth = new_auth(fake)
    code = code_of(fake)
    statuses = hammer(24, lambda: check_status(fake, auth, code))
    assert sorted(statuses) == ["already_validated"] * 23 + ["valid"]


def test_concurrent_wrong_codes_lock_exactly(fake: FakeDing) -> None:
    auth = new_auth(fake)
    statuses = hammer(24, lambda: check_status(fake, auth, "wrong"))
    assert statuses.count("invalid") == 5
    assert statuses.count("rate_limited") == 19


def test_concurrent_retries_respect_the_budget() -> None:
    fake = make(retry_interval=timedelta(0))
    auth = new_auth(fake)
    statuses = hammer(24, lambda: str(retry_body(fake, auth)["status"]))
    assert statuses.count("approved") == 3
    assert statuses.count("denied") == 21
    assert [m.attempt_number for m in fake.outbox] == [1, 2, 3, 4]


def test_concurrent_stateless_creates_share_one_authentication() -> None:
    fake = make(stateless=True)
    uuids = hammer(24, lambda: new_auth(fake))
    assert len(set(uuids)) == 1
    assert len(fake.outbox) == 1


# --------------------------------------------------------------------------
# Any JSON in, a well-formed answer out
# --------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)

FIELD_NAMES = [
    "customer_uuid",
    "phone_number",
    "authentication_uuid",
    "check_code",
    "status",
    "ip",
    "device_id",
    "device_type",
    "app_version",
    "sender_id",
    "callback_url",
    "app_realm",
    "os_version",
    "device_model",
    "is_returning_user",
    "template_id",
    "correlation_id",
    "locale",
]


def plausible(auth: str, code: str) -> st.SearchStrategy[object]:
    return st.sampled_from(
        [
            CUSTOMER,
            OTHER_CUSTOMER,
            auth,
            auth.upper(),
            code,
            PHONE,
            *RESERVED_NUMBERS,
            "+0",
            "ANDROID",
            "IOS",
            "WEB",
            "FA+9qCX9VSu",
            "10.0.0.1",
            "https://h.test/",
            "onboarded",
            "not_onboarded",
            True,
            False,
        ]
    )


def bodies(auth: str, code: str) -> st.SearchStrategy[object]:
    return json_values | st.dictionaries(
        st.sampled_from(FIELD_NAMES),
        plausible(auth, code) | json_values,
        max_size=len(FIELD_NAMES),
    )


WELL_FORMED: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "create_authentication": assert_create_body,
    "check": assert_check_body,
    "retry": assert_retry_body,
    "feedback": assert_feedback_body,
}


def assert_well_formed(reply: Reply, operation: str) -> None:
    assert reply.status in {200, 400}, reply
    if reply.status == 400:
        assert_error(reply, str(reply.body.get("code")))
    else:
        WELL_FORMED[operation](reply.body)


@pytest.mark.parametrize("operation", sorted(WELL_FORMED))
@pytest.mark.parametrize("mode", ["open", "strict", "stateless"])
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_json_body_gets_a_well_formed_answer(
    operation: str, mode: str, data: st.DataObject
) -> None:
    policy = FakeSettings(
        strict=mode == "strict",
        customer_uuids=frozenset({CUSTOMER}),
        stateless=mode == "stateless",
        retry_interval=timedelta(0),
    )
    clock = ManualClock()
    fake = FakeDing(
        policy, clock=clock, seed=0, webhook_sink=lambda _url, _payload: None
    )
    auth = new_auth(fake)
    code = code_of(fake)
    call = getattr(fake, operation)
    for _ in range(3):
        body = data.draw(bodies(auth, code))
        assert_well_formed(call(body), operation)
        clock.advance(data.draw(st.integers(0, 400)))
    status = fake.authentication_status(auth)
    assert status.status == 200
    assert_status_body(status.body)


@settings(max_examples=200)
@given(
    phone=st.text(max_size=20) | st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True),
    customer=st.none() | st.text(max_size=40) | st.just(CUSTOMER),
    types=st.lists(st.text(max_size=6) | st.just("cnam"), max_size=3),
)
def test_any_lookup_gets_a_well_formed_answer(
    phone: str, customer: str | None, types: list[str]
) -> None:
    reply = FakeDing().lookup(phone, customer, types)
    assert reply.status in {200, 400}
    if reply.status == 400:
        assert_error(reply, str(reply.body.get("code")))
    else:
        assert_lookup_body(reply.body, cnam="cnam" in types)
        assert reply.body["phone_number"] == phone


@settings(max_examples=100)
@given(auth=st.text(max_size=40) | st.uuids().map(str))
def test_any_status_path_gets_a_well_formed_answer(auth: str) -> None:
    fake = FakeDing()
    new_auth(fake)
    assert_error(fake.authentication_status(auth), "invalid_auth_uuid")
