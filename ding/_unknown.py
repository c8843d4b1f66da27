"""`UnknownValue`, and the converters of the response models' open enum fields.

A response enum field is typed ``SomeEnum | UnknownValue | None``: the member
for a value this SDK knows, the plain string for one newer than it (an
`UnknownValue` to type checkers; at run time a ``str``), None when the key is
missing. Since neither of ``SomeEnum`` and ``UnknownValue`` is a subtype of
the other, mypy and pyright keep the union (``SomeEnum | str`` collapses to
``str``, the enums being ``str`` subclasses), and ``isinstance(value,
SomeEnum)`` narrows what is left to ``UnknownValue``.

Each field has one of the converters below, so a hand-built response takes
the member or any string (``CreateCheckResponse(status="valid")``) and holds
the member for a known value. mypy's attrs plugin and pyright both take a
converter's parameter type as the ``__init__`` parameter type; both need a
named function, hence one per enum. The enums are imported on the first call
only (`ding._lazy`): ``import ding`` imports this module for `UnknownValue`.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, NewType, TypeVar

from ding._lazy import lazy_module

if TYPE_CHECKING:
    from ding import _enums
    from ding._enums import (
        AttemptStatus,
        BalanceUpdateType,
        Capability,
        CheckStatus,
        Code,
        DeliveryStatusStatus,
        EventType,
        LineType,
        RetryAuthenticationResponseStatus,
        SignalsDeviceType,
        Status,
    )
else:
    _enums = lazy_module("ding._enums")

__all__ = ["UnknownValue"]

UnknownValue = NewType("UnknownValue", str)
"""An enum field's value that this SDK does not know (a plain ``str``)."""

E = TypeVar("E", bound=enum.Enum)


def _open(enum_cls: type[E], value: E | str | None) -> E | UnknownValue | None:
    """Return the member of *enum_cls* for *value*, or *value* as it is."""
    if value is None or isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        return UnknownValue(str(value))


def status(value: Status | str | None) -> Status | UnknownValue | None:
    """Convert a `Status` field."""
    return _open(_enums.Status, value)


def check_status(value: CheckStatus | str | None) -> CheckStatus | UnknownValue | None:
    """Convert a `CheckStatus` field."""
    return _open(_enums.CheckStatus, value)


def retry_status(
    value: RetryAuthenticationResponseStatus | str | None,
) -> RetryAuthenticationResponseStatus | UnknownValue | None:
    """Convert a `RetryAuthenticationResponseStatus` field."""
    return _open(_enums.RetryAuthenticationResponseStatus, value)


def line_type(value: LineType | str | None) -> LineType | UnknownValue | None:
    """Convert a `LineType` field."""
    return _open(_enums.LineType, value)


def code(value: Code | str | None) -> Code | UnknownValue | None:
    """Convert a `Code` field."""
    return _open(_enums.Code, value)


def device_type(
    value: SignalsDeviceType | str | None,
) -> SignalsDeviceType | UnknownValue | None:
    """Convert a `SignalsDeviceType` field."""
    return _open(_enums.SignalsDeviceType, value)


def capability(value: Capability | str | None) -> Capability | UnknownValue | None:
    """Convert a `Capability` field."""
    return _open(_enums.Capability, value)


def attempt_status(
    value: AttemptStatus | str | None,
) -> AttemptStatus | UnknownValue | None:
    """Convert an `AttemptStatus` field."""
    return _open(_enums.AttemptStatus, value)


def event_type(value: EventType | str | None) -> EventType | UnknownValue | None:
    """Convert an `EventType` field."""
    return _open(_enums.EventType, value)


def delivery_status(
    value: DeliveryStatusStatus | str | None,
) -> DeliveryStatusStatus | UnknownValue | None:
    """Convert a `DeliveryStatusStatus` field."""
    return _open(_enums.DeliveryStatusStatus, value)


def balance_update_type(
    value: BalanceUpdateType | str | None,
) -> BalanceUpdateType | UnknownValue | None:
    """Convert a `BalanceUpdateType` field."""
    return _open(_enums.BalanceUpdateType, value)
