"""Phone numbers are sent in E.164, and one that cannot exist is never sent.

With ``phonenumbers`` installed (the test dependencies include it), every
phone number an operation takes, as a keyword, in a mapping or in a request
object, goes out in E.164; a number no plan allows raises
`ding.InvalidPhoneNumberError` with its reason, and the fake handles no
request. Without the library: tests/client/test_without_phonenumbers.py.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Awaitable, Callable
from typing import Any, Final

import pytest

import ding
from ding._schema import _phone
from ding.models import errors, shared
from ding.testing import FakeDing

# --------------------------------------------------------------------------
# The table: formats in, E.164 out
# --------------------------------------------------------------------------

#: (as typed, default_region, as sent).
FORMATS: Final = [
    ("+33612345678", None, "+33612345678"),
    ("+33 6 12 34 56 78", None, "+33612345678"),
    ("+33 (0)6 12 34 56 78", None, "+33612345678"),
    ("(+33) 6.12.34.56.78", None, "+33612345678"),
    ("0033 6 12 34 56 78", None, "+33612345678"),  # 00: the international prefix
    ("(0033) 6 12 34 56 78", None, "+33612345678"),  # 00 after punctuation too
    ("  +33-6-12-34-56-78  ", None, "+33612345678"),
    ("+1 (415) 555-0123", None, "+14155550123"),
    ("+1.415.555.0123", None, "+14155550123"),
    ("+44 20 7183 8750", None, "+442071838750"),
    ("+44 (0)20 7183 8750", None, "+442071838750"),
    ("+49 151 23456789", None, "+4915123456789"),
    ("+49 30 12345678901", None, "+493012345678901"),  # 15 digits: E.164 allows
    ("+86 138 0013 8000", None, "+8613800138000"),
    ("+81 90-1234-5678", None, "+819012345678"),
    ("+55 (11) 91234-5678", None, "+5511912345678"),
    ("+39 06 1234 5678", None, "+390612345678"),  # Italy keeps its leading 0
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("06.12.34.56.78", "fr", "+33612345678"),
    ("00 44 20 7183 8750", "FR", "+442071838750"),  # France's international prefix
    ("+44 20 7183 8750", "FR", "+442071838750"),  # a + number ignores the region
    ("(415) 555-0123", "US", "+14155550123"),
    ("011 33 6 12 34 56 78", "US", "+33612345678"),  # the US's international prefix
    ("020 7183 8750", "GB", "+442071838750"),
    ("0151 23456789", "DE", "+4915123456789"),
    # A possible number no plan lists yet is sent: only what cannot exist
    # is refused (a range opened after the library's release still works).
    ("+44 7700 900123", None, "+447700900123"),
    # What people paste or type for spaces, dashes, digits and the plus.
    ("+33\u00a06\u00a012\u00a034\u00a056\u00a078", None, "+33612345678"),
    ("+33\u202f6\u200912\u200934\u200956\u200978", None, "+33612345678"),
    ("+1 415\u2013555\u20130123", None, "+14155550123"),
    ("\u200e+33 6 12 34 56 78\u200f", None, "+33612345678"),
    ("+33\u200b612345678", None, "+33612345678"),
    (
        "\uff0b\uff13\uff13\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
        None,
        "+33612345678",
    ),
    (
        "+\u0663\u0663\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
        None,
        "+33612345678",
    ),
]

#: (as typed, default_region, reason).
IMPOSSIBLE: Final = [
    ("+1415", None, "too_short"),
    ("+33612", None, "too_short"),
    ("+12", None, "too_short"),
    ("+1234567890", None, "too_short"),  # 9 digits after +1
    ("555 0123", "US", "too_short"),  # no area code: not dialable from abroad
    ("+999123", None, "invalid_country_code"),
    ("+999 123 456 789", None, "invalid_country_code"),
    ("00999123456", "FR", "invalid_country_code"),
    ("+33 6 12 34 56 78 90", None, "too_long"),
    ("+86 138 0013 8000 99999", None, "too_long"),
    ("+49 30 1234567890 12", None, "too_long"),  # a plan allows 16: E.164 does not
    ("+1" + "2" * 5000, None, "too_long"),
    ("06 12 34 56 78", None, "no_country_code"),
    ("0612345678", None, "no_country_code"),
    ("1-800-FLOWERS", None, "not_a_number"),  # letters are never converted
    ("+1 415 555 0123 x12", None, "not_a_number"),  # an extension
    ("+1 415 555 0123 ext. 12", None, "not_a_number"),
    ("tel:+14155550123", None, "not_a_number"),
    ("+33+612345678", None, "not_a_number"),
    ("++33612345678", None, "not_a_number"),
    ("+1 415 555 0123 \u00b2", None, "not_a_number"),  # a superscript is no digit
    ("+33 6 12 34 56 78\n+1", None, "not_a_number"),
    ("", None, "not_a_number"),
    ("+", None, "not_a_number"),
    ("--", None, "not_a_number"),
]


#: How each reason reads in the message.
WORDS: Final = {
    "too_short": "too short",
    "too_long": "too long",
    "invalid_country_code": "no country has this country code",
    "no_country_code": "no country code: write it as +<country code><number>",
    "not_a_number": "not a phone number",
}


@pytest.mark.parametrize(("typed", "region", "e164"), FORMATS)
def test_normalize_phone_number(typed: str, region: str | None, e164: str) -> None:
    assert ding.normalize_phone_number(typed, default_region=region) == e164


@pytest.mark.parametrize(("typed", "region", "reason"), IMPOSSIBLE)
def test_a_number_that_cannot_exist_is_refused_with_its_reason(
    typed: str, region: str | None, reason: str
) -> None:
    with pytest.raises(ding.InvalidPhoneNumberError) as caught:
        ding.normalize_phone_number(typed, default_region=region)
    error = caught.value
    assert error.reason == reason
    assert isinstance(error, ding.UsageError)
    assert errors.InvalidPhoneNumberError is ding.InvalidPhoneNumberError
    # The message says why, never the number.
    message = str(error)
    assert message.startswith("invalid phone number")
    assert WORDS[reason] in message
    digits = "".join(c for c in typed if c.isdigit())
    if len(digits) >= 4:
        assert digits not in "".join(c for c in message if c.isdigit())
        assert typed.strip() not in message
    # No phonenumbers exception shows in a traceback either.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def _outcome(typed: str) -> str:
    """The number in E.164, or why it was refused."""
    try:
        return ding.normalize_phone_number(typed)
    except ding.InvalidPhoneNumberError as exc:
        return f"refused: {exc.reason}"


@pytest.mark.parametrize(
    "rest",
    ["33 6 12 34 56 78", "44 20 7183 8750", "999 123", "33 6 12", "9" * 246],
    ids=["fr", "gb", "no_country", "short", "long"],
)
def test_a_leading_00_is_read_as_plus(rest: str) -> None:
    # Without a default region, 00 is the international prefix: the same
    # number as with +, or the same refusal, whatever its length.
    assert _outcome("00" + rest) == _outcome("+" + rest)
    assert _outcome("00 " + rest) == _outcome("+" + rest)


@pytest.mark.parametrize(
    ("typed", "region", "message"),
    [
        # The docs' example, and each reason's words.
        ("+33612", None, "(5 digits): too short for country code +33"),
        ("+12", None, "(2 digits): too short"),  # no country code to name
        ("+33 6 12 34 56 78 90", None, "(13 digits): too long for country code +33"),
        ("+1" + "2" * 20, None, "(21 digits): too long"),
        (
            "+41 22 222 22 222",
            None,
            "(12 digits): no number for country code +41 has this length",
        ),
        ("+999123", None, "(6 digits): no country has this country code"),
        (
            "06 12 34 56 78",
            None,
            (
                "(10 digits): no country code: write it as +<country code><number>, or "
                "give the client a default_region (such as 'FR') for national numbers"
            ),
        ),
        (
            "1-800-FLOWERS",
            None,
            (
                "(4 digits): not a phone number: only digits, spaces, '-', '.', '(' and "
                "')' are accepted, after an optional leading '+' (no letters, no "
                "extension)"
            ),
        ),
        # Only digits are counted.
        (
            "+1 415 555 0123 X12",
            None,
            (
                "(13 digits): not a phone number: only digits, spaces, '-', '.', '(' "
                "and ')' are accepted, after an optional leading '+' (no letters, no "
                "extension)"
            ),
        ),
    ],
)
def test_the_message_says_why_in_words(
    typed: str, region: str | None, message: str
) -> None:
    # How many digits, and why the number cannot exist: the country code
    # when one was read, never the number (docs/phone-numbers.md).
    with pytest.raises(ding.InvalidPhoneNumberError) as caught:
        ding.normalize_phone_number(typed, default_region=region)
    assert str(caught.value) == f"invalid phone number {message}"


def test_the_error_pickles_with_its_reason() -> None:
    with pytest.raises(ding.InvalidPhoneNumberError) as caught:
        ding.normalize_phone_number("+999123")
    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 - our own error
    assert (type(copy), copy.reason, str(copy)) == (
        ding.InvalidPhoneNumberError,
        "invalid_country_code",
        str(caught.value),
    )


@pytest.mark.parametrize(("number", "kind"), [(33612345678, "int"), (None, "NoneType")])
def test_a_number_that_is_not_a_str_is_a_usage_error(number: Any, kind: str) -> None:
    # An untyped caller's wrong type is refused by its type's name.
    with pytest.raises(ding.UsageError) as caught:
        ding.normalize_phone_number(number)
    assert not isinstance(caught.value, ding.InvalidPhoneNumberError)
    assert str(caught.value) == f"phone number must be a str, not {kind}"


def test_without_the_library_the_helper_says_to_install_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in an install without ding[phonenumbers] (in a child process:
    # tests/client/test_without_phonenumbers.py): the helper cannot
    # normalize, and says how to install what it needs.
    monkeypatch.setitem(sys.modules, "phonenumbers", None)
    _phone.available.cache_clear()
    try:
        with pytest.raises(ding.UsageError) as caught:
            ding.normalize_phone_number("+33 6 12 34 56 78")
    finally:
        _phone.available.cache_clear()  # found again once the test is over
    assert str(caught.value) == (
        "normalize_phone_number needs the phonenumbers library: "
        "install the phonenumbers extra: pip install 'ding[phonenumbers]'"
    )


@pytest.mark.parametrize("region", ["XY", "France", "", "33", 33])
def test_an_unknown_region_is_a_usage_error(region: Any) -> None:
    with pytest.raises(ding.UsageError, match="default_region must be") as caught:
        ding.normalize_phone_number("06 12 34 56 78", default_region=region)
    assert not isinstance(caught.value, ding.InvalidPhoneNumberError)
    with pytest.raises(ding.UsageError, match="default_region must be"):
        FakeDing().async_client(default_region=region)


# --------------------------------------------------------------------------
# Every operation that takes a number, on both clients
# --------------------------------------------------------------------------

AsyncCall = Callable[[ding.AsyncDing, str], Awaitable[object]]
SyncCall = Callable[[ding.Ding, str], object]

ASYNC_CALLS: Final[dict[str, AsyncCall]] = {
    "create_authentication keyword": lambda c, n: c.otp.create_authentication(
        phone_number=n
    ),
    "create_authentication mapping": lambda c, n: c.otp.create_authentication(
        {"phone_number": n}
    ),
    "create_authentication object": lambda c, n: c.otp.post_authentication(
        shared.CreateAuthenticationRequest(phone_number=n)
    ),
    "feedback keyword": lambda c, n: c.otp.feedback(phone_number=n, status="onboarded"),
    "feedback mapping": lambda c, n: c.otp.feedback(
        {"phone_number": n, "status": "onboarded"}
    ),
    "feedback object": lambda c, n: c.otp.feedback(
        shared.FeedbackRequest(phone_number=n, status="onboarded")
    ),
    "lookup": lambda c, n: c.lookup.lookup(n),
    "post_lookup mapping": lambda c, n: c.lookup.post_lookup(
        lookup_request={"phone_number": n}
    ),
    "post_lookup object": lambda c, n: c.lookup.post_lookup(
        lookup_request=shared.LookupRequest(phone_number=n)
    ),
}

SYNC_CALLS: Final[dict[str, SyncCall]] = {
    "create_authentication keyword": lambda c, n: c.otp.create_authentication(
        phone_number=n
    ),
    "create_authentication mapping": lambda c, n: c.otp.create_authentication(
        {"phone_number": n}
    ),
    "create_authentication object": lambda c, n: c.otp.post_authentication(
        shared.CreateAuthenticationRequest(phone_number=n)
    ),
    "feedback keyword": lambda c, n: c.otp.feedback(phone_number=n, status="onboarded"),
    "feedback mapping": lambda c, n: c.otp.feedback(
        {"phone_number": n, "status": "onboarded"}
    ),
    "feedback object": lambda c, n: c.otp.feedback(
        shared.FeedbackRequest(phone_number=n, status="onboarded")
    ),
    "lookup": lambda c, n: c.lookup.lookup(n),
    "post_lookup mapping": lambda c, n: c.lookup.post_lookup(
        lookup_request={"phone_number": n}
    ),
    "post_lookup object": lambda c, n: c.lookup.post_lookup(
        lookup_request=shared.LookupRequest(phone_number=n)
    ),
}

#: One of each kind of refusal.
REFUSED: Final = [
    ("+1415", "too_short"),
    ("+33612", "too_short"),
    ("+999123", "invalid_country_code"),
    ("+33 6 12 34 56 78 90", "too_long"),
    ("1-800-FLOWERS", "not_a_number"),
    ("06 12 34 56 78", "no_country_code"),
]


def sent_number(fake: FakeDing, name: str, result: object) -> str:
    """The number the fake got, as it answers it or recorded it."""
    if name.startswith("create_authentication"):
        (message,) = fake.outbox
        return message.phone_number
    if name.startswith("feedback"):
        # The fake knows the number only in E.164 (an authentication was
        # made for "+33612345678" first): a 200 means that is what it got.
        assert getattr(result, "status_code", None) == 200
        return "+33612345678"
    lookup = getattr(result, "lookup_response", None)
    assert lookup is not None
    return str(lookup.phone_number)


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(ASYNC_CALLS))
@pytest.mark.parametrize(("typed", "reason"), REFUSED)
async def test_async_operations_send_nothing_for_an_impossible_number(
    name: str, typed: str, reason: str
) -> None:
    fake = FakeDing()
    async with fake.async_client() as client:
        with pytest.raises(ding.InvalidPhoneNumberError) as caught:
            await ASYNC_CALLS[name](client, typed)
    assert caught.value.reason == reason
    assert fake.handled_requests == 0


@pytest.mark.parametrize("name", sorted(SYNC_CALLS))
@pytest.mark.parametrize(("typed", "reason"), REFUSED)
def test_sync_operations_send_nothing_for_an_impossible_number(
    name: str, typed: str, reason: str
) -> None:
    fake = FakeDing()
    with fake.client() as client, pytest.raises(ding.InvalidPhoneNumberError) as caught:
        SYNC_CALLS[name](client, typed)
    assert caught.value.reason == reason
    assert fake.handled_requests == 0


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(ASYNC_CALLS))
@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("+33 6 12 34 56 78", None),
        ("(+33) 6-12-34-56-78", None),
        ("06 12 34 56 78", "FR"),
    ],
)
async def test_async_operations_send_e164(
    name: str, typed: str, region: str | None
) -> None:
    fake = FakeDing()
    async with fake.async_client(default_region=region) as client:
        await client.otp.create_authentication(phone_number="+33612345678")
        fake.outbox.clear()
        result = await ASYNC_CALLS[name](client, typed)
    assert sent_number(fake, name, result) == "+33612345678"


@pytest.mark.parametrize("name", sorted(SYNC_CALLS))
@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("+33 6 12 34 56 78", None),
        ("(+33) 6-12-34-56-78", None),
        ("06 12 34 56 78", "FR"),
    ],
)
def test_sync_operations_send_e164(name: str, typed: str, region: str | None) -> None:
    fake = FakeDing()
    with fake.client(default_region=region) as client:
        client.otp.create_authentication(phone_number="+33612345678")
        fake.outbox.clear()
        result = SYNC_CALLS[name](client, typed)
    assert sent_number(fake, name, result) == "+33612345678"


@pytest.mark.anyio
async def test_the_callers_request_object_is_left_as_it_is() -> None:
    fake = FakeDing()
    request = shared.CreateAuthenticationRequest(phone_number="+33 6 12 34 56 78")
    async with fake.async_client() as client:
        await client.otp.create_authentication(request)
    assert request.phone_number == "+33 6 12 34 56 78"
    assert fake.outbox.last("+33612345678") is not None


# --------------------------------------------------------------------------
# default_region, a client setting
# --------------------------------------------------------------------------


def test_default_region_is_a_setting_with_options_changes() -> None:
    fake = FakeDing()
    with fake.client(default_region="fr") as client:
        assert client.default_region == "FR"
        british = client.with_options(default_region="GB")
        assert british.default_region == "GB"
        assert client.with_options(max_retries=0).default_region == "FR"
        looked = british.lookup.lookup("020 7183 8750").lookup_response
        assert looked is not None
        assert looked.phone_number == "+442071838750"
        sent = client.otp.create_authentication(phone_number="06 12 34 56 78")
        assert sent.status == "pending"
        assert fake.outbox.last("+33612345678") is not None
        with pytest.raises(ding.UsageError, match="default_region must be"):
            client.with_options(default_region="ZZZ")
    assert ding.AsyncDing(api_key="k").default_region is None
