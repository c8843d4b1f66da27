"""The Flask example under gunicorn's gevent workers (``-k gevent``), 2 of them.

Before the sync client ran its loop in a real OS thread, 81 of 127 requests
failed here. gunicorn patches each worker with gevent once it has forked,
and each worker serves many requests at once in greenlets, all using the
`ding.Ding` of `create_app()`: made in the master, before the fork, with
``--preload``; in each worker, after its patching, without.

Each of 50 requests at once (50 threads here) sends a code through
``POST /otp/send``, reads it from the fake's outbox, and verifies it through
``POST /otp/verify``.
"""

from __future__ import annotations

import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.runtimes._support import (
    SERVER_STARTUP,
    child_env,
    failures,
    phone_of,
    served_fake,
    server,
)

if TYPE_CHECKING:
    from tests.runtimes._support import FakeAPI, Server

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gunicorn needs Unix")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WORKERS = 2
REQUESTS = 50
# The app gives up on Ding after 6 s (and answers 503): a request that takes
# much longer is stuck.
REQUEST_TIMEOUT = 20


def every_worker_answers(url: str, running: Server) -> set[int]:
    """Ask /health, 8 at a time, until both workers have answered; their pids."""
    running.wait_until_answering(f"{url}/health")
    seen: set[int] = set()
    deadline = time.monotonic() + SERVER_STARTUP

    def pid(_: int) -> int:
        answer: int = httpx.get(f"{url}/health", timeout=5).json()["pid"]
        return answer

    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(seen) < WORKERS:
            assert time.monotonic() < deadline, f"only {seen} answered"
            seen.update(pool.map(pid, range(8)))
    return seen


def sign_up(url: str, api: FakeAPI, n: int) -> str:
    """Send a code to the *n*-th number and verify it; what went wrong, if anything."""
    started = time.monotonic()
    phone = phone_of(n)
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT) as http:
        try:
            sent = http.post("/otp/send", json={"phone_number": phone})
            if sent.status_code != HTTPStatus.OK:
                return f"send: {sent.status_code} {sent.text}"
            code = api.fake.outbox.last_code(phone)
            verified = http.post(
                "/otp/verify", json={"phone_number": phone, "code": code}
            )
        except httpx.HTTPError as exc:
            return f"{exc!r} after {time.monotonic() - started:.1f} s"
        if verified.status_code != HTTPStatus.OK:
            return f"verify: {verified.status_code} {verified.text}"
    return "ok"


@pytest.mark.parametrize("preload", [True, False], ids=["preload", "no-preload"])
def test_50_concurrent_sign_ups_on_2_gevent_workers_all_succeed(
    preload: bool, tmp_path: Path
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.set_inheritable(True)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        *(["--preload"] if preload else []),
        "--worker-class=gevent",
        "--worker-connections=100",
        f"--workers={WORKERS}",
        f"--bind=fd://{listener.fileno()}",
        f"--chdir={EXAMPLES}",
        "--log-level=warning",
        "flask_app:create_app()",
    ]
    with served_fake() as api:
        env = child_env(
            api.url, VERIFICATIONS_DB=str(tmp_path / "verifications.sqlite3")
        )
        with server(command, env, tmp_path, pass_fds=[listener.fileno()]) as running:
            listener.close()  # gunicorn has its own copy
            workers = every_worker_answers(url, running)
            with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
                outcomes = list(pool.map(partial(sign_up, url, api), range(REQUESTS)))
            failed = failures(outcomes, "ok")
            assert not failed, f"{failed}\n{running.output()}"
        assert api.codes_sent() == REQUESTS
    assert len(workers) == WORKERS
