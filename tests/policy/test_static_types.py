"""mypy and pyright, strict, accept the documented usage and flag the mistakes.

``tests/static_types/usage.py`` holds both: documented calls, and mistakes
each marked with a ``# type: ignore[...]``. Here both checkers run, with the
project's configuration, on that file (no error at all) and on a copy with
every ignore removed (an error on each marked line, and on no other).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
USAGE = ROOT / "tests" / "static_types" / "usage.py"
IGNORE = re.compile(r"\s*# type: ignore\[[a-z-]+\]$")

pytest.importorskip("mypy", reason="mypy is in the typing dependency group")
pytest.importorskip("pyright", reason="pyright is in the typing dependency group")


def marked_lines(text: str) -> set[int]:
    """Return the 1-based numbers of the lines that end in an ignore."""
    return {n for n, line in enumerate(text.splitlines(), 1) if IGNORE.search(line)}


@pytest.fixture(scope="module")
def unmarked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write the usage file without its ignores; return its path."""
    text = USAGE.read_text()
    assert len(marked_lines(text)) >= 10  # the file holds that many mistakes
    path = tmp_path_factory.mktemp("typing") / "usage_unmarked.py"
    path.write_text("\n".join(IGNORE.sub("", line) for line in text.splitlines()))
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and tools
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        # This checkout first, whatever copy of ding the environment holds.
        env={**os.environ, "MYPYPATH": str(ROOT), "PYTHONPATH": str(ROOT)},
        check=False,
    )


def error_lines(errors: list[tuple[str, int]], path: Path) -> set[int]:
    return {line for file, line in errors if Path(file).resolve() == path.resolve()}


def test_mypy(unmarked: Path) -> None:
    result = run(
        "mypy",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        # A cache of its own: the project's would replay the errors of a
        # module of the same name at an earlier temporary path.
        "--cache-dir",
        str(unmarked.parent / "mypy-cache"),
        str(USAGE),
        str(unmarked),
    )
    errors = [
        (m[1], int(m[2]))
        for m in re.finditer(r"^(.+?):(\d+): error:", result.stdout, re.MULTILINE)
    ]
    assert error_lines(errors, USAGE) == set(), result.stdout
    assert error_lines(errors, unmarked) == marked_lines(USAGE.read_text()), (
        result.stdout + result.stderr
    )


def test_pyright(unmarked: Path) -> None:
    result = run(
        "pyright",
        "--outputjson",
        # This interpreter's packages, whichever `python` is first on PATH.
        "--pythonpath",
        sys.executable,
        str(USAGE),
        str(unmarked),
    )
    report = json.loads(result.stdout)
    errors = [
        (d["file"], d["range"]["start"]["line"] + 1)
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert error_lines(errors, USAGE) == set(), result.stdout
    assert error_lines(errors, unmarked) == marked_lines(USAGE.read_text()), (
        result.stdout + result.stderr
    )
