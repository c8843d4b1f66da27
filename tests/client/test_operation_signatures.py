"""Each operation's keyword arguments are exactly its request model's fields.

`create_authentication(phone_number=..., ...)` builds a
`CreateAuthenticationRequest` from its keywords, so a field added to a model
without a keyword (or a keyword without a field) is a gap in the API. The
generated sync client must have the same keywords.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import attrs
import pytest

import ding
from ding.models import shared

if TYPE_CHECKING:
    from collections.abc import Callable

# Keyword-only parameters of every operation that are not part of the request.
PER_CALL = ("timeout", "extra_headers")

OPERATIONS: list[tuple[str, type[attrs.AttrsInstance]]] = [
    ("create_authentication", shared.CreateAuthenticationRequest),
    ("check", shared.CreateCheckRequest),
    ("retry", shared.RetryAuthenticationRequest),
    ("feedback", shared.FeedbackRequest),
]
CLIENTS = [ding.AsyncOtp, ding.Otp]


def request_keywords(method: Callable[..., Any]) -> list[str]:
    return [
        name
        for name, parameter in inspect.signature(method).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name not in PER_CALL
    ]


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("operation", "model"), OPERATIONS, ids=[name for name, _ in OPERATIONS]
)
def test_keywords_are_the_request_fields(
    client: type, operation: str, model: type[attrs.AttrsInstance]
) -> None:
    keywords = request_keywords(getattr(client, operation))
    fields = [field.name for field in attrs.fields(model)]
    assert set(fields) - set(keywords) == set(), "fields without a keyword"
    assert set(keywords) - set(fields) == set(), "keywords without a field"
    assert keywords == fields, "keywords are not in the model's field order"


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("operation", "model"), OPERATIONS, ids=[name for name, _ in OPERATIONS]
)
def test_request_first_then_keywords_that_default_to_none(
    client: type, operation: str, model: type[attrs.AttrsInstance]
) -> None:
    parameters = inspect.signature(getattr(client, operation)).parameters
    names = list(parameters)
    assert names[:2] == ["self", "request"]
    assert parameters["request"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert model.__name__ in str(parameters["request"].annotation)
    assert names[-2:] == list(PER_CALL)
    for name in request_keywords(getattr(client, operation)):
        assert parameters[name].default is None, name
