"""Every ```python block of README.md and of the docs runs and type-checks.

The docs are the pages of the documentation site, docs/**/*.md (mkdocs.yml),
the reference; README.md is the landing page that links into them. The
blocks of both are held to one convention:

* A ```python block is a complete program: run as written, top to bottom,
  it succeeds. It may ``await`` at the top level, as ``python -m asyncio``
  allows (it then runs on asyncio, and is type-checked inside an
  ``async def``).
* A block that defines ``test_*`` functions is a test module: pytest runs
  it, with the ding plugin (and anyio's), and each of its tests passes.
* Blocks run with ``DING_BASE_URL`` set to the fake served over TCP, so that
  code written for the real API reaches the fake; a ``customer_uuid="..."``
  is run with the fake's default customer UUID (the fake refuses a malformed
  one, and ``"..."`` stands for yours).
* Every block type-checks under mypy and pyright, both strict, with the
  project's settings, except pyright's ``reportUnusedVariable``: a snippet
  names a result to show what a call returns.
* Anything else (shell commands, output, JSON, another SDK's code) is fenced
  with another tag (```text, ```sh, ```console, ```json), never bare.

Failures name the file and line numbers (README.md:123,
docs/guides/async.md:45): each block is compiled, and written out for the
type checkers, at its own lines.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Final, cast

import httpx
import pytest

from ding.testing import DEFAULT_CUSTOMER_UUID, FakeDing, ManualClock
from ding.testing import deterministic_codes as codes

pytest_plugins = ["pytester"]

ROOT: Final = Path(__file__).resolve().parents[2]
README: Final = ROOT / "README.md"
# The documentation site's pages (mkdocs.yml: docs_dir).
DOCS: Final = ROOT / "docs"
FENCE: Final = re.compile(r"^```(?P<info>.*)$")
CONVENTION: Final = (
    "the convention is in the docstring of tests/policy/test_doc_examples.py"
)
# The tags of blocks that are not run; `python` blocks are.
OTHER_TAGS: Final = frozenset({"text", "sh", "console", "json"})
PYRIGHT_HEADER: Final = "# pyright: reportUnusedVariable=false"
WRAPPER: Final = "async def main() -> None:"


@dataclass(frozen=True)
class Block:
    """One fenced block: its info string, source, file and first line there."""

    line: int
    info: str
    source: str
    # Relative to the project root, as failures name it.
    path: str = "README.md"

    @property
    def name(self) -> str:
        """Return a Python identifier unique to the block: ``readme_0123``."""
        stem = re.sub(r"\W", "_", self.path.removesuffix(".md")).lower()
        return f"{stem}_{self.line:04d}"

    @property
    def awaits_at_top_level(self) -> bool:
        try:
            compile(self.source, "<block>", "exec", dont_inherit=True)
        except SyntaxError:
            return True  # or not Python at all, which _parse reports
        return False

    @property
    def tests(self) -> list[str]:
        """Return the names of the ``test_*`` functions the block defines."""
        return [
            node.name
            for node in _parse(self).body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")
        ]

    def text(self, *, wrap: bool) -> str:
        """Return the block as a file, each line at its line in its file."""
        lines = [PYRIGHT_HEADER]
        indent = ""
        if wrap:
            assert self.line > 2, "no room for the header and the wrapper"
            lines += [""] * (self.line - 3) + [WRAPPER]
            indent = "    "
        lines += [""] * (self.line - 1 - len(lines))
        lines += [indent + line if line else "" for line in _lines(self)]
        return "\n".join(lines) + "\n"


def _lines(block: Block) -> list[str]:
    # "..." stands for the reader's customer UUID; the fake wants a real one.
    source = block.source.replace(
        'customer_uuid="..."', f'customer_uuid="{DEFAULT_CUSTOMER_UUID}"'
    )
    return source.splitlines()


def _parse(block: Block) -> ast.Module:
    try:
        return ast.parse(block.source)
    except SyntaxError as exc:
        pytest.fail(
            f"{block.path}:{block.line - 1 + (exc.lineno or 1)}: this ```python block "
            f"is not Python ({exc.msg}); fence it as ```text ({CONVENTION})",
            pytrace=False,
        )


def fenced_blocks(text: str, path: str = "README.md") -> list[Block]:
    """Return every fenced block of *text*, the contents of *path*, in order."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        index += 1
        if match is None:
            continue
        start = index
        while index < len(lines) and lines[index] != "```":
            index += 1
        assert index < len(lines), f"{path}:{start}: a fence is never closed"
        body = "\n".join(lines[start:index]) + "\n"
        blocks.append(Block(start + 1, match["info"].strip(), body, path))
        index += 1
    return blocks


def _blocks(file: Path) -> list[Block]:
    path = file.relative_to(ROOT).as_posix()
    return fenced_blocks(file.read_text(encoding="utf-8"), path)


PAGES: Final = sorted(DOCS.rglob("*.md"))
BLOCKS: Final = [b for file in [README, *PAGES] for b in _blocks(file)]
PYTHON: Final = [b for b in BLOCKS if b.info == "python"]
SCRIPTS: Final = [b for b in PYTHON if not b.tests]
TEST_MODULES: Final = [b for b in PYTHON if b.tests]


def test_every_fence_names_a_known_tag() -> None:
    wrong = [
        f"{b.path}:{b.line - 1}: ```{b.info}"
        for b in BLOCKS
        if b.info not in {"python", *OTHER_TAGS}
    ]
    assert not wrong, (
        f"fences with no tag or an unknown one: {wrong}; use ```python for "
        f"code that runs, else one of {sorted(OTHER_TAGS)} ({CONVENTION})"
    )


def test_the_readme_has_blocks_of_each_kind() -> None:
    # Guards the parser: a README without any would pass every test below.
    # The landing page shows an async and a sync example, and a test.
    readme = [b for b in SCRIPTS if b.path == "README.md"]
    assert len(readme) >= 2
    assert len([b for b in TEST_MODULES if b.path == "README.md"]) >= 1
    assert any(b.awaits_at_top_level for b in readme)
    assert any(not b.awaits_at_top_level for b in readme)


def test_the_docs_have_blocks_of_each_kind() -> None:
    # Guards the file list: docs/ moved or emptied would pass every test below.
    assert DOCS / "getting-started.md" in PAGES
    docs = [b for b in SCRIPTS if b.path.startswith("docs/")]
    assert len({b.path for b in docs}) >= 10
    assert any(b.path.startswith("docs/") for b in TEST_MODULES)
    assert any(b.awaits_at_top_level for b in docs)


@pytest.mark.parametrize("block", SCRIPTS, ids=[b.name for b in SCRIPTS])
def test_block_runs_against_the_fake(
    block: Block, ding_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DING_BASE_URL", ding_server)
    _parse(block)  # a clear message for a block that is not Python
    # At its line, under a made-up file name: with the real one, pytest
    # would print the Markdown file from its top in a traceback.
    code = compile(
        "\n" * (block.line - 1) + "\n".join(_lines(block)) + "\n",
        f"<{block.path}>",
        "exec",
        flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
        dont_inherit=True,
    )
    try:
        result = eval(code, {"__name__": "__main__"})  # noqa: S307 - the docs' own code
        if inspect.iscoroutine(result):
            asyncio.run(result)
    except Exception as exc:
        message = (
            f"{block.path}:{block.line}: this ```python block does not run as "
            f"written against the fake: {type(exc).__name__}: {exc}. A ```python "
            f"block is a complete program; fence an excerpt as ```text "
            f"({CONVENTION})"
        )
        raise AssertionError(message) from exc


def test_test_blocks_pass_under_pytest(pytester: pytest.Pytester) -> None:
    for block in TEST_MODULES:
        pytester.makepyfile(**{f"test_{block.name}": block.text(wrap=False)})
    # Each file's lines are its block's: failures point at the docs' lines.
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-W", "error", "--strict-markers", "-rA"
    )
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes
    assert "errors" not in outcomes
    # anyio runs an async test once per backend installed: count names.
    passed = {line.split()[1] for line in result.outlines if line.startswith("PASSED ")}
    expected = {f"test_{b.name}.py::{t}" for b in TEST_MODULES for t in b.tests}
    assert {p.split("[")[0] for p in passed} == expected


@pytest.fixture(scope="module")
def typed_blocks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write each block to a file of its own, as the type checkers read it."""
    folder = tmp_path_factory.mktemp("blocks")
    for block in PYTHON:
        text = block.text(wrap=block.awaits_at_top_level)
        (folder / f"{block.name}.py").write_text(text, encoding="utf-8")
    return folder


def _checked(command: list[str], folder: Path) -> None:
    done = subprocess.run(  # noqa: S603 - this interpreter's own tools
        command, cwd=ROOT, capture_output=True, text=True, check=False
    )
    # Each written file is named after its block: name the Markdown file.
    paths = {b.name: b.path for b in PYTHON}
    output = re.sub(
        rf"{re.escape(str(folder))}/(\w+)\.py",
        lambda m: paths.get(m[1], m[0]),
        done.stdout,
    )
    assert done.returncode == 0, f"{output}{done.stderr}"


@pytest.mark.skipif(find_spec("mypy") is None, reason="mypy is not installed")
def test_blocks_type_check_under_mypy(typed_blocks: Path) -> None:
    files = sorted(str(f) for f in typed_blocks.glob("*.py"))
    config = ["--config-file", str(ROOT / "pyproject.toml")]
    _checked([sys.executable, "-m", "mypy", *config, *files], typed_blocks)


@pytest.mark.skipif(find_spec("pyright") is None, reason="pyright is not installed")
def test_blocks_type_check_under_pyright(typed_blocks: Path) -> None:
    config = {
        "typeCheckingMode": "strict",
        "pythonVersion": "3.10",
        "extraPaths": [str(ROOT)],
    }
    (typed_blocks / "pyrightconfig.json").write_text(json.dumps(config))
    command = [sys.executable, "-m", "pyright", "--pythonpath", sys.executable]
    _checked([*command, "-p", str(typed_blocks)], typed_blocks)


# The fake's endpoints, as docs/fake.md's table documents them.

FAKE_PAGE: Final = DOCS / "fake.md"
ENDPOINTS_HEADING: Final = "\n## Its endpoints\n"

ENDPOINT_ROW: Final = re.compile(
    r"^\| `(?P<method>GET|POST) (?P<target>/_fake/\S+)`"
    r"(?: with `(?P<body>[^`]+)`)? \| `(?P<status>\d{3})(?: (?P<json>[^`]+))?`"
)


def _documented(text: str) -> object:
    """Parse documented JSON; ``[...]`` stands for any list."""
    return json.loads(text.replace("[...]", '"<any list>"'))


def _matches(actual: object, documented: object) -> bool:
    if documented == "<any list>":
        return isinstance(actual, list)
    if isinstance(documented, dict) and isinstance(actual, dict):
        want = cast("dict[str, object]", documented)
        got = cast("dict[str, object]", actual)
        return got.keys() == want.keys() and all(
            _matches(got[k], v) for k, v in want.items()
        )
    return actual == documented


def _section(text: str, heading: str) -> str:
    """Return *text* from *heading* to the next heading of its level, or the end."""
    start = text.index(heading) + len(heading)
    level = heading.strip().split(" ", 1)[0]
    end = text.find(f"\n{level} ", start)
    return text[start : None if end == -1 else end]


def test_the_fakes_endpoints_answer_as_documented() -> None:
    page = FAKE_PAGE.relative_to(ROOT).as_posix()
    section = _section(FAKE_PAGE.read_text(encoding="utf-8"), ENDPOINTS_HEADING)
    rows = [m for line in section.splitlines() if (m := ENDPOINT_ROW.match(line))]
    [message] = [
        json.loads(b.source) for b in fenced_blocks(section, page) if b.info == "json"
    ]
    assert len(rows) == 7
    # The documented state: the fixtures' fake after one code was sent.
    fake = FakeDing(clock=ManualClock(), codes=codes(), seed=0)
    with fake.client() as client:
        client.otp.create_authentication(phone_number="+14155550123")
    with fake.serve() as server, httpx.Client(base_url=server.url) as http:
        for row in rows:
            body = None if row["body"] is None else json.loads(row["body"])
            answer = http.request(row["method"], row["target"], json=body)
            expected = message if row["json"] is None else _documented(row["json"])
            assert answer.status_code == int(row["status"]), row[0]
            assert _matches(answer.json(), expected), (row[0], answer.json())
            if row["target"].startswith("/_fake/outbox?"):
                assert answer.json() == {"messages": [message]}
        # After the reset row, nothing is left.
        assert http.get("/_fake/outbox").json() == {"messages": []}
