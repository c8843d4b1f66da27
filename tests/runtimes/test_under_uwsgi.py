"""uWSGI stops as fast after `ding.Ding` calls on its workers' main threads.

Before the rewrite, one call on a worker's main thread broke uWSGI's stop:
the sync client swapped SIGINT's Python handler for its wait and then
restored "the previous one", which, for a signal whose handler is uWSGI's
own C function, replaced it by Python's. The master stops its workers with
SIGINT, which then raised nothing in a worker idle in C: it was killed
after uWSGI's 60 s mercy.

A WSGI app whose module makes a `Ding` (in the master: uWSGI loads the app
before it forks its workers) runs under ``uwsgi --master --processes 2``,
with and without ``--threads 4``; each worker signs numbers up until both
have done so on their main thread; then the master gets the signal a user
stops it with (SIGINT: ``uwsgi --stop``, Ctrl-C; SIGQUIT; SIGTERM with
``--die-on-term``, as under systemd). The same run with requests that make
no call is the baseline: the stop may take at most 2 s longer.

Needs uWSGI (``pip install uwsgi`` compiles it): the ``runtimes-heavy``
dependency group, ``nox -s runtimes-heavy``.
"""

from __future__ import annotations

import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.runtimes._support import (
    SERVER_STARTUP,
    SIGN_UP,
    child_env,
    free_port,
    served_fake,
    server,
    write_program,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uWSGI needs Unix")

# The stop after ding calls may take this much longer than the baseline's.
SLACK = 2.0
# The longest a stop is waited for; uWSGI's mercy kill comes at 60 s.
STOP_WAIT = 15.0

APP = (
    SIGN_UP
    + """
import json, os, threading

import ding

client = ding.Ding()  # module level: made in the master, before the fork


def application(environ, start_response):
    kind, _, n = environ["PATH_INFO"].strip("/").partition("/")
    status = sign_up(client, int(n)) if kind == "sign-up" else "idle"
    body = json.dumps({
        "status": status,
        "pid": os.getpid(),
        "main_thread": threading.current_thread() is threading.main_thread(),
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
"""
)

STOPS: dict[str, tuple[signal.Signals, list[str]]] = {
    "SIGINT": (signal.SIGINT, []),
    "SIGQUIT": (signal.SIGQUIT, []),
    "SIGTERM-die-on-term": (signal.SIGTERM, ["--die-on-term"]),
}


def uwsgi_stop_time(
    folder: Path, base_url: str, kind: str, threads: int, stop: str
) -> float:
    """Serve the app and stop it; the seconds the master took to exit.

    Requests of *kind* (``idle``: no call; ``sign-up``: a sign-up through
    the module's `Ding`) are made until each worker has answered one on its
    main thread; then the master gets the signal of *stop*.
    """
    folder.mkdir()
    write_program(folder, "app.py", APP)
    port = free_port()
    signum, options = STOPS[stop]
    command = [
        str(Path(sys.executable).with_name("uwsgi")),
        "--master",
        "--processes=2",
        *([f"--threads={threads}"] if threads else []),
        f"--http-socket=127.0.0.1:{port}",
        "--wsgi-file=app.py",
        f"--virtualenv={sys.prefix}",
        "--need-app",
        "--disable-logging",
        *options,
    ]
    url = f"http://127.0.0.1:{port}"
    with server(command, child_env(base_url), folder) as running:
        running.wait_until_answering(f"{url}/idle/0")
        main_threads: set[int] = set()
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + SERVER_STARTUP

        def ask(n: int) -> dict[str, Any]:
            answer: dict[str, Any] = httpx.get(f"{url}/{kind}/{n}", timeout=10).json()
            return answer

        with ThreadPoolExecutor(max_workers=8) as pool:
            n = 0
            while len(main_threads) < 2:
                assert time.monotonic() < deadline, (seen[-8:], running.output())
                for answer in pool.map(ask, range(n, n + 8)):
                    seen.append(answer)
                    if answer["main_thread"]:
                        main_threads.add(answer["pid"])
                n += 8
        expected = "idle" if kind == "idle" else "valid"
        assert {answer["status"] for answer in seen} == {expected}, seen[-8:]
        stopped = running.stop(signum, STOP_WAIT)
        assert stopped.took is not None, (
            f"uWSGI did not stop within {STOP_WAIT} s of {stop} after {kind} "
            f"requests\n{running.output()}"
        )
        assert not stopped.left_behind, (
            f"a worker outlived the master\n{running.output()}"
        )
        return stopped.took


@pytest.mark.parametrize("threads", [0, 4], ids=["processes", "threads"])
@pytest.mark.parametrize("stop", list(STOPS))
def test_the_standard_stop_is_as_fast_after_calls_on_the_workers_main_threads(
    stop: str, threads: int, tmp_path: Path
) -> None:
    with served_fake() as api:
        baseline = uwsgi_stop_time(
            tmp_path / "baseline", api.url, "idle", threads, stop
        )
        after_calls = uwsgi_stop_time(
            tmp_path / "calls", api.url, "sign-up", threads, stop
        )
    assert after_calls < baseline + SLACK, (baseline, after_calls)
