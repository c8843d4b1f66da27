"""Import one of the repository's scripts (scripts/*.py) as a module, for its tests."""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType


def load_script(path: Path) -> ModuleType:
    """Import *path* under its file name, registered in ``sys.modules``.

    Registered before it runs: dataclasses look their module up by name
    while a class is made.
    """
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module
