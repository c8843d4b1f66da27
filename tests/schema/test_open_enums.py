"""Open enum fields: ``SomeEnum | UnknownValue | None``, built by hand or decoded.

A known value is the member, a value newer than this SDK a plain ``str`` (an
`UnknownValue` to type checkers), a missing key None; whether the response
was decoded or built by hand.
"""

from __future__ import annotations

import enum
import typing
from typing import Any

import attrs
import httpx
import pytest

import ding
from ding._schema import _models
from ding._schema._converter import structure_response
from ding._schema._models import Code

#: Every response field typed ``SomeEnum | UnknownValue | None``.
OPEN_FIELDS: list[tuple[type[Any], str, type[enum.Enum]]] = [
    (cls, field.name, arg)
    for cls in vars(_models).values()
    if isinstance(cls, type) and attrs.has(cls)
    for field in attrs.fields(cls)
    if ding.UnknownValue in typing.get_args(field.type)
    for arg in typing.get_args(field.type)
    if isinstance(arg, type) and issubclass(arg, enum.Enum)
]


def test_every_response_enum_field_is_open() -> None:
    assert len(OPEN_FIELDS) == 15
    with_str = {
        (cls.__name__, field.name)
        for cls in vars(_models).values()
        if isinstance(cls, type) and attrs.has(cls)
        for field in attrs.fields(cls)
        if str in typing.get_args(field.type)
        and any(
            isinstance(arg, type) and issubclass(arg, enum.Enum)
            for arg in typing.get_args(field.type)
        )
    }
    # Only the request side takes ``SomeEnum | str`` (a Literal when checked).
    assert with_str == {
        ("CreateAuthenticationRequest", "device_type"),
        ("FeedbackRequest", "status"),
    }


@pytest.mark.parametrize(
    ("cls", "name", "enum_cls"),
    OPEN_FIELDS,
    ids=[f"{c.__name__}.{n}" for c, n, _ in OPEN_FIELDS],
)
def test_hand_built_and_decoded_alike(
    cls: type[Any], name: str, enum_cls: type[enum.Enum]
) -> None:
    for member in enum_cls:
        built = getattr(cls(**{name: member.value}), name)
        decoded = getattr(structure_response({name: member.value}, cls), name)
        assert built is member
        assert decoded is member
        assert getattr(cls(**{name: member}), name) is member
    built_unknown = getattr(cls(**{name: "brand_new_value"}), name)
    decoded_unknown = getattr(structure_response({name: "brand_new_value"}, cls), name)
    for unknown in (built_unknown, decoded_unknown):
        assert type(unknown) is str
        assert unknown == "brand_new_value"
    assert (
        getattr(structure_response({}, cls), name)
        == attrs.fields_dict(cls)[name].default
    )


def test_the_accessors_keep_an_unknown_status() -> None:
    res = _models.PostCheckResponse(
        content_type="application/json",
        status_code=200,
        create_check_response=_models.CreateCheckResponse(status="valid"),
    )
    assert res.status is _models.CheckStatus.VALID
    newer = _models.CreateCheckResponse(status="needs_review")
    status = _models.PostCheckResponse(
        content_type="application/json", status_code=200, create_check_response=newer
    ).status
    assert not isinstance(status, _models.CheckStatus)
    assert status == "needs_review"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("invalid_phone_number", Code.INVALID_PHONE_NUMBER),
        (Code.BLOCKED_NUMBER, Code.BLOCKED_NUMBER),
        ("a_code_from_next_year", "a_code_from_next_year"),
        (None, None),
    ],
)
def test_an_error_code_is_open_too(given: str | None, expected: object) -> None:
    error = ding.ErrorResponse(
        code=given,
        message="m",
        doc_url=None,
        raw_response=httpx.Response(
            400, request=httpx.Request("POST", "https://x.test")
        ),
    )
    assert error.code == expected
    assert type(error.code) is type(expected)
