"""The fake's number lookups: `lookup_body` and the static data behind it.

Calling codes map to ISO 3166-1 alpha-2 countries and their home mobile
country code (MCC). A few countries list real carriers with their MCC/MNC; the
rest get generic carrier names; the number's SHA-256 hash picks the carrier,
line type and caller name. The data is plausible, not authoritative: the fake
only needs answers that look like the real API's and never change for a given
number.
"""

from __future__ import annotations

import hashlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CALLING_CODES",
    "CARRIERS",
    "CNAM_FIRST_NAMES",
    "CNAM_LAST_NAMES",
    "UNKNOWN_COUNTRY",
    "lookup_body",
]

# ITU calling code (digits after "+") -> (ISO 3166-1 alpha-2, home MCC).
# The codes are prefix-free, except that the whole +1 zone is reported as US.
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

# Numbers whose calling code is not above (unassigned codes, international
# networks): ISO's "unknown" user-assigned code and the international MCC.
UNKNOWN_COUNTRY: Final[tuple[str, str]] = ("XX", "901")

# ISO country -> carriers as (name, MCC, MNC). Countries not listed get generic
# names with their home MCC (see `ding.testing._state`).
CARRIERS: Final[Mapping[str, tuple[tuple[str, str, str], ...]]] = MappingProxyType(
    {
        "US": (
            ("T-Mobile USA", "310", "260"),
            ("AT&T", "310", "410"),
            ("Verizon Wireless", "311", "480"),
        ),
        "FR": (
            ("Orange", "208", "01"),
            ("SFR", "208", "10"),
            ("Free Mobile", "208", "15"),
            ("Bouygues Telecom", "208", "20"),
        ),
        "GB": (
            ("O2", "234", "10"),
            ("Vodafone UK", "234", "15"),
            ("Three", "234", "20"),
            ("EE", "234", "30"),
        ),
        "DE": (
            ("Telekom", "262", "01"),
            ("Vodafone", "262", "02"),
            ("O2", "262", "03"),
        ),
        "ES": (
            ("Vodafone", "214", "01"),
            ("Orange", "214", "03"),
            ("Movistar", "214", "07"),
        ),
        "IT": (
            ("TIM", "222", "01"),
            ("Vodafone", "222", "10"),
            ("Iliad", "222", "50"),
            ("WindTre", "222", "88"),
        ),
        "JP": (
            ("NTT Docomo", "440", "10"),
            ("SoftBank", "440", "20"),
            ("KDDI", "440", "50"),
        ),
        "IN": (
            ("Airtel", "404", "10"),
            ("Vodafone Idea", "404", "20"),
            ("Jio", "405", "857"),
        ),
        "BR": (
            ("TIM", "724", "02"),
            ("Claro", "724", "05"),
            ("Vivo", "724", "06"),
        ),
        "AU": (
            ("Telstra", "505", "01"),
            ("Optus", "505", "02"),
            ("Vodafone", "505", "03"),
        ),
        "NL": (
            ("Vodafone", "204", "04"),
            ("KPN", "204", "08"),
            ("Odido", "204", "16"),
        ),
        "BE": (
            ("Proximus", "206", "01"),
            ("Orange Belgium", "206", "10"),
            ("BASE", "206", "20"),
        ),
        "CH": (
            ("Swisscom", "228", "01"),
            ("Sunrise", "228", "02"),
            ("Salt", "228", "03"),
        ),
        "SE": (
            ("Telia", "240", "01"),
            ("Tele2", "240", "07"),
            ("Telenor", "240", "08"),
        ),
        "PL": (
            ("Plus", "260", "01"),
            ("T-Mobile", "260", "02"),
            ("Orange", "260", "03"),
            ("Play", "260", "06"),
        ),
        "IE": (
            ("Vodafone", "272", "01"),
            ("Eir", "272", "03"),
            ("Three", "272", "05"),
        ),
        "PT": (
            ("Vodafone", "268", "01"),
            ("NOS", "268", "03"),
            ("MEO", "268", "06"),
        ),
        "MX": (
            ("Telcel", "334", "020"),
            ("AT&T", "334", "050"),
        ),
        "CN": (
            ("China Mobile", "460", "00"),
            ("China Unicom", "460", "01"),
            ("China Telecom", "460", "11"),
        ),
        "KR": (
            ("SK Telecom", "450", "05"),
            ("LG U+", "450", "06"),
            ("KT", "450", "08"),
        ),
        "ZA": (
            ("Vodacom", "655", "01"),
            ("Cell C", "655", "07"),
            ("MTN", "655", "10"),
        ),
        "NG": (
            ("Airtel", "621", "20"),
            ("MTN", "621", "30"),
            ("Glo", "621", "50"),
        ),
        "KE": (
            ("Safaricom", "639", "02"),
            ("Airtel", "639", "03"),
        ),
    }
)

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


# Line types by weight out of 256 (from one byte of the number's hash).
_LINE_TYPES: Final = (
    (208, "Mobile"),
    (232, "FixedLine"),
    (246, "Voip"),
    (251, "TollFree"),
    (256, "Unknown"),
)
_PORTED_BELOW: Final = 38  # about 15 % of numbers are ported
_TEMPORARY_BELOW: Final = 8  # about 3 % are disposable


def lookup_body(phone_number: str, *, cnam: bool) -> dict[str, Any]:
    """Return the ``GET /lookup`` body for *phone_number*, ``caller_name`` if *cnam*."""
    digest = hashlib.sha256(phone_number.encode()).digest()
    digits = phone_number[1:]
    country, mcc = next(
        (CALLING_CODES[digits[:n]] for n in (3, 2, 1) if digits[:n] in CALLING_CODES),
        UNKNOWN_COUNTRY,
    )
    carriers = CARRIERS.get(country) or (
        (f"{country} Mobile", mcc, "01"),
        (f"{country} Telecom", mcc, "02"),
        (f"{country} Wireless", mcc, "03"),
    )
    carrier, carrier_mcc, mnc = carriers[digest[0] % len(carriers)]
    line_type = next(t for limit, t in _LINE_TYPES if digest[1] < limit)
    body: dict[str, Any] = {
        "phone_number": phone_number,
        "country_code": country,
        "carrier": carrier,
        "mcc": carrier_mcc,
        "mnc": mnc,
        "line_type": line_type,
        "number_ported": digest[2] < _PORTED_BELOW,
        "temporary_phone_number": digest[3] < _TEMPORARY_BELOW,
    }
    if cnam:
        first = CNAM_FIRST_NAMES[digest[4] % len(CNAM_FIRST_NAMES)]
        last = CNAM_LAST_NAMES[digest[5] % len(CNAM_LAST_NAMES)]
        body["caller_name"] = f"{first} {last}"
    return body
