"""The list of equivalent mutants names functions that exist, without a mutation run.

tests/equivalent_mutants.txt names each mutant it sets aside by its
function (`module:function` or `module:Class.method`) and the line it
changes. A function renamed or moved, or a deleted line edited, leaves a
block that matches no mutant; `nox -s mutants` would say so hours later,
these tests say it in the normal suite. They also check how
scripts/mutation_report.py reads mutmut's names and matches blocks to
mutants, with made-up runs.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests._scripts import load_script

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "mutation_report.py"
# mutmut 3.8.1 leaves these alone (file_mutation.py): a decorated function,
# unless by @staticmethod or @classmethod alone, and these names.
MUTATED_DECORATORS = frozenset({"staticmethod", "classmethod"})
NEVER_MUTATED = frozenset({"__getattribute__", "__setattr__", "__new__"})
# A mutant's name as mutmut 3.8.1 spells a method's: U+01C1 around the class.
SEP = "\u01c1"

Function = ast.FunctionDef | ast.AsyncFunctionDef


def load_report() -> ModuleType:
    return load_script(SCRIPT)


@pytest.fixture(scope="module")
def report() -> ModuleType:
    return load_report()


@pytest.fixture(scope="module")
def equivalents(report: ModuleType) -> list[Any]:
    blocks: list[Any] = report.read_equivalents()
    return blocks


def module_file(module: str) -> Path | None:
    """The file under ding/ that a dotted module name is, if there is one."""
    if module.split(".", maxsplit=1)[0] != "ding":
        return None
    base = ROOT.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@cache
def parsed(path: Path) -> tuple[ast.Module, list[str]]:
    text = path.read_text(encoding="utf-8")
    return ast.parse(text), text.splitlines()


def definitions(tree: ast.Module, qualname: str) -> list[Function]:
    """The module-level functions, or methods of module-level classes, so named."""
    class_name, _, name = qualname.rpartition(".")
    body = tree.body
    if class_name:
        body = [
            statement
            for node in tree.body
            if isinstance(node, ast.ClassDef) and node.name == class_name
            for statement in node.body
        ]
    return [
        node
        for node in body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name == name
    ]


def mutated(function: Function) -> bool:
    """Whether mutmut makes mutants of this function at all."""
    decorators = function.decorator_list
    plain = not decorators or (
        len(decorators) == 1
        and isinstance(decorators[0], ast.Name)
        and decorators[0].id in MUTATED_DECORATORS
    )
    return plain and function.name not in NEVER_MUTATED


def body_lines(function: Function, lines: list[str]) -> list[str]:
    """The function's lines as the list writes them: stripped, blank ones left out."""
    assert function.end_lineno is not None
    text = lines[function.lineno - 1 : function.end_lineno]
    return [line.strip() for line in text if line.strip()]


def contains(lines: list[str], run: tuple[str, ...]) -> bool:
    """Whether `run` appears in `lines`, one line after another."""
    return any(
        tuple(lines[start : start + len(run)]) == run
        for start in range(len(lines) - len(run) + 1)
    )


def test_every_block_parses(equivalents: list[Any]) -> None:
    assert len(equivalents) > 100
    assert all(block.reason for block in equivalents)


def test_each_function_is_one_mutmut_mutates(equivalents: list[Any]) -> None:
    wrong: set[str] = set()
    for block in equivalents:
        module, _, qualname = block.function.partition(":")
        path = module_file(module)
        if path is None:
            wrong.add(f"{block.function}: no module {module} under ding/")
            continue
        found = definitions(parsed(path)[0], qualname)
        if not found:
            wrong.add(f"{block.function}: no {qualname} in {path.relative_to(ROOT)}")
        elif not any(mutated(function) for function in found):
            wrong.add(f"{block.function}: decorated, so mutmut leaves it alone")
    assert not sorted(wrong)


def test_each_replaced_or_deleted_line_is_in_its_function(
    equivalents: list[Any],
) -> None:
    wrong: list[str] = []
    for block in equivalents:
        module, _, qualname = block.function.partition(":")
        path = module_file(module)
        if not block.removed or path is None:
            continue
        tree, lines = parsed(path)
        found = definitions(tree, qualname)
        if found and not any(
            contains(body_lines(function, lines), block.removed) for function in found
        ):
            wrong.append(f"{block.label}: the '- ' lines are not in the function")
    assert not wrong


@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("ding._client.x__meta__mutmut_4", "ding._client:_meta"),
        (
            f"ding._pipeline._retry.x{SEP}RetryPolicy{SEP}_wait__mutmut_9",
            "ding._pipeline._retry:RetryPolicy._wait",
        ),
        (
            f"ding._client.x{SEP}AsyncDing{SEP}__init____mutmut_28",
            "ding._client:AsyncDing.__init__",
        ),
        (
            f"ding._config.x{SEP}NotGiven{SEP}__repr____mutmut_1",
            "ding._config:NotGiven.__repr__",
        ),
        # A package's __init__.py: mutmut leaves `.__init__` out of the name.
        ("ding._pipeline.x_send__mutmut_12", "ding._pipeline:send"),
    ],
)
def test_mutmut_names_map_to_functions(
    report: ModuleType, name: str, function: str
) -> None:
    assert report.function_of(name) == function


@pytest.mark.parametrize(
    "text",
    [
        "ding._m:RetryPolicy._wait\n+ wait = 1\n",  # no reason
        "ding._m.RetryPolicy._wait\n+ wait = 1\nwhy\n",  # no colon
        "ding._m:A.b.c\n+ wait = 1\nwhy\n",  # nested deeper than mutmut goes
        "ding._m:f\nwhy\n",  # no change
        "ding._m:f\n+ wait = None\n- wait = 1\nwhy\n",  # replaced line after
        # One block gives the replaced line, another of the same `+` line
        # does not: a mutant could match both.
        "ding._m:f\n- a = 1\n+ a = None\nwhy\n\nding._m:f\n+ a = None\nwhy\n",
    ],
)
def test_malformed_lists_are_refused(
    report: ModuleType, tmp_path: Path, text: str
) -> None:
    path = tmp_path / "equivalent_mutants.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=str(path)):
        report.read_equivalents(path)


LIST = """\
# a comment
ding._m:f
- a = 1
+ a = None
Because.

ding._m:C.g
- keep(1),
Unmeasured: only a child process reaches it.

ding._m:f
+ b = 2
Because,
on two lines.

ding._m:f
+ b = 2
Written twice: the statement is twice in f.

ding._other:h
+ c = 0
Not in the run.
"""


def run(
    report: ModuleType,
    tmp_path: Path,
    states: dict[str, str],
    changes: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
) -> tuple[dict[str, str], list[str], list[list[str]]]:
    """set_aside on a made-up run: mutant names by suffix, `ding._m.` prefixed."""
    path = tmp_path / "equivalent_mutants.txt"
    path.write_text(LIST, encoding="utf-8")
    names = {
        suffix: f"ding._m.x{SEP}C{SEP}g__mutmut_{suffix[1:]}"
        if suffix.startswith("g")
        else f"ding._m.x_f__mutmut_{suffix[1:]}"
        for suffix in states
    }
    asked: list[list[str]] = []

    def read(files: Mapping[str, str]) -> dict[str, Any]:
        asked.append(sorted(files))
        assert set(files.values()) <= {"ding/_m.py"}
        return {
            name: report.Change(*changes[suffix])
            for suffix, name in names.items()
            if name in files and suffix in changes
        }

    results = {"ding/_m.py": {names[s]: state for s, state in states.items()}}
    aside, problems = report.set_aside(report.read_equivalents(path), results, read)
    short = {name: suffix for suffix, name in names.items()}
    return {short[n]: kind for n, kind in aside.items()}, problems, asked


def test_blocks_set_aside_the_mutants_making_their_change(
    report: ModuleType, tmp_path: Path
) -> None:
    aside, problems, asked = run(
        report,
        tmp_path,
        {
            "f1": "survived",  # a = None, from a = 1: the first block
            "f2": "killed",  # a = None, from a = 2: not listed, caught
            "f3": "survived",  # b = 2
            "f9": "no tests",  # b = 2 again: the block is written twice
            "f4": "survived",  # not listed
            "g7": "survived",  # the deletion, whatever its number
        },
        {
            "f1": (("a = None",), ("a = 1",)),
            "f3": (("b = 2",), ("b = 3",)),
            "f9": (("b = 2",), ("b = 4",)),
            "f4": (("d = 5",), ("d = 4",)),
            "g7": ((), ("keep(1),",)),
        },
    )
    assert aside == {
        "f1": "equivalent",
        "f3": "equivalent",
        "f9": "equivalent",
        "g7": "unmeasured",
    }
    assert problems == []
    # Only what the tests missed, and nothing more was needed.
    assert len(asked) == 1
    assert len(asked[0]) == 5


def test_a_stale_list_fails(report: ModuleType, tmp_path: Path) -> None:
    aside, problems, asked = run(
        report,
        tmp_path,
        {
            "f1": "killed",  # a = None from a = 1: now caught
            "f3": "survived",  # b = 2, once: listed twice
            "f5": "survived",  # a = None from a = 7: not the listed change
            "g7": "survived",  # deletes another line: the deletion is gone
        },
        {
            "f1": (("a = None",), ("a = 1",)),
            "f3": (("b = 2",), ("b = 3",)),
            "f5": (("a = None",), ("a = 7",)),
            "g7": ((), ("keep(2),",)),
        },
    )
    assert aside == {"f3": "equivalent"}
    assert len(problems) == 3
    assert any(
        p.startswith("ding._m:f [- a = 1 / + a = None]: ding._m.x_f__mutmut_1 killed")
        and p.endswith("so not equivalent: remove it from the list")
        for p in problems
    )
    assert any(
        p.startswith("ding._m:f [+ b = 2]: listed 2 time(s), made by 1 mutant(s)")
        for p in problems
    )
    assert any(
        p.startswith("ding._m:C.g [- keep(1),]: listed 1 time(s), made by 0")
        for p in problems
    )
    # The caught mutant was read only to say why a block found nothing.
    assert len(asked) == 2
    assert asked[1] == ["ding._m.x_f__mutmut_1"]


def test_more_missed_mutants_than_blocks_fail(
    report: ModuleType, tmp_path: Path
) -> None:
    aside, problems, _ = run(
        report,
        tmp_path,
        {"f3": "survived", "f4": "survived", "f8": "survived"},
        {
            "f3": (("b = 2",), ("b = 3",)),
            "f4": (("b = 2",), ("b = 4",)),
            "f8": (("b = 2",), ("b = 8",)),
        },
    )
    assert sorted(aside) == ["f3", "f4"]
    expected = (
        "ding._m:f [+ b = 2]: made by 3 mutants the tests miss, listed 2 "
        "time(s): judge ding._m.x_f__mutmut_3, ding._m.x_f__mutmut_4, "
        "ding._m.x_f__mutmut_8 (`mutmut show NAME`), then list each equivalent "
        "one, giving the line(s) it replaces after '- ' if that tells them apart"
    )
    assert [p for p in problems if p.startswith("ding._m:f [+ b = 2]")] == [expected]
