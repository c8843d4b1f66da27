"""The Flask example under gunicorn ``--preload`` with 2 workers, against the fake.

What it shows: a sync app whose `ding.Ding` is made in gunicorn's master
process, before the fork, keeps working in every worker. The test serves
the fake over TCP (``ding_server``), starts gunicorn on a socket it bound
itself (so the port is known at once), points the app at the fake through
the environment, as in production, and reads the codes the fake "sent" from
``ding_fake.outbox``.

Run it: ``pytest examples/test_flask_app.py`` (with ``flask`` and
``gunicorn`` installed; gunicorn runs on Unix only).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ding.testing import DEFAULT_CUSTOMER_UUID

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ding.testing import FakeDing

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gunicorn needs Unix")

EXAMPLES = Path(__file__).resolve().parent
WORKERS = 2
# Seconds gunicorn gets to boot, and to answer from every worker.
STARTUP = 20.0
SIGN_UPS = 16


@pytest.fixture
def gunicorn(ding_server: str, tmp_path: Path) -> Iterator[str]:
    """Serve ``flask_app:create_app()`` with gunicorn --preload; yield its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    env = {
        **os.environ,
        "DING_BASE_URL": ding_server,
        "DING_API_KEY": "test-key",  # the fake takes any key
        "DING_CUSTOMER_UUID": DEFAULT_CUSTOMER_UUID,
        "VERIFICATIONS_DB": str(tmp_path / "verifications.sqlite3"),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--preload",
        f"--workers={WORKERS}",
        f"--bind=fd://{listener.fileno()}",
        f"--chdir={EXAMPLES}",
        "--log-level=warning",
        "flask_app:create_app()",
    ]
    server = subprocess.Popen(  # noqa: S603 - our interpreter, a fixed command
        command, env=env, pass_fds=[listener.fileno()]
    )
    listener.close()  # gunicorn has its own copy
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def health_of_every_worker(url: str) -> dict[int, dict[str, Any]]:
    """Ask /health, 8 at a time, until each worker has answered; by worker pid."""
    seen: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + STARTUP

    def ask(_: int) -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = httpx.get(f"{url}/health", timeout=5).json()
        except httpx.TransportError:  # not listening yet
            time.sleep(0.05)
            return None
        return answer

    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(seen) < WORKERS:
            assert time.monotonic() < deadline, f"only workers {list(seen)} answered"
            for health in pool.map(ask, range(8)):
                if health is not None:
                    seen[health["pid"]] = health
    return seen


def test_preloaded_client_works_in_every_forked_worker(
    gunicorn: str, ding_fake: FakeDing
) -> None:
    workers = health_of_every_worker(gunicorn)
    # One app, made once in the master before the fork: not in a worker.
    made_in = {health["app_made_in_pid"] for health in workers.values()}
    assert len(made_in) == 1
    assert made_in.isdisjoint(workers)

    def sign_up(n: int) -> tuple[int, int, bool]:
        phone = f"+1415555{n:04d}"
        with httpx.Client(base_url=gunicorn, timeout=10) as http:
            sent = http.post("/otp/send", json={"phone_number": phone})
            assert sent.status_code == HTTPStatus.OK, sent.text
            code = ding_fake.outbox.last_code(phone)
            assert code is not None
            wrong = http.post("/otp/verify", json={"phone_number": phone, "code": "x"})
            right = http.post("/otp/verify", json={"phone_number": phone, "code": code})
            status = http.get("/otp/status", params={"phone_number": phone}).json()
        return wrong.status_code, right.status_code, status["verified"]

    # 16 sign-ups, 4 at a time: spread over both workers, each worker's
    # client used by the requests it serves, the state shared in SQLite.
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(sign_up, range(SIGN_UPS)))
    assert outcomes == [(HTTPStatus.BAD_REQUEST, HTTPStatus.OK, True)] * SIGN_UPS
    assert len(ding_fake.outbox) == SIGN_UPS
