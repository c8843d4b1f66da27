"""`ding.Ding` and `ding.AsyncDing` in a Jupyter notebook (an IPython kernel).

A notebook is executed by nbclient in a kernel of this interpreter, as
``jupyter nbconvert --execute`` or a notebook server would run it: a cell
that calls the sync client, and a cell that awaits the async one at top
level. The kernel runs each cell inside its own running asyncio loop, so
the sync call warns (`ding.BlockingCallInEventLoopWarning`: the kernel's
loop waits while it runs), and still returns its result; the user sees the
warning in the cell's output, under the result.

Needs nbclient, nbformat and ipykernel: the ``runtimes-heavy`` dependency
group, ``nox -s runtimes-heavy``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.runtimes._support import (
    child_env,
    prelude,
    report_of,
    served_fake,
    write_program,
)

if TYPE_CHECKING:
    from pathlib import Path

CELLS = [
    """\
import ding

client = ding.Ding()  # DING_API_KEY, DING_CUSTOMER_UUID, DING_BASE_URL
""",
    """\
sent = client.otp.create_authentication(phone_number="+14155550001")
checked = client.otp.check(
    authentication_uuid=sent.authentication_uuid, check_code="550001"
)
print("sync:", checked.status)
""",
    """\
async with ding.AsyncDing() as async_client:
    sent = await async_client.otp.create_authentication(phone_number="+14155550002")
    checked = await async_client.otp.check(
        authentication_uuid=sent.authentication_uuid, check_code="550002"
    )
print("async:", checked.status)
""",
]

# Executes the notebook; reports each cell's outputs: its printed text,
# what it wrote to stderr (warnings), and its error, if any.
PROGRAM = (
    prelude()
    + """
import json, sys

import nbformat
from nbclient import NotebookClient

cells = json.loads(sys.argv[1])
notebook = nbformat.v4.new_notebook()
notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
NotebookClient(
    notebook,
    timeout=30,
    kernel_name="python3",
    allow_errors=True,
    resources={"metadata": {"path": "."}},
).execute()
report = []
for cell in notebook.cells:
    seen = {"stdout": "", "stderr": "", "error": None}
    for output in cell.outputs:
        if output.output_type == "stream":
            seen[output.name] += output.text
        elif output.output_type == "error":
            seen["error"] = f"{output.ename}: {output.evalue}"
    report.append(seen)
print(json.dumps({"cells": report}))
"""
)


@pytest.fixture(scope="module")
def cells(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The outputs of each cell, once the notebook has run against the fake."""
    folder: Path = tmp_path_factory.mktemp("jupyter")
    program = write_program(folder, "execute.py", PROGRAM)
    env_extra = {"JUPYTER_RUNTIME_DIR": str(folder / "runtime")}
    with served_fake() as api:
        report = report_of(program, child_env(api.url, **env_extra), json.dumps(CELLS))
    outputs: list[dict[str, Any]] = report["cells"]
    return outputs


def test_every_cell_runs_without_an_error(cells: list[dict[str, Any]]) -> None:
    assert [cell["error"] for cell in cells] == [None] * len(CELLS)


def test_a_sync_call_in_a_cell_returns_its_result(
    cells: list[dict[str, Any]],
) -> None:
    assert cells[1]["stdout"] == "sync: valid\n"


def test_a_sync_call_in_a_cell_warns_that_the_kernels_loop_is_blocked(
    cells: list[dict[str, Any]],
) -> None:
    assert "BlockingCallInEventLoopWarning" in cells[1]["stderr"]
    assert "Use ding.AsyncDing in async code" in cells[1]["stderr"]


def test_top_level_await_of_the_async_client_returns_its_result(
    cells: list[dict[str, Any]],
) -> None:
    assert cells[2]["stdout"] == "async: valid\n"
    assert cells[2]["stderr"] == ""
