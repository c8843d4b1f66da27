"""`Record`'s repr, equality and hash behave as the ones attrs generates."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import attrs
import pytest

from ding._pipeline import _retry
from ding._schema import _models
from ding._schema._records import MutableRecord, Record

NAN = float("nan")


def _mask(_: object) -> str:
    return "'***'"


# Each class twice: with attrs' generated methods, and with Record's.


@attrs.frozen(kw_only=True)
class GeneratedFrozen:
    a: Any = None
    b: Any = attrs.field(default=None, repr=_mask)
    c: Any = attrs.field(default=None, repr=False)
    d: Any = attrs.field(factory=dict[str, Any], hash=False)
    e: Any = attrs.field(default=None, eq=False)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RecordFrozen(Record):
    a: Any = None
    b: Any = attrs.field(default=None, repr=_mask)
    c: Any = attrs.field(default=None, repr=False)
    d: Any = attrs.field(factory=dict[str, Any], hash=False)
    e: Any = attrs.field(default=None, eq=False)


@attrs.frozen
class GeneratedOne:
    a: Any


@attrs.frozen(repr=False, eq=False)
class RecordOne(Record):
    a: Any


@attrs.define
class GeneratedMutable:
    a: Any
    b: Any = None


@attrs.define(repr=False, eq=False)
class RecordMutable(MutableRecord):
    a: Any
    b: Any = None


PAIRS = [
    (GeneratedFrozen, RecordFrozen),
    (GeneratedOne, RecordOne),
    (GeneratedMutable, RecordMutable),
]
VALUES = [None, 0, 1, False, NAN, "x", (1, 2), [1], {"k": [1]}]


def _name(cls: type[Any]) -> str:
    return cls.__name__.removeprefix("Generated").removeprefix("Record")


def _behaviour(cls: type[Any], value: object) -> list[object]:
    """Everything observable about repr, ==, != and hash for one value."""
    kwargs = {a.name: value for a in attrs.fields(cls) if a.name in ("a", "b", "c")}
    x, y = cls(**kwargs), cls(**kwargs)
    other = cls(**{**kwargs, "a": "different"})
    seen: list[object] = [
        repr(x).replace(cls.__name__, _name(cls)),
        x == x,  # noqa: PLR0124 - NaN makes this interesting
        x == y,
        x != y,
        x == other,
        x != other,
        x == 1,
        x.__eq__(1),
    ]
    for obj in (x, y):
        try:
            seen.append(hash(obj) == hash(x))
        except TypeError as exc:  # noqa: PERF203 - unhashable is a result too
            seen.append(str(exc).replace(cls.__name__, _name(cls)))
    return seen


@pytest.mark.parametrize(("generated", "record"), PAIRS)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_behaves_as_attrs(
    generated: type[Any], record: type[Any], value: object
) -> None:
    assert _behaviour(record, value) == _behaviour(generated, value)


def test_eq_ignores_eq_false_fields_and_hash_ignores_hash_false_fields() -> None:
    assert RecordFrozen(e=1) == RecordFrozen(e=2)
    assert RecordFrozen(d={"x": 1}) != RecordFrozen(d={"x": 2})
    assert hash(RecordFrozen(d={"x": 1})) == hash(RecordFrozen(d={"x": 2}))


def test_never_equal_to_another_class_with_the_same_fields() -> None:
    assert RecordOne(a=1) != GeneratedOne(a=1)
    assert _models.CreateCheckResponse() != _models.FeedbackResponse()


def test_a_recursive_repr_is_cut_short() -> None:
    data: dict[str, Any] = {}
    event = _models.UnknownEvent(data=data)
    data["self"] = event
    assert repr(event) == "UnknownEvent(type=None, created_at=None, data={'self': ...})"


def test_a_subclass_shows_its_own_name() -> None:
    class Child(_models.Check):
        pass

    assert repr(Child(id="x")).startswith("Child(id='x', ")
    assert Child(id="x") == Child(id="x")
    assert Child(id="x") != _models.Check(id="x")


@pytest.mark.parametrize(
    "obj",
    [
        _models.Security(api_key="secret"),
        _models.AuthenticationStatusResponse(
            signals=_models.Signals(ip="1.2.3.4"),
            events=(_models.Attempt(id="a"), _models.UnknownEvent(data={"x": 1})),
        ),
        _retry.RetryConfig(
            strategy="backoff",
            backoff=_retry.BackoffStrategy(1, 2, 3.0, 4),
            retry_connection_errors=True,
        ),
        _retry.RetryPolicy(max_retries=2),
    ],
    ids=lambda obj: type(obj).__name__,
)
def test_copies_and_pickles_compare_equal(obj: object) -> None:
    assert copy.copy(obj) == obj
    assert copy.deepcopy(obj) == obj
    assert pickle.loads(pickle.dumps(obj)) == obj  # noqa: S301 - our own bytes
    assert repr(pickle.loads(pickle.dumps(obj))) == repr(obj)  # noqa: S301


def test_the_api_key_stays_hidden() -> None:
    assert repr(_models.Security(api_key="secret")) == "Security(api_key='***')"
