"""Which error of the tree an answer the operation cannot return becomes.

`error_from_response` maps a failed answer: a 400 with a Ding error body is
an `ErrorResponse`, a redirect a `RedirectError` (never followed: the
request carries the key), any other status its class of the tree
(`error_for_status`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import httpx

from ding._errors import (
    AuthenticationError,
    BadRequestError,
    ClientError,
    ErrorResponse,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    SDKError,
    ServerError,
    shorten,
)
from ding._pipeline._log import request_line
from ding._schema._converter import decode_error_body, is_json

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["error_for_status", "error_from_response"]

_STATUS_ERRORS: Final[Mapping[int, type[SDKError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_for_status(response: httpx.Response, message: str) -> SDKError:
    """Return the error class for the answer's status, built with *message*."""
    status = response.status_code
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        if 500 <= status < 600:  # noqa: PLR2004
            cls = ServerError
        elif 400 <= status < 500:  # noqa: PLR2004
            cls = ClientError
        else:
            cls = SDKError
    return cls(message, status, response.text, response)


def error_from_response(response: httpx.Response) -> SDKError:
    """Map an answer an operation cannot return onto the tree.

    A 400 whose body is a JSON object is an `ErrorResponse` (its fields read
    leniently, an unknown code kept as a string); a 400 with any other body
    is a `BadRequestError`. Every other status maps by `error_for_status`.
    """
    if response.status_code == 400:  # noqa: PLR2004
        content_type = response.headers.get("content-type", "")
        if not is_json(content_type):
            return error_for_status(
                response, f"unknown content-type received: {content_type}"
            )
        body = decode_error_body(response.content)
        if body is not None:
            return ErrorResponse(
                code=body.code,
                message=body.message,
                doc_url=body.doc_url,
                raw_response=response,
            )
    if 300 <= response.status_code < 400:  # noqa: PLR2004
        return _redirect_error(response)
    return error_for_status(response, "API error occurred")


def _redirect_error(response: httpx.Response) -> RedirectError:
    location = response.headers.get("location")
    shown: str | None = None
    if location is not None:
        try:
            url = response.request.url.join(location)
            shown = str(url.copy_with(username=None, password=None))
        except (httpx.InvalidURL, ValueError):
            shown = "an invalid URL"
    request = response.request
    where = (
        f"a redirect to {shorten(shown, 300)}"
        if shown
        else "a redirect without a Location"
    )
    return RedirectError(
        f"{request_line(request)}: the server answered "
        f"{response.status_code} with {where}; the SDK does not follow "
        "redirects, since the request carries the API key. If the API moved, "
        "set server_url to its new address",
        response.status_code,
        response.text,
        response,
        location=shown,
    )
