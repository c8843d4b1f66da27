"""A test's Python program run in a child process, with this checkout importable."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)


def run_script(
    code: str, *args: str, timeout: float = 30, all_warnings: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run *code* (dedented) with *args* as its ``sys.argv[1:]``; capture its output.

    With *all_warnings*, every warning is shown (``-W always``: the
    `ResourceWarning`\\ s Python hides by default included).
    """
    flags = ["-W", "always"] if all_warnings else []
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, *flags, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": ROOT},
        check=False,
    )
