"""The fake's number lookups: `lookup_body` and the data behind it.

With the ``phonenumbers`` library installed (``pip install
'ding[phonenumbers]'``), a lookup answers from the numbering plans it ships
(the metadata of Google's libphonenumber), as a real lookup would:

* ``country_code``: the region whose plan holds the number, else the main
  region of its calling code; ``XX`` for the non-geographic codes (+800,
  +882, ...), which belong to no country.
* ``line_type``: the type of the number's range in that plan, mapped onto
  the API's 19 values (`line_types`); ``Unknown`` where the plan cannot
  tell: a range it does not list, or one shared by mobiles and landlines
  (the whole +1 zone).
* ``carrier``: the operator the number's range was allocated to
  (``phonenumbers.carrier.name_for_number``); left out where the library
  has none (landlines, the +1 zone, many countries).
* ``mcc`` and ``mnc``: the library has neither. `NETWORK_CODES`, a small
  table keyed by region and carrier name (from the ITU's E.212 list),
  gives both for the main carriers of some countries; another carrier gets
  its country's MCC (`CALLING_CODES`) and no MNC; a number without a
  carrier, neither.

Without the library, nothing is invented: the country comes from the
calling code (`CALLING_CODES`), ``line_type`` is ``Unknown`` and there is
no carrier, MCC or MNC.

Either way, ``number_ported``, ``temporary_phone_number`` and
``caller_name`` have no public source: they are drawn from the number's
SHA-256 hash, so a number always gets the same answer. The numbers the
fake refuses as ``invalid_phone_number`` are `valid_phone`'s
(`ding.testing._validation`).
"""

from __future__ import annotations

import functools
import hashlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from ding._schema._phone import available

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CALLING_CODES",
    "CNAM_FIRST_NAMES",
    "CNAM_LAST_NAMES",
    "NETWORK_CODES",
    "NON_GEOGRAPHIC",
    "line_types",
    "lookup_body",
]

# ITU calling code (digits after "+") -> (ISO 3166-1 alpha-2, home MCC), for
# the country without the library, and each country's MCC with it. The codes
# are prefix-free; without the library the whole +1 zone is reported as US.
CALLING_CODES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "1": ("US", "310"),
        "7": ("RU", "250"),
        "20": ("EG", "602"),
        "27": ("ZA", "655"),
        "30": ("GR", "202"),
        "31": ("NL", "204"),
        "32": ("BE", "206"),
        "33": ("FR", "208"),
        "34": ("ES", "214"),
        "36": ("HU", "216"),
        "39": ("IT", "222"),
        "40": ("RO", "226"),
        "41": ("CH", "228"),
        "43": ("AT", "232"),
        "44": ("GB", "234"),
        "45": ("DK", "238"),
        "46": ("SE", "240"),
        "47": ("NO", "242"),
        "48": ("PL", "260"),
        "49": ("DE", "262"),
        "51": ("PE", "716"),
        "52": ("MX", "334"),
        "53": ("CU", "368"),
        "54": ("AR", "722"),
        "55": ("BR", "724"),
        "56": ("CL", "730"),
        "57": ("CO", "732"),
        "58": ("VE", "734"),
        "60": ("MY", "502"),
        "61": ("AU", "505"),
        "62": ("ID", "510"),
        "63": ("PH", "515"),
        "64": ("NZ", "530"),
        "65": ("SG", "525"),
        "66": ("TH", "520"),
        "81": ("JP", "440"),
        "82": ("KR", "450"),
        "84": ("VN", "452"),
        "86": ("CN", "460"),
        "90": ("TR", "286"),
        "91": ("IN", "404"),
        "92": ("PK", "410"),
        "93": ("AF", "412"),
        "94": ("LK", "413"),
        "95": ("MM", "414"),
        "98": ("IR", "432"),
        "212": ("MA", "604"),
        "213": ("DZ", "603"),
        "216": ("TN", "605"),
        "218": ("LY", "606"),
        "220": ("GM", "607"),
        "221": ("SN", "608"),
        "222": ("MR", "609"),
        "223": ("ML", "610"),
        "224": ("GN", "611"),
        "225": ("CI", "612"),
        "226": ("BF", "613"),
        "227": ("NE", "614"),
        "228": ("TG", "615"),
        "229": ("BJ", "616"),
        "230": ("MU", "617"),
        "231": ("LR", "618"),
        "232": ("SL", "619"),
        "233": ("GH", "620"),
        "234": ("NG", "621"),
        "235": ("TD", "622"),
        "236": ("CF", "623"),
        "237": ("CM", "624"),
        "238": ("CV", "625"),
        "241": ("GA", "628"),
        "242": ("CG", "629"),
        "243": ("CD", "630"),
        "244": ("AO", "631"),
        "248": ("SC", "633"),
        "249": ("SD", "634"),
        "250": ("RW", "635"),
        "251": ("ET", "636"),
        "252": ("SO", "637"),
        "254": ("KE", "639"),
        "255": ("TZ", "640"),
        "256": ("UG", "641"),
        "257": ("BI", "642"),
        "258": ("MZ", "643"),
        "260": ("ZM", "645"),
        "261": ("MG", "646"),
        "262": ("RE", "647"),
        "263": ("ZW", "648"),
        "264": ("NA", "649"),
        "265": ("MW", "650"),
        "266": ("LS", "651"),
        "267": ("BW", "652"),
        "268": ("SZ", "653"),
        "298": ("FO", "288"),
        "299": ("GL", "290"),
        "350": ("GI", "266"),
        "351": ("PT", "268"),
        "352": ("LU", "270"),
        "353": ("IE", "272"),
        "354": ("IS", "274"),
        "355": ("AL", "276"),
        "356": ("MT", "278"),
        "357": ("CY", "280"),
        "358": ("FI", "244"),
        "359": ("BG", "284"),
        "370": ("LT", "246"),
        "371": ("LV", "247"),
        "372": ("EE", "248"),
        "373": ("MD", "259"),
        "374": ("AM", "283"),
        "375": ("BY", "257"),
        "376": ("AD", "213"),
        "377": ("MC", "212"),
        "378": ("SM", "292"),
        "380": ("UA", "255"),
        "381": ("RS", "220"),
        "382": ("ME", "297"),
        "385": ("HR", "219"),
        "386": ("SI", "293"),
        "387": ("BA", "218"),
        "389": ("MK", "294"),
        "420": ("CZ", "230"),
        "421": ("SK", "231"),
        "423": ("LI", "295"),
        "501": ("BZ", "702"),
        "502": ("GT", "704"),
        "503": ("SV", "706"),
        "504": ("HN", "708"),
        "505": ("NI", "710"),
        "506": ("CR", "712"),
        "507": ("PA", "714"),
        "509": ("HT", "372"),
        "591": ("BO", "736"),
        "593": ("EC", "740"),
        "595": ("PY", "744"),
        "597": ("SR", "746"),
        "598": ("UY", "748"),
        "852": ("HK", "454"),
        "853": ("MO", "455"),
        "855": ("KH", "456"),
        "856": ("LA", "457"),
        "880": ("BD", "470"),
        "886": ("TW", "466"),
        "960": ("MV", "472"),
        "961": ("LB", "415"),
        "962": ("JO", "416"),
        "963": ("SY", "417"),
        "964": ("IQ", "418"),
        "965": ("KW", "419"),
        "966": ("SA", "420"),
        "967": ("YE", "421"),
        "968": ("OM", "422"),
        "971": ("AE", "424"),
        "972": ("IL", "425"),
        "973": ("BH", "426"),
        "974": ("QA", "427"),
        "976": ("MN", "428"),
        "977": ("NP", "429"),
        "992": ("TJ", "436"),
        "993": ("TM", "438"),
        "994": ("AZ", "400"),
        "995": ("GE", "282"),
        "996": ("KG", "437"),
        "998": ("UZ", "434"),
    }
)

#: The country reported for a non-geographic calling code (+800, +882, ...):
#: ISO 3166-1's user-assigned "unknown".
NON_GEOGRAPHIC: Final = "XX"

#: (ISO region, carrier as ``phonenumbers.carrier`` names it) -> (MCC, MNC),
#: from the ITU's E.212 list: the main networks of some countries.
NETWORK_CODES: Final[Mapping[tuple[str, str], tuple[str, str]]] = MappingProxyType(
    {
        ("AU", "Optus"): ("505", "02"),
        ("AU", "Telstra"): ("505", "01"),
        ("AU", "Vodafone"): ("505", "03"),
        ("BR", "Claro"): ("724", "05"),
        ("BR", "Oi"): ("724", "31"),
        ("BR", "TIM"): ("724", "02"),
        ("BR", "Vivo"): ("724", "06"),
        ("CH", "Salt"): ("228", "03"),
        ("CH", "Sunrise"): ("228", "02"),
        ("CH", "Swisscom"): ("228", "01"),
        ("CN", "China Mobile"): ("460", "00"),
        ("CN", "China Telecom"): ("460", "11"),
        ("CN", "China Unicom"): ("460", "01"),
        ("DE", "Eplus"): ("262", "03"),
        ("DE", "O2"): ("262", "07"),
        ("DE", "T-Mobile"): ("262", "01"),
        ("DE", "Vodafone"): ("262", "02"),
        ("ES", "Movistar"): ("214", "07"),
        ("ES", "Orange"): ("214", "03"),
        ("ES", "Vodafone"): ("214", "01"),
        ("ES", "Yoigo"): ("214", "04"),
        ("FR", "Bouygues"): ("208", "20"),
        ("FR", "Free Mobile"): ("208", "15"),
        ("FR", "Orange France"): ("208", "01"),
        ("FR", "SFR"): ("208", "10"),
        ("GB", "EE"): ("234", "30"),
        ("GB", "O2"): ("234", "10"),
        ("GB", "Orange"): ("234", "33"),
        ("GB", "Three"): ("234", "20"),
        ("GB", "Vodafone"): ("234", "15"),
        ("IT", "3 Italia"): ("222", "99"),
        ("IT", "TIM"): ("222", "01"),
        ("IT", "Vodafone"): ("222", "10"),
        ("IT", "WIND"): ("222", "88"),
        ("JP", "KDDI"): ("440", "50"),
        ("JP", "NTT Docomo"): ("440", "10"),
        ("JP", "Softbank"): ("440", "20"),
        ("KE", "Airtel"): ("639", "03"),
        ("KE", "Safaricom"): ("639", "02"),
        ("NG", "9mobile"): ("621", "60"),
        ("NG", "Airtel"): ("621", "20"),
        ("NG", "Glo"): ("621", "50"),
        ("NG", "MTN"): ("621", "30"),
        ("NL", "KPN"): ("204", "08"),
        ("NL", "T-Mobile"): ("204", "16"),
        ("NL", "Vodafone Libertel B.V."): ("204", "04"),
        ("PL", "Orange"): ("260", "03"),
        ("PL", "Play"): ("260", "06"),
        ("PL", "Plus"): ("260", "01"),
        ("PL", "T-Mobile"): ("260", "02"),
        ("PT", "MEO"): ("268", "06"),
        ("PT", "NOS"): ("268", "03"),
        ("PT", "Vodafone"): ("268", "01"),
        ("RU", "Beeline"): ("250", "99"),
        ("RU", "MTS"): ("250", "01"),
        ("RU", "MegaFon"): ("250", "02"),
        ("RU", "T2"): ("250", "20"),
        ("ZA", "Cell C"): ("655", "07"),
        ("ZA", "MTN"): ("655", "10"),
        ("ZA", "Vodacom"): ("655", "01"),
    }
)

_HOME_MCC: Final[Mapping[str, str]] = MappingProxyType(dict(CALLING_CODES.values()))

CNAM_FIRST_NAMES: Final[tuple[str, ...]] = (
    "JAMES",
    "MARY",
    "ROBERT",
    "PATRICIA",
    "JOHN",
    "JENNIFER",
    "MICHAEL",
    "LINDA",
    "DAVID",
    "ELIZABETH",
    "WILLIAM",
    "SUSAN",
    "CARLOS",
    "MARIA",
    "WEI",
    "FATIMA",
)

CNAM_LAST_NAMES: Final[tuple[str, ...]] = (
    "SMITH",
    "JOHNSON",
    "WILLIAMS",
    "BROWN",
    "JONES",
    "GARCIA",
    "MILLER",
    "DAVIS",
    "RODRIGUEZ",
    "MARTINEZ",
    "NGUYEN",
    "WILSON",
    "ANDERSON",
    "TAYLOR",
    "THOMAS",
    "MOORE",
)


_PORTED_BELOW: Final = 38  # about 15 % of numbers are ported
_TEMPORARY_BELOW: Final = 8  # about 3 % are disposable


@functools.cache
def line_types() -> Mapping[int, str]:
    """``phonenumbers.PhoneNumberType`` -> the API's ``line_type`` (needs the library).

    A personal number (a follow-me number, such as the UK's 070) has no value
    of its own in the API's enum: it is ``Other``. A range shared by mobiles
    and landlines is ``Unknown``: the plan cannot tell which the number is.
    """
    from phonenumbers import PhoneNumberType  # noqa: PLC0415 - optional

    return MappingProxyType(
        {
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
    )


def _from_calling_code(phone_number: str) -> tuple[str, str, str | None]:
    """(country, line type, carrier) from the calling code alone."""
    digits = phone_number[1:]
    country = next(
        (
            CALLING_CODES[digits[:n]][0]
            for n in (3, 2, 1)
            if digits[:n] in CALLING_CODES
        ),
        NON_GEOGRAPHIC,
    )
    return country, "Unknown", None


def _from_numbering_plan(phone_number: str) -> tuple[str, str, str | None]:
    """(country, line type, carrier) from the plans of ``phonenumbers``."""
    import phonenumbers  # noqa: PLC0415 - optional
    from phonenumbers import carrier  # noqa: PLC0415 - optional

    number = phonenumbers.parse(phone_number)
    region = phonenumbers.region_code_for_number(
        number
    ) or phonenumbers.region_code_for_country_code(number.country_code or 0)
    country = region if region.isalpha() and region != "ZZ" else NON_GEOGRAPHIC
    line_type = line_types().get(phonenumbers.number_type(number), "Unknown")
    name = carrier.name_for_number(number, "en")
    return country, line_type, name or None


def lookup_body(phone_number: str, *, cnam: bool) -> dict[str, Any]:
    """Return the ``GET /lookup`` body for *phone_number*, ``caller_name`` if *cnam*.

    *phone_number* is one `valid_phone` took (E.164, possible).
    """
    digest = hashlib.sha256(phone_number.encode()).digest()
    country, line_type, carrier = (
        _from_numbering_plan(phone_number)
        if available()
        else _from_calling_code(phone_number)
    )
    body: dict[str, Any] = {"phone_number": phone_number, "country_code": country}
    if carrier is not None:
        body["carrier"] = carrier
        mcc, mnc = NETWORK_CODES.get((country, carrier), (_HOME_MCC.get(country), None))
        if mcc is not None:
            body["mcc"] = mcc
        if mnc is not None:
            body["mnc"] = mnc
    body["line_type"] = line_type
    body["number_ported"] = digest[2] < _PORTED_BELOW
    body["temporary_phone_number"] = digest[3] < _TEMPORARY_BELOW
    if cnam:
        first = CNAM_FIRST_NAMES[digest[4] % len(CNAM_FIRST_NAMES)]
        last = CNAM_LAST_NAMES[digest[5] % len(CNAM_LAST_NAMES)]
        body["caller_name"] = f"{first} {last}"
    return body
