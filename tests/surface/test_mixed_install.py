"""`import ding` explains a package directory shared with ding-api-client.

`nox -s mixed-install` shows the same with the real distributions, installed
one over the other by pip; here a copy of the package gets the other SDK's
files, and a fresh interpreter imports it. The error's message, in this
process: tests/surface/test_mixed_install_error.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import ding
from ding._mixed_install import OTHER_SDK_FILES

PACKAGE = Path(ding.__file__).resolve().parent

IMPORT_AND_REPORT = textwrap.dedent(
    """
    import json
    try:
        import ding
    except ImportError as exc:
        print(json.dumps([type(exc).__name__, exc.name, str(exc)]))
    else:
        print(json.dumps(None))
    """
)


def import_copy(tmp_path: Path, *other_files: str) -> list[str] | None:
    """Import a copy of the package holding *other_files*; return the error."""
    copy = tmp_path / "ding"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for name in other_files:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_text("# a file of ding-api-client\n")
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", IMPORT_AND_REPORT],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: list[str] | None = json.loads(result.stdout.splitlines()[-1])
    return report


def test_this_project_has_none_of_the_other_sdks_files() -> None:
    for name in OTHER_SDK_FILES:
        assert not (PACKAGE / name).exists(), name


def test_the_import_checks_the_first_of_the_other_sdks_files() -> None:
    init = (PACKAGE / "__init__.py").read_text()
    assert f'"{OTHER_SDK_FILES[0]}"' in init


def test_a_clean_copy_imports(tmp_path: Path) -> None:
    assert import_copy(tmp_path) is None


def test_a_mixed_install_fails_to_import_with_the_fix(tmp_path: Path) -> None:
    report = import_copy(tmp_path, "sdkconfiguration.py", "sdk.py", "utils/utils.py")
    assert report is not None
    kind, name, message = report
    assert kind == "MixedInstallError"
    assert name == "ding"
    assert "ding-api-client" in message
    assert "sdkconfiguration.py, sdk.py, utils/utils.py" in message
    assert "-m pip uninstall -y ding-api-client ding\n" in message
    assert "-m pip install " in message
    assert "Migration" in message
