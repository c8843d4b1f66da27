"""CONTRIBUTING.md's Development section lists every nox session, as nox runs them.

noxfile.py is read as a syntax tree, not imported (importing it needs nox), and
`nox -l` is too slow for a unit test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOXFILE = ROOT / "noxfile.py"
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
PYPROJECT = ROOT / "pyproject.toml"

DEFAULT_HEADING = "### Run by default"
ON_DEMAND_HEADING = "### On demand"


def is_session_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (
        isinstance(target, ast.Attribute)
        and target.attr == "session"
        and isinstance(target.value, ast.Name)
        and target.value.id == "nox"
    )


def classifier_pythons() -> list[str]:
    return re.findall(
        r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT.read_text()
    )


def session_names(
    function: ast.FunctionDef, decorator: ast.expr
) -> tuple[str, list[str]]:
    """A `@nox.session` function's name and the names `nox -l` shows for it."""
    keywords = decorator.keywords if isinstance(decorator, ast.Call) else []
    values = {k.arg: k.value for k in keywords}
    name_node = values.get("name")
    name = (
        str(name_node.value) if isinstance(name_node, ast.Constant) else function.name
    )
    python = values.get("python")
    if isinstance(python, ast.Name) and python.id == "PYTHONS":
        # python=PYTHONS: one session per classifier.
        return name, [f"{name}-{v}" for v in classifier_pythons()]
    # One interpreter (python=TOOLS_PYTHON): the session keeps its name.
    return name, [name]


def nox_sessions() -> dict[str, list[str]]:
    """Map each session's name to the names `nox -l` shows for it."""
    sessions: dict[str, list[str]] = {}
    for node in ast.parse(NOXFILE.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            for decorator in filter(is_session_decorator, node.decorator_list):
                name, shown = session_names(node, decorator)
                sessions[name] = shown
    return sessions


def default_sessions() -> list[str]:
    for node in ast.parse(NOXFILE.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and ast.unparse(node.targets[0]) == "nox.options.sessions"
            and isinstance(node.value, ast.List)
        ):
            names = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
            assert all(isinstance(n, str) for n in names)
            assert len(names) == len(node.value.elts)
            return [str(n) for n in names]
    msg = "noxfile.py does not set nox.options.sessions as a list of names"
    raise AssertionError(msg)


def development_section() -> str:
    text = CONTRIBUTING.read_text()
    start = text.index("\n## Development\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def listed(part: str) -> list[str]:
    """The session named first on each `- `name`...` line, in order."""
    return re.findall(r"^- `([\w.-]+)`", part, flags=re.MULTILINE)


def test_noxfile_scan_finds_the_sessions() -> None:
    sessions = nox_sessions()
    assert {"tests", "coverage", "lint", "generate"} <= set(sessions)
    assert sessions["tests"] == [f"tests-{v}" for v in classifier_pythons()]
    assert set(default_sessions()) <= set(sessions)


def test_every_session_is_in_the_development_section() -> None:
    section = development_section()
    for name, shown in nox_sessions().items():
        assert f"`{name}`" in section, name
        for variant in shown:
            assert f"`{variant}`" in section, variant


def test_default_and_on_demand_sessions_are_told_apart() -> None:
    section = development_section()
    assert section.count(DEFAULT_HEADING) == 1
    assert section.count(ON_DEMAND_HEADING) == 1
    by_default, on_demand = section.split(ON_DEMAND_HEADING)
    by_default = by_default.split(DEFAULT_HEADING)[1]
    defaults = default_sessions()
    # In the order `nox` runs them.
    assert listed(by_default) == defaults
    assert sorted(listed(on_demand)) == sorted(set(nox_sessions()) - set(defaults))
