"""The single cattrs converter between the models and JSON-ready values.

Shaped like cattrs' ``preconf`` modules: `configure_converter` installs the
hooks on any `cattrs.Converter`, `make_converter` builds a configured one, and
`converter()` returns the instance the SDK uses, built on first use. This module owns the whole boundary
between bytes and models; the HTTP layer calls:

* `encode_request`: a request model to the JSON bytes of a request body;
  `None` fields are omitted (``False`` and ``0`` are kept), enum members
  become their values, datetimes become RFC 3339 strings (the dict form is
  `unstructure_request`).
* `decode_response`: the bytes and content type of an answer to a response
  model. The content type must be JSON, the JSON no deeper than
  `MAX_JSON_DEPTH`, and the value of the model's shape (`structure_response`):
  unknown keys are ignored, unknown enum values are kept as plain strings,
  timestamps are parsed leniently (see `parse_timestamp`), events are
  dispatched on their ``type`` (unknown types become `UnknownEvent`), and
  any other mismatch raises `DecodeError` naming the JSON path.
* `decode_error_body`: the body of a 400 answer to an `ErrorResponseBody`,
  leniently: a field of the wrong type is dropped, not an error.

Decoding is strict about JSON types: a boolean is not an integer, an object
is not a string, and nothing is coerced except an integer where a number is
due.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import functools
import json
import types
import typing
from typing import Any, Final, TypeVar

import attrs
import cattrs
from attrs import AttrsInstance
from cattrs.errors import (
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn
from cattrs.v import transform_error

from ding._lazy import lazy_module
from ding._schema._timestamps import format_timestamp, parse_timestamp

if typing.TYPE_CHECKING:
    from collections.abc import Callable

    from ding._schema import _models
else:
    _models = lazy_module("ding._schema._models")

__all__ = [
    "MAX_JSON_DEPTH",
    "DecodeError",
    "configure_converter",
    "converter",
    "decode_error_body",
    "decode_response",
    "encode_request",
    "format_timestamp",
    "is_json",
    "loads",
    "make_converter",
    "parse_timestamp",
    "structure_response",
    "unstructure_request",
]

T = TypeVar("T")
_AttrsT = TypeVar("_AttrsT", bound=AttrsInstance)

_StructureHook = typing.Callable[[Any, Any], Any]
_UnstructureHook = typing.Callable[[Any], Any]

_MAX_SHOWN: Final = 60
#: The deepest JSON nesting read; no Ding answer comes near it.
MAX_JSON_DEPTH: Final = 64
_QUOTE, _BACKSLASH = b'"'[0], b"\\"[0]
_OPENERS, _CLOSERS = frozenset(b"[{"), frozenset(b"]}")


class DecodeError(ValueError):
    """Bytes that cannot become the model they should decode into.

    Raised for a content type that is not JSON, invalid or absurdly nested
    JSON, and a JSON value without the shape of the model. For a wrong shape
    the message names every offending JSON path (``$`` is the top-level
    value) and what is wrong there. The underlying exception is chained as
    ``__cause__``.

    Attributes:
        errors: One ``"<problem> @ <path>"`` string per problem found.
    """

    def __init__(self, message: str, *, errors: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors


class _InvalidValueError(ValueError):
    """A decoding problem whose message is already meant for humans."""


# --------------------------------------------------------------------------
# Structure hooks for simple types
# --------------------------------------------------------------------------


_JSON_TYPES: Final[tuple[tuple[type[Any], str], ...]] = (
    (bool, "boolean"),
    (int, "number"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


def _json_type(value: object) -> str:
    """Name the JSON type of a parsed value, for error messages."""
    if value is None:
        return "null"
    for cls, name in _JSON_TYPES:
        if isinstance(value, cls):
            return name
    return type(value).__name__


def _shown(text: str) -> str:
    """Quote a value for a message, shortened."""
    if len(text) > _MAX_SHOWN:
        text = text[:_MAX_SHOWN] + "..."
    return repr(text)


def _structure_str(value: object, _: object) -> str:
    if isinstance(value, str):
        return value
    raise _InvalidValueError(f"expected a string, got {_json_type(value)}")


def _structure_int(value: object, _: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _InvalidValueError(f"expected an integer, got {_json_type(value)}")


def _structure_float(value: object, _: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise _InvalidValueError("number out of range") from None
    raise _InvalidValueError(f"expected a number, got {_json_type(value)}")


def _structure_bool(value: object, _: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _InvalidValueError(f"expected a boolean, got {_json_type(value)}")


def _structure_datetime(value: object, _: object) -> dt.datetime:
    if not isinstance(value, str):
        raise _InvalidValueError(
            f"expected an RFC 3339 timestamp string, got {_json_type(value)}"
        )
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise _InvalidValueError(f"invalid timestamp {_shown(value)}: {exc}") from exc


# --------------------------------------------------------------------------
# Open enums: ``SomeEnum | UnknownValue | None`` (or ``str`` for UnknownValue)
# --------------------------------------------------------------------------


def _is_union(tp: object) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _open_enum_of(tp: object) -> type[enum.Enum] | None:
    """Return ``E`` when ``tp`` is ``E | S`` or ``E | S | None``, S `str` or UnknownValue."""
    if not _is_union(tp):
        return None
    rest = [a for a in typing.get_args(tp) if a is not types.NoneType]
    strs = [a for a in rest if getattr(a, "__supertype__", a) is str]
    if len(rest) != 2 or len(strs) != 1:  # noqa: PLR2004
        return None
    other = rest[0] if rest[1] is strs[0] else rest[1]
    if isinstance(other, type) and issubclass(other, enum.Enum):
        return other
    return None


def _make_open_enum_hook(
    enum_cls: type[enum.Enum], *, nullable: bool
) -> _StructureHook:
    members: dict[str, enum.Enum] = {str(m.value): m for m in enum_cls}
    name = enum_cls.__name__

    def structure_open_enum(value: object, _: object) -> enum.Enum | str | None:
        if isinstance(value, str):
            return members.get(value, value)
        if value is None and nullable:
            return None
        raise _InvalidValueError(
            f"expected a string ({name} value), got {_json_type(value)}"
        )

    return structure_open_enum


def _open_enum_factory(tp: Any) -> _StructureHook:  # noqa: ANN401
    enum_cls = _open_enum_of(tp)
    if enum_cls is None:  # pragma: no cover - guarded by the predicate
        raise TypeError(f"not an open enum: {tp!r}")
    return _make_open_enum_hook(
        enum_cls, nullable=types.NoneType in typing.get_args(tp)
    )


def _enum_value(member: enum.Enum) -> object:
    return member.value


# --------------------------------------------------------------------------
# Homogeneous tuples (JSON arrays)
# --------------------------------------------------------------------------


def _is_homogeneous_tuple(tp: object) -> bool:
    args = typing.get_args(tp)
    return (
        typing.get_origin(tp) is tuple
        and len(args) == 2  # noqa: PLR2004
        and args[1] is Ellipsis
    )


def _make_tuple_structure_factory(
    converter: cattrs.Converter,
) -> Callable[[Any], _StructureHook]:
    def factory(tp: Any) -> _StructureHook:  # noqa: ANN401
        item_type = typing.get_args(tp)[0]
        item_hook = converter.get_structure_hook(item_type)

        def structure_tuple(value: object, _: object) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise _InvalidValueError(f"expected an array, got {_json_type(value)}")
            items = typing.cast("list[object]", value)
            result: list[Any] = []
            errors: list[Exception] = []
            for index, item in enumerate(items):
                try:
                    result.append(item_hook(item, item_type))
                except Exception as exc:  # noqa: BLE001, PERF203 - re-raised below
                    note = IterableValidationNote(
                        f"Structuring {tp!r} @ index {index}", index, item_type
                    )
                    notes = [*getattr(exc, "__notes__", ()), note]
                    typing.cast("Any", exc).__notes__ = notes
                    errors.append(exc)
            if errors:
                raise IterableValidationError(
                    f"While structuring {tp!r}", errors, tuple
                )
            return tuple(result)

        return structure_tuple

    return factory


def _unstructure_tuple_factory(converter: cattrs.Converter) -> _UnstructureHook:
    def unstructure_tuple(value: tuple[Any, ...]) -> list[Any]:
        return [converter.unstructure(item) for item in value]

    return unstructure_tuple


# --------------------------------------------------------------------------
# attrs classes (JSON objects)
# --------------------------------------------------------------------------


def _make_attrs_structure_factory(
    converter: cattrs.Converter,
) -> Callable[[Any], _StructureHook]:
    def factory(cls: type[Any]) -> _StructureHook:
        generated = make_dict_structure_fn(cls, converter)
        name = cls.__name__

        def structure_object(value: object, _: object) -> object:
            if not isinstance(value, dict):
                raise _InvalidValueError(
                    f"expected an object ({name}), got {_json_type(value)}"
                )
            return generated(typing.cast("dict[str, Any]", value), cls)

        return structure_object

    return factory


def _make_attrs_unstructure_factory(
    converter: cattrs.Converter,
) -> Callable[[Any], _UnstructureHook]:
    def factory(cls: type[Any]) -> _UnstructureHook:
        generated = make_dict_unstructure_fn(cls, converter)

        def unstructure_object(value: object) -> dict[str, Any]:
            return {k: v for k, v in generated(value).items() if v is not None}

        return unstructure_object

    return factory


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------


def _event_classes() -> dict[str, type[Any]]:
    return {
        _models.EventType.ATTEMPT.value: _models.Attempt,
        _models.EventType.CHECK.value: _models.Check,
        _models.EventType.DELIVERY_STATUS.value: _models.DeliveryStatus,
        _models.EventType.BALANCE_UPDATE.value: _models.BalanceUpdate,
    }


def _structure_unknown_event(value: object, _: object) -> _models.UnknownEvent:
    if not isinstance(value, dict):
        raise _InvalidValueError(f"expected an object (event), got {_json_type(value)}")
    data = dict(typing.cast("dict[str, Any]", value))
    event_type = data.get("type")
    if event_type is not None and not isinstance(event_type, str):
        raise _InvalidValueError(
            f"expected a string event type, got {_json_type(event_type)}"
        )
    raw_created_at = data.get("created_at")
    created_at = None
    if raw_created_at is not None:
        # An event the SDK does not know is kept whole: a timestamp it cannot
        # read stays in `data` instead of failing the response.
        with contextlib.suppress(_InvalidValueError):
            created_at = _structure_datetime(raw_created_at, dt.datetime)
    return _models.UnknownEvent(type=event_type, created_at=created_at, data=data)


def _unstructure_unknown_event(event: _models.UnknownEvent) -> dict[str, Any]:
    result = dict(event.data)
    if event.type is not None:
        result["type"] = event.type
    if event.created_at is not None:
        raw = result.get("created_at")
        try:
            same = isinstance(raw, str) and parse_timestamp(raw) == event.created_at
        except ValueError:
            same = False
        if not same:
            result["created_at"] = format_timestamp(event.created_at)
    return result


def _event_type_of(value: object) -> object:
    if isinstance(value, dict):
        return typing.cast("dict[str, Any]", value).get("type")
    return None


def _is_event_union(tp: object) -> bool:
    return _is_union(tp) and tp == _models.Event


def _make_event_structure_factory(
    converter: cattrs.Converter,
) -> Callable[[Any], _StructureHook]:
    def factory(_: Any) -> _StructureHook:  # noqa: ANN401
        hooks = {
            event_type: (converter.get_structure_hook(cls), cls)
            for event_type, cls in _event_classes().items()
        }

        def structure_event(value: object, _: object) -> object:
            event_type = _event_type_of(value)
            if isinstance(event_type, str) and event_type in hooks:
                hook, cls = hooks[event_type]
                return hook(value, cls)
            return _structure_unknown_event(value, _models.UnknownEvent)

        return structure_event

    return factory


# --------------------------------------------------------------------------
# The converter
# --------------------------------------------------------------------------


def configure_converter(converter: cattrs.Converter) -> None:
    """Install the SDK's JSON hooks on a converter.

    Args:
        converter: The converter to configure. For readable errors it should
            have ``detailed_validation`` on (the default).
    """
    # Simple types first.
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(dt.datetime, _structure_datetime)
    converter.register_unstructure_hook(dt.datetime, format_timestamp)
    enums: tuple[type[enum.Enum], ...] = (
        _models.AttemptStatus,
        _models.BalanceUpdateType,
        _models.Capability,
        _models.CheckStatus,
        _models.Code,
        _models.DeliveryStatusStatus,
        _models.DeviceType,
        _models.EventType,
        _models.FeedbackRequestStatus,
        _models.LineType,
        _models.LookupType,
        _models.RetryAuthenticationResponseStatus,
        _models.SignalsDeviceType,
        _models.Status,
    )
    for enum_cls in enums:
        converter.register_structure_hook(
            enum_cls, _make_open_enum_hook(enum_cls, nullable=False)
        )
        converter.register_unstructure_hook(enum_cls, _enum_value)

    # Then unions and containers.
    converter.register_structure_hook_factory(
        lambda tp: _open_enum_of(tp) is not None, _open_enum_factory
    )
    converter.register_structure_hook_factory(
        _is_homogeneous_tuple, _make_tuple_structure_factory(converter)
    )
    converter.register_unstructure_hook_func(
        _is_homogeneous_tuple, _unstructure_tuple_factory(converter)
    )

    # Then classes.
    converter.register_structure_hook_factory(
        attrs.has, _make_attrs_structure_factory(converter)
    )
    converter.register_unstructure_hook_factory(
        attrs.has, _make_attrs_unstructure_factory(converter)
    )
    converter.register_structure_hook(_models.UnknownEvent, _structure_unknown_event)
    converter.register_unstructure_hook(
        _models.UnknownEvent, _unstructure_unknown_event
    )
    converter.register_structure_hook_factory(
        _is_event_union, _make_event_structure_factory(converter)
    )


def make_converter() -> cattrs.Converter:
    """Build a new converter configured for the Ding models.

    Returns:
        A `cattrs.Converter` with detailed validation, ignoring unknown keys.
    """
    converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
    configure_converter(converter)
    return converter


@functools.cache
def converter() -> cattrs.Converter:
    """Return the converter the SDK uses, built on first use."""
    return make_converter()


def warm() -> None:
    """Build the converter, and the hooks of every operation's models.

    cattrs writes and compiles a function per model on its first use, about
    a millisecond each: `ding._transport._pool` has this done off the event
    loop before the first call.
    """
    built = converter()
    for request in (
        _models.CreateAuthenticationRequest,
        _models.CreateCheckRequest,
        _models.RetryAuthenticationRequest,
        _models.FeedbackRequest,
        _models.LookupRequest,
    ):
        built.get_unstructure_hook(request)
    for response in (
        _models.CreateAuthenticationResponse,
        _models.CreateCheckResponse,
        _models.RetryAuthenticationResponse,
        _models.AuthenticationStatusResponse,
        _models.FeedbackResponse,
        _models.LookupResponse,
    ):
        built.get_structure_hook(response)


def _format_exception(exc: BaseException, _: object) -> str:
    if isinstance(exc, _InvalidValueError):
        return str(exc)
    if isinstance(exc, KeyError):
        return "required field missing"
    return f"invalid value ({type(exc).__name__}: {exc})"


def unstructure_request(model: object) -> dict[str, Any]:
    """Turn a model into a JSON-ready dict for a request body.

    Fields that are `None` are left out; ``False`` and ``0`` are kept. Enum
    members become their values and datetimes RFC 3339 strings.

    Args:
        model: An instance of one of the attrs models (typed `object` so the
            HTTP layer can pass any body; anything else raises).

    Returns:
        A dict that `json.dumps` accepts.

    Raises:
        TypeError: ``model`` is not an attrs model instance.
    """
    if not attrs.has(type(model)):
        raise TypeError(f"expected an attrs model, got {type(model).__name__}")
    result = converter().unstructure(model)
    return typing.cast("dict[str, Any]", result)


def structure_response(data: object, cls: type[T]) -> T:
    """Decode a parsed JSON value into a model.

    Args:
        data: The value `json.loads` returned.
        cls: The model class to build.

    Returns:
        An instance of ``cls``.

    Raises:
        DecodeError: ``data`` does not have the shape of ``cls``. No other
            exception escapes.
    """
    try:
        return converter().structure(data, cls)
    except Exception as exc:
        try:
            errors = tuple(transform_error(exc, "$", _format_exception))
        except Exception:  # noqa: BLE001 - never mask the original problem
            errors = (f"{type(exc).__name__}: {exc} @ $",)
        name = getattr(cls, "__name__", repr(cls))
        message = f"cannot decode {name}: " + "; ".join(errors)
        raise DecodeError(message, errors=errors) from exc


# What json.dumps(..., allow_nan=False) builds on every call, built once.
_ENCODER: Final = json.JSONEncoder(allow_nan=False)


def encode_request(model: object) -> bytes:
    """Return the JSON bytes of a request body for *model*.

    Args:
        model: An instance of one of the attrs models.

    Returns:
        Compact UTF-8 JSON, as `unstructure_request` shapes it.

    Raises:
        TypeError: ``model`` is not an attrs model, or holds a value JSON
            cannot represent.
        ValueError: ``model`` holds a float that is not finite.
    """
    return _ENCODER.encode(unstructure_request(model)).encode()


def is_json(content_type: str) -> bool:
    """Whether a ``Content-Type`` value is JSON (``application/json`` or ``+json``)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _nesting_depth(content: bytes) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for byte in content:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif byte in _CLOSERS:
            depth -= 1
    return deepest


def _parse_json(content: bytes) -> object:
    # A RecursionError inside the C parser is recoverable but has been seen to
    # upset the interpreter afterwards, so it is never provoked: a body with
    # more brackets than any Ding answer has is measured first.
    if (
        content.count(b"[") + content.count(b"{") > MAX_JSON_DEPTH
        and _nesting_depth(content) > MAX_JSON_DEPTH
    ):
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return json.loads(content)


def loads(content: bytes) -> object:
    """Parse JSON bytes, refusing nesting deeper than `MAX_JSON_DEPTH`.

    Args:
        content: The body.

    Returns:
        The parsed value.

    Raises:
        DecodeError: The bytes are not UTF-8 JSON, or nest too deep; the
            parser's exception is the ``__cause__``.
    """
    try:
        return _parse_json(content)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError included
        raise DecodeError("response body is not valid JSON") from exc


def decode_response(content: bytes, content_type: str, cls: type[T]) -> T:
    """Decode the body of an answer into a response model.

    Args:
        content: The body.
        content_type: The answer's ``Content-Type`` ("" when absent).
        cls: The model class to build.

    Returns:
        An instance of ``cls``.

    Raises:
        DecodeError: The content type is not JSON, the body is not valid
            JSON, or the JSON does not have the shape of ``cls``.
    """
    if not is_json(content_type):
        raise DecodeError(f"unknown content-type received: {content_type}")
    data = loads(content)
    try:
        return structure_response(data, cls)
    except DecodeError as exc:
        raise DecodeError(
            f"response body does not match {cls.__name__}: {exc}", errors=exc.errors
        ) from exc


def _make_lenient_structure(
    cls: type[_AttrsT],
) -> Callable[[dict[str, Any]], _AttrsT]:
    """Build a structure function for *cls* that drops ill-typed fields."""
    hints = typing.get_type_hints(cls)
    fields = [
        (a.name, hints[a.name], converter().get_structure_hook(hints[a.name]))
        for a in attrs.fields(cls)
    ]

    def structure_lenient(data: dict[str, Any]) -> _AttrsT:
        values: dict[str, Any] = {}
        for name, tp, hook in fields:
            if name in data:
                # _InvalidValueError and the like: the field is left unset.
                with contextlib.suppress(ValueError):
                    values[name] = hook(data[name], tp)
        return cls(**values)

    return structure_lenient


@functools.cache
def _structure_error_body() -> Callable[[dict[str, Any]], _models.ErrorResponseBody]:
    # Built on the first error answer: most processes never see one.
    return _make_lenient_structure(_models.ErrorResponseBody)


def decode_error_body(content: bytes) -> _models.ErrorResponseBody | None:
    """Read the body of a 400 answer as a Ding error body, leniently.

    An error answer is read for what it can tell: a field of the wrong type
    is left unset rather than failing the whole body.

    Args:
        content: The body (the caller has checked the content type).

    Returns:
        The error body, or None when the bytes are not a JSON object.
    """
    try:
        data = loads(content)
    except DecodeError:
        return None
    if not isinstance(data, dict):
        return None
    return _structure_error_body()(typing.cast("dict[str, Any]", data))
