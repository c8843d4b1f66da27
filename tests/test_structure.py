"""The package stays in rooms of one idea each: short modules, unique class names."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ding"
MAX_LINES = 700
# Generated code, and a flat list of models, may be longer; so may the
# client, whose operations list each keyword twice (the implementation and its
# keyword-style overload) and which the sync client is generated from, whole.
# The converter holds every hook of the schema and its warm-up; splitting it
# by size would scatter one concept.
LIMITS = {"_sync.py": None, "_models.py": 800, "_client.py": 900, "_converter.py": 800}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_its_line_limit() -> None:
    too_long: list[str] = []
    for path in modules():
        limit = (
            LIMITS.get(path.name, MAX_LINES) if path.parent == PACKAGE else MAX_LINES
        )
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if limit is not None and lines > limit:
            too_long.append(f"{path.relative_to(PACKAGE.parent)}: {lines} > {limit}")
    assert not too_long


def test_no_two_classes_share_a_name() -> None:
    where: defaultdict[str, list[str]] = defaultdict(list)
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                where[node.name].append(f"{path.relative_to(PACKAGE.parent)}")
    assert {name: files for name, files in where.items() if len(files) > 1} == {}
