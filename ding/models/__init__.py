"""The model namespaces of the earlier generated SDKs, kept as import paths.

* `ding.models.shared`: the seed-era (Nov 2023) models, ``from ding.models
  import shared``.
* `ding.models.components`: the same models under the later official names.
* `ding.models.operations`: the operation results (``PostCheckResponse``,
  ``CheckResponse``, ...).
* `ding.models.errors`: the error ``Code`` enum and the exceptions.

All of them re-export the classes defined in `ding._models` and
`ding._errors`; the same class is reachable under every name.
"""

from ding.models import components, errors, operations, shared

__all__ = ["components", "errors", "operations", "shared"]
