"""The model namespaces of the earlier generated SDKs, kept as import paths.

* `ding.models.shared`: the seed-era (Nov 2023) models, ``from ding.models
  import shared``.
* `ding.models.components`: the same models under the later official names.
* `ding.models.operations`: the operation results (``PostCheckResponse``,
  ``CheckResponse``, ...).
* `ding.models.errors`: the error ``Code`` enum and the exceptions.

All of them re-export the classes defined in `ding._schema._models` and
`ding._errors`; the same class is reachable under every name.
"""

import typing as _typing

from ding.models import shared

if _typing.TYPE_CHECKING:
    from ding.models import components, errors, operations

__all__ = ["components", "errors", "operations", "shared"]

# Only `shared` (``ding.shared``) is imported with the package; the other
# namespaces are imported on first access (PEP 562), or by an import
# statement naming them. Type checkers see the import above, not the hook.
_LAZY = frozenset({"components", "errors", "operations"})

if not _typing.TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        if name in _LAZY:
            import importlib  # noqa: PLC0415 - only for the deferred namespaces

            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
