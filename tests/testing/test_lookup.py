"""The fake's number lookups: countries, line types and carriers from real plans.

With ``phonenumbers`` installed (the test dependencies include it), the
fake answers a lookup from the numbering plans that library ships; the
tests below hold the fake to what the library says, number by number.
Without it, the fake invents nothing: tests/testing/test_without_phonenumbers.py.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Final

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType, carrier

from ding._schema._phone import available
from ding.testing._lookup import NETWORK_CODES, lookup_body
from ding.testing._state import FakeState
from tests.testing._state_helpers import (
    CUSTOMER,
    OTHER_CUSTOMER,
    PHONE,
    assert_error,
    assert_lookup_body,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The API's line type for each of the library's number types, written out
#: here rather than read from the fake.
API_LINE_TYPE: Final = {
    PhoneNumberType.FIXED_LINE: "FixedLine",
    PhoneNumberType.MOBILE: "Mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "Unknown",
    PhoneNumberType.TOLL_FREE: "TollFree",
    PhoneNumberType.PREMIUM_RATE: "PremiumRate",
    PhoneNumberType.SHARED_COST: "SharedCost",
    PhoneNumberType.VOIP: "Voip",
    PhoneNumberType.PERSONAL_NUMBER: "Other",
    PhoneNumberType.PAGER: "Pager",
    PhoneNumberType.UAN: "UniversalAccess",
    PhoneNumberType.VOICEMAIL: "VoiceMail",
    PhoneNumberType.UNKNOWN: "Unknown",
}

#: Numbers of 16 countries (and one of no country), with the country and
#: line type their plan gives them.
NUMBERS: Final = [
    ("+33612345678", "FR", "Mobile"),  # a French 06 mobile
    ("+33142685300", "FR", "FixedLine"),  # Paris, 01
    ("+442071838750", "GB", "FixedLine"),  # London, 020
    ("+447911123456", "GG", "Mobile"),  # a Guernsey range of +44 07
    ("+447400123456", "GB", "Mobile"),
    ("+8613800138000", "CN", "Mobile"),  # China Mobile's 138
    ("+4915123456789", "DE", "Mobile"),
    ("+493012345678", "DE", "FixedLine"),  # Berlin, 030
    ("+34612345678", "ES", "Mobile"),
    ("+393123456789", "IT", "Mobile"),
    ("+819012345678", "JP", "Mobile"),
    ("+919812345678", "IN", "Mobile"),
    ("+5511912345678", "BR", "Mobile"),
    ("+61412345678", "AU", "Mobile"),
    ("+2348031234567", "NG", "Mobile"),
    ("+254712345678", "KE", "Mobile"),
    ("+27821234567", "ZA", "Mobile"),
    ("+79161234567", "RU", "Mobile"),
    ("+14155550123", "US", "Unknown"),  # the +1 zone: mobile or landline, unsaid
    ("+16135550123", "CA", "Unknown"),
    ("+18005550199", "US", "TollFree"),
    ("+80012345678", "XX", "TollFree"),  # international freephone: no country
]


@pytest.mark.parametrize(("phone", "country", "line_type"), NUMBERS)
def test_lookup_agrees_with_the_numbering_plans(
    fake: FakeState, phone: str, country: str, line_type: str
) -> None:
    reply = fake.lookup(phone, CUSTOMER, [])
    assert reply.status == 200
    body = reply.body
    assert_lookup_body(body)
    assert body["phone_number"] == phone
    assert (body["country_code"], body["line_type"]) == (country, line_type)
    number = phonenumbers.parse(phone)
    # As the library says: the type of the number's range, its region and
    # the carrier the range was allocated to (none: no carrier in the answer).
    assert body["line_type"] == API_LINE_TYPE[phonenumbers.number_type(number)]
    region = phonenumbers.region_code_for_number(number) or "XX"
    assert body["country_code"] == ("XX" if region == "001" else region)
    assert body.get("carrier", "") == carrier.name_for_number(number, "en")


@pytest.mark.parametrize(
    ("phone", "line_type", "name", "network"),
    [
        ("+33612345678", "Mobile", "SFR", ("208", "10")),
        ("+33651234567", "Mobile", "Free Mobile", ("208", "15")),
        ("+33755123456", "Mobile", "Lebara France Limited", ("208", None)),
        ("+442071838750", "FixedLine", None, None),
        ("+8613800138000", "Mobile", "China Mobile", ("460", "00")),
        ("+8613012345678", "Mobile", "China Unicom", ("460", "01")),
        ("+4915123456789", "Mobile", "T-Mobile", ("262", "01")),
        ("+919812345678", "Mobile", "Idea", ("404", None)),  # no MNC: per circle
    ],
)
def test_the_issues_examples_and_their_networks(
    fake: FakeState,
    phone: str,
    line_type: str,
    name: str | None,
    network: tuple[str, str | None] | None,
) -> None:
    # A French 06 mobile is a Mobile, a London 020 line a FixedLine, and
    # China Mobile's 138 range China Mobile's; the MCC and MNC come from the
    # table of networks (docs/fake.md), the country's MCC for a carrier it
    # does not list, and neither without a carrier.
    body = fake.lookup(phone, CUSTOMER, []).body
    assert body["line_type"] == line_type
    assert body.get("carrier") == name
    assert (body.get("mcc"), body.get("mnc")) == (network or (None, None))


def test_every_network_code_is_a_carrier_the_library_names() -> None:
    # A table entry no lookup can reach would be dead data; every MCC is
    # its country's (three digits), every MNC two or three digits.
    import phonenumbers.carrierdata  # noqa: PLC0415 - only this test reads it

    names = {
        names["en"]
        for names in phonenumbers.carrierdata.CARRIER_DATA.values()
        if "en" in names
    }
    for (region, name), (mcc, mnc) in NETWORK_CODES.items():
        assert name in names, (region, name)
        assert region in phonenumbers.SUPPORTED_REGIONS
        assert len(mcc) == 3, (region, name)
        assert mcc.isdigit(), (region, name)
        assert len(mnc) in {2, 3}, (region, name)
        assert mnc.isdigit(), (region, name)


@pytest.mark.parametrize(
    "phone",
    [
        "+999123",  # no such country code
        "+999123456789",
        "+1415",  # too short for the +1 zone
        "+1234567890",  # 9 digits after +1: too short
        "+33612",  # too short for France
        "+3361234567890",  # too long for France
        "+12",
    ],
)
def test_a_number_that_cannot_exist_is_an_invalid_phone_number(
    fake: FakeState, phone: str
) -> None:
    reply = fake.lookup(phone, CUSTOMER, [])
    assert_error(reply, "invalid_phone_number")
    assert reply.body["message"] == f"{phone} is not a valid phone number"


def test_a_possible_number_the_plans_do_not_list_is_looked_up(fake: FakeState) -> None:
    # +44 7700 900123 is of a possible length, in a range Ofcom keeps for
    # drama: no plan lists it, so the lookup knows its country only.
    reply = fake.lookup("+447700900123", CUSTOMER, [])
    assert reply.status == 200
    assert reply.body["country_code"] == "GB"
    assert reply.body["line_type"] == "Unknown"
    assert "carrier" not in reply.body


def test_lookup_is_deterministic_and_only_the_sourceless_fields_vary(
    fake: FakeState,
) -> None:
    other = FakeState()
    numbers = [f"+3361234{i:04d}" for i in range(300)]
    bodies = [fake.lookup(n, CUSTOMER, ["cnam"]).body for n in numbers]
    again = [other.lookup(n, OTHER_CUSTOMER, ["cnam"]).body for n in numbers]
    assert bodies == again
    for body in bodies:
        assert_lookup_body(body, cnam=True)
    # One plan range: every number is a mobile of the same carrier...
    assert {(b["line_type"], b["carrier"]) for b in bodies} == {("Mobile", "SFR")}
    # ...while what no plan says is drawn from each number's hash.
    assert {b["number_ported"] for b in bodies} == {True, False}
    assert len({b["caller_name"] for b in bodies}) > 10
    assert lookup_body(numbers[0], cnam=True) == bodies[0]


def test_lookup_cnam(fake: FakeState) -> None:
    plain = fake.lookup(PHONE, CUSTOMER, []).body
    named = fake.lookup(PHONE, CUSTOMER, ["cnam"]).body
    assert_lookup_body(named, cnam=True)
    # A caller name as CNAM gives one: a first name and a last name, in capitals.
    assert re.fullmatch(r"[A-Z]+ [A-Z]+", named["caller_name"])
    assert {k: v for k, v in named.items() if k != "caller_name"} == plain
    assert fake.lookup(PHONE, CUSTOMER, ["cnam", "cnam"]).body == named
    assert fake.lookup(PHONE, CUSTOMER, "cnam").body == named


def test_lookup_errors(fake: FakeState) -> None:
    # Each message says what is wrong.
    reply = fake.lookup(PHONE, None, [])
    assert_error(reply, "bad_request")
    assert reply.body["message"] == "The header customer-uuid is required."
    reply = fake.lookup(PHONE, CUSTOMER, ["carrier"])
    assert_error(reply, "bad_request")
    assert reply.body["message"] == "Unknown lookup type 'carrier'; expected 'cnam'."
    assert_error(fake.lookup(PHONE, CUSTOMER, ["cnam", ""]), "bad_request")
    assert_error(fake.lookup(PHONE, "x", []), "account_invalid")
    reply = fake.lookup("+0", CUSTOMER, [])
    assert_error(reply, "invalid_phone_number")
    assert reply.body["message"] == "+0 is not a valid phone number"
    assert_error(fake.lookup("33612345678", CUSTOMER, []), "invalid_phone_number")


@pytest.fixture
def without_phonenumbers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # As in an install without ding[phonenumbers]: importing it fails.
    monkeypatch.setitem(sys.modules, "phonenumbers", None)
    available.cache_clear()
    yield
    available.cache_clear()


@pytest.mark.usefixtures("without_phonenumbers")
@pytest.mark.parametrize(
    ("phone", "country"),
    [
        ("+33612345678", "FR"),  # a calling code of two digits
        ("+14155550123", "US"),  # of one: the whole +1 zone is US
        ("+16135550123", "US"),
        ("+79161234567", "RU"),
        ("+254712345678", "KE"),  # of three
        ("+80012345678", "XX"),  # of no country
    ],
)
def test_without_phonenumbers_the_country_comes_from_the_calling_code(
    fake: FakeState, phone: str, country: str
) -> None:
    # docs/fake.md: without the library, the calling code's country, an
    # Unknown line type, and no carrier, MCC or MNC.
    reply = fake.lookup(phone, CUSTOMER, [])
    assert reply.status == 200
    body = reply.body
    assert_lookup_body(body)
    assert body["phone_number"] == phone
    assert (body["country_code"], body["line_type"]) == (country, "Unknown")
    assert not {"carrier", "mcc", "mnc"} & set(body)
