"""One ``__repr__``, ``__eq__`` and ``__hash__`` for the SDK's attrs classes.

attrs compiles these three methods for every class it decorates, which was
about half of what building the models cost at ``import ding``. The models are
decorated with ``repr=False, eq=False`` and inherit them from `Record`
(or `MutableRecord`, for a mutable class) instead; they behave like the ones
attrs generates:

* ``repr``: ``ClassName(field=value, ...)`` in field order, leaving out fields
  with ``repr=False`` and formatting a field with ``repr=<callable>`` by that
  callable; an instance met again while it is being shown is ``...``.
* ``==``: only between instances of the very same class (anything else is
  `NotImplemented`), comparing the fields with ``eq=True`` one by one with
  ``==`` and stopping at the first that differs (so, as in attrs, a field
  holding NaN makes an instance unequal even to itself).
* ``hash``: the hash of the class and the fields with ``hash=True`` (or
  ``hash=None`` and ``eq=True``), so equal instances hash equal; a
  `MutableRecord` is unhashable.

What each class needs is worked out from `attrs.fields` on first use.
"""

from __future__ import annotations

import operator
import threading
from typing import TYPE_CHECKING, Any, Final

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MutableRecord", "Record"]


class _Plan:
    """The fields one class shows, compares and hashes."""

    __slots__ = ("eq", "hash", "name", "shown")

    def __init__(self, cls: type[Any]) -> None:
        fields = attrs.fields(cls)
        if any(a.eq_key is not None for a in fields):  # pragma: no cover
            raise TypeError(f"{cls.__name__}: eq_key is not supported")
        self.name: str = cls.__qualname__.rsplit(">.", 1)[-1]
        self.shown: tuple[tuple[str, Callable[[Any], str]], ...] = tuple(
            (a.name, repr if a.repr is True else a.repr) for a in fields if a.repr
        )
        self.eq: tuple[str, ...] = tuple(a.name for a in fields if a.eq)
        self.hash = _getter(
            tuple(
                a.name
                for a in fields
                if a.hash is True or (a.hash is None and a.eq is True)
            )
        )


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """Return a function giving the tuple of these attributes of an object."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        (name,) = names
        return lambda obj: (getattr(obj, name),)
    return lambda _: ()


_PLANS: Final[dict[type[Any], _Plan]] = {}
_REPRING: Final = threading.local()


def _plan(cls: type[Any]) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _Plan(cls)
    return plan


class Record:
    """The base of the attrs models: shared repr, equality and hash."""

    __slots__ = ()

    def __repr__(self) -> str:
        showing: set[int]
        try:
            showing = _REPRING.showing
        except AttributeError:
            showing = _REPRING.showing = set[int]()
        key = id(self)
        if key in showing:
            return "..."
        showing.add(key)
        try:
            plan = _plan(self.__class__)
            shown = ", ".join(
                f"{n}={r(getattr(self, n, attrs.NOTHING))}" for n, r in plan.shown
            )
            return f"{plan.name}({shown})"
        finally:
            showing.discard(key)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        result: object = True
        for name in _plan(self.__class__).eq:
            # `a == b and c == d`, as attrs writes it: the first falsy result.
            result = getattr(self, name) == getattr(other, name)
            if not result:
                break
        return result  # type: ignore[return-value]

    def __hash__(self) -> int:
        cls = self.__class__
        return hash((cls, *_plan(cls).hash(self)))


class MutableRecord(Record):
    """The base of mutable attrs classes: `Record`'s repr and equality, no hash.

    As attrs makes a mutable class with equality, instances are unhashable.
    """

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]
