"""The cattrs converter: JSON-ready requests, tolerant but strict responses."""

import datetime as dt
import enum
import json
import traceback
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ding import UnknownValue
from ding._schema import _converter, _models
from ding._schema._converter import (
    DecodeError,
    decode_response,
    format_timestamp,
    make_converter,
    parse_timestamp,
    structure_response,
    unstructure_request,
    warm,
)
from ding._schema._converter import (
    converter as ding_converter,
)
from ding.models import shared
from ding.testing import FakeDing, ManualClock
from tests._examples import examples

UTC = dt.timezone.utc

M = TypeVar("M", bound=attrs.AttrsInstance)

REQUEST_MODELS: tuple[type[Any], ...] = (
    _models.CreateAuthenticationRequest,
    _models.CreateCheckRequest,
    _models.RetryAuthenticationRequest,
    _models.FeedbackRequest,
    _models.LookupRequest,
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

EVENT_CLASSES: tuple[type[Any], ...] = (
    _models.Attempt,
    _models.Check,
    _models.DeliveryStatus,
    _models.BalanceUpdate,
)

EVENT_TYPE_VALUES = frozenset(m.value for m in _models.EventType)


# --------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------

AWARE_DATETIMES: st.SearchStrategy[dt.datetime] = st.datetimes(
    min_value=dt.datetime(1970, 1, 1),  # noqa: DTZ001 - bounds of a naive strategy
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from(
        [
            UTC,
            dt.timezone(dt.timedelta(hours=2)),
            dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
            dt.timezone(dt.timedelta(hours=14)),
        ]
    ),
)

FINITE_FLOATS: st.SearchStrategy[float] = st.floats(
    allow_nan=False, allow_infinity=False
)

JSON_SCALARS: st.SearchStrategy[Any] = (
    st.none() | st.booleans() | st.integers() | FINITE_FLOATS | st.text()
)

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _unknown_values(enum_cls: type[enum.Enum]) -> st.SearchStrategy[str]:
    known = {m.value for m in enum_cls}
    return st.text().filter(lambda s: s not in known)


def _enum_of(args: tuple[Any, ...]) -> type[enum.Enum] | None:
    for arg in args:
        if isinstance(arg, type) and issubclass(arg, enum.Enum):
            return arg
    return None


def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    """Derive a strategy for a model field type."""
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: st.text(),
        bool: st.booleans(),
        int: st.integers(),
        float: FINITE_FLOATS,
        dt.datetime: AWARE_DATETIMES,
    }
    if tp in simple:
        return simple[tp]
    if tp == _models.Event:
        return EVENTS
    origin = typing.get_origin(tp)
    args: tuple[Any, ...] = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        parts: list[st.SearchStrategy[Any]] = []
        enum_cls = _enum_of(args)
        if enum_cls is not None:
            parts += [st.sampled_from(enum_cls), _unknown_values(enum_cls)]
        skip: set[object] = {types.NoneType, enum_cls}
        if enum_cls is not None:
            skip |= {str, UnknownValue}
        parts += [strategy_for(a) for a in args if a not in skip]
        if types.NoneType in args:
            parts.append(st.none())
        return st.one_of(parts)
    if origin is tuple:
        return st.lists(strategy_for(args[0]), max_size=5).map(tuple)
    if tp is _models.UnknownEvent:
        return UNKNOWN_EVENTS
    if attrs.has(tp):
        return model_strategy(tp)
    msg = f"no strategy for {tp!r}"
    raise NotImplementedError(msg)


EVENT_TYPES: st.SearchStrategy[Any] = st.sampled_from(
    _models.EventType
) | _unknown_values(_models.EventType)
"""A known event's ``type`` may be any value but None (None means "the default")."""


def model_strategy(
    cls: type[Any], *, keep_default: frozenset[str] = frozenset()
) -> st.SearchStrategy[Any]:
    fields = {
        f.name: EVENT_TYPES
        if cls in EVENT_CLASSES and f.name == "type"
        else strategy_for(f.type)
        for f in attrs.fields(cls)
        if f.name not in keep_default
    }
    return st.builds(cls, **fields)


@st.composite
def _unknown_events(draw: st.DrawFn) -> _models.UnknownEvent:
    data: dict[str, Any] = draw(
        st.dictionaries(
            st.text(max_size=8).filter(lambda k: k not in {"type", "created_at"}),
            JSON_VALUES,
            max_size=4,
        )
    )
    event_type = draw(
        st.none() | st.text().filter(lambda s: s not in EVENT_TYPE_VALUES)
    )
    if event_type is not None or draw(st.booleans()):
        data["type"] = event_type
    created_at = draw(st.none() | AWARE_DATETIMES)
    if created_at is not None:
        data["created_at"] = format_timestamp(created_at)
    return _models.UnknownEvent(type=event_type, created_at=created_at, data=data)


UNKNOWN_EVENTS: st.SearchStrategy[_models.UnknownEvent] = _unknown_events()

EVENTS: st.SearchStrategy[Any] = st.one_of(
    *(model_strategy(c, keep_default=frozenset({"type"})) for c in EVENT_CLASSES),
    UNKNOWN_EVENTS,
)


def _json_round_trip(model: M) -> M:
    wire = json.loads(json.dumps(unstructure_request(model)))
    return structure_response(wire, type(model))


# --------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls", REQUEST_MODELS + RESPONSE_MODELS, ids=lambda c: c.__name__
)
@given(data=st.data())
def test_round_trip_every_model(cls: type[Any], data: st.DataObject) -> None:
    model = data.draw(strategy_for(cls))
    assert _json_round_trip(model) == model


@given(
    response=st.builds(
        _models.AuthenticationStatusResponse,
        events=st.lists(EVENTS, min_size=1, max_size=6).map(tuple),
        signals=st.none() | model_strategy(_models.Signals),
        created_at=st.none() | AWARE_DATETIMES,
    )
)
def test_round_trip_status_with_mixed_events(
    response: _models.AuthenticationStatusResponse,
) -> None:
    decoded = _json_round_trip(response)
    assert decoded == response
    assert response.events is not None
    assert decoded.events is not None
    assert [type(e) for e in decoded.events] == [type(e) for e in response.events]


def test_round_trip_concrete_status_response() -> None:
    created = dt.datetime(2024, 10, 29, 12, 0, 0, 123456, tzinfo=UTC)
    response = _models.AuthenticationStatusResponse(
        uuid="u",
        phone_number="+1234567890",
        created_at=created,
        signals=_models.Signals(device_type=_models.SignalsDeviceType.IPADOS),
        events=(
            _models.Attempt(capability=_models.Capability.TEXT, attempt_number=1),
            _models.Check(status=_models.CheckStatus.VALID, code="123456"),
            _models.DeliveryStatus(status="teleported", originated_at=created),
            _models.BalanceUpdate(amount=-0.009),
            _models.UnknownEvent(
                type="future", data={"type": "future", "nested": {"a": [1, None]}}
            ),
        ),
    )
    assert _json_round_trip(response) == response


def test_warm_leaves_a_first_call_nothing_to_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # warm(), which a first call runs off the event loop, builds the
    # functions that encode the operations' requests and decode their
    # answers: the calls made afterwards generate none of their own.
    ding_converter.cache_clear()
    warm()
    generated: list[object] = []

    def recording(make: Callable[..., Any]) -> Callable[..., Any]:
        def record(cls: object, *args: object, **kwargs: object) -> object:
            generated.append(cls)
            return make(cls, *args, **kwargs)

        return record

    for name in ("make_dict_structure_fn", "make_dict_unstructure_fn"):
        monkeypatch.setattr(_converter, name, recording(getattr(_converter, name)))
    fake = FakeDing(clock=ManualClock())
    phone = "+14155550123"
    with fake.client() as client:
        sent = client.otp.create_authentication(phone_number=phone)
        fake.clock.advance(60)  # past the retry interval
        again = client.otp.retry(authentication_uuid=sent.authentication_uuid)
        code = fake.outbox.last_code(phone)
        assert code is not None
        checked = client.otp.check(
            authentication_uuid=sent.authentication_uuid, check_code=code
        )
        client.otp.feedback(phone_number=phone, status="onboarded")
        looked_up = client.lookup.lookup(phone_number=phone)
    assert again.status is shared.RetryAuthenticationResponseStatus.APPROVED
    assert checked.status is shared.CheckStatus.VALID
    assert looked_up.lookup_response is not None
    assert generated == []


def test_make_converter_builds_an_equivalent_converter() -> None:
    converter = make_converter()
    assert converter is not ding_converter()
    model = _models.CreateCheckResponse(status=_models.CheckStatus.VALID)
    assert (
        converter.structure({"status": "valid"}, _models.CreateCheckResponse) == model
    )


# --------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------


def test_none_omitted_false_and_zero_sent() -> None:
    request = _models.CreateAuthenticationRequest(
        phone_number="+1234567890", is_returning_user=False, app_version=""
    )
    assert unstructure_request(request) == {
        "phone_number": "+1234567890",
        "app_version": "",
        "is_returning_user": False,
    }
    response = _models.RetryAuthenticationResponse(remaining_retry=0)
    assert unstructure_request(response) == {"remaining_retry": 0}
    assert unstructure_request(_models.BalanceUpdate(amount=0.0, type=None)) == {
        "amount": 0.0
    }


def test_enum_members_sent_as_plain_values() -> None:
    request = _models.CreateAuthenticationRequest(
        customer_uuid="c", phone_number="+1", device_type=_models.DeviceType.ANDROID
    )
    body = unstructure_request(request)
    assert body == {
        "customer_uuid": "c",
        "phone_number": "+1",
        "device_type": "ANDROID",
    }
    assert type(body["device_type"]) is str
    feedback = unstructure_request(
        _models.FeedbackRequest(
            phone_number="+1", status=_models.FeedbackRequestStatus.NOT_ONBOARDED
        )
    )
    assert feedback == {"phone_number": "+1", "status": "not_onboarded"}
    assert type(feedback["status"]) is str


def test_unknown_enum_strings_are_sent_as_given() -> None:
    request = _models.CreateAuthenticationRequest(
        phone_number="+1",
        device_type="VISIONOS",  # type: ignore[arg-type]
    )
    assert unstructure_request(request)["device_type"] == "VISIONOS"
    feedback = _models.FeedbackRequest(phone_number="+1", status="churned")  # type: ignore[arg-type]
    assert unstructure_request(feedback)["status"] == "churned"


def test_all_request_fields_are_sent() -> None:
    request = _models.CreateAuthenticationRequest(
        customer_uuid="c",
        phone_number="+1",
        ip="127.0.0.1",
        device_id="d",
        device_type=_models.DeviceType.WEB,
        app_version="1",
        sender_id="s",
        callback_url="https://example.com",
        app_realm="r",
        os_version="o",
        device_model="m",
        is_returning_user=True,
        template_id="t",
        correlation_id="x",
        locale="en-US",
    )
    body = unstructure_request(request)
    assert len(body) == 15
    assert json.loads(json.dumps(body)) == body


def test_datetimes_sent_as_rfc3339() -> None:
    response = _models.CreateAuthenticationResponse(
        created_at=dt.datetime(2023, 11, 7, 5, 31, 56, tzinfo=UTC),
        expires_at=dt.datetime(
            2023, 11, 7, 7, 31, 56, 500000, tzinfo=dt.timezone(dt.timedelta(hours=2))
        ),
    )
    assert unstructure_request(response) == {
        "created_at": "2023-11-07T05:31:56Z",
        "expires_at": "2023-11-07T07:31:56.500000+02:00",
    }


def test_format_timestamp_edge_cases() -> None:
    naive = dt.datetime(2024, 1, 1, 12, 0)  # noqa: DTZ001 - the case under test
    assert format_timestamp(naive) == "2024-01-01T12:00:00Z"
    odd = dt.timezone(dt.timedelta(hours=1, seconds=30))
    assert format_timestamp(dt.datetime(2024, 1, 1, 12, 0, tzinfo=odd)) == (
        "2024-01-01T10:59:30Z"
    )


def test_nested_and_events_unstructure_to_plain_json() -> None:
    response = _models.AuthenticationStatusResponse(
        signals=_models.Signals(is_returning_user=False),
        events=(
            _models.Check(status=_models.CheckStatus.UNKNOWN),
            _models.UnknownEvent(type="x", data={"type": "x", "k": None}),
        ),
    )
    assert unstructure_request(response) == {
        "signals": {"is_returning_user": False},
        "events": [
            {"status": "unknown", "type": "check"},
            {"type": "x", "k": None},
        ],
    }


def test_unknown_event_unstructure_prefers_fields_and_keeps_raw_timestamp() -> None:
    created = dt.datetime(2023, 5, 9, 12, 9, 31, tzinfo=UTC)
    raw = {
        "type": "authentication",
        "time": "t",
        "created_at": "2023-05-09T12:09:31+0000",
    }
    event = _models.UnknownEvent(type="authentication", created_at=created, data=raw)
    assert unstructure_request(event) == raw
    bare = _models.UnknownEvent(type="new", created_at=created)
    assert unstructure_request(bare) == {
        "type": "new",
        "created_at": "2023-05-09T12:09:31Z",
    }
    broken = _models.UnknownEvent(created_at=created, data={"created_at": "garbage"})
    assert unstructure_request(broken) == {"created_at": "2023-05-09T12:09:31Z"}


def test_unstructure_request_rejects_non_models() -> None:
    with pytest.raises(TypeError):
        unstructure_request({"phone_number": "+1"})


# --------------------------------------------------------------------------
# Tolerant decoding of responses
# --------------------------------------------------------------------------


def _open_enum_fields() -> list[tuple[type[Any], str, type[enum.Enum]]]:
    found: list[tuple[type[Any], str, type[enum.Enum]]] = []
    for cls in REQUEST_MODELS + RESPONSE_MODELS:
        for field in attrs.fields(cls):
            args: tuple[Any, ...] = typing.get_args(field.type)
            enum_cls = _enum_of(args)
            if enum_cls is not None and (str in args or UnknownValue in args):
                found.append((cls, field.name, enum_cls))
    return found


OPEN_ENUM_FIELDS = _open_enum_fields()


def test_open_enum_fields_found() -> None:
    kinds = {enum_cls for _, _, enum_cls in OPEN_ENUM_FIELDS}
    assert kinds >= {
        _models.Status,
        _models.CheckStatus,
        _models.RetryAuthenticationResponseStatus,
        _models.LineType,
        _models.SignalsDeviceType,
        _models.Capability,
        _models.AttemptStatus,
        _models.DeliveryStatusStatus,
        _models.BalanceUpdateType,
        _models.EventType,
        _models.Code,
        _models.DeviceType,
        _models.FeedbackRequestStatus,
    }


def _required(cls: type[Any]) -> dict[str, Any]:
    return {f.name: "x" for f in attrs.fields(cls) if f.default is attrs.NOTHING}


@pytest.mark.parametrize(
    ("cls", "name", "enum_cls"),
    OPEN_ENUM_FIELDS,
    ids=[f"{c.__name__}.{n}" for c, n, _ in OPEN_ENUM_FIELDS],
)
def test_unknown_enum_value_kept_as_str(
    cls: type[Any], name: str, enum_cls: type[enum.Enum]
) -> None:
    decoded = structure_response({**_required(cls), name: "brand-new-value"}, cls)
    value = getattr(decoded, name)
    assert value == "brand-new-value"
    assert type(value) is str
    for member in enum_cls:
        known = structure_response({**_required(cls), name: member.value}, cls)
        assert getattr(known, name) is member


def test_unknown_enum_values_inside_events() -> None:
    decoded = structure_response(
        {
            "signals": {"device_type": "VISIONOS"},
            "events": [
                {"type": "attempt", "capability": "pigeon", "status": "lost"},
                {"type": "check", "status": "maybe"},
                {"type": "delivery_status", "status": "bounced"},
                {"type": "balance_update", "balance_update_type": "refund"},
            ],
        },
        _models.AuthenticationStatusResponse,
    )
    assert decoded.signals == _models.Signals(device_type="VISIONOS")
    assert decoded.events == (
        _models.Attempt(capability="pigeon", status="lost"),
        _models.Check(status="maybe"),
        _models.DeliveryStatus(status="bounced"),
        _models.BalanceUpdate(balance_update_type="refund"),
    )


def test_unknown_keys_ignored() -> None:
    decoded = structure_response(
        {
            "authentication_uuid": "a",
            "status": "pending",
            "surprise": {"deeply": ["nested"]},
            "another": None,
        },
        _models.CreateAuthenticationResponse,
    )
    assert decoded == _models.CreateAuthenticationResponse(
        authentication_uuid="a", status=_models.Status.PENDING
    )
    signals = structure_response(
        {"signals": {"ip": "1.2.3.4", "new_signal": 1}},
        _models.AuthenticationStatusResponse,
    )
    assert signals.signals == _models.Signals(ip="1.2.3.4")


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=lambda c: c.__name__)
def test_empty_object_decodes_to_defaults(cls: type[Any]) -> None:
    assert structure_response({}, cls) == cls()


def test_nulls_decode_to_none() -> None:
    decoded = structure_response(
        {
            "authentication_uuid": None,
            "status": None,
            "created_at": None,
            "next_retry_at": None,
            "remaining_retry": None,
        },
        _models.RetryAuthenticationResponse,
    )
    assert decoded == _models.RetryAuthenticationResponse()
    status = structure_response(
        {"signals": None, "events": None}, _models.AuthenticationStatusResponse
    )
    assert status == _models.AuthenticationStatusResponse()


def test_int_accepted_for_float() -> None:
    decoded = structure_response({"amount": 3}, _models.BalanceUpdate)
    assert decoded.amount == 3.0
    assert type(decoded.amount) is float


def test_lookup_response_full() -> None:
    decoded = structure_response(
        {
            "phone_number": "+1234567890",
            "mcc": "310",
            "mnc": "410",
            "caller_name": "JOHN DOE",
            "carrier": "AT&T",
            "country_code": "US",
            "number_ported": False,
            "temporary_phone_number": True,
            "line_type": "Mobile",
        },
        _models.LookupResponse,
    )
    assert decoded == _models.LookupResponse(
        phone_number="+1234567890",
        mcc="310",
        mnc="410",
        caller_name="JOHN DOE",
        carrier="AT&T",
        country_code="US",
        number_ported=False,
        temporary_phone_number=True,
        line_type=_models.LineType.MOBILE,
    )


def test_error_body_decodes() -> None:
    decoded = structure_response(
        {"code": "invalid_phone_number", "message": "+0 is bad", "doc_url": "u"},
        _models.ErrorResponseBody,
    )
    assert decoded.code is _models.Code.INVALID_PHONE_NUMBER
    newer = structure_response({"code": "quota_exploded"}, _models.ErrorResponseBody)
    assert newer.code == "quota_exploded"


# --------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------

BASE = dt.datetime(2023, 11, 7, 5, 31, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-11-07T05:31:56Z", BASE),
        ("2023-11-07T05:31:56z", BASE),
        ("2023-11-07t05:31:56Z", BASE),
        ("2023-11-07 05:31:56Z", BASE),
        ("2023-11-07T05:31:56+00:00", BASE),
        ("2023-11-07T05:31:56-00:00", BASE),
        ("2023-11-07T05:31:56+0000", BASE),
        ("2023-11-07T05:31:56+00", BASE),
        ("2023-11-07T05:31:56", BASE),
        ("2023-11-07T07:31:56+02:00", BASE),
        ("2023-11-07T07:31:56+0200", BASE),
        ("2023-11-07T00:01:56-0530", BASE),
        ("2023-11-07T00:01:56-05:30", BASE),
        ("2023-11-07T05:31:56.123Z", BASE.replace(microsecond=123000)),
        ("2023-11-07T05:31:56,5Z", BASE.replace(microsecond=500000)),
        ("2023-11-07T05:31:56.123456789Z", BASE.replace(microsecond=123456)),
        ("2023-11-07T05:31:56.999999999+00:00", BASE.replace(microsecond=999999)),
        ("2023-11-07T05:31:56.000001+0000", BASE.replace(microsecond=1)),
        ("2023-11-07T05:31:56.1234567", BASE.replace(microsecond=123456)),
    ],
)
def test_timestamp_forms(text: str, expected: dt.datetime) -> None:
    decoded = structure_response(
        {"created_at": text}, _models.CreateAuthenticationResponse
    )
    assert decoded.created_at == expected
    assert decoded.created_at is not None
    assert decoded.created_at.tzinfo is not None


@pytest.mark.parametrize("digits", range(10))
@pytest.mark.parametrize("suffix", ["Z", "+00:00", "+0000", ""])
def test_timestamp_fraction_digits(digits: int, suffix: str) -> None:
    fraction = "987654321"[:digits]
    text = f"2024-02-29T23:59:59{'.' + fraction if digits else ''}{suffix}"
    expected_micro = int(fraction[:6].ljust(6, "0")) if digits else 0
    parsed = parse_timestamp(text)
    assert parsed == dt.datetime(2024, 2, 29, 23, 59, 59, expected_micro, tzinfo=UTC)


@given(AWARE_DATETIMES)
def test_timestamp_format_parse_round_trip(value: dt.datetime) -> None:
    assert parse_timestamp(format_timestamp(value)) == value


def test_leap_second_is_the_last_instant_of_its_minute() -> None:
    parsed = parse_timestamp("2016-12-31T23:59:60Z")
    assert parsed == dt.datetime(
        2016, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.timezone.utc
    )


def test_unknown_event_keeps_an_unreadable_timestamp_in_data() -> None:
    decoded = structure_response(
        {"events": [{"type": "new", "created_at": "soon"}]},
        _models.AuthenticationStatusResponse,
    )
    assert decoded.events == (
        _models.UnknownEvent(type="new", data={"type": "new", "created_at": "soon"}),
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "nope",
        "2023-11-07",
        "05:31:56",
        "2023-11-07T05:31",
        "2023-11-07T05:31:56.Z",
        "2023-11-07T05:31:56+5",
        "2023-11-07T05:31:56+05:3",
        "2023-11-07T05:31:56+24:00",
        "2023-11-07T05:31:56+05:60",
        "2023-13-07T05:31:56Z",
        "2023-02-30T05:31:56Z",
        "2023-11-07T25:31:56Z",
        "2023-11-07T05:31:61Z",
        "2023-11-07T05:31:56Z ",
        " 2023-11-07T05:31:56Z",
        "２０２３-11-07T05:31:56Z",  # noqa: RUF001 - non-ASCII digits on purpose
        "0000-01-01T00:00:00Z",
    ],
)
def test_bad_timestamps(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_timestamp(text)
    with pytest.raises(DecodeError, match=r"created_at"):
        structure_response({"created_at": text}, _models.CreateAuthenticationResponse)


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


def test_events_dispatch_on_type() -> None:
    decoded = structure_response(
        {
            "events": [
                {"type": "attempt", "id": "1", "created_at": "2024-01-01T00:00:00Z"},
                {"type": "check", "id": "2", "code": "123456"},
                {"type": "delivery_status", "attempt_id": "1", "attempt_number": 1},
                {"type": "balance_update", "amount": 0.009},
                {
                    "type": "webhook_sent",
                    "url": "https://x",
                    "created_at": "2024-01-01T00:00:00Z",
                },
                {"no_type": True},
                {"type": None, "x": 1},
            ]
        },
        _models.AuthenticationStatusResponse,
    )
    assert decoded.events is not None
    assert [type(e) for e in decoded.events] == [
        _models.Attempt,
        _models.Check,
        _models.DeliveryStatus,
        _models.BalanceUpdate,
        _models.UnknownEvent,
        _models.UnknownEvent,
        _models.UnknownEvent,
    ]
    attempt = decoded.events[0]
    assert isinstance(attempt, _models.Attempt)
    assert attempt.type is _models.EventType.ATTEMPT
    assert attempt.created_at == dt.datetime(2024, 1, 1, tzinfo=UTC)
    unknown = decoded.events[4]
    assert unknown == _models.UnknownEvent(
        type="webhook_sent",
        created_at=dt.datetime(2024, 1, 1, tzinfo=UTC),
        data={
            "type": "webhook_sent",
            "url": "https://x",
            "created_at": "2024-01-01T00:00:00Z",
        },
    )
    assert decoded.events[5] == _models.UnknownEvent(data={"no_type": True})
    assert decoded.events[6] == _models.UnknownEvent(data={"type": None, "x": 1})


def test_events_are_a_tuple() -> None:
    decoded = structure_response({"events": []}, _models.AuthenticationStatusResponse)
    assert decoded.events == ()


def test_known_event_classes_decode_directly() -> None:
    decoded = structure_response({"status": "valid"}, _models.Check)
    assert decoded == _models.Check(status=_models.CheckStatus.VALID)
    unknown = structure_response({"type": "x", "v": [1]}, _models.UnknownEvent)
    assert unknown == _models.UnknownEvent(type="x", data={"type": "x", "v": [1]})


# --------------------------------------------------------------------------
# Responses: malformed input
# --------------------------------------------------------------------------

MALFORMED: list[tuple[type[Any], object, str]] = [
    # top level is not an object
    (_models.CreateAuthenticationResponse, [], "$"),
    (_models.CreateAuthenticationResponse, "pending", "$"),
    (_models.CreateAuthenticationResponse, 1, "$"),
    (_models.CreateAuthenticationResponse, None, "$"),
    (_models.CreateAuthenticationResponse, True, "$"),
    (_models.LookupResponse, [{"phone_number": "+1"}], "$"),
    # wrong JSON types for simple fields
    (
        _models.CreateAuthenticationResponse,
        {"authentication_uuid": 1},
        "$.authentication_uuid",
    ),
    (
        _models.CreateAuthenticationResponse,
        {"authentication_uuid": {}},
        "$.authentication_uuid",
    ),
    (
        _models.CreateAuthenticationResponse,
        {"authentication_uuid": ["a"]},
        "$.authentication_uuid",
    ),
    (
        _models.CreateAuthenticationResponse,
        {"authentication_uuid": True},
        "$.authentication_uuid",
    ),
    (
        _models.RetryAuthenticationResponse,
        {"remaining_retry": True},
        "$.remaining_retry",
    ),
    (
        _models.RetryAuthenticationResponse,
        {"remaining_retry": 1.5},
        "$.remaining_retry",
    ),
    (
        _models.RetryAuthenticationResponse,
        {"remaining_retry": 2.0},
        "$.remaining_retry",
    ),
    (
        _models.RetryAuthenticationResponse,
        {"remaining_retry": "3"},
        "$.remaining_retry",
    ),
    (_models.BalanceUpdate, {"amount": False}, "$.amount"),
    (_models.BalanceUpdate, {"amount": "0.5"}, "$.amount"),
    (_models.BalanceUpdate, {"amount": 10**400}, "$.amount"),
    (_models.LookupResponse, {"number_ported": "true"}, "$.number_ported"),
    (_models.LookupResponse, {"number_ported": 1}, "$.number_ported"),
    # enums
    (_models.CreateCheckResponse, {"status": 1}, "$.status"),
    (_models.CreateCheckResponse, {"status": True}, "$.status"),
    (_models.CreateCheckResponse, {"status": {"v": "valid"}}, "$.status"),
    (_models.CreateCheckResponse, {"status": ["valid"]}, "$.status"),
    (_models.LookupResponse, {"line_type": 3}, "$.line_type"),
    # timestamps
    (_models.CreateAuthenticationResponse, {"expires_at": "tomorrow"}, "$.expires_at"),
    (_models.CreateAuthenticationResponse, {"expires_at": 1700000000}, "$.expires_at"),
    # nested objects
    (_models.AuthenticationStatusResponse, {"signals": "x"}, "$.signals"),
    (_models.AuthenticationStatusResponse, {"signals": []}, "$.signals"),
    (_models.AuthenticationStatusResponse, {"signals": {"ip": 1}}, "$.signals.ip"),
    # events
    (_models.AuthenticationStatusResponse, {"events": "x"}, "$.events"),
    (_models.AuthenticationStatusResponse, {"events": {}}, "$.events"),
    (_models.AuthenticationStatusResponse, {"events": {"type": "attempt"}}, "$.events"),
    (_models.AuthenticationStatusResponse, {"events": [1]}, "$.events[0]"),
    (_models.AuthenticationStatusResponse, {"events": [None]}, "$.events[0]"),
    (_models.AuthenticationStatusResponse, {"events": [[]]}, "$.events[0]"),
    (_models.AuthenticationStatusResponse, {"events": [{"type": 5}]}, "$.events[0]"),
    (
        _models.AuthenticationStatusResponse,
        {"events": [{"type": "check"}, {"type": "attempt", "attempt_number": "1"}]},
        "$.events[1].attempt_number",
    ),
    (_models.UnknownEvent, "event", "$"),
    (_models.UnknownEvent, {"type": ["x"]}, "$"),
    # requests decoded from JSON (the fake server's side)
    (_models.CreateCheckRequest, {"check_code": "1"}, "$.authentication_uuid"),
    (
        _models.CreateCheckRequest,
        {"authentication_uuid": None, "check_code": "1"},
        "$.authentication_uuid",
    ),
    (_models.FeedbackRequest, {"phone_number": "+1", "status": 1}, "$.status"),
    (_models.FeedbackRequest, {"phone_number": "+1", "status": None}, "$.status"),
]


@pytest.mark.parametrize(
    ("cls", "data", "path"),
    MALFORMED,
    ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(MALFORMED)],
)
def test_malformed_raises_decode_error(cls: type[Any], data: object, path: str) -> None:
    with pytest.raises(DecodeError) as info:
        structure_response(data, cls)
    error = info.value
    assert any(e.endswith(f"@ {path}") for e in error.errors), error.errors
    assert path in str(error)
    assert cls.__name__ in str(error)
    assert error.__cause__ is not None


def test_decode_error_lists_every_problem() -> None:
    with pytest.raises(DecodeError) as info:
        structure_response(
            {"uuid": 1, "created_at": "x", "signals": {"is_returning_user": "no"}},
            _models.AuthenticationStatusResponse,
        )
    assert sorted(e.rsplit(" @ ", 1)[1] for e in info.value.errors) == [
        "$.created_at",
        "$.signals.is_returning_user",
        "$.uuid",
    ]


def test_non_json_python_values_raise_decode_error() -> None:
    for value in ({1, 2}, object(), b"{}", (1, 2), 1j):
        with pytest.raises(DecodeError):
            structure_response(value, _models.CreateCheckResponse)
    with pytest.raises(DecodeError):
        structure_response(
            {"events": ({"type": "check"},)}, _models.AuthenticationStatusResponse
        )


def test_decode_error_is_a_plain_exception() -> None:
    assert issubclass(DecodeError, Exception)
    error = DecodeError("boom")
    assert str(error) == "boom"
    assert error.errors == ()


def _field_keys(cls: type[Any]) -> list[str]:
    return [f.name for f in attrs.fields(cls)]


def _objects_like(cls: type[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects using the model's own keys, with arbitrary JSON values."""
    return st.dictionaries(
        st.sampled_from([*_field_keys(cls), "extra"]), JSON_VALUES, max_size=6
    )


def _with_type(base: dict[str, Any], event_type: object) -> dict[str, Any]:
    return {**base, "type": event_type}


def _with_events(base: dict[str, Any], events: object) -> dict[str, Any]:
    return {**base, "events": events}


EVENT_OBJECTS: st.SearchStrategy[dict[str, Any]] = st.builds(
    _with_type,
    st.dictionaries(
        st.sampled_from(
            sorted({k for c in EVENT_CLASSES for k in _field_keys(c)} - {"type"})
        ),
        JSON_VALUES,
        max_size=5,
    ),
    st.sampled_from(sorted(EVENT_TYPE_VALUES)) | JSON_VALUES,
)

STATUS_OBJECTS: st.SearchStrategy[dict[str, Any]] = st.builds(
    _with_events,
    _objects_like(_models.AuthenticationStatusResponse),
    st.lists(EVENT_OBJECTS | JSON_VALUES, max_size=4) | JSON_VALUES,
)


@pytest.mark.parametrize(
    "cls", REQUEST_MODELS + RESPONSE_MODELS, ids=lambda c: c.__name__
)
@settings(max_examples=examples(50))
@given(data=st.data())
def test_only_decode_error_escapes(cls: type[Any], data: st.DataObject) -> None:
    value = data.draw(JSON_VALUES | _objects_like(cls))
    try:
        decoded = structure_response(value, cls)
    except DecodeError:
        return
    assert isinstance(decoded, cls)


@given(STATUS_OBJECTS)
def test_only_decode_error_escapes_for_status_with_events(
    value: dict[str, Any],
) -> None:
    try:
        decoded = structure_response(value, _models.AuthenticationStatusResponse)
    except DecodeError:
        return
    assert isinstance(decoded, _models.AuthenticationStatusResponse)
    for event in decoded.events or ():
        assert isinstance(event, (*EVENT_CLASSES, _models.UnknownEvent))


# --------------------------------------------------------------------------
# What a decoding error says
# --------------------------------------------------------------------------

PROBLEMS: list[tuple[type[Any], object, str]] = [
    (
        _models.CreateAuthenticationResponse,
        {"authentication_uuid": 1},
        "expected a string, got number @ $.authentication_uuid",
    ),
    (
        _models.CreateAuthenticationResponse,
        {"authentication_uuid": {1}},
        "expected a string, got set @ $.authentication_uuid",
    ),
    (
        _models.RetryAuthenticationResponse,
        {"remaining_retry": True},
        "expected an integer, got boolean @ $.remaining_retry",
    ),
    (
        _models.BalanceUpdate,
        {"amount": "0.5"},
        "expected a number, got string @ $.amount",
    ),
    (_models.BalanceUpdate, {"amount": 10**400}, "number out of range @ $.amount"),
    (
        _models.LookupResponse,
        {"number_ported": 1},
        "expected a boolean, got number @ $.number_ported",
    ),
    (
        _models.CreateAuthenticationResponse,
        {"expires_at": 1700000000},
        "expected an RFC 3339 timestamp string, got number @ $.expires_at",
    ),
    (
        _models.CreateAuthenticationResponse,
        {"expires_at": "tomorrow"},
        "invalid timestamp 'tomorrow': not an RFC 3339 date-time @ $.expires_at",
    ),
    (
        _models.CreateCheckResponse,
        {"status": 1},
        "expected a string (CheckStatus value), got number @ $.status",
    ),
    (
        _models.FeedbackRequest,
        {"phone_number": "+1", "status": None},
        "expected a string (FeedbackRequestStatus value), got null @ $.status",
    ),
    (
        _models.AuthenticationStatusResponse,
        {"signals": []},
        "expected an object (Signals), got array @ $.signals",
    ),
    (
        _models.AuthenticationStatusResponse,
        {"events": "x"},
        "expected an array, got string @ $.events",
    ),
    (
        _models.AuthenticationStatusResponse,
        {"events": [None]},
        "expected an object (event), got null @ $.events[0]",
    ),
    (
        _models.AuthenticationStatusResponse,
        {"events": [1]},
        "expected an object (event), got number @ $.events[0]",
    ),
    (
        _models.AuthenticationStatusResponse,
        {"events": [{"type": 5}]},
        "expected a string event type, got number @ $.events[0]",
    ),
    (
        _models.AuthenticationStatusResponse,
        {"events": [{"type": "check"}, {"type": "check", "code": []}]},
        "expected a string, got array @ $.events[1].code",
    ),
    (
        _models.CreateCheckRequest,
        {"check_code": "1"},
        "required field missing @ $.authentication_uuid",
    ),
]


@pytest.mark.parametrize(
    ("cls", "data", "problem"),
    PROBLEMS,
    ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(PROBLEMS)],
)
def test_a_decode_error_says_what_was_expected_and_what_came(
    cls: type[Any], data: object, problem: str
) -> None:
    with pytest.raises(DecodeError) as info:
        structure_response(data, cls)
    assert info.value.errors == (problem,)
    assert str(info.value) == f"cannot decode {cls.__name__}: {problem}"


def test_a_long_bad_value_is_shortened_to_60_characters_in_messages() -> None:
    for length, shown in [(60, "x" * 60), (61, "x" * 60 + "...")]:
        with pytest.raises(DecodeError) as info:
            structure_response(
                {"expires_at": "x" * length}, _models.CreateAuthenticationResponse
            )
        assert info.value.errors == (
            f"invalid timestamp {shown!r}: not an RFC 3339 date-time @ $.expires_at",
        )


def test_decode_response_lists_every_problem_of_a_wrong_shape() -> None:
    with pytest.raises(DecodeError) as info:
        decode_response(
            b'{"uuid": 1, "created_at": "x"}',
            "application/json",
            _models.AuthenticationStatusResponse,
        )
    errors = (
        "expected a string, got number @ $.uuid",
        "invalid timestamp 'x': not an RFC 3339 date-time @ $.created_at",
    )
    assert info.value.errors == errors
    name = "AuthenticationStatusResponse"
    assert str(info.value) == (
        f"response body does not match {name}: cannot decode {name}: "
        + "; ".join(errors)
    )


def test_a_null_enum_value_decodes_to_none_where_the_field_may_be_missing() -> None:
    for cls, name, _ in OPEN_ENUM_FIELDS:
        if types.NoneType in typing.get_args(attrs.fields_dict(cls)[name].type):
            decoded = structure_response({**_required(cls), name: None}, cls)
            assert getattr(decoded, name) is None, (cls, name)


@pytest.mark.parametrize(
    "enum_cls", sorted({e for _, _, e in OPEN_ENUM_FIELDS}, key=str)
)
def test_a_converter_decodes_a_bare_enum_openly_too(enum_cls: type[enum.Enum]) -> None:
    converter = make_converter()
    for member in enum_cls:
        assert converter.structure(member.value, enum_cls) is member
    newer: object = converter.structure("newer_than_this_sdk", enum_cls)
    assert newer == "newer_than_this_sdk"
    with pytest.raises(ValueError, match=r"expected a string \(\w+ value\), got null"):
        converter.structure(None, enum_cls)


def test_a_body_that_is_not_a_model_is_refused_by_its_type_name() -> None:
    with pytest.raises(TypeError, match=r"^expected an attrs model, got dict$"):
        unstructure_request({"phone_number": "+1"})


def test_the_traceback_of_a_bad_event_points_at_its_index() -> None:
    with pytest.raises(DecodeError) as info:
        structure_response(
            {"events": [{"type": "check"}, {"type": "check", "code": 1}]},
            _models.AuthenticationStatusResponse,
        )
    shown = "".join(traceback.format_exception(info.value))
    assert "@ index 1" in shown
