"""The attrs models and enums, and the seed-era / official import paths."""

import ast
import enum
import inspect
import types
from typing import Any, cast

import attrs
import pytest

from ding import _errors
from ding._schema import _models
from ding.models import components, errors, operations, shared

MODEL_MODULES: tuple[types.ModuleType, ...] = (
    _models,
    shared,
    components,
    operations,
    errors,
)

ENUMS: tuple[type[enum.Enum], ...] = tuple(
    obj
    for obj in vars(_models).values()
    if isinstance(obj, type)
    and issubclass(obj, enum.Enum)
    and obj.__module__ in {_models.__name__, "ding._enums"}
    and not obj.__name__.startswith("_")
)

ATTRS_CLASSES: tuple[type[Any], ...] = tuple(
    obj
    for name, obj in vars(_models).items()
    if isinstance(obj, type) and attrs.has(obj) and not name.startswith("_")
)

RESPONSE_MODELS: tuple[type[Any], ...] = (
    _models.CreateAuthenticationResponse,
    _models.CreateCheckResponse,
    _models.RetryAuthenticationResponse,
    _models.FeedbackResponse,
    _models.AuthenticationStatusResponse,
    _models.Signals,
    _models.Attempt,
    _models.Check,
    _models.DeliveryStatus,
    _models.BalanceUpdate,
    _models.UnknownEvent,
    _models.LookupResponse,
    _models.ErrorResponseBody,
)

ENVELOPES: dict[type[Any], str] = {
    _models.PostAuthenticationResponse: "create_authentication_response",
    _models.PostCheckResponse: "create_check_response",
    _models.PostRetryResponse: "retry_authentication_response",
    _models.PostLookupResponse: "lookup_response",
    _models.GetAuthenticationStatusResponse: "authentication_status_response",
    _models.PostFeedbackResponse: "feedback_response",
}


def _members(enum_cls: type[enum.Enum]) -> list[tuple[str, object]]:
    return [(m.name, m.value) for m in enum_cls]


# --------------------------------------------------------------------------
# Import paths and __all__
# --------------------------------------------------------------------------


def test_seed_import_paths() -> None:
    from ding import models  # noqa: PLC0415
    from ding.models import errors as seed_errors  # noqa: PLC0415
    from ding.models import operations as seed_operations  # noqa: PLC0415
    from ding.models import shared as seed_shared  # noqa: PLC0415
    from ding.models.errors import ErrorResponse, SDKError  # noqa: PLC0415

    assert models.shared is seed_shared
    assert models.operations is seed_operations
    assert models.errors is seed_errors
    assert ErrorResponse is _errors.ErrorResponse
    assert SDKError is _errors.SDKError


@pytest.mark.parametrize("module", MODEL_MODULES, ids=lambda m: m.__name__)
def test_all_is_sorted_and_unique(module: types.ModuleType) -> None:
    names: list[str] = list(module.__all__)
    assert names == sorted(names)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("module", MODEL_MODULES, ids=lambda m: m.__name__)
def test_all_names_exist(module: types.ModuleType) -> None:
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize("module", MODEL_MODULES, ids=lambda m: m.__name__)
def test_all_is_complete(module: types.ModuleType) -> None:
    # Every public class bound in the module is exported.
    public = {
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and isinstance(obj, type)
        and obj.__module__.startswith("ding.")
    }
    assert public <= set(module.__all__)


def test_models_all_lists_everything_defined() -> None:
    defined = {
        name
        for name, obj in vars(_models).items()
        if not name.startswith("_")
        and isinstance(obj, type)
        and obj.__module__ in {_models.__name__, "ding._enums"}
    }
    assert defined | {"Event"} == set(_models.__all__)


def test_seed_shared_names() -> None:
    seed = {
        "CreateAuthenticationRequest",
        "CreateAuthenticationResponse",
        "CreateCheckRequest",
        "CreateCheckResponse",
        "CreateCheckResponseStatus",
        "DeviceType",
        "LineType",
        "LookupRequest",
        "LookupResponse",
        "RetryAuthenticationRequest",
        "RetryAuthenticationResponse",
        "RetryAuthenticationResponseStatus",
        "Security",
        "Status",
    }
    assert seed <= set(shared.__all__)
    for name in shared.__all__:
        assert getattr(shared, name) is getattr(_models, name)


def test_seed_operations_names() -> None:
    seed = {
        "PostAuthenticationResponse",
        "PostCheckResponse",
        "PostLookupRequest",
        "PostLookupResponse",
        "PostRetryResponse",
    }
    assert seed <= set(operations.__all__)


def test_operations_official_aliases() -> None:
    assert operations.CreateAuthenticationResponse is _models.PostAuthenticationResponse
    assert operations.CreateAutenticationResponse is _models.PostAuthenticationResponse
    assert operations.CheckResponse is _models.PostCheckResponse
    assert operations.RetryResponse is _models.PostRetryResponse
    assert operations.LookupResponse is _models.PostLookupResponse
    assert operations.FeedbackResponse is _models.PostFeedbackResponse
    assert (
        operations.GetAuthenticationStatusResponse
        is _models.GetAuthenticationStatusResponse
    )
    assert operations.Type is _models.LookupType
    assert operations.LookupType is _models.LookupType


def test_components_official_names() -> None:
    official = {
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
        "DeliveryStatus",
        "DeviceType",
        "Events",
        "FeedbackRequest",
        "FeedbackRequestStatus",
        "FeedbackResponse",
        "LineType",
        "LookupResponse",
        "RetryAuthenticationRequest",
        "RetryAuthenticationResponse",
        "RetryAuthenticationResponseStatus",
        "Security",
        "Signals",
        "Status",
        "Type",
    }
    assert official <= set(components.__all__)
    assert components.Type is _models.EventType
    assert components.AuthenticationStatusResponseType is _models.EventType
    assert components.AuthenticationStatusResponseSchemasType is _models.EventType
    assert components.AuthenticationStatusResponseSchemasEventsType is _models.EventType
    assert components.AuthenticationStatusResponseStatus is _models.AttemptStatus
    assert (
        components.AuthenticationStatusResponseSchemasStatus
        is _models.DeliveryStatusStatus
    )
    assert (
        components.AuthenticationStatusResponseDeviceType is _models.SignalsDeviceType
    )
    assert components.Events == _models.Event
    assert components.CreateCheckResponseStatus is components.CheckStatus


def test_errors_exports_code_and_every_exception() -> None:
    assert set(_errors.__all__) | {"Code"} == set(errors.__all__)
    assert errors.Code is _models.Code
    for name in _errors.__all__:
        assert getattr(errors, name) is getattr(_errors, name)


# --------------------------------------------------------------------------
# Enums
# --------------------------------------------------------------------------


def test_seed_enum_members() -> None:
    assert _members(shared.Status) == [
        ("PENDING", "pending"),
        ("RATE_LIMITED", "rate_limited"),
        ("SPAM_DETECTED", "spam_detected"),
    ]
    assert _members(shared.DeviceType) == [
        ("IOS", "IOS"),
        ("ANDROID", "ANDROID"),
        ("WEB", "WEB"),
    ]
    assert _members(shared.CreateCheckResponseStatus)[:6] == [
        ("VALID", "valid"),
        ("INVALID", "invalid"),
        ("WITHOUT_ATTEMPT", "without_attempt"),
        ("RATE_LIMITED", "rate_limited"),
        ("ALREADY_VALIDATED", "already_validated"),
        ("EXPIRED_AUTH", "expired_auth"),
    ]
    assert shared.CreateCheckResponseStatus.UNKNOWN.value == "unknown"
    assert shared.CreateCheckResponseStatus is components.CheckStatus
    assert _members(shared.RetryAuthenticationResponseStatus) == [
        ("APPROVED", "approved"),
        ("DENIED", "denied"),
        ("NO_ATTEMPT", "no_attempt"),
        ("RATE_LIMITED", "rate_limited"),
        ("EXPIRED_AUTH", "expired_auth"),
        ("ALREADY_VALIDATED", "already_validated"),
    ]
    assert _members(shared.LineType)[:11] == [
        ("FIXED_LINE", "FixedLine"),
        ("MOBILE", "Mobile"),
        ("TOLL_FREE", "TollFree"),
        ("PREMIUM_RATE", "PremiumRate"),
        ("SHARED_COST", "SharedCost"),
        ("VOIP", "Voip"),
        ("PAGER", "Pager"),
        ("VOICE_MAIL", "VoiceMail"),
        ("UNIVERSAL_ACCESS", "UniversalAccess"),
        ("SERVICE", "Service"),
        ("UNKNOWN", "Unknown"),
    ]


def test_seed_code_members_first_in_seed_order() -> None:
    seed = [
        "INVALID_PHONE_NUMBER",
        "INTERNAL_SERVER_ERROR",
        "BAD_REQUEST",
        "ACCOUNT_INVALID",
        "NEGATIVE_BALANCE",
        "INVALID_LINE",
        "UNSUPPORTED_REGION",
        "INVALID_AUTH_UUID",
        "INVALID_APP_REALM",
        "UNSUPPORTED_APP_REALM_DEVICE_TYPE",
        "APP_REALM_REQUIRE_DEVICE_TYPE",
        "BLOCKED_NUMBER",
        "INVALID_APP_VERSION",
        "INVALID_OS_VERSION",
        "INVALID_DEVICE_MODEL",
        "INVALID_DEVICE_ID",
    ]
    names = [m.name for m in errors.Code]
    assert names[:16] == seed
    assert len(names) == 25
    for member in errors.Code:
        assert member.value == member.name.lower()


def test_code_has_every_documented_code() -> None:
    documented = {
        "account_invalid",
        "app_realm_require_device_type",
        "bad_request",
        "blocked_number",
        "duplicated_feedback_status",
        "internal_server_error",
        "invalid_app_realm",
        "invalid_app_version",
        "invalid_auth_uuid",
        "invalid_device_id",
        "invalid_device_model",
        "invalid_feedback_status",
        "invalid_line",
        "invalid_os_version",
        "invalid_phone_number",
        "invalid_sender_id",
        "invalid_template_id",
        "negative_balance",
        "no_associated_auth_found",
        "suspended_account",
        "unauthorized_sender_id",
        "unsupported_app_realm_device_type",
        "unsupported_region",
        "spending_limit_exceeded",
        "impossible_code",
    }
    assert {m.value for m in errors.Code} == documented


def test_line_type_has_all_19_values() -> None:
    values = {m.value for m in _models.LineType}
    assert values == {
        "CallingCards",
        "FixedLine",
        "InternetServiceProvider",
        "LocalRate",
        "Mobile",
        "Other",
        "Pager",
        "PayPhone",
        "PremiumRate",
        "Satellite",
        "Service",
        "SharedCost",
        "ShortCodesCommercial",
        "TollFree",
        "UniversalAccess",
        "Unknown",
        "VPN",
        "VoiceMail",
        "Voip",
    }


def test_newer_enum_values() -> None:
    assert [m.value for m in _models.SignalsDeviceType] == [
        "ANDROID",
        "IOS",
        "IPADOS",
        "TVOS",
        "WEB",
    ]
    assert [m.value for m in _models.Capability] == [
        "rcs",
        "text",
        "whatsapp",
        "viber",
        "zalo",
        "telegram",
    ]
    assert [m.value for m in _models.AttemptStatus] == [
        "pending",
        "delivered",
        "failed",
        "rate_limited",
        "expired",
    ]
    assert [m.value for m in _models.DeliveryStatusStatus] == [
        "unknown",
        "submitted",
        "in_transit",
        "delivered",
        "undeliverable",
    ]
    assert [m.value for m in _models.BalanceUpdateType] == [
        "unknown",
        "authentication",
        "attempt",
        "attempt_pending",
        "attempt_success",
        "authentication_pending",
        "authentication_success",
    ]
    assert [m.value for m in _models.EventType] == [
        "attempt",
        "check",
        "delivery_status",
        "balance_update",
    ]
    assert _members(_models.FeedbackRequestStatus) == [
        ("ONBOARDED", "onboarded"),
        ("NOT_ONBOARDED", "not_onboarded"),
    ]
    assert _members(_models.LookupType) == [("CNAM", "cnam")]


@pytest.mark.parametrize("enum_cls", ENUMS, ids=lambda e: e.__name__)
def test_enum_is_str_and_str_is_value(enum_cls: type[enum.Enum]) -> None:
    for member in enum_cls:
        assert isinstance(member, str)
        assert str(member) == member.value
        assert f"{member}" == member.value
        assert member == member.value
        assert enum_cls(member.value) is member


# --------------------------------------------------------------------------
# Model shapes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ATTRS_CLASSES, ids=lambda c: c.__name__)
def test_every_model_is_frozen_kw_only_and_documented(cls: type[Any]) -> None:
    assert cls.__doc__
    params = inspect.signature(cls).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
    fields = attrs.fields(cls)
    instance = cls(**{f.name: "x" for f in fields if f.default is attrs.NOTHING})
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(instance, fields[0].name, None)


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=lambda c: c.__name__)
def test_response_fields_are_optional(cls: type[Any]) -> None:
    instance = cls()
    for field in attrs.fields(cls):
        value = getattr(instance, field.name)
        if field.name == "type" and cls is not _models.UnknownEvent:
            assert isinstance(value, _models.EventType)
        elif field.name == "data":
            assert value == {}
        else:
            assert value is None, field.name


@pytest.mark.parametrize(
    ("cls", "event_type"),
    [
        (_models.Attempt, _models.EventType.ATTEMPT),
        (_models.Check, _models.EventType.CHECK),
        (_models.DeliveryStatus, _models.EventType.DELIVERY_STATUS),
        (_models.BalanceUpdate, _models.EventType.BALANCE_UPDATE),
    ],
)
def test_event_type_defaults(cls: type[Any], event_type: _models.EventType) -> None:
    assert cls().type is event_type


def test_create_authentication_request_fields() -> None:
    names = [f.name for f in attrs.fields(_models.CreateAuthenticationRequest)]
    assert names == [
        "phone_number",
        "customer_uuid",
        "ip",
        "device_id",
        "device_type",
        "app_version",
        "sender_id",
        "callback_url",
        "app_realm",
        "os_version",
        "device_model",
        "is_returning_user",
        "template_id",
        "correlation_id",
        "locale",
    ]
    request = _models.CreateAuthenticationRequest(phone_number="+1234567890")
    assert request.customer_uuid is None
    assert all(getattr(request, n) is None for n in names[1:])


def test_request_required_fields() -> None:
    with pytest.raises(TypeError):
        _models.CreateAuthenticationRequest()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    with pytest.raises(TypeError):
        _models.CreateCheckRequest(authentication_uuid="a")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    with pytest.raises(TypeError):
        _models.FeedbackRequest(phone_number="+1")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    with pytest.raises(TypeError):
        _models.LookupRequest()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    check = _models.CreateCheckRequest(authentication_uuid="a", check_code="1234")
    assert check.customer_uuid is None
    retry = _models.RetryAuthenticationRequest(authentication_uuid="a")
    assert retry.customer_uuid is None
    # An unknown value is flagged statically (a typo?), and goes through.
    feedback = _models.FeedbackRequest(phone_number="+1", status="brand_new")  # type: ignore[arg-type]
    assert feedback.status == "brand_new"


def test_seed_style_construction_by_keyword() -> None:
    request = shared.CreateAuthenticationRequest(
        customer_uuid="c",
        phone_number="+1234567890",
        app_realm="realm",
        app_version="1.0.0",
        callback_url="https://example.com/callback",
        device_id="d",
        device_model="iPhone 15 Pro",
        device_type=shared.DeviceType.IOS,
        os_version="13.2.1",
    )
    assert request.device_type is shared.DeviceType.IOS
    lookup = operations.PostLookupRequest(
        customer_uuid="c", lookup_request=shared.LookupRequest(phone_number="+1")
    )
    assert lookup.lookup_request is not None
    assert lookup.lookup_request.phone_number == "+1"
    assert operations.PostLookupRequest().customer_uuid is None


@pytest.mark.parametrize(("cls", "body_field"), ENVELOPES.items())
def test_envelopes(cls: type[Any], body_field: str) -> None:
    envelope = cls(content_type="application/json", status_code=200)
    assert envelope.status_code == 200
    assert envelope.content_type == "application/json"
    assert envelope.raw_response is None
    assert getattr(envelope, body_field) is None
    names = {f.name for f in attrs.fields(cls)}
    assert names == {"content_type", "status_code", "raw_response", body_field}


def test_security_repr_masks_the_key() -> None:
    security = shared.Security(api_key="secret-key-123")
    assert security.api_key == "secret-key-123"
    assert "secret-key-123" not in repr(security)
    assert "***" in repr(security)
    assert components.Security is shared.Security


def test_models_are_hashable_and_comparable() -> None:
    event = _models.UnknownEvent(type="new", data={"type": "new", "x": [1]})
    status = _models.AuthenticationStatusResponse(
        uuid="u", events=(_models.Attempt(id="a"), event)
    )
    assert hash(status) == hash(
        _models.AuthenticationStatusResponse(
            uuid="u",
            events=(
                _models.Attempt(id="a"),
                _models.UnknownEvent(type="new", data={"type": "new", "x": [1]}),
            ),
        )
    )
    assert _models.Attempt(id="a") != _models.Attempt(id="b")


def test_open_enum_fields_accept_plain_strings() -> None:
    response = _models.CreateCheckResponse(status="brand_new_status")
    assert response.status == "brand_new_status"
    request = _models.CreateAuthenticationRequest(
        phone_number="+1",
        device_type="VISIONOS",  # type: ignore[arg-type]
    )
    assert request.device_type == "VISIONOS"


# --------------------------------------------------------------------------
# The wire values type checkers see for the request enums
# --------------------------------------------------------------------------

#: Each alias of wire values (a ``Literal`` to type checkers, ``str`` at run
#: time), and the enum whose values it must list.
WIRE_VALUES: dict[str, type[enum.Enum]] = {
    "DeviceTypeValue": _models.DeviceType,
    "FeedbackStatusValue": _models.FeedbackRequestStatus,
    "LookupTypeValue": _models.LookupType,
}


def _literals_type_checkers_see() -> dict[str, list[object]]:
    source = inspect.getsource(_models)
    found: dict[str, list[object]] = {}
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.value, ast.Subscript)
            and ast.unparse(node.value.value) == "Literal"
        ):
            values: object = ast.literal_eval(node.value.slice)
            found[node.target.id] = (
                list(cast("tuple[object, ...]", values))
                if isinstance(values, tuple)
                else [values]
            )
    return found


def test_the_wire_literals_list_exactly_the_enum_values() -> None:
    literals = _literals_type_checkers_see()
    assert set(literals) == set(WIRE_VALUES)
    for name, enum_cls in WIRE_VALUES.items():
        assert literals[name] == [m.value for m in enum_cls], name
        # At run time the alias is str: any string passes the field checks.
        assert getattr(_models, name) is str
