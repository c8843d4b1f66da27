"""RFC 3339 timestamps: read leniently, written strictly, the same on every Python.

The converter (`ding._schema._converter`) uses these for every
``date-time`` field.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Final

__all__ = ["format_timestamp", "parse_timestamp"]

_UTC: Final = dt.timezone.utc


# Compiled on first use: about half a millisecond that an import, and every
# call whose answer holds no timestamp (a check, say), need not pay.
@functools.cache
def _timestamp_re() -> re.Pattern[str]:
    return re.compile(
        r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
        r"(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)?",
        re.ASCII,
    )


def parse_timestamp(text: str) -> dt.datetime:
    """Parse an RFC 3339 timestamp leniently, the same on every Python version.

    Accepts a ``T``, ``t`` or space separator; any number of fractional
    digits (truncated to microseconds); and an offset written ``Z``,
    ``+00:00``, ``+0000`` or ``+00``, or no offset at all (taken as UTC).

    Args:
        text: The timestamp.

    Returns:
        An aware datetime.

    Raises:
        ValueError: The text is not such a timestamp, or a field is out of
            range.
    """
    match = _timestamp_re().fullmatch(text)
    if match is None:
        raise ValueError("not an RFC 3339 date-time")
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = (
        match.groups()
    )
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    tz: dt.tzinfo = _UTC
    if sign is not None:
        hours, minutes = int(off_h), int(off_m or "0")
        if hours > 23 or minutes > 59:  # noqa: PLR2004
            raise ValueError("UTC offset out of range")
        offset = dt.timedelta(hours=hours, minutes=minutes)
        if offset:
            tz = dt.timezone(-offset if sign == "-" else offset)
    leap = second == "60"  # RFC 3339 allows a leap second; datetime does not
    return dt.datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        59 if leap else int(second),
        999_999 if leap else micro,
        tzinfo=tz,
    )


def format_timestamp(value: dt.datetime) -> str:
    """Format a datetime as RFC 3339.

    UTC is written ``Z``. A naive datetime is taken as UTC; an offset with
    seconds (which RFC 3339 cannot express) is converted to UTC.

    Args:
        value: The datetime.

    Returns:
        The timestamp text.
    """
    offset = value.utcoffset()
    if offset is None:
        value = value.replace(tzinfo=_UTC)
    elif offset % dt.timedelta(minutes=1):
        value = value.astimezone(_UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
