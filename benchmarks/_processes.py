"""Child processes of a benchmark run: servers and workers, and their CPU time.

Every server and every competitor runs in a process of its own. The
orchestrator talks to a worker with one JSON line each way per command, and
reads the CPU time of any child from ``/proc/<pid>/stat`` (Linux; elsewhere
CPU shares are reported as unknown).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

    from typing_extensions import Self

__all__ = [
    "ROOT",
    "Child",
    "ChildError",
    "Environment",
    "cpu_seconds",
    "run_probe",
    "start_server",
]

#: The project's root: workers import ``benchmarks`` (and ``ding``) from it.
ROOT: Final = Path(__file__).resolve().parent.parent
_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_STOP_TIMEOUT: Final = 10.0

# Runs a module of this package (the worker) in an environment where ``ding``
# is the official SDK: -I keeps the current directory (this project's root,
# with its own ``ding``) off sys.path, and the root is appended after
# site-packages, so that ``benchmarks`` is found but ``ding`` is the
# installed, official one.
_ISOLATED_BOOTSTRAP: Final = (
    "import sys; sys.path.append({root!r}); "
    "from {module} import main; sys.exit(main(sys.argv[1:]))"
)


class ChildError(Exception):
    """A child process failed, timed out or answered an error."""


def cpu_seconds(pid: int) -> float | None:
    """Return the CPU time process *pid* has used so far, None if unknown.

    Summed over its threads from ``/proc/<pid>/task/*/schedstat``
    (nanoseconds), else read from ``/proc/<pid>/stat`` (clock ticks, usually
    10 ms: coarse for a short round).
    """
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):  # a thread just ended
                total += int((task / "schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        total = 0
    if total:
        return total / 1e9
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    # The command name (field 2) may hold spaces; utime and stime are fields
    # 14 and 15, counted after it.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


class Environment:
    """A Python environment the competitors run in.

    Args:
        name: ``project`` (this project and the raw clients), ``trio`` (this
            project and trio) or ``official`` (``ding-api-client``).
        python: Its interpreter.
        isolated: Whether ``ding`` there is the official SDK, so that this
            project's root must stay off the front of ``sys.path``.
    """

    def __init__(self, name: str, python: str, *, isolated: bool) -> None:
        self.name = name
        self.python = python
        self.isolated = isolated

    def worker_argv(self, *args: str) -> list[str]:
        """The command that runs `benchmarks._worker` with *args* here."""
        return self.module_argv("benchmarks._worker", *args)

    def module_argv(self, module: str, *args: str) -> list[str]:
        """The command that runs *module*'s ``main`` with *args* here.

        *module* is a module of this package with a ``main(argv)`` that
        returns the exit status (`benchmarks._worker`, `benchmarks._stall`).
        """
        if self.isolated:
            bootstrap = _ISOLATED_BOOTSTRAP.format(root=str(ROOT), module=module)
            return [self.python, "-I", "-c", bootstrap, *args]
        return [self.python, "-m", module, *args]

    def python_argv(self, code: str) -> list[str]:
        """The command that runs *code* here (this project importable, if it is)."""
        if self.isolated:
            return [self.python, "-I", "-c", code]
        return [self.python, "-c", code]

    def __repr__(self) -> str:
        return f"Environment({self.name!r}, {self.python!r})"


class Child:
    """A child process that prints lines; optionally fed JSON commands.

    Standard error is inherited, so that a crash shows. Standard output is
    read by a thread into a queue, so that every read can time out.

    Raises:
        ChildError: The process could not start (no such interpreter).
    """

    def __init__(self, argv: Sequence[str], *, name: str, stdin: bool) -> None:
        self.name = name
        try:
            self.popen = subprocess.Popen(  # noqa: S603 - our own interpreters
                list(argv),
                cwd=ROOT,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                text=True,
                bufsize=1,
            )
        except OSError as exc:
            raise ChildError(f"{name}: cannot start {argv[0]}: {exc}") from exc
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, name=f"read {name}", daemon=True).start()

    def _read(self) -> None:
        stdout = self.popen.stdout
        if stdout is not None:
            for line in stdout:
                self._lines.put(line)
        self._lines.put(None)

    @property
    def pid(self) -> int:
        """The process id."""
        return self.popen.pid

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.popen.poll() is None

    def readline(self, timeout: float) -> str:
        """Return the next line of output.

        Raises:
            ChildError: Nothing came within *timeout* seconds, or the process ended.
        """
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise ChildError(f"{self.name}: no answer within {timeout:.0f} s") from None
        if line is None:
            raise ChildError(f"{self.name}: exited with status {self.popen.wait()}")
        return line.strip()

    def request(self, command: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one command; return the worker's answer.

        Raises:
            ChildError: The worker failed, timed out or answered an error.
        """
        stdin = self.popen.stdin
        if stdin is None or not self.alive():
            raise ChildError(f"{self.name}: not running")
        try:
            stdin.write(json.dumps(command) + "\n")
            stdin.flush()
        except OSError as exc:
            raise ChildError(f"{self.name}: {exc}") from exc
        try:
            answer: dict[str, Any] = json.loads(self.readline(timeout))
        except ChildError:
            self.kill()
            raise
        if "error" in answer:
            raise ChildError(f"{self.name}: {answer['error']}")
        return answer

    def cpu_seconds(self) -> float | None:
        """The child's CPU time so far, None if unknown."""
        return cpu_seconds(self.pid)

    def kill(self) -> None:
        """Stop the process now."""
        with contextlib.suppress(ProcessLookupError):
            self.popen.kill()
        self.popen.wait()

    def stop(self) -> None:
        """Ask the process to stop (quit command or SIGTERM); kill it if it lingers."""
        if not self.alive():
            return
        stdin = self.popen.stdin
        if stdin is not None:
            with contextlib.suppress(OSError):
                stdin.write('{"op": "quit"}\n')
                stdin.close()
        else:
            self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_server(
    argv: Sequence[str], name: str, timeout: float = 30.0
) -> tuple[Child, str]:
    """Start a server that prints its base URL first; return it and the URL.

    Raises:
        ChildError: It did not print a URL in time.
    """
    child = Child(argv, name=name, stdin=False)
    try:
        url = child.readline(timeout)
    except ChildError:
        child.kill()
        raise
    if not url.startswith("http://"):
        child.kill()
        raise ChildError(f"{name}: printed {url!r} instead of its URL")
    return child, url


def run_probe(argv: Sequence[str], timeout: float = 120.0) -> tuple[str, float]:
    """Run a short-lived process; return its output and its wall time.

    Raises:
        ChildError: It failed or timed out.
    """
    start = time.perf_counter()
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreters
            list(argv),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ChildError(f"{argv[0]}: timed out") from exc
    except OSError as exc:
        raise ChildError(f"cannot start {argv[0]}: {exc}") from exc
    wall = time.perf_counter() - start
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or ["no error output"]
        raise ChildError(f"exit status {done.returncode}: {detail[0]}")
    return done.stdout.strip(), wall
