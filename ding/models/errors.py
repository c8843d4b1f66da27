"""The errors path, ``from ding.models import errors``.

Exports the error ``Code`` enum, the seed SDK's exceptions ``ErrorResponse``
and ``SDKError``, and every other exception of `ding._errors`.
"""

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
from ding._schema._models import Code

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BlockingCallInEventLoopWarning",
    "ClientError",
    "Code",
    "DingError",
    "DingWarning",
    "ErrorResponse",
    "InvalidPhoneNumberError",
    "MalformedResponseError",
    "MissingFieldError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "ResponseTooLargeError",
    "SDKError",
    "ServerError",
    "UsageError",
]
