"""The ``ding`` command, end to end, against ``ding fake``.

Most runs are in this process: `run` calls `ding._cli._main.main`, as the
console script does, with the environment it is given as ``os.environ``
for the call and standard output and error captured in memory, which are
not terminals, as pipes are not. They are fast, and mutation testing sees
them: mutmut switches its mutants on inside the pytest process, which a
command in a process of its own would not have. After each, `run` checks
that ``main`` left nothing behind for the next: the loggers' handlers and
levels, the standard streams, the signal handlers, click's context, the
threads.

A few runs stay processes of their own (``run(..., process=True)``, a pty,
a signal), where what is promised is about a process: the installed script
and ``python -m ding`` (a send then a check through the script, and the
exit status reaching the shell), a terminal, Ctrl-C, and ``DING_LOG``, read
once when ``ding`` is imported. pyproject.toml's ``[tool.mutmut]``
deselects them.

One ``ding fake`` serves the module, in a process of its own and in strict
mode: it accepts only the two keys below, so a success proves the key given
by ``DING_API_KEY`` or by ``--api-key`` reached it. Tests read the code the
fake "sent" from its outbox endpoint (``GET /_fake/outbox/last``), as a
test of an app in another process would. Every run goes through `run`,
which fails the test if the API key shows in its output or a traceback
does.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import io
import json
import logging
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import types
from pathlib import Path
from typing import TYPE_CHECKING, cast
from unittest import mock

import click
import httpx
import pytest

import ding
from ding._cli._main import ExitCode, main
from ding.testing import DEFAULT_CUSTOMER_UUID
from ding.testing.__main__ import main as python_m_ding_testing
from tests._listen import read_head
from tests.transport.test_own_pool import SERVER_THREAD, TLS, raw_server

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

#: Where the package under test is imported from (site-packages under nox).
ROOT = Path(ding.__file__).resolve().parents[1]
#: The source tree: the docs and pyproject.toml.
SOURCE = Path(__file__).resolve().parents[2]
#: The key of DING_API_KEY, and the one given with --api-key: both long
#: enough for the CLI to look for them in what it prints.
KEY = "sk_test_cli_env_0123456789"
FLAG_KEY = "sk_test_cli_flag_9876543210"
#: A key the strict fake refuses.
WRONG_KEY = "sk_test_cli_wrong_5555555555"
SECRETS = (KEY, FLAG_KEY, WRONG_KEY)
#: Clears the screen when written to a terminal as is.
TERMINAL_CONTROL = "\x1b[2J"
COMMANDS = ("send", "check", "retry", "status", "feedback", "lookup", "fake")


#: Where the installed ``ding`` script is, if it is.
SCRIPT = Path(sys.executable).with_name("ding.exe" if os.name == "nt" else "ding")
#: The other way to start the command.
PYTHON_M_DING = [sys.executable, "-m", "ding"]


def cli_command() -> list[str]:
    """The installed ``ding`` script next to this interpreter, else ``python -m ding``."""
    return [str(SCRIPT)] if SCRIPT.exists() else PYTHON_M_DING


CLI = cli_command()


def clean_env(**variables: str) -> dict[str, str]:
    """This environment without DING_*, proxy or size variables, plus *variables*.

    Without ``COLUMNS`` and ``LINES``: a table's width is the test's to set.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DING_")
        and not name.lower().endswith("_proxy")
        and name not in {"COLUMNS", "LINES"}
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(variables)
    return env


def _process_state() -> tuple[object, ...]:
    """What a run of `main` in this process could leave behind for the next.

    The loggers' handlers, filters and levels (``--verbose`` lends the
    "ding" logger a handler, ``ding fake`` the "ding.testing" one), the
    standard streams, the signal handlers (``ding fake`` catches SIGINT and
    SIGTERM), click's context and the threads.
    """
    sdk, fake, root = (logging.getLogger(name) for name in ("ding", "ding.testing", ""))
    return (
        *((log.level, log.propagate, log.disabled) for log in (sdk, fake, root)),
        *(tuple(log.handlers) for log in (sdk, fake, root)),
        *(tuple(log.filters) for log in (sdk, fake, root)),
        sys.stdout,
        sys.stderr,
        signal.getsignal(signal.SIGINT),
        signal.getsignal(signal.SIGTERM),
        click.get_current_context(silent=True),
        # Not those of a scripted server a test runs beside the command.
        frozenset(t for t in threading.enumerate() if t.name != SERVER_THREAD),
    )


def _in_this_process(
    args: Sequence[str], env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """``main(args)`` with *env* as the environment and the output captured.

    An exception out of `main` fails the test, as a traceback would.
    """
    before = _process_state()
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, env, clear=True),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        status = main(list(args))
    assert _process_state() == before, f"ding {' '.join(args)} left state behind"
    return subprocess.CompletedProcess(
        ["ding", *args], status, out.getvalue(), err.getvalue()
    )


def _in_a_process(
    command: Sequence[str],
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    timeout: float = 30,
) -> subprocess.CompletedProcess[str]:
    """``command *args`` in a process of its own, *env* its environment."""
    return subprocess.run(  # noqa: S603 - our own command
        [*command, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _checked(
    args: Sequence[str], result: subprocess.CompletedProcess[str]
) -> subprocess.CompletedProcess[str]:
    """*result*, once no key and no traceback shows in its output."""
    shown = result.stdout + result.stderr
    for secret in SECRETS:
        assert secret not in shown, f"the key shows in the output of {args}"
    assert "Traceback" not in shown, result.stderr
    return result


def run(
    *args: str, env: Mapping[str, str], process: bool = False, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run ``ding *args``; fail if a key or a traceback shows in its output.

    In this process, unless *process*: then the installed script runs, in a
    process of its own (for at most *timeout* seconds).
    """
    if process:
        return _checked(args, _in_a_process(CLI, args, env, timeout=timeout))
    return _checked(args, _in_this_process(args, env))


def run_all(
    runs: Sequence[Sequence[str]], env: Mapping[str, str]
) -> list[subprocess.CompletedProcess[str]]:
    """Run several ``ding`` commands in this process, one after another.

    Not at once: the standard streams and the environment are the process's.
    Their results, in the same order.
    """
    return [run(*args, env=env) for args in runs]


#: The command's modules, which build its options when imported.
_CLI_MODULES = ("ding._cli._main", "ding._cli._fake")


@pytest.fixture(autouse=True)
def fresh_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Import the command afresh for each test; `run` and `main` use this copy.

    The options of ``ding`` and of ``ding fake`` are built when their
    modules are imported. Imported once, at collection, they would be built
    before any test runs, and mutation testing, which maps each test to the
    code it runs, would pick no test for a change to them (mutmut would
    credit the first test of the session). Imported here, they are built in
    each test's own setup. The modules of before are back after the test.
    """
    package = importlib.import_module("ding._cli")
    for name in _CLI_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
        monkeypatch.delattr(package, name.rpartition(".")[2], raising=False)
    fresh = importlib.import_module("ding._cli._main")
    monkeypatch.setattr(sys.modules[__name__], "main", fresh.main)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """Serve ``ding fake`` (strict: KEY and FLAG_KEY only); yield its v1 URL."""
    process = subprocess.Popen(  # noqa: S603 - our own command
        [
            *CLI,
            *("fake", "--port", "0", "--quiet", "--strict"),
            *("--api-key", KEY, "--api-key", FLAG_KEY),
            *("--customer-uuid", DEFAULT_CUSTOMER_UUID),
        ],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    try:
        assert url.startswith("http://127.0.0.1:"), process.communicate()[1]
        # The fake loads the carriers' tables on its first lookup: seconds,
        # more under coverage on a busy machine. Loaded here, so that no
        # command's own timeout runs out meanwhile.
        warm = httpx.get(
            f"{url}/lookup/+14155550100",
            headers={"x-api-key": KEY, "customer-uuid": DEFAULT_CUSTOMER_UUID},
            timeout=120,
            trust_env=False,
        )
        assert warm.status_code == 200, warm.text
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
        assert process.returncode == 0, err


@pytest.fixture
def env(base_url: str) -> dict[str, str]:
    """The environment of a configured ``ding``: key, customer and URL variables."""
    return clean_env(
        DING_API_KEY=KEY,
        DING_CUSTOMER_UUID=DEFAULT_CUSTOMER_UUID,
        DING_BASE_URL=base_url,
    )


@pytest.fixture(scope="module")
def pending(base_url: str) -> str:
    """A pending authentication, for the commands that only read it.

    Its correlation ID is the key of ``DING_API_KEY``, which the fake then
    echoes in the status answer: a server showing the key. Its template ID,
    echoed too, would clear a terminal.
    """
    env = clean_env(
        DING_API_KEY=KEY,
        DING_CUSTOMER_UUID=DEFAULT_CUSTOMER_UUID,
        DING_BASE_URL=base_url,
    )
    return send(
        "+14155550106", env, "--correlation-id", KEY, "--template-id", TERMINAL_CONTROL
    )


def sent_code(base_url: str, phone: str) -> str:
    """Read the last code the fake "sent" to *phone* from its outbox."""
    root = base_url.removesuffix("/v1")
    response = httpx.get(
        f"{root}/_fake/outbox/last", params={"phone_number": phone}, trust_env=False
    )
    response.raise_for_status()
    code = response.json()["code"]
    assert isinstance(code, str)
    return code


def send(phone: str, env: Mapping[str, str], *options: str) -> str:
    """Create an authentication with ``ding send``; return its UUID."""
    result = run("send", "--phone-number", phone, *options, env=env)
    assert result.returncode == ExitCode.OK, result.stderr
    auth_uuid = json.loads(result.stdout)["authentication_uuid"]
    assert isinstance(auth_uuid, str)
    return auth_uuid


def closed_port() -> int:
    """Return a local port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("process", "phone"),
    [(False, "+14155550100"), (True, "+14155550112")],
    ids=["in_this_process", "by_the_installed_script"],
)
def test_send_then_check_the_code_the_fake_sent(
    env: dict[str, str], base_url: str, process: bool, phone: str
) -> None:
    # Standard output is not a terminal here: JSON without asking for it.
    sent = run("send", "--phone-number", phone, env=env, process=process)
    assert sent.returncode == ExitCode.OK, sent.stderr
    answer = json.loads(sent.stdout)
    assert answer["status"] == "pending"
    code = sent_code(base_url, phone)

    checked = run(
        *("check", "--auth-uuid", answer["authentication_uuid"], "--code", code),
        env=env,
        process=process,
    )
    assert checked.returncode == ExitCode.OK, checked.stderr
    assert json.loads(checked.stdout) == {
        "authentication_uuid": answer["authentication_uuid"],
        "status": "valid",
    }


def test_a_negative_outcome_exits_3_with_the_answer(
    env: dict[str, str], base_url: str
) -> None:
    auth_uuid = send("+14155550101", env)
    wrong = f"{(int(sent_code(base_url, '+14155550101')) + 1) % 1_000_000:06d}"
    checked, retried, spam = run_all(
        [
            ("check", "--auth-uuid", auth_uuid, "--code", wrong),
            ("retry", "--auth-uuid", auth_uuid),  # too early: denied
            ("send", "--phone-number", "+15005550002"),  # spam_detected
        ],
        env,
    )
    assert (checked.returncode, json.loads(checked.stdout)["status"]) == (
        ExitCode.NEGATIVE,
        "invalid",
    )
    assert (retried.returncode, json.loads(retried.stdout)["status"]) == (
        ExitCode.NEGATIVE,
        "denied",
    )
    assert (spam.returncode, json.loads(spam.stdout)["status"]) == (
        ExitCode.NEGATIVE,
        "spam_detected",
    )


@pytest.mark.usefixtures("pending")
def test_feedback_and_lookup_succeed(env: dict[str, str]) -> None:
    feedback, lookup = run_all(
        [
            ("feedback", "--phone-number", "+14155550106", "--status", "onboarded"),
            ("lookup", "--phone-number", "+14155550102", "--cnam"),
        ],
        env,
    )
    assert feedback.returncode == ExitCode.OK, feedback.stderr
    assert "uuid" in json.loads(feedback.stdout)
    assert lookup.returncode == ExitCode.OK, lookup.stderr
    assert "caller_name" in json.loads(lookup.stdout)


def test_a_refused_request_exits_4(env: dict[str, str]) -> None:
    blocked, refused_key = run_all(
        [
            ("send", "--phone-number", "+15005550003"),  # reserved: 400 blocked_number
            ("lookup", "--phone-number", "+14155550103", "--api-key", WRONG_KEY),
        ],
        env,
    )
    assert blocked.returncode == ExitCode.API_ERROR
    assert blocked.stdout == ""
    assert "HTTP 400 blocked_number" in blocked.stderr
    assert refused_key.returncode == ExitCode.API_ERROR
    assert "403" in refused_key.stderr
    assert "the --api-key option" in refused_key.stderr


def test_no_usable_answer_exits_5(env: dict[str, str], base_url: str) -> None:
    root = base_url.removesuffix("/v1")
    httpx.post(
        f"{root}/_fake/faults",
        json={"operation": "lookup", "fault": "server_error", "status_code": 500},
        trust_env=False,
    ).raise_for_status()
    closed = f"http://127.0.0.1:{closed_port()}/v1"
    server_error, refused = run_all(
        [
            ("lookup", "--phone-number", "+14155550104", "--max-retries", "0"),
            ("status", "--auth-uuid", "x", "--max-retries", "0", "--base-url", closed),
        ],
        env,
    )
    assert server_error.returncode == ExitCode.UNAVAILABLE
    assert "Status 500" in server_error.stderr
    assert refused.returncode == ExitCode.UNAVAILABLE
    assert "cannot connect" in refused.stderr
    assert refused.stdout == ""


def test_usage_errors_exit_2_and_say_what_is_wrong(env: dict[str, str]) -> None:
    no_key = {k: v for k, v in env.items() if k != "DING_API_KEY"}
    no_customer = {k: v for k, v in env.items() if k != "DING_CUSTOMER_UUID"}
    results = [
        run("status", "--auth-uuid", "x", env=no_key),
        run("send", "--phone-number", "+14155550105", env=no_customer),
        *run_all(
            [
                ("send", "--phone-number", "+14155550105", "--bogus"),
                ("status", "--auth-uuid", "x", "--base-url", "http://10.0.0.1/v1"),
            ],
            env,
        ),
    ]
    expected = [
        "no API key: set DING_API_KEY",
        "no customer UUID: set DING_CUSTOMER_UUID",
        "No such option",
        "plain http",
    ]
    for result, words in zip(results, expected, strict=True):
        assert result.returncode == ExitCode.USAGE, (words, result.stderr)
        assert words in result.stderr
        assert result.stdout == ""


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """The keywords of each client a command builds; none is built: the
    command then fails with "stop here"."""
    kept: list[dict[str, object]] = []

    def client(**kwargs: object) -> ding.AsyncDing:
        kept.append(kwargs)
        raise ding.UsageError("stop here")

    monkeypatch.setattr(ding, "AsyncDing", client)
    return kept


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "fake"])
def test_the_timeout_is_60_s_and_max_retries_2_by_default(
    command: str,
    built: list[dict[str, object]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # In process: the client each command builds, without --timeout and
    # --max-retries, bounds the whole call by 60 s and retries twice.
    monkeypatch.setenv("DING_API_KEY", KEY)
    monkeypatch.setenv("DING_CUSTOMER_UUID", DEFAULT_CUSTOMER_UUID)
    arguments = {
        "send": ["--phone-number", "+14155550123"],
        "check": ["--auth-uuid", "x", "--code", "1"],
        "retry": ["--auth-uuid", "x"],
        "status": ["--auth-uuid", "x"],
        "feedback": ["--phone-number", "+14155550123", "--status", "onboarded"],
        "lookup": ["--phone-number", "+14155550123"],
    }
    assert main([command, *arguments[command]]) == ExitCode.USAGE
    assert "stop here" in capsys.readouterr().err
    [kwargs] = built
    assert (kwargs["total_timeout"], kwargs["max_retries"]) == (60.0, 2)


def test_each_attempt_is_bounded_as_the_sdks_own_client_bounds_it(
    built: list[dict[str, object]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The command brings its own httpx client (whose default is 5 s for
    # everything); each attempt still gets the SDK's default bounds: 5 s to
    # connect, 15 s per read or write (docs/configuration.md).
    monkeypatch.setenv("DING_API_KEY", KEY)
    monkeypatch.setenv("DING_CUSTOMER_UUID", DEFAULT_CUSTOMER_UUID)
    assert main(["lookup", "--phone-number", "+14155550123"]) == ExitCode.USAGE
    assert "stop here" in capsys.readouterr().err
    [kwargs] = built
    assert kwargs["timeout"] == httpx.Timeout(15.0, connect=5.0)


def test_every_command_has_help_with_examples(env: dict[str, str]) -> None:
    top, *commands = run_all([("--help",), *((c, "--help") for c in COMMANDS)], env)
    assert top.returncode == 0
    for name in COMMANDS:
        assert re.search(rf"^  {name} ", top.stdout, re.MULTILINE), name
    # The exit statuses are documented, each on its own line.
    for code in ExitCode:
        assert re.search(rf"^ +{code.value} ", top.stdout, re.MULTILINE), code
    for name, result in zip(COMMANDS, commands, strict=True):
        assert result.returncode == 0, result.stderr
        assert f"sage: ding {name}" in result.stdout
        assert "xample" in result.stdout, name


def test_the_docs_document_each_exit_status() -> None:
    page = (SOURCE / "docs" / "cli.md").read_text("utf-8")
    for code in ExitCode:
        assert re.search(rf"^\| `{code.value}` \|", page, re.MULTILINE), code


def test_json_and_table_can_be_forced(env: dict[str, str], pending: str) -> None:
    as_json, as_table = run_all(
        [
            ("status", "--auth-uuid", pending, "--json"),
            ("status", "--auth-uuid", pending, "--table"),
        ],
        env,
    )
    assert json.loads(as_json.stdout)["uuid"] == pending
    lines = as_table.stdout.splitlines()
    # Aligned rows: the values start in one column.
    assert re.fullmatch(rf"uuid +{pending}", lines[0])
    assert re.fullmatch(r"phone_number +\+14155550106", lines[1])
    assert lines[0].index(pending) == lines[1].index("+14155550106")
    assert "events:" in lines
    # Text from the server is shown, its control characters escaped.
    assert re.search(r"^template_id +\\u001b\[2J$", as_table.stdout, re.MULTILINE)
    assert "\x1b" not in as_table.stdout
    assert not as_table.stdout.lstrip().startswith("{")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal (pty)")
def test_a_terminal_gets_a_table(env: dict[str, str]) -> None:
    import pty  # noqa: PLC0415 - POSIX only

    controller, terminal = pty.openpty()
    process = subprocess.Popen(  # noqa: S603 - our own command
        [*CLI, "lookup", "--phone-number", "+14155550107"],
        env=env,
        stdout=terminal,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    _, err = process.communicate(timeout=30)
    assert process.returncode == ExitCode.OK, err
    text = output.decode()
    assert re.search(r"^phone_number +\+14155550107\r?$", text, re.MULTILINE), text
    assert "{" not in text


def test_the_key_is_never_shown(
    env: dict[str, str], base_url: str, pending: str
) -> None:
    # `run` checks every run of the module; these are the runs most likely to
    # show a key: a server that echoes it, and click quoting a stray argument.
    # The fake echoes the correlation ID, which is the key here.
    by_env = run("status", "--auth-uuid", pending, env=env)
    assert by_env.returncode == ExitCode.OK, by_env.stderr
    assert json.loads(by_env.stdout)["correlation_id"] == "[redacted]"

    flag = ("--api-key", FLAG_KEY)
    by_flag_env = clean_env(
        DING_CUSTOMER_UUID=DEFAULT_CUSTOMER_UUID, DING_BASE_URL=base_url
    )
    auth_uuid = send("+14155550108", by_flag_env, *flag, "--correlation-id", FLAG_KEY)
    by_flag, stray = run_all(
        [
            ("status", "--auth-uuid", auth_uuid, *flag),
            ("send", "--phone-number", *flag),  # FLAG_KEY: an extra argument
        ],
        by_flag_env,
    )
    assert by_flag.returncode == ExitCode.OK, by_flag.stderr
    assert json.loads(by_flag.stdout)["correlation_id"] == "[redacted]"
    assert stray.returncode == ExitCode.USAGE
    assert "[redacted]" in stray.stderr


def _sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_ctrl_c_exits_130_without_a_traceback(env: dict[str, str]) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(30)
        silent = f"http://127.0.0.1:{server.getsockname()[1]}/v1"
        process = subprocess.Popen(  # noqa: S603 - our own command
            [*CLI, "status", "--auth-uuid", "x", "--base-url", silent],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # As in a terminal: a command started in the background by a
            # non-interactive shell inherits SIGINT ignored, and Python then
            # never turns it into KeyboardInterrupt.
            preexec_fn=_sigint_as_in_a_terminal,  # noqa: PLW1509 - async-signal-safe
        )
        connection, _ = server.accept()
        with connection:
            # Once the whole request has arrived, the command waits for the
            # answer. (Not sooner: on Python 3.10 asyncio has no count of
            # cancellations, and a Ctrl-C landing in the very loop turn in
            # which anyio's connect_tcp cancels its own connection attempts
            # is taken for anyio's cancellation and lost.)
            connection.settimeout(30)
            assert read_head(connection), "the command closed the connection"
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
    assert process.returncode == ExitCode.INTERRUPTED
    assert "Interrupted" in err
    assert "Traceback" not in err
    assert out == ""


def test_the_console_script_is_declared() -> None:
    text = (SOURCE / "pyproject.toml").read_text("utf-8")
    scripts = text.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    assert 'ding = "ding._cli._main:main"' in scripts


@pytest.mark.parametrize("start", ["script", "python_m_ding"])
def test_the_script_and_python_m_ding_run_the_command(
    start: str, env: dict[str, str]
) -> None:
    # Either way, in a process of its own, the exit status of main is the
    # process's.
    if start == "script" and not SCRIPT.exists():
        pytest.skip("no ding script next to this interpreter")
    command = [str(SCRIPT)] if start == "script" else PYTHON_M_DING
    no_key = {k: v for k, v in env.items() if k != "DING_API_KEY"}
    version = _checked(["--version"], _in_a_process(command, ["--version"], env))
    usage_args = ["status", "--auth-uuid", "x"]
    usage = _checked(usage_args, _in_a_process(command, usage_args, no_key))
    assert version.returncode == ExitCode.OK, version.stderr
    assert version.stdout == f"ding, version {ding.__version__}\n"
    assert usage.returncode == ExitCode.USAGE
    assert "no API key" in usage.stderr


def _long_options(help_text: str) -> set[str]:
    return set(re.findall(r"^ +(?:-\w, )?(--[a-z-]+)", help_text, re.MULTILINE))


def test_ding_fake_is_a_click_command_with_the_options_of_python_m_ding_testing() -> (
    None
):
    clicked = run("fake", "--help", env=clean_env())
    assert clicked.returncode == ExitCode.OK, clicked.stderr
    assert clicked.stdout.startswith("Usage: ding fake [OPTIONS]\n")
    assert "\nOptions:\n" in clicked.stdout
    assert "usage:" not in clicked.stdout  # argparse's spelling
    argparsed = io.StringIO()
    with contextlib.redirect_stdout(argparsed), pytest.raises(SystemExit) as exited:
        python_m_ding_testing(["--help"])
    assert exited.value.code == 0
    options = _long_options(clicked.stdout)
    assert options == _long_options(argparsed.getvalue())
    assert {"--port", "--strict", "--api-key", "--idle-timeout", "--quiet"} <= options


def test_a_bad_option_of_ding_fake_is_a_usage_error() -> None:
    port, announce = run_all(
        [("fake", "--port", "99999"), ("fake", "--announce-idle-timeout")],
        clean_env(),
    )
    assert port.returncode == ExitCode.USAGE, port.stderr
    assert "Usage: ding fake" in port.stderr
    assert "'--port'" in port.stderr
    assert announce.returncode == ExitCode.USAGE, announce.stderr
    assert "--announce-idle-timeout needs --idle-timeout" in announce.stderr


#: The keys of the object every error is, with --json.
ERROR_KEYS = {"type", "message", "exit_status", "code", "http_status", "doc_url"}


def _json_error(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    """The one JSON error *result* printed on stderr, checked for its shape."""
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    shown = json.loads(line)
    assert isinstance(shown, dict)
    assert list(cast("dict[str, object]", shown)) == ["error"]
    error = cast("dict[str, object]", shown)["error"]
    assert isinstance(error, dict)
    error = cast("dict[str, object]", error)
    assert set(error) == ERROR_KEYS
    assert error["exit_status"] == result.returncode
    return error


def test_a_national_number_is_read_in_the_default_region(env: dict[str, str]) -> None:
    national, without = run_all(
        [
            ("lookup", "--phone-number", "06 12 34 56 78", "--default-region", "FR"),
            ("lookup", "--phone-number", "06 12 34 56 78"),
        ],
        env,
    )
    assert national.returncode == ExitCode.OK, national.stderr
    assert json.loads(national.stdout)["phone_number"] == "+33612345678"
    assert without.returncode == ExitCode.USAGE
    assert "no country code" in without.stderr
    assert "06 12 34 56 78" not in without.stderr


def test_with_json_errors_are_json_objects(env: dict[str, str]) -> None:
    no_key = {k: v for k, v in env.items() if k != "DING_API_KEY"}
    wrong_key = ("--api-key", WRONG_KEY)
    unreachable = (
        "--base-url",
        f"http://127.0.0.1:{closed_port()}/v1",
        "--max-retries",
        "0",
    )
    results = [
        run("status", "--auth-uuid", "x", "--json", env=no_key),
        *run_all(
            [
                ("send", "--phone-number", "+14155550109", "--json", "--bogus"),
                ("send", "--phone-number", "+15005550003", "--json"),  # blocked
                ("lookup", "--json", "--phone-number", "+14155550109", *wrong_key),
                ("status", "--json", "--auth-uuid", "x", *unreachable),
                ("send", "--json", "--phone-number", "--api-key", FLAG_KEY),
            ],
            env,
        ),
    ]
    errors = [_json_error(result) for result in results]
    assert [(e["type"], e["exit_status"]) for e in errors] == [
        ("usage", ExitCode.USAGE),
        ("usage", ExitCode.USAGE),
        ("api_error", ExitCode.API_ERROR),
        ("api_error", ExitCode.API_ERROR),
        ("unavailable", ExitCode.UNAVAILABLE),
        ("usage", ExitCode.USAGE),
    ]
    no_key_error, bogus, blocked, refused, unavailable, stray = errors
    assert "no API key" in str(no_key_error["message"])
    assert "--bogus" in str(bogus["message"])
    assert (blocked["code"], blocked["http_status"]) == ("blocked_number", 400)
    assert str(blocked["doc_url"]).startswith("https://")
    assert refused["http_status"] == 403
    assert "cannot connect" in str(unavailable["message"])
    assert (unavailable["code"], unavailable["http_status"]) == (None, None)
    # The key given where click quotes it: hidden in the JSON too.
    assert "[redacted]" in str(stray["message"])


def test_without_json_errors_stay_text(env: dict[str, str]) -> None:
    # Standard output is not a terminal (JSON answers), but errors are text
    # unless --json asks.
    blocked = run("send", "--phone-number", "+15005550003", env=env)
    assert blocked.returncode == ExitCode.API_ERROR
    assert blocked.stderr.startswith("Error: the API refused the request")


def test_verbose_shows_each_request_and_its_time(
    env: dict[str, str], base_url: str, pending: str
) -> None:
    status, lookup = run_all(
        [
            ("status", "--auth-uuid", pending, "--verbose"),
            ("lookup", "--phone-number", "+14155550110", "-v"),
        ],
        env,
    )
    assert status.returncode == ExitCode.OK, status.stderr
    assert json.loads(status.stdout)["uuid"] == pending  # the answer as usual
    masked = re.escape(pending[:4]) + "…"
    lines = status.stderr.splitlines()
    assert lines[0] == f"ding: GET {base_url}/authentication/{pending[:4]}…"
    assert re.fullmatch(
        rf"ding: GET /v1/authentication/{masked} 200 attempt 1 \d+\.\d ms", lines[1]
    ), lines
    assert re.fullmatch(r"ding: \d+\.\d ms in all", lines[-1]), lines
    assert pending not in status.stderr
    # A phone number in the URL is masked as the SDK's log masks it.
    assert lookup.returncode == ExitCode.OK, lookup.stderr
    assert "+14155550110" not in lookup.stderr
    assert f"ding: GET {base_url}/lookup/+*********10" in lookup.stderr.splitlines()


def test_verbose_with_ding_log_shows_each_line_once(
    env: dict[str, str], pending: str
) -> None:
    # In a process of its own: DING_LOG is read when ding is imported.
    result = run(
        *("status", "--auth-uuid", pending, "--verbose"),
        env={**env, "DING_LOG": "info"},
        process=True,
    )
    assert result.returncode == ExitCode.OK, result.stderr
    attempts = [line for line in result.stderr.splitlines() if "attempt 1" in line]
    assert len(attempts) == 1, result.stderr


def test_without_verbose_a_success_is_silent(env: dict[str, str], pending: str) -> None:
    result = run("status", "--auth-uuid", pending, env=env)
    assert result.returncode == ExitCode.OK
    assert result.stderr == ""


def test_a_key_given_as_api_key_equals_key_is_hidden_too(base_url: str) -> None:
    # The other spelling of the option: `run` fails the test if FLAG_KEY shows.
    flag = f"--api-key={FLAG_KEY}"
    by_flag_env = clean_env(
        DING_CUSTOMER_UUID=DEFAULT_CUSTOMER_UUID, DING_BASE_URL=base_url
    )
    auth_uuid = send("+14155550111", by_flag_env, flag, "--correlation-id", FLAG_KEY)
    echoed, stray = run_all(
        [
            ("status", "--auth-uuid", auth_uuid, flag),
            ("status", "--auth-uuid", auth_uuid, flag, FLAG_KEY),
        ],
        by_flag_env,
    )
    assert echoed.returncode == ExitCode.OK, echoed.stderr
    assert json.loads(echoed.stdout)["correlation_id"] == "[redacted]"
    assert stray.returncode == ExitCode.USAGE
    assert "unexpected extra argument ([redacted])" in stray.stderr


def test_a_key_that_contains_the_other_is_hidden_whole(env: dict[str, str]) -> None:
    # DING_API_KEY is KEY; the key given, and quoted by click, is longer.
    longer = f"{KEY}_rotated"
    result = run("status", "--auth-uuid", "x", "--api-key", longer, longer, env=env)
    assert result.returncode == ExitCode.USAGE
    assert "unexpected extra argument ([redacted])" in result.stderr
    assert "_rotated" not in result.stderr


def test_keys_of_8_characters_or_more_are_hidden_shorter_ones_are_not(
    env: dict[str, str],
) -> None:
    # Hiding every match of a short key would garble the output, and no
    # real key is that short: from 8 characters on, a key is hidden.
    eight, seven = "k8k8k8k8", "k7k7k7k"
    hidden, shown = run_all(
        [
            ("status", "--auth-uuid", "x", "--api-key", eight, eight),
            ("status", "--auth-uuid", "x", "--api-key", seven, seven),
        ],
        env,
    )
    assert "unexpected extra argument ([redacted])" in hidden.stderr
    assert eight not in hidden.stderr
    assert f"unexpected extra argument ({seven})" in shown.stderr


#: What a Ctrl-C or a bug raises while the call runs; the exit status, the
#: text error, and what the JSON error's message says.
RAISED: dict[str, tuple[BaseException, ExitCode, str, str]] = {
    "interrupted": (
        KeyboardInterrupt(),
        ExitCode.INTERRUPTED,
        "Interrupted.\n",
        "interrupted (Ctrl-C)",
    ),
    "a_bug": (
        RuntimeError(f"lost {KEY}"),
        ExitCode.FAILED,
        (
            "Error: unexpected RuntimeError: lost [redacted]\n"
            "This is a bug in ding; please report it.\n"
        ),
        "unexpected RuntimeError: lost [redacted]; this is a bug in ding",
    ),
}


@pytest.mark.parametrize("case", RAISED)
def test_an_interrupt_and_a_bug_are_errors_as_the_others_are(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    # What a Ctrl-C or a bug raises while the call runs: its exit status and
    # one message, as text or as JSON, and never the key (a bug's message
    # may hold anything).
    raised, status, text, message = RAISED[case]

    def client(**_: object) -> ding.AsyncDing:
        raise raised

    monkeypatch.setattr(ding, "AsyncDing", client)
    as_text, as_json = run_all(
        [("status", "--auth-uuid", "x"), ("status", "--auth-uuid", "x", "--json")],
        env,
    )
    assert (as_text.returncode, as_text.stdout) == (status, "")
    # (After a Ctrl-C, click's blank line first: it ends the terminal's ^C.)
    assert as_text.stderr.lstrip("\n") == text
    assert (as_json.returncode, as_json.stdout) == (status, "")
    [line] = as_json.stderr.strip().splitlines()
    error = json.loads(line)["error"]
    assert set(error) == ERROR_KEYS
    assert (error["type"], error["exit_status"]) == (status.name.lower(), status)
    assert (error["code"], error["http_status"], error["doc_url"]) == (None,) * 3
    assert message in error["message"]


def test_ding_fake_exits_1_when_it_cannot_listen() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run("fake", "--port", port, "--quiet", env=clean_env())
    assert result.returncode == ExitCode.FAILED
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: cannot serve on 127.0.0.1:{port}: ")


def test_json_after_a_double_dash_is_an_argument(env: dict[str, str]) -> None:
    # After `--`, --json is a stray argument, not the option: a text error.
    # Before it, anywhere, it makes the error JSON, even after a bad option.
    after_dash, after_bad_option = run_all(
        [
            ("send", "--phone-number", "+14155550113", "--", "--json"),
            ("send", "--bogus", "--phone-number", "+14155550113", "--json"),
        ],
        env,
    )
    assert after_dash.returncode == ExitCode.USAGE
    assert after_dash.stderr.startswith("Usage: ding send")
    assert "unexpected extra argument (--json)" in after_dash.stderr
    bogus = _json_error(after_bad_option)
    assert (bogus["type"], bogus["exit_status"]) == ("usage", ExitCode.USAGE)
    assert "--bogus" in str(bogus["message"])


def test_columns_is_the_width_a_table_fits(env: dict[str, str], pending: str) -> None:
    # COLUMNS, a positive number, is the width to fit, terminal or not.
    # Without it (or not a width), a table into a pipe keeps each row whole.
    widths = ["30", "0", "-1", "wide", None]
    results = [
        run(
            *("status", "--auth-uuid", pending, "--table"),
            env=env if columns is None else {**env, "COLUMNS": columns},
        )
        for columns in widths
    ]
    fitted, *whole = results
    assert fitted.returncode == ExitCode.OK, fitted.stderr
    lines = fitted.stdout.splitlines()
    assert max(len(line) for line in lines) <= 30, fitted.stdout
    assert pending not in fitted.stdout  # wrapped, at 30
    for columns, result in zip(widths[1:], whole, strict=True):
        assert result.returncode == ExitCode.OK, (columns, result.stderr)
        first = result.stdout.splitlines()[0]
        assert re.fullmatch(rf"uuid +{pending}", first), (columns, first)


def test_verbose_shows_each_attempt_and_the_time_of_a_failed_call(
    env: dict[str, str],
) -> None:
    closed = f"http://127.0.0.1:{closed_port()}/v1"
    result = run(
        *("status", "--auth-uuid", "x", "--base-url", closed, "--max-retries", "1"),
        "--verbose",
        env=env,
    )
    assert result.returncode == ExitCode.UNAVAILABLE
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    request = f"ding: GET {closed}/authentication/x"
    assert lines[0] == lines[2] == request, lines
    for attempt, line in enumerate((lines[1], lines[3]), start=1):
        assert re.fullmatch(
            rf"ding: GET /v1/authentication/x \w+ attempt {attempt} \d+\.\d ms", line
        ), lines
    # The time of the whole call, then the error.
    assert re.fullmatch(r"ding: \d+\.\d ms in all", lines[4]), lines
    assert lines[5].startswith("Error: no usable answer: "), lines
    assert len(lines) == 6, lines


class _Kept(logging.Handler):
    """Keeps the messages of the records it handles."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_verbose_lines_show_once_beside_a_handler_of_the_sdk_logger(
    env: dict[str, str], pending: str
) -> None:
    # In this process, what DING_LOG (or an app) does: a handler on the
    # "ding" logger. It stands aside while --verbose shows the lines, and
    # is back after.
    sdk = logging.getLogger("ding")
    level = sdk.level
    kept = _Kept()
    sdk.addHandler(kept)
    sdk.setLevel(logging.INFO)
    try:
        result = run("status", "--auth-uuid", pending, "--verbose", env=env)
        assert result.returncode == ExitCode.OK, result.stderr
        attempts = [line for line in result.stderr.splitlines() if "attempt 1" in line]
        assert len(attempts) == 1, result.stderr
        assert kept.messages == []
        sdk.info("after")
        assert kept.messages == ["after"]
    finally:
        sdk.removeHandler(kept)
        sdk.setLevel(level)


class _BusyOnce(io.StringIO):
    """Standard error that cannot take the first attempt's line, then can.

    As a non-blocking pipe whose reader lags refuses a write (EAGAIN).
    """

    def __init__(self) -> None:
        super().__init__()
        self.refused = False

    def write(self, text: str) -> int:
        if not self.refused and " attempt 1 " in text:
            self.refused = True
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        return super().write(text)


def test_a_verbose_line_that_cannot_be_written_does_not_end_the_call(
    env: dict[str, str], pending: str
) -> None:
    # The call goes on, and the line is reported as Python's logging
    # reports a handler that failed: the error, then the line's message and
    # arguments (the UUID masked, as the line shows it).
    err = _BusyOnce()
    out = io.StringIO()
    with (
        mock.patch.dict(os.environ, env, clear=True),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        status = main(["status", "--auth-uuid", pending, "--verbose"])
    assert status == ExitCode.OK, err.getvalue()
    assert err.refused
    assert json.loads(out.getvalue())["uuid"] == pending
    report = err.getvalue()
    assert "--- Logging error ---" in report
    assert "BlockingIOError" in report
    assert f"Arguments: ('GET', '/v1/authentication/{pending[:4]}…'" in report
    assert pending not in report
    assert KEY not in report
    assert re.search(r"^ding: \d+\.\d ms in all$", report, re.MULTILINE), report


class _ClosedPipe(io.StringIO):
    """Standard output whose reader went away (``ding ... | head -0``)."""

    def write(self, text: str) -> int:  # noqa: ARG002 - nothing is written
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_goes_away_is_not_an_error(
    env: dict[str, str], pending: str
) -> None:
    # The answer was printed for a reader that has stopped reading: exit 0,
    # silently, as other commands piped into `head` do.
    err = io.StringIO()
    with (
        mock.patch.dict(os.environ, env, clear=True),
        contextlib.redirect_stdout(_ClosedPipe()),
        contextlib.redirect_stderr(err),
    ):
        status = main(["status", "--auth-uuid", pending])
    assert (status, err.getvalue()) == (ExitCode.OK, "")


def _words(text: str) -> str:
    """*text* with each run of whitespace one space: help as click wraps it or not."""
    return " ".join(text.split())


#: Each option every API command shares, as its help shows it.
SHARED_OPTIONS = (
    (
        "--api-key KEY Your Ding API key [default: $DING_API_KEY]. Prefer the "
        "variable: an option lands in your shell history."
    ),
    "--customer-uuid UUID Your customer UUID [default: $DING_CUSTOMER_UUID].",
    (
        "--base-url URL The v1 API's URL, /v1 included [default: $DING_BASE_URL, "
        "else https://api.ding.live/v1]."
    ),
    (
        "--timeout SECONDS The most the call takes, retries included. "
        "[default: 60.0; x>0]"
    ),
    ("--max-retries N Retries of a failure that is safe to retry. [default: 2; x>=0]"),
    (
        "--default-region CC The country a national phone number is read in, such "
        "as FR for 06 12 34 56 78 (needs the phonenumbers extra)."
    ),
    "--json Print JSON [default when the output is not a terminal].",
    "--table Print an aligned table [default on a terminal].",
    ("-v, --verbose Show each request (method, URL, status, time) on standard error."),
)


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "fake"])
def test_each_api_command_documents_the_options_they_share(command: str) -> None:
    result = run(command, "--help", env=clean_env())
    assert result.returncode == ExitCode.OK, result.stderr
    shown = _words(result.stdout)
    for option in SHARED_OPTIONS:
        assert option in shown, option


def test_the_shared_options_reach_the_client(built: list[dict[str, object]]) -> None:
    given = run(
        *("status", "--auth-uuid", "x", "--api-key", FLAG_KEY),
        *("--customer-uuid", DEFAULT_CUSTOMER_UUID),
        *("--base-url", "http://127.0.0.1:9/v1", "--timeout", "0.5"),
        *("--max-retries", "0", "--default-region", "FR"),
        env=clean_env(),
    )
    assert given.returncode == ExitCode.USAGE
    assert "stop here" in given.stderr
    [kwargs] = built
    assert {
        name: kwargs[name]
        for name in (
            "api_key",
            "customer_uuid",
            "server_url",
            "total_timeout",
            "max_retries",
            "default_region",
        )
    } == {
        "api_key": FLAG_KEY,
        "customer_uuid": DEFAULT_CUSTOMER_UUID,
        "server_url": "http://127.0.0.1:9/v1",
        "total_timeout": 0.5,
        "max_retries": 0,
        "default_region": "FR",
    }


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--timeout", "0"),
        ("--timeout", "-1"),
        ("--timeout", "soon"),
        ("--max-retries", "-1"),
        ("--max-retries", "1.5"),
    ],
)
def test_a_timeout_not_above_0_or_retries_below_0_is_a_usage_error(
    option: str, value: str
) -> None:
    env = clean_env(DING_API_KEY=KEY, DING_CUSTOMER_UUID=DEFAULT_CUSTOMER_UUID)
    result = run("status", "--auth-uuid", "x", option, value, env=env)
    assert result.returncode == ExitCode.USAGE
    assert f"Invalid value for '{option}'" in result.stderr
    assert result.stdout == ""


def test_an_api_error_shows_its_message_and_link(env: dict[str, str]) -> None:
    as_text, as_json = run_all(
        [
            ("send", "--phone-number", "+15005550003"),  # blocked
            ("send", "--phone-number", "+15005550003", "--json"),
        ],
        env,
    )
    link = "https://docs.prelude.so/verify/v1/documentation/errors#blocked_number"
    assert as_text.stderr.splitlines() == [
        "Error: the API refused the request (HTTP 400 blocked_number)",
        "  The phone number is in the blocklist.",
        f"  see {link}",
    ]
    # As docs/cli.md shows it: the message and the link apart.
    error = _json_error(as_json)
    assert error["message"] == (
        "the API refused the request (HTTP 400 blocked_number): "
        "The phone number is in the blocklist."
    )
    assert error["doc_url"] == link


def test_an_api_error_without_a_code_names_only_its_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/v1/authentication/x")

    def client(**_: object) -> ding.AsyncDing:
        raise ding.ErrorResponse(
            code=None,
            message=None,
            doc_url=None,
            raw_response=httpx.Response(409, request=request),
        )

    monkeypatch.setattr(ding, "AsyncDing", client)
    env = clean_env(DING_API_KEY=KEY)
    as_text, as_json = run_all(
        [("status", "--auth-uuid", "x"), ("status", "--auth-uuid", "x", "--json")],
        env,
    )
    assert as_text.returncode == ExitCode.API_ERROR
    assert as_text.stderr == "Error: the API refused the request (HTTP 409)\n"
    error = _json_error(as_json)
    assert error["message"] == "the API refused the request (HTTP 409)"
    assert (error["code"], error["http_status"], error["doc_url"]) == (None, 409, None)


def test_columns_of_1_is_the_least_width_not_none(
    env: dict[str, str], pending: str
) -> None:
    # Any positive COLUMNS is a width; below 20 columns, 20 are fitted.
    result = run(
        *("status", "--auth-uuid", pending, "--table"), env={**env, "COLUMNS": "1"}
    )
    assert result.returncode == ExitCode.OK, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) == 20, result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX terminal (pty)")
def test_a_table_on_a_terminal_fits_its_width(
    env: dict[str, str], pending: str
) -> None:
    # In this process: standard output is a terminal 30 columns wide, and
    # no COLUMNS is set. The answer is a table fitted to the terminal.
    import fcntl  # noqa: PLC0415 - POSIX only
    import pty  # noqa: PLC0415 - POSIX only
    import struct  # noqa: PLC0415 - POSIX only
    import termios  # noqa: PLC0415 - POSIX only

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 30, 0, 0))
    with open(terminal, "w", encoding="utf-8", closefd=True) as screen:  # noqa: PTH123 - a descriptor
        err = io.StringIO()
        with (
            mock.patch.dict(os.environ, env, clear=True),
            contextlib.redirect_stdout(screen),
            contextlib.redirect_stderr(err),
        ):
            status = main(["status", "--auth-uuid", pending])
        assert (status, err.getvalue()) == (ExitCode.OK, "")
        output = b""
        while chunk := _read_ready(controller):
            output += chunk
    os.close(controller)
    lines = output.decode().replace("\r\n", "\n").splitlines()
    assert lines[:2] == ["uuid", f"  {pending[:28]}"], lines
    assert max(len(line) for line in lines) <= 30, lines
    assert "{" not in output.decode()


def _read_ready(descriptor: int) -> bytes:
    """What the terminal has to read now, or b"" when nothing is left."""
    import select  # noqa: PLC0415 - POSIX only

    ready, _, _ = select.select([descriptor], [], [], 0.5)
    return os.read(descriptor, 65536) if ready else b""


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pipe")
def test_a_pipe_whose_reader_went_away_is_not_an_error(
    env: dict[str, str], pending: str
) -> None:
    # A real pipe, its reader gone (`ding status ... | head -0`): exit 0,
    # nothing on standard error, and standard output can still be flushed
    # and closed at exit without an error.
    reader, writer = os.pipe()
    os.close(reader)
    err = io.StringIO()
    with open(writer, "w", encoding="utf-8") as pipe:  # noqa: PTH123 - a descriptor
        with (
            mock.patch.dict(os.environ, env, clear=True),
            contextlib.redirect_stdout(pipe),
            contextlib.redirect_stderr(err),
        ):
            status = main(["status", "--auth-uuid", pending])
        pipe.write("at exit\n")
        pipe.flush()
    assert (status, err.getvalue()) == (ExitCode.OK, "")


def test_ding_fake_documents_each_option_of_python_m_ding_testing() -> None:
    # The same options, their values named and explained alike; the notes
    # and examples after them, each example a line of its own.
    from ding.testing._program import (  # noqa: PLC0415 - the fake's program
        DESCRIPTION,
        EXAMPLES,
        NOTES,
        flag,
        options,
    )

    top, fake = run_all([("--help",), ("fake", "--help")], clean_env())
    assert fake.returncode == ExitCode.OK, fake.stderr
    assert "fake Serve the fake Ding API, as python -m ding.testing." in _words(
        top.stdout
    )
    shown = _words(fake.stdout)
    assert (
        f"{DESCRIPTION} Prints its URL first, then serves in the foreground until "
        "Ctrl-C (exit status 130) or SIGTERM (0), as python -m ding.testing does."
    ) in shown
    for field, option in options():
        value = "" if option.metavar is None else f" {option.metavar}"
        assert f"{flag(field)}{value} {_words(option.help)}" in shown, field.name
    paragraphs = [_words(p) for p in fake.stdout.split("\n\n")]
    for note in NOTES:
        assert _words(note) in paragraphs
    lines = [line.strip() for line in fake.stdout.splitlines()]
    examples = lines.index("Examples:")
    assert lines[examples + 1 :] == [f"ding fake {e}" for e in EXAMPLES]


#: Command lines of the fake, each with --quiet (no log handler to undo).
FAKE_ARGUMENTS = [
    ["--quiet"],
    [
        *("--host", "0.0.0.0", "--port", "8080", "--strict", "--quiet"),  # noqa: S104 - not bound
        *("--api-key", "a", "--api-key", "b", "--customer-uuid", "u"),
        *("--lifetime", "1.5", "--max-invalid-checks", "2", "--max-retries", "1"),
        *("--retry-interval", "0", "--stateless", "--seed", "7"),
        *("--idle-timeout", "5", "--announce-idle-timeout"),
    ],
]


def test_ding_fake_reads_its_options_as_python_m_ding_testing_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Serving stops at once, as on SIGTERM: what counts is the options the
    # fake would have served with, from either command line.
    import ding.testing.__main__ as python_m  # noqa: PLC0415 - to stand in
    import ding.testing._program as program  # noqa: PLC0415 - to stand in

    served: list[object] = []

    def serve(_fake: object, given: object) -> signal.Signals:
        served.append(given)
        return signal.SIGTERM

    monkeypatch.setattr(program, "serve_until_signal", serve)
    monkeypatch.setattr(python_m, "serve_until_signal", serve)
    for arguments in FAKE_ARGUMENTS:
        served.clear()
        result = run("fake", *arguments, env=clean_env())
        assert (result.returncode, result.stderr) == (ExitCode.OK, ""), arguments
        assert python_m_ding_testing(arguments) == 0
        by_click, by_argparse = served
        assert by_click == by_argparse, arguments


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--port", "99999"),
        ("--port", "http"),
        ("--lifetime", "soon"),
        ("--max-retries", "1.5"),
        ("--seed", "x"),
        ("--idle-timeout", "0"),
    ],
)
def test_a_bad_value_of_ding_fake_says_what_python_m_ding_testing_says(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        python_m_ding_testing([option, value])
    assert exited.value.code == ExitCode.USAGE
    message = capsys.readouterr().err.strip().split(f"argument {option}: ")[1]
    result = run("fake", option, value, env=clean_env())
    assert result.returncode == ExitCode.USAGE
    assert result.stderr.startswith("Usage: ding fake [OPTIONS]")
    assert f"Error: Invalid value for '{option}': {message}" in result.stderr


def test_json_answers_are_indented_and_keep_their_text(
    env: dict[str, str],
) -> None:
    # The answer as it came, for jq and for a reader: two-space indents,
    # and text in any script left as it is.
    auth_uuid = send("+14155550114", env, "--correlation-id", "café №1")
    result = run("status", "--auth-uuid", auth_uuid, env=env)
    assert result.returncode == ExitCode.OK, result.stderr
    body = json.loads(result.stdout)
    assert body["correlation_id"] == "café №1"
    assert result.stdout == json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def test_verbose_time_in_all_is_the_whole_call(
    env: dict[str, str], pending: str
) -> None:
    # At least the attempt's own time, at most the time the test waited.
    started = time.perf_counter()
    result = run("status", "--auth-uuid", pending, "--verbose", env=env)
    waited = (time.perf_counter() - started) * 1000
    assert result.returncode == ExitCode.OK, result.stderr
    attempt = re.search(r" attempt 1 (\d+\.\d) ms$", result.stderr, re.MULTILINE)
    total = re.search(r"^ding: (\d+\.\d) ms in all$", result.stderr, re.MULTILINE)
    assert attempt is not None, result.stderr
    assert total is not None, result.stderr
    assert float(attempt[1]) <= float(total[1]) <= waited


def test_verbose_time_in_all_is_in_milliseconds(
    env: dict[str, str], pending: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From the call's start to its end on the command's clock, in ms to a
    # tenth: here a clock that moves on 1.5 s at each reading.
    readings: list[float] = []

    def perf_counter() -> float:
        readings.append(100.0 + 1.5 * len(readings))
        return readings[-1]

    command = sys.modules["ding._cli._main"]
    monkeypatch.setattr(
        command, "time", types.SimpleNamespace(perf_counter=perf_counter)
    )
    result = run("status", "--auth-uuid", pending, "--verbose", env=env)
    assert result.returncode == ExitCode.OK, result.stderr
    total = (readings[-1] - readings[0]) * 1000
    assert total > 0
    assert result.stderr.splitlines()[-1] == f"ding: {total:.1f} ms in all"


def test_a_json_error_for_an_http_5xx_names_its_status(
    env: dict[str, str], base_url: str
) -> None:
    root = base_url.removesuffix("/v1")
    httpx.post(
        f"{root}/_fake/faults",
        json={"operation": "lookup", "fault": "server_error", "status_code": 503},
        trust_env=False,
    ).raise_for_status()
    result = run(
        *("lookup", "--phone-number", "+14155550115", "--max-retries", "0", "--json"),
        env=env,
    )
    error = _json_error(result)
    assert (error["type"], error["http_status"], error["code"]) == (
        "unavailable",
        503,
        None,
    )


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "untrusted"])
def test_an_https_server_is_verified_against_the_cas_httpx_would_use(
    trusted: bool,
) -> None:
    # As with the SDK, SSL_CERT_FILE names the CAs to trust; a server whose
    # certificate none of them signed is refused and never sent the key.
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(TLS / "server.pem", TLS / "server.key")
    env = clean_env(DING_API_KEY=KEY, DING_CUSTOMER_UUID=DEFAULT_CUSTOMER_UUID)
    env.pop("SSL_CERT_DIR", None)
    env.pop("SSL_CERT_FILE", None)
    if trusted:
        env["SSL_CERT_FILE"] = str(TLS / "ca.pem")
    with raw_server("ok", server_tls) as server:
        sent = run(
            *("send", "--phone-number", "+14155550123", "--json"),
            *("--base-url", server.url, "--max-retries", "0"),
            env=env,
        )
    if trusted:
        assert sent.returncode == ExitCode.OK, sent.stderr
    else:
        assert sent.returncode == ExitCode.UNAVAILABLE
        assert "certificate" in sent.stderr.lower()
    assert server.requests == (1 if trusted else 0)


@pytest.mark.parametrize("given", ["by_env", "by_option"])
def test_a_plain_http_server_needs_no_cas(
    given: str, base_url: str, tmp_path: Path
) -> None:
    # Nothing goes over TLS to an http:// server (the fake, on this
    # machine): the CAs are not read, so a CA file that cannot be (here
    # SSL_CERT_FILE names none) does not stop the run.
    env = clean_env(
        DING_API_KEY=KEY,
        DING_CUSTOMER_UUID=DEFAULT_CUSTOMER_UUID,
        SSL_CERT_FILE=str(tmp_path / "no-such-ca.pem"),
    )
    options: tuple[str, ...] = ("--base-url", base_url)
    if given == "by_env":
        env["DING_BASE_URL"] = base_url
        options = ()
    result = run("lookup", "--phone-number", "+14155550123", *options, env=env)
    assert result.returncode == ExitCode.OK, result.stderr
    assert json.loads(result.stdout)["phone_number"] == "+14155550123"
