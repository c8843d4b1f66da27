"""What ``import ding`` loads, and what it leaves for the first use that needs it.

Each check runs in a fresh interpreter, since this test process has long
imported everything. Nothing here measures time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import ding

ROOT = str(Path(ding.__file__).resolve().parents[1])

#: Modules a plain ``import ding`` must not import: the sync client and its
#: background event loop, the model namespaces kept for old import paths
#: (but ``ding.shared``), the fake server, the optional aiohttp transport,
#: and the event loops themselves.
NOT_IMPORTED = (
    "ding._sync",
    "ding._portal",
    "anyio.from_thread",
    "concurrent.futures",
    "ding.models.components",
    "ding.models.errors",
    "ding.models.operations",
    "ding.testing",
    "ding._aiohttp",
    "aiohttp",
    "asyncio",
    "trio",
)


def modules_after(code: str) -> set[str]:
    """Run *code* in a fresh interpreter; return the names in `sys.modules`."""
    script = textwrap.dedent(code) + (
        "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": ROOT},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_import_ding_leaves_the_sync_client_and_extras_alone() -> None:
    loaded = modules_after("import ding")
    assert sorted(loaded & set(NOT_IMPORTED)) == []


def test_the_sync_client_loads_on_first_access() -> None:
    loaded = modules_after(
        """
        import ding
        assert ding.Ding.__module__ == "ding._sync"
        """
    )
    assert {"ding._sync", "ding._portal"} <= loaded


def test_from_ding_import_the_sync_names() -> None:
    loaded = modules_after(
        """
        from ding import Ding, Lookup, Otp
        import ding._sync
        assert (Ding, Lookup, Otp) == (
            ding._sync.Ding, ding._sync.Lookup, ding._sync.Otp
        )
        """
    )
    assert "ding._portal" in loaded


def test_the_model_namespaces_load_on_first_access() -> None:
    loaded = modules_after(
        """
        import ding
        assert ding.models.components.Attempt is ding._models.Attempt
        assert ding.models.errors.Code is ding._models.Code
        assert ding.models.operations.CheckResponse is ding._models.PostCheckResponse
        """
    )
    assert {"ding.models.components", "ding.models.operations"} <= loaded


def test_dir_lists_every_exported_name_before_first_access() -> None:
    modules_after(
        """
        import ding, ding.models
        for module in (ding, ding.models):
            names = dir(module)
            assert set(module.__all__) <= set(names), module
            assert names == sorted(names)
        """
    )


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    modules_after(
        """
        import ding
        try:
            ding.NoSuchName
        except AttributeError as exc:
            assert "NoSuchName" in str(exc)
        else:
            raise AssertionError("no AttributeError")
        """
    )
