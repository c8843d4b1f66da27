"""`ding.Ding` with multiprocessing: fork, spawn and forkserver pools.

A `Ding` made and used in the parent (its loop thread started, a connection
kept) goes on working in children forked afterwards (each starts a loop
thread and connections of its own), and in the parent after them. Workers
started by ``spawn`` or ``forkserver`` make their own `Ding`, in the pool's
initializer. A `Ding` handed to such a worker as an argument cannot cross:
pickling it raises `TypeError` in the parent, which says what to do.

Each case runs as a program of its own (``spawn`` re-imports the main module
in each worker, so the program is a file), every wait bounded by a timeout.
"""

from __future__ import annotations

import multiprocessing
from typing import TYPE_CHECKING

import pytest

from tests.runtimes._support import (
    SIGN_UP,
    child_env,
    prelude,
    report_of,
    served_fake,
    write_program,
)

if TYPE_CHECKING:
    from pathlib import Path

CALLS = 40
METHODS = multiprocessing.get_all_start_methods()

PROGRAM = (
    prelude()
    + SIGN_UP
    + """
import collections, json, multiprocessing, os, sys, warnings

import ding

# Python 3.12+ warns that forking a process with threads (the loop's) may
# deadlock the child: surviving exactly that is what is tested.
warnings.filterwarnings(
    "ignore", r"This process .* is multi-threaded", DeprecationWarning
)

client = None  # the parent's (fork), or each worker's own (initializer)


def make_client():
    global client
    client = ding.Ding()


def in_worker(n):
    return os.getpid(), sign_up(client, n)


def receive(anything):
    return "received"


def run_pool(method, calls, **options):
    with multiprocessing.get_context(method).Pool(4, **options) as pool:
        done = pool.map_async(in_worker, range(calls), chunksize=1).get(timeout=30)
    statuses = collections.Counter(status for _, status in done)
    ran_in_parent = any(pid == os.getpid() for pid, _ in done)
    return {"statuses": statuses, "parent_among_them": ran_in_parent}


if __name__ == "__main__":
    case, calls = sys.argv[1], int(sys.argv[2])
    if case == "fork":
        client = ding.Ding()
        before = sign_up(client, 9000)  # the loop thread runs; a connection is kept
        report = run_pool("fork", calls)
        report.update(before=before, after=sign_up(client, 9001))
    elif case == "pickle":
        client = ding.Ding()
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            try:
                pool.apply_async(receive, (client,)).get(timeout=30)
            except TypeError as exc:
                report = {"raised": "TypeError", "message": str(exc)}
            else:
                report = {"raised": None}
    else:
        report = run_pool(case, calls, initializer=make_client)
    print(json.dumps(report))
"""
)


def run_case(case: str, tmp_path: Path) -> dict[str, object]:
    program = write_program(tmp_path, "pools.py", PROGRAM)
    with served_fake() as api:
        return report_of(program, child_env(api.url), case, str(CALLS))


@pytest.mark.skipif("fork" not in METHODS, reason="no fork here")
def test_a_ding_used_before_a_fork_works_in_forked_children_and_after(
    tmp_path: Path,
) -> None:
    report = run_case("fork", tmp_path)
    assert report["before"] == "valid"
    assert report["statuses"] == {"valid": CALLS}
    assert report["parent_among_them"] is False
    assert report["after"] == "valid"


@pytest.mark.parametrize(
    "method",
    [
        "spawn",
        pytest.param(
            "forkserver",
            marks=pytest.mark.skipif(
                "forkserver" not in METHODS, reason="no forkserver here"
            ),
        ),
    ],
)
def test_spawned_workers_making_their_own_ding_all_sign_up(
    method: str, tmp_path: Path
) -> None:
    report = run_case(method, tmp_path)
    assert report["statuses"] == {"valid": CALLS}


def test_handing_a_ding_to_a_spawned_worker_raises_type_error_in_the_parent(
    tmp_path: Path,
) -> None:
    report = run_case("pickle", tmp_path)
    assert report["raised"] == "TypeError"
    message = str(report["message"])
    assert "ding.Ding cannot be pickled" in message
    assert "Make one Ding in each process" in message
