"""Run-time checks of what a caller passes to an operation, before sending.

Type annotations are not enforced at run time, and the JSON encoder would
send ``phone_number=123`` or ``is_returning_user="yes"`` as they are; a path
argument could change the path it is sent to. These checks raise
`ding.UsageError` naming the argument, never echoing its value (a phone
number or a code).
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from typing import cast
from urllib.parse import quote

import attrs
from attrs import AttrsInstance

from ding._errors import UsageError

__all__ = ["check_field_types", "path_segment"]


def check_field_types(model: AttrsInstance) -> None:
    """Check every field of a request model against its annotation.

    attrs does not check types at run time, and the JSON encoder would send
    ``phone_number=123`` or ``is_returning_user="yes"`` as they are, for the
    API to refuse or, worse, to read differently.

    Raises:
        UsageError: A field holds a value of another type; the message names
            the field and the types, never the value (a phone number or a
            code).
    """
    for name, allowed, wanted in _field_types(type(model)):
        value: object = getattr(model, name)
        if not isinstance(value, allowed):
            raise UsageError(
                f"{type(model).__name__}.{name} must be {wanted}, "
                f"not {type(value).__name__}"
            )
        if attrs.has(type(value)):
            check_field_types(cast("AttrsInstance", value))


@functools.cache
def _field_types(cls: type) -> tuple[tuple[str, tuple[type, ...], str], ...]:
    """Return (field, accepted types, their description) for *cls*, once."""
    hints = typing.get_type_hints(cls)
    plan: list[tuple[str, tuple[type, ...], str]] = []
    for field in attrs.fields(cls):
        hint: object = hints[field.name]
        union = (
            isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
        )
        allowed = cast("tuple[type, ...]", typing.get_args(hint) if union else (hint,))
        plan.append((str(field.name), allowed, _describe(allowed)))
    return tuple(plan)


def _describe(allowed: tuple[type, ...]) -> str:
    words: list[str] = []
    for kind in allowed:
        if kind is str:
            words.append("a string")
        elif kind is bool:
            words.extend(("True", "False"))
        elif kind is type(None):
            words.append("None")
        elif issubclass(kind, enum.Enum) and str in allowed:
            continue  # an open enum: any string goes, the member is one
        else:
            words.append(f"a {kind.__name__}")
    return " or ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def path_segment(name: str, value: object) -> str:
    if not isinstance(value, str) or not value or value in {".", ".."}:
        raise UsageError(f"{name} must be a non-empty string other than '.' and '..'")
    # Percent-encode everything, '+' and '/' included, so a value can never
    # change the path it is sent to.
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:
        raise UsageError(f"{name} is not valid text (lone surrogate)") from None
