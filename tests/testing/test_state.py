"""The fake's state machine: lifecycle, retries, modes, webhooks, threads."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from ding._errors import UsageError
from ding.testing._state import FakeState
from ding.testing._values import (
    RESERVED_NUMBERS,
    FakeSettings,
    ManualClock,
    Reply,
    SentMessage,
)
from tests.testing._state_helpers import (
    CUSTOMER,
    OTHER_CUSTOMER,
    PHONE,
    WEBHOOK_TIME_RE,
    Hooks,
    assert_create_body,
    assert_error,
    assert_feedback_body,
    assert_lookup_body,
    assert_status_body,
    check,
    check_status,
    code_of,
    create,
    events,
    feedback,
    is_uuid,
    make,
    new_auth,
    retry,
    retry_body,
    ts,
)

if TYPE_CHECKING:
    from collections.abc import Callable


# --------------------------------------------------------------------------
# Authorization
# --------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "anything", "sk_live_x"])
def test_open_mode_accepts_any_key(key: str | None) -> None:
    assert FakeState().authorize(key) is None


def test_strict_mode_wants_a_known_key() -> None:
    fake = FakeState(FakeSettings(strict=True, api_keys=frozenset({"good"})))
    assert fake.authorize("good") is None
    for key in (None, "", "bad", "GOOD"):
        reply = fake.authorize(key)
        assert reply == Reply(status=403, body={"message": "Forbidden"})


def test_strict_mode_without_keys_forbids_everything() -> None:
    reply = FakeState(FakeSettings(strict=True)).authorize("x")
    assert reply is not None
    assert reply.status == 403


# --------------------------------------------------------------------------
# Creating authentications
# --------------------------------------------------------------------------


def test_create_sends_a_code(fake: FakeState, clock: ManualClock) -> None:
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

    fake = FakeState(codes=codes)
    auth = new_auth(fake)
    assert seen == [PHONE]
    assert check_status(fake, auth, "4242") == "valid"


def test_a_failing_code_generator_leaves_no_trace() -> None:
    def codes(_phone: str) -> str:
        raise RuntimeError("no codes today")

    fake = FakeState(codes=codes)
    with pytest.raises(RuntimeError, match="no codes today"):
        create(fake)
    assert len(fake.outbox) == 0
    assert_error(feedback(fake), "no_associated_auth_found")


def test_each_create_is_a_new_authentication(fake: FakeState) -> None:
    first, second = new_auth(fake), new_auth(fake)
    assert first != second
    assert [m.authentication_uuid for m in fake.outbox] == [first, second]


def test_create_ignores_unknown_keys_and_null_optionals(fake: FakeState) -> None:
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


def test_create_accepts_every_documented_field(fake: FakeState, hooks: Hooks) -> None:
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


# --------------------------------------------------------------------------
# Reserved numbers
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["blocked_number", "unsupported_region", "invalid_line", "negative_balance"]
)
def test_reserved_error_numbers(fake: FakeState, hooks: Hooks, code: str) -> None:
    phone = next(n for n, outcome in RESERVED_NUMBERS.items() if outcome == code)
    assert_error(create(fake, phone, callback_url="https://h.test/"), code)
    assert len(fake.outbox) == 0
    assert hooks == []
    # Nothing was created, so there is nothing to give feedback on.
    assert_error(feedback(fake, phone=phone), "no_associated_auth_found")


def test_reserved_rate_limited_number(fake: FakeState, hooks: Hooks) -> None:
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


def test_reserved_spam_number(fake: FakeState, clock: ManualClock) -> None:
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


def test_reserved_numbers_are_ordinary_for_lookup_and_feedback(fake: FakeState) -> None:
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


def test_check_valid_then_already_validated(fake: FakeState) -> None:
    auth = new_auth(fake)
    code = code_of(fake)
    assert check_status(fake, auth, code) == "valid"
    assert check_status(fake, auth, code) == "already_validated"
    assert check_status(fake, auth, "000000") == "already_validated"
    assert retry_body(fake, auth)["status"] == "already_validated"


def test_check_invalid_code(fake: FakeState) -> None:
    auth = new_auth(fake)
    wrong = "x" + code_of(fake)
    assert check_status(fake, auth, wrong) == "invalid"
    assert check_status(fake, auth, "") == "invalid"
    assert check_status(fake, auth, code_of(fake)) == "valid"


def test_codes_belong_to_their_authentication(fake: FakeState) -> None:
    first = new_auth(fake)
    first_code = code_of(fake)
    second = new_auth(fake, "+33600000002")
    second_code = code_of(fake, "+33600000002")
    if first_code != second_code:
        assert check_status(fake, first, second_code) == "invalid"
    assert check_status(fake, second, second_code) == "valid"
    assert check_status(fake, first, first_code) == "valid"


def test_too_many_wrong_codes_lock_the_authentication(fake: FakeState) -> None:
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


def test_check_expires_at_expires_at(fake: FakeState, clock: ManualClock) -> None:
    auth = new_auth(fake)
    clock.advance(timedelta(minutes=10) - timedelta(microseconds=1))
    assert check_status(fake, auth, "wrong") == "invalid"
    clock.advance(timedelta(microseconds=1))
    assert check_status(fake, auth, code_of(fake)) == "expired_auth"
    assert retry_body(fake, auth)["status"] == "expired_auth"
    clock.advance(timedelta(days=1))
    assert check_status(fake, auth, code_of(fake)) == "expired_auth"


def test_check_precedence(fake: FakeState, clock: ManualClock) -> None:
    validated = new_auth(fake, "+33600000001")
    assert check_status(fake, validated, code_of(fake, "+33600000001")) == "valid"
    locked = new_auth(fake, "+33600000002")
    for _ in range(5):
        check_status(fake, locked, "wrong")
    clock.advance(timedelta(hours=1))
    # validated beats expired; expired beats locked
    assert check_status(fake, validated, "x") == "already_validated"
    assert check_status(fake, locked, "x") == "expired_auth"


def test_authentication_uuid_case_does_not_matter(fake: FakeState) -> None:
    auth = new_auth(fake)
    reply = check(fake, auth.upper(), code_of(fake))
    assert reply.body == {"authentication_uuid": auth, "status": "valid"}


def test_open_mode_does_not_scope_authentications(fake: FakeState) -> None:
    auth = new_auth(fake)
    assert check_status(fake, auth, code_of(fake), customer=OTHER_CUSTOMER) == "valid"


# --------------------------------------------------------------------------
# Retries
# --------------------------------------------------------------------------


def test_retry_timing_and_exhaustion(fake: FakeState, clock: ManualClock) -> None:
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


def test_retry_precedence(fake: FakeState, clock: ManualClock) -> None:
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


def test_retry_records_attempt_events(fake: FakeState, clock: ManualClock) -> None:
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


def strict_fake() -> FakeState:
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
    fake = FakeState(
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


def test_status_tells_the_whole_story(fake: FakeState, clock: ManualClock) -> None:
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


def test_status_replies_are_copies(fake: FakeState) -> None:
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


def test_feedback_needs_an_authentication(fake: FakeState) -> None:
    assert_error(feedback(fake), "no_associated_auth_found")
    new_auth(fake)
    reply = feedback(fake)
    assert reply.status == 200
    assert_feedback_body(reply.body)


def test_feedback_duplicates(fake: FakeState) -> None:
    new_auth(fake)
    first = feedback(fake, "onboarded")
    again = feedback(fake, "onboarded")
    assert_error(again, "duplicated_feedback_status")
    # The message names the status and the number.
    assert "onboarded" in again.body["message"]
    assert PHONE in again.body["message"]
    second = feedback(fake, "not_onboarded")
    assert second.status == 200
    assert first.body["uuid"] != second.body["uuid"]
    assert_error(feedback(fake, "not_onboarded"), "duplicated_feedback_status")
    # A new authentication does not clear what was recorded.
    new_auth(fake)
    assert_error(feedback(fake, "onboarded"), "duplicated_feedback_status")


def test_feedback_is_per_customer_and_number(fake: FakeState) -> None:
    new_auth(fake)
    assert_error(feedback(fake, customer=OTHER_CUSTOMER), "no_associated_auth_found")
    assert_error(feedback(fake, phone="+33600000000"), "no_associated_auth_found")
    new_auth(fake, customer=OTHER_CUSTOMER)
    assert feedback(fake).status == 200
    assert feedback(fake, customer=OTHER_CUSTOMER).status == 200


# --------------------------------------------------------------------------
# Webhooks
# --------------------------------------------------------------------------


def test_webhook_events_for_create(fake: FakeState, hooks: Hooks) -> None:
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
    fake: FakeState, hooks: Hooks, clock: ManualClock
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


def test_no_webhooks_without_callback_url(fake: FakeState, hooks: Hooks) -> None:
    new_auth(fake)
    assert hooks == []


def test_no_sink_is_fine() -> None:
    fake = FakeState(seed=1)
    auth = new_auth(fake, callback_url="https://h.test/")
    assert check_status(fake, auth, code_of(fake)) == "valid"


def test_webhook_ids_are_stable_with_a_seed() -> None:
    def run(sink_given: bool) -> Hooks:
        got: Hooks = []
        fake = FakeState(
            clock=ManualClock(),
            seed=5,
            webhook_sink=(lambda u, p: got.append((u, p))) if sink_given else None,
        )
        new_auth(fake, callback_url="https://h.test/")
        return got

    assert run(sink_given=True) == run(sink_given=True)
    # Whether anyone listens does not change the ids handed out.
    with_sink = FakeState(
        clock=ManualClock(), seed=5, webhook_sink=lambda _url, _payload: None
    )
    without = FakeState(clock=ManualClock(), seed=5)
    for f in (with_sink, without):
        new_auth(f, callback_url="https://h.test/")
    assert new_auth(with_sink) == new_auth(without)


def test_webhook_sink_runs_outside_the_lock() -> None:
    seen: list[int] = []
    fake: FakeState

    def sink(_url: str, payload: dict[str, Any]) -> None:
        # Re-entering the fake from the sink must not deadlock.
        seen.append(fake.authentication_status(payload["auth_uuid"]).status)

    fake = FakeState(webhook_sink=sink)
    new_auth(fake, callback_url="https://h.test/")
    assert seen == [200, 200, 200]


def test_webhook_sink_errors_reach_the_caller_after_the_change() -> None:
    def sink(_url: str, _payload: dict[str, Any]) -> None:
        raise RuntimeError("sink down")

    fake = FakeState(webhook_sink=sink)
    with pytest.raises(RuntimeError, match="sink down"):
        create(fake, callback_url="https://h.test/")
    assert len(fake.outbox) == 1


# --------------------------------------------------------------------------
# Reset, seeds
# --------------------------------------------------------------------------


def test_reset_forgets_everything(fake: FakeState) -> None:
    auth = new_auth(fake)
    assert feedback(fake).status == 200
    fake.reset()
    assert len(fake.outbox) == 0
    assert_error(check(fake, auth, "1"), "invalid_auth_uuid")
    assert_error(fake.authentication_status(auth), "invalid_auth_uuid")
    assert_error(feedback(fake), "no_associated_auth_found")
    new_auth(fake)
    assert feedback(fake).status == 200


def script(fake: FakeState, clock: ManualClock) -> list[Reply]:
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
        fake = FakeState(
            clock=clock, seed=seed, webhook_sink=lambda u, p: got.append((u, p))
        )
        return script(fake, clock), [m.code for m in fake.outbox], got

    assert run(7) == run(7)
    assert run(7) != run(8)
    replies = run(7)[0]
    assert is_uuid(replies[0].body["authentication_uuid"])
    assert is_uuid(replies[3].body["uuid"])


def test_without_a_seed_ids_are_random_v4() -> None:
    a, b = FakeState(), FakeState()
    first, second = new_auth(a), new_auth(b)
    assert first != second
    assert uuid.UUID(first).version == 4


# --------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------


def test_many_threads_creating_and_checking() -> None:
    fake = FakeState()
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


def test_concurrent_right_codes_validate_once(fake: FakeState) -> None:
    auth = new_auth(fake)
    code = code_of(fake)
    statuses = hammer(24, lambda: check_status(fake, auth, code))
    assert sorted(statuses) == ["already_validated"] * 23 + ["valid"]


def test_concurrent_wrong_codes_lock_exactly(fake: FakeState) -> None:
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
