"""Phone numbers to E.164, and the refusal of those that cannot exist.

With the optional ``phonenumbers`` library (``ding[phonenumbers]``), every
phone number an operation takes goes through `to_e164` before it is sent:
spaces, dashes, dots and parentheses go, a national number is read in the
client's ``default_region``, and a number no numbering plan allows raises
`ding.InvalidPhoneNumberError`. Only what cannot be possible is refused
(``phonenumbers.is_possible_number_with_reason``: a country code, a length),
never what the metadata merely does not list (``is_valid_number``), so that
a range opened after the library's release is still sent.

Without the library, numbers are sent as given, and the helpers that need
it (`normalize_phone_number`, `check_default_region`) say how to install it.
The library is imported on the first number, never by ``import ding``.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from typing import Final

from ding._errors import InvalidPhoneNumberError, UsageError

__all__ = [
    "INSTALL_HINT",
    "available",
    "check_default_region",
    "impossible_reason",
    "normalize_phone_number",
    "to_e164",
]

#: What to run to get the library.
INSTALL_HINT: Final = "install the phonenumbers extra: pip install 'ding[phonenumbers]'"

# What a typed phone number may hold: digits and the punctuation people put
# between them, after at most one leading "+" (or "(+", as in "(+33) 6 ...").
# Letters (vanity numbers), extensions ("x12", "ext. 12") and anything else
# are refused rather than converted or dropped. (No two parts of the pattern
# match the same text, so a long string is checked in linear time.)
_TYPED: Final = re.compile(r"\(?\+?[0-9 .()\-]+")
_PUNCTUATION: Final = re.compile(r"[ .()\-]")
#: The most digits an E.164 number has, its country code included.
_E164_DIGITS: Final = 15
#: What other characters people paste or type for those: dashes and the
#: minus sign, and the fullwidth forms of CJK input methods.
_LOOKALIKES: Final = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d", "-"),
        "\uff0b": "+",
        "\uff08": "(",
        "\uff09": ")",
        "\uff0e": ".",
    }
)


def _plain(text: str) -> str:
    """Return *text* with the characters people type for ``_TYPED``'s.

    Any space (a no-break or a thin space, as French typography and copied
    numbers have) is a space, any decimal digit (fullwidth, Arabic-Indic)
    its ASCII digit, a dash a ``-``; invisible formatting characters (a
    zero-width space, a direction mark) go.
    """
    out: list[str] = []
    for char in text.translate(_LOOKALIKES):
        if char.isdecimal():
            out.append(str(unicodedata.decimal(char)))
        elif char.isspace():
            out.append(" ")
        elif unicodedata.category(char) != "Cf":
            out.append(char)
    return "".join(out)


@functools.cache
def available() -> bool:
    """Whether ``phonenumbers`` can be imported (tried once, on first call)."""
    try:
        importlib.import_module("phonenumbers")
    except ImportError:
        return False
    return True


def _why(code: str, digits: int, country: int | None = None) -> InvalidPhoneNumberError:
    """The error for *code*; the message names the country code, never the number."""
    of = f" for country code +{country}" if country is not None else ""
    detail = {
        "not_a_number": (
            "not a phone number: only digits, spaces, '-', '.', '(' and ')' are "
            "accepted, after an optional leading '+' (no letters, no extension)"
        ),
        "no_country_code": (
            "no country code: write it as +<country code><number>, or give "
            "the client a default_region (such as 'FR') for national numbers"
        ),
        "invalid_country_code": "no country has this country code",
        "too_short": f"too short{of}",
        "too_long": f"too long{of}",
        "invalid_length": f"no number{of} has this length",
    }[code]
    return InvalidPhoneNumberError(
        f"invalid phone number ({digits} digits): {detail}",
        reason=code,
    )


def _possible_e164(number: str, region: str | None) -> str:
    """Return *number*, as typed, in E.164; refuse it unless a plan allows it.

    Raises:
        InvalidPhoneNumberError: The number cannot exist (see the error's reason).
    """
    import phonenumbers  # noqa: PLC0415 - optional, imported on first use

    text = _plain(number).strip()
    digits = sum(c in "0123456789" for c in text)
    if not digits or not _TYPED.fullmatch(text):
        raise _why("not_a_number", digits)
    if region is None and _PUNCTUATION.sub("", text).startswith("00"):
        # The international prefix of most countries, as the ITU recommends.
        text = "+" + _PUNCTUATION.sub("", text)[2:]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        error = exc.error_type
        if error == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            national = region is None and "+" not in text
            code = "no_country_code" if national else "invalid_country_code"
        elif error == phonenumbers.NumberParseException.TOO_LONG:
            code = "too_long"
        else:  # too short after the prefix or the country code; too few digits
            code = "too_short"
        raise _why(code, digits) from None
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    result = phonenumbers.ValidationResult
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if reason == result.IS_POSSIBLE and len(e164) - 1 > _E164_DIGITS:
        reason = result.TOO_LONG  # a plan allows more digits than E.164 does
    if reason == result.IS_POSSIBLE:
        return e164
    code = {
        result.INVALID_COUNTRY_CODE: "invalid_country_code",
        result.TOO_LONG: "too_long",
        result.INVALID_LENGTH: "invalid_length",
    }.get(reason, "too_short")  # TOO_SHORT, or IS_POSSIBLE_LOCAL_ONLY: no area code
    raise _why(code, digits, parsed.country_code)


def impossible_reason(number: str) -> str | None:
    """Why E.164 *number* cannot exist (an error's reason), or None if it can.

    None too without the library: then nothing is known against it.
    """
    if not available():
        return None
    try:
        _possible_e164(number, None)
    except InvalidPhoneNumberError as exc:
        return exc.reason
    return None


def to_e164(number: str, region: str | None) -> str:
    """Return *number* in E.164 when the library is installed, else as given.

    Raises:
        InvalidPhoneNumberError: The number cannot exist; nothing may be sent.
    """
    return _possible_e164(number, region) if available() else number


def check_default_region(region: object) -> str | None:
    """Return *region* (an ISO 3166-1 alpha-2 code) upper-cased, or None.

    Raises:
        UsageError: The library is not installed, or it knows no such region.
    """
    if region is None:
        return None
    if not available():
        raise UsageError(
            f"default_region needs the phonenumbers library: {INSTALL_HINT}"
        )
    import phonenumbers  # noqa: PLC0415 - optional, imported on first use

    code = region.upper() if isinstance(region, str) else None
    if code is None or code not in phonenumbers.SUPPORTED_REGIONS:
        raise UsageError(
            "default_region must be a two-letter ISO 3166-1 region such as 'FR', "
            f"not {region!r}"
        )
    return code


def normalize_phone_number(number: str, *, default_region: str | None = None) -> str:
    """Return *number* in E.164, as the SDK sends it: ``"+33612345678"``.

    Spaces, dashes, dots and parentheses are dropped; a leading ``00`` is
    read as ``+``; with *default_region* (``"FR"``), a national number
    (``"06 12 34 56 78"``) is read as that country's (and ``00`` as its
    international prefix). A number that no numbering plan allows is
    refused; one the plans merely do not list yet is not. Needs the
    ``phonenumbers`` library: ``pip install 'ding[phonenumbers]'``.

    Raises:
        InvalidPhoneNumberError: The number cannot exist (``.reason`` says
            why); the message never holds the number.
        UsageError: ``phonenumbers`` is not installed, or *default_region*
            is not a region it knows.
    """
    if not available():
        raise UsageError(
            f"normalize_phone_number needs the phonenumbers library: {INSTALL_HINT}"
        )
    if not isinstance(number, str):  # pyright: ignore[reportUnnecessaryIsInstance] - untyped callers
        raise UsageError(f"phone number must be a str, not {type(number).__name__}")
    return to_e164(number, check_default_region(default_region))
