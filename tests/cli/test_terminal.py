"""The ``ding`` command in a terminal: each run is a subprocess on a pty.

What a terminal changes is tested on one: the help's layout and the
table's width (set with TIOCSWINSZ, as a terminal emulator sets it), and
Ctrl-C, typed as the terminal's interrupt character, so that the terminal
sends SIGINT to the command's process group as it does for a user. The
API commands run against a `FakeDing` served in this process, which can
hold an answer back (a ``delay`` fault) while Ctrl-C is typed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from ding._cli._exit import ExitCode
from ding.testing import DEFAULT_CUSTOMER_UUID, FakeDing, Fault
from tests.cli.test_command import CLI, KEY, SECRETS, clean_env

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="needs a POSIX terminal (pty)"
)

#: Each API command with arguments that make it call the API.
API_COMMANDS = {
    "send": ("--phone-number", "+14155550120"),
    "check": ("--auth-uuid", "00000000-0000-4000-8000-000000000000", "--code", "1"),
    "retry": ("--auth-uuid", "00000000-0000-4000-8000-000000000000"),
    "status": ("--auth-uuid", "00000000-0000-4000-8000-000000000000"),
    "feedback": ("--phone-number", "+14155550120", "--status", "onboarded"),
    "lookup": ("--phone-number", "+14155550120"),
}


def _controlling_terminal() -> None:  # pragma: no cover - runs in the child
    """In the child: a session of its own, whose controlling terminal is stdin.

    Then the terminal's interrupt character sends SIGINT to the command,
    and SIGINT is not inherited ignored (as a shell's background job has it).
    """
    import fcntl  # noqa: PLC0415 - POSIX only
    import signal  # noqa: PLC0415
    import termios  # noqa: PLC0415

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminal:
    """``ding *args`` on a pty of *columns*: standard input and output on it.

    Standard error goes to a pipe, read at the end, so that what the table
    prints and what an error says are told apart.
    """

    def __init__(
        self, *args: str, env: Mapping[str, str], columns: int, rows: int = 24
    ) -> None:
        import fcntl  # noqa: PLC0415 - POSIX only
        import pty  # noqa: PLC0415
        import struct  # noqa: PLC0415
        import termios  # noqa: PLC0415

        self.controller, terminal = pty.openpty()
        fcntl.ioctl(
            terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0)
        )
        environment = {k: v for k, v in env.items() if k not in {"COLUMNS", "LINES"}}
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            [*CLI, *args],
            env=environment,
            stdin=terminal,
            stdout=terminal,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_controlling_terminal,  # noqa: PLW1509 - async-signal-safe calls
        )
        os.close(terminal)
        self.output = b""

    def _read(self, deadline: float) -> bool:
        """Read what the command wrote; False at its end (or the deadline)."""
        import select  # noqa: PLC0415

        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([self.controller], [], [], left)
        if not ready:
            return False
        try:
            chunk = os.read(self.controller, 4096)
        except OSError:  # EIO: the command closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def read_until(self, text: str, timeout: float = 20) -> None:
        """Read until *text* shows on the terminal; fail the test if it does not."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            if not self._read(deadline):
                pytest.fail(f"{text!r} never showed: {self.output!r}")

    def type_ctrl_c(self) -> None:
        """Type Ctrl-C: the terminal sends SIGINT to the command."""
        os.write(self.controller, b"\x03")

    def finish(self, timeout: float = 20) -> tuple[int, str, str]:
        """Wait for the end; return the exit status, the terminal's text, stderr.

        Fails the test if a key or a traceback shows.
        """
        deadline = time.monotonic() + timeout
        while self._read(deadline):
            pass
        try:
            _, err = self.process.communicate(
                timeout=max(deadline - time.monotonic(), 1)
            )
        finally:
            os.close(self.controller)
        text = self.output.decode().replace("\r\n", "\n")
        for secret in SECRETS:
            assert secret not in text + err
        assert "Traceback" not in text + err, err
        return self.process.returncode, text, err


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[FakeDing, str]]:
    """A fake served in this process, and its v1 URL."""
    served = FakeDing()
    with served.serve() as server:
        yield served, f"{server.url}/v1"


@pytest.fixture
def env(fake: tuple[FakeDing, str]) -> dict[str, str]:
    return clean_env(
        DING_API_KEY=KEY,
        DING_CUSTOMER_UUID=DEFAULT_CUSTOMER_UUID,
        DING_BASE_URL=fake[1],
    )


@pytest.fixture(scope="module")
def delivered(fake: tuple[FakeDing, str]) -> str:
    """An authentication whose history has events of several shapes."""
    with fake[0].client() as client:
        sent = client.otp.create_authentication(phone_number="+14155550121")
    assert sent.create_authentication_response is not None
    auth_uuid = sent.create_authentication_response.authentication_uuid
    assert auth_uuid is not None
    return auth_uuid


EXAMPLE = (
    "ding fake --port 8080 &",
    "export DING_BASE_URL=http://127.0.0.1:8080/v1 DING_API_KEY=test",
    "export DING_CUSTOMER_UUID=28591d9e-a825-47f6-ab11-1a61726305bf",
    "ding send --phone-number +14155550123",
    "ding check --auth-uuid UUID --code CODE",
)


def test_the_help_shows_its_example_as_written(env: dict[str, str]) -> None:
    status, text, _ = Terminal("--help", env=env, columns=80).finish()
    assert status == ExitCode.OK
    assert "\\b" not in text
    assert "\b" not in text
    lines = text.splitlines()
    start = lines.index("  A verification, end to end, against the fake:")
    assert lines[start + 1 : start + 6] == [f"    {line}" for line in EXAMPLE]


@pytest.mark.parametrize("columns", [80, 40, 20])
def test_a_table_fits_the_terminal(
    env: dict[str, str], delivered: str, columns: int
) -> None:
    status, text, err = Terminal(
        "status", "--auth-uuid", delivered, env=env, columns=columns
    ).finish()
    assert status == ExitCode.OK, err
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= columns, text
    # Still the whole answer, as a table: the UUID, and each event's type.
    # (Each value beside its name, or under it where the width is too narrow.)
    assert re.search(r"^uuid\s+\S", text, re.MULTILINE), text
    assert delivered in re.sub(r"\s", "", text)  # wrapped, maybe
    for event in ("attempt", "delivery_status", "balance_update"):
        assert re.search(rf"^type\s+{event}$", text, re.MULTILINE), (event, text)


def test_a_table_into_a_pipe_keeps_its_rows_whole(
    env: dict[str, str], delivered: str
) -> None:
    # No terminal, no COLUMNS: one line per row, however long (for grep).
    wide = subprocess.run(  # noqa: S603 - our own command
        [*CLI, "status", "--auth-uuid", delivered, "--table"],
        env={k: v for k, v in env.items() if k != "COLUMNS"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert wide.returncode == ExitCode.OK, wide.stderr
    header = next(line for line in wide.stdout.splitlines() if line.startswith("type "))
    assert "attempt_number" in header
    assert len(header) > 120
    # COLUMNS, when set, is the width to fit.
    narrow = subprocess.run(  # noqa: S603 - our own command
        [*CLI, "status", "--auth-uuid", delivered, "--table"],
        env={**env, "COLUMNS": "60"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert narrow.returncode == ExitCode.OK, narrow.stderr
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60


def test_ctrl_c_stops_the_fake_with_130(env: dict[str, str]) -> None:
    terminal = Terminal("fake", "--port", "0", env=env, columns=80)
    terminal.read_until("/v1")
    terminal.type_ctrl_c()
    status, _, err = terminal.finish()
    assert status == ExitCode.INTERRUPTED, err


def test_sigterm_stops_the_fake_with_0(env: dict[str, str]) -> None:
    import signal  # noqa: PLC0415 - POSIX only

    terminal = Terminal("fake", "--port", "0", env=env, columns=80)
    terminal.read_until("/v1")
    terminal.process.send_signal(signal.SIGTERM)
    status, _, err = terminal.finish()
    assert status == ExitCode.OK, err


@pytest.mark.parametrize("command", list(API_COMMANDS))
def test_ctrl_c_while_the_api_answers_exits_130(
    env: dict[str, str], fake: tuple[FakeDing, str], command: str
) -> None:
    served, _ = fake
    served.reset()
    served.faults.inject("*", Fault.delay(30))
    terminal = Terminal(command, *API_COMMANDS[command], "--json", env=env, columns=80)
    # Once the request has reached the fake, the command waits for it.
    deadline = time.monotonic() + 20
    while served.handled_requests == 0:
        assert time.monotonic() < deadline, "the request never reached the fake"
        assert terminal.process.poll() is None, terminal.finish()
        time.sleep(0.01)
    terminal.type_ctrl_c()
    status, text, err = terminal.finish()
    served.reset()
    assert status == ExitCode.INTERRUPTED, err
    assert "{" not in text  # no answer
    assert json.loads(err)["error"]["type"] == "interrupted"
