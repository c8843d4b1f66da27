"""Every exception the SDK raises, rooted at one `DingError`.

The tree::

    DingError
    ├── UsageError                    the SDK was called the wrong way (no request sent)
    │   └── InvalidPhoneNumberError   a phone number that cannot exist (`reason`)
    ├── APIConnectionError            no usable HTTP response (connection failed or dropped)
    │   └── APITimeoutError           a timeout expired (connect, read, write, pool or total)
    └── APIError                      the server answered; `status_code`, `body`, `raw_response`
        └── SDKError                  any failed answer (the seed SDK's generic error)
            ├── MalformedResponseError  a 2xx whose body is not the JSON the operation returns
            │   ├── ResponseTooLargeError   a 2xx longer than max_response_size (the rest unread)
            │   └── MissingFieldError       a typed accessor's field is not in the answer
            ├── RedirectError           3xx: never followed (the request carries the key)
            ├── ClientError             4xx
            │   ├── BadRequestError       400
            │   │   └── ErrorResponse       400 with a Ding error body (`code`, `message`, `doc_url`)
            │   ├── AuthenticationError   401 (missing or wrong API key)
            │   │   └── PermissionDeniedError  403 (what Ding answers a wrong key)
            │   ├── NotFoundError         404
            │   └── RateLimitError        429
            └── ServerError             5xx

So ``except ClientError`` catches every 4xx and ``except BadRequestError``
every 400, Ding error bodies included. The seed SDK's pattern, ``except
ErrorResponse`` first and then ``except SDKError``, sends each answer to the
same branch as before.

Which error an answer becomes is decided by the pipeline
(`ding._pipeline._failures`).

Lower-level exceptions (httpx, JSON, cattrs) are wrapped exactly once, with
the original kept as ``__cause__``. Messages never contain the API key.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

from ding._unknown import code as _open_code

if TYPE_CHECKING:
    import httpx

    from ding._enums import Code
    from ding._unknown import UnknownValue

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BlockingCallInEventLoopWarning",
    "ClientError",
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


class DingError(Exception):
    """Base class of every exception raised by `ding`."""


class UsageError(DingError):
    """The SDK was called in a way it cannot honour; nothing was sent.

    Examples: a missing API key, both a request object and keyword fields,
    a closed client, a blocking call from the sync client's own event loop.
    """


class InvalidPhoneNumberError(UsageError):
    """A phone number that cannot exist was refused; nothing was sent.

    Raised, when the ``phonenumbers`` library is installed (``ding[phonenumbers]``),
    for a number no numbering plan allows: too short or too long for its
    country, a country code that does not exist, or text that is not a
    phone number. A number the plans merely do not list yet is sent. The
    message says why, never the whole number.

    Attributes:
        reason: Why, as a short code: ``"not_a_number"`` (letters, an
            extension or other characters), ``"no_country_code"`` (a
            national number and no ``default_region``),
            ``"invalid_country_code"``, ``"too_short"``, ``"too_long"`` or
            ``"invalid_length"`` (a length between the country's possible
            ones).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only construction: tell pickle (multiprocessing) how to rebuild.
        return (_rebuild_invalid_phone_number, (str(self), self.reason))


def _rebuild_invalid_phone_number(message: str, reason: str) -> InvalidPhoneNumberError:
    return InvalidPhoneNumberError(message, reason=reason)


class APIConnectionError(DingError):
    """No usable HTTP response arrived: the connection failed or broke.

    Attributes:
        message: What went wrong, without secrets.
        request: The request that was being sent, if one was built.
    """

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_connection_error, (type(self), self.message, self.request))


def _rebuild_connection_error(
    cls: type[APIConnectionError],
    message: str,
    request: httpx.Request | None,
) -> APIConnectionError:
    return cls(message, request=request)


class APITimeoutError(APIConnectionError):
    """A timeout expired before the server answered.

    Raised for connect, read, write and pool timeouts and for the total
    deadline across retries.
    """


class APIError(DingError):
    """The server answered with a response the operation cannot return.

    Attributes:
        status_code: The HTTP status code.
        body: The response body as text ("" when empty).
        raw_response: The `httpx.Response`.
        message: What went wrong: a short description, or for an
            `ErrorResponse` Ding's own message (None when it sent none).
    """

    status_code: int
    body: str
    raw_response: httpx.Response
    message: str | None


class SDKError(APIError):
    """The server answered with an error status or an unreadable body.

    ``str()`` keeps the seed SDK's form: ``"<message>: Status <code>"``
    followed by a newline and the body when there is one, then, when the
    SDK knows a likely cause, a newline and the hint.

    Attributes:
        message: A short description ("API error occurred" for an error status).
        hint: What probably went wrong and how to fix it, or None: a 401 or
            403 says where the refused API key came from (never the key), a
            404 whether the server URL lacks ``/v1``.
    """

    hint: str | None = None

    def __init__(
        self,
        message: str,
        status_code: int,
        body: str,
        raw_response: httpx.Response,
    ) -> None:
        super().__init__(message, status_code, body, raw_response)
        self.message = message
        self.status_code = status_code
        self.body = body
        self.raw_response = raw_response

    def __str__(self) -> str:
        text = f"{self.message}: Status {self.status_code}"
        if self.body:
            text = f"{text}\n{shorten(self.body)}"
        return f"{text}\n{self.hint}" if self.hint else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, "
            f"status_code={self.status_code})"
        )


class MalformedResponseError(SDKError):
    """A success status came with a body that is not the expected JSON.

    Covers a wrong content type, invalid JSON and JSON of the wrong shape
    (for example a string where an object was due). An unknown enum value or
    an unknown field is *not* malformed: those decode normally.
    """


class ResponseTooLargeError(MalformedResponseError):
    """A success answer longer than ``max_response_size`` once decoded.

    Only the first ``max_response_size`` bytes were read; the connection was
    closed rather than reused. ``body`` is empty.
    """


class MissingFieldError(MalformedResponseError):
    """A typed accessor (``res.authentication_uuid``, ``res.status``) found no value.

    Decoding never raises it: every response key may be missing, and the
    seed-style fields (``res.create_authentication_response``) stay None.
    Only the accessors that promise a value raise it, naming the field and,
    when the answer had one, its status.

    Attributes:
        field: The name of the missing field.
    """

    def __init__(
        self,
        message: str,
        status_code: int,
        body: str,
        raw_response: httpx.Response,
        *,
        field: str = "",
    ) -> None:
        super().__init__(message, status_code, body, raw_response)
        self.field = field


class RedirectError(SDKError):
    """The server answered 3xx: a redirect, which the SDK never follows.

    Following it would send the API key wherever the ``Location`` header
    points, whatever `httpx.AsyncClient` the caller injected. If the API
    moved, set ``server_url`` to its new address.

    Attributes:
        location: The ``Location`` header (without any credentials in it),
            or None when the answer had none.
    """

    location: str | None

    def __init__(
        self,
        message: str,
        status_code: int,
        body: str,
        raw_response: httpx.Response,
        *,
        location: str | None = None,
    ) -> None:
        super().__init__(message, status_code, body, raw_response)
        self.location = location


class ClientError(SDKError):
    """The server answered 4xx: the request was refused."""


class BadRequestError(ClientError):
    """HTTP 400; raised as is when the body is not a Ding error object."""


class ErrorResponse(BadRequestError):  # noqa: N818 - the seed SDK's name
    """HTTP 400 with a Ding error body: the request was refused.

    Unlike its parent classes, its ``args`` are empty (as in the seed SDK)
    and ``str()`` is the JSON of the fields that are set.

    Attributes:
        code: The machine-readable error code: a `ding.models.errors.Code`
            member, or the raw string (a `ding.UnknownValue` to type
            checkers) when the code is newer than this SDK.
        message: The human-readable explanation.
        doc_url: A link to the documentation of the code.
    """

    def __init__(
        self,
        *,
        code: Code | str | None,
        message: str | None,
        doc_url: str | None,
        raw_response: httpx.Response,
    ) -> None:
        # Not SDKError.__init__: the seed SDK's ErrorResponse had empty args.
        DingError.__init__(self)
        # A known string becomes the member, as on the response models.
        self.code: Code | UnknownValue | None = _open_code(code)
        self.message = message
        self.doc_url = doc_url
        self.raw_response = raw_response
        self.status_code = raw_response.status_code
        self.body = raw_response.text

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only construction: tell pickle (multiprocessing) how to rebuild.
        return (
            _rebuild_error_response,
            (self.code, self.message, self.doc_url, self.raw_response),
        )

    def __str__(self) -> str:
        # The seed SDK's form: the JSON of the fields that are set.
        fields = {"code": self.code, "doc_url": self.doc_url, "message": self.message}
        return json.dumps(
            {k: shorten(str(v)) for k, v in fields.items() if v is not None}
        )

    def __repr__(self) -> str:
        return (
            f"ErrorResponse(status_code={self.status_code}, "
            f"code={shorten(str(self.code))!r}, "
            f"message={None if self.message is None else shorten(self.message)!r})"
        )


def _rebuild_error_response(
    code: Code | str | None,
    message: str | None,
    doc_url: str | None,
    raw_response: httpx.Response,
) -> ErrorResponse:
    return ErrorResponse(
        code=code,
        message=message,
        doc_url=doc_url,
        raw_response=raw_response,
    )


class AuthenticationError(ClientError):
    """HTTP 401 (or 403, as `PermissionDeniedError`): the API key is missing or wrong."""


class PermissionDeniedError(AuthenticationError):
    """HTTP 403: the key was refused; Ding answers a wrong key this way."""


class NotFoundError(ClientError):
    """HTTP 404."""


class RateLimitError(ClientError):
    """HTTP 429: too many requests."""


class ServerError(SDKError):
    """HTTP 5xx: the failure is on Ding's side."""


class DingWarning(Warning):
    """Base class of the warnings `ding` emits."""


class BlockingCallInEventLoopWarning(DingWarning, RuntimeWarning):
    """The sync client was called from a thread running an event loop.

    The call works but blocks that loop until the request finishes; use
    `ding.AsyncDing` there.
    """


#: The most characters of a body (or of a server's message) an error shows.
SHOWN_BODY: Final = 1000


def shorten(text: str, limit: int = SHOWN_BODY) -> str:
    """Return *text*, cut to *limit* characters with a note of what was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit:,} more characters]"
