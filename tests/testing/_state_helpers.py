"""Shared by the tests of the fake's state machine: shapes, constants, requests."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

import pytest

from ding._schema._models import Code
from ding.testing._state import FakeState
from ding.testing._values import (
    FakeSettings,
    ManualClock,
    Reply,
)

if TYPE_CHECKING:
    from collections.abc import Mapping


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
# The documented codes: tests/schema/test_models.py checks `Code` against the docs.
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
    """*body* is a lookup answer the contract allows, as the fake gives it.

    The carrier, and the MCC and MNC of its network, are left out where the
    fake has no source for them (docs/fake.md); an MNC never comes without
    its MCC, nor an MCC without a carrier.
    """
    keys = {
        "phone_number",
        "country_code",
        "line_type",
        "number_ported",
        "temporary_phone_number",
    }
    optional = {"carrier", "mcc", "mnc"}
    assert keys <= set(body) <= keys | optional | ({"caller_name"} if cnam else set())
    assert ("caller_name" in body) is cnam
    assert re.fullmatch(r"[A-Z]{2}", body["country_code"])
    if "carrier" in body:
        assert isinstance(body["carrier"], str)
        assert body["carrier"]
    else:
        assert "mcc" not in body
    if "mcc" in body:
        assert re.fullmatch(r"[0-9]{3}", body["mcc"])
    else:
        assert "mnc" not in body
    if "mnc" in body:
        assert re.fullmatch(r"[0-9]{2,3}", body["mnc"])
    assert body["line_type"] in LINE_TYPES
    assert type(body["number_ported"]) is bool
    assert type(body["temporary_phone_number"]) is bool
    if cnam:
        assert isinstance(body["caller_name"], str)
        assert body["caller_name"]


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def make(clock: ManualClock | None = None, **policy: Any) -> FakeState:
    return FakeState(FakeSettings(**policy), clock=clock or ManualClock(), seed=0)


def create(
    fake: FakeState, phone: str = PHONE, customer: str = CUSTOMER, **extra: object
) -> Reply:
    return fake.create_authentication(
        {
            "customer_uuid": customer,
            "phone_number": phone,
            **extra,
        }
    )


def new_auth(
    fake: FakeState, phone: str = PHONE, customer: str = CUSTOMER, **extra: object
) -> str:
    reply = create(fake, phone, customer, **extra)
    assert reply.status == 200, reply
    assert_create_body(reply.body)
    auth = reply.body["authentication_uuid"]
    assert isinstance(auth, str)
    return auth


def check(fake: FakeState, auth: str, code: str, customer: str = CUSTOMER) -> Reply:
    return fake.check(
        {
            "customer_uuid": customer,
            "authentication_uuid": auth,
            "check_code": code,
        }
    )


def check_status(
    fake: FakeState, auth: str, code: str, customer: str = CUSTOMER
) -> str:
    reply = check(fake, auth, code, customer)
    assert reply.status == 200, reply
    assert_check_body(reply.body)
    assert reply.body["authentication_uuid"] == auth
    return str(reply.body["status"])


def retry(fake: FakeState, auth: str, customer: str = CUSTOMER) -> Reply:
    return fake.retry({"customer_uuid": customer, "authentication_uuid": auth})


def retry_body(fake: FakeState, auth: str, customer: str = CUSTOMER) -> dict[str, Any]:
    reply = retry(fake, auth, customer)
    assert reply.status == 200, reply
    assert_retry_body(reply.body)
    assert reply.body["authentication_uuid"] == auth
    return reply.body


def code_of(fake: FakeState, phone: str = PHONE) -> str:
    code = fake.outbox.last_code(phone)
    assert code is not None
    return code


def events(fake: FakeState, auth: str) -> list[dict[str, Any]]:
    reply = fake.authentication_status(auth)
    assert reply.status == 200, reply
    assert_status_body(reply.body)
    found: list[dict[str, Any]] = reply.body["events"]
    return found


def feedback(
    fake: FakeState,
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
