"""`ding.Ding` under gevent's and eventlet's monkey-patching: greenlets share one client.

Before the sync client ran its loop in a real OS thread, most concurrent
calls failed under both (under gunicorn ``-k gevent``, 81 of 127 requests;
in Celery's gevent pool, 170 of 200 tasks; under eventlet, 93 of 117): the
loop ran in a greenlet, and asyncio saw it running in every other one. Here
50 greenlets sign up at once through one `Ding` (once with the fake's
address in the URL, once with ``localhost``, so that the name is resolved),
each answer of the fake delayed so that the calls overlap, while a ticker
greenlet measures how long the hub stalls. Then the same through a `Ding`
made before the patching (as gunicorn ``--preload`` makes the app's in its
master, before the fork and the worker's patching), and a program whose
only greenlet makes one call. Each test runs under gevent and under
eventlet ("greenlet" below stands for eventlet's green threads too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from ding.testing import Fault
from tests.runtimes._support import (
    GREEN_BODY,
    LONE_BODY,
    child_env,
    prelude,
    report_of,
    run_program,
    served_fake,
    write_program,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.runtimes._support import Finished

GREENLETS = 50
# Each create waits this long at the fake: a call that blocked the hub would
# stall it at least this long.
ANSWER_DELAY = 0.3
# The longest stall of the hub allowed while the calls run.
MAX_STALL = 0.25
# The longest a program may take to exit after its last statement.
MAX_EXIT_DELAY = 2.0
# Each program ends itself after this many seconds (it takes about one).
ALARM = 15

# How each library patches the standard library, and the tools GREEN_BODY
# uses: spawn, sleep, and the outcome of a greenlet (bounded by the alarm).
PATCH = {
    "gevent": """
from gevent import monkey

monkey.patch_all()
""",
    "eventlet": """
import eventlet

eventlet.monkey_patch()
""",
}
GREEN_TOOLS = {
    "gevent": """
import gevent

spawn = gevent.spawn
sleep = gevent.sleep


def outcome(greenlet):
    return greenlet.get(timeout=15)
""",
    "eventlet": """
spawn = eventlet.spawn
sleep = eventlet.sleep


def outcome(green_thread):
    return green_thread.wait()
""",
}
MAKE_CLIENT = """
import ding

client = ding.Ding()
"""
LIBRARIES = list(PATCH)
# The 50 greenlets' runs: each library, with the fake's address and with a name.
RUNS = [(library, host) for library in LIBRARIES for host in ("127.0.0.1", "localhost")]


def program(library: str) -> str:
    """The 50 greenlets, patched first."""
    return (
        PATCH[library]
        + prelude(ALARM)
        + GREEN_TOOLS[library]
        + MAKE_CLIENT
        + GREEN_BODY
    )


def early_program(library: str) -> str:
    """The 50 greenlets, the `Ding` made first, the patching afterwards."""
    return (
        MAKE_CLIENT
        + PATCH[library]
        + prelude(ALARM)
        + GREEN_TOOLS[library]
        + GREEN_BODY
    )


def lone_program(library: str) -> str:
    """One call from the main greenlet, with nothing else for the hub to run."""
    return PATCH[library] + prelude(ALARM) + MAKE_CLIENT + LONE_BODY


@dataclass(frozen=True)
class Run:
    finished: Finished
    codes_sent: int


@pytest.fixture(scope="module", params=RUNS, ids=["-".join(run) for run in RUNS])
def run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    """Run the 50 greenlets of the parametrized library against the fake."""
    library, host = request.param
    folder: Path = tmp_path_factory.mktemp(library)
    written = write_program(folder, "greenlets.py", program(library))
    with served_fake() as api:
        delay = Fault.delay(ANSWER_DELAY)
        api.fake.faults.inject("create_authentication", delay, times=GREENLETS)
        finished = run_program(written, child_env(api.url_on(host)), str(GREENLETS))
        return Run(finished, api.codes_sent())


def test_50_greenlets_sharing_one_ding_all_sign_up(run: Run) -> None:
    assert run.finished.report()["statuses"] == {"valid": GREENLETS}
    assert run.codes_sent == GREENLETS


def test_the_hub_never_stalls_over_250_ms_while_the_calls_wait(run: Run) -> None:
    report = run.finished.report()
    # The ticker ran all along: before, during and after the calls.
    assert report["ticks"] >= (ANSWER_DELAY + 0.05) / 0.005 / 4
    assert report["max_gap"] < MAX_STALL, report


def test_the_greenlets_calls_overlap(run: Run) -> None:
    # One after the other, the 50 delayed creates would take 15 s.
    report = run.finished.report()
    assert report["elapsed"] < GREENLETS * ANSWER_DELAY / 5, report


def test_the_program_exits_within_2_s_of_its_last_statement(run: Run) -> None:
    assert run.finished.exit_delay() < MAX_EXIT_DELAY


@pytest.mark.parametrize("library", LIBRARIES)
def test_50_greenlets_sign_up_through_a_ding_made_before_the_patching(
    library: str, tmp_path: Path
) -> None:
    written = write_program(tmp_path, "early.py", early_program(library))
    with served_fake() as api:
        report = report_of(written, child_env(api.url), str(GREENLETS))
    assert report["statuses"] == {"valid": GREENLETS}


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_lone_greenlet_signs_up(library: str, tmp_path: Path) -> None:
    written = write_program(tmp_path, "lone.py", lone_program(library))
    with served_fake() as api:
        report = report_of(written, child_env(api.url))
    assert report["status"] == "valid"
