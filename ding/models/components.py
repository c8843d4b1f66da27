"""The later official models path, ``from ding.models import components``.

Exports every model and enum under the names of the official generated SDK
(``ding_api_client`` up to 3.9.120). Several official names are aliases of
one class here: the four event-type enums (``Type``,
``AuthenticationStatusResponseType``, ``AuthenticationStatusResponseSchemasType``,
``AuthenticationStatusResponseSchemasEventsType``) are all `EventType`, and
``CreateCheckResponseStatus`` is ``CheckStatus``. ``Events`` (``Event``) also
admits `UnknownEvent`, for event types newer than this SDK.
"""

from ding._schema._models import (
    Attempt,
    AuthenticationStatusResponse,
    BalanceUpdate,
    BalanceUpdateType,
    Capability,
    Check,
    CheckStatus,
    CreateAuthenticationRequest,
    CreateAuthenticationResponse,
    CreateCheckRequest,
    CreateCheckResponse,
    CreateCheckResponseStatus,
    DeliveryStatus,
    DeviceType,
    Event,
    EventType,
    FeedbackRequest,
    FeedbackRequestStatus,
    FeedbackResponse,
    LineType,
    LookupRequest,
    LookupResponse,
    RetryAuthenticationRequest,
    RetryAuthenticationResponse,
    RetryAuthenticationResponseStatus,
    Security,
    Signals,
    Status,
    UnknownEvent,
)
from ding._schema._models import AttemptStatus as AuthenticationStatusResponseStatus
from ding._schema._models import (
    DeliveryStatusStatus as AuthenticationStatusResponseSchemasStatus,
)
from ding._schema._models import Event as Events
from ding._schema._models import (
    EventType as AuthenticationStatusResponseSchemasEventsType,
)
from ding._schema._models import EventType as AuthenticationStatusResponseSchemasType
from ding._schema._models import EventType as AuthenticationStatusResponseType
from ding._schema._models import EventType as Type
from ding._schema._models import (
    SignalsDeviceType as AuthenticationStatusResponseDeviceType,
)

__all__ = [
    "Attempt",
    "AuthenticationStatusResponse",
    "AuthenticationStatusResponseDeviceType",
    "AuthenticationStatusResponseSchemasEventsType",
    "AuthenticationStatusResponseSchemasStatus",
    "AuthenticationStatusResponseSchemasType",
    "AuthenticationStatusResponseStatus",
    "AuthenticationStatusResponseType",
    "BalanceUpdate",
    "BalanceUpdateType",
    "Capability",
    "Check",
    "CheckStatus",
    "CreateAuthenticationRequest",
    "CreateAuthenticationResponse",
    "CreateCheckRequest",
    "CreateCheckResponse",
    "CreateCheckResponseStatus",
    "DeliveryStatus",
    "DeviceType",
    "Event",
    "EventType",
    "Events",
    "FeedbackRequest",
    "FeedbackRequestStatus",
    "FeedbackResponse",
    "LineType",
    "LookupRequest",
    "LookupResponse",
    "RetryAuthenticationRequest",
    "RetryAuthenticationResponse",
    "RetryAuthenticationResponseStatus",
    "Security",
    "Signals",
    "Status",
    "Type",
    "UnknownEvent",
]
