"""The SDK's enums: each a `str` whose ``str()`` is its wire value.

Re-exported by `ding._schema._models`, the data model they belong to; kept
apart so that the model's classes and their fields fit one module.
"""

import enum

__all__ = [
    "AttemptStatus",
    "BalanceUpdateType",
    "Capability",
    "CheckStatus",
    "Code",
    "CreateCheckResponseStatus",
    "DeliveryStatusStatus",
    "DeviceType",
    "EventType",
    "FeedbackRequestStatus",
    "LineType",
    "LookupType",
    "RetryAuthenticationResponseStatus",
    "SignalsDeviceType",
    "Status",
]


class _WireEnum(str, enum.Enum):
    """Base of the SDK's enums: a `str` whose ``str()`` is the wire value."""

    def __str__(self) -> str:
        return str(self.value)


class DeviceType(_WireEnum):
    """The type of device the user is using (request side)."""

    IOS = "IOS"
    ANDROID = "ANDROID"
    WEB = "WEB"


class SignalsDeviceType(_WireEnum):
    """The type of device recorded in an authentication's signals.

    Official SDK name: ``AuthenticationStatusResponseDeviceType``.
    """

    ANDROID = "ANDROID"
    IOS = "IOS"
    IPADOS = "IPADOS"
    TVOS = "TVOS"
    WEB = "WEB"


class Status(_WireEnum):
    """The status of a created authentication."""

    PENDING = "pending"
    RATE_LIMITED = "rate_limited"
    SPAM_DETECTED = "spam_detected"


class CheckStatus(_WireEnum):
    """The status of a code check.

    The seed SDK called this ``CreateCheckResponseStatus`` (an alias of this
    class); ``UNKNOWN`` was added to the API on 2024-10-29.
    """

    VALID = "valid"
    INVALID = "invalid"
    WITHOUT_ATTEMPT = "without_attempt"
    RATE_LIMITED = "rate_limited"
    ALREADY_VALIDATED = "already_validated"
    EXPIRED_AUTH = "expired_auth"
    UNKNOWN = "unknown"


CreateCheckResponseStatus = CheckStatus


class RetryAuthenticationResponseStatus(_WireEnum):
    """The status of a retry."""

    APPROVED = "approved"
    DENIED = "denied"
    NO_ATTEMPT = "no_attempt"
    RATE_LIMITED = "rate_limited"
    EXPIRED_AUTH = "expired_auth"
    ALREADY_VALIDATED = "already_validated"


class FeedbackRequestStatus(_WireEnum):
    """The type of the feedback: whether the user went on to onboard."""

    ONBOARDED = "onboarded"
    NOT_ONBOARDED = "not_onboarded"


class LineType(_WireEnum):
    """The type of phone line of a looked-up number."""

    FIXED_LINE = "FixedLine"
    MOBILE = "Mobile"
    TOLL_FREE = "TollFree"
    PREMIUM_RATE = "PremiumRate"
    SHARED_COST = "SharedCost"
    VOIP = "Voip"
    PAGER = "Pager"
    VOICE_MAIL = "VoiceMail"
    UNIVERSAL_ACCESS = "UniversalAccess"
    SERVICE = "Service"
    UNKNOWN = "Unknown"
    CALLING_CARDS = "CallingCards"
    INTERNET_SERVICE_PROVIDER = "InternetServiceProvider"
    LOCAL_RATE = "LocalRate"
    OTHER = "Other"
    PAY_PHONE = "PayPhone"
    SATELLITE = "Satellite"
    SHORT_CODES_COMMERCIAL = "ShortCodesCommercial"
    VPN = "VPN"


class LookupType(_WireEnum):
    """An optional lookup feature (query parameter ``type``).

    Official SDK name: ``ding.models.operations.Type``.
    """

    CNAM = "cnam"


class EventType(_WireEnum):
    """The type of an event in an authentication's history.

    Official SDK names: ``Type``, ``AuthenticationStatusResponseType``,
    ``AuthenticationStatusResponseSchemasType`` and
    ``AuthenticationStatusResponseSchemasEventsType``.
    """

    ATTEMPT = "attempt"
    CHECK = "check"
    DELIVERY_STATUS = "delivery_status"
    BALANCE_UPDATE = "balance_update"


class Capability(_WireEnum):
    """The channel an attempt was sent through."""

    RCS = "rcs"
    TEXT = "text"
    WHATSAPP = "whatsapp"
    VIBER = "viber"
    ZALO = "zalo"
    TELEGRAM = "telegram"


class AttemptStatus(_WireEnum):
    """The status of an attempt.

    Official SDK name: ``AuthenticationStatusResponseStatus``.
    """

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    RATE_LIMITED = "rate_limited"
    EXPIRED = "expired"


class DeliveryStatusStatus(_WireEnum):
    """The status of a delivery report.

    Official SDK name: ``AuthenticationStatusResponseSchemasStatus``.
    """

    UNKNOWN = "unknown"
    SUBMITTED = "submitted"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"


class BalanceUpdateType(_WireEnum):
    """The kind of a balance update."""

    UNKNOWN = "unknown"
    AUTHENTICATION = "authentication"
    ATTEMPT = "attempt"
    ATTEMPT_PENDING = "attempt_pending"
    ATTEMPT_SUCCESS = "attempt_success"
    AUTHENTICATION_PENDING = "authentication_pending"
    AUTHENTICATION_SUCCESS = "authentication_success"


class Code(_WireEnum):
    """A machine-readable error code.

    The 16 codes of the seed SDK come first, in its order, then the codes
    added later, oldest first; the last two appear only in the docs' error
    table.
    """

    INVALID_PHONE_NUMBER = "invalid_phone_number"
    INTERNAL_SERVER_ERROR = "internal_server_error"
    BAD_REQUEST = "bad_request"
    ACCOUNT_INVALID = "account_invalid"
    NEGATIVE_BALANCE = "negative_balance"
    INVALID_LINE = "invalid_line"
    UNSUPPORTED_REGION = "unsupported_region"
    INVALID_AUTH_UUID = "invalid_auth_uuid"
    INVALID_APP_REALM = "invalid_app_realm"
    UNSUPPORTED_APP_REALM_DEVICE_TYPE = "unsupported_app_realm_device_type"
    APP_REALM_REQUIRE_DEVICE_TYPE = "app_realm_require_device_type"
    BLOCKED_NUMBER = "blocked_number"
    INVALID_APP_VERSION = "invalid_app_version"
    INVALID_OS_VERSION = "invalid_os_version"
    INVALID_DEVICE_MODEL = "invalid_device_model"
    INVALID_DEVICE_ID = "invalid_device_id"
    INVALID_TEMPLATE_ID = "invalid_template_id"
    NO_ASSOCIATED_AUTH_FOUND = "no_associated_auth_found"
    DUPLICATED_FEEDBACK_STATUS = "duplicated_feedback_status"
    INVALID_FEEDBACK_STATUS = "invalid_feedback_status"
    SUSPENDED_ACCOUNT = "suspended_account"
    INVALID_SENDER_ID = "invalid_sender_id"
    UNAUTHORIZED_SENDER_ID = "unauthorized_sender_id"
    SPENDING_LIMIT_EXCEEDED = "spending_limit_exceeded"
    IMPOSSIBLE_CODE = "impossible_code"
