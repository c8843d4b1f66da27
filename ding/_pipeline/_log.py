"""The SDK's log lines, and ``DING_LOG``.

The SDK logs to ``logging.getLogger("ding")`` and configures nothing unless
``DING_LOG`` is ``debug`` or ``info`` (any case) when `ding` is imported:
then, if neither that logger nor the root logger has a handler yet, one
writing to stderr is attached, and the logger's level set (unless already
set). Any other value, or none, leaves logging alone.

One INFO line per attempt: method, path, outcome, attempt number and the
attempt's time, and ``sent again`` when a reused connection was closed
before answering and the request went out once more
(`ding._transport._reuse`). Phone numbers and UUIDs in the path are
masked; the key, the bodies and the headers are never logged.
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Awaitable

    import httpx

    from ding._transport._reuse import Exchange

__all__ = [
    "ENV_LOG",
    "log_attempt",
    "logged",
    "logger",
    "mask",
    "request_line",
    "setup_from_env",
]

ENV_LOG: Final = "DING_LOG"
logger: Final = logging.getLogger("ding")

_LEVELS: Final = {"debug": logging.DEBUG, "info": logging.INFO}
_UUID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
# A phone number in a path: digits, maybe after a (percent-encoded) plus and
# with separators (a space too: a number sent as typed, without the
# phonenumbers extra); anything of six digits or more is masked.
_PHONE: Final = re.compile(r"(?:\+|%2[bB])?\d(?:[\d\-.() ]|%20){4,}\d")
# The one path that holds a phone number: the lookup's.
_LOOKUP: Final = "/lookup/"


def setup_from_env() -> None:
    """Attach a stderr handler to the "ding" logger if ``DING_LOG`` asks for one."""
    level = _LEVELS.get(os.environ.get(ENV_LOG, "").strip().lower())
    if level is None:
        return
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(level)


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group()
    if text[:3].upper() == "%2B":
        text = text[3:]
    digits = [c for c in text if c.isdigit()]
    return "+" + "*" * (len(digits) - 2) + "".join(digits[-2:])


def request_line(request: httpx.Request) -> str:
    """Return the method and path of *request*, for an error message.

    A lookup's phone number is masked as in the log (`mask`); an
    authentication UUID is kept, for the support request it may go into.
    """
    path = request.url.path
    head, lookup, number = path.partition(_LOOKUP)
    if lookup and number:
        path = head + lookup + _PHONE.sub(_mask_phone, number)
    return f"{request.method} {path}"


def mask(text: str) -> str:
    """Return *text* with UUIDs and phone numbers masked.

    A UUID keeps its first 4 characters (``b96e…``), a phone number its
    last 2 digits (``+*********23``).
    """
    text = _UUID.sub(lambda m: m.group()[:4] + "…", text)
    return _PHONE.sub(_mask_phone, text)


def log_attempt(
    request: httpx.Request,
    outcome: object,
    attempt: int,
    started: float,
    resent: int = 0,
) -> None:
    """Log one attempt; *outcome* is the response or the exception."""
    status = getattr(outcome, "status_code", None)
    result = str(status) if status is not None else type(outcome).__name__
    logger.info(
        "%s %s %s attempt %d %.1f ms%s",
        request.method,
        mask(request.url.path),
        result,
        attempt,
        (time.perf_counter() - started) * 1000,
        ", sent again: the reused connection closed before answering" if resent else "",
    )


async def logged(
    sending: Awaitable[httpx.Response],
    request: httpx.Request,
    attempt: int,
    exchange: Exchange,
) -> httpx.Response:
    """Await one attempt, and log one line for it (`ding._pipeline._log`)."""
    started = time.perf_counter()
    try:
        response = await sending
    except Exception as exc:
        log_attempt(request, exc, attempt, started, exchange.resent)
        raise
    log_attempt(request, response, attempt, started, exchange.resent)
    return response
