"""The Ding API data model: attrs classes and enums, free of I/O and JSON.

Every class is frozen and keyword-only, and takes its repr, equality and
hash from `ding._schema._records.Record` (they behave as attrs' own). Request
models carry the fields the caller sets; response models make every field
optional, because the API declares no required response keys.

Enums (`ding._enums`) are *open*: a response field typed ``SomeEnum |
UnknownValue | None`` holds the enum member for a known value and the plain
string (an `UnknownValue`) for a value newer than this SDK, so a server that
learns a new status never breaks decoding; see `ding._unknown`. Request enum
fields accept plain strings for the same reason. Every enum's ``str()`` is its
wire value.

JSON encoding and decoding live in `ding._schema._converter`.
"""

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import attrs

from ding import _unknown as _u
from ding._enums import (
    AttemptStatus,
    BalanceUpdateType,
    Capability,
    CheckStatus,
    Code,
    CreateCheckResponseStatus,
    DeliveryStatusStatus,
    DeviceType,
    EventType,
    FeedbackRequestStatus,
    LineType,
    LookupType,
    RetryAuthenticationResponseStatus,
    SignalsDeviceType,
    Status,
)
from ding._schema import _accessors
from ding._schema._records import Record as _Record
from ding._unknown import UnknownValue

if TYPE_CHECKING:
    import httpx

__all__ = [
    "Attempt",
    "AttemptStatus",
    "AuthenticationStatusResponse",
    "BalanceUpdate",
    "BalanceUpdateType",
    "Capability",
    "Check",
    "CheckStatus",
    "Code",
    "CreateAuthenticationRequest",
    "CreateAuthenticationResponse",
    "CreateCheckRequest",
    "CreateCheckResponse",
    "CreateCheckResponseStatus",
    "DeliveryStatus",
    "DeliveryStatusStatus",
    "DeviceType",
    "ErrorResponseBody",
    "Event",
    "EventType",
    "FeedbackRequest",
    "FeedbackRequestStatus",
    "FeedbackResponse",
    "GetAuthenticationStatusResponse",
    "LineType",
    "LookupRequest",
    "LookupResponse",
    "LookupType",
    "PostAuthenticationResponse",
    "PostCheckResponse",
    "PostFeedbackResponse",
    "PostLookupRequest",
    "PostLookupResponse",
    "PostRetryResponse",
    "RetryAuthenticationRequest",
    "RetryAuthenticationResponse",
    "RetryAuthenticationResponseStatus",
    "Security",
    "Signals",
    "SignalsDeviceType",
    "Status",
    "UnknownEvent",
]


# The wire values of the request-side enums. Type checkers see the Literals,
# so a typo (``device_type="iPhone"``) is flagged before it runs; at run time
# they are ``str``, so the run-time checks (`ding._schema._validate`) and the
# converter treat these fields as open enums, and any string goes through (a
# value newer than this SDK).
if TYPE_CHECKING:
    DeviceTypeValue: TypeAlias = Literal["IOS", "ANDROID", "WEB"]
    FeedbackStatusValue: TypeAlias = Literal["onboarded", "not_onboarded"]
    LookupTypeValue: TypeAlias = Literal["cnam"]
else:
    DeviceTypeValue = FeedbackStatusValue = LookupTypeValue = str


# --------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------


def _mask(_: object) -> str:
    return "'***'"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Security(_Record):
    """The API key sent in the ``x-api-key`` header. Its repr hides the key.

    Attributes:
        api_key: The API key.
    """

    api_key: str = attrs.field(repr=_mask)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateAuthenticationRequest(_Record):
    """A request to create an authentication and send a code.

    Attributes:
        phone_number: An E.164 formatted phone number to send the code to.
        customer_uuid: Your customer UUID; `None` lets the client fill in its
            default.
        ip: The IP address of the user's device.
        device_id: Unique identifier for the user's device (``ANDROID_ID`` on
            Android, ``identifierForVendor`` on iOS).
        device_type: The type of device the user is using.
        app_version: The version of your application.
        sender_id: The Sender ID to use when sending the message.
        callback_url: A webhook URL to which delivery statuses will be sent.
        app_realm: The Android SMS Retriever API hash code of your app.
        os_version: The version of the user's device operating system.
        device_model: The model of the user's device.
        is_returning_user: A trust signal: the user is known to be genuine.
        template_id: The template id of the message content variant to send.
        correlation_id: A user-defined identifier included in webhook events.
        locale: A BCP-47 locale for the message language.
    """

    phone_number: str
    customer_uuid: str | None = None
    ip: str | None = None
    device_id: str | None = None
    device_type: DeviceType | DeviceTypeValue | None = None
    app_version: str | None = None
    sender_id: str | None = None
    callback_url: str | None = None
    app_realm: str | None = None
    os_version: str | None = None
    device_model: str | None = None
    is_returning_user: bool | None = None
    template_id: str | None = None
    correlation_id: str | None = None
    locale: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateCheckRequest(_Record):
    """A request to check a code entered by the user.

    Attributes:
        authentication_uuid: The UUID returned when the authentication was
            created.
        check_code: The code that the user entered.
        customer_uuid: Your customer UUID; `None` lets the client fill in its
            default.
    """

    authentication_uuid: str
    check_code: str
    customer_uuid: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RetryAuthenticationRequest(_Record):
    """A request to send the code again.

    Attributes:
        authentication_uuid: The UUID returned when the authentication was
            created.
        customer_uuid: Your customer UUID; `None` lets the client fill in its
            default.
    """

    authentication_uuid: str
    customer_uuid: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class FeedbackRequest(_Record):
    """Feedback on whether a verified user completed onboarding.

    Attributes:
        phone_number: An E.164 formatted phone number.
        status: The type of the feedback.
        customer_uuid: Your customer UUID; `None` lets the client fill in its
            default.
    """

    phone_number: str
    status: FeedbackRequestStatus | FeedbackStatusValue
    customer_uuid: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class LookupRequest(_Record):
    """The seed SDK's lookup body: the number to look up.

    Attributes:
        phone_number: An E.164 formatted phone number to look up.
    """

    phone_number: str


# --------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateAuthenticationResponse(_Record):
    """A successful response to an authentication creation request.

    Attributes:
        authentication_uuid: The authentication's identifier, for the check,
            retry and status endpoints.
        status: The status of the authentication.
        created_at: When the authentication was created.
        expires_at: When the authentication expires and can no longer be
            checked or retried.
    """

    authentication_uuid: str | None = None
    status: Status | UnknownValue | None = attrs.field(
        default=None, converter=_u.status
    )
    created_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateCheckResponse(_Record):
    """The outcome of a code check.

    Attributes:
        authentication_uuid: The UUID of the corresponding authentication.
        status: The status of the check.
    """

    authentication_uuid: str | None = None
    status: CheckStatus | UnknownValue | None = attrs.field(
        default=None, converter=_u.check_status
    )


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RetryAuthenticationResponse(_Record):
    """The outcome of a retry.

    Attributes:
        authentication_uuid: The UUID of the corresponding authentication.
        status: The status of the retry.
        created_at: When the retry was recorded.
        next_retry_at: When the next retry will be available.
        remaining_retry: The number of remaining retries.
    """

    authentication_uuid: str | None = None
    status: RetryAuthenticationResponseStatus | UnknownValue | None = attrs.field(
        default=None, converter=_u.retry_status
    )
    created_at: dt.datetime | None = None
    next_retry_at: dt.datetime | None = None
    remaining_retry: int | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class FeedbackResponse(_Record):
    """The stored feedback.

    Attributes:
        uuid: The UUID of the feedback.
    """

    uuid: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class LookupResponse(_Record):
    """Metadata about a phone number.

    Attributes:
        phone_number: An E.164 formatted phone number.
        mcc: The mobile country code of the number.
        mnc: The mobile network code of the number.
        caller_name: The CNAM (Caller ID Name); only with the ``cnam``
            lookup type.
        carrier: The carrier of the number.
        country_code: The ISO 3166-1 alpha-2 country code of the number.
        number_ported: Whether the number has been ported.
        temporary_phone_number: Whether the number is a known disposable,
            temporary number.
        line_type: The type of phone line.
    """

    phone_number: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    caller_name: str | None = None
    carrier: str | None = None
    country_code: str | None = None
    number_ported: bool | None = None
    temporary_phone_number: bool | None = None
    line_type: LineType | UnknownValue | None = attrs.field(
        default=None, converter=_u.line_type
    )


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ErrorResponseBody(_Record):
    """The JSON body of an HTTP 400 error answer.

    Attributes:
        code: A machine-readable code that describes the error.
        message: A human-readable message that describes the error.
        doc_url: A link to the documentation that describes the error.
    """

    code: Code | UnknownValue | None = attrs.field(default=None, converter=_u.code)
    message: str | None = None
    doc_url: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Signals(_Record):
    """Data points used to tell fraudulent and legitimate users apart.

    Attributes:
        ip: The IP address of the user's device.
        device_id: Unique identifier for the user's device.
        device_type: The type of device the user is using.
        app_version: The version of your application.
        app_realm: The Android SMS Retriever API hash code of your app.
        os_version: The version of the user's device operating system.
        device_model: The model of the user's device.
        is_returning_user: The trust signal sent at creation.
    """

    ip: str | None = None
    device_id: str | None = None
    device_type: SignalsDeviceType | UnknownValue | None = attrs.field(
        default=None, converter=_u.device_type
    )
    app_version: str | None = None
    app_realm: str | None = None
    os_version: str | None = None
    device_model: str | None = None
    is_returning_user: bool | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Attempt(_Record):
    """An event: a message carrying the code was sent.

    Attributes:
        id: The ID of the attempt.
        content: The content of the message.
        sender_id: The sender ID of the attempt.
        capability: The channel of the attempt.
        attempt_number: The attempt number.
        status: The status of the attempt.
        type: The event type, ``attempt``.
        created_at: When the event happened.
    """

    id: str | None = None
    content: str | None = None
    sender_id: str | None = None
    capability: Capability | UnknownValue | None = attrs.field(
        default=None, converter=_u.capability
    )
    attempt_number: int | None = None
    status: AttemptStatus | UnknownValue | None = attrs.field(
        default=None, converter=_u.attempt_status
    )
    type: EventType | UnknownValue | None = attrs.field(
        default=EventType.ATTEMPT, converter=_u.event_type
    )
    created_at: dt.datetime | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Check(_Record):
    """An event: a code was checked.

    Attributes:
        id: The ID of the check.
        code: The code that was checked.
        status: The status of the check.
        type: The event type, ``check``.
        created_at: When the event happened.
    """

    id: str | None = None
    code: str | None = None
    status: CheckStatus | UnknownValue | None = attrs.field(
        default=None, converter=_u.check_status
    )
    type: EventType | UnknownValue | None = attrs.field(
        default=EventType.CHECK, converter=_u.event_type
    )
    created_at: dt.datetime | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class DeliveryStatus(_Record):
    """An event: a carrier delivery report arrived.

    Attributes:
        status: The status of the delivery.
        attempt_id: The ID of the attempt.
        attempt_number: The attempt number.
        originated_at: The date and time from the provider.
        type: The event type, ``delivery_status``.
        created_at: When the event happened.
    """

    status: DeliveryStatusStatus | UnknownValue | None = attrs.field(
        default=None, converter=_u.delivery_status
    )
    attempt_id: str | None = None
    attempt_number: int | None = None
    originated_at: dt.datetime | None = None
    type: EventType | UnknownValue | None = attrs.field(
        default=EventType.DELIVERY_STATUS, converter=_u.event_type
    )
    created_at: dt.datetime | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class BalanceUpdate(_Record):
    """An event: the account balance moved.

    Attributes:
        balance_update_type: The kind of balance update.
        amount: The amount of the balance update.
        type: The event type, ``balance_update``.
        created_at: When the event happened.
    """

    balance_update_type: BalanceUpdateType | UnknownValue | None = attrs.field(
        default=None, converter=_u.balance_update_type
    )
    amount: float | None = None
    type: EventType | UnknownValue | None = attrs.field(
        default=EventType.BALANCE_UPDATE, converter=_u.event_type
    )
    created_at: dt.datetime | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class UnknownEvent(_Record):
    """An event of a type this SDK does not know (or with no type at all).

    Attributes:
        type: The event's ``type`` value, if it had a string one.
        created_at: When the event happened, if it said so.
        data: The whole JSON object of the event, as received.
    """

    type: str | None = None
    created_at: dt.datetime | None = None
    data: dict[str, Any] = attrs.field(factory=dict[str, Any], hash=False)


Event: TypeAlias = Attempt | Check | DeliveryStatus | BalanceUpdate | UnknownEvent
"""One entry of `AuthenticationStatusResponse.events`."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class AuthenticationStatusResponse(_Record):
    """The state and history of an authentication.

    There is no overall status field: read the state from `events`.

    Attributes:
        uuid: The UUID of the authentication.
        phone_number: An E.164 formatted phone number.
        template_id: The template id of the message content variant.
        correlation_id: The user-defined identifier given at creation.
        created_at: When the authentication was created.
        signals: The fraud signals recorded at creation.
        events: The history of the authentication.
    """

    uuid: str | None = None
    phone_number: str | None = None
    template_id: str | None = None
    correlation_id: str | None = None
    created_at: dt.datetime | None = None
    signals: Signals | None = None
    events: tuple[Event, ...] | None = None


# --------------------------------------------------------------------------
# Operation results (the seed SDK's envelopes) and the lookup operation input
# --------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False, eq=False)
class _Result(_Record):
    """What every operation result carries besides its decoded body.

    Attributes:
        content_type: The response's content type.
        status_code: The response's HTTP status code.
        raw_response: The HTTP response.
    """

    content_type: str
    status_code: int
    raw_response: "httpx.Response | None" = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PostAuthenticationResponse(_Result, _accessors.AuthenticationAccessors):
    """The result of creating an authentication.

    ``res.authentication_uuid`` and ``res.status`` read the body's fields
    as ``str`` and ``Status | str``, or raise `ding.MissingFieldError`.

    Attributes:
        create_authentication_response: The decoded body on HTTP 200.
    """

    create_authentication_response: CreateAuthenticationResponse | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PostCheckResponse(_Result, _accessors.CheckAccessors):
    """The result of checking a code.

    ``res.status`` reads the body's status, or raises `ding.MissingFieldError`.

    Attributes:
        create_check_response: The decoded body on HTTP 200.
    """

    create_check_response: CreateCheckResponse | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PostRetryResponse(_Result, _accessors.RetryAccessors):
    """The result of a retry.

    ``res.status`` reads the body's status, or raises `ding.MissingFieldError`.

    Attributes:
        retry_authentication_response: The decoded body on HTTP 200.
    """

    retry_authentication_response: RetryAuthenticationResponse | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PostLookupResponse(_Result):
    """The result of a phone number lookup.

    Attributes:
        lookup_response: The decoded body on HTTP 200.
    """

    lookup_response: LookupResponse | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GetAuthenticationStatusResponse(_Result):
    """The result of reading an authentication's status.

    Attributes:
        authentication_status_response: The decoded body on HTTP 200.
    """

    authentication_status_response: AuthenticationStatusResponse | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PostFeedbackResponse(_Result):
    """The result of sending feedback.

    Attributes:
        feedback_response: The decoded body on HTTP 200.
    """

    feedback_response: FeedbackResponse | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PostLookupRequest(_Record):
    """The seed SDK's lookup input: the customer UUID and the number.

    Attributes:
        customer_uuid: Your customer UUID (sent in the ``customer-uuid``
            header); `None` lets the client fill in its default.
        lookup_request: The number to look up.
    """

    customer_uuid: str | None = None
    lookup_request: LookupRequest | None = None
