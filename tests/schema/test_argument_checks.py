"""Every request field is type-checked before anything is sent.

attrs does not check types at run time and JSON would carry ``123`` or
``"yes"`` as they are, so a wrong type must stop at the client with a
`ding.UsageError` that names the field (and never echoes the value, which
may be a phone number or a code).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import pytest

import ding
from ding._schema._validate import check_field_types
from ding.models import operations, shared
from tests._stub import AUTH_UUID, CUSTOMER_UUID, StubDing

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.anyio

VALID: dict[str, tuple[type[attrs.AttrsInstance], dict[str, Any]]] = {
    "create_authentication": (
        shared.CreateAuthenticationRequest,
        {"phone_number": "+14155550123"},
    ),
    "check": (
        shared.CreateCheckRequest,
        {"authentication_uuid": AUTH_UUID, "check_code": "123456"},
    ),
    "retry": (shared.RetryAuthenticationRequest, {"authentication_uuid": AUTH_UUID}),
    "feedback": (
        shared.FeedbackRequest,
        {"phone_number": "+14155550123", "status": "onboarded"},
    ),
}


def wrong_values(model: type[attrs.AttrsInstance]) -> Iterator[tuple[str, object]]:
    """Yield (field, a value of the wrong type) for every field of *model*."""
    for field in attrs.fields(model):
        if "bool" in str(field.type):
            yield field.name, "yes"  # a bool given as a string
            yield field.name, 1
        else:
            yield field.name, 123456  # a number where a string goes
            yield field.name, b"+14155550123"
            yield field.name, True


@pytest.mark.in_process_only(
    reason="the check runs before anything is sent: no transport is involved"
)
@pytest.mark.parametrize("operation", VALID)
async def test_a_wrong_type_is_refused_before_sending(
    client: ding.AsyncDing, stub: StubDing, operation: str
) -> None:
    model, valid = VALID[operation]
    method = getattr(client.otp, operation)
    for field, value in wrong_values(model):
        case = f"{operation}({field}={value!r})"
        with pytest.raises(ding.UsageError, match=rf"\.{field} must be ") as info:
            await method(**{**valid, field: value})
        assert type(value).__name__ in str(info.value), case
        assert str(value) not in str(info.value), case
        # The same through a mapping, the seed SDK's style.
        with pytest.raises(ding.UsageError, match=rf"\.{field} must be "):
            await method({**valid, "customer_uuid": CUSTOMER_UUID, field: value})
    assert stub.requests == []


@pytest.mark.parametrize("operation", VALID)
def test_a_request_object_with_a_wrong_type_is_refused(
    sync_client: ding.Ding, tcp_stub: tuple[StubDing, str], operation: str
) -> None:
    model, valid = VALID[operation]
    for field, value in wrong_values(model):
        # attrs builds the object whatever the types; the client refuses it.
        request = model(**{**valid, field: value})
        with pytest.raises(ding.UsageError, match=rf"\.{field} must be "):
            getattr(sync_client.otp, operation)(request)
    assert tcp_stub[0].requests == []


async def test_a_missing_required_field_given_as_none_is_refused(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    request = shared.CreateCheckRequest(
        authentication_uuid=AUTH_UUID,
        check_code=None,  # type: ignore[arg-type]
    )
    with pytest.raises(ding.UsageError, match=r"check_code must be a string, not None"):
        await client.otp.check(request)
    assert stub.requests == []


async def test_a_nested_request_is_checked(
    client: ding.AsyncDing, stub: StubDing
) -> None:
    with pytest.raises(ding.UsageError, match=r"LookupRequest\.phone_number"):
        await client.lookup.post_lookup(CUSTOMER_UUID, {"phone_number": 14155550123})
    with pytest.raises(ding.UsageError, match=r"LookupRequest\.phone_number"):
        check_field_types(
            operations.PostLookupRequest(
                lookup_request=shared.LookupRequest(phone_number=5),  # type: ignore[arg-type]
            )
        )
    assert stub.requests == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("device_type", shared.DeviceType.IOS),
        ("device_type", "SMART_TV"),  # an open enum: a newer value goes through
        ("is_returning_user", False),
        ("locale", None),
    ],
)
async def test_the_right_types_go_through(
    client: ding.AsyncDing, stub: StubDing, field: str, value: Any
) -> None:
    await client.otp.create_authentication(
        phone_number="+14155550123", **{field: value}
    )
    assert len(stub.requests) == 1
