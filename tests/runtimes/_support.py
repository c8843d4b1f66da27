"""What the runtime tests share: the fake over TCP, child processes, their reports.

Each runtime runs in processes of its own, started here: a gevent or eventlet
program must patch the standard library before anything else imports it,
and a server (gunicorn, uvicorn, Celery, uWSGI) forks workers of its own.
The programs are Python source kept in the test modules and written to the
test's temporary directory, so that the packages they import (gevent,
Celery, Django...) are needed by the children only: the type checkers never
see them, and the test modules import nothing but pytest, httpx and ding.

Every wait is bounded: each child gets `signal.alarm` (its first lines, from
`prelude`) and a subprocess timeout; each server is stopped with its whole
process group, killed if it does not stop.

The fake makes a number's code from its digits (`code_for`), so that a child
can check the code it was "sent" without asking the fake for it.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ding.testing import DEFAULT_CUSTOMER_UUID, FakeDing

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Sequence
    from pathlib import Path

# The most any child program may take; well under pytest-timeout's 60 s.
CHILD_DEADLINE = 40
# The most a server gets to start and answer, and then to stop.
SERVER_STARTUP = 20.0
SERVER_STOP = 10.0


def prelude(seconds: int = CHILD_DEADLINE) -> str:
    """The first lines of a child program (after its patching, if any).

    Never hang: after *seconds* SIGALRM's default action ends the process.
    """
    return f"""
import signal as _signal

_signal.alarm({seconds})
"""


# The sign-up every runtime performs, through the `Ding` it is given: send
# a code, then check it (the fake's code is the number's last six digits).
# Returns the check's status, "valid" on success, or the error's repr.
SIGN_UP = """
def phone_of(n):
    return f"+1415555{n:04d}"


def sign_up(client, n):
    phone = phone_of(n)
    try:
        sent = client.otp.create_authentication(phone_number=phone)
        checked = client.otp.check(
            authentication_uuid=sent.authentication_uuid, check_code=phone[-6:]
        )
    except Exception as exc:
        return repr(exc)
    return str(checked.status)
"""


# The body of the gevent and eventlet programs, after a header that patches
# the standard library and defines `client` (a `Ding`), spawn(fn, *args),
# sleep(seconds) and outcome(greenlet). As many greenlets as the first
# argument says sign up at once through `client` while a ticker greenlet
# sleeps TICK s in a loop and records the longest gap between two of its
# wake-ups: the hub's longest stall while the calls run. Its report's
# `ended_at` is the time of its last statement.
GREEN_BODY = (
    SIGN_UP
    + """
import collections, json, sys, time

GREENLETS = int(sys.argv[1])
TICK = 0.005
running = True
gaps = []


def ticker():
    last = time.monotonic()
    while running:
        sleep(TICK)
        now = time.monotonic()
        gaps.append(now - last)
        last = now


ticking = spawn(ticker)
sleep(0.05)  # the ticker's first gaps are measured before the first call
started = time.monotonic()
greenlets = [spawn(sign_up, client, n) for n in range(GREENLETS)]
statuses = collections.Counter(outcome(greenlet) for greenlet in greenlets)
elapsed = time.monotonic() - started
running = False
outcome(ticking)
print(json.dumps({
    "statuses": statuses,
    "elapsed": elapsed,
    "max_gap": max(gaps),
    "ticks": len(gaps),
    "ended_at": time.time(),
}))
"""
)

# The body of a program whose only greenlet makes one call through `client`.
LONE_BODY = (
    SIGN_UP
    + """
import json, time

status = sign_up(client, 0)
print(json.dumps({"status": status, "ended_at": time.time()}))
"""
)


def phone_of(n: int) -> str:
    """The phone number of the *n*-th sign-up (as `SIGN_UP` makes it)."""
    return f"+1415555{n:04d}"


def code_for(phone_number: str) -> str:
    """The code the fake "sends" to *phone_number*: its last six digits."""
    return phone_number[-6:]


@dataclass(frozen=True)
class FakeAPI:
    """The fake Ding API served over TCP: the fake and its base URL (``.../v1``)."""

    fake: FakeDing
    url: str

    def url_on(self, host: str) -> str:
        """The base URL with *host* (a name or an address) instead of 127.0.0.1."""
        return self.url.replace("//127.0.0.1:", f"//{host}:", 1)

    def codes_sent(self) -> int:
        """How many codes the fake has "sent"."""
        return len(self.fake.outbox)


@contextlib.contextmanager
def served_fake() -> Generator[FakeAPI]:
    """Serve a fresh fake on 127.0.0.1 (a thread of this process)."""
    fake = FakeDing(codes=code_for)
    with fake.serve() as server:
        yield FakeAPI(fake, server.url + "/v1")


def child_env(base_url: str, **extra: str) -> dict[str, str]:
    """This process's environment, pointing a plain `ding.Ding()` at *base_url*.

    No ``PYTHONPATH``: a child imports the installed ding, as the tests do.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DING_") and name != "PYTHONPATH"
    }
    env.update(
        DING_BASE_URL=base_url,
        DING_API_KEY="test-key",  # the fake takes any key
        DING_CUSTOMER_UUID=DEFAULT_CUSTOMER_UUID,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def write_program(folder: Path, name: str, source: str) -> Path:
    """Write *source* (dedented) to *folder*/*name*; return the path."""
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Finished:
    """A child program that has ended: its status, its output, when it ended."""

    returncode: int
    stdout: str
    stderr: str
    #: `time.time()` once the process had exited.
    exited_at: float

    def report(self) -> dict[str, Any]:
        """The JSON of the last line of its output; fails the test if there is none.

        A program that printed its report and then failed to exit (an error
        at exit, or the alarm) still has one: `exit_delay` tells that apart.
        """
        lines = self.stdout.strip().splitlines()
        hung = " (SIGALRM: it hung)" if self.returncode == -signal.SIGALRM else ""
        assert lines, f"no report; exit status {self.returncode}{hung}\n{self.stderr}"
        try:
            report: dict[str, Any] = json.loads(lines[-1])
        except json.JSONDecodeError:
            pytest.fail(f"no report\n{self.stdout}\n{self.stderr}", pytrace=False)
        return report

    def exit_delay(self) -> float:
        """Seconds from the report's ``ended_at`` (its last statement) to the exit."""
        assert self.returncode == 0, (
            f"exit status {self.returncode}\n{self.stdout}\n{self.stderr}"
        )
        ended_at: float = self.report()["ended_at"]
        return self.exited_at - ended_at


def run_program(
    program: Path, env: dict[str, str], *args: str, timeout: float = CHILD_DEADLINE + 5
) -> Finished:
    """Run *program* with this interpreter, at most *timeout* seconds."""
    result = subprocess.run(  # noqa: S603 - our interpreter, our program
        [sys.executable, str(program), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=program.parent,
        check=False,
    )
    return Finished(result.returncode, result.stdout, result.stderr, time.time())


def report_of(program: Path, env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run *program*; return its report; fail the test unless it exited with 0."""
    finished = run_program(program, env, *args)
    assert finished.returncode == 0, (
        f"exit status {finished.returncode}\n{finished.stdout}\n{finished.stderr}"
    )
    return finished.report()


def failures(outcomes: Iterable[str], success: str) -> dict[str, int]:
    """How many times each outcome other than *success* occurred."""
    return dict(collections.Counter(o for o in outcomes if o != success))


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def server(
    command: Sequence[str],
    env: dict[str, str],
    cwd: Path,
    *,
    pass_fds: Sequence[int] = (),
) -> Generator[Server]:
    """Run a server in a process group of its own; end the group afterwards.

    Its output goes to ``server.log`` in *cwd*. On exit: SIGTERM to the
    server, then, after `SERVER_STOP` seconds, SIGKILL to every process left
    in its group.
    """
    log = cwd / "server.log"
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(  # noqa: S603 - our interpreter, a fixed command
            list(command),
            env=env,
            cwd=cwd,
            pass_fds=pass_fds,
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    running = Server(process, log)
    try:
        yield running
    finally:
        running.stop(signal.SIGTERM)


@dataclass(frozen=True)
class Stopped:
    """How a server stopped."""

    #: Seconds from the signal to the server's exit; None if it did not exit.
    took: float | None
    #: Whether a process of its group was left when it exited, or was waited for.
    left_behind: bool


@dataclass(frozen=True)
class Server:
    """A server process, leader of its process group, and the file of its output."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self, limit: int = 3000) -> str:
        """The end of what the server has printed so far (for a failure's message)."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return text if len(text) <= limit else "...\n" + text[-limit:]

    def stop(self, signum: int, timeout: float = SERVER_STOP) -> Stopped:
        """Send *signum*; wait up to *timeout* s for the server to exit.

        Then whatever is left of its process group is killed.
        """
        started = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signum)
        took: float | None = None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout)
            took = time.monotonic() - started
        left_behind = self.group_alive()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(SERVER_STOP)
        return Stopped(took, left_behind)

    def group_alive(self) -> bool:
        """Whether any process of the server's group is left."""
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def wait_until_answering(self, url: str) -> None:
        """Poll *url* until it answers; fail if the server exits or is too slow."""
        deadline = time.monotonic() + SERVER_STARTUP
        while True:
            assert self.process.poll() is None, f"the server exited:\n{self.output()}"
            try:
                httpx.get(url, timeout=2)
            except httpx.TransportError:
                assert time.monotonic() < deadline, (
                    f"{url} did not answer in time:\n{self.output()}"
                )
                time.sleep(0.05)
            else:
                return
