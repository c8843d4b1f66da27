"""The fake's request validation: every refused request gets the real error."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ding.testing._state import FakeState
from ding.testing._values import (
    RESERVED_NUMBERS,
    FakeSettings,
    ManualClock,
    Reply,
)
from tests._examples import examples
from tests.testing._state_helpers import (
    CUSTOMER,
    OTHER_CUSTOMER,
    PHONE,
    assert_check_body,
    assert_create_body,
    assert_error,
    assert_feedback_body,
    assert_lookup_body,
    assert_retry_body,
    assert_status_body,
    check_status,
    code_of,
    create,
    feedback,
    new_auth,
    retry,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


# --------------------------------------------------------------------------
# Creating authentications: request validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, [], [1], "x", 1, 1.5, True, False])
def test_create_body_must_be_an_object(fake: FakeState, body: object) -> None:
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
def test_create_rejects_wrong_types(fake: FakeState, field: str, value: object) -> None:
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
def test_create_accepts_http_urls(fake: FakeState, url: str) -> None:
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
def test_create_rejects_non_e164_numbers(fake: FakeState, phone: str) -> None:
    reply = create(fake, phone)
    assert_error(reply, "invalid_phone_number")
    assert reply.body["message"] == f"{phone} is not a valid phone number"


def test_invalid_phone_message_matches_the_docs(fake: FakeState) -> None:
    assert create(fake, "+0").body["message"] == "+0 is not a valid phone number"


@pytest.mark.parametrize("phone", ["+431234", "+431234567890123", "+15005550000"])
def test_create_accepts_e164_edges(fake: FakeState, phone: str) -> None:
    # The shortest and the longest numbers E.164 and Austria's plan allow.
    assert create(fake, phone).status == 200


@pytest.mark.parametrize(
    "phone",
    [
        "+12",  # too short for the +1 zone
        "+1234567890",  # 9 digits after +1
        "+123456789012345",  # too long for it
        "+33612",  # too short for France
        "+999123",  # no such country code
        "+4930123456789012",  # 16 digits: longer than E.164 allows
    ],
)
def test_create_refuses_numbers_no_plan_allows(fake: FakeState, phone: str) -> None:
    # E.164-shaped, but no numbering plan has such a number (the library's
    # plans, installed with the test dependencies): the API's
    # invalid_phone_number, and nothing sent.
    reply = create(fake, phone)
    assert_error(reply, "invalid_phone_number")
    assert reply.body["message"] == f"{phone} is not a valid phone number"
    assert len(fake.outbox) == 0


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
def test_create_rejects_malformed_customer(fake: FakeState, customer: str) -> None:
    assert_error(create(fake, customer=customer), "account_invalid")


def test_customer_uuid_case_does_not_matter(fake: FakeState) -> None:
    auth = new_auth(fake, customer=CUSTOMER.upper())
    assert fake.outbox[0].customer_uuid == CUSTOMER
    assert check_status(fake, auth, code_of(fake)) == "valid"


def test_errors_come_in_order_bad_request_account_phone(fake: FakeState) -> None:
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


def test_app_realm_needs_device_type(fake: FakeState) -> None:
    assert_error(create(fake, app_realm="FA+9qCX9VSu"), "app_realm_require_device_type")


@pytest.mark.parametrize("device_type", ["IOS", "WEB"])
def test_app_realm_is_android_only(fake: FakeState, device_type: str) -> None:
    assert_error(
        create(fake, app_realm="FA+9qCX9VSu", device_type=device_type),
        "unsupported_app_realm_device_type",
    )
    assert len(fake.outbox) == 0


def test_app_realm_with_android_is_fine(fake: FakeState) -> None:
    assert create(fake, app_realm="FA+9qCX9VSu", device_type="ANDROID").status == 200


# --------------------------------------------------------------------------
# Checks, retries, the status endpoint, feedback: request errors
# --------------------------------------------------------------------------


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
def test_check_errors(fake: FakeState, body: dict[str, object], code: str) -> None:
    assert_error(fake.check(body), code)


@pytest.mark.parametrize("body", [None, [], "x", 3])
def test_check_and_retry_bodies_must_be_objects(fake: FakeState, body: object) -> None:
    assert_error(fake.check(body), "bad_request")
    assert_error(fake.retry(body), "bad_request")


def test_retry_errors(fake: FakeState) -> None:
    assert_error(fake.retry({"customer_uuid": CUSTOMER}), "bad_request")
    assert_error(fake.retry({"authentication_uuid": str(uuid.uuid4())}), "bad_request")
    assert_error(retry(fake, "nope"), "invalid_auth_uuid")
    assert_error(retry(fake, str(uuid.uuid4())), "invalid_auth_uuid")
    assert_error(retry(fake, str(uuid.uuid4()), customer="x"), "account_invalid")


def test_status_errors(fake: FakeState) -> None:
    assert_error(fake.authentication_status("nope"), "invalid_auth_uuid")
    assert_error(fake.authentication_status(""), "invalid_auth_uuid")
    assert_error(fake.authentication_status(str(uuid.uuid4())), "invalid_auth_uuid")


@pytest.mark.parametrize("auth", ["nope", "5f0c7a36-1d2e-4b8f-9a3c-6e7d8f9a0b1c"])
def test_invalid_auth_uuid_names_the_uuid(fake: FakeState, auth: str) -> None:
    # The message says which UUID was refused, malformed or unknown alike.
    for reply in (
        fake.check(
            {"customer_uuid": CUSTOMER, "authentication_uuid": auth, "check_code": "1"}
        ),
        retry(fake, auth),
        fake.authentication_status(auth),
    ):
        assert_error(reply, "invalid_auth_uuid")
        assert auth in reply.body["message"]


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
def test_feedback_errors(fake: FakeState, kwargs: dict[str, Any], code: str) -> None:
    new_auth(fake)
    assert_error(feedback(fake, **kwargs), code)


def test_invalid_feedback_status_names_the_status(fake: FakeState) -> None:
    # The message says which status was refused.
    new_auth(fake)
    reply = feedback(fake, "ONBOARDED")
    assert_error(reply, "invalid_feedback_status")
    assert "ONBOARDED" in reply.body["message"]


@pytest.mark.parametrize("body", [None, [], "onboarded", 0])
def test_feedback_body_must_be_an_object(fake: FakeState, body: object) -> None:
    assert_error(fake.feedback(body), "bad_request")


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
@settings(max_examples=examples(150), suppress_health_check=[HealthCheck.too_slow])
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
    fake = FakeState(
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


@settings(max_examples=examples(200))
@given(
    phone=st.text(max_size=20) | st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True),
    customer=st.none() | st.text(max_size=40) | st.just(CUSTOMER),
    types=st.lists(st.text(max_size=6) | st.just("cnam"), max_size=3),
)
def test_any_lookup_gets_a_well_formed_answer(
    phone: str, customer: str | None, types: list[str]
) -> None:
    reply = FakeState().lookup(phone, customer, types)
    assert reply.status in {200, 400}
    if reply.status == 400:
        assert_error(reply, str(reply.body.get("code")))
    else:
        assert_lookup_body(reply.body, cnam="cnam" in types)
        assert reply.body["phone_number"] == phone


@settings(max_examples=examples(100))
@given(auth=st.text(max_size=40) | st.uuids().map(str))
def test_any_status_path_gets_a_well_formed_answer(auth: str) -> None:
    fake = FakeState()
    new_auth(fake)
    assert_error(fake.authentication_status(auth), "invalid_auth_uuid")
