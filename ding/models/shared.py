"""The seed-era models path, ``from ding.models import shared``.

Exports the seed SDK's names (``CreateAuthenticationRequest``, ``Status``,
``CreateCheckResponseStatus``, ``LineType``, ``Security``, ...) and the models
added to the API since. Note the seed SDK built models positionally in
alphabetical field order; these models take keyword arguments only.
"""

import typing as _typing

if _typing.TYPE_CHECKING:
    from ding._schema._models import (
        Attempt,
        AttemptStatus,
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
        DeliveryStatusStatus,
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
        SignalsDeviceType,
        Status,
        UnknownEvent,
    )

__all__ = [
    "Attempt",
    "AttemptStatus",
    "AuthenticationStatusResponse",
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
    "DeliveryStatusStatus",
    "DeviceType",
    "Event",
    "EventType",
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
    "SignalsDeviceType",
    "Status",
    "UnknownEvent",
]

# The classes are built on first use, not on ``import ding`` (see ding._lazy):
# a name read here imports `ding._schema._models` (PEP 562). Type checkers see
# the import above, not the hook.
if not _typing.TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        if name in __all__:
            from ding._schema import _models  # noqa: PLC0415 - deferred on purpose, see above

            value: object = getattr(_models, name)
            globals()[name] = value
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
