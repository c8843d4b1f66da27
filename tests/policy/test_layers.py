"""The package keeps its layers: each role imports only the roles below it.

The roles, from the bottom (docs/architecture.md draws them):

- foundation: the version, lazy imports, the API's enums, `UnknownValue`
  and the error tree, which every other layer speaks;
- schema (`ding._schema`): the data model and its converter, free of I/O;
- config (`ding._config`): defaults, environment variables, checks;
- transport (`ding._transport`): connections, per event loop;
- pipeline (`ding._pipeline`): one call, its attempts, its deadline and its
  errors;
- client (`ding._client`): `AsyncDing` and its operations;
- sync (`ding._sync`): `Ding`, generated from the client, and its portal;
- surface: the public modules (`ding`, `ding.models`, `ding.utils`,
  `ding.webhooks`) and the check for a mixed install;
- testing (`ding.testing`): the fake, which runs the clients;
- cli (`ding._cli`, `ding.__main__`): the ``ding`` command, which runs the
  fake too.

Every import counts: deferred ones, and imports by name (a module named in
a string to ``lazy_module``, ``importlib.import_module`` or ``sys.modules``,
or in a table of such names). Those under ``if TYPE_CHECKING:`` never run,
so no cycle is looked for through them, but they too must point downwards
or within their role. No module imports itself back through others
at run time. Sizes are an alarm, not a shape: a module past `ALARM` lines
asks whether it holds one concept.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parents[2]
PACKAGE: Final = ROOT / "ding"

#: The roles from the bottom. A module belongs to the role whose longest
#: prefix names it or a package above it; ``ding`` names the root package
#: only, so that a new module has no role until it is given one.
LAYERS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    (
        "foundation",
        ("ding._version", "ding._lazy", "ding._enums", "ding._unknown", "ding._errors"),
    ),
    ("schema", ("ding._schema",)),
    ("config", ("ding._config",)),
    ("transport", ("ding._transport",)),
    ("pipeline", ("ding._pipeline",)),
    ("client", ("ding._client",)),
    ("sync", ("ding._sync",)),
    (
        "surface",
        ("ding.models", "ding.utils", "ding.webhooks", "ding._mixed_install", "ding"),
    ),
    ("testing", ("ding.testing",)),
    ("cli", ("ding._cli", "ding.__main__")),
)

#: Lines past which a module is worth a second look. The generated sync
#: client copies the client's whole surface, so it is as long as that.
ALARM: Final = 1200
UNBOUNDED: Final = frozenset({"ding/_sync/_client.py"})

#: Modules directly in ding/ at most (packages aside).
MAX_TOP_LEVEL: Final = 15


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def role_of(module: str) -> str:
    """The role *module* belongs to (the longest matching prefix wins)."""
    best: tuple[int, str] | None = None
    for role, prefixes in LAYERS:
        for prefix in prefixes:
            # The root package names only itself: a new module needs a role.
            below = prefix != "ding" and module.startswith(f"{prefix}.")
            named = module == prefix or below
            if named and (best is None or len(prefix) > best[0]):
                best = (len(prefix), role)
    assert best is not None, f"{module} has no role in LAYERS"
    return best[1]


RANK: Final = {role: rank for rank, (role, _) in enumerate(LAYERS)}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path, here: str | None = None) -> list[tuple[str, int, bool]]:
    """The ding modules *path* imports: (module, line, whether only for types).

    *here* is the module's name, when *path* is not under ding/.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = here or module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, *, typing_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, typing_only=True)
            for child in node.orelse:
                visit(child, typing_only=typing_only)
            return
        if isinstance(node, ast.Import):
            found.extend(
                (alias.name, node.lineno, typing_only)
                for alias in node.names
                if alias.name.split(".")[0] == "ding"
            )
        elif isinstance(node, ast.ImportFrom):
            found.extend(
                (name, node.lineno, typing_only) for name in _named(node, package)
            )
        found.extend((name, line, typing_only) for name, line in _module_names(node))
        for inner in ast.iter_child_nodes(node):
            visit(inner, typing_only=typing_only)

    visit(tree, typing_only=False)
    return found


#: Calls that import the module their string argument names.
IMPORTERS: Final = frozenset({"lazy_module", "import_module", "__import__"})


def _by_name(node: ast.AST) -> list[ast.expr]:
    """The strings under *node* that import a module by its name.

    The package defers imports by naming the module: ``lazy_module(...)``,
    ``importlib.import_module(...)``, ``sys.modules.get(...)`` and
    ``sys.modules[...]``, and tables of such names (a dict's values). A
    logger's name, or a name in a message, imports nothing.
    """
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        on_modules = (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and ast.unparse(func.value) == "sys.modules"
        )
        return list(node.args[:1]) if name in IMPORTERS or on_modules else []
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "sys.modules":
        return [node.slice]
    if isinstance(node, ast.Dict):
        return list(node.values)
    return []


def _module_names(node: ast.AST) -> list[tuple[str, int]]:
    """The ding modules *node* imports by name (see `_by_name`)."""
    return [
        (value.value, value.lineno)
        for value in _by_name(node)
        if isinstance(value, ast.Constant)
        and isinstance(value.value, str)
        and re.fullmatch(r"ding(\.\w+)+", value.value)
        and _exists(value.value)
    ]


def _named(node: ast.ImportFrom, package: str) -> list[str]:
    """The ding modules a ``from ... import`` names."""
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        target = ".".join([*base, *([node.module] if node.module else [])])
    else:
        target = node.module or ""
    if target.split(".")[0] != "ding":
        return []
    # `from ding import _errors` imports the module ding._errors.
    return [
        f"{target}.{alias.name}" if _exists(f"{target}.{alias.name}") else target
        for alias in node.names
    ]


def _exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer_violations(extra: dict[str, Path] | None = None) -> list[str]:
    """Every import that points upwards, in the package and the *extra* modules."""
    wrong: list[str] = []
    named = {module_name(path): path for path in modules()} | (extra or {})
    for here, path in named.items():
        for target, line, _ in imports(path, here):
            if RANK[role_of(target)] > RANK[role_of(here)]:
                wrong.append(
                    f"{here}:{line}: {role_of(here)} "
                    f"({here}) imports {role_of(target)} ({target})"
                )
    return wrong


def runtime_cycle(extra: dict[str, Path] | None = None) -> list[str]:
    """A cycle of run-time imports between modules, or [] when there is none."""
    graph: dict[str, set[str]] = {}
    named = {module_name(path): path for path in modules()} | (extra or {})
    for here, path in named.items():
        graph[here] = {
            target
            for target, _, typing_only in imports(path, here)
            if not typing_only and target != here
        }
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = walk(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = walk(node)
            if found:
                return found
    return []


def test_every_module_has_a_role() -> None:
    for path in modules():
        role_of(module_name(path))


def test_each_role_imports_only_the_roles_below_it() -> None:
    assert layer_violations() == []


def test_no_module_imports_itself_back_at_run_time() -> None:
    assert runtime_cycle() == []


@pytest.mark.parametrize(
    ("module", "role"),
    [
        ("ding._errors", "foundation"),
        ("ding._schema._models", "schema"),
        ("ding._transport._pool", "transport"),
        ("ding._pipeline._send", "pipeline"),
        ("ding", "surface"),
        ("ding.testing._fake", "testing"),
        ("ding.__main__", "cli"),
    ],
)
def test_roles_are_read_from_the_longest_prefix(module: str, role: str) -> None:
    assert role_of(module) == role


def test_an_upward_import_is_reported(tmp_path: Path) -> None:
    # The schema made to import the pipeline, which imports the schema.
    bad = tmp_path / "_bad.py"
    bad.write_text(
        "from typing import TYPE_CHECKING\n"
        "from ding._pipeline import _send\n"
        "if TYPE_CHECKING:\n"
        "    from ding._client import AsyncDing\n"
    )
    assert layer_violations({"ding._schema._bad": bad}) == [
        (
            "ding._schema._bad:2: schema (ding._schema._bad) imports pipeline "
            "(ding._pipeline._send)"
        ),
        "ding._schema._bad:4: schema (ding._schema._bad) imports client (ding._client)",
    ]


def test_an_import_by_name_is_an_import(tmp_path: Path) -> None:
    bad = tmp_path / "_bad.py"
    bad.write_text(
        "import importlib, logging, sys\n"
        'portal = sys.modules.get("ding._sync._portal")\n'
        'client = lazy_module("ding._client")\n'
        'TABLE = {"send": "ding._pipeline._send"}\n'
        'logger = logging.getLogger("ding._client")\n'
        "message = f\"see {'ding._cli'}\"\n"
        'importlib.import_module("ding._schema._models")\n'
    )
    assert [line for _, line, _ in imports(bad, "ding._schema._bad")] == [2, 3, 4, 7]
    assert len(layer_violations({"ding._schema._bad": bad})) == 3


def test_a_cycle_is_reported_and_a_type_only_one_is_not(tmp_path: Path) -> None:
    first, second = tmp_path / "_first.py", tmp_path / "_second.py"
    first.write_text("def f() -> None:\n    from ding._schema._second import g\n")
    second.write_text("from ding._schema._first import f\n")
    cycle = runtime_cycle(
        {"ding._schema._first": first, "ding._schema._second": second}
    )
    assert cycle == [
        "ding._schema._first",
        "ding._schema._second",
        "ding._schema._first",
    ]
    second.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ding._schema._first import f\n"
    )
    assert (
        runtime_cycle({"ding._schema._first": first, "ding._schema._second": second})
        == []
    )


def drawn_layers(page: str) -> list[tuple[str, set[str]]]:
    """The roles the architecture page draws, from the top, with their names."""
    block = page.split("## The layers", 1)[1].split("```text\n", 1)[1]
    drawn: list[tuple[str, set[str]]] = []
    for line in block.split("```", 1)[0].splitlines():
        names = set(re.findall(r"\bding(?:\.\w+)*", line.split("\u2502")[0]))
        if line[:1].strip():
            drawn.append((line.split()[0], names))
        else:
            drawn[-1][1].update(names)
    return drawn


def test_the_architecture_page_draws_these_layers() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    expected = [(role, set(prefixes)) for role, prefixes in reversed(LAYERS)]
    assert drawn_layers(page) == expected


def test_the_architecture_page_lists_each_packages_modules() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(ding/_\w+/)` \| ([^|]*) \|", page, re.MULTILINE)
    listed = {folder: set(re.findall(r"`(\w+\.py)`", cell)) for folder, cell in rows}
    on_disk = {
        f"ding/{path.name}/": {f.name for f in path.glob("*.py")} - {"__init__.py"}
        for path in PACKAGE.glob("_*")
        if (path / "__init__.py").is_file()
    }
    assert listed == on_disk


def test_the_top_level_holds_few_modules() -> None:
    top = [path.name for path in PACKAGE.glob("*.py")]
    assert len(top) <= MAX_TOP_LEVEL, sorted(top)


def test_no_module_is_past_the_size_alarm() -> None:
    too_long: list[str] = []
    for path in modules():
        name = str(path.relative_to(ROOT))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if name not in UNBOUNDED and lines > ALARM:
            too_long.append(f"{name}: {lines} > {ALARM}")
    assert not too_long


def test_no_two_classes_share_a_name() -> None:
    where: defaultdict[str, list[str]] = defaultdict(list)
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                where[node.name].append(f"{path.relative_to(PACKAGE.parent)}")
    assert {name: files for name, files in where.items() if len(files) > 1} == {}
