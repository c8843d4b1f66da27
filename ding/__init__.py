"""Async-first Python SDK for the Ding OTP API.

Send a one-time code, check what the user typed, retry the send::

    import ding

    async with ding.AsyncDing(api_key="...", customer_uuid="...") as client:
        res = await client.otp.create_authentication(phone_number="+14155550123")

`ding.Ding` is the same client for synchronous code.
"""

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
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SDKError,
    ServerError,
    UsageError,
)
from ding._retry import BackoffStrategy, RetryConfig
from ding._sync import Ding, Lookup, Otp
from ding._version import __version__
from ding.models import shared

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
    "Ding",
    "DingError",
    "DingWarning",
    "ErrorResponse",
    "Lookup",
    "MalformedResponseError",
    "NotFoundError",
    "NotGiven",
    "Otp",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryConfig",
    "SDKError",
    "ServerError",
    "UsageError",
    "__version__",
    "models",
    "shared",
    "utils",
]
