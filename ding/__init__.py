"""Async-first Python SDK for the Ding OTP API.

Send a one-time code, check what the user typed, retry the send::

    import ding

    async with ding.AsyncDing(api_key="...", customer_uuid="...") as client:
        res = await client.otp.create_authentication(phone_number="+14155550123")

`ding.Ding` is the same client for synchronous code.
"""

# Before anything else is imported (an import could fail on the other
# package's files first): the official generated SDK, `ding-api-client`,
# installs a package named `ding` too, and pip lets one be installed over the
# other. One stat of a file that ding-api-client puts there, and this project
# never has, tells the mix; see ding/_mixed_install.py. (os.path, not
# pathlib: os is loaded before any program starts, pathlib not yet.)
import os as _os

_here = _os.path.dirname(__file__)  # noqa: PTH120 - see above
if _os.path.exists(_os.path.join(_here, "sdkconfiguration.py")):  # noqa: PTH110, PTH118
    from ding._mixed_install import MixedInstallError as _MixedInstallError

    raise _MixedInstallError(_here)
del _here, _os

import typing as _typing

from ding import models, utils
from ding._client import AsyncDing, AsyncLookup, AsyncOtp
from ding._config import NOT_GIVEN, SERVERS, NotGiven
from ding._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BlockingCallInEventLoopWarning,
    ClientError,
    DingError,
    DingWarning,
    ErrorResponse,
    InvalidPhoneNumberError,
    MalformedResponseError,
    MissingFieldError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    ResponseTooLargeError,
    SDKError,
    ServerError,
    UsageError,
)
from ding._pipeline._log import setup_from_env as _setup_logging
from ding._pipeline._retry import BackoffStrategy, RetryConfig
from ding._schema._phone import normalize_phone_number
from ding._unknown import UnknownValue
from ding._version import __version__
from ding.models import shared

if _typing.TYPE_CHECKING:
    from ding._schema._models import Code
    from ding._sync._client import Ding, Lookup, Otp

__all__ = [
    "NOT_GIVEN",
    "SERVERS",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncDing",
    "AsyncLookup",
    "AsyncOtp",
    "AuthenticationError",
    "BackoffStrategy",
    "BadRequestError",
    "BlockingCallInEventLoopWarning",
    "ClientError",
    "Code",
    "Ding",
    "DingError",
    "DingWarning",
    "ErrorResponse",
    "InvalidPhoneNumberError",
    "Lookup",
    "MalformedResponseError",
    "MissingFieldError",
    "NotFoundError",
    "NotGiven",
    "Otp",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "ResponseTooLargeError",
    "RetryConfig",
    "SDKError",
    "ServerError",
    "UnknownValue",
    "UsageError",
    "__version__",
    "models",
    "normalize_phone_number",
    "shared",
    "utils",
]

# The sync client needs an event loop of its own (`ding._sync._portal`, which
# imports asyncio and the generated client); async code never does, so it
# is imported on first access to one of its names (PEP 562). The error `Code`
# enum lives in the data model, which ``import ding`` does not build either
# (see `ding._lazy`). Type checkers see the imports above and not the hook, so
# a misspelt name stays an error to them.
_DEFERRED = {
    "Code": "ding._schema._models",
    "Ding": "ding._sync._client",
    "Lookup": "ding._sync._client",
    "Otp": "ding._sync._client",
}

if not _typing.TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        if name in _DEFERRED:
            import importlib  # noqa: PLC0415 - deferred on purpose, see above

            value: object = getattr(importlib.import_module(_DEFERRED[name]), name)
            globals()[name] = value
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_DEFERRED})


_setup_logging()  # DING_LOG, read once, here
