"""`nox` on a machine with one Python runs every session it can, and says what it skips.

Each test runs nox (`--list`, or a session whose interpreter is missing, which
stops before creating anything) in a fresh process whose environment hides
every interpreter but the one running it: a PATH without Python and no
version manager. nox's interpreter discovery then finds that one only.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from python_discovery import get_interpreter

ROOT = Path(__file__).resolve().parents[2]
NOXFILE = ROOT / "noxfile.py"
CI_RUN = ROOT / ".ci" / "run"
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"
# One `tests` session per classifier, as in the noxfile.
SUPPORTED = re.findall(
    r'"Programming Language :: Python :: (3\.\d+)"',
    (ROOT / "pyproject.toml").read_text(),
)
# Where python-discovery looks besides PATH; hidden from every run below.
VERSION_MANAGERS = (
    "PYENV_VERSION",
    "PYENV_ROOT",
    "MISE_DATA_DIR",
    "ASDF_DATA_DIR",
    "UV_PYTHON_INSTALL_DIR",
    "XDG_DATA_HOME",
    "CI",
)


def one_python_env(home: Path) -> dict[str, str]:
    """An environment where nox finds no interpreter but its own."""
    empty = home / "bin"
    empty.mkdir(exist_ok=True)
    (empty / "placeholder").write_text("")  # discovery skips empty directories
    env = {k: v for k, v in os.environ.items() if k not in VERSION_MANAGERS}
    env.update(PATH=str(empty), HOME=str(home), NOX_DOWNLOAD_PYTHON="never")
    return env


def nox(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our interpreter, nox and noxfile
        # An envdir of its own: a session's virtualenv left in the project's
        # .nox/ by an earlier run holds its Python, which nox would find.
        [
            sys.executable,
            "-m",
            "nox",
            "-f",
            str(NOXFILE),
            "--envdir",
            str(cwd / ".nox"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
        check=False,
    )


def listed(env: dict[str, str], cwd: Path) -> tuple[dict[str, Any], str]:
    """Map each default session to its `nox --list --json` entry; and stderr."""
    result = nox(env, "--list", "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    sessions: list[dict[str, Any]] = json.loads(result.stdout)
    return {s["session"]: s for s in sessions}, result.stderr


@pytest.mark.skipif(RUNNING not in SUPPORTED, reason="nox runs on a supported Python")
def test_with_one_python_every_other_session_runs_on_it(tmp_path: Path) -> None:
    sessions, stderr = listed(one_python_env(tmp_path), tmp_path)
    tests = {name for name in sessions if name.startswith("tests-")}
    assert tests == {f"tests-{version}" for version in SUPPORTED}
    others = {name: s["python"] for name, s in sessions.items() if name not in tests}
    assert {"lint", "types", "generated", "examples", "fuzz"} <= set(others)
    assert set(others.values()) == {RUNNING}, others
    missing = [version for version in SUPPORTED if version != RUNNING]
    assert (
        f"Python {', '.join(missing)} not found: "
        f"{', '.join(f'tests-{version}' for version in missing)} cannot run here"
    ) in stderr
    assert f"The other sessions run on Python {RUNNING}." in stderr


def test_where_3_12_is_found_every_other_session_runs_on_it(tmp_path: Path) -> None:
    found = get_interpreter("3.12")  # as nox finds it
    if found is None:
        pytest.skip("no Python 3.12 here (CI has one: .ci/run fails without)")
    env = one_python_env(tmp_path)
    (tmp_path / "bin" / "python3.12").symlink_to(found.executable)
    sessions, _ = listed(env, tmp_path)
    others = {n: s["python"] for n, s in sessions.items() if not n.startswith("tests-")}
    assert set(others.values()) == {"3.12"}, others


def ci_nox_options() -> list[str]:
    """The options `.ci/run` gives nox."""
    words = shlex.split(CI_RUN.read_text(), comments=True)
    start = max(i for i, w in enumerate(words) if w == "nox") + 1
    options: list[str] = []
    for word in words[start:]:
        if not word.startswith("-"):
            break
        options.append(word)
    return options


@pytest.mark.skipif(RUNNING not in SUPPORTED, reason="nox runs on a supported Python")
def test_ci_fails_where_a_python_is_missing(tmp_path: Path) -> None:
    missing = next(version for version in SUPPORTED if version != RUNNING)
    env = one_python_env(tmp_path)
    skipped = nox(env, "-s", f"tests-{missing}", cwd=tmp_path)
    assert skipped.returncode == 0, skipped.stderr
    assert f"Session tests-{missing} skipped" in skipped.stderr
    failed = nox(env, *ci_nox_options(), "-s", f"tests-{missing}", cwd=tmp_path)
    assert failed.returncode != 0
    assert f"Session tests-{missing} failed" in failed.stderr
