"""A module imported on the first use of one of its names.

``import ding`` does not build the data model (`ding._schema._models`, about
half of the package's own import time): nothing needs a model class before the
first call. Modules that use model classes at run time reach them through
`lazy_module`, and import the real module for type checkers only::

    if TYPE_CHECKING:
        from ding._schema import _models
    else:
        _models = lazy_module("ding._schema._models")
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule:
    """Stands in for a module; imports it on the first attribute read.

    Each name read is copied onto the stand-in, so later reads are plain
    attribute reads. The import itself is the interpreter's, under its
    per-module lock: threads that race for the first read all see the
    module fully executed.
    """

    def __init__(self, name: str) -> None:
        self.__name = name

    def __getattr__(self, attribute: str) -> Any:  # noqa: ANN401 - any module attribute
        value = getattr(importlib.import_module(self.__name), attribute)
        setattr(self, attribute, value)
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self.__name!r}>"


_MODULES: dict[str, _LazyModule] = {}


def lazy_module(name: str) -> Any:  # noqa: ANN401 - typed by the caller's TYPE_CHECKING import
    """Return a stand-in for module *name* that imports it on first use."""
    return _MODULES.setdefault(name, _LazyModule(name))
