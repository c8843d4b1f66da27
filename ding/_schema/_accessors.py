"""What the typed accessors of the operation results do when a key is missing.

Every response key may be missing (the API declares none required), so the
decoded fields are Optional. The results' properties that a normal flow reads
(``res.authentication_uuid``, ``res.status``) promise a value instead: they
return the field, or raise `ding.MissingFieldError` naming it.

Imported by `ding._schema._models`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ding._errors import MissingFieldError, shorten

if TYPE_CHECKING:
    import httpx

    from ding._schema._models import (
        CheckStatus,
        CreateAuthenticationResponse,
        CreateCheckResponse,
        RetryAuthenticationResponse,
        RetryAuthenticationResponseStatus,
        Status,
    )
    from ding._unknown import UnknownValue

__all__ = ["AuthenticationAccessors", "CheckAccessors", "RetryAccessors"]


class _Accessors:
    """What every result carries that the accessors' errors need."""

    __slots__ = ()

    if TYPE_CHECKING:  # attrs fields of the results
        status_code: int
        raw_response: httpx.Response | None

    def _missing(self, body: object, field: str) -> MissingFieldError:
        return missing_field(body, field, self.status_code, self.raw_response)


class AuthenticationAccessors(_Accessors):
    """The typed accessors of `PostAuthenticationResponse`."""

    __slots__ = ()

    if TYPE_CHECKING:
        create_authentication_response: CreateAuthenticationResponse | None

    @property
    def authentication_uuid(self) -> str:
        """The new authentication's UUID, for check, retry and status.

        Raises:
            MissingFieldError: The answer has no ``authentication_uuid``
                (the message gives its status, if any).
        """
        body = self.create_authentication_response
        uuid = None if body is None else body.authentication_uuid
        if uuid is None:
            raise self._missing(body, "authentication_uuid")
        return uuid

    @property
    def status(self) -> Status | UnknownValue:
        """The authentication's status (`ding.models.shared.Status`).

        Raises:
            MissingFieldError: The answer has no ``status``.
        """
        body = self.create_authentication_response
        status = None if body is None else body.status
        if status is None:
            raise self._missing(body, "status")
        return status


class CheckAccessors(_Accessors):
    """The typed accessors of `PostCheckResponse`."""

    __slots__ = ()

    if TYPE_CHECKING:
        create_check_response: CreateCheckResponse | None

    @property
    def status(self) -> CheckStatus | UnknownValue:
        """The check's status: ``CheckStatus.VALID`` when the code was right.

        Raises:
            MissingFieldError: The answer has no ``status``.
        """
        body = self.create_check_response
        status = None if body is None else body.status
        if status is None:
            raise self._missing(body, "status")
        return status


class RetryAccessors(_Accessors):
    """The typed accessors of `PostRetryResponse`."""

    __slots__ = ()

    if TYPE_CHECKING:
        retry_authentication_response: RetryAuthenticationResponse | None

    @property
    def status(self) -> RetryAuthenticationResponseStatus | UnknownValue:
        """The retry's status: ``APPROVED`` when a code went out again.

        Raises:
            MissingFieldError: The answer has no ``status``.
        """
        body = self.retry_authentication_response
        status = None if body is None else body.status
        if status is None:
            raise self._missing(body, "status")
        return status


def missing_field(
    body: object,
    field: str,
    status_code: int,
    raw_response: httpx.Response | None,
) -> MissingFieldError:
    """Build the error for *field*, absent from *body*."""
    import httpx  # noqa: PLC0415 - only on the error path

    status = getattr(body, "status", None)
    where = "the answer" if body is not None else "the result (no decoded body)"
    message = f"no {field} in {where}"
    if status is not None:
        message = f"{message} (status {shorten(str(status), 100)})"
    if raw_response is None:  # a hand-built result
        raw_response = httpx.Response(status_code)
    try:
        text = raw_response.text
    except httpx.ResponseNotRead:
        text = ""
    return MissingFieldError(message, status_code, text, raw_response, field=field)
