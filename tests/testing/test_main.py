"""``python -m ding.testing``'s `main`, called in this process.

tests/testing/test_cli.py runs the module as a program of its own; these
call its `main` here, so that mutation testing sees them: its help, its
usage errors, serving until SIGTERM (sent to this process once the URL is
out) with or without ``--quiet``, and a port in use. Standard output and
error are stand-ins that record what `main` writes.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import os
import re
import signal
import socket
import threading
from typing import TYPE_CHECKING

import httpx
import pytest

from ding.testing.__main__ import main
from ding.testing._program import DESCRIPTION, EXAMPLES, NOTES, flag, options

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

PHONE = "+14155550123"
CUSTOMER = "28591d9e-a825-47f6-ab11-1a61726305bf"


def _letters(text: str) -> str:
    """*text* without whitespace: a paragraph however it is filled."""
    return "".join(text.split())


def _words(text: str) -> str:
    """*text* with each run of whitespace one space: help as argparse wraps it."""
    return " ".join(text.split())


class _Stream(io.StringIO):
    """A standard stream that says when a line has been written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.line_written = threading.Event()

    def write(self, s: str, /) -> int:
        written = super().write(s)
        if "\n" in s:
            self.line_written.set()
        return written


@contextlib.contextmanager
def _streams() -> Generator[tuple[_Stream, _Stream]]:
    """Standard output and error, each a `_Stream`, while in the block."""
    out, err = _Stream(), _Stream()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


@pytest.fixture(autouse=True)
def _restore_the_fakes_logger() -> Iterator[None]:
    # main's request log adds a handler to the ding.testing logger.
    logger = logging.getLogger("ding.testing")
    handlers, level = list(logger.handlers), logger.level
    yield
    for handler in logger.handlers[:]:
        if handler not in handlers:
            logger.removeHandler(handler)
    logger.setLevel(level)


def _help() -> str:
    with _streams() as (out, _), pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    return out.getvalue()


def test_help_names_the_program_and_describes_each_option() -> None:
    # The usage line names the program; the description, then each option,
    # its value named and explained, as `ding fake --help` shows them too.
    shown = _help()
    assert shown.startswith("usage: python -m ding.testing [-h] ")
    words = _words(shown)
    assert f" {DESCRIPTION} " in words
    for field, option in options():
        value = "" if option.metavar is None else f" {option.metavar}"
        assert f" {flag(field)}{value} {_words(option.help)} " in words, field.name


def test_help_ends_with_the_notes_then_one_example_a_line() -> None:
    # Each note a paragraph filled to 79 columns (each line as long as it
    # can be without passing them), then each example a line of its own.
    paragraphs = _help().split("\n\n")
    for note in NOTES:
        # (A line may end inside a word, after one of its hyphens.)
        [shown] = [p for p in paragraphs if _letters(p) == _letters(note)]
        lines = shown.splitlines()
        assert all(len(line) <= 79 for line in lines), shown
        for line, after in itertools.pairwise(lines):
            # The least of the next line that could have ended this one: its
            # first word, or that word up to a hyphen inside it.
            least = re.match(r"-*[^-]+-?", after.split()[0])
            assert least is not None
            assert len(f"{line} {least.group()}") > 79, shown
    assert paragraphs[-1].splitlines() == [
        "examples:",
        *(f"  python -m ding.testing {example}" for example in EXAMPLES),
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--announce-idle-timeout"],
            "error: --announce-idle-timeout needs --idle-timeout",
        ),
        (
            ["--idle-timeout", "0"],
            (
                "error: argument --idle-timeout: not a positive finite number "
                "of seconds: '0'"
            ),
        ),
        (
            ["--idle-timeout", "soon"],
            (
                "error: argument --idle-timeout: not a positive finite number "
                "of seconds: 'soon'"
            ),
        ),
        (["--lifetime", "0"], "error: lifetime must be "),
    ],
)
def test_a_usage_error_exits_2_saying_what_is_wrong(
    arguments: list[str], message: str
) -> None:
    with _streams() as (out, err), pytest.raises(SystemExit) as exited:
        main(arguments)
    assert exited.value.code == 2
    assert out.getvalue() == ""
    assert err.getvalue().startswith("usage: python -m ding.testing [-h] ")
    assert f"\npython -m ding.testing: {message}" in err.getvalue()


def _serve_then_stop(arguments: list[str], out: _Stream) -> tuple[int, str, int]:
    """Run main; once it prints its URL, send a code, read it, then SIGTERM.

    Returns main's exit status, the code read from the outbox and the
    status of the create.
    """
    read: list[tuple[str, int]] = []
    returned = threading.Event()

    def client() -> None:
        while not out.line_written.wait(0.05):
            if returned.is_set():  # main ended before serving: no signal
                return
        try:
            url = out.getvalue().splitlines()[0]
            with httpx.Client() as http:
                created = http.post(
                    f"{url}/authentication",
                    json={"phone_number": PHONE, "customer_uuid": CUSTOMER},
                    headers={"x-api-key": "any"},
                )
                last = http.get(
                    f"{url.removesuffix('/v1')}/_fake/outbox/last",
                    params={"phone_number": PHONE},
                )
                read.append((last.json()["code"], created.status_code))
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    try:
        status = main(arguments)
    finally:
        returned.set()
        thread.join(10)
    [(code, created)] = read
    return status, code, created


@pytest.mark.parametrize("quiet", [False, True])
def test_serves_until_sigterm_logging_each_request_unless_quiet(quiet: bool) -> None:
    # The URL first on standard output, the API served at it until SIGTERM
    # (exit status 0), and one line per request on standard error: none
    # with --quiet.
    arguments = ["--port", "0", "--seed", "3", *(["--quiet"] if quiet else [])]
    with _streams() as (out, err):
        status, code, created = _serve_then_stop(arguments, out)
    assert (status, created) == (0, 200)
    assert code.isdigit()
    [url] = out.getvalue().splitlines()
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith("/v1")
    lines = err.getvalue().splitlines()
    assert lines[0] == f"fake Ding API listening on {url} (Ctrl-C to stop)"
    logged = [line.rsplit(" ", 2)[0] for line in lines[1:]]
    expected = [
        "POST /v1/authentication 200",
        f"GET /_fake/outbox/last?phone_number=+{PHONE[1:]} 200",
    ]
    assert logged == ([] if quiet else expected)


def test_a_port_in_use_exits_1_saying_so() -> None:
    with _streams() as (out, err), socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["--port", str(port), "--quiet"]) == 1
    assert out.getvalue() == ""
    [line] = err.getvalue().splitlines()
    assert line.startswith(f"cannot serve on 127.0.0.1:{port}: ")
    assert "address already in use" in line.lower()
