"""The fake's number lookups: countries, carriers, line types, caller names."""

from __future__ import annotations

import pytest

from ding.testing._state import FakeState
from tests.testing._state_helpers import (
    CUSTOMER,
    OTHER_CUSTOMER,
    PHONE,
    assert_error,
    assert_lookup_body,
)

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
def test_lookup_country(fake: FakeState, phone: str, country: str) -> None:
    reply = fake.lookup(phone, CUSTOMER, [])
    assert reply.status == 200
    assert_lookup_body(reply.body)
    assert reply.body["phone_number"] == phone
    assert reply.body["country_code"] == country


def test_lookup_is_deterministic_and_varies(fake: FakeState) -> None:
    other = FakeState()
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


def test_lookup_cnam(fake: FakeState) -> None:
    plain = fake.lookup(PHONE, CUSTOMER, []).body
    named = fake.lookup(PHONE, CUSTOMER, ["cnam"]).body
    assert_lookup_body(named, cnam=True)
    assert {k: v for k, v in named.items() if k != "caller_name"} == plain
    assert fake.lookup(PHONE, CUSTOMER, ["cnam", "cnam"]).body == named
    assert fake.lookup(PHONE, CUSTOMER, "cnam").body == named


def test_lookup_errors(fake: FakeState) -> None:
    assert_error(fake.lookup(PHONE, None, []), "bad_request")
    assert_error(fake.lookup(PHONE, CUSTOMER, ["carrier"]), "bad_request")
    assert_error(fake.lookup(PHONE, CUSTOMER, ["cnam", ""]), "bad_request")
    assert_error(fake.lookup(PHONE, "x", []), "account_invalid")
    reply = fake.lookup("+0", CUSTOMER, [])
    assert_error(reply, "invalid_phone_number")
    assert reply.body["message"] == "+0 is not a valid phone number"
    assert_error(fake.lookup("33612345678", CUSTOMER, []), "invalid_phone_number")
